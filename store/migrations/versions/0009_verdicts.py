"""verdicts and recusals; reviewers' scope; rounds needing two reviews

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('verdicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.BigInteger(), nullable=False),
    sa.Column('target', sa.String(length=60), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('seen', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'reviewer_id', 'target')
    )
    op.create_index('ix_verdicts_project_id', 'verdicts', ['project_id'], unique=False)
    op.create_table('recusals',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
    sa.PrimaryKeyConstraint('project_id', 'reviewer_id')
    )
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('review_district', sa.String(length=50), nullable=True))
    with op.batch_alter_table('invites') as batch:
        batch.add_column(sa.Column('review_district', sa.String(length=50), nullable=True))
    with op.batch_alter_table('rounds') as batch:
        batch.add_column(sa.Column('reviews_required', sa.Integer(), server_default='1',
                                   nullable=False))


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would drop tables that
    # others point at
    op.drop_column('rounds', 'reviews_required')
    op.drop_column('invites', 'review_district')
    op.drop_column('users', 'review_district')
    op.drop_table('recusals')
    op.drop_index('ix_verdicts_project_id', table_name='verdicts')
    op.drop_table('verdicts')
