"""review_notes, used_signins: the reviewers' notes on a project (the federation's own), and
the web desk's single-use sign-in links already used (until they expire)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_review_notes_project_id', 'review_notes', ['project_id'], unique=False)
    op.create_table('used_signins',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce')
    )
    op.create_index('ix_used_signins_expires_at', 'used_signins', ['expires_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_used_signins_expires_at', table_name='used_signins')
    op.drop_table('used_signins')
    op.drop_index('ix_review_notes_project_id', table_name='review_notes')
    op.drop_table('review_notes')
