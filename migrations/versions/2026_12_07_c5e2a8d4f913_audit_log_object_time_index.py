"""audit_log: an index (object_type, object_id, at, id) for one object's history, newest first

``history_for`` (every detail page's 变更记录) filters on the object and orders by time: with
ix_audit_log_object and ix_audit_log_type_at, SQLite chose the latter and walked every change of the type
in time order (~130 ms for one credit event at 100× the district); this index answers it in order.

Revision ID: c5e2a8d4f913
Revises: b4e1d9a6c725
Create Date: 2026-12-07 15:50:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e2a8d4f913'
down_revision = 'b4e1d9a6c725'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_object_at', ['object_type', 'object_id', 'at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_object_at')
