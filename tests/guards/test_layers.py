"""Layers import inward only: bot → handlers → services → store → domain; the fake Telegram
(fakegram/) imports none of them."""

from __future__ import annotations

import shutil

from tests.guards.scan import (
    PACKAGES,
    ROOT,
    import_cycles,
    layer_violations,
    project_imports,
)


def test_the_code_base_keeps_to_the_layers():
    assert layer_violations() == []


def copy_of_the_code(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_an_outward_import_is_caught_even_inside_a_function(tmp_path):
    root = copy_of_the_code(tmp_path)
    env = root / "store" / "migrations" / "env.py"
    env.write_text(env.read_text(encoding="utf-8") + (
        "\n\ndef _settings_url():\n    from bot.settings import Settings\n\n"
        "    return Settings().database_url\n"), encoding="utf-8")
    [problem] = layer_violations(root)
    assert problem.startswith("store/migrations/env.py:") and "imports bot.settings" in problem


def test_each_forbidden_direction_is_caught(tmp_path):
    root = copy_of_the_code(tmp_path)
    crossings = {
        "domain/scoring.py": "from services.core import Services",
        "domain/dates.py": "import sqlalchemy",
        "store/db.py": "from services import clock",
        "services/clock.py": "from handlers.common import Who",
        "handlers/score.py": "from store.models import Project",
        "fakegram/server.py": "from bot.settings import Settings",
    }
    for file, line in crossings.items():
        path = root / file
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    found = layer_violations(root)
    assert sorted(p.split(":")[0] for p in found) == sorted(crossings), found


def test_bot_may_import_every_layer(tmp_path):
    root = copy_of_the_code(tmp_path)
    path = root / "bot" / "app.py"
    path.write_text(path.read_text(encoding="utf-8") + "\nfrom store.models import Base\n",
                    encoding="utf-8")
    assert layer_violations(root) == []


def test_no_import_cycle_between_project_modules():
    graph, _ = project_imports()
    assert import_cycles(graph) == []


def test_project_modules_are_imported_at_module_level_only():
    _, inner = project_imports()
    assert inner == []


def test_a_cycle_through_an_import_inside_a_function_is_caught(tmp_path):
    root = copy_of_the_code(tmp_path)
    path = root / "domain" / "dates.py"
    path.write_text(path.read_text(encoding="utf-8") + (
        "\n\ndef _late():\n    from domain.amounts import parse_amount\n\n"
        "    return parse_amount\n"), encoding="utf-8")
    amounts = root / "domain" / "amounts.py"
    amounts.write_text(amounts.read_text(encoding="utf-8") + "\nimport domain.dates\n",
                       encoding="utf-8")
    graph, inner = project_imports(root)
    assert import_cycles(graph) == [["domain.amounts", "domain.dates"]]
    [problem] = inner
    assert problem.startswith("domain/dates.py:")
    assert problem.endswith("domain.dates imports domain.amounts inside a function")


def test_a_cycle_through_a_package_init_is_caught(tmp_path):
    """`import bot.runner` once failed ("partially initialized module"): bot.runner imported
    the terminal chat from bot.cli, whose package __init__ imports bot.runner."""
    root = copy_of_the_code(tmp_path)
    init = root / "services" / "walk" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\nimport services.decisions.ranking\n",
                    encoding="utf-8")
    graph, _ = project_imports(root)
    [cycle] = import_cycles(graph)
    assert {"services.decisions.ranking", "services.walk"} <= set(cycle)
