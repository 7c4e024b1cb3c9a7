"""What an operator watches, in Prometheus' text format (prometheus_client's default registry,
with its process_* metrics): scraped at `/metrics` on the health port (WEBHOOK_PORT in webhook
mode, METRICS_PORT in polling mode). Fed from the observation points — bot/runtime/observe.py
(each update, the heartbeat job), bot/runtime/logs.py (what the rest logs),
bot/runtime/ratelimit.py (each Bot API call) — never by the handlers themselves.
docs/deploy.md lists them with two alerts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

FAILED_OUTCOMES = ("retry", "failed")  # handlers/reminders.py's dispatch_due counts


class _Meters:
    """The counters, made at `enable`: prometheus_client is imported there, so a bot that
    serves no metrics (polling without METRICS_PORT) never loads it nor counts."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.updates_handled = Counter("unionbot_updates_handled",
                                       "Updates handled, by handler", ["handler"])
        self.updates_failed = Counter("unionbot_updates_failed",
                                      "Updates whose handler raised an error, by handler",
                                      ["handler"])
        self.handler_seconds = Histogram(
            "unionbot_handler_duration_seconds", "Time to handle one update, by handler",
            ["handler"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.bot_api_errors = Counter(
            "unionbot_bot_api_errors", "Failed Bot API calls, by kind (RetryAfter, TimedOut, "
            "NetworkError, BadRequest, Forbidden …) and method", ["kind", "method"])
        self.reminders_due = Counter("unionbot_reminders_due", "Reminders claimed as due")
        self.reminders_sent = Counter("unionbot_reminders_sent", "Reminders sent")
        self.reminders_failed = Counter(
            "unionbot_reminders_failed", "Reminders not sent: Telegram failed (tried again "
            "later) or the send's outcome is unknown")
        self.inbox_pending = Gauge("unionbot_inbox_pending", "Updates stored and not yet handled")
        self.backup_last_success = Gauge(
            "unionbot_backup_last_success_timestamp_seconds",
            "When the last successful backup finished (Unix time; 0: never)")
        self.backup_age = Gauge("unionbot_backup_age_seconds",
                                "Seconds since the last successful backup (+Inf: none recorded)")
        self.backup_last_failed = Gauge("unionbot_backup_last_run_failed",
                                        "1 when the latest backup run failed, else 0")


_meters: _Meters | None = None


def enable() -> None:
    """Count from now on (the wiring calls it where /metrics is served); idempotent."""
    global _meters
    if _meters is None:
        _meters = _Meters()


def exposition() -> tuple[str, bytes]:
    """/metrics' answer: (content type, body), in Prometheus' text format."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    enable()
    return CONTENT_TYPE_LATEST, generate_latest(REGISTRY)


def serve(port: int, address: str) -> None:
    """Polling mode: /metrics on `address:port` (a thread of prometheus_client's)."""
    from prometheus_client import start_http_server

    enable()
    start_http_server(port, addr=address)


def update_handled(handler: str | None, seconds: float, failed: bool) -> None:
    if _meters is None:
        return
    name = handler or "none"
    _meters.updates_handled.labels(name).inc()
    _meters.handler_seconds.labels(name).observe(seconds)
    if failed:
        _meters.updates_failed.labels(name).inc()


def bot_api_error(error: BaseException, method: str) -> None:
    if _meters is not None:
        _meters.bot_api_errors.labels(type(error).__name__, method).inc()


def reminders(outcomes: Mapping[str, int]) -> None:
    """One run of the reminder job: how many went each way."""
    if _meters is None:
        return
    _meters.reminders_due.inc(sum(outcomes.values()))
    _meters.reminders_sent.inc(outcomes.get("sent", 0))
    _meters.reminders_failed.inc(sum(outcomes.get(k, 0) for k in FAILED_OUTCOMES))


def inbox(counts: Mapping[str, int]) -> None:
    if _meters is not None:
        _meters.inbox_pending.set(counts.get("pending", 0))


def backup(status: dict[str, Any] | None, now: float) -> None:
    """From the status file `python -m bot backup` writes (bot/cli/ops.py)."""
    if _meters is None:
        return
    last = float((status or {}).get("last_success_at") or 0)
    _meters.backup_last_success.set(last)
    _meters.backup_age.set(now - last if last else math.inf)
    _meters.backup_last_failed.set(0 if not status or status.get("ok") else 1)
