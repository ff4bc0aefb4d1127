"""Evidence photos: EXIF time and place, thumbnails; keys of submissions received (exactly once)

Revision ID: c4e8a1f2d905
Revises: 5db029ab4477
Create Date: 2026-12-07 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4e8a1f2d905'
down_revision = '5db029ab4477'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.add_column(sa.Column('thumb_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('taken_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True))
    op.create_table('submission_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('endpoint', sa.String(length=64), nullable=False),
    sa.Column('result_url', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submission_keys_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_keys')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_submission_keys_user_id_key'))
    )
    with op.batch_alter_table('submission_keys') as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_keys_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_keys_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('submission_keys') as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_keys_created_at'))
        batch_op.drop_index(batch_op.f('ix_submission_keys_user_id'))
    op.drop_table('submission_keys')
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('taken_at')
        batch_op.drop_column('thumb_name')
