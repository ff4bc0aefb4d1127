"""credit_events: an index on (origin, occurred_on, id) — the credit events list filtered by 来源 (origin) walks it
newest first and counts from it, instead of reading every event

Revision ID: a7d2c4e9b861
Revises: c5e1a9f3d720
Create Date: 2026-12-07 12:55:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7d2c4e9b861'
down_revision = 'c5e1a9f3d720'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_credit_events_origin_occurred', 'credit_events', ['origin', 'occurred_on', 'id'])


def downgrade():
    op.drop_index('ix_credit_events_origin_occurred', table_name='credit_events')
