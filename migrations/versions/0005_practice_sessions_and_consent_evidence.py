"""practice session version; consent evidence (address, browser, consent text version)

A practice's sign-out bumps `institutions.session_version`, which every practice session
cookie carries, so copies of the cookie stop working. An access request's decision keeps
the address and user agent it came from and the version of the consent text shown.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EVIDENCE = {"decided_ip": 45, "decided_user_agent": 400, "consent_text_version": 40}


def upgrade():
    with op.batch_alter_table("institutions") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("access_requests") as batch:
        for name, length in EVIDENCE.items():
            batch.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("access_requests") as batch:
        for name in EVIDENCE:
            batch.drop_column(name)
    with op.batch_alter_table("institutions") as batch:
        batch.drop_column("session_version")
