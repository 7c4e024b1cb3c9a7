"""The job that keeps the ranking's stored totals warm (services/decisions/totals.py): every
`interval_s`, the totals a bulk change outdated (a round's recommendation date, a new
rubric after a deploy) are scored again in the background, so that a reviewer's /ranking
rarely has to. A single write outdates one project: /ranking rescores it in milliseconds,
job or not."""

from __future__ import annotations

import logging

from telegram.ext import Application

from handlers.common import Context
from services.decisions import ranking

log = logging.getLogger(__name__)
JOB = "totals"


async def _tick(context: Context) -> None:
    try:
        scored = await ranking.refresh_totals(context.application.bot_data["services"])
    except Exception:  # the next tick tries again; /ranking scores what it needs meanwhile
        log.exception("scoring outdated totals failed")
        return
    if scored:
        log.info("scored %d outdated totals", scored)


def add_job(app: Application, interval_s: float) -> None:
    """Every `interval_s` seconds (0: not in this process)."""
    if app.job_queue is not None and interval_s > 0:
        app.job_queue.run_repeating(_tick, interval=interval_s, first=interval_s, name=JOB)
