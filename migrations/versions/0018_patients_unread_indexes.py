"""no index of every location's patients by email, phone number or birth date

Every read of patients is of one location (the API's lists and filters, a new patient's
match, the upload's comparison) and reaches its rows by an index that starts with the
location. The three indexes over all locations' patients were read by no statement (the
email filter compares lowercased text, which a plain index cannot answer), yet every new or
changed patient wrote an entry into each: on PostgreSQL an upload's UPDATE can never stay
on its page (`updated_at` is indexed), so each of those indexes took a new entry per changed
patient. Without them the bench's records upload on PostgreSQL went from 20,810-22,340 to
27,250-41,520 records/s, alternated on one database (BENCHMARKS.md).

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UNREAD = ("email", "phone_number", "date_of_birth")


def upgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        for column in UNREAD:
            batch_op.drop_index(f"ix_patients_{column}")


def downgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        for column in UNREAD:
            batch_op.create_index(f"ix_patients_{column}", [column], unique=False)
