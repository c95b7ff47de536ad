"""Terms of service: each user's acceptance per version

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24 14:00:00

"""
import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'terms_acceptance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=20), nullable=False),
        sa.Column('accepted_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'version', name='uq_terms_acceptance'),
    )


def downgrade():
    op.drop_table('terms_acceptance')
