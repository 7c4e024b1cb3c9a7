"""Signing in to the desk's web pages (the Mini App, issue 24): Telegram's Web App init data,
the bot's own short-lived sign-in links, sessions and CSRF tokens. Pure: the time and the
keys are given.

Telegram's check (core.telegram.org/bots/webapps, "Validating data received via the Mini
App"): the fields of `initData` but `hash`, sorted, as `key=value` lines; their
HMAC-SHA256 under the key HMAC-SHA256("WebAppData", bot token) is `hash`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

INIT_DATA_MAX_AGE = 3600  # seconds an init data signs in (Telegram gives no expiry of its own)
LINK_MAX_AGE = 600  # seconds a sign-in link works (and it works once)
SESSION_MAX_AGE = 8 * 3600
FAILURES_ALLOWED = 5  # failed sign-ins from one address, or naming one user, in a window …
FAILURE_WINDOW = 600  # … of this many seconds; more are answered 429 until it has passed


class Refused(Exception):
    """The sign-in is forged, altered, expired or reused."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    user_id: int
    first_name: str
    language_code: str | None


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def webapp_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def check_init_data(init_data: str, bot_token: str, now: float,
                    max_age: int = INIT_DATA_MAX_AGE) -> SignedIn:
    """Who Telegram says opened the Mini App; Refused if the data is not Telegram's for this
    bot, was changed, or is older than `max_age` seconds."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise Refused("unreadable") from None
    given = fields.pop("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    if not given or not hmac.compare_digest(_mac(webapp_key(bot_token), check), given):
        raise Refused("forged")
    try:
        signed_at = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError):
        raise Refused("unreadable") from None
    if not 0 <= now - signed_at <= max_age:
        raise Refused("expired")
    return SignedIn(user_id, str(user.get("first_name") or ""), user.get("language_code"))


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """Init data as Telegram signs it (for the terminal chat's and the tests' use)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    return urlencode({**fields, "hash": _mac(webapp_key(bot_token), check)})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(key: bytes, purpose: str, user_id: int, now: float, nonce: str) -> str:
    """A signed `purpose` token for `user_id`, issued at `now`: user.issued.nonce.mac."""
    body = f"{user_id}.{int(now)}.{nonce}"
    return f"{body}.{_b64(hmac.new(key, f'{purpose}:{body}'.encode(), 'sha256').digest())}"


@dataclass(frozen=True, slots=True)
class Token:
    user_id: int
    issued: int
    nonce: str


def read_token(key: bytes, purpose: str, token: str, now: float, max_age: int) -> Token:
    """The user a token names; Refused if it was not made with `key` for `purpose`, or is
    older than `max_age` seconds."""
    try:
        user, issued, nonce, mac = token.split(".")
        want = hmac.new(key, f"{purpose}:{user}.{issued}.{nonce}".encode(), "sha256").digest()
        ok = hmac.compare_digest(_unb64(mac), want)
        found = Token(int(user), int(issued), nonce)
    except (ValueError, TypeError):
        raise Refused("unreadable") from None
    if not ok:
        raise Refused("forged")
    if not 0 <= now - found.issued <= max_age:
        raise Refused("expired")
    return found


def csrf_token(key: bytes, session: str) -> str:
    """The CSRF token of one session (the session cookie's value): a form of another
    session does not carry it."""
    return _b64(hmac.new(key, f"csrf:{session}".encode(), "sha256").digest())


def csrf_ok(key: bytes, session: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(key, session), given)


def claimed_user(text: str) -> int | None:
    """The user a sign-in (init data or a link's token) names, signed or not: failed
    sign-ins are counted per user too."""
    if "=" in text:
        try:
            return int(json.loads(dict(parse_qsl(text)).get("user", "")).get("id"))
        except (ValueError, TypeError, AttributeError, OverflowError):
            return None
    head = text.partition(".")[0]
    return int(head) if head.isascii() and head.isdigit() and len(head) < 20 else None


@dataclass
class Throttle:
    """Failed sign-ins per key (an address, a user) in the last FAILURE_WINDOW seconds:
    past FAILURES_ALLOWED the key is held off until its oldest failure leaves the window."""

    allowed: int = FAILURES_ALLOWED
    window: int = FAILURE_WINDOW
    failures: dict[str, list[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [at for at in self.failures.get(key, ()) if now - at < self.window]
        if kept:
            self.failures[key] = kept
        else:
            self.failures.pop(key, None)
        return kept

    def held_off(self, keys: list[str], now: float) -> int:
        """Seconds until these keys may try again (0: now)."""
        wait = 0.0
        for key in keys:
            recent = self._recent(key, now)
            if len(recent) >= self.allowed:
                wait = max(wait, recent[-self.allowed] + self.window - now)
        return int(wait + 0.999)

    def failed(self, keys: list[str], now: float) -> None:
        if len(self.failures) > 10_000:  # many addresses: forget those past their window
            for key in list(self.failures):
                self._recent(key, now)
        for key in keys:
            self.failures.setdefault(key, []).append(now)
            self._recent(key, now)
