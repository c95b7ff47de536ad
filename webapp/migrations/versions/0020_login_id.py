"""The login id: company.customer_id (the number a user types at login, shown as "customer id")
is named login_id, so that customer_id means only a key to a sales customer

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24 11:30:00

"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE company RENAME COLUMN customer_id TO login_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE kvitt_customer_number_seq RENAME TO kvitt_login_id_seq")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE kvitt_login_id_seq RENAME TO kvitt_customer_number_seq")
    op.execute("ALTER TABLE company RENAME COLUMN login_id TO customer_id")
