"""lifts, fire_facilities: an index in the lists' order (next_due_on IS NULL, next_due_on, id); facilities by kind too

The safety lists sort by due date with undated rows last: without an index in that order every page sorted the
whole register (73,500 lifts, 92,100 facilities at 100× the district); with it a page walks the index and stops
after its 50 rows. The facilities' kind filter (消火栓 …) has its own: the kind, then the same order.

Revision ID: c5a2e8f3d914
Revises: b4e1d9a6c725
Create Date: 2026-12-07 15:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5a2e8f3d914'
down_revision = 'b4e1d9a6c725'
branch_labels = None
depends_on = None

TABLES = ('lifts', 'fire_facilities')


def upgrade():
    for table in TABLES:
        op.create_index(f'ix_{table}_due_order', table, [sa.text('(next_due_on IS NULL)'), 'next_due_on', 'id'],
                        unique=False)
    op.create_index('ix_fire_facilities_kind_due_order', 'fire_facilities',
                    ['kind', sa.text('(next_due_on IS NULL)'), 'next_due_on', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_fire_facilities_kind_due_order', table_name='fire_facilities')
    for table in TABLES:
        op.drop_index(f'ix_{table}_due_order', table_name=table)
