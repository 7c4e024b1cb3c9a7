"""What an operator watches, in Prometheus' text format (prometheus_client's default registry,
with its process_* metrics): scraped at `/metrics` on the health port (WEBHOOK_PORT in webhook
mode, METRICS_PORT in polling mode). Fed from the observation points — bot/observe.py (each
update, the heartbeat job), bot/logs.py (what the rest logs), bot/ratelimit.py (each Bot API
call) — never by the handlers themselves. docs/deploy.md lists them with two alerts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client import generate_latest as _generate_latest

UPDATES_HANDLED = Counter("unionbot_updates_handled", "Updates handled, by handler",
                          ["handler"])
UPDATES_FAILED = Counter("unionbot_updates_failed",
                         "Updates whose handler raised an error, by handler", ["handler"])
HANDLER_SECONDS = Histogram("unionbot_handler_duration_seconds",
                            "Time to handle one update, by handler", ["handler"],
                            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
BOT_API_ERRORS = Counter("unionbot_bot_api_errors",
                         "Failed Bot API calls, by kind (RetryAfter, TimedOut, NetworkError, "
                         "BadRequest, Forbidden …) and method", ["kind", "method"])
REMINDERS_DUE = Counter("unionbot_reminders_due", "Reminders claimed as due")
REMINDERS_SENT = Counter("unionbot_reminders_sent", "Reminders sent")
REMINDERS_FAILED = Counter("unionbot_reminders_failed",
                           "Reminders not sent: Telegram failed (tried again later) or the "
                           "send's outcome is unknown")
INBOX_PENDING = Gauge("unionbot_inbox_pending", "Updates stored and not yet handled")
BACKUP_LAST_SUCCESS = Gauge("unionbot_backup_last_success_timestamp_seconds",
                            "When the last successful backup finished (Unix time; 0: never)")
BACKUP_AGE = Gauge("unionbot_backup_age_seconds",
                   "Seconds since the last successful backup (+Inf: none recorded)")
BACKUP_LAST_FAILED = Gauge("unionbot_backup_last_run_failed",
                           "1 when the latest backup run failed, else 0")

CONTENT_TYPE = CONTENT_TYPE_LATEST
FAILED_OUTCOMES = ("retry", "failed")  # handlers/reminders.py's dispatch_due counts


def generate_latest() -> bytes:
    return _generate_latest(REGISTRY)


def serve(port: int, address: str) -> None:
    """Polling mode: /metrics on `address:port` (a thread of prometheus_client's)."""
    start_http_server(port, addr=address)


def update_handled(handler: str | None, seconds: float, failed: bool) -> None:
    name = handler or "none"
    UPDATES_HANDLED.labels(name).inc()
    HANDLER_SECONDS.labels(name).observe(seconds)
    if failed:
        UPDATES_FAILED.labels(name).inc()


def bot_api_error(error: BaseException, method: str) -> None:
    BOT_API_ERRORS.labels(type(error).__name__, method).inc()


def reminders(outcomes: Mapping[str, int]) -> None:
    """One run of the reminder job: how many went each way."""
    REMINDERS_DUE.inc(sum(outcomes.values()))
    REMINDERS_SENT.inc(outcomes.get("sent", 0))
    REMINDERS_FAILED.inc(sum(outcomes.get(k, 0) for k in FAILED_OUTCOMES))


def inbox(counts: Mapping[str, int]) -> None:
    INBOX_PENDING.set(counts.get("pending", 0))


def backup(status: dict[str, Any] | None, now: float) -> None:
    """From the status file `python -m bot backup` writes (bot/cli_ops.py)."""
    last = float((status or {}).get("last_success_at") or 0)
    BACKUP_LAST_SUCCESS.set(last)
    BACKUP_AGE.set(now - last if last else math.inf)
    BACKUP_LAST_FAILED.set(0 if not status or status.get("ok") else 1)
