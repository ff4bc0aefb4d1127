"""staff: the known-qualified range (qualified_from, qualified_until) and the certification drill-down's index
(company_id, name_sort, id)

The range is the validity of one certificate the post accepts, valid on the day it was counted (kept at flush by
supervision.companies.qualification): the drill-down tests the certificates only of the staff it does not cover,
and walks the new index in its order, stopping after its page. Filled here as of the migration's day.

Revision ID: c45853700aaf
Revises: e7b3c1d9a462
Create Date: 2026-12-07 19:40:00.000000

"""
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c45853700aaf'
down_revision = 'e7b3c1d9a462'
branch_labels = None
depends_on = None

staff = sa.table('staff', sa.column('id', sa.Integer), sa.column('position_id', sa.Integer),
                 sa.column('qualified_from', sa.Date), sa.column('qualified_until', sa.Date))
certificates = sa.table('certificates', sa.column('id', sa.Integer), sa.column('staff_id', sa.Integer),
                        sa.column('certificate_type_id', sa.Integer), sa.column('issued_on', sa.Date),
                        sa.column('expires_on', sa.Date))
req = sa.table('position_certificate_requirements', sa.column('position_id', sa.Integer),
               sa.column('certificate_type_id', sa.Integer))


def _chosen(column, day):
    return (sa.select(column).select_from(certificates)
            .join(req, req.c.certificate_type_id == certificates.c.certificate_type_id)
            .where(certificates.c.staff_id == staff.c.id, req.c.position_id == staff.c.position_id,
                   sa.or_(certificates.c.issued_on.is_(None), certificates.c.issued_on <= day),
                   sa.or_(certificates.c.expires_on.is_(None), certificates.c.expires_on >= day))
            .order_by(sa.func.coalesce(certificates.c.expires_on, date(9999, 12, 31)).desc(), certificates.c.id)
            .limit(1).scalar_subquery())


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualified_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('qualified_until', sa.Date(), nullable=True))
        batch_op.create_index('ix_staff_company_name_sort', ['company_id', 'name_sort', 'id'], unique=False)
    day = date.today()
    op.execute(staff.update().values(
        qualified_from=_chosen(sa.func.coalesce(certificates.c.issued_on, date(1, 1, 1)), day),
        qualified_until=_chosen(sa.func.coalesce(certificates.c.expires_on, date(9999, 12, 31)), day)))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_company_name_sort')
        batch_op.drop_column('qualified_until')
        batch_op.drop_column('qualified_from')
