"""/metrics in Prometheus' text format on the health port (issue 23), scraped over HTTP from
a running bot (polling mode: METRICS_PORT; webhook mode: tests/e2e/test_webhook.py)."""

from __future__ import annotations

import json
import logging
import time

import httpx
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from telegram.error import TimedOut

from bot.runtime import metrics
from bot.runtime.logs import MetricsHandler
from tests.cli.test_failures import running, telegram, wait_for
from tests.support.cli import free_port

NAMES = {  # docs/deploy.md lists them
    "unionbot_updates_handled", "unionbot_updates_failed", "unionbot_handler_duration_seconds",
    "unionbot_bot_api_errors", "unionbot_reminders_due", "unionbot_reminders_sent",
    "unionbot_reminders_failed", "unionbot_inbox_pending",
    "unionbot_backup_last_success_timestamp_seconds", "unionbot_backup_age_seconds",
    "unionbot_backup_last_run_failed"}


def scrape(url: str) -> dict[str, list]:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in
            text_string_to_metric_families(response.text)}


def test_a_polling_bot_serves_its_metrics(tmp_path):
    port = free_port()
    status = tmp_path / "backup-status.json"
    finished = time.time() - 3600
    status.write_text(json.dumps({"ok": True, "last_success_at": finished}))
    with telegram() as api, running(tmp_path, TELEGRAM_API_BASE_URL=f"{api.url}/bot",
                                      METRICS_PORT=str(port), HEARTBEAT_SECONDS="1",
                                      BACKUP_STATUS_FILE=str(status)) as (proc, log):
        wait_for(lambda: "getUpdates" in api.methods(), proc, log)
        url = f"http://127.0.0.1:{port}/metrics"

        def backup_seen() -> bool:
            samples = scrape(url)["unionbot_backup_last_success_timestamp_seconds"]
            return bool(samples) and samples[0].value == finished

        wait_for(backup_seen, proc, log)  # the heartbeat job read the backup's status
        families = scrape(url)
    assert NAMES <= set(families), NAMES - set(families)
    assert families["unionbot_backup_age_seconds"][0].value >= 3600
    assert families["unionbot_backup_last_run_failed"][0].value == 0
    assert families["unionbot_inbox_pending"][0].value == 0
    assert "process_cpu_seconds" in families


def test_reminder_runs_and_failed_polls_are_counted_from_the_log():
    metrics.enable()  # as where /metrics is served
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    names = ("unionbot_reminders_due_total", "unionbot_reminders_sent_total",
             "unionbot_reminders_failed_total")
    before = [value(n) for n in names]
    polls = value("unionbot_bot_api_errors_total", kind="TimedOut", method="getUpdates")
    handler = MetricsHandler()
    for record in (logging.makeLogRecord({"name": "unionbot.reminders", "msg": "reminders",
                                          "reminders": {"sent": 2, "retry": 1, "failed": 1,
                                                        "blocked": 1}}),
                   logging.makeLogRecord({"name": "telegram.ext.Updater", "msg": "poll",
                                          "exc_info": (TimedOut, TimedOut(), None)})):
        handler.handle(record)
    assert [value(n) - b for n, b in zip(names, before, strict=True)] == [5, 2, 2]
    assert value("unionbot_bot_api_errors_total", kind="TimedOut",
                 method="getUpdates") == polls + 1
