"""Estate management history (estate_managements): one open period per existing estate

Revision ID: d4e1a7c93b52
Revises: cc080250089c
Create Date: 2026-12-06 22:30:00

"""
from datetime import date, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e1a7c93b52'
down_revision = 'cc080250089c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('estate_managements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('management_mode', sa.Enum('professional', 'owners_self', 'community_trust', 'street_centre', 'none',
                                         name='managementmode', native_enum=False, length=32), nullable=False),
    sa.Column('project_manager_id', sa.Integer(), nullable=True),
    sa.Column('contract_start', sa.Date(), nullable=True),
    sa.Column('contract_end', sa.Date(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('start_method', sa.Enum('tender', 'owners_assembly', 'agreement', 'other', name='startmethod',
                                      native_enum=False, length=32), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_method', sa.Enum('withdrawal', 'handover', 'other', name='endmethod', native_enum=False,
                                    length=32), nullable=True),
    sa.Column('items_outcome', sa.String(length=16), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_estate_managements_company_id_companies')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_estate_managements_estate_id_estates')),
    sa.ForeignKeyConstraint(['project_manager_id'], ['staff.id'],
                            name=op.f('fk_estate_managements_project_manager_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_estate_managements'))
    )
    with op.batch_alter_table('estate_managements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_estate_managements_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_estate_managements_ended_on'), ['ended_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_estate_managements_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index('ix_estate_managements_estate_started', ['estate_id', 'started_on'], unique=False)

    # One open period per existing estate: its current company and mode, from the day it was registered.
    connection = op.get_bind()
    estates = sa.table('estates', sa.column('id', sa.Integer), sa.column('company_id', sa.Integer),
                       sa.column('management_mode', sa.String), sa.column('created_at', sa.DateTime))
    periods = sa.table('estate_managements', sa.column('estate_id', sa.Integer), sa.column('company_id', sa.Integer),
                       sa.column('management_mode', sa.String), sa.column('started_on', sa.Date),
                       sa.column('start_method', sa.String), sa.column('created_at', sa.DateTime),
                       sa.column('updated_at', sa.DateTime))
    now = datetime.utcnow()
    rows = []
    for estate_id, company_id, mode, created_at in connection.execute(
            sa.select(estates.c.id, estates.c.company_id, estates.c.management_mode, estates.c.created_at)):
        if isinstance(created_at, str):
            created_at = datetime.fromisoformat(created_at)
        started = created_at.date() if created_at is not None else date.today()
        rows.append({"estate_id": estate_id, "company_id": company_id, "management_mode": mode,
                     "started_on": started, "start_method": "other", "created_at": now, "updated_at": now})
    if rows:
        op.bulk_insert(periods, rows)


def downgrade():
    with op.batch_alter_table('estate_managements', schema=None) as batch_op:
        batch_op.drop_index('ix_estate_managements_estate_started')
        batch_op.drop_index(batch_op.f('ix_estate_managements_estate_id'))
        batch_op.drop_index(batch_op.f('ix_estate_managements_ended_on'))
        batch_op.drop_index(batch_op.f('ix_estate_managements_company_id'))
    op.drop_table('estate_managements')
