"""/desk in the chat (issue 24): reviewers get the web desk's Web App button (when it is
public over https) and a single-use sign-in link; others are told it is not theirs."""

from __future__ import annotations

import re

import httpx

from bot.webapp import make_desk, menu_buttons, serving
from services.people import accounts
from tests.browser.conftest import free_port
from tests.conversation.test_desk_followed import study_record_submitted, two_review_round
from tests.conversation.test_desk_people import appointed
from tests.conversation.test_desk_story import appoint_reviewer


async def test_desk_offers_a_web_app_button_and_a_link_to_reviewers_only(bot, member):
    reviewer = await appoint_reviewer(bot)
    await reviewer.send("/desk")
    assert "未在此运行" in reviewer.last_text  # no web server in this process

    bot.settings.webapp_url = "https://desk.example.org/"
    async with serving(bot.app, bot.settings, free_port()):
        await reviewer.send("/desk")
        assert "https://desk.example.org/desk/link?t=5005." in reviewer.last_text
        [[button]] = reviewer.last.keyboard
        assert button["text"] == "📋 打开评审工作台"
        assert button["web_app"] == {"url": "https://desk.example.org/desk/"}

        await member.send("/desk")
        assert "只有评审人员和管理员" in member.last_text
        assert "/desk/link" not in member.last_text


async def test_reviewers_and_admins_menu_button_opens_the_desk(bot, member):
    await appoint_reviewer(bot)
    bot.settings.webapp_url = "https://desk.example.org"
    set_buttons = []

    class Recorder:  # Telegram's setChatMenuButton, recorded
        async def set_chat_menu_button(self, chat_id, menu_button):
            set_buttons.append((chat_id, menu_button.text, menu_button.web_app.url))

    await menu_buttons(Recorder(), make_desk(bot.svc, None, bot.settings, 0))
    assert sorted(set_buttons) == [(1, "评审工作台", "https://desk.example.org/desk/"),
                                   (5005, "评审工作台", "https://desk.example.org/desk/")]


async def test_a_disagreement_made_on_the_web_desk_is_put_to_the_admins_as_in_the_chat(
        bot, member):
    await two_review_round(bot)
    await study_record_submitted(member)
    admin = bot.chat(1, "管理员")
    first = await appointed(bot, admin, 5005)
    await appointed(bot, admin, 6006)
    await first.send("/review")
    await first.press("🔍 #1 职工心理关爱项目")
    await first.press("⬜ 学习制度、学习记录")
    await first.press("✅ 通过")

    async with serving(bot.app, bot.settings, free_port()) as served, \
            httpx.AsyncClient(follow_redirects=True) as web:
        await web.get(served.link(6006))
        page = (await web.get(f"{served.url}/desk/p/1")).text
        assert "⬜ 学习制度" in page  # blind: the first reviewer's ✅ is not shown
        assert "已通过" not in page
        assert "→ 通过" not in page  # nor in the history
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        await web.post(f"{served.url}/desk/p/1/verdict", data={
            "csrf": csrf, "target": "study_records", "verdict": "reject",
            "preset": "超出时间范围"})
    assert "⚖️ 查看并裁定" in admin.buttons
    await admin.press("⚖️ 查看并裁定")
    assert "✅ 已通过" in admin.last_text and "❌ 已退回：超出时间范围" in admin.last_text


async def test_the_pages_speak_the_users_language_and_staff_are_not_let_in(bot, member):
    await appoint_reviewer(bot)
    await accounts.set_language(bot.svc, 5005, "en")
    async with serving(bot.app, bot.settings, free_port()) as served, \
            httpx.AsyncClient(follow_redirects=True) as web:
        await web.get(served.link(5005))
        page = await web.get(f"{served.url}/desk/queue")
        assert "Queue" in page.text and "Name or credit code" in page.text
        assert 'lang="en"' in page.text

    async with serving(bot.app, bot.settings, free_port()) as served, \
            httpx.AsyncClient(follow_redirects=True) as web:
        page = await web.get(served.link(1001))  # a staff member with a link
        assert page.status_code == 403
        assert "评审工作台只对评审人员和管理员开放" in page.text
