"""The bot-against-echo benchmark through the project's end-to-end harness (issue 13,
`BENCH_HARNESS=emulator`): as the issue's author measured it.

    telegram-test-api (node, tests/e2e/emulator.js)       one per bot
        ▲ HTTP                         ▲ HTTP: the users' side (tests/e2e/client.py bodies)
    WatchedProxy (tests/e2e/proxy.py's RepairProxy)        one per bot, threads of this process
        ▲ HTTP: TELEGRAM_API_BASE_URL / TELEGRAM_FILE_BASE_URL
    python -m bot run  |  python -m tests.bench._echo     subprocesses, rate limits off

The drivers, interactions, calibration, alternating blocks and crowd rounds are those of the
HTTP harness (tests/bench/_over_http.py); only the Bot API behind the bots differs. Users act
through the emulator's client endpoints (``/sendMessage``, ``/sendCommand``,
``/sendCallback``; a file's bytes through the proxy's ``/_e2e/files``). What the bot shows a
user is counted as its Bot API calls come back from the proxy (sent, edited, deleted,
callback answered), so a round trip ends with the bot's last reply stored in the emulator,
with no polling of the users' side.

The emulator's getUpdates does not long-poll; the proxy holds each bot's getUpdates and asks
the emulator every `POLL_INTERVAL` seconds, the same for both bots. Both bots long-poll the
proxy with python-telegram-bot's `run_polling` defaults.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from fakegram import FakeUser, SentMessage
from fakegram.http import Watch
from tests.e2e.client import envelope, pressed, typed
from tests.e2e.proxy import RepairProxy

TOKEN = "123:FAKE"  # tests/bench/_echo.py's and tests/bench/_over_http.py's
POLL_INTERVAL = 0.03  # RepairProxy's default, as in the e2e tests
_SHOWN = {"sendmessage", "sendphoto", "senddocument", "editmessagetext",
          "editmessagereplymarkup", "deletemessage", "answercallbackquery"}


class EmulatedTelegram(Watch):
    """The benchmark's side of one emulator and its proxy: users' actions over HTTP, and the
    bot's messages per chat as the proxy last answered them (what `HttpChat` reads)."""

    def __init__(self, emulator_url: str, proxy_url: str, proxy: RepairProxy) -> None:
        self._watch()
        self.emulator_url, self.proxy_url = emulator_url, proxy_url
        self.http = httpx.AsyncClient(timeout=30.0)
        self.seq = 0
        self._bot_messages: dict[int, dict[int, SentMessage]] = {}
        self.calls, self.callback_answers = proxy.state.calls, proxy.state.callback_answers
        self.sent: list[SentMessage] = []  # nothing kept (for `forget_sent`)
        self.queries: dict[str, int] = {}  # callback query id → user id
        self.loop = asyncio.get_running_loop()

    def add_user(self, user: FakeUser) -> None:
        self._bot_messages.setdefault(user.id, {})

    def messages(self, chat_id: int) -> list[SentMessage]:
        return sorted(self._bot_messages.get(chat_id, {}).values(), key=lambda m: m.message_id)

    # ----- the users' side (awaited by HttpChat.act) -------------------------------------------

    async def _post(self, path: str, body: dict) -> None:
        response = await self.http.post(f"{self.emulator_url}{path}",
                                        json={"botToken": TOKEN, **body})
        response.raise_for_status()

    def user_message(self, user: FakeUser, text: str):
        return self._post(*typed(user.to_json(), text))

    def user_press(self, user: FakeUser, message_id: int, data: str):
        text = self._bot_messages[user.id][message_id].text
        return self._post("/sendCallback", pressed(user.to_json(), message_id, text, data))

    async def user_document(self, user: FakeUser, data: bytes, file_name: str, mime_type: str,
                            caption: str | None = None) -> None:
        response = await self.http.post(f"{self.proxy_url}/_e2e/files", content=data,
                                        params={"name": file_name, "mime": mime_type})
        response.raise_for_status()
        message = {**envelope(user.to_json()), "document": response.json()}
        if caption:
            message["caption"] = caption
        await self._post("/sendMessage", message)

    # ----- the bot's side (called on this loop by WatchedProxy) --------------------------------

    def record(self, method: str, params: dict, result) -> None:
        if method == "answercallbackquery":
            self._hit(self.queries.pop(str(params.get("callback_query_id")), 0))
            return
        if method == "deletemessage":
            chat_id = int(params["chat_id"])
            self._bot_messages.get(chat_id, {}).pop(int(params["message_id"]), None)
            self._hit(chat_id)
            return
        chat_id = int(result["chat"]["id"])
        kind = "photo" if "photo" in result else "document" if "document" in result else "text"
        markup = params.get("reply_markup")  # as the bot sent it; an edit without one drops it
        self.seq += 1
        self._bot_messages.setdefault(chat_id, {})[result["message_id"]] = SentMessage(
            chat_id=chat_id, message_id=result["message_id"], kind=kind,
            text=str(result.get("text") or result.get("caption") or ""),
            reply_markup=markup if isinstance(markup, dict) else None, seq=self.seq)
        self._hit(chat_id)


class WatchedProxy(RepairProxy):
    """The e2e repair proxy, telling `watched` (on its event loop) about the first getUpdates
    and every Bot API call that shows the user something, once the emulator has it."""

    watched: EmulatedTelegram

    def call(self, method, params, files):
        if method.lower() == "getupdates":
            self.watched.loop.call_soon_threadsafe(self.watched.first_poll.set)
        status, answer = super().call(method, params, files)
        if status == 200 and method.lower() in _SHOWN:
            self.watched.loop.call_soon_threadsafe(self.watched.record, method.lower(), params,
                                                   answer["result"])
        return status, answer

    def start(self) -> WatchedProxy:
        super().start()
        self._server.handle_error = lambda _request, _address: None  # a killed bot's reset
        return self

    def stop(self) -> None:
        self._closing.set()  # a held getUpdates returns without asking the emulator again
        time.sleep(0.1)
        super().stop()

    def _pull(self) -> None:
        if not self._closing.is_set():
            super()._pull()

    def _repair_update(self, raw):
        update = super()._repair_update(raw)
        if update and "callback_query" in update:
            query = update["callback_query"]
            self.watched.loop.call_soon_threadsafe(
                self.watched.queries.__setitem__, query["id"], int(query["from"]["id"]))
        return update


class Unavailable(RuntimeError):
    """telegram-test-api cannot be installed or started here (no node or npm)."""


class _Front:
    def __init__(self, proxy_url: str) -> None:
        self.base_url = f"{proxy_url}/bot"
        self.file_url = f"{proxy_url}/file/bot"


def _emulator_started(stack: contextlib.ExitStack, log: Path) -> str:
    """The e2e fixtures' start of telegram-test-api (`npm ci` first if needed); its URL."""
    from _pytest.outcomes import OutcomeException

    from tests.e2e import conftest

    try:
        return conftest._start_emulator(stack, conftest._install_emulator(), log)
    except OutcomeException as exc:  # the fixtures skip or fail the test
        raise Unavailable(f"the emulator harness needs telegram-test-api: {exc}") from None


@contextlib.asynccontextmanager
async def emulator_front(workdir: Path) -> AsyncIterator[tuple[EmulatedTelegram, _Front]]:
    """A fresh emulator and repair proxy (for `tests.bench._over_http.bot_process`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        url = _emulator_started(stack, workdir / f"emulator-{time.monotonic_ns()}.log")
        proxy = WatchedProxy(url, TOKEN, poll_interval=POLL_INTERVAL)
        proxy.watched = EmulatedTelegram(url, "", proxy)
        proxy.start()
        stack.callback(proxy.stop)
        proxy.watched.proxy_url = proxy.url
        try:
            yield proxy.watched, _Front(proxy.url)
        finally:
            await proxy.watched.http.aclose()


async def run_all(workdir: Path) -> dict:
    from tests.bench import _over_http

    return await _over_http.run_all(workdir, emulator_front)
