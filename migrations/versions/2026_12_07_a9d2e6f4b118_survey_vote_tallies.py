"""survey_vote_tallies: counted and satisfied votes per round estate, in shards (the dashboard card reads them)

Revision ID: a9d2e6f4b118
Revises: f1c4a7e2b930
Create Date: 2026-12-07 06:55:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9d2e6f4b118'
down_revision = 'f1c4a7e2b930'
branch_labels = None
depends_on = None

SHARDS = 16  # supervision.surveys.models.TALLY_SHARDS
COUNTING = "status IN ('counted', 'accepted')"
SATISFIED = "overall IN ('satisfied', 'fairly')"


def upgrade():
    op.create_table('survey_vote_tallies',
    sa.Column('round_estate_id', sa.Integer(), nullable=False),
    sa.Column('shard', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_estate_id'], ['survey_round_estates.id'], name=op.f('fk_survey_vote_tallies_round_estate_id_survey_round_estates')),
    sa.PrimaryKeyConstraint('round_estate_id', 'shard', name=op.f('pk_survey_vote_tallies'))
    )
    # The votes already cast (constants only; id - id / n * n is id modulo n in SQLite and PostgreSQL).
    op.execute(
        "INSERT INTO survey_vote_tallies (round_estate_id, shard, votes, satisfied) "
        f"SELECT round_estate_id, id - id / {SHARDS} * {SHARDS}, "
        f"sum(CASE WHEN {COUNTING} THEN 1 ELSE 0 END), sum(CASE WHEN {COUNTING} AND {SATISFIED} THEN 1 ELSE 0 END) "
        f"FROM survey_votes GROUP BY round_estate_id, id - id / {SHARDS} * {SHARDS}")  # nosec B608 - constants


def downgrade():
    op.drop_table('survey_vote_tallies')
