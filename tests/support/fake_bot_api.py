"""A minimal Bot API on loopback for operating tests (start-up, proxy, health, check): it
answers getMe as Telegram does, holds getUpdates a moment and answers no updates, and `true`
to everything else. It also serves as an HTTP proxy: a request in absolute form
(`POST http://host:port/bot…/getMe`, what an HTTP client sends to its proxy) is answered the
same and recorded as proxied. Nothing leaves the machine.

    with FakeBotApi() as api:           # or FakeBotApi(port=…) to take a port chosen earlier
        api.url                          # http://127.0.0.1:PORT (TELEGRAM_API_BASE_URL: +/bot)
        api.calls                        # [(method, proxied)], in order
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

BOT_USER = {"id": 123456, "is_bot": True, "first_name": "工会服务助手",
            "username": "unionbot_bot", "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeBotApi:
    def __init__(self, port: int = 0, poll_seconds: float = 0.3,
                 refuse_token: bool = False) -> None:
        """`refuse_token`: every call is answered 401 Unauthorized, as for a wrong token."""
        self.calls: list[tuple[str, bool]] = []
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxied = self.path.startswith("http")
                method = urlsplit(self.path).path.rstrip("/").rsplit("/", 1)[-1]
                with api._lock:
                    api.calls.append((method, proxied))
                if method == "getUpdates":
                    time.sleep(api.poll_seconds)
                result = {"getMe": BOT_USER, "getUpdates": [],
                          "getWebhookInfo": {"url": "", "has_custom_certificate": False,
                                             "pending_update_count": 0}}.get(method, True)
                answer = {"ok": True, "result": result}
                if refuse_token:
                    answer = {"ok": False, "error_code": 401, "description": "Unauthorized"}
                body = json.dumps(answer).encode()
                self.send_response(401 if refuse_token else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def methods(self, proxied: bool | None = None) -> list[str]:
        with self._lock:
            return [m for m, p in self.calls if proxied is None or p == proxied]

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
