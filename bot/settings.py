"""Settings from the environment and `.env` (every one listed in .env.example).

Values given to `Settings(...)` come first, then the environment (names in any case), then
`.env` in the working directory (python-dotenv reads it), then the defaults below. Each
field's type says how its text is read; a value that does not read is an InputError naming
the setting (`python -m bot` prints it as one line and exits 2).

Plain code over pydantic-settings: importing pydantic took about a tenth of the bot's
start-up to its first poll (issue 13), for one flat list of strings, numbers, paths and
lists.
"""

from __future__ import annotations

import json
import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from domain.errors import InputError
from store.db import DEFAULT_URL

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_FILE_TYPES = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "jpg", "jpeg", "png",
                      "webp", "heic", "txt", "zip")


class Secret:
    """A value kept out of reprs and logs (the bot's token, the webhook's secret)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"


@dataclass(init=False)
class Settings:
    telegram_bot_token: Secret | None = None
    database_url: str = DEFAULT_URL
    tz_name: str = "Asia/Shanghai"
    bot_username: str = "unionbot_bot"
    # Lists are written comma-separated in .env (ADMIN_IDS=9001,9002); a JSON list works too.
    admin_ids: list[int] = field(default_factory=list)
    evidence_dir: Path = ROOT / "var" / "evidence"
    # the chart's and the dossier PDF's CJK font: TrueType outlines (.ttf or .ttc), which
    # reportlab can embed; Debian's fonts-wqy-microhei, installed by the Makefile
    cjk_font: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    # An outbound proxy for every call to Telegram: http://host:port or socks5://host:port
    # (user:password@ allowed); "" calls directly (bot/runtime/network.py).
    telegram_proxy_url: Secret | None = None
    startup_wait_s: float = 300  # how long a start keeps trying an unreachable Bot API
    max_file_mb: int = 20
    invite_days: int = 14  # an invite code works this many days (org invite --days: another)
    allowed_file_types: list[str] = field(default_factory=lambda: list(DEFAULT_FILE_TYPES))
    reminder_days: list[int] = field(default_factory=lambda: [7, 3, 1, 0])  # 0: the day itself
    reminder_hour: int = 9
    quiet_start: int = 21
    quiet_end: int = 8
    reminder_interval_s: float = 30  # how often due reminders are claimed (0: not here)
    totals_interval_s: float = 120  # how often outdated ranking totals are rescored (0: never)
    send_rate: float = 30.0  # messages a second overall (0: unlimited)
    send_retries: int = 3  # retries after Telegram's RetryAfter before giving up for now
    # calls in all when Telegram or the network fails (bot/runtime/delivery.py)
    send_attempts: int = 6
    send_backoff: float = 0.5  # seconds before the 2nd call; doubles for each further one
    chat_send_rate: float = 1.0  # messages a second per chat, after a burst of 3 (0: unlimited)
    # Operations (docs/deploy.md): webhook mode, health, logs.
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = ""  # "": the path of the --webhook URL
    webhook_secret: Secret | None = None
    heartbeat_file: Path = ROOT / "var" / "heartbeat.json"
    heartbeat_seconds: float = 10.0
    metrics_port: int = 0  # polling mode: /metrics on WEBHOOK_LISTEN:METRICS_PORT (0: none)
    backup_status_file: Path = ROOT / "var" / "backup-status.json"  # written by `backup`
    log_format: Literal["text", "json"] = "text"
    # The desk's web pages (the Mini App, bot/runtime/webapp.py): the port they are served on
    # (0: not served), their public address (https for Telegram's Web App button) and the key of
    # the sign-in links and sessions ("": derived from the bot's token).
    webapp_listen: str = "127.0.0.1"
    webapp_port: int = 0
    webapp_url: str = ""
    webapp_secret: Secret | None = None

    def __init__(self, _env_file: str | Path | None = ".env", **values: Any) -> None:
        """`values` by field name; `_env_file=None` reads no `.env` (the environment still
        counts, as it always did: tests pass every value they depend on)."""
        unknown = set(values) - set(TYPES)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        given = {**_from_text(_env_file), **values}
        for f in fields(self):
            if f.name in given:
                value = _read(f.name, given[f.name])
            elif f.default_factory is not MISSING:
                value = f.default_factory()
            else:
                value = f.default
            setattr(self, f.name, value)

    @property
    def token(self) -> str | None:
        secret = self.telegram_bot_token
        return secret.get_secret_value() if secret else None

    @property
    def proxy(self) -> str | None:
        secret = self.telegram_proxy_url
        return secret.get_secret_value() or None if secret else None


TYPES: dict[str, Any] = get_type_hints(Settings)  # each setting's type, by field name


def _from_text(env_file: str | Path | None) -> dict[str, str]:
    """The settings written as text: `.env`'s, then the environment's over them."""
    found: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values  # only when there is a .env to read

        found.update((k.lower(), v) for k, v in dotenv_values(env_file, encoding="utf-8").items()
                     if v is not None and k.lower() in TYPES)
    found.update((k.lower(), v) for k, v in os.environ.items() if k.lower() in TYPES)
    return found


def _read(name: str, value: object) -> object:
    """A setting's value as its field's type: text is read, other values kept as given."""
    kind = TYPES[name]
    optional = type(None) in get_args(kind)
    if optional:
        kind = next(a for a in get_args(kind) if a is not type(None))
    if value is None and optional:
        return None
    if get_origin(kind) is list:
        (item,) = get_args(kind)
        return [_read_one(name, item, v) for v in _items(name, value)]
    return _read_one(name, kind, value)


def _items(name: str, value: object) -> list[object]:
    if isinstance(value, int):
        return [value]
    if not isinstance(value, str):
        return list(value)  # type: ignore[call-overload]
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _wrong(name, f"not a JSON list: {exc.msg}") from exc
        if not isinstance(items, list):
            raise _wrong(name, "not a JSON list")
        return items
    return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]


def _read_one(name: str, kind: Any, value: object) -> object:
    if get_origin(kind) is Literal:
        if value not in get_args(kind):
            raise _wrong(name, f"{value!r} is not one of {', '.join(get_args(kind))}")
        return value
    if not isinstance(value, str):
        return value
    if kind is Secret:
        return Secret(value)
    if kind is Path:
        return Path(value)
    if kind is int or kind is float:
        try:
            return kind(value.strip())
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise _wrong(name, f"{value!r} is not {what}") from None
    return value


def _wrong(name: str, problem: str) -> InputError:
    return InputError(name.upper(), "setting", problem=problem)
