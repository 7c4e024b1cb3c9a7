"""Several people at once: each one's updates in order, nobody waits for somebody else.

Updates go in through `Application.update_queue`, as polling delivers them, so the
application's update processor (bot/runtime/updates.py) decides what runs when."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import TypeHandler

from fakegram import FakeTelegram, FakeUser
from tests.conversation.conftest import new_project

GUARD = 10.0  # seconds: only to turn a hang into a failure, never a speed goal


def since(fake: FakeTelegram, user: FakeUser, mark: int) -> list[str]:
    return [m.text for m in fake.messages(user.id) if m.seq > mark]


async def burst(bot, updates: list[Update]) -> None:
    for update in updates:
        bot.app.update_queue.put_nowait(update)
    await asyncio.wait_for(bot.app.update_queue.join(), GUARD)


async def test_rapid_messages_of_two_people_stay_in_each_ones_order(bot, member):
    other = bot.chat(1002, "李雷")
    await other.send(f"/start {bot.invite}")
    for chat, project in ((member, "职工心理关爱项目"), (other, "职工法律援助项目")):
        await new_project(chat, project)
        await chat.press("⬜ 媒体报道")
        await chat.press("⬜ 主流媒体正面报道")
        await chat.press("➕ 登记国家级（3分/条）")
    a, b = member.user, other.user
    fake, mark = bot.fake, bot.fake.seq
    await burst(bot, [
        fake.user_message(a, "工人日报《职工心理关爱》", queue=False),
        fake.user_message(b, "大众日报《职工法律援助》", queue=False),
        fake.user_message(a, "2025-05-01", queue=False),
        fake.user_message(b, "2025-06-02", queue=False),
        fake.user_message(a, "https://www.workercn.cn/1", queue=False),
        fake.user_message(b, "https://www.dzwww.com/2", queue=False),
    ])
    for user in (a, b):
        replies = since(fake, user, mark)
        assert len(replies) == 3, replies
        assert "日期？" in replies[0] and "请发送链接" in replies[1]
        assert "✅ 已保存。当前得分：3/100分（+3）" in replies[2]


async def test_a_slow_update_of_one_person_does_not_hold_up_another(bot, member):
    other = bot.chat(1002, "李雷")
    await other.send("/start")
    a, b = member.user, other.user
    entered, release, b_answered = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow_for_a(update: Update, _context) -> None:  # runs before the bot's handlers
        if update.effective_user.id == a.id and update.effective_message.text == "/menu":
            entered.set()
            await release.wait()

    bot.app.add_handler(TypeHandler(Update, slow_for_a), group=-1000)  # a group of its own
    bot.fake.on_send = lambda message: message.chat_id == b.id and b_answered.set()
    fake, mark = bot.fake, bot.fake.seq
    for text in ("/menu", "/help"):
        bot.app.update_queue.put_nowait(fake.user_message(a, text, queue=False))
    await asyncio.wait_for(entered.wait(), GUARD)
    bot.app.update_queue.put_nowait(fake.user_message(b, "/help", queue=False))

    try:
        await asyncio.wait_for(b_answered.wait(), GUARD)  # B answered while A's update waits
        assert "使用说明" in since(fake, b, mark)[0]
        assert since(fake, a, mark) == []  # A's /help waits for A's own /menu
    finally:
        release.set()
    await asyncio.wait_for(bot.app.update_queue.join(), GUARD)
    replies = since(fake, a, mark)
    assert len(replies) == 2 and replies[0] == "请选择：" and "使用说明" in replies[1], replies
