"""unionbot against a bare python-telegram-bot echo bot, side by side in one run (issue 13).

Both run through the whole PTB stack against the in-process Bot API (`FakeTelegram`), with
rate limits off; updates enter through `Application.update_queue`, as polling puts them, so
each application's update processor handles them. Figures are ratios to the echo bot:

* throughput of each interaction (round trips a second, one user, one update at a time):
  goal ≥ 0.5× the echo bot's; the fastest of five alternating blocks of each;
* 20 users sending /score at the same moment: p95 latency ≤ 3× the echo bot's (the echo bot
  gets "/score" as text); five rounds, the median of each round's percentiles;
* CPU per /score ≤ 60 ms (process CPU time, all threads, harness included);
* start-up to the first getUpdates ≤ 2× the echo bot's (`python -m bot run`, subprocesses);
* resident memory after 1,000 policy questions ≤ 120 MiB (a subprocess).

`BENCH_ROUNDTRIPS` (default 30) sets the round trips per measured block. `BENCH_PARTS`
(default "interactive,startup,memory") runs only the named parts, e.g. `BENCH_PARTS=startup`.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fakegram import FakeTelegram, FakeUser, running
from tests.bench._harness import (
    REPO,
    QueuedChat,
    add_organization,
    bench_settings,
    chat,
    compile_code,
    echo_app,
    forget_sent,
    questions,
    unionbot_world,
    upload_steps,
)
from tests.conversation.conftest import new_project

ROUNDTRIPS = int(os.environ.get("BENCH_ROUNDTRIPS", "30"))
BLOCKS = 5  # alternating echo / unionbot blocks per interaction; the fastest block counts
CROWD = 20
CROWD_ROUNDS = 5
STARTS = 5
MEMORY_QUESTIONS = 1000


async def _rate(step: Callable[[int], Awaitable[object]], n: int,
                fake: FakeTelegram) -> tuple[float, float]:
    """(round trips a second, CPU seconds per round trip) over n sequential steps."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        await step(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    forget_sent(fake)
    return n / wall, cpu / n


async def _side_by_side(echo_step, echo_fake, bot_step, bot_fake) -> dict:
    echo_rates, bot_rates, bot_cpu, echo_cpu = [], [], [], []
    for _ in range(BLOCKS):
        rate, cpu = await _rate(echo_step, ROUNDTRIPS, echo_fake)
        echo_rates.append(rate)
        echo_cpu.append(cpu)
        rate, cpu = await _rate(bot_step, ROUNDTRIPS, bot_fake)
        bot_rates.append(rate)
        bot_cpu.append(cpu)
    echo, bot = max(echo_rates), max(bot_rates)  # other work on the machine only slows
    return {"echo_per_s": round(echo, 1), "unionbot_per_s": round(bot, 1),
            "ratio": round(bot / echo, 2),
            "unionbot_cpu_ms": round(statistics.median(bot_cpu) * 1000, 1),
            "echo_cpu_ms": round(statistics.median(echo_cpu) * 1000, 1)}


async def _crowd(app, fake: FakeTelegram, users: list[FakeUser], text: str) -> list[float]:
    """Every user sends `text` at the same moment; seconds until each one's last reply."""
    last: dict[int, float] = {}

    def sent(message) -> None:
        last[message.chat_id] = time.perf_counter()

    fake.on_send = sent
    try:
        updates = [fake.user_message(user, text, queue=False) for user in users]
        started = time.perf_counter()
        for update in updates:
            app.update_queue.put_nowait(update)
        await app.update_queue.join()
    finally:
        fake.on_send = None
    forget_sent(fake)
    return [last[user.id] - started for user in users]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


async def _interactive(workdir: Path) -> dict:
    world = await unionbot_world(workdir)
    echo_fake = FakeTelegram()
    echo = echo_app(echo_fake)
    figures: dict = {}
    async with running(world.app), running(echo):
        members: list[QueuedChat] = []
        for n in range(CROWD):
            invite = world.invite if n == 0 else await add_organization(world, n)
            member = chat(world.app, world.fake, 2000 + n, f"职工{n}")
            await member.send(f"/start {invite}")
            await new_project(member, f"职工服务项目{n}")
            members.append(member)
        me = members[0]
        echo_me = chat(echo, echo_fake, 2000, "职工0")
        await echo_me.send("hello")
        pool = questions()

        started = time.perf_counter()
        await me.send("/score")
        figures["first_score_s"] = round(time.perf_counter() - started, 3)

        async def ask(i: int) -> None:
            await me.send(pool[i % len(pool)])

        async def echo_text(i: int) -> None:
            await echo_me.send(pool[i % len(pool)])

        figures["question"] = await _side_by_side(echo_text, echo_fake, ask, world.fake)

        async def start(_i: int) -> None:
            await me.send("/start")

        async def echo_start(_i: int) -> None:
            await echo_me.send("/start")

        figures["start"] = await _side_by_side(echo_start, echo_fake, start, world.fake)

        async def score(_i: int) -> None:
            await me.send("/score")

        async def echo_score(_i: int) -> None:
            await echo_me.send("/score")

        figures["score"] = await _side_by_side(echo_score, echo_fake, score, world.fake)

        await me.send("/submit")
        checklist = me.last.buttons

        criterion = next(b for b in checklist if b.startswith(("⬜", "◐", "✅")))

        async def walk(_i: int) -> None:
            if criterion in me.buttons:  # open a criterion of the checklist …
                await me.press(criterion)
            else:  # … and go back to it
                await me.press(next(b for b in me.buttons if "返回" in b))

        async def echo_press(_i: int) -> None:
            await echo_me.press("echo")

        figures["walk_press"] = await _side_by_side(echo_press, echo_fake, walk, world.fake)

        await me.send("/submit")
        await me.press(next(b for b in me.buttons if b.startswith("➡️")))  # the next item

        upload, echo_upload = upload_steps(me, echo_me)

        figures["upload"] = await _side_by_side(echo_upload, echo_fake, upload, world.fake)

        users = [m.user for m in members]
        await _crowd(world.app, world.fake, users, "/menu")  # accounts warm, charts not
        cold = await _crowd(world.app, world.fake, users, "/score")
        rounds: dict[str, list[list[float]]] = {"echo": [], "unionbot": []}
        for _ in range(CROWD_ROUNDS):
            rounds["echo"].append(await _crowd(echo, echo_fake, users, "/score"))
            rounds["unionbot"].append(await _crowd(world.app, world.fake, users, "/score"))
        crowd = {f"{kind}_{name}_ms": round(statistics.median(_p(r, q) for r in runs) * 1000, 1)
                 for kind, runs in rounds.items() for name, q in (("p50", 0.5), ("p95", 0.95))}
        crowd["unionbot_first_round_p95_ms"] = round(_p(cold, 0.95) * 1000, 1)
        crowd["p95_ratio"] = round(crowd["unionbot_p95_ms"] / crowd["echo_p95_ms"], 2)
        figures["crowd_score"] = crowd
    await world.svc.sessions.kw["bind"].dispose()
    return figures


def _child(args: list[str], marker: str, timeout: float = 120) -> tuple[float, str]:
    """Start `python -m tests.bench.<args>`; (seconds until a stdout line starting with
    `marker`, that line). The child is killed then."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = started + timeout
        for line in child.stdout:
            if line.startswith(marker):
                return time.perf_counter() - started, line[len(marker):].strip()
            if time.perf_counter() > deadline:
                break
        raise RuntimeError(f"{args} ended without {marker!r} (exit {child.poll()})")
    finally:
        child.kill()
        child.wait()


def _startup(workdir: Path) -> dict:
    times: dict[str, list[float]] = {"echo": [], "unionbot": []}
    compile_code()
    for run in range(STARTS + 1):  # the first start of each migrates / warms the file cache
        for kind in times:
            seconds, _ = _child(["-m", "tests.bench._startup", kind, str(workdir)], "POLLING")
            if run:
                times[kind].append(seconds)
    echo, bot = statistics.median(times["echo"]), statistics.median(times["unionbot"])
    return {"echo_s": round(echo, 2), "unionbot_s": round(bot, 2), "ratio": round(bot / echo, 2)}


def _memory(workdir: Path) -> dict:
    from store.migrate import upgrade

    out = {}
    (workdir / "mem-unionbot").mkdir(parents=True)
    upgrade(bench_settings(workdir / "mem-unionbot").database_url)  # a restart, as in service
    for kind in ("echo", "unionbot"):
        _, line = _child(["-m", "tests.bench._memory", kind, str(workdir / f"mem-{kind}"),
                          str(MEMORY_QUESTIONS)], "MEMORY", timeout=600)
        out[kind] = json.loads(line)
    return out


def parts() -> list[str]:
    """The parts BENCH_PARTS names (all three unless it is set)."""
    return os.environ.get("BENCH_PARTS", "interactive,startup,memory").split(",")


def _inprocess(workdir: Path) -> dict:
    chosen, figures = parts(), {}
    if "interactive" in chosen:
        figures = asyncio.run(_interactive(workdir / "interactive"))
    if "startup" in chosen:
        figures["startup_to_first_poll"] = _startup(workdir / "startup")
    if "memory" in chosen:
        figures["memory_mib"] = _memory(workdir)
    return figures


def run() -> dict:
    """The harnesses BENCH_HARNESS names, both unless it is set: `http`, `inprocess`."""
    from tests.bench import _over_http

    chosen = os.environ.get("BENCH_HARNESS", "http,inprocess").split(",")
    figures = {}
    with tempfile.TemporaryDirectory(prefix="unionbot-bench-") as tmp:
        if "http" in chosen:
            figures["http"] = asyncio.run(_over_http.run_all(Path(tmp) / "http"))
        if "inprocess" in chosen:
            figures["inprocess"] = _inprocess(Path(tmp) / "inprocess")
    return figures
