"""The command line on the test's database: `cli` runs it in the test process (as `python -m
bot` would run it, tests/support/cli.py), `cli_process` as a real child process, for the tests
where the process boundary is the point."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.cli import ROOT, run_in_process, run_process

__all__ = ["ROOT", "run_cli"]


@pytest.fixture
def cli(tmp_path, database_url):
    """`python -m bot …` on this test's database, in this process."""
    return lambda *args: run_cli(tmp_path, database_url, *args)


@pytest.fixture
def cli_process(tmp_path, database_url):
    """`python -m bot …` on this test's database, as a child process."""
    return lambda *args: run_cli(tmp_path, database_url, *args, process=True)


def run_cli(tmp_path, database_url: str, *args: str,
            process: bool = False) -> subprocess.CompletedProcess:
    plain = re.sub(r"^(\w+)\+\w+://", r"\1://", database_url)  # as operators write it
    env = {"DATABASE_URL": plain, "EVIDENCE_DIR": str(tmp_path / "evidence"), "ADMIN_IDS": "1"}
    return (run_process if process else run_in_process)(args, env=env)
