"""survey_answer_tallies: counted answers per round estate, question and rating, in shards (the round and
estate pages sum them instead of counting every answer); survey_votes indexed by status and round estate,
rectification_items by notice and state

Revision ID: b7e4c2a9d581
Revises: a7d2e4c9b361
Create Date: 2026-12-07 12:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e4c2a9d581'
down_revision = 'a7d2e4c9b361'
branch_labels = None
depends_on = None

SHARDS = 16  # supervision.surveys.models.TALLY_SHARDS
COUNTING = "v.status IN ('counted', 'accepted')"


def upgrade():
    op.create_table('survey_answer_tallies',
    sa.Column('round_estate_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=32), nullable=False),
    sa.Column('shard', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_answer_tallies_question_id_survey_questions')),
    sa.ForeignKeyConstraint(['round_estate_id'], ['survey_round_estates.id'], name=op.f('fk_survey_answer_tallies_round_estate_id_survey_round_estates')),
    sa.PrimaryKeyConstraint('round_estate_id', 'question_id', 'rating', 'shard', name=op.f('pk_survey_answer_tallies'))
    )
    op.create_index('ix_survey_votes_status_round_estate', 'survey_votes', ['status', 'round_estate_id'],
                    unique=False)
    op.create_index('ix_rectification_items_notice_state', 'rectification_items', ['notice_id', 'state'],
                    unique=False)
    # The answers of the votes already counted (constants only; id - id / n * n is id modulo n in SQLite and
    # PostgreSQL).
    op.execute(
        "INSERT INTO survey_answer_tallies (round_estate_id, question_id, rating, shard, answers) "
        f"SELECT v.round_estate_id, a.question_id, a.rating, v.id - v.id / {SHARDS} * {SHARDS}, count(*) "
        f"FROM survey_answers a JOIN survey_votes v ON v.id = a.vote_id WHERE {COUNTING} "
        f"GROUP BY v.round_estate_id, a.question_id, a.rating, v.id - v.id / {SHARDS} * {SHARDS}")  # nosec B608


def downgrade():
    op.drop_index('ix_rectification_items_notice_state', table_name='rectification_items')
    op.drop_index('ix_survey_votes_status_round_estate', table_name='survey_votes')
    op.drop_table('survey_answer_tallies')
