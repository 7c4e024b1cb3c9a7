"""What storing each update before acknowledging it costs (issue 13, bot/runtime/inbox.py).

In-process, one user, one update at a time: milliseconds per round trip, database commits and
SQL statements per update, for each interaction of the bot-against-echo benchmark; once as the
bot runs, and once in a subprocess where the inbox neither stores nor marks updates (an
update not stored is not tracked, so the state write and "done" mark that `InboxApplication`
commits after each stored update are skipped too; PTB's own periodic persistence remains).
The second run is a measurement only: never a setting. Updates go in through
`update_queue.put`, one at a time, as a webhook delivers them (a getUpdates batch of one
costs the same).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench._harness import PDF, REPO, chat, forget_sent, questions, unionbot_world

ROUNDS = int(os.environ.get("BENCH_ROUNDTRIPS", "30"))


def _without_inbox() -> None:
    import bot.runtime.inbox

    async def receive(_self, _update) -> bool:
        return True  # not stored, so not tracked: never marked done either

    bot.runtime.inbox.Inbox.receive = receive


async def _measure(workdir: Path) -> dict:
    from sqlalchemy import event

    from fakegram import running
    from tests.conversation.conftest import new_project

    world = await unionbot_world(workdir)
    engine = world.svc.sessions.kw["bind"].sync_engine
    seen = {"commits": 0, "statements": 0}

    def count(key: str):
        return lambda *_args: seen.__setitem__(key, seen[key] + 1)

    event.listen(engine, "commit", count("commits"))
    event.listen(engine, "before_cursor_execute", count("statements"))
    pool = questions()
    out: dict = {}
    async with running(world.app):
        me = chat(world.app, world.fake, 2000, "职工0")
        await me.send(f"/start {world.invite}")
        await new_project(me, "职工服务项目")
        await me.send("/score")

        async def measure(name: str, step) -> None:
            for i in range(3):
                await step(i)
            seen.update(commits=0, statements=0)
            started = time.perf_counter()
            for i in range(ROUNDS):
                await step(i)
            out[name] = {"ms": round((time.perf_counter() - started) / ROUNDS * 1000, 1),
                         **{k: round(v / ROUNDS, 2) for k, v in seen.items()}}
            forget_sent(world.fake)

        await measure("question", lambda i: me.send(pool[i % len(pool)]))
        await measure("start", lambda _i: me.send("/start"))
        await measure("score", lambda _i: me.send("/score"))
        await me.send("/submit")
        criterion = next(b for b in me.last.buttons if b.startswith(("⬜", "◐", "✅")))

        async def walk(_i: int) -> None:
            if criterion in me.buttons:
                await me.press(criterion)
            else:
                await me.press(next(b for b in me.buttons if "返回" in b))

        await measure("walk_press", walk)
        await me.send("/submit")
        await me.press(next(b for b in me.buttons if b.startswith("➡️")))
        await measure("upload", lambda i: me.upload(
            b"%PDF-1.4 bench " + str(i).encode() + os.urandom(8), f"材料{i}.pdf", PDF))
    await world.svc.sessions.kw["bind"].dispose()
    return out


def run() -> dict:
    figures = {}
    for variant in ("with_inbox", "without_inbox"):
        child = subprocess.run([sys.executable, "-m", "tests.bench.inbox_cost", variant],
                               cwd=REPO, capture_output=True, text=True, check=True)
        figures[variant] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    if sys.argv[1] == "without_inbox":
        _without_inbox()
    with tempfile.TemporaryDirectory(prefix="unionbot-bench-") as tmp:
        print(json.dumps(asyncio.run(_measure(Path(tmp)))), flush=True)
