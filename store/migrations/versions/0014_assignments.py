"""reviewers' assignments and a round's review deadline

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-06 05:00:00

Plain ALTER TABLE … ADD COLUMN on rounds (no batch copy): a copy of the table would drop
the score triggers migration 0011 put on it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assignments',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.BigInteger(), nullable=False),
    sa.Column('assigned_by', sa.BigInteger(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
    sa.PrimaryKeyConstraint('project_id', 'reviewer_id')
    )
    op.create_index('ix_assignments_reviewer', 'assignments', ['reviewer_id'], unique=False)
    op.add_column('rounds', sa.Column('review_deadline_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    op.drop_column('rounds', 'review_deadline_at')
    op.drop_index('ix_assignments_reviewer', table_name='assignments')
    op.drop_table('assignments')
