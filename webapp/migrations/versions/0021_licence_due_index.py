"""Licence subscriptions by status in id order: the issuing job reads the due ones 10 000 at
a time from an id on, without sorting every active subscription again for each batch

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-24 16:00:00

"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_licence_billing", table_name="licence_subscription")
    op.create_index("ix_licence_due", "licence_subscription", ["status", "id"])


def downgrade():
    op.drop_index("ix_licence_due", table_name="licence_subscription")
    op.create_index("ix_licence_billing", "licence_subscription", ["status", "billed_through"])
