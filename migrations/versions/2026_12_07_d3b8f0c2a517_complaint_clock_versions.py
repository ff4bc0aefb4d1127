"""complaints: a version column on the clocks (their edit page detects concurrent edits)

Revision ID: d3b8f0c2a517
Revises: 06196e78efb4
Create Date: 2026-12-07 03:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3b8f0c2a517'
down_revision = '06196e78efb4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('complaint_clocks', schema=None) as batch_op:
        batch_op.drop_column('version')
