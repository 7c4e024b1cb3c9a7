"""End-to-end set-up, once per test session:

    telegram-test-api (node, tests/e2e/emulator.js)   the Bot API emulator, 127.0.0.1:<free port>
        ▲ HTTP                       ▲ HTTP (user side: tests/e2e/client.py)
    RepairProxy (tests/e2e/proxy.py, a thread here)   repairs the emulator's answers
        ▲ HTTP: TELEGRAM_API_BASE_URL / TELEGRAM_FILE_BASE_URL
    python -m bot run (a subprocess)                  the bot, untouched, on a fresh database
                                                      (SQLite, or TEST_DATABASE_URL's server)

In webhook mode (the `webhook_world` fixture: its own emulator and proxy) the bot runs
`python -m bot run --webhook http://127.0.0.1:<port>/telegram` and the proxy POSTs the
updates to it with the secret token header.

`npm ci` runs in tests/e2e when telegram-test-api is not installed there yet; without node/npm,
or when the install fails (no registry), every e2e test is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import TYPES
from tests.e2e.client import ChatUser, Emulator
from tests.e2e.proxy import RepairProxy
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

    emulator: Emulator
    proxy: RepairProxy
    invite_code: str
    bot: subprocess.Popen
    log_path: Path
    evidence_dir: Path
    env: dict[str, str]
    webhook_url: str | None = None

    def chat(self, user_id: int, first_name: str = "王芳") -> ChatUser:
        return self.emulator.user(user_id, first_name)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _install_emulator() -> str:
    """node's path, after `npm ci` if needed; skips the e2e tests when that cannot be had."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("e2e: node and npm are needed for the Bot API emulator (telegram-test-api) "
                    "and were not found on PATH")
    if (E2E_DIR / "node_modules" / "telegram-test-api" / "package.json").is_file():
        return node
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error",
               "--fetch-retries=1", "--fetch-retry-mintimeout=1000",
               "--fetch-retry-maxtimeout=5000"]  # no registry: give up within seconds
    try:
        done = subprocess.run(command, cwd=E2E_DIR, capture_output=True, text=True, timeout=240)
    except (subprocess.TimeoutExpired, OSError) as exc:
        pytest.skip(f"e2e: `npm ci` in tests/e2e did not finish ({exc}); no npm registry?")
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines()
                  if line.strip() and "complete log" not in line and "nodedir" not in line]
        why = " / ".join(errors[:3]) or f"exit status {done.returncode}"
        pytest.skip(f"e2e: `npm ci` in tests/e2e failed (no npm registry?): {why}")
    return node


def _start_emulator(stack: ExitStack, node: str, log: Path) -> str:
    err = stack.enter_context(log.open("w"))
    proc = subprocess.Popen([node, "emulator.js"], cwd=E2E_DIR, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=err, text=True)
    stack.callback(_stop, proc, close_stdin=True)
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        if selector.select(timeout=0.2):
            line = proc.stdout.readline()
            if line.startswith("READY "):
                selector.close()
                return f"http://127.0.0.1:{int(line.split()[1])}"
    selector.close()
    pytest.fail(f"the emulator did not start:\n{_tail(log)}")


def _stop(proc: subprocess.Popen, close_stdin: bool = False) -> None:
    """End a process this fixture started: politely, then by force (bounded either way)."""
    if proc.poll() is None:
        if close_stdin and proc.stdin:
            proc.stdin.close()
        else:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    for stream in (proc.stdin, proc.stdout):
        if stream:
            stream.close()


def _bot_env(tmp: Path, proxy_url: str, database_url: str) -> dict[str, str]:
    settings = {name.upper() for name in TYPES}
    env = {k: v for k, v in os.environ.items() if k.upper() not in settings}
    env.update({
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{proxy_url}/bot",
        "TELEGRAM_FILE_BASE_URL": f"{proxy_url}/file/bot",
        "DATABASE_URL": database_url,
        "EVIDENCE_DIR": str(tmp / "evidence"),
        "HEARTBEAT_FILE": str(tmp / "heartbeat.json"),
        "ADMIN_IDS": str(ADMIN_ID),
        "BOT_USERNAME": "unionbot_bot",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _create_organisation(env: dict[str, str], cwd: Path) -> str:
    args = [sys.executable, "-m", "bot", "org", "add", "--json"]
    for key, value in ORG.items():
        args += [f"--{key}", value]
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.fail(f"`python -m bot org add` failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)["invite_code"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def backends(stack: ExitStack, databases: Databases, node: str, tmp: Path
             ) -> tuple[str, str, RepairProxy]:
    """A fresh database, the emulator and its repair proxy, each ended with `stack`:
    (database URL, emulator URL, proxy)."""
    database_url = databases.create(tmp)
    stack.callback(databases.drop, database_url)
    emulator_url = _start_emulator(stack, node, tmp / "emulator.log")
    proxy = RepairProxy(emulator_url, TOKEN).start()
    stack.callback(proxy.stop)
    return database_url, emulator_url, proxy


def _launch(tmp_path_factory: pytest.TempPathFactory, databases: Databases,
            webhook: bool) -> Iterator[World]:
    """An emulator, its repair proxy and the bot (polling, or in webhook mode on loopback)."""
    node = _install_emulator()
    tmp = tmp_path_factory.mktemp("e2e-webhook" if webhook else "e2e")
    with ExitStack() as stack:
        database_url, emulator_url, proxy = backends(stack, databases, node, tmp)
        env = _bot_env(tmp, proxy.url, database_url)
        command = [sys.executable, "-m", "bot", "run"]
        ready = proxy.polling
        webhook_url = None
        if webhook:
            port = _free_port()
            webhook_url = f"http://127.0.0.1:{port}/telegram"
            env.update({"WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port),
                        "WEBHOOK_SECRET": WEBHOOK_SECRET, "HEARTBEAT_SECONDS": "1",
                        "LOG_FORMAT": "json"})
            command += ["--webhook", webhook_url]
            ready = proxy.webhook_set
        invite = _create_organisation(env, tmp)  # cwd tmp: no stray .env is read
        log_path = tmp / "bot.log"
        log = stack.enter_context(log_path.open("w"))
        bot = subprocess.Popen(command, env=env, cwd=tmp, stdin=subprocess.DEVNULL,
                               stdout=log, stderr=subprocess.STDOUT)
        stack.callback(_stop, bot)

        def diagnose() -> str:
            state = proxy.snapshot()
            calls = " ".join(method for method, _ in state["calls"][-12:])
            return (f"latest Bot API calls: {calls}\nunsupported: {state['unsupported']}\n"
                    f"webhook deliveries: {state['deliveries'][-8:]}\n"
                    f"bot log ({log_path}):\n{_tail(log_path)}")

        deadline = time.monotonic() + START_TIMEOUT
        while not ready.wait(0.1):
            if bot.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the bot did not start {'webhook mode' if webhook else 'polling'}"
                            f":\n{diagnose()}")
        emulator = Emulator(emulator_url, TOKEN, proxy.url, diagnose=diagnose)
        stack.callback(emulator.close)
        yield World(emulator, proxy, invite, bot, log_path, Path(env["EVIDENCE_DIR"]), env,
                    webhook_url)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[World]:
    yield from _launch(tmp_path_factory, databases, webhook=False)


@pytest.fixture(scope="session")
def webhook_world(tmp_path_factory: pytest.TempPathFactory, databases: Databases
                  ) -> Iterator[World]:
    """The same, with `python -m bot run --webhook URL`: Telegram's pushes come from the proxy."""
    yield from _launch(tmp_path_factory, databases, webhook=True)
