"""survey_round_estates: counters of counted and satisfied votes (the dashboard card reads them)

Revision ID: a9d2e6f4b118
Revises: f1c4a7e2b930
Create Date: 2026-12-07 06:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9d2e6f4b118'
down_revision = 'f1c4a7e2b930'
branch_labels = None
depends_on = None

COUNTING = "('counted', 'accepted')"
SATISFIED = "('satisfied', 'fairly')"


def upgrade():
    with op.batch_alter_table('survey_round_estates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('votes_counted', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('votes_satisfied', sa.Integer(), server_default='0', nullable=False))
    # The votes already cast (fixed strings only: the stored enum values).
    op.execute(
        "UPDATE survey_round_estates SET "
        "votes_counted = (SELECT count(*) FROM survey_votes v WHERE v.round_estate_id = survey_round_estates.id "
        f"AND v.status IN {COUNTING}), "
        "votes_satisfied = (SELECT count(*) FROM survey_votes v WHERE v.round_estate_id = survey_round_estates.id "
        f"AND v.status IN {COUNTING} AND v.overall IN {SATISFIED})")  # nosec B608 - constants


def downgrade():
    with op.batch_alter_table('survey_round_estates', schema=None) as batch_op:
        batch_op.drop_column('votes_satisfied')
        batch_op.drop_column('votes_counted')
