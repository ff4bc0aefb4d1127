"""staff: an index on left_on (the staff list's 已离职 filter found no rows by scanning every staff member)

Revision ID: c5e8a1d3f926
Revises: c5e1a9d3f742
Create Date: 2026-12-07 09:45:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e8a1d3f926'
down_revision = 'c5e1a9d3f742'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index('ix_staff_left_on', ['left_on'], unique=False)


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_left_on')
