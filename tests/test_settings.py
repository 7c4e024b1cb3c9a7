"""The README's Telegram setup: `.env.example` copied to `.env` starts the bot's settings,
and the list settings take the comma forms `.env.example` documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import build_application, build_services
from bot.settings import DEFAULT_FILE_TYPES, TYPES, Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A fresh folder as the working directory, with no setting in the environment."""
    for name in TYPES:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def env_file(folder: Path, *lines: str) -> None:
    """.env.example as shipped, with `lines` replacing the settings they name."""
    names = {line.split("=", 1)[0] for line in lines}
    shipped = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    kept = [line for line in shipped if line.split("=", 1)[0] not in names]
    (folder / ".env").write_text("\n".join([*kept, *lines]) + "\n", encoding="utf-8")


def test_env_example_as_shipped_gives_working_settings(workdir):
    shutil.copy(ROOT / ".env.example", workdir / ".env")
    settings = Settings()
    assert settings.admin_ids == []
    assert settings.reminder_days == [7, 3, 1, 0]
    assert settings.allowed_file_types == list(DEFAULT_FILE_TYPES)
    assert settings.token is None and settings.bot_username == "unionbot_bot"


def test_the_readme_setup_builds_the_telegram_bot(workdir):
    env_file(workdir, "TELEGRAM_BOT_TOKEN=123456:ABC-token", "ADMIN_IDS=9001,9002")
    settings = Settings()
    assert settings.token == "123456:ABC-token" and settings.admin_ids == [9001, 9002]
    app = build_application(settings)  # no network until it is started
    svc = app.bot_data["services"]
    assert svc.admin_ids == frozenset({9001, 9002})
    assert svc.allowed_types == frozenset(DEFAULT_FILE_TYPES)


@pytest.mark.parametrize(("line", "field", "expected"), [
    ("ADMIN_IDS=9001,9002", "admin_ids", [9001, 9002]),
    ("ADMIN_IDS=9001", "admin_ids", [9001]),
    ("ADMIN_IDS= 9001 , 9002 ", "admin_ids", [9001, 9002]),
    ("ADMIN_IDS=[9001, 9002]", "admin_ids", [9001, 9002]),  # a JSON list works too
    ("ADMIN_IDS=", "admin_ids", []),
    ("REMINDER_DAYS=7,3,1,0", "reminder_days", [7, 3, 1, 0]),
    ("REMINDER_DAYS=14,1", "reminder_days", [14, 1]),
    ("REMINDER_DAYS=", "reminder_days", []),
    ("ALLOWED_FILE_TYPES=pdf,docx", "allowed_file_types", ["pdf", "docx"]),
    ('ALLOWED_FILE_TYPES=["pdf", "png"]', "allowed_file_types", ["pdf", "png"]),
])
def test_list_settings_in_env_file_and_environment(workdir, monkeypatch, line, field, expected):
    env_file(workdir, line)
    assert getattr(Settings(), field) == expected
    (workdir / ".env").unlink()
    name, _, value = line.partition("=")
    monkeypatch.setenv(name, value)
    assert getattr(Settings(), field) == expected


def test_the_services_take_their_defaults_from_the_settings(workdir):
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:",
                        bot_username="qd_union_bot", allowed_file_types=["pdf"], max_file_mb=5)
    svc = build_services(settings)
    assert (svc.bot_username, svc.allowed_types, svc.max_file_bytes) == (
        "qd_union_bot", frozenset({"pdf"}), 5 * 1024 * 1024)
    assert "西海岸新区" in svc.districts.names and svc.districts.resolve("黄岛区") == "西海岸新区"


def test_a_wrong_setting_is_one_line_naming_it(workdir, capsys):
    from bot.cli import main

    env_file(workdir, "ADMIN_IDS=9001,张三")
    assert main(["db", "upgrade"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and len(out.err.strip().splitlines()) == 1
    assert "ADMIN_IDS" in out.err and ".env" in out.err


@pytest.mark.parametrize("line", ["MAX_FILE_MB=二十", "SEND_RATE=fast", "LOG_FORMAT=xml",
                                  "REMINDER_DAYS=7,三", "ADMIN_IDS=[9001,"])
def test_each_kind_of_wrong_setting_is_one_line_naming_it(workdir, capsys, line):
    from bot.cli import main

    env_file(workdir, line)
    assert main(["db", "upgrade"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and len(out.err.strip().splitlines()) == 1
    assert line.split("=")[0] in out.err and ".env" in out.err


def test_the_environment_wins_over_env_file_and_values_given_over_both(workdir, monkeypatch):
    env_file(workdir, "BOT_USERNAME=from_file", "MAX_FILE_MB=5")
    monkeypatch.setenv("bot_username", "from_environment")  # any case, as before
    settings = Settings()
    assert (settings.bot_username, settings.max_file_mb) == ("from_environment", 5)
    assert Settings(bot_username="given").bot_username == "given"
    assert Settings(_env_file=None).max_file_mb == 20  # no .env: the default


def test_the_token_and_the_webhook_secret_stay_out_of_the_settings_repr(workdir):
    env_file(workdir, "TELEGRAM_BOT_TOKEN=123456:ABC-token", "WEBHOOK_SECRET=s3cr3t_value")
    settings = Settings()
    assert settings.token == "123456:ABC-token"
    assert settings.webhook_secret.get_secret_value() == "s3cr3t_value"
    assert "ABC-token" not in repr(settings) and "s3cr3t_value" not in repr(settings)
    assert Settings(telegram_bot_token="").token is None  # TELEGRAM_BOT_TOKEN= as shipped
