"""one file may prove several entries: the content key includes the entry

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD = ['project_id', 'item_id', 'kind', 'sha256']
NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_old_key() -> None:
    if op.get_bind().dialect.name == "sqlite":  # unnamed: name it by convention to drop it
        with op.batch_alter_table('evidence_files', recreate="always",
                                  naming_convention=NAMES) as batch:
            batch.drop_constraint('uq_evidence_files_project_id', type_='unique')
    else:
        op.drop_constraint('evidence_files_project_id_item_id_kind_sha256_key',
                           'evidence_files', type_='unique')


def upgrade() -> None:
    _drop_old_key()
    op.create_index('uq_evidence_file_content', 'evidence_files',
                    ['project_id', 'item_id', 'kind', sa.text('coalesce(entry_id, 0)'), 'sha256'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('uq_evidence_file_content', table_name='evidence_files')
    # The old key holds one row per content and slot: a proof shared by several entries
    # keeps its first entry only.
    op.execute("DELETE FROM evidence_files WHERE id NOT IN (SELECT MIN(id) FROM evidence_files"
               " GROUP BY project_id, item_id, kind, sha256)")
    with op.batch_alter_table('evidence_files') as batch:
        batch.create_unique_constraint('uq_evidence_files_project_id', OLD)
