"""core: data generations (the credit score table's cache key)

Revision ID: 3b7d1c9e4f2a
Revises: 69e41cee5e03
Create Date: 2026-12-05 09:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7d1c9e4f2a'
down_revision = '69e41cee5e03'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'data_generations',
        sa.Column('topic', sa.String(length=32), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('topic', name=op.f('pk_data_generations')),
    )
    # The credit scores' generation, with a random start like the first bump of a topic
    # (supervision/core/generations.py): the score tables are cached from the first request on.
    op.bulk_insert(table, [{'topic': 'credit', 'value': secrets.randbits(62)}])


def downgrade():
    op.drop_table('data_generations')
