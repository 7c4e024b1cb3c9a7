"""ledger: a reversal row points at the row it reverses; a payment says who pays (the
city's subsidy or the district's matching); users: the payer role (records honours and
payments, granted by administrators); project_totals: the verified points by criterion
(the ranking's tie-breaks) and the blocking eligibility issues (listed apart)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 05:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN in place (no batch copy: other tables point at `users` and `ledger`)
    op.add_column('ledger', sa.Column('reverses', sa.Integer(), nullable=True))
    op.add_column('ledger', sa.Column('funder', sa.String(length=12), nullable=False,
                                      server_default='city'))
    op.add_column('users', sa.Column('payer', sa.Boolean(), nullable=False,
                                     server_default='0'))
    # stored totals scored before this revision lack them: services/decisions/totals.py's
    # SCORING_VERSION 2 sends every row back to be scored
    op.add_column('project_totals', sa.Column('criteria', sa.JSON(), nullable=True))
    op.add_column('project_totals', sa.Column('blocking', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('project_totals', 'blocking')
    op.drop_column('project_totals', 'criteria')
    op.drop_column('users', 'payer')
    op.drop_column('ledger', 'funder')
    op.drop_column('ledger', 'reverses')
