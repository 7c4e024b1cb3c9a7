"""ledger: honours, recommendations, outcomes and payments as dated rows; the projects'
overwritable honours/paid pair moved into it

Revision ID: 0010
Revises: 0009 (desk's verdicts, merged; the lead re-chains after 0007 at merge)
Create Date: 2026-12-01 23:30:00
"""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

MIGRATED = "迁移自原记录 (migrated)"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local_date(value) -> dt.date | None:
    """The Shanghai date of a stored UTC timestamp (SQLite gives text, Postgres datetimes)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SHANGHAI).date()


def upgrade() -> None:
    ledger = op.create_table('ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('awarded', sa.Boolean(), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('payer', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.BigInteger(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_ledger_project', 'ledger', ['project_id', 'id'], unique=False)
    bind = op.get_bind()
    projects = bind.execute(sa.text(
        "SELECT id, honours, paid, updated_at FROM projects")).all()
    now = dt.datetime.now(dt.UTC)
    rows = []
    for pid, honours, paid, updated in projects:
        if isinstance(honours, str):
            honours = json.loads(honours or "[]")
        day = _local_date(updated) or now.astimezone(SHANGHAI).date()
        base = {"project_id": pid, "awarded": None, "payer": "", "note": MIGRATED,
                "on_date": day, "recorded_by": None,
                "recorded_at": now.replace(tzinfo=None) if bind.dialect.name == "sqlite"
                else now}
        levels = honours if isinstance(honours, list) else []
        rows += [dict(base, kind="honour", level=level[:20], amount=0)
                 for level in dict.fromkeys(x for x in levels if isinstance(x, str))]
        if isinstance(paid, int) and paid > 0:
            rows.append(dict(base, kind="payment", level=None, amount=int(paid)))
    if rows:
        op.bulk_insert(ledger, rows)
    # ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35 too): a batch copy of `projects`
    # would have to drop a table that evidence, users and the ledger point at.
    op.drop_column('projects', 'honours')
    op.drop_column('projects', 'paid')


def downgrade() -> None:
    op.add_column('projects', sa.Column('honours', sa.JSON(), nullable=False,
                                        server_default='[]'))
    op.add_column('projects', sa.Column('paid', sa.Integer(), nullable=False,
                                        server_default='0'))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT project_id, kind, level, amount FROM ledger "
        "WHERE kind IN ('honour', 'payment') ORDER BY id")).all()
    held: dict[int, list[str]] = {}
    paid: dict[int, int] = {}
    for pid, kind, level, amount in rows:
        if kind == "honour":
            held.setdefault(pid, []).append(level)
        else:
            paid[pid] = paid.get(pid, 0) + amount
    for pid in set(held) | set(paid):
        bind.execute(sa.text("UPDATE projects SET honours = :h, paid = :p WHERE id = :i"),
                     {"h": json.dumps(list(dict.fromkeys(held.get(pid, [])))),
                      "p": paid.get(pid, 0), "i": pid})
    op.drop_index('ix_ledger_project', table_name='ledger')
    op.drop_table('ledger')
