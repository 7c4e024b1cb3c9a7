"""The bot-against-echo benchmark over real HTTP (issue 13): each bot runs as its own process
(`python -m bot run`, and tests/bench/_echo.py) and long-polls its own `FakeTelegram` served by
tornado on 127.0.0.1 in this process (tests/bench/_http.py), rate limits off for both.

The driver sits in this process: it queues an update for getUpdates and awaits the replies
the bot sends back (as many as calibration found for that step), with no timer in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from tests.bench._harness import (
    ADMIN,
    REPO,
    compile_code,
    forget_sent,
    questions,
    upload_steps,
    uscc,
)
from tests.bench._http import HttpChat, HttpFront, WatchedTelegram
from tests.conversation.conftest import new_project

ROUNDTRIPS = int(os.environ.get("BENCH_ROUNDTRIPS", "30"))
BLOCKS = 5
CROWD = 20
CROWD_ROUNDS = 5
STARTS = 5
MEMORY_QUESTIONS = 1000


def _env(workdir: Path, front: HttpFront) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1",
            "TELEGRAM_BOT_TOKEN": "123:FAKE",
            "TELEGRAM_API_BASE_URL": front.base_url, "TELEGRAM_FILE_BASE_URL": front.file_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            "EVIDENCE_DIR": str(workdir / "evidence"), "ADMIN_IDS": str(ADMIN),
            "HEARTBEAT_FILE": str(workdir / "heartbeat.json"),
            "SEND_RATE": "0", "CHAT_SEND_RATE": "0"}  # rate limits off, as for the echo bot


@contextlib.asynccontextmanager
async def fake_front(_workdir: Path) -> AsyncIterator[tuple[WatchedTelegram, HttpFront]]:
    """A fresh fake served over HTTP (the HTTP harness's Bot API): (fake, front), where the
    front has `base_url` and `file_url`."""
    fake = WatchedTelegram()
    front = HttpFront(fake)
    try:
        yield fake, front
    finally:
        front.stop()


Serve = Callable[[Path], contextlib.AbstractAsyncContextManager]


@contextlib.asynccontextmanager
async def bot_process(kind: str, workdir: Path, serve: Serve = fake_front,
                      ) -> AsyncIterator[tuple[WatchedTelegram, float, int]]:
    """Start a bot process polling a fresh Bot API (`serve`: the fake over HTTP unless
    given); yields (its watched side, seconds from the process's start to its first
    getUpdates, pid). The process is killed after."""
    workdir.mkdir(parents=True, exist_ok=True)
    async with serve(workdir) as (fake, front):
        async with _child(kind, workdir, fake, front) as found:
            yield found


@contextlib.asynccontextmanager
async def _child(kind: str, workdir: Path, fake, front):
    args = (["-m", "bot", "run"] if kind == "unionbot"
            else ["-m", "tests.bench._echo", front.base_url, front.file_url])
    with (workdir / f"{kind}.log").open("ab") as log:
        started = time.perf_counter()
        child = await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=workdir, env=_env(workdir, front),
            stdout=log, stderr=log)
    try:
        waiting = asyncio.ensure_future(fake.first_poll.wait())
        ended = asyncio.ensure_future(child.wait())
        await asyncio.wait({waiting, ended}, timeout=120, return_when=asyncio.FIRST_COMPLETED)
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


async def _side_by_side(echo: HttpChat, echo_step: Step, bot: HttpChat, bot_step: Step) -> dict:
    await _calibrate(echo, echo_step)
    await _calibrate(bot, bot_step)
    echo_rates, bot_rates = [], []
    for _ in range(BLOCKS):
        echo_rates.append(await _block(echo, echo_step))
        bot_rates.append(await _block(bot, bot_step))
    best_echo, best_bot = max(echo_rates), max(bot_rates)  # other work only slows
    return {"echo_per_s": round(best_echo, 1), "unionbot_per_s": round(best_bot, 1),
            "ratio": round(best_bot / best_echo, 2), "replies_per_step": bot.expected}


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


async def _steps(me: HttpChat, echo_me: HttpChat) -> dict:
    pool = questions()
    figures: dict = {}

    async def ask(i: int) -> None:
        await me.send(pool[i % len(pool)])

    async def echo_text(i: int) -> None:
        await echo_me.send(pool[i % len(pool)])

    figures["question"] = await _side_by_side(echo_me, echo_text, me, ask)
    for name, text in (("start", "/start"), ("score", "/score")):
        async def command(_i: int, text: str = text) -> None:
            await me.send(text)

        async def echo_command(_i: int, text: str = text) -> None:
            await echo_me.send(text)

        figures[name] = await _side_by_side(echo_me, echo_command, me, command)

    me.expected = None
    await me.send("/submit")
    criterion = next(b for b in me.last.buttons if b.startswith(("⬜", "◐", "✅")))

    async def walk(_i: int) -> None:
        if criterion in me.buttons:  # open a criterion of the checklist …
            await me.press(criterion)
        else:  # … and go back to it
            await me.press(next(b for b in me.buttons if "返回" in b))

    async def echo_press(_i: int) -> None:
        await echo_me.press("echo")

    figures["walk_press"] = await _side_by_side(echo_me, echo_press, me, walk)

    me.expected = None
    await me.send("/submit")
    await me.press(next(b for b in me.buttons if b.startswith("➡️")))  # the next item

    upload, echo_upload = upload_steps(me, echo_me)

    figures["upload"] = await _side_by_side(echo_me, echo_upload, me, upload)
    return figures


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _crowds(members: list[HttpChat], echoes: list[HttpChat],
                  pids: dict[str, int]) -> dict:
    for chat in members + echoes:  # calibrate: what one /score shows each user
        chat.expected = None
    await _crowd(members, "/menu")  # accounts warm, charts not
    for chat in members:
        chat.expected = None
    cold = await _crowd(members, "/score")
    for group in (members, echoes):
        for chat in group:
            before = chat.fake.shown[chat.user.id]
            chat.expected = None
            await chat.send("/score")
            chat.expected = chat.fake.shown[chat.user.id] - before
    rounds: dict[str, list[list[float]]] = {"echo": [], "unionbot": []}
    cpu: dict[str, list[float]] = {"echo": [], "unionbot": []}  # the bot process's, a round
    for _ in range(CROWD_ROUNDS):
        for kind, chats in (("echo", echoes), ("unionbot", members)):
            before = _cpu_s(pids[kind])
            rounds[kind].append(await _crowd(chats, "/score"))
            cpu[kind].append(_cpu_s(pids[kind]) - before)
    crowd = {f"{kind}_{name}_ms": round(statistics.median(_p(r, q) for r in runs) * 1000, 1)
             for kind, runs in rounds.items() for name, q in (("p50", 0.5), ("p95", 0.95))}
    crowd.update({f"{kind}_cpu_ms_per_round": round(statistics.median(s) * 1000)
                  for kind, s in cpu.items()})
    crowd["unionbot_first_round_p95_ms"] = round(_p(cold, 0.95) * 1000, 1)
    crowd["p95_ratio"] = round(crowd["unionbot_p95_ms"] / crowd["echo_p95_ms"], 2)
    return crowd


async def interactive(workdir: Path, serve: Serve = fake_front) -> dict:
    codes = await prepare_database(workdir / "unionbot", CROWD)
    figures: dict = {}
    async with bot_process("unionbot", workdir / "unionbot", serve) as (fake, _, pid), \
            bot_process("echo", workdir / "echo", serve) as (echo_fake, _, echo_pid):
        members = []
        for n, code in enumerate(codes):
            member = HttpChat(fake, _user(n))
            await member.send(f"/start {code}")
            await new_project(member, f"职工服务项目{n}")
            members.append(member)
        echoes = [HttpChat(echo_fake, _user(n)) for n in range(CROWD)]
        me, echo_me = members[0], echoes[0]
        await echo_me.send("hello")
        started = time.perf_counter()
        await me.send("/score")
        figures["first_score_s_incl_quiet_0.4s"] = round(time.perf_counter() - started, 3)
        figures.update(await _steps(me, echo_me))
        figures["crowd_score"] = await _crowds(members, echoes,
                                               {"unionbot": pid, "echo": echo_pid})
    return figures


def _user(n: int):
    from bot.transport import FakeUser

    return FakeUser(2000 + n, f"职工{n}")


async def startup(workdir: Path, serve: Serve = fake_front) -> dict:
    """Seconds from the process's start to its first getUpdates, and the CPU seconds the
    process used by then (user + system, /proc/PID/stat): the CPU figure moves less when
    other work shares the machine."""
    times: dict[str, list[float]] = {"echo": [], "unionbot": []}
    cpu: dict[str, list[float]] = {"echo": [], "unionbot": []}
    compile_code()
    await prepare_database(workdir / "unionbot", 1)  # migrated, as a service restarts
    for run in range(STARTS + 1):  # the first start of each warms the file cache
        for kind in times:
            async with bot_process(kind, workdir / kind, serve) as (_, seconds, pid):
                if run:
                    times[kind].append(seconds)
                    cpu[kind].append(_cpu_s(pid))
    echo, bot = statistics.median(times["echo"]), statistics.median(times["unionbot"])
    echo_cpu, bot_cpu = statistics.median(cpu["echo"]), statistics.median(cpu["unionbot"])
    return {"echo_s": round(echo, 2), "unionbot_s": round(bot, 2), "ratio": round(bot / echo, 2),
            "each_s": {kind: [round(t, 2) for t in ts] for kind, ts in times.items()},
            "cpu_echo_s": round(echo_cpu, 2), "cpu_unionbot_s": round(bot_cpu, 2),
            "cpu_ratio": round(bot_cpu / echo_cpu, 2)}


def _rss_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


async def memory(workdir: Path, serve: Serve = fake_front) -> dict:
    """Resident memory of each bot process: idle after start, after MEMORY_QUESTIONS
    questions, and the peak."""
    codes = await prepare_database(workdir / "unionbot", 1)
    out = {}
    pool = questions()
    for kind in ("echo", "unionbot"):
        async with bot_process(kind, workdir / kind, serve) as (fake, _, pid):
            chat = HttpChat(fake, _user(0))
            if kind == "unionbot":
                await chat.send(f"/start {codes[0]}")
            await _calibrate(chat, lambda i, chat=chat: chat.send(pool[i % len(pool)]))
            idle = _rss_mib(pid)["VmRSS"]
            for i in range(MEMORY_QUESTIONS):
                await chat.send(pool[i % len(pool)])
                if i % 50 == 49:
                    forget_sent(fake)
            now = _rss_mib(pid)
            out[kind] = {"idle": idle, "after": now["VmRSS"], "peak": now["VmHWM"]}
    return out


async def run_all(workdir: Path, serve: Serve = fake_front) -> dict:
    from tests.bench.bot_vs_echo import parts

    chosen, figures = parts(), {}
    if "interactive" in chosen:
        figures = await interactive(workdir / "interactive", serve)
    if "startup" in chosen:
        figures["startup_to_first_poll"] = await startup(workdir / "startup", serve)
    if "memory" in chosen:
        figures["memory_mib"] = await memory(workdir / "memory", serve)
    return figures
