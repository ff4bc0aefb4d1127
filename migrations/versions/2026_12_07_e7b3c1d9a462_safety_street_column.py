"""lifts, fire_facilities: the estate's street on the row (street_id) and the lists' order index by street

A street office's safety lists, the overdue list and a street filter walked the district's order index
(ix_…_due_order) past the other streets' rows (a street's earliest dates can come after thousands of others at
100× the district). With the street on the row, (street_id, next_due_on IS NULL, next_due_on, id) gives a
street's page its own rows, and the facilities' kind filter has (street_id, kind, …). The models keep the
column (supervision/safety/models.py): set from the estate when a row is written, and when the estate moves
street. The estate's street still decides what a street office sees.

Revision ID: e7b3c1d9a462
Revises: c5f2a8d1e934
Create Date: 2026-12-07 19:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e7b3c1d9a462'
down_revision = 'c5f2a8d1e934'
branch_labels = None
depends_on = None

TABLES = ('lifts', 'fire_facilities')
ORDER = (sa.text('(next_due_on IS NULL)'), 'next_due_on', 'id')
# By street, "dated first" written as a different expression (the same order): PostgreSQL took the district's
# index above, whose nearly constant first column it believes in heap order, and read the other streets' rows.
STREET_ORDER = (sa.text('(next_due_on IS NOT NULL) DESC'), 'next_due_on', 'id')


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in TABLES:
        foreign_key = f'fk_{table}_street_id_streets'
        if sqlite:
            # ADD COLUMN … REFERENCES in place: batch mode's copy of the table would leave out its expression
            # indexes (SQLAlchemy does not reflect them on SQLite).
            op.add_column(table, sa.Column('street_id', sa.Integer(), sa.ForeignKey('streets.id', name=foreign_key),
                                           nullable=True), inline_references=True)
        else:
            op.add_column(table, sa.Column('street_id', sa.Integer(), nullable=True))
            op.create_foreign_key(foreign_key, table, 'streets', ['street_id'], ['id'])
        op.execute(f'UPDATE {table} SET street_id = '
                   f'(SELECT estates.street_id FROM estates WHERE estates.id = {table}.estate_id)')
        op.create_index(f'ix_{table}_street_id_due_order', table, ['street_id', *STREET_ORDER], unique=False)
    op.create_index('ix_fire_facilities_street_id_kind_due_order', 'fire_facilities',
                    ['street_id', 'kind', *STREET_ORDER], unique=False)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.drop_index('ix_fire_facilities_street_id_kind_due_order', table_name='fire_facilities')
    for table in TABLES:
        op.drop_index(f'ix_{table}_street_id_due_order', table_name=table)
        if sqlite:
            # SQLite drops a column of a foreign key only by copying the table
            with op.batch_alter_table(table, recreate='always') as batch_op:
                batch_op.drop_column('street_id')
        else:
            op.drop_constraint(f'fk_{table}_street_id_streets', table, type_='foreignkey')
            op.drop_column(table, 'street_id')
    if sqlite:
        # the copies lack the expression indexes of c5a2e8f3d914: made again
        for table in TABLES:
            op.create_index(f'ix_{table}_due_order', table, list(ORDER), unique=False, if_not_exists=True)
        op.create_index('ix_fire_facilities_kind_due_order', 'fire_facilities', ['kind', *ORDER], unique=False,
                        if_not_exists=True)
