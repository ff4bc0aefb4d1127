"""The bureau's requirement to report a week without a working day

Revision ID: a1f3d5c7e902
Revises: e5f1c2a9b804
Create Date: 2026-12-07 00:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a1f3d5c7e902'
down_revision = 'e5f1c2a9b804'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_week_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('monday', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_report_week_requirements_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_week_requirements')),
    sa.UniqueConstraint('monday', name=op.f('uq_report_week_requirements_monday'))
    )


def downgrade():
    op.drop_table('report_week_requirements')
