"""Import column mappings remembered per kind of import (ledgers of one's own)

Revision ID: a7c3e9d1f422
Revises: a7c3e9f1d260
Create Date: 2026-12-06 23:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3e9d1f422'
down_revision = 'a7c3e9f1d260'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('header', sa.String(length=255), nullable=False),
    sa.Column('source_header', sa.String(length=255), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_import_mappings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
    sa.UniqueConstraint('kind', 'header', name=op.f('uq_import_mappings_kind_header'))
    )


def downgrade():
    op.drop_table('import_mappings')
