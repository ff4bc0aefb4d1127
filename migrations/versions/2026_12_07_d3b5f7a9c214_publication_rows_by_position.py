"""credit: publication rows indexed by publication and position (the public grade list's pages)

Revision ID: d3b5f7a9c214
Revises: e3b8c1d4f702
Create Date: 2026-12-07 03:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd3b5f7a9c214'
down_revision = 'e3b8c1d4f702'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credit_publication_rows', schema=None) as batch_op:
        batch_op.create_index('ix_credit_publication_rows_publication_position', ['publication_id', 'position'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('credit_publication_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_publication_rows_publication_position')
