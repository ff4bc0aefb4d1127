"""前期物业, service contracts and their filing, party building (supervision/contracts); company filings
per campaign (supervision/filings)

Revision ID: 5db029ab4477
Revises: a7c3e9d1f422
Create Date: 2026-12-06 23:49:37.171319

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5db029ab4477'
down_revision = 'a7c3e9d1f422'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('filing_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
        name=op.f('fk_filing_requirements_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_filing_requirements_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filing_requirements')),
    sa.UniqueConstraint('campaign_id', 'title', name=op.f('uq_filing_requirements_campaign_id_title'))
    )
    with op.batch_alter_table('filing_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filing_requirements_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_filing_requirements_due_on'), ['due_on'], unique=False)

    op.create_table('party_buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('has_party_org', sa.Boolean(), nullable=False),
    sa.Column('org_name', sa.String(length=128), nullable=True),
    sa.Column('org_founded_on', sa.Date(), nullable=True),
    sa.Column('red_property', sa.Boolean(), nullable=False),
    sa.Column('red_property_note', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_party_buildings_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_buildings')),
    sa.UniqueConstraint('estate_id', name=op.f('uq_party_buildings_estate_id'))
    )
    with op.batch_alter_table('party_buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_buildings_has_party_org'), ['has_party_org'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_buildings_red_property'), ['red_property'], unique=False)

    op.create_table('preliminary_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('developer', sa.String(length=128), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('selection_method', sa.Enum('open_tender', 'invited_tender', 'agreement', name='selectionmethod',
        native_enum=False, length=32), nullable=True),
    sa.Column('selected_on', sa.Date(), nullable=True),
    sa.Column('approval_ref', sa.String(length=128), nullable=True),
    sa.Column('contract_signed_on', sa.Date(), nullable=True),
    sa.Column('covenant_signed_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
        name=op.f('fk_preliminary_services_company_id_companies')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_preliminary_services_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preliminary_services')),
    sa.UniqueConstraint('estate_id', name=op.f('uq_preliminary_services_estate_id'))
    )
    with op.batch_alter_table('preliminary_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preliminary_services_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_preliminary_services_contract_signed_on'), ['contract_signed_on'],
            unique=False)
        batch_op.create_index(batch_op.f('ix_preliminary_services_selection_method'), ['selection_method'],
            unique=False)

    op.create_table('company_filings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requirement_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'accepted', 'returned', name='companyfilingstatus', native_enum=False,
        length=32), nullable=False),
    sa.Column('first_submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submission_count', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_filings_company_id_companies')),
    sa.ForeignKeyConstraint(['requirement_id'], ['filing_requirements.id'],
        name=op.f('fk_company_filings_requirement_id_filing_requirements')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_company_filings_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_company_filings_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_filings')),
    sa.UniqueConstraint('requirement_id', 'company_id', name=op.f('uq_company_filings_requirement_id_company_id'))
    )
    with op.batch_alter_table('company_filings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_filings_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_filings_requirement_id'), ['requirement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_filings_status'), ['status'], unique=False)

    op.create_table('service_contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('management_id', sa.Integer(), nullable=True),
    sa.Column('owner_party', sa.String(length=128), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('service_level', sa.Enum('1', '2', '3', '4', '5', name='servicelevel', native_enum=False, length=32),
        nullable=True),
    sa.Column('status', sa.Enum('submitted', 'checked', 'filed', 'returned', name='filingstatus', native_enum=False,
        length=32), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=True),
    sa.Column('filing_number', sa.String(length=64), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_service_contracts_company_id_companies')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_service_contracts_estate_id_estates')),
    sa.ForeignKeyConstraint(['management_id'], ['estate_managements.id'],
        name=op.f('fk_service_contracts_management_id_estate_managements')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_service_contracts_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_service_contracts_street_id_streets')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_service_contracts_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_contracts')),
    sa.UniqueConstraint('filing_number', name=op.f('uq_service_contracts_filing_number'))
    )
    with op.batch_alter_table('service_contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_contracts_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_contracts_ends_on'), ['ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_contracts_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_contracts_management_id'), ['management_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_contracts_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_contracts_street_id'), ['street_id'], unique=False)

    op.create_table('contract_fees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('residential', 'commercial', 'office', 'parking', 'other', name='feekind',
        native_enum=False, length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['service_contracts.id'],
        name=op.f('fk_contract_fees_contract_id_service_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_fees')),
    sa.UniqueConstraint('contract_id', 'kind', name=op.f('uq_contract_fees_contract_id_kind'))
    )
    with op.batch_alter_table('contract_fees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_fees_contract_id'), ['contract_id'], unique=False)



def downgrade():
    with op.batch_alter_table('contract_fees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_fees_contract_id'))

    op.drop_table('contract_fees')
    with op.batch_alter_table('service_contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_contracts_street_id'))
        batch_op.drop_index(batch_op.f('ix_service_contracts_status'))
        batch_op.drop_index(batch_op.f('ix_service_contracts_management_id'))
        batch_op.drop_index(batch_op.f('ix_service_contracts_estate_id'))
        batch_op.drop_index(batch_op.f('ix_service_contracts_ends_on'))
        batch_op.drop_index(batch_op.f('ix_service_contracts_company_id'))

    op.drop_table('service_contracts')
    with op.batch_alter_table('company_filings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_filings_status'))
        batch_op.drop_index(batch_op.f('ix_company_filings_requirement_id'))
        batch_op.drop_index(batch_op.f('ix_company_filings_company_id'))

    op.drop_table('company_filings')
    with op.batch_alter_table('preliminary_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preliminary_services_selection_method'))
        batch_op.drop_index(batch_op.f('ix_preliminary_services_contract_signed_on'))
        batch_op.drop_index(batch_op.f('ix_preliminary_services_company_id'))

    op.drop_table('preliminary_services')
    with op.batch_alter_table('party_buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_buildings_red_property'))
        batch_op.drop_index(batch_op.f('ix_party_buildings_has_party_org'))

    op.drop_table('party_buildings')
    with op.batch_alter_table('filing_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filing_requirements_due_on'))
        batch_op.drop_index(batch_op.f('ix_filing_requirements_campaign_id'))

    op.drop_table('filing_requirements')
