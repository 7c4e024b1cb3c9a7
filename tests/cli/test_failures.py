"""What an operator sees when the bot cannot reach what it needs (issue 23): one line naming
what failed, what was tried and what to check, an exit status per kind (bot/runtime/failures.py),
never a traceback; a Bot API unreachable at start-up is tried again with growing pauses.
`python -m bot run` runs as a real process here (start-up, its exit status, SIGTERM); the other
commands in this process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.runtime.failures import EXIT_DATABASE, EXIT_MIGRATION, EXIT_TELEGRAM
from bot.settings import TYPES
from fakegram.http import Background
from store.migrate import script_heads
from tests.support.cli import free_port, run_in_process, run_process

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:ABC-test"
BOT_ID = int(TOKEN.split(":")[0])


def environment(tmp_path: Path, **env: str) -> dict[str, str]:
    """The bot's settings for this test only (none inherited), SQLite in tmp_path."""
    settings = {name.upper() for name in TYPES}
    full = {k: v for k, v in os.environ.items() if k.upper() not in settings}
    full.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
                 "EVIDENCE_DIR": str(tmp_path / "evidence"),
                 "HEARTBEAT_FILE": str(tmp_path / "heartbeat.json"),
                 "TELEGRAM_BOT_TOKEN": TOKEN, "SEND_ATTEMPTS": "1",
                 "PYTHONPATH": str(ROOT), **env})
    return full


def bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` with this test's settings, in this process; `run` as a process."""
    run = run_process if "run" in args else run_in_process
    return run(args, env=environment(tmp_path, **env), cwd=tmp_path, inherit=False)


def telegram(**options: object) -> Background:
    """A fake Telegram (fakegram) on loopback for the bot with TOKEN."""
    return Background(bot_id=BOT_ID, **options)


@contextmanager
def running(tmp_path: Path, **env: str) -> Iterator[tuple[subprocess.Popen, Path]]:
    """`python -m bot run` in the background (its output in tmp_path/bot.log); stopped with
    SIGTERM at the end if still running."""
    log = tmp_path / "bot.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path,
                                env=environment(tmp_path, **env), stdin=subprocess.DEVNULL,
                                stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen, log: Path,
             seconds: float = 60) -> None:
    """Until `condition()` holds; fails with the bot's log if the bot ends or time runs out."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


def one_line(out: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in out.stderr, out.stderr
    return out.stderr.strip().splitlines()[-1]


def test_run_without_a_reachable_bot_api_tries_again_then_says_what_to_check(tmp_path):
    closed = free_port()
    out = bot(tmp_path, "--lang", "en", "run",
              TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{closed}/bot", STARTUP_WAIT_S="3.5")
    assert out.returncode == EXIT_TELEGRAM, out.stderr
    line = one_line(out)
    assert f"127.0.0.1:{closed}" in line and "TELEGRAM_PROXY_URL" in line
    assert "TELEGRAM_API_BASE_URL" in line and TOKEN not in out.stderr
    tries = [t for t in out.stderr.splitlines() if "did not answer" in t]
    assert [t.split("next in ")[1].split()[0] for t in tries] == ["1", "2"]  # growing pauses


def test_a_bot_api_that_comes_back_during_the_start_is_used(tmp_path):
    port = free_port()
    with running(tmp_path, TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot",
                 STARTUP_WAIT_S="120") as (proc, log):
        wait_for(lambda: "did not answer" in log.read_text(), proc, log)
        with telegram(port=port) as api:  # the network is back
            wait_for(lambda: "getUpdates" in api.methods(), proc, log)
            proc.terminate()
            assert proc.wait(timeout=30) == 0
    assert "Traceback" not in log.read_text()


def test_a_token_telegram_refuses_is_named_without_retrying(tmp_path):
    with telegram(token="123456:another") as api:  # Telegram knows no bot by TOKEN
        out = bot(tmp_path, "run", TELEGRAM_API_BASE_URL=f"{api.url}/bot", STARTUP_WAIT_S="60")
    assert out.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in one_line(out) and TOKEN not in out.stderr
    assert api.methods() == ["getMe"]


def test_an_unreachable_database_is_one_line_naming_it_without_its_password(tmp_path):
    closed = free_port()
    url = f"postgresql://unionbot:s3cretpw@127.0.0.1:{closed}/unionbot"
    for args in (("db", "upgrade"), ("run",)):
        out = bot(tmp_path, "--lang", "en", *args, DATABASE_URL=url)
        assert out.returncode == EXIT_DATABASE, out.stderr
        line = one_line(out)
        assert len(out.stderr.strip().splitlines()) == 1
        assert f"127.0.0.1:{closed}/unionbot" in line and "DATABASE_URL" in line
        assert "s3cretpw" not in out.stderr


def test_an_address_that_is_no_database_address_is_named(tmp_path):
    out = bot(tmp_path, "db", "upgrade", DATABASE_URL="postgres//unionbot:s3cretpw@db/unionbot")
    assert out.returncode == EXIT_DATABASE, out.stderr
    line = one_line(out)
    assert "postgres//unionbot" in line and "postgresql://" in line and "s3cretpw" not in line


def test_an_unknown_revision_is_one_line_naming_it_and_the_head(tmp_path):
    out = bot(tmp_path, "--lang", "en", "db", "upgrade", "nosuchrev")
    assert out.returncode == EXIT_MIGRATION, out.stderr
    line = one_line(out)
    assert len(out.stderr.strip().splitlines()) == 1
    head, = script_heads()
    assert "nosuchrev" in line and head in line and str(tmp_path / "bot.db") in line
