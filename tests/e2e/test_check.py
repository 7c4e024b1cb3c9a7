"""`python -m bot check` beside the running bot, against the fake Telegram over HTTP: every part
reached, one line each."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_check_reaches_everything_the_running_bot_uses(world):
    out = world.cli("--lang", "en", "check")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "database", "migrations", "proxy", "bot_api", "webhook"]
    assert all(": ok" in line for line in lines), lines
