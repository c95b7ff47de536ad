"""Collaboration shares the client's company: the firm's users who work in it, the client's
group they work in, who approved under which terms version, and who ended it

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('collaboration') as batch:
        batch.add_column(sa.Column('access_group_key', sa.String(length=20), nullable=False,
                                   server_default='accountant'))
        batch.add_column(sa.Column('approved_by_user_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('terms_version', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('ended_by_user_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_collaboration_approved_by', 'app_user',
                                 ['approved_by_user_id'], ['id'])
        batch.create_foreign_key('fk_collaboration_ended_by', 'app_user',
                                 ['ended_by_user_id'], ['id'])
    op.create_table(
        'collaboration_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('collaboration_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['collaboration_id'], ['collaboration.id']),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('collaboration_id', 'user_id', name='uq_collaboration_member'),
    )
    # Collaborations approved before: the firm's inviting user works in the client's company.
    op.execute("INSERT INTO collaboration_member (collaboration_id, user_id) "
               "SELECT id, invited_by_user_id FROM collaboration "
               "WHERE invited_by_user_id IS NOT NULL")


def downgrade():
    op.drop_table('collaboration_member')
    with op.batch_alter_table('collaboration') as batch:
        batch.drop_constraint('fk_collaboration_ended_by', type_='foreignkey')
        batch.drop_constraint('fk_collaboration_approved_by', type_='foreignkey')
        batch.drop_column('ended_by_user_id')
        batch.drop_column('terms_version')
        batch.drop_column('approved_by_user_id')
        batch.drop_column('access_group_key')
