"""The command line through a real subprocess, on the test's database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path, database_url):
    """`python -m bot …` on this test's database."""
    return lambda *args: run_cli(tmp_path, database_url, *args)


def run_cli(tmp_path, database_url: str, *args: str) -> subprocess.CompletedProcess:
    plain = re.sub(r"^(\w+)\+\w+://", r"\1://", database_url)  # as operators write it
    env = {**os.environ, "DATABASE_URL": plain,
           "EVIDENCE_DIR": str(tmp_path / "evidence"), "ADMIN_IDS": "1"}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
