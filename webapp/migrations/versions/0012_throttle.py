"""Throttle: failed logins and reset mails counted per client address and per account, in
one table every process shares

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 23:00:00

"""
import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'throttle',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('window_ends', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_throttle_window_ends', 'throttle', ['window_ends'])
    # The per-user counter is replaced by the throttle (per account typed, per address).
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('failed_logins')
        batch.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('locked_until', UTCDateTime(), nullable=True))
    op.drop_index('ix_throttle_window_ends', table_name='throttle')
    op.drop_table('throttle')
