"""indexes for the campaign page, the weekly overview and the dashboard's certification rates

Revision ID: a7c3e9d21f58
Revises: 3b7d1c9e4f2a
Create Date: 2026-12-05 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e9d21f58'
down_revision = '3b7d1c9e4f2a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_campaign_street_status',
                              ['campaign_id', 'street_id', 'status', 'company_id', 'enrolled_at', 'withdrawn_at'],
                              unique=False)
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.create_index('ix_rectification_items_campaign_street_state',
                              ['campaign_id', 'street_id', 'state', 'deadline'], unique=False)
        batch_op.create_index('ix_rectification_items_enrolment_state', ['enrolment_id', 'state'], unique=False)
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_staff_type_validity',
                              ['staff_id', 'certificate_type_id', 'issued_on', 'expires_on'], unique=False)


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_staff_type_validity')
    with op.batch_alter_table('rectification_items', schema=None) as batch_op:
        batch_op.drop_index('ix_rectification_items_enrolment_state')
        batch_op.drop_index('ix_rectification_items_campaign_street_state')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolments_campaign_street_status')
