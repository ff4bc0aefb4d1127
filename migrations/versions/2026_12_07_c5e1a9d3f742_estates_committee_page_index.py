"""estates: a covering index for the committee page (archived_at, committee_eligible, street_id, name_sort,
committee_due_on): its page of ids sorted by street and name, its count and the summary's estate columns

Revision ID: c5e1a9d3f742
Revises: c5e1a9d3f274
Create Date: 2026-12-07 09:55:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e1a9d3f742'
down_revision = 'c5e1a9d3f274'
branch_labels = None
depends_on = None

COLUMNS = ['archived_at', 'committee_eligible', 'street_id', 'name_sort', 'committee_due_on']


def upgrade():
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.create_index('ix_estates_committee_page', COLUMNS, unique=False)


def downgrade():
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_index('ix_estates_committee_page')
