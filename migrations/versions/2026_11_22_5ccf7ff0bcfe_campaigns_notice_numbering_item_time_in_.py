"""campaigns: notice numbering, item time-in-state, first self-inspection submission

Revision ID: 5ccf7ff0bcfe
Revises: c28ec7edc069
Create Date: 2026-11-22 01:38:24.360293

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5ccf7ff0bcfe'
down_revision = 'c28ec7edc069'
branch_labels = None
depends_on = None


def upgrade():
    # Columns are added nullable, filled for rows that already exist, then made NOT NULL.
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('submitted_on', sa.Date(), nullable=True))
    op.execute("UPDATE rectification_items SET state_since = COALESCE(accepted_at, rejected_at, submitted_at, "
               "started_at, opened_at) WHERE state_since IS NULL")
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.alter_column('state_since', existing_type=sa.DateTime(), nullable=False)

    with op.batch_alter_table('rectification_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
    connection = op.get_bind()
    notices = sa.table('rectification_notices', sa.column('id', sa.Integer), sa.column('issued_on', sa.Date),
                       sa.column('year', sa.Integer), sa.column('sequence', sa.Integer))
    counters = {}
    for row in connection.execute(sa.select(notices.c.id, notices.c.issued_on).order_by(notices.c.id)).all():
        year = row.issued_on.year if hasattr(row.issued_on, "year") else int(str(row.issued_on)[:4])
        counters[year] = counters.get(year, 0) + 1
        connection.execute(notices.update().where(notices.c.id == row.id).values(year=year, sequence=counters[year]))
    with op.batch_alter_table('rectification_notices', schema=None) as batch_op:
        batch_op.alter_column('year', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('sequence', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_rectification_notices_year_sequence'), ['year', 'sequence'])

    with op.batch_alter_table('self_inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_submitted_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE self_inspections SET first_submitted_at = submitted_at WHERE first_submitted_at IS NULL")


def downgrade():
    with op.batch_alter_table('self_inspections', schema=None) as batch_op:
        batch_op.drop_column('first_submitted_at')

    with op.batch_alter_table('rectification_notices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_rectification_notices_year_sequence'), type_='unique')
        batch_op.drop_column('sequence')
        batch_op.drop_column('year')

    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.drop_column('submitted_on')
        batch_op.drop_column('state_since')

