"""Notification digests: users' e-mail, per-category preferences, deliveries

Revision ID: b7d2e4f6a813
Revises: a1f3d5c7e902
Create Date: 2026-12-07 00:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7d2e4f6a813'
down_revision = 'a1f3d5c7e902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('items', 'reports', 'credit', 'certificates', 'other', name='notificationcategory',
                                  native_enum=False, length=32), nullable=False),
    sa.Column('frequency', sa.Enum('daily', 'weekly', 'off', name='digestfrequency', native_enum=False, length=32),
              nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'category', name=op.f('uq_notification_preferences_user_id_category'))
    )
    with op.batch_alter_table('notification_preferences') as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=False)
    op.create_table('notification_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('period_key', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('sending', 'sent', 'failed', 'abandoned', name='deliverystatus', native_enum=False,
                                length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('message_count', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_deliveries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('user_id', 'channel', 'period_key', name=op.f('uq_notification_deliveries_user_id_channel_period_key'))
    )
    with op.batch_alter_table('notification_deliveries') as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_deliveries_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_deliveries_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('notification_deliveries')
    op.drop_table('notification_preferences')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('email')
