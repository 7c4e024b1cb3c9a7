"""`python -m bot health` is unhealthy as soon as the bot has stopped (issue 23: it said
healthy for about 90 s, three heartbeats, after the bot was gone)."""

from __future__ import annotations

import json
import signal

from tests.cli.test_failures import bot, running, telegram, wait_for


def health(tmp_path) -> tuple[int, dict]:
    out = bot(tmp_path, "health")
    line, = out.stdout.strip().splitlines()
    return out.returncode, json.loads(line)


def test_a_bot_that_stopped_cleanly_is_unhealthy_at_once(tmp_path):
    with telegram() as api, running(tmp_path, TELEGRAM_API_BASE_URL=f"{api.url}/bot",
                                      HEARTBEAT_SECONDS="30") as (proc, log):
        wait_for(lambda: (tmp_path / "heartbeat.json").is_file()
                 and "getUpdates" in api.methods(), proc, log)
        code, report = health(tmp_path)
        assert code == 0, report
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    code, report = health(tmp_path)
    assert code == 1 and report["problems"] == ["bot_stopped"]
    assert report["heartbeat"]["stopped_at"]


def test_a_bot_that_was_killed_is_unhealthy_at_once(tmp_path):
    with telegram() as api, running(tmp_path, TELEGRAM_API_BASE_URL=f"{api.url}/bot",
                                      HEARTBEAT_SECONDS="30") as (proc, log):
        wait_for(lambda: (tmp_path / "heartbeat.json").is_file(), proc, log)
        assert health(tmp_path)[0] == 0
        proc.send_signal(signal.SIGKILL)  # no chance to say it stopped
        proc.wait(timeout=30)
        code, report = health(tmp_path)
    assert code == 1 and report["problems"] == ["bot_not_running"]
