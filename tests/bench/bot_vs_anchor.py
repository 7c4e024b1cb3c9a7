"""unionbot against the anchor, side by side in one run: a minimal python-telegram-bot bot
that makes, for each step, the same Bot API calls as unionbot with payloads of the same size
(tests/bench/_anchor.py), without database or scoring. Both run as processes polling their
own fake Telegram over real HTTP on loopback (tests/bench/_over_http.py), rate limits off.
Figures are ratios anchor / unionbot (speed) or unionbot / anchor (time), with the goals:

* round trips a second of each interaction (one user, one update at a time): ≥ 0.5×; the
  fastest of five alternating blocks of each;
* 20 users sending /score at the same moment: p95 latency ≤ 3×; five rounds, the median of
  each round's percentiles;
* start-up to the first getUpdates: ≤ 2×;
* unionbot's resident memory after 1,000 policy questions, a full walk and /score ≤ 120 MiB.

`BENCH_LATENCY_MS` (default 0, loopback) delays each Bot API answer as the network to Telegram
would. `BENCH_ROUNDTRIPS` (default 30) sets the round trips per measured block. `BENCH_PARTS`
(default "interactive,startup,memory") runs only the named parts, e.g. `BENCH_PARTS=startup`.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from tests.bench import _over_http


def run() -> dict:
    parts = os.environ.get("BENCH_PARTS", "interactive,startup,memory").split(",")
    with tempfile.TemporaryDirectory(prefix="unionbot-bench-") as tmp:
        figures = {"latency_ms": _over_http.LATENCY_MS, "load_average_before": os.getloadavg()}
        figures.update(asyncio.run(_over_http.run_all(Path(tmp), parts)))
        figures["load_average_after"] = os.getloadavg()
    return figures
