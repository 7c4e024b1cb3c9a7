"""What `python -m bot run` imports before its first poll leaves the heavy stacks out: they
load where they are first used (issue 13's start-up). Speed itself is the benchmark's
(tests/bench/bot_vs_anchor.py); this checks the behaviour that keeps it, in a fresh
interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

from tests.guards.scan import DEFERRED, ROOT

# What `python -m bot run` imports up to the Application's start (bot/runner.py).
START = "import bot.cli, bot.runner, bot.app, bot.runtime.observe, bot.runtime.logs"

LOADED_LATER = {
    "numpy": "nothing at all (the search index scores in plain arrays)",
    "rapidfuzz": "the search index, on the first question",
    "jieba": "the search index, on the first question",
    "PIL": "the /score chart",
    "matplotlib": "nothing at all (the chart is drawn with Pillow)",
    "openpyxl": "the spreadsheet export and import",
    "docx": "a document added to the corpus",
    "pypdf": "a document added to the corpus",
    "reportlab": "the dossier's PDF",
    "alembic": "a database not at the head revision",
    "asyncpg": "a PostgreSQL database",
    "sqlalchemy.dialects.postgresql": "a PostgreSQL database",
    "store.documents": "the first question (the policy documents and their parser)",
    "pydantic": "nothing at all (bot/settings.py reads the settings itself)",
    "prometheus_client": "serving /metrics (webhook mode, or METRICS_PORT when polling)",
    "fakegram": "the terminal chat (`make run` without a token), never a bot on Telegram",
}


def modules_after(statement: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{statement}\nimport sys\n"
                          "print('\\n'.join(sys.modules))"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(out.split())


# In one fresh interpreter: `statement`, then for each module a fork of that state (a child
# process) imports it and lists every module loaded then, as a fresh interpreter that ran
# `statement` and imported the module would. One start-up instead of one per module.
_EACH = """
import json, os, sys
{statement}
found = {{}}
for module in {modules!r}:
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        __import__(module)
        with os.fdopen(write, "w") as out:
            out.write("\\n".join(sys.modules))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        found[module] = answer.read().split()
    if os.waitpid(child, 0)[1] != 0:
        sys.exit(f"importing {{module}} failed")
print(json.dumps(found))
"""


def modules_after_each(statement: str, modules: Sequence[str]) -> dict[str, set[str]]:
    """{module: what is loaded after `statement` and then `import module`}, each as in a fresh
    interpreter."""
    out = subprocess.run([sys.executable, "-c", _EACH.format(statement=statement,
                                                            modules=tuple(modules))],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {module: set(names) for module, names in json.loads(out).items()}


def test_starting_the_bot_leaves_the_heavy_stacks_for_later():
    loaded = modules_after(START)
    early = {name: why for name, why in LOADED_LATER.items()
             if name in loaded or any(m.startswith(name + ".") for m in loaded)}
    assert early == {}


def test_the_check_sees_a_heavy_stack_that_is_imported():
    assert "openpyxl" in modules_after(f"{START}\nimport openpyxl")


def test_each_module_imported_late_loads_a_heavy_stack():
    """The layer guard lets a function import only these project modules (scan.DEFERRED):
    each must earn it by loading one of the heavy stacks above that start-up leaves out."""
    started = modules_after(START)
    loaded = modules_after_each(START, DEFERRED)
    light = [module for module in DEFERRED if not any(
        (name in LOADED_LATER or name.split(".")[0] in LOADED_LATER) and name not in started
        for name in loaded[module] - started)]
    assert light == []


def test_the_search_stack_leaves_numpy_out():
    """The index's postings are plain arrays: numpy alone took 13 MiB of the bot's memory."""
    assert "numpy" not in modules_after(f"{START}\nimport store.search_index, domain.answers")
