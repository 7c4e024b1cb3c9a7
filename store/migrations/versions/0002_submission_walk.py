"""submission walk

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:01:42.274888
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_figures',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
    sa.Column('updated_by', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('project_id', 'item_id')
    )
    with op.batch_alter_table('evidence_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suffix', sa.String(length=16), server_default='', nullable=False))

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('submitted_by', sa.BigInteger(), nullable=True))
        batch_op.drop_column('satisfaction_rate')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_project_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('current_slot', sa.String(length=60), nullable=True))
        batch_op.create_foreign_key('fk_users_current_project', 'projects', ['current_project_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('fk_users_current_project', type_='foreignkey')
        batch_op.drop_column('current_slot')
        batch_op.drop_column('current_project_id')

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction_rate', sa.FLOAT(), nullable=True))
        batch_op.drop_column('submitted_by')
        batch_op.drop_column('submitted_at')

    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_column('suffix')

    with op.batch_alter_table('evidence_entries', schema=None) as batch_op:
        batch_op.drop_column('version')

    op.drop_table('evidence_figures')
