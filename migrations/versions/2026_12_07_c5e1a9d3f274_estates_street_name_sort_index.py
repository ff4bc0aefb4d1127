"""estates: an index on (street_id, name_sort, id) for the lists sorted by street, then name

Revision ID: c5e1a9d3f274
Revises: a7d2e5c8b413
Create Date: 2026-12-07 09:50:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e1a9d3f274'
down_revision = 'a7d2e5c8b413'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.create_index('ix_estates_street_name_sort', ['street_id', 'name_sort', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_index('ix_estates_street_name_sort')
