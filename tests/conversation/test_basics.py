"""Start, join, menus, language, cancel, errors: the chat as a newcomer meets it."""

from __future__ import annotations

from tests.conversation.conftest import ADMIN


async def test_start_greets_in_chinese_with_a_menu(chat):
    await chat.send("/start")
    assert "工会服务助手" in chat.last_text
    assert "/join" in chat.last_text  # a guest learns how to join
    assert chat.buttons == ["❓ 政策问答", "📊 看评分", "💰 查补助", "📎 提交材料", "📋 评分标准",
                            "ℹ️ 帮助"]


async def test_english_users_get_english(bot):
    chat = bot.chat(2002, "Ann", lang="en-US")
    await chat.send("/start")
    assert "union service assistant" in chat.last_text
    assert "📊 Scores" in chat.buttons


async def test_joining_through_the_invite_link(bot, chat):
    await chat.send(f"/start {bot.invite}")
    assert "加入成功：青岛海都心理健康服务中心（工作人员）" in chat.last_text
    await chat.send("/start")
    assert "您已加入：青岛海都心理健康服务中心" in chat.last_text


async def test_join_with_a_wrong_code_says_what_to_do(chat):
    await chat.send("/join WRONGCODE")
    assert "邀请码无效" in chat.last_text
    await chat.send("/join")
    assert "/join 邀请码" in chat.last_text


async def test_lang_switches_and_sticks(chat):
    await chat.send("/lang")
    await chat.press("English")
    assert chat.last_text.startswith("Language set to English")
    await chat.send("/help")
    assert "How to use" in chat.last_text


async def test_cancel_outside_anything(chat):
    await chat.send("/cancel")
    assert "当前没有进行中的操作" in chat.last_text


async def test_unknown_command_and_a_stale_button(bot, chat):
    await chat.send("/frobnicate")
    assert "没有这个命令" in chat.last_text
    await chat.send("/subsidy")
    chooser = chat.last
    await chat.send("/cancel")
    assert "已取消" in chat.last_text
    await chat._feed(bot.fake.user_press(chat.user, chooser.message_id, "sub:h:city",
                                         queue=False))
    assert "按钮已失效" in bot.fake.callback_answers[-1]["text"]


async def test_the_standard_needs_no_account(chat):
    await chat.send("/standard")
    text = chat.last_text
    assert "百分评估标准" in text and "政治建设" in text and "登记证书：10分" in text


async def test_commands_are_registered_per_language(bot):
    commands = bot.fake.commands(scope={"type": "default"}, language_code="en")
    assert any(c["command"] == "submit" for c in commands)
    zh = bot.fake.commands(scope={"type": "default"}, language_code="zh")
    assert next(c for c in zh if c["command"] == "score")["description"] == "查看项目得分"


async def test_an_administrator_sees_the_admin_commands_and_a_member_does_not(bot):
    admin = bot.fake.commands(scope={"type": "chat", "chat_id": ADMIN})
    assert {"neworg", "review", "submit"} <= {c["command"] for c in admin}
    member = bot.fake.commands(scope={"type": "default"}, language_code="zh")
    assert "neworg" not in {c["command"] for c in member}


async def test_an_error_in_a_handler_reaches_the_user_politely(bot, chat, monkeypatch):
    import handlers.score

    async def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(handlers.score, "organization_scores", boom)
    await chat.send(f"/start {bot.invite}")
    await chat.send("/score")
    assert "出了点问题" in chat.last_text and "没有丢失" in chat.last_text
    assert "Traceback" not in chat.last_text and "fire" not in chat.last_text
