"""/desk in the chat (issue 24): reviewers get the web desk's Web App button (when it is
public over https) and a single-use sign-in link; others are told it is not theirs."""

from __future__ import annotations

from tests.browser.conftest import free_port
from tests.conversation.test_desk_story import appoint_reviewer
from webapp.server import serving


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
