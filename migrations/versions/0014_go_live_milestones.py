"""go-live milestones

Two moments of an organization's go-live checklist were read from logs that the worker
empties after 30 days (the request log, the webhook delivery log), so a quiet organization
saw those steps come undone. They are now kept on the organization, set once: the first
successful sandbox API call and the first test event a webhook endpoint accepted. Existing
organizations are filled from what the logs still hold.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_sandbox_call_at', portal.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('webhook_verified_at', portal.db_types.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE organizations SET first_sandbox_call_at = ("
        " SELECT MIN(r.created_at) FROM api_requests r"
        " WHERE r.organization_id = organizations.id AND r.mode = 'sandbox'"
        " AND r.status BETWEEN 200 AND 299)"
    )
    op.execute(
        "UPDATE organizations SET webhook_verified_at = ("
        " SELECT MIN(d.delivered_at) FROM webhook_deliveries d JOIN events e ON e.id = d.event_id"
        " WHERE d.organization_id = organizations.id AND d.status = 'succeeded'"
        " AND e.event = 'webhook_test')"
    )


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('webhook_verified_at')
        batch_op.drop_column('first_sandbox_call_at')
