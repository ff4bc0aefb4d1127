"""stored_figures: figures computed by the transaction that changes their data, for every worker (core/figures.py)

Revision ID: c5e1a9f3d720
Revises: c5e8a2d4f913
Create Date: 2026-12-07 09:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e1a9f3d720'
down_revision = 'c5e8a2d4f913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_figures',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('inputs', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('name', 'key', name=op.f('pk_stored_figures')),
    )


def downgrade():
    op.drop_table('stored_figures')
