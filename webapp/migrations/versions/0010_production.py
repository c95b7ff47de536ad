"""Production: one scheduler per tick, every job's last run, mail claims by token, customer ids
from a sequence on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 16:00:00

"""
import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scheduler_tick',
        sa.Column('slot', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('worker', sa.String(length=120), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('slot'),
    )
    op.create_table(
        'job_state',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('last_started_at', UTCDateTime(), nullable=True),
        sa.Column('last_finished_at', UTCDateTime(), nullable=True),
        sa.Column('last_duration_ms', sa.Integer(), nullable=True),
        sa.Column('last_result', sa.String(length=10), nullable=True),
        sa.Column('last_count', sa.Integer(), nullable=True),
        sa.Column('last_run_id', sa.String(length=40), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_error_at', UTCDateTime(), nullable=True),
        sa.Column('runs', sa.Integer(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.CheckConstraint("last_result in ('ok','failed')",
                           name='ck_job_state_result'),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('outbox_mail') as batch:
        batch.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        highest = op.get_bind().execute(sa.text(
            "SELECT max(customer_id::integer) FROM company")).scalar()
        first = max(highest or 0, 100000) + 1
        op.execute(f"CREATE SEQUENCE kvitt_customer_number_seq START {first}")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP SEQUENCE kvitt_customer_number_seq")
    with op.batch_alter_table('outbox_mail') as batch:
        batch.drop_column('claim_token')
    op.drop_table('job_state')
    op.drop_table('scheduler_tick')
