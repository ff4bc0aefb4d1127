"""audit_log: ix_audit_log_object also holds (at, id), so one object's history is read off it newest first

A detail page's 变更记录 (``audit.services.history_for``: one object's last 30 changes) filtered on
(object_type, object_id) and sorted on (at, id); since ix_audit_log_type_at (object_type, at, id) exists the
planner walked that one instead, through every change of the type (82,000 rectification items' at 100×: 150 ms
on an item's page). With (object_type, object_id, at, id) the 30 rows are the index's first 30.

Revision ID: d3c8a1f5e902
Revises: c3a7e5f1b902
Create Date: 2026-12-07 16:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd3c8a1f5e902'
down_revision = 'c3a7e5f1b902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_object')
        batch_op.create_index('ix_audit_log_object', ['object_type', 'object_id', 'at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_object')
        batch_op.create_index('ix_audit_log_object', ['object_type', 'object_id'], unique=False)
