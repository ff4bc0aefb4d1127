"""notifications: an index (user_id, read_at) for the unread count every page's header shows

The header counts the user's unread notifications on every page. With ix_notifications_user_id alone each of the
user's notifications was read from the table to test read_at (8,500 for the demo company user at 100× the district,
~2 ms a page); the new index answers the count without reading the table.

Revision ID: a9c3e5f1b284
Revises: d3c8a1f5e902
Create Date: 2026-12-07 16:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9c3e5f1b284'
down_revision = 'd3c8a1f5e902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')
