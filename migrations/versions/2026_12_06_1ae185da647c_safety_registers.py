"""Safety registers (supervision/safety): lifts (电梯), fire facilities (消防设施) and the links from
rectification items to them

Revision ID: 1ae185da647c
Revises: b7d2e4f6a813
Create Date: 2026-12-06 23:49:36.047564

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '1ae185da647c'
down_revision = 'b7d2e4f6a813'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fire_facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('hydrant', 'extinguisher', 'sprinkler', 'alarm', 'fire_door', 'evacuation', 'fire_lane', 'smoke_control', 'pump_room', 'control_room', 'other', name='facilitykind', native_enum=False, length=32), nullable=False),
    sa.Column('location', sa.String(length=128), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('last_checked_on', sa.Date(), nullable=True),
    sa.Column('next_due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('normal', 'faulty', 'retired', name='facilitystatus', native_enum=False, length=32), nullable=False),
    sa.Column('retired_on', sa.Date(), nullable=True),
    sa.Column('retire_reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity IS NULL OR quantity > 0', name=op.f('ck_fire_facilities_quantity_positive')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_fire_facilities_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fire_facilities'))
    )
    with op.batch_alter_table('fire_facilities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fire_facilities_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fire_facilities_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_fire_facilities_next_due_on'), ['next_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_fire_facilities_status'), ['status'], unique=False)

    op.create_table('lifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('registration_code', sa.String(length=32), nullable=False),
    sa.Column('location', sa.String(length=128), nullable=False),
    sa.Column('maintenance_company', sa.String(length=128), nullable=True),
    sa.Column('last_inspected_on', sa.Date(), nullable=True),
    sa.Column('next_due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('in_use', 'stopped', 'scrapped', name='liftstatus', native_enum=False, length=32), nullable=False),
    sa.Column('retired_on', sa.Date(), nullable=True),
    sa.Column('retire_reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_lifts_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lifts')),
    sa.UniqueConstraint('registration_code', name=op.f('uq_lifts_registration_code'))
    )
    with op.batch_alter_table('lifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lifts_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lifts_next_due_on'), ['next_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_lifts_status'), ['status'], unique=False)

    op.create_table('safety_item_links',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lift_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(lift_id IS NULL) <> (facility_id IS NULL)', name=op.f('ck_safety_item_links_one_target')),
    sa.ForeignKeyConstraint(['facility_id'], ['fire_facilities.id'], name=op.f('fk_safety_item_links_facility_id_fire_facilities')),
    sa.ForeignKeyConstraint(['item_id'], ['rectification_items.id'], name=op.f('fk_safety_item_links_item_id_rectification_items')),
    sa.ForeignKeyConstraint(['lift_id'], ['lifts.id'], name=op.f('fk_safety_item_links_lift_id_lifts')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_safety_item_links'))
    )
    with op.batch_alter_table('safety_item_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_item_links_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_item_links_lift_id'), ['lift_id'], unique=False)



def downgrade():
    with op.batch_alter_table('safety_item_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_item_links_lift_id'))
        batch_op.drop_index(batch_op.f('ix_safety_item_links_facility_id'))

    op.drop_table('safety_item_links')
    with op.batch_alter_table('lifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lifts_status'))
        batch_op.drop_index(batch_op.f('ix_lifts_next_due_on'))
        batch_op.drop_index(batch_op.f('ix_lifts_estate_id'))

    op.drop_table('lifts')
    with op.batch_alter_table('fire_facilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fire_facilities_status'))
        batch_op.drop_index(batch_op.f('ix_fire_facilities_next_due_on'))
        batch_op.drop_index(batch_op.f('ix_fire_facilities_kind'))
        batch_op.drop_index(batch_op.f('ix_fire_facilities_estate_id'))

    op.drop_table('fire_facilities')
