"""A stored project is scored along one path (services/walk/view.py `score_of`) and the date
that decides which rules apply to it by one rule (domain/scoring.py `recommendation_date`,
with its one SQL form in store/repositories/projects.py `_scored_for`): a second copy of
either can drift from the first, and the stored totals with it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.guards.scan import PACKAGES, ROOT, python_files

# the stored project's one path, and the command line's score of the contract's JSON
SCORERS = {"services/walk/view.py", "bot/cli/__init__.py"}
# where a row's recommendation dates are read together: the SQL form of the rule (the rule
# itself takes plain dates, and every other place hands them to it)
DATE_RULE = {"store/repositories/projects.py:_scored_for"}


def _modules(root: Path = ROOT) -> Iterator[tuple[str, ast.AST]]:
    for package in PACKAGES:
        for path in python_files(root, package):
            yield str(path.relative_to(root)), ast.parse(path.read_text(encoding="utf-8"))


def _scorers(root: Path = ROOT) -> set[str]:
    """The modules that import the rubric's scorer."""
    return {name for name, tree in _modules(root) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "domain.scoring"
            and any(alias.name == "score" for alias in node.names)}


def _date_rules(root: Path = ROOT) -> set[str]:
    """module:function of every `x.recommended_on or …` and SQL coalesce of one."""
    out = set()
    for name, tree in _modules(root):
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                parts = (node.values if isinstance(node, ast.BoolOp)
                         and isinstance(node.op, ast.Or) else node.args
                         if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                         and node.func.attr == "coalesce" else ())
                if any(isinstance(p, ast.Attribute) and p.attr == "recommended_on"
                       for p in parts):
                    out.add(f"{name}:{function.name}")
    return out


def test_a_stored_project_is_scored_along_one_path():
    assert _scorers() == SCORERS


def test_the_recommendation_date_is_decided_by_one_rule():
    assert _date_rules() == DATE_RULE


def test_a_second_scorer_or_date_rule_is_caught(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "services" / "reminders.py").write_text(
        "from domain.scoring import score\n\n\n"
        "def scored(svc, p, r, today):\n"
        "    return score(svc.rubric, p.recommended_on or r.recommended_on or today)\n",
        encoding="utf-8")
    assert _scorers(tmp_path) == {"services/reminders.py"}
    assert _date_rules(tmp_path) == {"services/reminders.py:scored"}
