"""core: when each data generation last changed (the public portal's Last-Modified)

Revision ID: a7c3e9f1d260
Revises: 9615cf7623ec
Create Date: 2026-12-07 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1d260'
down_revision = '9615cf7623ec'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('data_generations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('data_generations', schema=None) as batch_op:
        batch_op.drop_column('changed_at')
