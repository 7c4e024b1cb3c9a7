"""/metrics on the webhook port of the running bot (webhook mode), after a conversation: the
updates it handled are counted by handler, with their durations."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.test_metrics import NAMES

pytestmark = pytest.mark.e2e


def test_metrics_count_the_updates_handled_through_the_webhook(webhook_world):
    chat = webhook_world.chat(3101, "赵敏")
    chat.send("/start")
    chat.expect("工会服务助手")
    base = webhook_world.webhook_url.rsplit("/", 1)[0]
    response = httpx.get(f"{base}/metrics", timeout=10)
    assert response.status_code == 200
    families = {f.name: f.samples for f in text_string_to_metric_families(response.text)}
    assert NAMES <= set(families)
    handled = {s.labels["handler"]: s.value for s in families["unionbot_updates_handled"]
               if s.name.endswith("_total")}
    assert handled.get("start.start", 0) >= 1, handled
    counts = [s for s in families["unionbot_handler_duration_seconds"]
              if s.name.endswith("_count") and s.labels["handler"] == "start.start"]
    assert counts and counts[0].value >= 1
