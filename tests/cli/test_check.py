"""TELEGRAM_PROXY_URL reaches PTB's HTTP clients, and `python -m bot check` says which of the
database, migrations, proxy, Bot API and webhook this machine reaches (issue 23). Loopback
only: the fake Telegram, which is also an HTTP proxy (fakegram/http.py), and
closed local ports."""

from __future__ import annotations

from bot.app import build_application
from bot.settings import Settings
from tests.cli.test_failures import TOKEN, bot, running, telegram, wait_for
from tests.support.cli import free_port

NOWHERE = "http://api.telegram.invalid/bot"  # never resolved: only the proxy is asked


def test_check_reaches_every_part_through_the_proxy(tmp_path):
    assert bot(tmp_path, "db", "upgrade").returncode == 0
    with telegram() as proxy:
        out = bot(tmp_path, "--lang", "en", "check", TELEGRAM_API_BASE_URL=NOWHERE,
                  TELEGRAM_PROXY_URL=proxy.url)
        assert out.returncode == 0, out.stderr
        assert out.stderr == ""
        lines = out.stdout.strip().splitlines()
        assert [line.split(":")[0] for line in lines] == [
            "database", "migrations", "proxy", "bot_api", "webhook"]
        assert all(": ok" in line for line in lines)
        assert "@unionbot_bot" in lines[3] and "polling" in lines[4]
        assert proxy.methods(proxied=True) == ["getMe", "getWebhookInfo"]
        assert proxy.methods(proxied=False) == []


def test_check_exits_non_zero_with_one_line_per_unreachable_part(tmp_path):
    closed = free_port()
    out = bot(tmp_path, "--lang", "en", "check",
              DATABASE_URL=f"postgresql://unionbot:pw@127.0.0.1:{closed}/unionbot",
              TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{closed}/bot",
              TELEGRAM_PROXY_URL=f"socks5://127.0.0.1:{closed}")
    assert out.returncode == 1
    failed = out.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in failed] == ["database", "proxy", "bot_api"]
    assert all("UNREACHABLE" in line and "check" in line for line in failed)
    assert "DATABASE_URL" in failed[0] and "TELEGRAM_PROXY_URL" in failed[1]
    skipped = out.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in skipped] == ["migrations", "webhook"]


def test_a_database_behind_its_migrations_is_named(tmp_path):
    assert bot(tmp_path, "db", "upgrade", "0002").returncode == 0
    with telegram() as api:
        out = bot(tmp_path, "--lang", "en", "check", TELEGRAM_API_BASE_URL=f"{api.url}/bot")
    assert out.returncode == 1
    failed, = out.stderr.strip().splitlines()
    assert failed.startswith("migrations") and "python -m bot db upgrade" in failed


def test_the_running_bot_calls_telegram_through_the_proxy(tmp_path):
    with telegram() as proxy, running(tmp_path, TELEGRAM_API_BASE_URL=NOWHERE,
                                        TELEGRAM_PROXY_URL=proxy.url) as (proc, log):
        wait_for(lambda: "getUpdates" in proxy.methods(proxied=True), proc, log)
        assert proxy.methods(proxied=False) == []
        assert proxy.methods(proxied=True)[0] == "getMe"


def test_a_socks_proxy_is_accepted_by_the_bots_http_clients(tmp_path):
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN,
                        telegram_proxy_url="socks5://user:pw@127.0.0.1:1080",
                        database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    build_application(settings)  # without httpx[socks] (socksio) this raises
