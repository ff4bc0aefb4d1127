"""estates: (archived_at, street_id, name_sort) — the enrolment form's page of estates in use, by street
and name, read off the index instead of sorting every estate (24,000 at 100×); rectification_items:
(street_id, deadline, state) — a street office's item list (open, overdue, due this week) and its count
read off the index

Revision ID: c5e8a2d4f913
Revises: c5e8a1d3f926
Create Date: 2026-12-07 09:50:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e8a2d4f913'
down_revision = 'c5e8a1d3f926'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.create_index('ix_estates_archived_street_name_sort', ['archived_at', 'street_id', 'name_sort'],
                              unique=False)
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.create_index('ix_rectification_items_street_deadline_state', ['street_id', 'deadline', 'state'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.drop_index('ix_rectification_items_street_deadline_state')
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_index('ix_estates_archived_street_name_sort')
