"""project_totals: each project's claimed and verified totals for the ranking, and the
triggers that mark them outdated whenever a write can change a score

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:30:00

The table starts empty: the ranking fills missing or outdated rows itself
(services/decisions/totals.py). Every trigger bumps `generation` of the projects a write touches; a
stored total counts only while its `scored_generation` is the row's `generation`. The
trigger SQL is written out here (not imported): a migration stays what it was.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BUMP = "UPDATE project_totals SET generation = generation + 1 WHERE project_id"
EVIDENCE = ("evidence_files", "evidence_entries", "evidence_figures", "verdicts")
# (table, the columns whose change can change a score, the projects it concerns)
PARENTS = (
    ("projects", "completed_on, closed_and_evaluated, recommended_on, round_id, "
                 "organization_id", "= NEW.id"),
    ("organizations", "established_on, certificate_valid_until",
     "IN (SELECT id FROM projects WHERE organization_id = NEW.id)"),
    ("rounds", "recommended_on, reviews_required",
     "IN (SELECT id FROM projects WHERE round_id = NEW.id)"),
)


def _sqlite() -> list[str]:
    out = []
    for table in EVIDENCE:
        out += [f"CREATE TRIGGER totals_{table}_insert AFTER INSERT ON {table} "
                f"BEGIN {BUMP} = NEW.project_id; END",
                f"CREATE TRIGGER totals_{table}_update AFTER UPDATE ON {table} "
                f"BEGIN {BUMP} IN (OLD.project_id, NEW.project_id); END",
                f"CREATE TRIGGER totals_{table}_delete AFTER DELETE ON {table} "
                f"BEGIN {BUMP} = OLD.project_id; END"]
    out += [f"CREATE TRIGGER totals_{table}_update AFTER UPDATE OF {columns} ON {table} "
            f"BEGIN {BUMP} {which}; END" for table, columns, which in PARENTS]
    return out


def _postgresql() -> list[str]:
    out = [f"""CREATE FUNCTION totals_evidence_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN {BUMP} = OLD.project_id; END IF;
  IF TG_OP <> 'DELETE' THEN {BUMP} = NEW.project_id; END IF;
  RETURN NULL;
END $$"""]
    out += [f"CREATE TRIGGER totals_{table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION totals_evidence_changed()" for table in EVIDENCE]
    for table, columns, which in PARENTS:
        out += [f"""CREATE FUNCTION totals_{table}_changed() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN {BUMP} {which}; RETURN NULL; END $$""",
                f"CREATE TRIGGER totals_{table}_changed AFTER UPDATE OF {columns} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION totals_{table}_changed()"]
    return out


def _drop(dialect: str) -> list[str]:
    if dialect == "postgresql":
        out = [f"DROP TRIGGER IF EXISTS totals_{t}_changed ON {t}"
               for t in (*EVIDENCE, *(p[0] for p in PARENTS))]
        out += ["DROP FUNCTION IF EXISTS totals_evidence_changed()"]
        return out + [f"DROP FUNCTION IF EXISTS totals_{p[0]}_changed()" for p in PARENTS]
    out = [f"DROP TRIGGER IF EXISTS totals_{t}_{op_}" for t in EVIDENCE
           for op_ in ("insert", "update", "delete")]
    return out + [f"DROP TRIGGER IF EXISTS totals_{p[0]}_update" for p in PARENTS]


def upgrade() -> None:
    op.create_table('project_totals',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), server_default='0', nullable=False),
    sa.Column('scored_generation', sa.Integer(), nullable=True),
    sa.Column('basis', sa.String(length=32), nullable=True),
    sa.Column('on_date', sa.Date(), nullable=True),
    sa.Column('claimed_total', sa.Integer(), nullable=True),
    sa.Column('verified_total', sa.Integer(), nullable=True),
    sa.Column('eligible', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id')
    )
    dialect = op.get_bind().dialect.name
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade() -> None:
    for statement in _drop(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('project_totals')
