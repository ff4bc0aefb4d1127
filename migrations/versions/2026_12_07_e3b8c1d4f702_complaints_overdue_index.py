"""complaints: the index of the overdue filter (received_at, state and both deadlines)

Revision ID: e3b8c1d4f702
Revises: d3a9c6e1f274
Create Date: 2026-12-07 03:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e3b8c1d4f702'
down_revision = 'd3a9c6e1f274'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_received_clocks',
                              ['received_at', 'state', 'response_due_at', 'resolution_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_received_clocks')
