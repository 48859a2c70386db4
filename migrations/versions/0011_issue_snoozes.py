"""issue snoozes

The issues inbox is computed from state; only the issues an organization snoozed, and until
when, are stored.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issue_snoozes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('issue_key', sa.String(length=80), nullable=False),
    sa.Column('until', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('snoozed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_issue_snoozes_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['snoozed_by_id'], ['users.id'], name=op.f('fk_issue_snoozes_snoozed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_snoozes'))
    )
    with op.batch_alter_table('issue_snoozes', schema=None) as batch_op:
        batch_op.create_index('uq_issue_snoozes_org_key', ['organization_id', 'issue_key'], unique=True)


def downgrade():
    with op.batch_alter_table('issue_snoozes', schema=None) as batch_op:
        batch_op.drop_index('uq_issue_snoozes_org_key')
    op.drop_table('issue_snoozes')
