"""The benchmark's harness: each bot runs as its own process (`python -m bot run`, and the
anchor, tests/bench/_anchor.py) and long-polls its own `FakeTelegram`, served over real HTTP
on 127.0.0.1 by fakegram's front in this process, rate limits off for both.

The driver sits in this process: it queues an update for getUpdates and awaits what the bot
shows back (as many things as calibration found for that step), with no timer in between.
While unionbot is calibrated, every Bot API call it makes for each user action is recorded
(`Recorder`); the anchor replays that script.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import inspect
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from fakegram import FakeTelegram, FakeUser, SentMessage
from fakegram.http import HttpFront
from tests.bench._harness import ADMIN, REPO, compile_code, forget_sent, questions, uscc
from tests.conversation.conftest import new_project
from tests.support.chat import Chat

ROUNDTRIPS = int(os.environ.get("BENCH_ROUNDTRIPS", "30"))
BLOCKS = 5
CROWD = 20
CROWD_ROUNDS = 5
STARTS = 5
MEMORY_QUESTIONS = 1000
# Milliseconds each Bot API call takes to answer, as over the network to Telegram (0: loopback).
LATENCY_MS = float(os.environ.get("BENCH_LATENCY_MS", "0"))
PDF = "application/pdf"


class WatchedTelegram(FakeTelegram):
    """A fake whose user actions always go to getUpdates. It counts, per chat, what the bot
    shows the user (messages sent, edited or deleted; callback answers), so a driver can await
    the n-th of them; signals the first getUpdates; and, while `script` is a dict, records the
    bot's calls per user action (the anchor's script)."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: Counter[int] = Counter()
        self._waits: list[tuple[int, int, asyncio.Future[None]]] = []
        self._activity = asyncio.Event()
        self.first_poll = asyncio.Event()
        self.on_send = lambda message: self._hit(message.chat_id)
        self.on_answer = lambda answer: self._hit(answer["user_id"])
        self.script: dict | None = None
        self._recording: list | None = None

    def _hit(self, chat_id: int) -> None:
        self.shown[chat_id] += 1
        self._activity.set()
        for wait in list(self._waits):
            chat, target, future = wait
            if chat == chat_id and self.shown[chat] >= target and not future.done():
                future.set_result(None)
                self._waits.remove(wait)

    async def until(self, chat_id: int, target: int, timeout: float = 60) -> None:
        """Wait until chat `chat_id` has been shown `target` things in all."""
        if self.shown[chat_id] >= target:
            return
        future = asyncio.get_running_loop().create_future()
        self._waits.append((chat_id, target, future))
        await asyncio.wait_for(future, timeout)

    async def quiet(self, seconds: float = 0.4) -> None:
        """Wait until the bot has shown nothing for `seconds` (calibration only)."""
        while True:
            self._activity.clear()
            try:
                await asyncio.wait_for(self._activity.wait(), seconds)
            except TimeoutError:
                return

    def _record(self, kind: str, key: str) -> None:
        if self.script is not None:
            self._recording = self.script.setdefault(kind, {}).setdefault(key, [])
            self._recording.clear()

    def user_message(self, user, text, *, queue=True):  # noqa: ARG002 - always queued
        self._record("texts", text if text.startswith("/") else "?")
        return super().user_message(user, text)

    def user_press(self, user, message_id, callback_data, *, queue=True):  # noqa: ARG002
        self._record("presses", callback_data)
        return super().user_press(user, message_id, callback_data)

    def user_document(self, user, data, file_name, mime_type, caption=None, *, queue=True):  # noqa: ARG002
        self._record("documents", "document")
        return super().user_document(user, data, file_name, mime_type, caption)

    async def call(self, method, params, files):
        if method == "getUpdates":
            self.first_poll.set()
        elif self._recording is not None and self.script is not None:
            self._recording.append([method, params, {
                part: [name, base64.b64encode(data).decode(), mime]
                for part, (name, data, mime) in files.items()}])
        return await super().call(method, params, files)

    def save_script(self, path: Path) -> None:
        script = dict(self.script or {})
        script["document"] = script.pop("documents", {}).get("document", [])
        path.write_text(json.dumps(script, ensure_ascii=False), encoding="utf-8")


class HttpChat(Chat):
    """`Chat`'s actions against a bot polling `fake` over HTTP. With `expected` None an
    action waits for a first reply and then until the bot has been quiet a moment; with
    `expected` n it waits for exactly n things shown (what calibration found), no timer."""

    def __init__(self, fake: WatchedTelegram, user: FakeUser) -> None:  # noqa: D107
        self.app = None
        self.fake = fake
        self.user = user
        self.settle_timeout = 60.0
        self.expected: int | None = None
        fake.add_user(user)
        self._mark = fake.seq

    async def act(self, action) -> int:
        """Run `action` (a user action on the fake); the number of things shown in reply."""
        self._mark = self.fake.seq
        before = self.fake.shown[self.user.id]
        done = action()
        if inspect.isawaitable(done):
            await done
        if self.expected is None:  # the first reply, then a quiet moment
            await self.fake.until(self.user.id, before + 1, self.settle_timeout)
            await self.fake.quiet()
        else:
            await self.fake.until(self.user.id, before + self.expected, self.settle_timeout)
        return self.fake.shown[self.user.id] - before

    async def send(self, text: str) -> list[str]:
        await self.act(lambda: self.fake.user_message(self.user, text))
        return self.replies

    async def press(self, label: str) -> list[str]:
        found = self._button(label)
        if found is None:
            raise AssertionError(f"no button {label!r}; buttons now: {self._all_labels()}")
        message, data = found
        await self.act(lambda: self.fake.user_press(self.user, message.message_id, data))
        return self.replies

    async def upload(self, data: bytes, file_name: str, mime_type: str = PDF,
                     caption: str | None = None) -> list[str]:
        await self.act(lambda: self.fake.user_document(self.user, data, file_name, mime_type,
                                                       caption))
        return self.replies

    def _button(self, label: str) -> tuple[SentMessage, str] | None:
        for message in reversed(self.messages):
            for row in message.keyboard if message.is_inline else ():
                for button in row:
                    if button["text"] == label and "callback_data" in button:
                        return message, button["callback_data"]
        return None


def _env(workdir: Path, front: HttpFront, database: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1",
            "TELEGRAM_BOT_TOKEN": "123:FAKE",
            "TELEGRAM_API_BASE_URL": front.base_url, "TELEGRAM_FILE_BASE_URL": front.file_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / database}",
            "EVIDENCE_DIR": str(workdir / "evidence"), "ADMIN_IDS": str(ADMIN),
            "HEARTBEAT_FILE": str(workdir / "heartbeat.json"),
            "SEND_RATE": "0", "CHAT_SEND_RATE": "0"}  # rate limits off, as for the anchor


@contextlib.asynccontextmanager
async def bot_process(kind: str, workdir: Path, database: str = "bench.db",
                      ) -> AsyncIterator[tuple[WatchedTelegram, float, int]]:
    """Start a bot process ("unionbot", or "anchor" replaying workdir/anchor.json) polling a
    fresh fake over HTTP; yields (the fake, seconds from the process's start to its first
    getUpdates, pid). The process is killed after."""
    workdir.mkdir(parents=True, exist_ok=True)
    fake = WatchedTelegram()
    front = HttpFront(fake, latency=LATENCY_MS / 1000)
    args = (["-m", "bot", "run"] if kind == "unionbot" else
            ["-m", "tests.bench._anchor", front.base_url, front.file_url,
             str(workdir.parent / "anchor.json")])
    try:
        with (workdir / f"{kind}.log").open("ab") as log:
            started = time.perf_counter()
            child = await asyncio.create_subprocess_exec(
                sys.executable, *args, cwd=workdir, env=_env(workdir, front, database),
                stdout=log, stderr=log)
        try:
            waiting = asyncio.ensure_future(fake.first_poll.wait())
            ended = asyncio.ensure_future(child.wait())
            await asyncio.wait({waiting, ended}, timeout=600,
                               return_when=asyncio.FIRST_COMPLETED)
            if not fake.first_poll.is_set():
                waiting.cancel()
                raise RuntimeError(f"{kind} did not poll (exit {child.returncode}); "
                                   f"see {workdir / f'{kind}.log'}")
            ended.cancel()
            yield fake, time.perf_counter() - started, child.pid
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
    finally:
        front.stop()


async def first_poll_seconds(workdir: Path, database: str) -> float:
    """Seconds from the start of `python -m bot run` on workdir/database to its first poll."""
    async with bot_process("unionbot", workdir, database) as (_, seconds, _):
        return seconds


async def prepare_database(workdir: Path, organizations: int) -> list[str]:
    """A migrated database with `organizations` organisations; their invite codes."""
    from bot.app import build_services
    from bot.settings import Settings
    from services.people import accounts
    from store.migrate import upgrade_async

    workdir.mkdir(parents=True, exist_ok=True)
    settings = Settings(_env_file=None, telegram_bot_token=None,
                        database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
                        evidence_dir=workdir / "evidence", admin_ids=[ADMIN])
    await upgrade_async(settings.database_url)
    svc = build_services(settings)
    codes = []
    for n in range(organizations):
        org = await accounts.create_organization(
            svc, name=f"基准测试服务中心{n}", uscc=uscc(n + 1), district="市南区",
            established_on=dt.date(2019, 5, 10), valid_until=dt.date(2029, 5, 9))
        codes.append(org.invite_code)
    await svc.sessions.kw["bind"].dispose()
    return codes


Step = Callable[[int], Awaitable[object]]


async def _calibrate(chat: HttpChat, step: Step) -> None:
    """Run the step twice (both phases of steps that alternate) until the bot falls quiet;
    from then on each step waits for exactly that many things shown."""
    chat.expected = None
    counts = set()
    for i in range(2):
        before = chat.fake.shown[chat.user.id]
        await step(i)
        counts.add(chat.fake.shown[chat.user.id] - before)
    if len(counts) != 1 or 0 in counts:
        raise RuntimeError(f"replies per step vary or are missing: {counts}")
    chat.expected = counts.pop()


async def _block(chat: HttpChat, step: Step) -> float:
    """Round trips a second over ROUNDTRIPS sequential steps; checks nothing came late."""
    before = chat.fake.shown[chat.user.id]
    started = time.perf_counter()
    for i in range(ROUNDTRIPS):
        await step(i)
    rate = ROUNDTRIPS / (time.perf_counter() - started)
    expected = chat.expected
    chat.expected = None
    await chat.fake.quiet(0.2)
    chat.expected = expected
    shown = chat.fake.shown[chat.user.id] - before
    if shown != expected * ROUNDTRIPS:
        raise RuntimeError(f"{shown} things shown for {ROUNDTRIPS} steps of {expected}")
    forget_sent(chat.fake)
    return rate


async def _crowd(chats: list[HttpChat], text: str) -> list[float]:
    """Every user sends `text` at the same moment; seconds until each one's last reply."""
    fake = chats[0].fake
    started = time.perf_counter()

    async def one(chat: HttpChat) -> float:
        await chat.act(lambda: fake.user_message(chat.user, text))
        return time.perf_counter() - started

    times = await asyncio.gather(*(one(c) for c in chats))
    forget_sent(fake)
    return list(times)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


def _steps(me: HttpChat) -> dict[str, Step]:
    """The measured interactions, for either bot (the anchor's chat shows unionbot's
    messages and buttons, so the same presses work on both)."""
    pool = questions()

    async def question(i: int) -> None:
        await me.send(pool[i % len(pool)])

    async def start(_i: int) -> None:
        await me.send("/start")

    async def score(_i: int) -> None:
        await me.send("/score")

    first: list[str] = []  # the checklist's first criterion, by name (its mark changes)

    async def walk(_i: int) -> None:
        marked = {b[2:]: b for b in me.buttons if b.startswith(("⬜", "◐", "✅"))}
        first[:] = first or list(marked)[:1]
        if first[0] in marked:  # open the first criterion of the checklist …
            await me.press(marked[first[0]])
        else:  # … and go back to it
            await me.press(next(b for b in me.buttons if "返回" in b))

    async def upload(i: int) -> None:
        await me.upload(b"%PDF-1.4 bench " + str(i).encode() + os.urandom(8), f"材料{i}.pdf")

    return {"question": question, "start": start, "score": score, "walk_press": walk,
            "upload": upload}


async def _into(me: HttpChat, step: str) -> None:
    """Where a step starts: the checklist for the walk, the next item for an upload."""
    if step in ("walk_press", "upload"):
        expected, me.expected = me.expected, None
        await me.send("/submit")  # the checklist, or the item last opened
        if step == "walk_press" and "◀ 返回清单" in me.buttons:
            await me.press("◀ 返回清单")
        if step == "upload" and "◀ 返回清单" not in me.buttons:
            await me.press(next(b for b in me.buttons if b.startswith("➡️")))
        me.expected = expected


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _crowds(groups: dict[str, list[HttpChat]], pids: dict[str, int]) -> dict:
    rounds: dict[str, list[list[float]]] = {kind: [] for kind in groups}
    cpu: dict[str, list[float]] = {kind: [] for kind in groups}  # the bot process's, a round
    for chats in groups.values():  # calibrate: what one /score shows each user
        for chat in chats:
            before = chat.fake.shown[chat.user.id]
            chat.expected = None
            await chat.send("/score")
            chat.expected = chat.fake.shown[chat.user.id] - before
    for _ in range(CROWD_ROUNDS):
        for kind, chats in groups.items():
            before = _cpu_s(pids[kind])
            rounds[kind].append(await _crowd(chats, "/score"))
            cpu[kind].append(_cpu_s(pids[kind]) - before)
    crowd = {f"{kind}_{name}_ms": round(statistics.median(_p(r, q) for r in runs) * 1000, 1)
             for kind, runs in rounds.items() for name, q in (("p50", 0.5), ("p95", 0.95))}
    crowd.update({f"{kind}_cpu_ms_per_round": round(statistics.median(s) * 1000)
                  for kind, s in cpu.items()})
    crowd["p95_ratio"] = round(crowd["unionbot_p95_ms"] / crowd["anchor_p95_ms"], 2)
    return crowd


def _user(n: int) -> FakeUser:
    return FakeUser(2000 + n, f"职工{n}")


async def interactive(workdir: Path) -> dict:
    """Each interaction's round trips a second, the anchor's and unionbot's in alternating
    blocks (the fastest block of each counts); then 20 users' /score at once."""
    codes = await prepare_database(workdir / "unionbot", CROWD)
    figures: dict = {}
    steps: dict[str, dict[str, Step]] = {}
    async with bot_process("unionbot", workdir / "unionbot") as (fake, _, pid):
        members = []
        for n, code in enumerate(codes):
            member = HttpChat(fake, _user(n))
            await member.send(f"/start {code}")
            await new_project(member, f"职工服务项目{n}")
            members.append(member)
        me = members[0]
        started = time.perf_counter()
        await me.send("/score")
        figures["first_score_s_incl_quiet_0.4s"] = round(time.perf_counter() - started, 3)
        fake.script = {}  # record what unionbot calls, for the anchor
        steps["unionbot"] = _steps(me)
        shown: dict[str, int | None] = {}
        for name, step in steps["unionbot"].items():
            await _into(me, name)
            await _calibrate(me, step)
            shown[name] = me.expected
        await members[1].send("/score")
        fake.save_script(workdir / "anchor.json")
        fake.script = fake._recording = None
        async with bot_process("anchor", workdir / "anchor") as (anchor, _, anchor_pid):
            anchors = [HttpChat(anchor, _user(n)) for n in range(CROWD)]
            anchor_me = anchors[0]
            steps["anchor"] = _steps(anchor_me)
            for name in steps["unionbot"]:
                rates: dict[str, list[float]] = {"anchor": [], "unionbot": []}
                await _into(anchor_me, name)
                await _calibrate(anchor_me, steps["anchor"][name])
                await _into(me, name)
                me.expected = shown[name]
                for _ in range(BLOCKS):
                    for kind, chat in (("anchor", anchor_me), ("unionbot", me)):
                        rates[kind].append(await _block(chat, steps[kind][name]))
                best = {kind: max(r) for kind, r in rates.items()}  # other work only slows
                figures[name] = {"anchor_per_s": round(best["anchor"], 1),
                                 "unionbot_per_s": round(best["unionbot"], 1),
                                 "ratio": round(best["unionbot"] / best["anchor"], 2),
                                 "things_shown_per_step": me.expected}
            figures["crowd_score"] = await _crowds({"anchor": anchors, "unionbot": members},
                                                   {"anchor": anchor_pid, "unionbot": pid})
    return figures


async def startup(workdir: Path) -> dict:
    """Seconds from the process's start to its first getUpdates, and the CPU seconds the
    process used by then (user + system, /proc/PID/stat)."""
    times: dict[str, list[float]] = {"anchor": [], "unionbot": []}
    cpu: dict[str, list[float]] = {"anchor": [], "unionbot": []}
    compile_code()
    await prepare_database(workdir / "unionbot", 1)  # migrated, as a service restarts
    for run in range(STARTS + 1):  # the first start of each warms the file cache
        for kind in times:
            async with bot_process(kind, workdir / kind) as (_, seconds, pid):
                if run:
                    times[kind].append(seconds)
                    cpu[kind].append(_cpu_s(pid))
    anchor, bot = statistics.median(times["anchor"]), statistics.median(times["unionbot"])
    anchor_cpu, bot_cpu = statistics.median(cpu["anchor"]), statistics.median(cpu["unionbot"])
    return {"anchor_s": round(anchor, 2), "unionbot_s": round(bot, 2),
            "ratio": round(bot / anchor, 2),
            "each_s": {kind: [round(t, 2) for t in ts] for kind, ts in times.items()},
            "cpu_anchor_s": round(anchor_cpu, 2), "cpu_unionbot_s": round(bot_cpu, 2),
            "cpu_ratio": round(bot_cpu / anchor_cpu, 2)}


def _rss_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


async def memory(workdir: Path) -> dict:
    """unionbot's resident memory: idle after start, after MEMORY_QUESTIONS questions, a full
    walk of the checklist (every criterion opened and closed) and /score; and the peak."""
    codes = await prepare_database(workdir / "unionbot", 1)
    pool = questions()
    async with bot_process("unionbot", workdir / "unionbot") as (fake, _, pid):
        chat = HttpChat(fake, _user(0))
        await chat.send(f"/start {codes[0]}")
        await new_project(chat, "职工服务项目")
        await _calibrate(chat, lambda i: chat.send(pool[i % len(pool)]))
        idle = _rss_mib(pid)["VmRSS"]
        for i in range(MEMORY_QUESTIONS):
            await chat.send(pool[i % len(pool)])
            if i % 50 == 49:
                forget_sent(fake)
        chat.expected = None
        await chat.send("/submit")
        criteria = [b for b in chat.buttons if b.startswith(("⬜", "◐", "✅"))]
        for criterion in criteria:
            await chat.press(criterion)
            await chat.press(next(b for b in chat.buttons if "返回" in b))
        await chat.send("/score")
        now = _rss_mib(pid)
    return {"idle": idle, "after": now["VmRSS"], "peak": now["VmHWM"],
            "criteria_walked": len(criteria)}


async def run_all(workdir: Path, parts: list[str]) -> dict:
    figures: dict = {}
    if "interactive" in parts:
        figures = await interactive(workdir / "interactive")
    if "startup" in parts:
        figures["startup_to_first_poll"] = await startup(workdir / "startup")
    if "memory" in parts:
        figures["memory_mib"] = await memory(workdir / "memory")
    return figures
