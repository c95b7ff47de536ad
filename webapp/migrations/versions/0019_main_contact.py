"""The main contact: app_user.is_superuser is named for what it means, is_main_contact

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24 09:00:00

"""
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE app_user RENAME COLUMN is_superuser TO is_main_contact")


def downgrade():
    op.execute("ALTER TABLE app_user RENAME COLUMN is_main_contact TO is_superuser")
