"""Support requests: the customer's request with its category, status and page, and the
messages both ways; a visitor's quote request carries its own contact details

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 12:00:00

"""
import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'support_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('visitor_name', sa.String(length=120), nullable=True),
        sa.Column('visitor_email', sa.String(length=320), nullable=True),
        sa.Column('visitor_phone', sa.String(length=30), nullable=True),
        sa.Column('visitor_company', sa.String(length=120), nullable=True),
        sa.Column('visitor_organisation_number', sa.String(length=9), nullable=True),
        sa.Column('category', sa.String(length=12), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('page', sa.String(length=300), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("status in ('new','in_progress','answered','closed')",
                           name='ck_support_request_status'),
        sa.CheckConstraint("category in ('users','trial','addons','quote','error','other')",
                           name='ck_support_request_category'),
        sa.CheckConstraint("(user_id is not null and company_id is not null) or "
                           "(visitor_email is not null and visitor_name is not null)",
                           name='ck_support_request_asker'),
        sa.ForeignKeyConstraint(['company_id'], ['company.id']),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_support_request_status', 'support_request', ['status', 'updated_at'])
    op.create_index('ix_support_request_company', 'support_request', ['company_id'])
    op.create_table(
        'support_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('from_vendor', sa.Boolean(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['support_request.id']),
        sa.ForeignKeyConstraint(['author_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_support_message_request', 'support_message', ['request_id'])


def downgrade():
    op.drop_index('ix_support_message_request', table_name='support_message')
    op.drop_table('support_message')
    op.drop_index('ix_support_request_company', table_name='support_request')
    op.drop_index('ix_support_request_status', table_name='support_request')
    op.drop_table('support_request')
