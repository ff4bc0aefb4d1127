"""service_contracts: the list's index (street, status, dates, estate, company) and (ends_on, starts_on);
enrolments: (company_id, campaign_id, street_id, status) for a street office's filings

The contract list walks ix_service_contracts_list by street (its first sort key), sorting one street's contracts
at a time and stopping after the page, and counts the filtered contracts off it; the contracts in force are
counted off (ends_on, starts_on) without reading the table. A street office's filing is visible when its company
has an enrolment of the street in the filing's campaign: one exact probe of the enrolments' new index per filing;
the filing type's companies by name probe it once a company.

Revision ID: c5f2a8d1e934
Revises: a9c3e5f1b284
Create Date: 2026-12-07 15:50:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5f2a8d1e934'
down_revision = 'a9c3e5f1b284'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_contracts', schema=None) as batch_op:
        batch_op.create_index('ix_service_contracts_list',
                              ['street_id', 'status', 'starts_on', 'ends_on', 'estate_id', 'company_id'], unique=False)
        batch_op.create_index('ix_service_contracts_ends_on_starts_on', ['ends_on', 'starts_on'], unique=False)
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_company_campaign_street',
                              ['company_id', 'campaign_id', 'street_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolments_company_campaign_street')
    with op.batch_alter_table('service_contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_service_contracts_ends_on_starts_on')
        batch_op.drop_index('ix_service_contracts_list')
