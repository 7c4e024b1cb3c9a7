"""`python -m bot health` from outside the running bot, and `run --webhook` refusing to start
without a usable secret."""

from __future__ import annotations

import json
import subprocess
import time

from services.health import Monitor, beat
from tests.support.cli import run_in_process, run_process


def cli(tmp_path, *args: str, process: bool = False, **env: str) -> subprocess.CompletedProcess:
    """In-process, or with `process=True` as a real `python -m bot`."""
    full = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "HEARTBEAT_FILE": str(tmp_path / "heartbeat.json"), "HEARTBEAT_SECONDS": "10",
            "WEBHOOK_SECRET": "", **env}
    return (run_process if process else run_in_process)(args, env=full)


def health(tmp_path, process: bool = False) -> tuple[int, dict]:
    out = cli(tmp_path, "health", process=process)
    line, = out.stdout.strip().splitlines()
    return out.returncode, json.loads(line)


def test_health_needs_the_database_at_head_and_a_fresh_heartbeat(tmp_path):
    code, report = health(tmp_path, process=True)  # as a supervisor runs it: its exit status
    assert code == 1 and "database_unreachable" in report["problems"]  # no database yet

    assert cli(tmp_path, "db", "upgrade", "0002").returncode == 0
    code, report = health(tmp_path)
    assert code == 1 and report["problems"] == ["migrations_not_at_head", "no_heartbeat"]

    assert cli(tmp_path, "db", "upgrade").returncode == 0
    monitor = Monitor(mode="polling", started_at=time.time() - 60)
    monitor.handled(time.time() - 5)
    beat(tmp_path / "heartbeat.json", monitor, time.time(), 4242)
    code, report = health(tmp_path)
    assert code == 0 and report["healthy"] and report["problems"] == []
    assert report["heartbeat"]["pid"] == 4242 and report["heartbeat"]["last_update_at"]

    beat(tmp_path / "heartbeat.json", monitor, time.time() - 31, 4242)  # 3 beats missed
    code, report = health(tmp_path)
    assert code == 1 and report["problems"] == ["heartbeat_stale"]


def test_webhook_mode_refuses_to_start_without_a_secret(tmp_path):
    for secret in ("", "has spaces"):
        out = cli(tmp_path, "run", "--webhook", "https://bot.example.org/telegram",
                  TELEGRAM_BOT_TOKEN="123456:ABC-test", WEBHOOK_SECRET=secret)
        assert out.returncode == 2 and out.stdout == ""
        assert "WEBHOOK_SECRET" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    out = cli(tmp_path, "run", "--webhook", "bot.example.org/telegram",
              TELEGRAM_BOT_TOKEN="123456:ABC-test", WEBHOOK_SECRET="s3cret")
    assert out.returncode == 2 and "--webhook" in out.stderr


async def test_healthz_report_is_unhealthy_when_jobs_stop_or_the_database_is_gone(
        migrated_database_url, databases):
    from services import health

    url = migrated_database_url
    monitor = Monitor(mode="webhook", started_at=time.time() - 10)
    report = await health.live(url, monitor, jobs_running=True, now=time.time())
    assert report.healthy and report.to_dict()["last_update_at"] is None  # quiet is fine
    report = await health.live(url, monitor, jobs_running=False, now=time.time())
    assert report.problems == ("jobs_not_running",)
    databases.drop(url)
    gone = await health.live(url, monitor, jobs_running=True, now=time.time())
    assert gone.problems == ("database_unreachable",)
