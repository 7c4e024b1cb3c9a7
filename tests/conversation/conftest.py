from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from telegram.ext import Application

from bot.app import build_application, build_services
from bot.settings import Settings
from fakegram import FakeTelegram, FakeUser, build_inprocess
from services.clock import FixedClock
from services.core import Services
from services.people import accounts
from tests.support.chat import Chat, running

NOW = dt.datetime(2026, 11, 23, 10, 0)
ADMIN = 1


@dataclass
class Bot:
    settings: Settings
    svc: Services
    fake: FakeTelegram
    app: Application
    invite: str

    def chat(self, user_id: int = 1001, name: str = "王芳", lang: str = "zh-hans") -> Chat:
        return Chat(self.app, self.fake, FakeUser(user_id, name, language_code=lang))


def make_settings(tmp_path, database_url: str) -> Settings:
    return Settings(_env_file=None, telegram_bot_token=None, database_url=database_url,
                    evidence_dir=tmp_path / "evidence", admin_ids=[ADMIN], max_file_mb=1,
                    chat_send_rate=0,  # chats here are faster than any thumb
                    send_retries=1, send_backoff=0.01,  # Telegram's retries, without the waits
                    reminder_interval_s=3600)  # the tests run the reminder job themselves


async def start_bot(settings: Settings, fake: FakeTelegram | None = None) -> tuple:
    svc = build_services(settings, clock=FixedClock(NOW))
    fake = fake or FakeTelegram()
    app = build_application(settings, services=svc, configure=lambda b: build_inprocess(b, fake))
    return svc, fake, app


async def demo_org(svc: Services) -> accounts.NewOrganization:
    return await accounts.create_organization(
        svc, name="青岛海都心理健康服务中心", uscc="91350100M000100Y43", district="崂山区",
        established_on=dt.date(2019, 5, 10), valid_until=dt.date(2029, 5, 9))


@pytest.fixture
async def bot(tmp_path, migrated_database_url):
    settings = make_settings(tmp_path, migrated_database_url)
    svc, fake, app = await start_bot(settings)
    org = await demo_org(svc)
    async with running(app):
        yield Bot(settings, svc, fake, app, org.invite_code)
    await svc.close()  # in the test's own loop: later, that loop is gone


@pytest.fixture
async def chat(bot) -> Chat:
    return bot.chat()


@pytest.fixture
async def member(bot) -> Chat:
    chat = bot.chat()
    await chat.send(f"/start {bot.invite}")
    return chat


async def new_project(chat: Chat, name: str = "职工心理关爱项目") -> None:
    """The five steps of creating a project in the walk."""
    await chat.send("/submit")
    await chat.press("➕ 新建项目")
    assert "第1步" in chat.last_text
    await chat.send(name)
    await chat.press("心理关怀")
    await chat.send("2024/3/1")
    await chat.send("25.6.30")
    await chat.press("是")
    assert f"项目已创建：{name}" in chat.replies[0]
