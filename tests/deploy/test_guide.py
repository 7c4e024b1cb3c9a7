"""docs/deploy.md followed on this machine (issue 23), in a temporary root: the blocks it marks
`<!-- run by tests/deploy/test_guide.py -->` run in order with bash, as root, with the guide's
paths (APP, DATA, LOGS, CACHE, ETC) moved under a temporary folder and BOT_USER the user the
test runs as; the checkout is copied where the guide clones it. The bot the guide installed
(its own virtual environment, pip install included) is started by the guide's line and chatted
with through the fake Telegram (fakegram over HTTP); then health, the metrics and the nightly
backup, as written.

Slow (a virtual environment and pip install): `make test-deploy` runs it (CI: .ci/run), not
`make test`. Needs root (runuser) and a package index pip can use.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e.client import Telegram
from tests.e2e.conftest import ADMIN_ID, TOKEN, _stop, backends, ready
from tests.support.cli import free_port

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
MARK = "<!-- run by tests/deploy/test_guide.py"
BLOCK = re.compile(r"^[ \t]*" + re.escape(MARK) + r"(?::\s*(\w+))?\s*-->\s*\n[ \t]*```sh\n"
                   r"(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
NOT_COPIED = shutil.ignore_patterns(".venv", "var", "node_modules", ".git", "__pycache__",
                                    ".pytest_cache", "*.egg-info", ".ruff_cache")

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.skipif(os.environ.get("UNIONBOT_TEST_DEPLOY") != "1",
                       reason="slow: `make test-deploy` runs it"),
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"),
                       reason="the guide's commands run as root (runuser)"),
]


def blocks() -> list[tuple[str | None, str]]:
    """The guide's tested blocks, in order: (name, script) — the indentation of a block in a
    list item removed."""
    found = []
    for name, body in BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        lines = body.splitlines()
        indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
        found.append((name or None, "\n".join(x[indent:] for x in lines) + "\n"))
    return found


def bash(script: str, env: dict[str, str], cwd: Path, timeout: float = 600
         ) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def moved(paths_block: str, root: Path) -> str:
    """The guide's paths block with each path under `root`, and BOT_USER this user."""
    def under(match: re.Match) -> str:
        return f"{match.group(1)}={root}{match.group(2)}"

    script = re.sub(r"^(APP|DATA|LOGS|CACHE|ETC)=(/\S+)", under, paths_block, flags=re.M)
    return re.sub(r"^BOT_USER=\S+", f"BOT_USER={getpass.getuser()}", script, flags=re.M)


def set_settings(env_file: Path, **values: str) -> None:
    lines = [x for x in env_file.read_text().splitlines() if x.split("=", 1)[0] not in values]
    env_file.write_text("\n".join([*lines, *(f"{k}={v}" for k, v in values.items())]) + "\n")


def test_the_guide_installs_a_bot_that_answers(tmp_path_factory, databases):
    root = tmp_path_factory.mktemp("deploy-root")
    steps = blocks()
    (_, paths), *rest = steps
    assert "APP=" in paths and len(rest) >= 8, [name for name, _ in steps]
    paths = moved(paths, root)
    assert "APP=/opt" not in paths and f"APP={root}/opt/unionbot" in paths
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VIRTUAL_ENV", "PYTHON")) and k != "DATABASE_URL"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if ".venv" not in p)
    app = root / "opt" / "unionbot"

    def run(script: str) -> subprocess.CompletedProcess:
        done = bash(paths + script, env, root)
        assert done.returncode == 0, f"{script}\n--- out\n{done.stdout}\n--- err\n{done.stderr}"
        return done

    folders, install, settings, migrate, start, health, metrics, nightly = (
        script for _, script in rest)
    assert "install -d" in folders and "install --quiet -e" in install and "exec" in start
    run(folders)
    for folder in ("srv/unionbot/evidence", "var/log/unionbot", "var/cache/unionbot"):
        assert (root / folder).is_dir(), folder
    shutil.copytree(ROOT, app, ignore=NOT_COPIED, dirs_exist_ok=True)  # the guide's git clone
    run(install)
    assert (app / ".venv" / "bin" / "python").is_file()
    run(settings)
    env_file = root / "etc" / "unionbot" / "unionbot.env"
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"

    with ExitStack() as stack:
        database_url, fake = backends(stack, databases, root)
        metrics_port = free_port()
        set_settings(env_file, TELEGRAM_BOT_TOKEN=TOKEN, ADMIN_IDS=str(ADMIN_ID),
                     DATABASE_URL=database_url, TELEGRAM_API_BASE_URL=f"{fake.url}/bot",
                     TELEGRAM_FILE_BASE_URL=f"{fake.url}/file/bot",
                     METRICS_PORT=str(metrics_port))
        checked = run(migrate)
        assert len(checked.stdout.strip().splitlines()) == 5 and checked.stderr.strip() == ""

        log = root / "bot.log"
        sink = stack.enter_context(log.open("w"))
        bot = subprocess.Popen(["bash", "-euo", "pipefail", "-c", paths + start], env=env,
                               cwd=root, stdin=subprocess.DEVNULL, stdout=sink,
                               stderr=subprocess.STDOUT)
        stack.callback(_stop, bot)
        deadline = time.monotonic() + 90
        telegram = Telegram(fake.url)
        stack.callback(telegram.close)
        while not ready(telegram, "getUpdates"):
            assert bot.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        chat = telegram.user(5001, "王芳")
        chat.send("/start")
        assert "📊 看评分" in chat.expect("工会服务助手", timeout=30).buttons

        deadline = time.monotonic() + 60
        while not (root / "srv" / "unionbot" / "heartbeat.json").is_file():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert '"healthy": true' in run(health).stdout
        scraped = run(metrics).stdout
        assert 'unionbot_updates_handled_total{handler="start.start"}' in scraped
        backed_up = run(nightly)
        assert "manifest.json" in backed_up.stdout
        assert (root / "var" / "log" / "unionbot" / "backup.log").read_text().strip()

        # SIGTERM to the bot itself, as systemd sends it (runuser, between the shell and the bot,
        # would end it by force 2 s after passing a SIGTERM on)
        heartbeat = json.loads((root / "srv" / "unionbot" / "heartbeat.json").read_text())
        os.kill(heartbeat["pid"], signal.SIGTERM)
        assert bot.wait(timeout=30) == 0, log.read_text()
        after = bash(paths + health, env, root)
        assert after.returncode == 1 and "bot_stopped" in after.stdout
