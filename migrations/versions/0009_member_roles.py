"""member roles

Organization members get a role (Owner, Admin, Developer, Viewer) instead of an admin flag.
In each organization the earliest admin becomes its Owner (the earliest member where none
was an admin, so no organization is left without one), the other admins Admins, and
everyone else a Developer. Pending invitations keep what they offered: Admin or Developer.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ROLE = sa.Enum('owner', 'admin', 'developer', 'viewer', name='role', native_enum=False, length=32)


def upgrade():
    for table in ('users', 'invitations'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('role', ROLE, nullable=False, server_default='developer'))
    op.execute("UPDATE users SET role = 'admin' WHERE is_admin")
    op.execute("UPDATE invitations SET role = 'admin' WHERE is_admin")
    # The first admin of each organization (or its first member when it had no admin).
    op.execute(
        """
        UPDATE users SET role = 'owner' WHERE id IN (
            SELECT MIN(u.id) FROM users u
            WHERE u.organization_id IS NOT NULL AND u.organization_id NOT IN (
                SELECT organization_id FROM users WHERE is_admin AND organization_id IS NOT NULL
            )
            GROUP BY u.organization_id
            UNION
            SELECT MIN(id) FROM users
            WHERE is_admin AND organization_id IS NOT NULL
            GROUP BY organization_id
        )
        """
    )
    for table in ('users', 'invitations'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('is_admin')


def downgrade():
    for table in ('users', 'invitations'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('is_admin', sa.Boolean(), nullable=False, server_default=sa.false())
            )
        op.execute(f"UPDATE {table} SET is_admin = (role IN ('owner', 'admin'))")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('role')
