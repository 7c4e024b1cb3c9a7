"""Signing in to the web desk (domain/signin.py): Telegram's init data check, the bot's own
tokens (links, sessions) and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlencode

import pytest

from domain import signin

TOKEN = "123456:ABC-test"
NOW = 1_800_000_000
KEY = b"k" * 32


def init_data(**fields) -> str:
    values = {"query_id": "AAH", "user": json.dumps({"id": 5005, "first_name": "王芳",
                                                     "language_code": "en"}),
              "auth_date": str(NOW - 10), **fields}
    return signin.sign_init_data(values, TOKEN)


def test_init_data_signed_as_telegram_documents_it_signs_in():
    # the check of core.telegram.org/bots/webapps, written out here independently
    fields = dict(parse_qsl(init_data()))
    given = fields.pop("hash")
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    lines = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    assert given == hmac.new(secret, lines.encode(), hashlib.sha256).hexdigest()
    assert signin.check_init_data(init_data(), TOKEN, NOW) == signin.SignedIn(
        5005, "王芳", "en")


@pytest.mark.parametrize("why", ["altered", "other bot", "expired", "future", "no hash",
                                 "no user", "not a query"])
def test_init_data_forged_altered_or_expired_is_refused(why):
    data = {"altered": init_data().replace("5005", "5006"),
            "other bot": signin.sign_init_data(dict(parse_qsl(init_data())), "999:OTHER"),
            "expired": init_data(auth_date=str(NOW - signin.INIT_DATA_MAX_AGE - 1)),
            "future": init_data(auth_date=str(NOW + 600)),
            "no hash": urlencode({k: v for k, v in parse_qsl(init_data()) if k != "hash"}),
            "no user": signin.sign_init_data({"auth_date": str(NOW)}, TOKEN),
            "not a query": "%%%"}[why]
    with pytest.raises(signin.Refused):
        signin.check_init_data(data, TOKEN, NOW)


def test_tokens_name_their_user_until_they_expire_and_only_for_their_purpose():
    token = signin.make_token(KEY, "link", 5005, NOW, "n1")
    assert signin.read_token(KEY, "link", token, NOW + 5, 600).user_id == 5005
    for key, purpose, text, now in ((KEY, "session", token, NOW),  # a link is no session
                                    (b"x" * 32, "link", token, NOW),  # another key
                                    (KEY, "link", token.replace("5005", "5006"), NOW),
                                    (KEY, "link", token, NOW + 601),  # expired
                                    (KEY, "link", "5005.x.y", NOW)):
        with pytest.raises(signin.Refused):
            signin.read_token(key, purpose, text, now, 600)


def test_a_csrf_token_belongs_to_one_session():
    mine, theirs = (signin.make_token(KEY, "session", u, NOW, "n") for u in (5005, 6006))
    assert signin.csrf_ok(KEY, mine, signin.csrf_token(KEY, mine))
    assert not signin.csrf_ok(KEY, mine, signin.csrf_token(KEY, theirs))
    assert not signin.csrf_ok(KEY, mine, "")


def test_a_garbled_user_in_a_sign_in_is_refused_not_an_error():
    """A superscript digit as a link's user, a user id beyond any integer: read as no user
    (unsigned) and refused (signed), never an exception the page cannot say."""
    assert signin.claimed_user("²." + "1.n.m") is None
    assert signin.claimed_user(urlencode({"user": '{"id": 1e400}', "hash": "x"})) is None
    with pytest.raises(signin.Refused):
        signin.check_init_data(init_data(user='{"id": 1e400}'), TOKEN, NOW)
