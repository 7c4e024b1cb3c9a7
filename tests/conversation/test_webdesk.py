"""/desk in the chat (issue 24): reviewers get the web desk's Web App button (when it is
public over https) and a single-use sign-in link; others are told it is not theirs."""

from __future__ import annotations

from tests.browser.conftest import free_port
from tests.conversation.test_desk_story import appoint_reviewer
from webapp.server import make_desk, menu_buttons, serving


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
