"""What stops the bot from starting, as the command line reports it: one line naming what
failed, what was tried and what to check, and an exit status per kind (bot/cli/__init__.py).

Kept free of heavy imports: bot/cli/__init__.py imports it for every command."""

from __future__ import annotations

# Exit statuses of `python -m bot` (README.md, docs/deploy.md).
EXIT_OK = 0
EXIT_FAILED = 1  # a check failed, a backup failed, the bot is unhealthy
EXIT_INPUT = 2  # bad input: an argument, a setting (.env or the environment)
EXIT_DATABASE = 3  # the database did not answer (address, server, credentials)
EXIT_MIGRATION = 4  # the migrations could not be applied (unknown revision, refused statement)
EXIT_TELEGRAM = 5  # Telegram's Bot API did not answer within the start-up's retries


class TelegramUnreachable(Exception):
    """The Bot API at `address` (through `proxy`, if any) did not answer in `attempts` tries
    over `seconds` seconds; `cause` is the last failure, one line."""

    def __init__(self, address: str, proxy: str | None, attempts: int, seconds: float,
                 cause: str) -> None:
        super().__init__(f"{address}: {cause}")
        self.address, self.proxy, self.attempts = address, proxy, attempts
        self.seconds, self.cause = seconds, cause
