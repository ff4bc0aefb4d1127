"""complaints: covering indexes for the lists' capped counts and the rates (street, company, received_at,
id and the clocks; kind, received_at, id and the rates' columns); (state, deadline) for the overdue count

Revision ID: a7d2e5c8b413
Revises: a9d2e6f4b118
Create Date: 2026-12-07 06:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7d2e5c8b413'
down_revision = 'a9d2e6f4b118'
branch_labels = None
depends_on = None

CLOCKS = ['state', 'response_due_at', 'resolution_due_at']
RATES_COLUMNS = ['kind', 'received_at', 'id', 'repeat_of_id', 'street_id', 'company_id', 'responded_at', 'resolved_at',
                 'response_due_at', 'resolution_due_at', 'satisfaction']
NEW = {
    'ix_complaints_street_received': ['street_id', 'received_at', 'id', *CLOCKS],
    'ix_complaints_company_received': ['company_id', 'received_at', 'id', *CLOCKS],
    'ix_complaints_received_clocks': ['received_at', 'id', *CLOCKS],
    'ix_complaints_kind_received': RATES_COLUMNS,
}
OLD = {
    'ix_complaints_street_received': ['street_id', 'received_at'],
    'ix_complaints_company_received': ['company_id', 'received_at'],
    'ix_complaints_received_clocks': ['received_at', *CLOCKS],
    'ix_complaints_kind_received': ['kind', 'received_at'],
}


def _replace(indexes):
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        for name, columns in indexes.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)


def upgrade():
    _replace(NEW)
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_state')
        batch_op.create_index('ix_complaints_state_response_due', ['state', 'response_due_at'], unique=False)
        batch_op.create_index('ix_complaints_state_resolution_due', ['state', 'resolution_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_state_resolution_due')
        batch_op.drop_index('ix_complaints_state_response_due')
        batch_op.create_index('ix_complaints_state', ['state'], unique=False)
    _replace(OLD)
