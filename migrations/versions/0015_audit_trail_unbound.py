"""audit trail without foreign keys

The audit trail is written in bulk (a CSV import of 10,000 rows writes about 26,000 audit
rows in one COPY), and PostgreSQL checked each row's organization against `organizations`
with a trigger query of its own: about 60% of loading the audit rows. A trail records what
happened; it needs no live row to stand for it, and SQLite never enforced these two keys
(its foreign keys are off). Removing a member now clears their id from the trail itself
(`members.delete`), as the key's ON DELETE SET NULL did; the email stays. Organizations are
never deleted.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint("fk_audit_events_actor_id_users", type_="foreignkey")
        batch_op.drop_constraint(
            "fk_audit_events_organization_id_organizations", type_="foreignkey"
        )


def downgrade():
    # Ids of members removed since may be left in the trail only if they were not cleared;
    # clear any that point nowhere before the keys are made again.
    op.execute(
        "UPDATE audit_events SET actor_id = NULL WHERE actor_id IS NOT NULL"
        " AND actor_id NOT IN (SELECT id FROM users)"
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_audit_events_actor_id_users", "users", ["actor_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_audit_events_organization_id_organizations",
            "organizations",
            ["organization_id"],
            ["id"],
            ondelete="SET NULL",
        )
