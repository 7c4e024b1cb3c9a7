"""`python -m tests.bench._memory echo|unionbot WORKDIR N`: start a bot in-process, ask N
policy questions (the echo bot: echo N of them) one after another, and print
"MEMORY {json}" with the resident memory in MiB: idle after start, after the questions,
and the peak."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from pathlib import Path

from fakegram import FakeTelegram, running
from tests.bench._harness import chat, echo_app, forget_sent, questions, rss_kib, unionbot_world


async def main(kind: str, workdir: Path, n: int) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "echo":
        fake = FakeTelegram()
        app = echo_app(fake)
        invite = None
    else:
        world = await unionbot_world(workdir)
        app, fake, invite = world.app, world.fake, world.invite
    pool = questions()
    async with running(app):
        user = chat(app, fake, 2000, "职工0")
        if invite:
            await user.send(f"/start {invite}")
        gc.collect()
        idle, _ = rss_kib()
        for i in range(n):
            await user.send(pool[i % len(pool)])
            if i % 50 == 49:
                forget_sent(fake)
        gc.collect()
        after, peak = rss_kib()
    return {"idle": round(idle / 1024, 1), "after": round(after / 1024, 1),
            "peak": round(peak / 1024, 1)}


if __name__ == "__main__":
    figures = asyncio.run(main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])))
    print("MEMORY " + json.dumps(figures), flush=True)
