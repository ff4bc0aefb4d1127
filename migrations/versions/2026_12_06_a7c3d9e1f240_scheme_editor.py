"""Scheme editor: scheme and checklist versions edited in the app, phase windows, retired checklist items

Revision ID: a7c3d9e1f240
Revises: 1ae185da647c
Create Date: 2026-12-07 00:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3d9e1f240'
down_revision = '1ae185da647c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign_schemes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checklist_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('scheme_phases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_day', sa.Integer(), nullable=True))

    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_column('retired_at')

    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.drop_column('row_version')
        batch_op.drop_column('edited_at')

    with op.batch_alter_table('scheme_phases', schema=None) as batch_op:
        batch_op.drop_column('start_day')

    with op.batch_alter_table('campaign_schemes', schema=None) as batch_op:
        batch_op.drop_column('row_version')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('checklist_code')
