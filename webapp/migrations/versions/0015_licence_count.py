"""Licence count self-service: the history of a subscription's licence count by day, and a
smaller count waiting for the next period

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quantity_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('previous_quantity', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity >= 1 and previous_quantity >= 1',
                           name='ck_quantity_change_positive'),
        sa.ForeignKeyConstraint(['subscription_id'], ['licence_subscription.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_quantity_change_subscription', 'quantity_change',
                    ['subscription_id', 'effective_on'])
    with op.batch_alter_table('licence_subscription') as batch:
        batch.add_column(sa.Column('next_quantity', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('licence_subscription') as batch:
        batch.drop_column('next_quantity')
    op.drop_index('ix_quantity_change_subscription', table_name='quantity_change')
    op.drop_table('quantity_change')
