"""reminders: the deadline each row is about, and a lease on claimed rows

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_reminders_status_due', ['status', 'due_at'])
    # rows planned before this revision are about their round's deadline
    op.execute("UPDATE reminders SET deadline_at = (SELECT rounds.deadline_at FROM rounds "
               "WHERE rounds.id = reminders.round_id)")


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_status_due')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('deadline_at')
