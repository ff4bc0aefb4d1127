"""complaints: match_suggestions, the matcher's best estates when the complaint was received unplaced

Revision ID: a7d2e5c1b804
Revises: a7d2c4e9b861
Create Date: 2026-12-07 12:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7d2e5c1b804'
down_revision = 'a7d2c4e9b861'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_suggestions', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('match_suggestions')
