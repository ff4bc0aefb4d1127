"""complaints: (kind, received_at) and (match_status, state) instead of single-column kind and match_status

Revision ID: f1c4a7e2b930
Revises: 7b2e4c9d1a55
Create Date: 2026-12-07 04:35:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f1c4a7e2b930'
down_revision = '7b2e4c9d1a55'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_kind')
        batch_op.drop_index('ix_complaints_match_status')
        batch_op.create_index('ix_complaints_kind_received', ['kind', 'received_at'], unique=False)
        batch_op.create_index('ix_complaints_match_queue', ['match_status', 'state'], unique=False)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_match_queue')
        batch_op.drop_index('ix_complaints_kind_received')
        batch_op.create_index('ix_complaints_match_status', ['match_status'], unique=False)
        batch_op.create_index('ix_complaints_kind', ['kind'], unique=False)
