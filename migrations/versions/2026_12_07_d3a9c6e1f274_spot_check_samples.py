"""spot-check samples (生成抽查样本) and the sample a spot check followed

Revision ID: d3a9c6e1f274
Revises: d3b8f0c2a517
Create Date: 2026-12-07 03:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3a9c6e1f274'
down_revision = 'd3b8f0c2a517'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('spot_check_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('drawn_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_spot_check_samples_created_by_id_users')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_spot_check_samples_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_check_samples'))
    )
    with op.batch_alter_table('spot_check_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_check_samples_street_id'), ['street_id'], unique=False)

    with op.batch_alter_table('spot_checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sample_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_spot_checks_sample_id'), ['sample_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_spot_checks_sample_id_spot_check_samples'),
                                    'spot_check_samples', ['sample_id'], ['id'])


def downgrade():
    with op.batch_alter_table('spot_checks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_spot_checks_sample_id_spot_check_samples'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_spot_checks_sample_id'))
        batch_op.drop_column('sample_id')

    with op.batch_alter_table('spot_check_samples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_check_samples_street_id'))

    op.drop_table('spot_check_samples')
