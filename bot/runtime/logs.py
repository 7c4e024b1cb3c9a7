"""Logging set-up: readable text, or with LOG_FORMAT=json one JSON object per line. Some
records also move the metrics (bot/runtime/metrics.py): a reminder run's outcomes (a record carrying
`reminders`), a failed poll for updates (PTB's Updater logs it).

What is logged at INFO never carries personal data (names, phone numbers, file names, message
text): ids, handler names and durations only (bot/runtime/observe.py)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from bot.runtime import metrics

# Extra fields a record may carry (logger.info(..., extra={...})), in the order written.
FIELDS = ("update_id", "user_id", "handler", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class MetricsHandler(logging.Handler):
    """Log records that are also measurements, counted in the metrics."""

    def emit(self, record: logging.LogRecord) -> None:
        outcomes = getattr(record, "reminders", None)
        if isinstance(outcomes, dict):
            metrics.reminders(outcomes)
        if record.name == "telegram.ext.Updater" and record.exc_info and record.exc_info[1]:
            metrics.bot_api_error(record.exc_info[1], "getUpdates")


def setup_logging(log_format: str = "text", log_file: Path | None = None) -> None:
    """Logs go to stderr, or for the terminal chat to a file, so the chat stays readable."""
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    handler: logging.Handler = (logging.FileHandler(log_file, encoding="utf-8")
                                if log_file is not None else logging.StreamHandler())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler, MetricsHandler()])
    # httpx logs every request URL at INFO, and the URL carries the bot token; tornado logs
    # every webhook request, APScheduler every run of every job (the heartbeat's too).
    for name in ("httpx", "tornado.access", "apscheduler.executors.default"):
        logging.getLogger(name).setLevel(logging.WARNING)
