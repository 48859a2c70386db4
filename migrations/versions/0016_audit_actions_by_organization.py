"""the audit trail's action index also holds the organization

The portal's audit log offers, in its "What happened" filter, the actions its
organization's trail holds. They were read with a DISTINCT over every row of the
organization (5.6 of the page's 13.2 ms on SQLite at full scale). With the action index
extended by the organization, they are read by skipping along the trail's distinct
actions and probing each once for the organization. The index replaces the action-only
one (its leading column serves everything that one did), so writing a row costs the same.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_action")
        batch_op.create_index("ix_audit_events_action_org", ["action", "organization_id"])


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_action_org")
        batch_op.create_index("ix_audit_events_action", ["action"])
