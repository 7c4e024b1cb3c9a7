"""Rounds, deadlines and reminders, with an injected clock: nothing here sleeps."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.app import build_application, build_services
from bot.transport import build_inprocess
from handlers.reminders import dispatch_due, start_up
from services import rounds
from services.clock import SHANGHAI
from store.models import Reminder
from tests.conversation.conftest import new_project
from tests.support.chat import Chat, running


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def reminder_rows(svc) -> list[Reminder]:
    async with svc.uow() as uow:
        return list(await uow.session.scalars(select(Reminder).order_by(Reminder.due_at)))


@pytest.fixture
async def round_(bot, member):
    admin = bot.chat(1, "管理员")
    await admin.send("/newround 2026年度市级优秀项目 city 2026 2026-11-01 2026-12-15 17:00 "
                     "2026-12-20")
    assert "已创建评选轮次 #1" in admin.last_text
    return admin


def reminders_to(chat: Chat) -> list[str]:
    return [m.text for m in chat.messages if m.text.startswith("⏰ 提醒")]


async def test_creating_a_round_plans_7_3_1_and_day_of_reminders(bot, round_):
    rows = await reminder_rows(bot.svc)
    assert [(r.user_id, r.kind) for r in rows] == [(1001, "d7"), (1001, "d3"), (1001, "d1"),
                                                  (1001, "d0")]
    assert [r.due_at.replace(tzinfo=dt.UTC).astimezone(SHANGHAI).strftime("%m-%d %H:%M")
            for r in rows] == ["12-08 09:00", "12-12 09:00", "12-14 09:00", "12-15 09:00"]
    assert [j.name for j in bot.app.job_queue.jobs()] == ["reminders"]  # one, for all rows


async def test_a_due_reminder_goes_once_with_days_left_and_a_button(bot, member, round_):
    await new_project(member)
    bot.svc.clock.current = at("2026-12-08 09:00")
    assert await dispatch_due(bot.app) == {"sent": 1}
    [text] = reminders_to(member)
    assert "2026年度市级优秀项目 将于 2026-12-15 17:00 截止，还剩 7 天" in text
    assert "职工心理关爱项目，当前 0/100分" in text and "学习制度、学习记录（最多+10分）" in text
    assert member.buttons == ["▶ 继续填报"]
    await member.press("▶ 继续填报")
    assert "材料清单" in member.last_text
    assert await dispatch_due(bot.app) == {}  # nothing twice
    assert len(reminders_to(member)) == 1


async def test_no_duplicates_after_a_restart(bot, member, round_):
    bot.svc.clock.current = at("2026-12-08 10:00")
    assert await dispatch_due(bot.app) == {"sent": 1}
    svc = build_services(bot.settings, clock=bot.svc.clock)
    app = build_application(bot.settings, services=svc,
                            configure=lambda b: build_inprocess(b, bot.fake))
    async with running(app):  # post_init plans rows again: nothing new, nothing doubled
        assert await dispatch_due(app) == {}
        await start_up(app)
        assert await dispatch_due(app) == {}
    assert len(reminders_to(member)) == 1
    assert len(await reminder_rows(bot.svc)) == 4


async def test_reminders_missed_while_down_go_out_at_start_up(bot, member, round_):
    bot.svc.clock.current = at("2026-12-13 15:30")  # down since before the 7- and 3-day ones
    assert await dispatch_due(bot.app) == {"sent": 1}  # one reminder, not two at once
    assert ["还剩 2 天" in t for t in reminders_to(member)] == [True]
    statuses = {r.kind: r.status for r in await reminder_rows(bot.svc)}
    assert statuses == {"d7": "skipped", "d3": "sent", "d1": "planned", "d0": "planned"}


async def test_quiet_hours_hold_a_catch_up_until_eight(bot, member, round_):
    bot.svc.clock.current = at("2026-12-14 22:30")
    assert await dispatch_due(bot.app) == {}  # missed reminders, but it is night
    bot.svc.clock.current = at("2026-12-15 08:00")
    assert await dispatch_due(bot.app) == {"sent": 1}
    assert "还剩 0 天" in reminders_to(member)[0]


async def test_nothing_after_the_deadline(bot, member, round_):
    bot.svc.clock.current = at("2026-12-15 17:00")
    assert await dispatch_due(bot.app) == {}
    assert reminders_to(member) == []
    assert {r.status for r in await reminder_rows(bot.svc)} == {"expired"}


async def test_blocked_users_are_marked_and_skipped(bot, member, round_):
    bot.fake.block(member.user.id)
    bot.svc.clock.current = at("2026-12-08 09:00")
    assert await dispatch_due(bot.app) == {"blocked": 1}
    bot.svc.clock.current = at("2026-12-12 09:00")
    assert await dispatch_due(bot.app) == {"skipped": 1}  # the user blocked the bot
    statuses = [r.status for r in await reminder_rows(bot.svc)]
    assert statuses[:2] == ["blocked", "skipped"]


async def test_retry_after_is_honoured_and_never_duplicates(bot, member, round_):
    bot.svc.clock.current = at("2026-12-08 09:00")
    bot.fake.retry_after_next(2, 1)  # more 429s than the limiter retries (1 here)
    assert await dispatch_due(bot.app) == {"retry": 1}
    assert reminders_to(member) == []
    assert await dispatch_due(bot.app) == {}  # not before Telegram's retry_after
    bot.svc.clock.advance(dt.timedelta(seconds=3))
    bot.fake.retry_after_next(1, 1)  # one 429: the rate limiter waits and retries itself
    assert await dispatch_due(bot.app) == {"sent": 1}
    assert len(reminders_to(member)) == 1


async def test_submitted_projects_and_users_who_opted_out_get_none(bot, member, round_):
    await member.send("/remind")
    assert "已开启" in member.last_text
    await member.press("🔕 关闭提醒")
    assert "已关闭截止前提醒" in member.last_text
    bot.svc.clock.current = at("2026-12-08 09:00")
    assert await dispatch_due(bot.app) == {"skipped": 1}
    assert reminders_to(member) == []


async def test_after_the_deadline_the_walk_is_read_only_until_a_reviewer_extends(
        bot, member, round_):
    await new_project(member)
    bot.svc.clock.current = at("2026-12-15 17:01")
    await member.press("⬜ 政治建设")
    await member.press("⬜ 学习制度、学习记录")
    assert "已过截止时间" in member.last_text
    await member.upload(b"%PDF late", "late.pdf", "application/pdf")
    assert "已过截止时间" in member.last_text
    await round_.send("/extend 1 1 2026-12-18 17:00")
    assert "已为组织 #1 延期至 2026-12-18 17:00" in round_.last_text
    await member.upload(b"%PDF late", "late.pdf", "application/pdf")
    assert "已保存" in member.last_text


async def test_round_commands_explain_themselves(bot, member):
    admin = bot.chat(1, "管理员")
    await admin.send("/rounds")
    assert "还没有评选轮次" in admin.last_text
    await admin.send("/newround 名称 county 2026 2026-11-01 2026-12-15 17:00 2026-12-20")
    assert "未知的取值 county" in admin.last_text
    await admin.send("/newround 名称 city 2026 2026-11-01 2026-12-15 下午 2026-12-20")
    assert "不是有效的时间" in admin.last_text
    await member.send("/newround a b c d e f g")
    assert "只有管理员" in member.last_text
    await admin.send("/newround 市级评选 city 2026 2026-11-01 2026-12-15 17:00 2026-12-20")
    await admin.send("/deadline 1 2026-12-22 17:00")
    assert "截止时间改为 2026-12-22 17:00" in admin.last_text
    rows = await reminder_rows(bot.svc)
    assert rows[-1].due_at.replace(tzinfo=dt.UTC).astimezone(SHANGHAI) == at("2026-12-22 09:00")
    assert len(rows) == 4
    await admin.send("/rounds")
    assert "#1 市级评选（市级）截止 2026-12-22 17:00" in admin.last_text


async def test_round_services_validate(bot):
    from domain.errors import InputError

    with pytest.raises(InputError):
        await rounds.create_round(bot.svc, name="x", level="city", year=2026,
                                  opens_on=dt.date(2026, 12, 1),
                                  deadline_at=at("2026-11-30 17:00"),
                                  recommended_on=dt.date(2026, 12, 20))


async def test_drafts_made_before_the_round_join_it(bot, member):
    await new_project(member)
    admin = bot.chat(1, "管理员")
    await admin.send("/newround 市级评选 city 2026 2026-11-01 2026-12-15 17:00 2026-12-20")
    bot.svc.clock.current = at("2026-12-08 09:00")
    await dispatch_due(bot.app)
    assert "职工心理关爱项目，当前 0/100分" in reminders_to(member)[0]
