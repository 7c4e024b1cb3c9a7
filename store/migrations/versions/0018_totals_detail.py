"""project_totals.detail: what the ranking workbook shows of a project besides its totals
(each item's claimed and verified points, the verified issues, the reviewers' verdicts with
their reasons), stored with the totals so that the export reads it instead of scoring every
project again

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-06 07:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema_guard import batch_alter_table

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('project_totals', sa.Column('detail', sa.JSON(), nullable=True))


def downgrade() -> None:
    with batch_alter_table(op, 'project_totals') as batch:
        batch.drop_column('detail')
