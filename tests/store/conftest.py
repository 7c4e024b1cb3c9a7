from __future__ import annotations

import datetime as dt

import pytest

from bot.app import build_services
from bot.settings import Settings
from services.clock import FixedClock
from services.people import accounts

NOW = dt.datetime(2026, 11, 23, 10, 0)


@pytest.fixture
def settings(tmp_path, migrated_database_url) -> Settings:
    return Settings(_env_file=None, telegram_bot_token=None, database_url=migrated_database_url,
                    evidence_dir=tmp_path / "evidence", admin_ids=[1],
                    max_file_mb=1)


@pytest.fixture
async def svc(settings):
    svc = build_services(settings, clock=FixedClock(NOW))
    yield svc
    await svc.close()  # in the test's own loop: later, that loop is gone


@pytest.fixture
async def org(svc):
    return await accounts.create_organization(
        svc, name="青岛海都心理健康服务中心", uscc="91350100M000100Y43", district="崂山区",
        established_on=dt.date(2019, 5, 10), valid_until=dt.date(2029, 5, 9))


@pytest.fixture
async def staff(svc, org):
    await accounts.join(svc, 1001, org.invite_code, "王芳")
    await accounts.join(svc, 1002, org.invite_code, "李强")
    return (1001, 1002)
