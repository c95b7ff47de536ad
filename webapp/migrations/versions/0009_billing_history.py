"""Billing history: access stretches kept forever, plan changes by day, the discount percentage
on discount lines, subscribers' start dates and deactivation

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 14:00:00

"""
import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OSLO = ZoneInfo("Europe/Oslo")


def _local_day(moment):
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(OSLO).date()


def upgrade():
    stretch = op.create_table(
        'access_stretch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_access_stretch_company', 'access_stretch', ['company_id'])
    op.create_index('ix_access_stretch_user', 'access_stretch', ['user_id'])
    op.create_table(
        'plan_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('previous_plan_code', sa.String(length=40), nullable=False),
        sa.Column('plan_code', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['subscription_id'], ['licence_subscription.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_plan_change_subscription', 'plan_change',
                    ['subscription_id', 'effective_on'])
    with op.batch_alter_table('invoice_line') as batch:
        batch.add_column(sa.Column('discount_percent', sa.Integer(), nullable=True))
    with op.batch_alter_table('subscriber') as batch:
        batch.add_column(sa.Column('start_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    # Today's access becomes the first stretch of each membership.
    rows = op.get_bind().execute(sa.text(
        "SELECT m.user_id, m.company_id, m.granted_on, m.revoked_on, u.created_at, "
        "u.deactivated_at FROM membership m JOIN app_user u ON u.id = m.user_id")).all()
    stretches = []
    for user_id, company_id, granted_on, revoked_on, created_at, deactivated_at in rows:
        first = _local_day(created_at)
        if granted_on is not None:
            first = max(first, granted_on if isinstance(granted_on, dt.date)
                        else dt.date.fromisoformat(granted_on))
        last = None
        if deactivated_at is not None:
            last = _local_day(deactivated_at) - dt.timedelta(days=1)
        if revoked_on is not None:
            revoked = revoked_on if isinstance(revoked_on, dt.date) \
                else dt.date.fromisoformat(revoked_on)
            last = min(last or dt.date.max, revoked - dt.timedelta(days=1))
        stretches.append({"user_id": user_id, "company_id": company_id, "first_day": first,
                          "last_day": last})
    if stretches:
        op.bulk_insert(stretch, stretches)


def downgrade():
    with op.batch_alter_table('subscriber') as batch:
        batch.drop_column('active')
        batch.drop_column('start_date')
    with op.batch_alter_table('invoice_line') as batch:
        batch.drop_column('discount_percent')
    op.drop_index('ix_plan_change_subscription', table_name='plan_change')
    op.drop_table('plan_change')
    op.drop_index('ix_access_stretch_user', table_name='access_stretch')
    op.drop_index('ix_access_stretch_company', table_name='access_stretch')
    op.drop_table('access_stretch')
