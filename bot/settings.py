"""Settings from the environment and `.env` (every one listed in .env.example)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from store.db import DEFAULT_URL

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_FILE_TYPES = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "jpg", "jpeg", "png",
                      "webp", "heic", "txt", "zip")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_URL
    tz_name: str = "Asia/Shanghai"
    bot_username: str = "unionbot_bot"
    # Lists are written comma-separated in .env (ADMIN_IDS=9001,9002); a JSON list works too.
    # NoDecode: pydantic-settings would otherwise parse them as JSON before _split_csv runs.
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    evidence_dir: Path = ROOT / "var" / "evidence"
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    max_file_mb: int = 20
    invite_days: int = 14  # an invite code works this many days (org invite --days: another)
    allowed_file_types: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_FILE_TYPES))
    reminder_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [7, 3, 1, 0])  # 0: the day itself
    reminder_hour: int = 9
    quiet_start: int = 21
    quiet_end: int = 8
    reminder_interval_s: float = 30  # how often due reminders are claimed (0: not here)
    totals_interval_s: float = 120  # how often outdated ranking totals are rescored (0: never)
    send_rate: float = 30.0  # messages a second overall (0: unlimited)
    send_retries: int = 3  # retries after Telegram's RetryAfter before giving up for now
    send_attempts: int = 6  # calls in all when Telegram or the network fails (bot/delivery.py)
    send_backoff: float = 0.5  # seconds before the 2nd call; doubles for each further one
    chat_send_rate: float = 1.0  # messages a second per chat, after a burst of 3 (0: unlimited)
    # Operations (docs/deploy.md): webhook mode, health, logs.
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = ""  # "": the path of the --webhook URL
    webhook_secret: SecretStr | None = None
    heartbeat_file: Path = ROOT / "var" / "heartbeat.json"
    heartbeat_seconds: float = 30.0
    log_format: Literal["text", "json"] = "text"

    @field_validator("admin_ids", "allowed_file_types", "reminder_days", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def token(self) -> str | None:
        secret = self.telegram_bot_token
        return secret.get_secret_value() if secret and secret.get_secret_value() else None
