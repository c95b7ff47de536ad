"""Invoice documents: the seller's identity, buyers' EHF details, VAT categories, partial
credit notes with their own number series

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 12:00:00

"""
import sqlalchemy as sa
from alembic import op

import webapp.models.types  # noqa: F401  (UTCDateTime columns)

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'seller_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('organisation_number', sa.String(length=9), nullable=True),
        sa.Column('vat_registered', sa.Boolean(), nullable=False),
        sa.Column('business_register', sa.Boolean(), nullable=False),
        sa.Column('address_line', sa.String(length=200), nullable=True),
        sa.Column('postal_code', sa.String(length=4), nullable=True),
        sa.Column('city', sa.String(length=60), nullable=True),
        sa.Column('bank_account', sa.String(length=11), nullable=True),
        sa.Column('iban', sa.String(length=34), nullable=True),
        sa.Column('bic', sa.String(length=11), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('payment_terms', sa.String(length=300), nullable=True),
        sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_seller_identity_company', 'seller_identity', ['company_id', 'id'])

    # One number series per seller and kind of document (R-DOC-3).
    op.create_table(
        'document_sequence',
        sa.Column('seller_company_id', sa.Integer(), nullable=False),
        sa.Column('series', sa.String(length=12), nullable=False),
        sa.Column('next_number', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['seller_company_id'], ['company.id'], ),
        sa.PrimaryKeyConstraint('seller_company_id', 'series'))
    op.execute("INSERT INTO document_sequence (seller_company_id, series, next_number) "
               "SELECT seller_company_id, 'invoice', next_number FROM invoice_sequence")
    op.drop_table('invoice_sequence')

    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_registered', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('business_register', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('bank_account', sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column('iban', sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column('bic', sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column('invoice_email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('payment_terms', sa.String(length=300), nullable=True))

    for table in ('customer_agreement', 'customer'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'customer':
                batch_op.add_column(sa.Column('vat_registered', sa.Boolean(),
                                              server_default='0', nullable=False))
            batch_op.add_column(sa.Column('buyer_reference', sa.String(length=60),
                                          nullable=True))
            batch_op.add_column(sa.Column('peppol_id', sa.String(length=60), nullable=True))
            batch_op.add_column(sa.Column('delivery', sa.String(length=5),
                                          server_default='email', nullable=False))

    with op.batch_alter_table('subscription_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_category', sa.String(length=1), server_default='S',
                                      nullable=False))
    op.execute("UPDATE subscription_line SET vat_category = 'Z' WHERE vat_percent = 0")

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.alter_column('kid', existing_type=sa.String(length=25), nullable=True)
        batch_op.add_column(sa.Column('seller_identity_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('buyer_vat_registered', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('buyer_reference', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('order_reference', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('buyer_peppol_id', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('delivery', sa.String(length=5), server_default='email',
                                      nullable=False))
        batch_op.create_foreign_key('fk_invoice_seller_identity', 'seller_identity',
                                    ['seller_identity_id'], ['id'])
        batch_op.drop_constraint('uq_invoice_number_per_seller', type_='unique')
        batch_op.create_unique_constraint('uq_invoice_number_per_seller',
                                          ['seller_company_id', 'kind', 'number'])
        batch_op.create_check_constraint('ck_invoice_delivery',
                                         "delivery in ('email','ehf','both')")

    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_category', sa.String(length=1), server_default='S',
                                      nullable=False))
        batch_op.add_column(sa.Column('credits_line_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_invoice_line_credits', 'invoice_line',
                                    ['credits_line_id'], ['id'])
        batch_op.create_unique_constraint('uq_invoice_line_credited_once', ['credits_line_id'])
        batch_op.create_check_constraint('ck_invoice_line_vat_category',
                                         "vat_category in ('S','Z','E','O')")
    op.execute("UPDATE invoice_line SET vat_category = 'Z' WHERE vat_percent = 0")


def downgrade():
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_constraint('ck_invoice_line_vat_category', type_='check')
        batch_op.drop_constraint('uq_invoice_line_credited_once', type_='unique')
        batch_op.drop_constraint('fk_invoice_line_credits', type_='foreignkey')
        batch_op.drop_column('credits_line_id')
        batch_op.drop_column('vat_category')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_constraint('ck_invoice_delivery', type_='check')
        batch_op.drop_constraint('uq_invoice_number_per_seller', type_='unique')
        batch_op.create_unique_constraint('uq_invoice_number_per_seller',
                                          ['seller_company_id', 'number'])
        batch_op.drop_constraint('fk_invoice_seller_identity', type_='foreignkey')
        for column in ('delivery', 'buyer_peppol_id', 'order_reference', 'buyer_reference',
                       'buyer_vat_registered', 'seller_identity_id'):
            batch_op.drop_column(column)
        batch_op.alter_column('kid', existing_type=sa.String(length=25), nullable=False)
    with op.batch_alter_table('subscription_line', schema=None) as batch_op:
        batch_op.drop_column('vat_category')
    for table in ('customer', 'customer_agreement'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ('delivery', 'peppol_id', 'buyer_reference'):
                batch_op.drop_column(column)
            if table == 'customer':
                batch_op.drop_column('vat_registered')
    with op.batch_alter_table('company', schema=None) as batch_op:
        for column in ('payment_terms', 'invoice_email', 'bic', 'iban', 'bank_account',
                       'business_register', 'vat_registered'):
            batch_op.drop_column(column)
    op.create_table(
        'invoice_sequence',
        sa.Column('seller_company_id', sa.Integer(), nullable=False),
        sa.Column('next_number', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['seller_company_id'], ['company.id'], ),
        sa.PrimaryKeyConstraint('seller_company_id'))
    op.execute("INSERT INTO invoice_sequence (seller_company_id, next_number) "
               "SELECT seller_company_id, next_number FROM document_sequence "
               "WHERE series = 'invoice'")
    op.drop_table('document_sequence')
    op.drop_table('seller_identity')
    op.drop_index('ix_seller_identity_company', table_name='seller_identity')
