"""pinyin sort keys: estates, companies, staff, streets and communities order by name_sort

Revision ID: 7b2e4c9d1a55
Revises: d3b5f7a9c214
Create Date: 2026-12-07 03:10:00.000000

"""
import sqlalchemy as sa
from alembic import op
from pypinyin import lazy_pinyin

# revision identifiers, used by Alembic.
revision = '7b2e4c9d1a55'
down_revision = 'd3b5f7a9c214'
branch_labels = None
depends_on = None

TABLES = {"estates": 1024, "companies": 1024, "streets": 512, "communities": 512, "staff": 512}
BATCH = 1000


def _key(name: str) -> str:
    # as supervision/core/sortkey.py at the time of writing
    return f"{''.join(lazy_pinyin(name)).lower()} {name}"


def _backfill(connection, table_name: str) -> None:
    table = sa.table(table_name, sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("name_sort", sa.String))
    last_id = 0
    while True:
        rows = connection.execute(sa.select(table.c.id, table.c.name).where(table.c.id > last_id)
                                  .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(sa.update(table).where(table.c.id == sa.bindparam("row_id"))
                           .values(name_sort=sa.bindparam("key")),
                           [{"row_id": row.id, "key": _key(row.name)} for row in rows])
        last_id = rows[-1].id


def upgrade():
    connection = op.get_bind()
    for table_name, length in TABLES.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_sort', sa.String(length=length), nullable=True))
        _backfill(connection, table_name)
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.alter_column('name_sort', existing_type=sa.String(length=length), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table_name}_name_sort'), ['name_sort'], unique=False)


def downgrade():
    for table_name in TABLES:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table_name}_name_sort'))
            batch_op.drop_column('name_sort')
