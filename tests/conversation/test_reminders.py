"""Rounds, deadlines and reminders, with an injected clock: nothing here sleeps."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import event, select
from telegram.error import NetworkError, TimedOut

from bot.app import build_application, build_services
from fakegram import ApiError, build_inprocess
from handlers.reminders import dispatch_due, start_up
from services.clock import SHANGHAI
from services.schedule import rounds
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
    names = [j.name for j in bot.app.job_queue.jobs()]
    assert names.count("reminders") == 1  # one job for all rows, none per row
    assert not [n for n in names if n.startswith("reminder:")]


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
    await svc.close()
    assert len(reminders_to(member)) == 1
    assert len(await reminder_rows(bot.svc)) == 4


async def test_start_up_plans_and_recovers_reminders_in_one_transaction(bot, member, round_):
    """Before the first poll: the rows planned and those of a dead process recovered in one
    transaction, reading the rounds once (it was two transactions, the rounds read twice)."""
    engine = bot.svc.sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def executed(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().startswith("SELECT rounds."):
            seen.append("rounds read")

    def committed(_conn) -> None:
        seen.append("commit")

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    try:
        await start_up(bot.app)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "commit", committed)
    assert seen == ["rounds read", "commit"]
    assert len(await reminder_rows(bot.svc)) == 4  # planned as before


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


# -- jobs follow rows --------------------------------------------------------------------------
async def run_jobs(bot) -> None:
    """What the job queue runs by the injected clock's time: its periodic jobs, and the jobs
    scheduled for that moment or earlier."""
    now = bot.svc.clock.now()
    for job in bot.app.job_queue.jobs():
        if isinstance(job.job.trigger, IntervalTrigger) or job.next_t <= now:
            await job.run(bot.app)


async def days(bot, *moments: str) -> None:
    for moment in moments:
        bot.svc.clock.current = at(moment)
        await run_jobs(bot)


async def test_after_deadline_moves_reminders_go_at_the_new_times(bot, member, round_):
    await round_.send("/deadline 1 2026-12-29 17:00")
    await days(bot, "2026-12-08 09:00", "2026-12-12 09:00", "2026-12-14 09:00",
               "2026-12-15 09:00")
    assert reminders_to(member) == []  # nothing at the old times
    await days(bot, "2026-12-22 09:00")
    [text] = reminders_to(member)
    assert "将于 2026-12-29 17:00 截止，还剩 7 天" in text


async def test_moving_a_deadline_later_plans_every_reminder_still_ahead(bot, member, round_):
    await days(bot, "2026-12-08 09:00", "2026-12-12 09:00")
    assert len(reminders_to(member)) == 2  # the 7- and 3-day ones went
    await round_.send("/deadline 1 2026-12-29 17:00")
    await days(bot, "2026-12-14 09:00", "2026-12-15 09:00", "2026-12-22 09:00",
               "2026-12-26 09:00", "2026-12-28 09:00", "2026-12-29 09:00", "2026-12-29 18:00")
    later = reminders_to(member)[2:]
    assert [t.split("截止，")[1][:6] for t in later] == [
        "还剩 7 天", "还剩 3 天", "还剩 1 天", "还剩 0 天"]
    assert all("2026-12-29 17:00" in t for t in later)


async def test_a_round_added_and_moved_from_the_cli_while_the_bot_runs(bot, member):
    cli = build_services(bot.settings, clock=bot.svc.clock)  # another process, same database
    await rounds.create_round(cli, name="命令行轮次", level="city", year=2026,
                              opens_on=dt.date(2026, 11, 1), deadline_at=at("2026-12-15 17:00"),
                              recommended_on=dt.date(2026, 12, 20))
    await days(bot, "2026-12-08 09:00")
    assert ["命令行轮次 将于 2026-12-15 17:00 截止，还剩 7 天" in t
            for t in reminders_to(member)] == [True]
    await rounds.change_deadline(cli, 1, at("2026-12-18 17:00"))
    await days(bot, "2026-12-10 09:00")
    assert len(reminders_to(member)) == 1
    await days(bot, "2026-12-11 09:00", "2026-12-12 09:00", "2026-12-14 09:00",
               "2026-12-15 09:00")
    assert [t.split("：")[1].split("。")[0] for t in reminders_to(member)[1:]] == [
        "命令行轮次 将于 2026-12-18 17:00 截止，还剩 7 天",
        "命令行轮次 将于 2026-12-18 17:00 截止，还剩 3 天"]
    await cli.close()


async def test_an_extension_moves_that_organisations_reminders(bot, member, round_):
    await round_.send("/extend 1 1 2026-12-18 17:00")
    await days(bot, "2026-12-08 09:00")
    assert reminders_to(member) == []  # its 7 days start from the extension
    await days(bot, "2026-12-11 09:00", "2026-12-15 09:00", "2026-12-15 17:30",
               "2026-12-17 09:00", "2026-12-18 09:00", "2026-12-18 17:00")
    texts = reminders_to(member)
    assert all("将于 2026-12-18 17:00 截止" in t for t in texts)
    assert ["还剩 7 天" in texts[0], "还剩 0 天" in texts[-1], len(texts)] == [True, True, 4]


async def test_an_extension_after_the_deadline_brings_the_last_reminders_back(
        bot, member, round_):
    await days(bot, "2026-12-15 17:30")  # the round closed; what was left expired
    await round_.send("/extend 1 1 2026-12-18 17:00")
    await days(bot, "2026-12-17 09:00", "2026-12-18 09:00")
    assert ["还剩 1 天" in t or "还剩 0 天" in t for t in reminders_to(member)] == [True, True]


async def test_a_project_submitted_before_the_round_existed_is_not_missing(bot, member):
    await new_project(member)
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    assert "已提交审核" in member.last_text
    admin = bot.chat(1, "管理员")
    await admin.send("/newround 市级评选 city 2026 2026-11-01 2026-12-15 17:00 2026-12-20")
    bot.svc.clock.current = at("2026-12-08 09:00")
    assert await dispatch_due(bot.app) == {"skipped": 1}
    assert reminders_to(member) == []  # not "本组织还没有提交项目材料"


# -- sends that fail ---------------------------------------------------------------------------
def failing_sends(bot, faults: list) -> None:
    """The next sendMessage calls fail with these, in order: an ApiError is Telegram's error
    answer; an exception is raised as PTB's HTTPX request would raise it."""
    original = bot.fake.call

    async def call(method, params, files):
        if method.lower() == "sendmessage" and faults:
            fault = faults.pop(0)
            if fault is not None:
                if isinstance(fault, ApiError):
                    return fault.status, fault.payload()
                raise fault
        return await original(method, params, files)

    bot.fake.call = call


def network_error(cause: httpx.HTTPError) -> Exception:
    """What PTB's HTTPX request raises when httpx raised `cause`."""
    try:
        raise NetworkError(f"httpx.{type(cause).__name__}: {cause}") from cause
    except NetworkError as exc:
        return exc


def connect_error() -> Exception:
    return network_error(httpx.ConnectError("connection refused"))


def read_timeout() -> Exception:
    try:
        raise TimedOut from httpx.ReadTimeout("read timed out")
    except TimedOut as exc:
        return exc


async def test_a_reminder_telegram_certainly_did_not_deliver_is_retried_until_it_goes(
        bot, member, round_):
    # Calls Telegram did not perform are first repeated at once by the sending layer
    # (bot/runtime/delivery.py, SEND_ATTEMPTS in all); a failure that outlasts them, or a
    # refusal (400), reaches the reminder, which goes again minutes later.
    attempts = bot.settings.send_attempts
    failing_sends(bot, [ApiError(500, "Internal Server Error")] * attempts
                  + [connect_error()] * attempts
                  + [ApiError(400, "Bad Request: something went wrong")]
                  + [ApiError(502, "Bad Gateway")] * attempts)
    bot.svc.clock.current = at("2026-12-08 09:00")
    waited = []
    for _ in range(4):
        assert await dispatch_due(bot.app) == {"retry": 1}
        assert await dispatch_due(bot.app) == {}  # not at once: backoff
        due = [r.due_at for r in await reminder_rows(bot.svc) if r.kind == "d7"][0]
        waited.append((due.astimezone(SHANGHAI) - bot.svc.clock.now()).total_seconds())
        bot.svc.clock.current = due.astimezone(SHANGHAI)
    assert waited == [60, 120, 240, 480]  # doubling each time
    assert await dispatch_due(bot.app) == {"sent": 1}
    assert len(reminders_to(member)) == 1


async def test_a_reminder_whose_send_timed_out_is_sent_once_more(bot, member, round_):
    failing_sends(bot, [read_timeout()])  # the request went out; no answer came back, and
    bot.svc.clock.current = at("2026-12-08 09:00")  # here it never arrived
    assert await dispatch_due(bot.app) == {"sent": 1}
    assert len(reminders_to(member)) == 1  # the second send brought it
    bot.svc.clock.advance(dt.timedelta(hours=2))
    assert await dispatch_due(bot.app) == {}
    assert {r.kind: r.status for r in await reminder_rows(bot.svc)}["d7"] == "sent"


@pytest.mark.parametrize("fault", ["timeout", "drop"])
async def test_a_reminder_whose_answer_was_lost_is_sent_once_more_and_no_more(
        bot, member, round_, fault):
    # Telegram showed it but its answer was lost (a timeout, the connection lost): shown
    # twice rather than risk a missed deadline; twice is all, whatever the second send does.
    bot.svc.clock.current = at("2026-12-08 09:00")
    bot.fake.fail_next("sendMessage", fault)
    assert await dispatch_due(bot.app) == {"sent": 1}
    assert len(reminders_to(member)) == 2
    bot.svc.clock.current = at("2026-12-12 09:00")
    bot.fake.fail_next("sendMessage", fault, fault)
    assert await dispatch_due(bot.app) == {"failed": 1}  # outcome unknown: not sent a third time
    bot.svc.clock.advance(dt.timedelta(hours=2))
    assert await dispatch_due(bot.app) == {}
    assert len(reminders_to(member)) == 4
    assert {r.kind: r.status for r in await reminder_rows(bot.svc)}["d3"] == "failed"


async def test_a_send_that_never_left_is_judged_as_every_call_to_telegram_is(
        bot, member, round_):
    # A write error: the request never reached Telegram. The sending layer repeats it as a
    # call not performed (bot/runtime/delivery.py); when that outlasts its attempts the
    # reminder goes again later, by the same rule — not given up as "perhaps delivered".
    never_left = network_error(httpx.WriteError("broken pipe"))
    failing_sends(bot, [never_left] * bot.settings.send_attempts)
    bot.svc.clock.current = at("2026-12-08 09:00")
    assert await dispatch_due(bot.app) == {"retry": 1}
    bot.svc.clock.advance(dt.timedelta(minutes=2))
    assert await dispatch_due(bot.app) == {"sent": 1}
    assert len(reminders_to(member)) == 1


async def test_retries_stop_at_the_deadline(bot, member, round_):
    failing_sends(bot, [ApiError(500, "Internal Server Error")] * 100)
    bot.svc.clock.current = at("2026-12-15 16:50")  # ten minutes before the deadline
    for _ in range(10):
        await dispatch_due(bot.app)
        bot.svc.clock.advance(dt.timedelta(minutes=5))
    assert reminders_to(member) == []
    assert {r.status for r in await reminder_rows(bot.svc)} == {"expired", "skipped"}


async def test_with_30_percent_of_sends_failing_no_reminder_is_lost_or_doubled(bot, round_):
    import random

    chats = []
    for i in range(20):
        chat = bot.chat(2000 + i, f"职工{i}")
        await chat.send(f"/start {bot.invite}")
        chats.append(chat)
    chats.append(bot.chat(1001))  # `member`
    rnd = random.Random(7)
    kinds = [ApiError(500, "Internal Server Error"), ApiError(502, "Bad Gateway"),
             connect_error(), ApiError(400, "Bad Request: message to be replied not found")]
    failing_sends(bot, [rnd.choice(kinds) if rnd.random() < 0.3 else None
                        for _ in range(2000)])
    for day in ("2026-12-08", "2026-12-12", "2026-12-14", "2026-12-15"):
        bot.svc.clock.current = at(f"{day} 09:00")
        for _ in range(12):  # the job, every few minutes
            await dispatch_due(bot.app)
            bot.svc.clock.advance(dt.timedelta(minutes=5))
    for chat in chats:
        assert [t.split("截止，")[1][:6] for t in reminders_to(chat)] == [
            "还剩 7 天", "还剩 3 天", "还剩 1 天", "还剩 0 天"], chat.user.id


async def test_a_process_that_died_mid_batch_leaves_nothing_lost_and_nothing_doubled(
        bot, member, round_):
    colleague = bot.chat(1002, "李强")
    await colleague.send(f"/start {bot.invite}")
    bot.svc.clock.current = at("2026-12-08 09:00")
    claimed = await rounds.claim_due(bot.svc)  # a process claimed both …
    first, second = claimed.messages
    assert await rounds.start_sending(bot.svc, [first]) == [first]  # began one, and died
    assert await dispatch_due(bot.app) == {}  # their lease holds: no one else takes them
    bot.svc.clock.advance(dt.timedelta(minutes=11))  # the lease (10 minutes) expired
    assert await dispatch_due(bot.app) == {"sent": 1}  # the one never attempted
    statuses = {r.user_id: r.status for r in await reminder_rows(bot.svc) if r.kind == "d7"}
    assert statuses == {first.user_id: "failed", second.user_id: "sent"}  # at most once
    assert await rounds.start_sending(bot.svc, [second]) == []  # the dead claim holds none
