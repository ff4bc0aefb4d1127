"""Credit correction notices (更正公告) and their rows

Revision ID: e5f1c2a9b804
Revises: 3524908cfe54
Create Date: 2026-12-06 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5f1c2a9b804'
down_revision = '3524908cfe54'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_credit_corrections_issued_by_id_users')),
    sa.ForeignKeyConstraint(['publication_id'], ['credit_publications.id'],
                            name=op.f('fk_credit_corrections_publication_id_credit_publications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_corrections')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_corrections_number')),
    sa.UniqueConstraint('year', 'seq', name=op.f('uq_credit_corrections_year_seq'))
    )
    with op.batch_alter_table('credit_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_corrections_publication_id'), ['publication_id'], unique=False)

    op.create_table('credit_correction_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('correction_id', sa.Integer(), nullable=False),
    sa.Column('publication_row_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('company_name', sa.String(length=128), nullable=False),
    sa.Column('old_total', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('new_total', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('old_grade_label', sa.String(length=32), nullable=False),
    sa.Column('new_grade_code', sa.String(length=16), nullable=False),
    sa.Column('new_grade_label', sa.String(length=32), nullable=False),
    sa.Column('new_grade_rank', sa.Integer(), nullable=False),
    sa.Column('old_red', sa.Boolean(), nullable=False),
    sa.Column('new_red', sa.Boolean(), nullable=False),
    sa.Column('old_black', sa.Boolean(), nullable=False),
    sa.Column('new_black', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                            name=op.f('fk_credit_correction_rows_company_id_companies')),
    sa.ForeignKeyConstraint(['correction_id'], ['credit_corrections.id'],
                            name=op.f('fk_credit_correction_rows_correction_id_credit_corrections')),
    sa.ForeignKeyConstraint(['publication_row_id'], ['credit_publication_rows.id'],
                            name=op.f('fk_credit_correction_rows_publication_row_id_credit_publication_rows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_correction_rows'))
    )
    with op.batch_alter_table('credit_correction_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_correction_rows_correction_id'), ['correction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_correction_rows_publication_row_id'), ['publication_row_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('credit_correction_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_correction_rows_publication_row_id'))
        batch_op.drop_index(batch_op.f('ix_credit_correction_rows_correction_id'))
    op.drop_table('credit_correction_rows')
    with op.batch_alter_table('credit_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_corrections_publication_id'))
    op.drop_table('credit_corrections')
