"""The desk as a Mini App at city scale (issue 24): the server time of its queue page and
of a project page (handlers/webpages.py) on the decisions bench's reviewed round
(tests/bench/decisions.py: each organisation's project with 20 evidence files on disk, 5
entries and 14 verdicts, every project reviewed), without a browser.

The data is generated in a child process as for the decisions bench; then the desk's
tornado app (bot/runtime/webapp.py `make_app`) serves on a local port in this process, a reviewer
(an administrator: the whole city) signs in with a single-use link and asks for pages.
Server time is tornado's own `request_time()` of each request (from its arrival to the
last byte written), read by the app's log function: no HTTP client or browser time. Each
page is asked `REPEAT` times after one untimed request; the median and the slowest are
reported. `BENCH_ORGS` (default "1000,10000") changes the sizes."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import tempfile
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer

from bot.app import build_services
from bot.runtime.webapp import make_app, make_desk
from services.clock import FixedClock
from tests.bench.decisions import NOW, REVIEWER, SIZES, _settings, generated

REPEAT = 7
QUEUES = {  # what a reviewer asks of the queue
    "queue": "/desk/queue",
    "queue_all": "/desk/queue?state=all",
    "queue_district": "/desk/queue?state=all&district=%E5%B4%82%E5%B1%B1%E5%8C%BA",
    "queue_by_verified": "/desk/queue?state=all&sort=verified",
    "queue_search": "/desk/queue?state=all&q=%E7%A4%BE%E4%BC%9A%E7%BB%84%E7%BB%87",
    "queue_page_50": "/desk/queue?state=all&page=50",
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _measure(workdir: Path, organisations: int) -> dict:
    settings = _settings(workdir)
    svc = build_services(settings, clock=FixedClock(NOW))
    port = _port()
    desk = make_desk(svc, None, settings, port)
    took: dict[str, float] = {}
    app = make_app(desk)
    app.settings["log_function"] = lambda h: took.__setitem__(
        h.request.uri, h.request.request_time())
    server = HTTPServer(app)
    server.listen(port, "127.0.0.1")
    client = AsyncHTTPClient()
    base = f"http://127.0.0.1:{port}"
    try:
        signed = await client.fetch(HTTPRequest(desk.link(REVIEWER), follow_redirects=False),
                                    raise_error=False)
        cookie = signed.headers["Set-Cookie"].split(";")[0]

        async def timed(uri: str) -> dict:
            times = []
            for n in range(REPEAT + 1):
                answer = await client.fetch(base + uri, headers={"Cookie": cookie},
                                            raise_error=False)
                if answer.code != 200:
                    raise RuntimeError(f"{uri}: HTTP {answer.code}")
                if n:  # the first one untimed (templates compiled, caches filled)
                    times.append(took[uri])
            return {"median_ms": round(statistics.median(times) * 1000, 1),
                    "max_ms": round(max(times) * 1000, 1)}

        out = {name: await timed(uri) for name, uri in QUEUES.items()}
        # projects across the round: verified ones and one in review (every 25th)
        for pid in (1, organisations // 2 + 1, organisations - organisations % 25 or 25):
            out[f"project_{pid}"] = await timed(f"/desk/p/{pid}")
    finally:
        server.stop()
        client.close()
        await svc.close()
    return out


def _size(workdir: Path, organisations: int) -> dict:
    out = generated(workdir, organisations)
    out.update(asyncio.run(_measure(workdir, organisations)))
    out["load_average_after"] = os.getloadavg()
    return out


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return {f"orgs_{n}": _size(Path(tmp) / str(n), n) for n in SIZES}
