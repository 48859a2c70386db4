"""request log

Every API call of an organization, per mode, kept 30 days by the worker: method, path, the
query with only harmless values, status, duration, key prefix, subdomain, request id and a
refusal's error message. Never a token, a key or a body.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('sandbox', 'production', name='mode', native_enum=False, length=32), nullable=False),
    sa.Column('key_prefix', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Float(), nullable=False),
    sa.Column('subdomain', sa.String(length=80), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_api_requests_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_requests'))
    )
    with op.batch_alter_table('api_requests', schema=None) as batch_op:
        batch_op.create_index('ix_api_requests_org_mode_id', ['organization_id', 'mode', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_requests_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_requests_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('api_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_requests_created_at'))
        batch_op.drop_index(batch_op.f('ix_api_requests_request_id'))
        batch_op.drop_index('ix_api_requests_org_mode_id')
    op.drop_table('api_requests')
