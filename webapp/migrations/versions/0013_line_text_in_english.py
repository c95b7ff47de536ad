"""Invoice lines keep their text in English beside the invoice's bokmål, for English readers

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoice_line') as batch:
        batch.add_column(sa.Column('description_en', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('invoice_line') as batch:
        batch.drop_column('description_en')
