"""Closed accounts: the day an operator closed a bankrupt or dissolved company's account, and
why

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('company', sa.Column('closed_on', sa.Date(), nullable=True))
    op.add_column('company', sa.Column('closed_reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('company') as batch:
        batch.drop_column('closed_reason')
        batch.drop_column('closed_on')
