"""`python -m tests.bench._startup echo|unionbot WORKDIR`: start a bot as `python -m bot run`
would, against the in-process Bot API, and print "POLLING" at its first getUpdates.

The parent (tests/bench/bot_vs_echo.py) times the process from its start to that line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from fakegram import FakeTelegram, build_inprocess


class MarkingTelegram(FakeTelegram):
    def __init__(self) -> None:
        super().__init__()
        self.polled = False

    async def call(self, method, params, files):
        if method == "getUpdates" and not self.polled:
            self.polled = True
            print("POLLING", flush=True)
        return await super().call(method, params, files)


def main(kind: str, workdir: Path) -> int:
    fake = MarkingTelegram()
    if kind == "echo":
        from tests.bench._harness import echo_app

        echo_app(fake).run_polling()
        return 0
    os.environ.update(TELEGRAM_BOT_TOKEN="123:FAKE",
                      DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'start.db'}",
                      EVIDENCE_DIR=str(workdir / "evidence"), ADMIN_IDS="1")
    from bot import cli, runner

    real = runner.build_application

    def inprocess(settings, **kwargs):
        return real(settings, configure=lambda b: build_inprocess(b, fake), **kwargs)

    runner.build_application = inprocess
    return cli.main(["run"])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], Path(sys.argv[2])))
