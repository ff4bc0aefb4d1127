"""estates: index (street_id, company_id) — a street's companies read off the index alone

Revision ID: a9d2e5f18c37
Revises: c45853700aaf
Create Date: 2026-12-07 22:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9d2e5f18c37'
down_revision = 'c45853700aaf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.create_index('ix_estates_street_company', ['street_id', 'company_id'], unique=False)


def downgrade():
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_index('ix_estates_street_company')
