"""weekly_reports: an index (status, iso_year, iso_week) for the bureau's to-do counts of one status and week

The landing page counts this week's submitted reports: with ix_weekly_reports_status alone every submitted report
of every week was read from the table (3,000 rows with their narratives at 100× the district); the new index
counts them without reading the table.

Revision ID: b4e1d9a6c725
Revises: b7e4c2a9d581
Create Date: 2026-12-07 13:35:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b4e1d9a6c725'
down_revision = 'b7e4c2a9d581'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('weekly_reports', schema=None) as batch_op:
        batch_op.create_index('ix_weekly_reports_status_week', ['status', 'iso_year', 'iso_week'], unique=False)


def downgrade():
    with op.batch_alter_table('weekly_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_weekly_reports_status_week')
