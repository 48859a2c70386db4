"""institution name trigram index (PostgreSQL only)

Searching institutions by name is `ILIKE '%word%'`, which no b-tree index can serve; on
PostgreSQL a pg_trgm GIN index can. SQLite has no equivalent, so this revision does nothing
there. The index is not in the models (SQLAlchemy cannot say "PostgreSQL only" to
autogenerate), so `migrations/env.py` leaves it out of comparisons.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEX = "ix_institutions_name_trgm"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON institutions USING gin (name gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
