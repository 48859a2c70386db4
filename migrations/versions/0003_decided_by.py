"""who decided an upgrade or activation request

Staff decisions are claimed once; the request keeps who decided it, so a second decider is
told "already approved by ..." and the ops lists show it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("upgrade_requests", "activation_requests")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                f"fk_{table}_decided_by_id_users",
                "users",
                ["decided_by_id"],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_decided_by_id_users", type_="foreignkey")
            batch.drop_column("decided_by_id")
