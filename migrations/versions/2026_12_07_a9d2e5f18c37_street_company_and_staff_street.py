"""estates: index (street_id, company_id, archived_at); staff: the estate's street on the row (street_id) and the
certification drill-down's order index by street; weekly_reports: the report list's order indexes

A street's companies (the companies of its estates, in use or all) come off the estates' (street_id, company_id,
archived_at) index alone.
A street's certification drill-down read every staff member of the street's thousands of estates, then sorted the
gaps; with the street on the row, (street_id, company_id, name_sort, id) gives its page in order. The model keeps
the column (supervision/estates/street_copy.py): set from the estate when a row is written, and when the estate
moves street. The estate's street still decides what a street office sees. The report list (week, street, id) reads
its page off (street_id, week_start, id) for a street and (week_start, street_id, id) for the district.

Revision ID: a9d2e5f18c37
Revises: c45853700aaf
Create Date: 2026-12-07 22:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9d2e5f18c37'
down_revision = 'c45853700aaf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_estates_street_company', 'estates', ['street_id', 'company_id', 'archived_at'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        op.add_column('staff', sa.Column('street_id', sa.Integer(),
                                         sa.ForeignKey('streets.id', name='fk_staff_street_id_streets'),
                                         nullable=True), inline_references=True)
    else:
        op.add_column('staff', sa.Column('street_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_staff_street_id_streets', 'staff', 'streets', ['street_id'], ['id'])
    op.execute('UPDATE staff SET street_id = (SELECT estates.street_id FROM estates WHERE estates.id = staff.estate_id)')
    op.create_index('ix_staff_street_company_name_sort', 'staff', ['street_id', 'company_id', 'name_sort', 'id'],
                    unique=False)
    op.create_index('ix_weekly_reports_street_week', 'weekly_reports', ['street_id', 'week_start', 'id'], unique=False)
    op.create_index('ix_weekly_reports_week_street', 'weekly_reports', ['week_start', 'street_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_weekly_reports_week_street', table_name='weekly_reports')
    op.drop_index('ix_weekly_reports_street_week', table_name='weekly_reports')
    op.drop_index('ix_staff_street_company_name_sort', table_name='staff')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite drops a column of a foreign key only by copying the table
        with op.batch_alter_table('staff', recreate='always') as batch_op:
            batch_op.drop_column('street_id')
    else:
        op.drop_constraint('fk_staff_street_id_streets', 'staff', type_='foreignkey')
        op.drop_column('staff', 'street_id')
    op.drop_index('ix_estates_street_company', table_name='estates')
