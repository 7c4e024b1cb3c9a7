"""Settings from the environment and `.env` (every one listed in .env.example)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'unionbot.db'}"
    tz_name: str = "Asia/Shanghai"
    bot_username: str = "unionbot_bot"
    admin_ids: list[int] = Field(default_factory=list)
    evidence_dir: Path = ROOT / "var" / "evidence"
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    max_file_mb: int = 20
    allowed_file_types: list[str] = Field(default_factory=lambda: [
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "jpg", "jpeg", "png", "webp",
        "heic", "txt", "zip"])
    reminder_days: list[int] = Field(default_factory=lambda: [7, 3, 1, 0])  # 0: the day itself
    reminder_hour: int = 9
    quiet_start: int = 21
    quiet_end: int = 8
    send_rate: float = 30.0  # messages a second overall (0: unlimited)
    send_retries: int = 3  # retries after Telegram's RetryAfter before giving up for now
    chat_send_rate: float = 1.0  # messages a second per chat, after a burst of 3 (0: unlimited)

    @field_validator("admin_ids", "allowed_file_types", "reminder_days", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def token(self) -> str | None:
        secret = self.telegram_bot_token
        return secret.get_secret_value() if secret and secret.get_secret_value() else None
