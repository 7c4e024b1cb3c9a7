"""The bot in webhook mode (`python -m bot run --webhook URL`): Telegram's POSTs (here the
fake Telegram's) reach it on loopback with the secret token; anything else is refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.e2e


def _healthz(world) -> tuple[int, dict]:
    base = world.webhook_url.rsplit("/", 1)[0]
    response = httpx.get(f"{base}/healthz", timeout=10)
    return response.status_code, response.json()


def _calls_to(world, chat_id: int) -> list[str]:
    return [method for method, params in world.telegram.state()["calls"]
            if params.get("chat_id") == chat_id]


def _last_update_in(heartbeat: Path) -> bool:
    try:
        return bool(json.loads(heartbeat.read_text(encoding="utf-8")).get("last_update_at"))
    except (OSError, ValueError):
        return False


def _start_update(update_id: int, user_id: int) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "陌生人"}
    return {"update_id": update_id,
            "message": {"message_id": 1, "date": int(time.time()), "from": user,
                        "chat": {"id": user_id, "type": "private"}, "text": "/start",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


def test_start_and_a_question_are_answered_through_the_webhook(webhook_world):
    chat = webhook_world.chat(3001, "王芳")
    chat.send("/start")
    assert "📊 看评分" in chat.expect("工会服务助手").buttons
    chat.send("国家级的项目能补多少钱")
    answer = chat.expect("出处", timeout=30)
    assert "3万元" in answer.text or "30000" in answer.text
    state = webhook_world.telegram.state()
    assert "getUpdates" not in [m for m, _ in state["calls"]]  # every update came as a POST
    assert state["deliveries"] and {status for _, status in state["deliveries"][-2:]} == {200}
    hook = [params for method, params in state["calls"] if method == "setWebhook"]
    assert hook[-1]["url"] == webhook_world.webhook_url
    assert hook[-1]["secret_token"] == WEBHOOK_SECRET


def test_a_post_without_the_right_secret_is_refused_and_not_handled(webhook_world):
    _, before = _healthz(webhook_world)
    update = _start_update(990001, 3999)
    for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
        refused = httpx.post(webhook_world.webhook_url, json=update, headers=headers, timeout=10)
        assert refused.status_code == 403
    time.sleep(1.0)
    assert _calls_to(webhook_world, 3999) == []
    assert _healthz(webhook_world)[1]["updates_handled"] == before["updates_handled"]

    # The same request with the right secret is handled: only the secret made the difference.
    taken = httpx.post(webhook_world.webhook_url, json=_start_update(990002, 3999),
                       headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}, timeout=10)
    assert taken.status_code == 200
    deadline = time.monotonic() + 10
    while not _calls_to(webhook_world, 3999) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "sendMessage" in _calls_to(webhook_world, 3999)


def test_health_inside_and_outside_the_running_bot(webhook_world):
    chat = webhook_world.chat(3002, "李强")
    chat.send("/help")
    chat.expect()
    status, health = _healthz(webhook_world)
    assert status == 200 and health["healthy"] is True, health
    assert health["database"]["reachable"] and health["jobs_running"]
    assert health["mode"] == "webhook" and health["last_update_at"]

    heartbeat = Path(webhook_world.env["HEARTBEAT_FILE"])
    deadline = time.monotonic() + 10  # the next beat (every second here) records the update
    while not _last_update_in(heartbeat) and time.monotonic() < deadline:
        time.sleep(0.1)
    done = webhook_world.cli("health")
    assert done.returncode == 0, done.stdout + done.stderr
    line, = done.stdout.strip().splitlines()
    outside = json.loads(line)
    assert outside["healthy"] and outside["heartbeat"]["mode"] == "webhook"
    assert outside["heartbeat"]["age_seconds"] < 5 and outside["heartbeat"]["last_update_at"]


def test_json_logs_name_each_handled_update_without_personal_data(webhook_world):
    chat = webhook_world.chat(3003, "赵静")
    chat.send("/start")
    chat.expect("工会服务助手")
    time.sleep(0.3)
    lines = webhook_world.log_path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(records) > len(lines) * 0.9  # json, but for interpreter noise at start or exit
    handled = [r for r in records if r.get("user_id") == 3003]
    assert handled and handled[-1]["handler"] == "start.start"
    assert {"time", "level", "logger", "message", "update_id", "duration_ms"} <= set(handled[-1])
    assert "赵静" not in "\n".join(lines)
