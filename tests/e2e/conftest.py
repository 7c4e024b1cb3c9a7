"""End-to-end set-up, once per test session:

    fakegram's HTTP front (fakegram/http.py, a thread here)    the Bot API, 127.0.0.1:<free port>
        ▲ HTTP: TELEGRAM_API_BASE_URL / TELEGRAM_FILE_BASE_URL      ▲ HTTP: the users' side
    python -m bot run (a subprocess)                              (tests/e2e/client.py)
        the bot, untouched, on a fresh database (SQLite, or TEST_DATABASE_URL's server)

In webhook mode (the `webhook_world` fixture: its own fake Telegram) the bot runs
`python -m bot run --webhook http://127.0.0.1:<port>/telegram` and the fake POSTs the updates
to it with the secret token header.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import TYPES
from fakegram.http import Background
from tests.e2e.client import ChatUser, Telegram
from tests.support.cli import free_port, run_in_process
from tests.support.databases import Databases

E2E_DIR = Path(__file__).resolve().parent
ROOT = E2E_DIR.parents[1]
TOKEN = "123456:ABC-test"
ADMIN_ID = 1
ORG = {"name": "青岛海都心理健康服务中心", "uscc": "91350100M000100Y43", "district": "崂山区",
       "established": "2019-05-10", "valid-until": "2029-05-09"}
WEBHOOK_SECRET = "e2e-webhook-secret_1"
START_TIMEOUT = 60.0  # the bot's start (imports, migrations, getMe, setMyCommands)


@dataclass
class World:
    """The running system, from the users' side."""

    telegram: Telegram
    invite_code: str
    bot: subprocess.Popen
    log_path: Path
    evidence_dir: Path
    env: dict[str, str]
    webhook_url: str | None = None

    def chat(self, user_id: int, first_name: str = "王芳") -> ChatUser:
        return self.telegram.user(user_id, first_name)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """`python -m bot ARGS` beside the running bot, with its settings (in this process)."""
        return run_in_process(args, env=self.env, cwd=self.log_path.parent, inherit=False)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    """End a process this fixture started: politely, then by force (bounded either way)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    for stream in (proc.stdin, proc.stdout):
        if stream:
            stream.close()


def _bot_env(tmp: Path, url: str, database_url: str) -> dict[str, str]:
    settings = {name.upper() for name in TYPES}
    env = {k: v for k, v in os.environ.items() if k.upper() not in settings}
    env.update({
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{url}/bot",
        "TELEGRAM_FILE_BASE_URL": f"{url}/file/bot",
        "DATABASE_URL": database_url,
        "EVIDENCE_DIR": str(tmp / "evidence"),
        "HEARTBEAT_FILE": str(tmp / "heartbeat.json"),
        "ADMIN_IDS": str(ADMIN_ID),
        "BOT_USERNAME": "unionbot_bot",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        # Telegram's one message a second per chat (after a burst of 3) would make each step of
        # a test's user wait for it: the limiter stays on the path, at a rate no test reaches.
        "CHAT_SEND_RATE": "1000",
    })
    return env


def _create_organisation(env: dict[str, str], cwd: Path) -> str:
    args = ["org", "add", "--json"]
    for key, value in ORG.items():
        args += [f"--{key}", value]
    done = run_in_process(args, env=env, cwd=cwd, inherit=False)
    if done.returncode != 0:
        pytest.fail(f"`python -m bot org add` failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)["invite_code"]


def backends(stack: ExitStack, databases: Databases, tmp: Path) -> tuple[str, Background]:
    """A fresh database and a fake Telegram on HTTP, each ended with `stack`."""
    database_url = databases.create(tmp)
    stack.callback(databases.drop, database_url)
    fake = Background(bot_id=int(TOKEN.split(":")[0]))
    stack.callback(fake.stop)
    return database_url, fake


def ready(telegram: Telegram, method: str) -> bool:
    """Has the bot called `method` (getUpdates: it polls; setWebhook: it listens)?"""
    return any(called == method for called, _ in telegram.state()["calls"])


def _launch(tmp_path_factory: pytest.TempPathFactory, databases: Databases,
            webhook: bool) -> Iterator[World]:
    """A fake Telegram and the bot (polling, or in webhook mode on loopback)."""
    tmp = tmp_path_factory.mktemp("e2e-webhook" if webhook else "e2e")
    with ExitStack() as stack:
        database_url, fake = backends(stack, databases, tmp)
        env = _bot_env(tmp, fake.url, database_url)
        command = [sys.executable, "-m", "bot", "run"]
        webhook_url = None
        if webhook:
            port = free_port()
            webhook_url = f"http://127.0.0.1:{port}/telegram"
            env.update({"WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port),
                        "WEBHOOK_SECRET": WEBHOOK_SECRET, "HEARTBEAT_SECONDS": "1",
                        "LOG_FORMAT": "json"})
            command += ["--webhook", webhook_url]
        invite = _create_organisation(env, tmp)  # cwd tmp: no stray .env is read
        log_path = tmp / "bot.log"
        log = stack.enter_context(log_path.open("w"))
        bot = subprocess.Popen(command, env=env, cwd=tmp, stdin=subprocess.DEVNULL,
                               stdout=log, stderr=subprocess.STDOUT)
        stack.callback(_stop, bot)

        def diagnose() -> str:
            state = telegram.state()
            calls = " ".join(method for method, _ in state["calls"][-12:])
            return (f"latest Bot API calls: {calls}\n"
                    f"webhook deliveries: {state['deliveries'][-8:]}\n"
                    f"bot log ({log_path}):\n{_tail(log_path)}")

        telegram = Telegram(fake.url, diagnose=diagnose)
        stack.callback(telegram.close)
        deadline = time.monotonic() + START_TIMEOUT
        while not ready(telegram, "setWebhook" if webhook else "getUpdates"):
            if bot.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the bot did not start {'webhook mode' if webhook else 'polling'}"
                            f":\n{diagnose()}")
            time.sleep(0.1)
        yield World(telegram, invite, bot, log_path, Path(env["EVIDENCE_DIR"]), env,
                    webhook_url)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[World]:
    yield from _launch(tmp_path_factory, databases, webhook=False)


@pytest.fixture(scope="session")
def webhook_world(tmp_path_factory: pytest.TempPathFactory, databases: Databases
                  ) -> Iterator[World]:
    """The same, with `python -m bot run --webhook URL`: the fake pushes the updates."""
    yield from _launch(tmp_path_factory, databases, webhook=True)
