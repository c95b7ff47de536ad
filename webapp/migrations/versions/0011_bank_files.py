"""Bank files and AvtaleGiro: OCR giro and camt.054 imports with their totals, payments'
archive reference, payer and outcome, transactions parked with their reason; mandates, claims
and claim files

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 22:00:00

"""
import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'payment_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('format', sa.String(length=10), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('bank_reference', sa.String(length=80), nullable=True),
        sa.Column('transactions', sa.Integer(), nullable=False),
        sa.Column('total_ore', sa.BigInteger(), nullable=False),
        sa.Column('matched', sa.Integer(), nullable=False),
        sa.Column('matched_ore', sa.BigInteger(), nullable=False),
        sa.Column('partial', sa.Integer(), nullable=False),
        sa.Column('over', sa.Integer(), nullable=False),
        sa.Column('unmatched', sa.Integer(), nullable=False),
        sa.Column('unmatched_ore', sa.BigInteger(), nullable=False),
        sa.Column('parked', sa.Integer(), nullable=False),
        sa.Column('duplicates', sa.Integer(), nullable=False),
        sa.Column('mandates', sa.Integer(), nullable=False),
        sa.Column('imported_by', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("format in ('ocr','camt054')", name='ck_payment_import_format'),
        sa.ForeignKeyConstraint(['imported_by'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sha256'),
    )
    op.create_table(
        'parked_transaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kid', sa.String(length=25), nullable=True),
        sa.Column('amount_ore', sa.BigInteger(), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('reference', sa.String(length=80), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.CheckConstraint("reason in ('duplicate','not_positive','reversal')",
                           name='ck_parked_reason'),
        sa.ForeignKeyConstraint(['import_id'], ['payment_import.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_parked_transaction_import_id', 'parked_transaction', ['import_id'])
    op.create_table(
        'avtalegiro_mandate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('kid', sa.String(length=25), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('limit_ore', sa.BigInteger(), nullable=True),
        sa.Column('notify', sa.Boolean(), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('activated_at', UTCDateTime(), nullable=True),
        sa.Column('cancelled_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status in ('requested','active','cancelled')",
                           name='ck_mandate_status'),
        sa.CheckConstraint("source in ('portal','bank','operator')", name='ck_mandate_source'),
        sa.ForeignKeyConstraint(['agreement_id'], ['customer_agreement.id']),
        sa.ForeignKeyConstraint(['requested_by'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_avtalegiro_mandate_agreement_id', 'avtalegiro_mandate',
                    ['agreement_id'])
    op.create_index('ix_avtalegiro_mandate_kid', 'avtalegiro_mandate', ['kid'])
    op.create_index('uq_mandate_in_force', 'avtalegiro_mandate', ['agreement_id'], unique=True,
                    sqlite_where=sa.text("status != 'cancelled'"),
                    postgresql_where=sa.text("status != 'cancelled'"))
    op.create_table(
        'avtalegiro_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=7), nullable=False),
        sa.Column('claims', sa.Integer(), nullable=False),
        sa.Column('cancellations', sa.Integer(), nullable=False),
        sa.Column('total_ore', sa.BigInteger(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
    )
    op.create_table(
        'avtalegiro_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('mandate_id', sa.Integer(), nullable=False),
        sa.Column('amount_ore', sa.BigInteger(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=True),
        sa.Column('cancel_file_id', sa.Integer(), nullable=True),
        sa.Column('failed_on', sa.Date(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('amount_ore > 0', name='ck_claim_amount'),
        sa.CheckConstraint("status in ('pending','sent','paid','failed','cancelling',"
                           "'cancelled')", name='ck_claim_status'),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id']),
        sa.ForeignKeyConstraint(['mandate_id'], ['avtalegiro_mandate.id']),
        sa.ForeignKeyConstraint(['file_id'], ['avtalegiro_file.id']),
        sa.ForeignKeyConstraint(['cancel_file_id'], ['avtalegiro_file.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_avtalegiro_claim_invoice_id', 'avtalegiro_claim', ['invoice_id'])
    op.create_index('ix_avtalegiro_claim_mandate_id', 'avtalegiro_claim', ['mandate_id'])
    with op.batch_alter_table('payment') as batch:
        batch.add_column(sa.Column('import_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('archive_reference', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('payer_account', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('payer_name', sa.String(length=140), nullable=True))
        batch.add_column(sa.Column('outcome', sa.String(length=10), nullable=True))
        batch.create_foreign_key('fk_payment_import', 'payment_import', ['import_id'], ['id'])
        batch.drop_constraint('ck_payment_source', type_='check')
        batch.create_check_constraint('ck_payment_source',
                                      "source in ('manual','import','ocr','camt054',"
                                      "'avtalegiro')")
        batch.create_check_constraint(
            'ck_payment_outcome', "outcome is null or outcome in ('full','partial','over')")
        batch.create_index('ix_payment_import_id', ['import_id'])
        batch.create_index('ix_payment_invoice', ['invoice_id'])


def downgrade():
    with op.batch_alter_table('payment') as batch:
        batch.drop_index('ix_payment_invoice')
        batch.drop_index('ix_payment_import_id')
        batch.drop_constraint('ck_payment_outcome', type_='check')
        batch.drop_constraint('ck_payment_source', type_='check')
        batch.create_check_constraint('ck_payment_source', "source in ('manual','import')")
        batch.drop_constraint('fk_payment_import', type_='foreignkey')
        for column in ('outcome', 'payer_name', 'payer_account', 'archive_reference',
                       'import_id'):
            batch.drop_column(column)
    op.drop_table('avtalegiro_claim')
    op.drop_table('avtalegiro_file')
    op.drop_table('avtalegiro_mandate')
    op.drop_index('ix_parked_transaction_import_id', table_name='parked_transaction')
    op.drop_table('parked_transaction')
    op.drop_table('payment_import')
