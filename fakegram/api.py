"""What every part of the fake shares: Telegram's limits, its error answers, UTF-16 lengths."""

from __future__ import annotations

from typing import Any

BASE_URL = "http://fake.telegram/bot"
BASE_FILE_URL = "http://fake.telegram/file/bot"

MAX_TEXT = 4096  # UTF-16 code units, after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_PHOTO_UPLOAD = 10 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_ALBUM = 10

JSON = dict[str, Any]
Upload = tuple[str, bytes, str]  # (file name, content, mime type)


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram's description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        data: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def u16(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (and as entity offsets are given)."""
    return len(text.encode("utf-16-le")) // 2
