"""What the benchmarks share: a unionbot world on a fresh database talking to its own
`FakeTelegram` in process, a chat driver that goes through the update queue as polling
does, the policy questions, and the bookkeeping of long runs."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from fakegram import FakeTelegram, FakeUser, build_inprocess
from tests.support.chat import Chat

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 23, 10, 0)
ADMIN = 1
PDF = "application/pdf"


def compile_code() -> None:
    """Bytecode for unionbot's own modules, as `pip install` writes it for a deployed bot (and
    as the anchor's python-telegram-bot already has in site-packages). Without it, a shell
    with PYTHONDONTWRITEBYTECODE set (as the project machine's are) makes every timed start
    compile unionbot's sources again: about 0.1 s that no deployed start pays."""
    import compileall

    for package in ("bot", "handlers", "services", "store", "domain", "tests"):
        compileall.compile_dir(REPO / package, quiet=1)


def questions() -> list[str]:
    with (REPO / "tests" / "qa" / "questions.toml").open("rb") as fh:
        return [q["text"] for q in tomllib.load(fh)["q"]]


# ----- unionbot on a fresh database ------------------------------------------------------------


def bench_settings(workdir: Path):
    from bot.settings import Settings

    return Settings(_env_file=None, telegram_bot_token=None,
                    database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
                    evidence_dir=workdir / "evidence", admin_ids=[ADMIN],
                    send_rate=0, chat_send_rate=0)  # rate limits off


@dataclass
class World:
    app: Application
    fake: FakeTelegram
    svc: object
    invite: str


async def unionbot_world(workdir: Path) -> World:
    from bot.app import build_application, build_services
    from services.clock import FixedClock
    from services.people import accounts
    from store.migrate import upgrade_async

    settings = bench_settings(workdir)
    await upgrade_async(settings.database_url)
    svc = build_services(settings, clock=FixedClock(NOW))
    fake = FakeTelegram()
    app = build_application(settings, services=svc, configure=lambda b: build_inprocess(b, fake))
    org = await accounts.create_organization(
        svc, name="青岛海都心理健康服务中心", uscc="91350100M000100Y43", district="崂山区",
        established_on=dt.date(2019, 5, 10), valid_until=dt.date(2029, 5, 9))
    return World(app, fake, svc, org.invite_code)


async def add_organization(world: World, n: int) -> str:
    """Another organisation (n ≥ 1); returns its invite code."""
    from services.people import accounts

    org = await accounts.create_organization(
        world.svc, name=f"基准测试服务中心{n}", uscc=uscc(n), district="市南区",
        established_on=dt.date(2019, 5, 10), valid_until=dt.date(2029, 5, 9))
    return org.invite_code


def uscc(n: int) -> str:
    """A valid unified social credit code (GB 32100-2015 check character), distinct per n."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = f"913702{n:011d}"[:17]
    total = sum(alphabet.index(ch) * w for ch, w in zip(body, weights, strict=True))
    return body + alphabet[(31 - total % 31) % 31]


class QueuedChat(Chat):
    """A `Chat` whose actions go through `app.update_queue`, as getUpdates would deliver them,
    so the application's update processor handles them; each action waits until the
    application has handled every queued update."""

    async def _feed(self, update: Update) -> list[str]:
        self._mark = self.fake.seq
        await self.app.update_queue.put(update)
        await self.app.update_queue.join()
        return self.replies


def chat(app: Application, fake: FakeTelegram, user_id: int, name: str = "王芳") -> QueuedChat:
    return QueuedChat(app, fake, FakeUser(user_id, name))


def forget_sent(fake: FakeTelegram) -> None:
    """Drop what the fake server remembers (calls, sent messages), so a long run measures the
    bot's memory rather than the fake's; keeps each chat's latest message (its buttons)."""
    fake.calls.clear()
    fake.sent.clear()
    fake.callback_answers.clear()
    for messages in fake._bot_messages.values():
        for message_id in sorted(messages)[:-1]:
            del messages[message_id]


def rss_kib() -> tuple[int, int]:
    """(resident, peak resident) of this process, KiB, from /proc/self/status."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]
