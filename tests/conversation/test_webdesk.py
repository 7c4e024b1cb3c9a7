"""/desk in the chat (issue 24): reviewers get the web desk's Web App button (when it is
public over https) and a single-use sign-in link; others are told it is not theirs."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from bot.runtime.webapp import make_desk, menu_buttons, serving
from bot.settings import Secret
from services import audit
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


async def test_a_used_sign_in_link_is_refused_after_a_restart_too_and_expires(bot, member):
    await appoint_reviewer(bot)
    bot.settings.webapp_secret = Secret("the same key after the restart")
    async with serving(bot.app, bot.settings, free_port()) as served:
        link, stale = served.link(5005), served.link(5005)
        async with httpx.AsyncClient() as web:
            assert (await web.get(link)).status_code == 303
    async with serving(bot.app, bot.settings, free_port()) as served:  # the bot restarted
        async with httpx.AsyncClient(base_url=served.url) as web:
            again = await web.get(link[link.index("/desk/link"):])
            assert again.status_code == 403 and "链接已用过" in again.text
            bot.svc.clock.advance(dt.timedelta(minutes=11))
            expired = await web.get(stale[stale.index("/desk/link"):])  # never used: too old
            assert expired.status_code == 403
            fresh = served.link(5005)
            assert (await web.get(fresh[fresh.index("/desk/link"):])).status_code == 303


async def test_repeated_failed_sign_ins_are_held_off_politely_in_the_users_language(bot, member):
    await appoint_reviewer(bot)
    async with serving(bot.app, bot.settings, free_port()) as served, \
            httpx.AsyncClient(base_url=served.url) as web:
        forged = "/desk/link?t=5005.1.abc.AAAA"
        for _ in range(5):
            assert (await web.get(forged)).status_code == 403
        held = await web.get(forged)
        assert held.status_code == 429
        assert "登录失败次数过多，请 10 分钟后再试" in held.text
        assert int(held.headers["retry-after"]) == 600
        english = await web.get(forged, headers={"Accept-Language": "en-GB,en"})
        assert english.status_code == 429 and "Too many failed sign-ins" in english.text
        link = served.link(5005)  # a good link from the same address waits too
        assert (await web.get(link[link.index("/desk/link"):])).status_code == 429
        answer = await web.post("/desk/telegram",
                                data={"init_data": "user=%7B%22id%22%3A5005%7D&hash=00"})
        assert answer.status_code == 429

        bot.svc.clock.advance(dt.timedelta(minutes=10))
        assert (await web.get(link[link.index("/desk/link"):])).status_code == 303


async def test_failed_sign_ins_naming_one_user_are_held_off_from_any_address(bot, member):
    await appoint_reviewer(bot)
    async with serving(bot.app, bot.settings, free_port()) as served:
        for n in range(5):  # five addresses (a proxy's X-Forwarded-For), one user
            async with httpx.AsyncClient(base_url=served.url,
                                         headers={"X-Real-IP": f"10.0.0.{n}"}) as web:
                assert (await web.get("/desk/link?t=5005.1.abc.AAAA")).status_code == 403
        async with httpx.AsyncClient(base_url=served.url,
                                     headers={"X-Real-IP": "10.0.0.9"}) as web:
            link = served.link(5005)
            assert (await web.get(link[link.index("/desk/link"):])).status_code == 429
            other = served.link(1)  # another user from a fresh address is let in
            assert (await web.get(other[other.index("/desk/link"):])).status_code == 303


async def test_reviewers_notes_are_kept_audited_and_never_shown_to_staff(bot, member):
    await two_review_round(bot)
    await study_record_submitted(member)
    admin = bot.chat(1, "管理员")
    await appointed(bot, admin, 5005)
    await appointed(bot, admin, 6006)
    async with serving(bot.app, bot.settings, free_port()) as served:
        async with httpx.AsyncClient(follow_redirects=True) as web:
            await web.get(served.link(5005))
            page = (await web.get(f"{served.url}/desk/p/1")).text
            assert "还没有备注" in page
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            empty = await web.post(f"{served.url}/desk/p/1/note", data={"csrf": csrf,
                                                                       "text": "  "})
            assert empty.status_code == 400 and "请填写备注内容" in empty.text
            page = await web.post(f"{served.url}/desk/p/1/note", data={
                "csrf": csrf, "text": "已电话核实<b>负责人</b>，材料真实"})
            assert page.url.path == "/desk/p/1"
            assert "已电话核实&lt;b&gt;负责人&lt;/b&gt;，材料真实" in page.text  # never HTML
            assert "评审5005" in page.text.split('id="notes"')[1]
        async with httpx.AsyncClient(follow_redirects=True) as web:  # blind: not the others'
            await web.get(served.link(6006))
            assert "已电话核实" not in (await web.get(f"{served.url}/desk/p/1")).text
        async with httpx.AsyncClient(follow_redirects=True) as web:
            await web.get(served.link(1))
            assert "已电话核实" in (await web.get(f"{served.url}/desk/p/1")).text

    await admin.send("/history 1")  # the chat's desk reads it in the project's history
    assert "评审5005 记下评审备注：已电话核实<b>负责人</b>，材料真实" in admin.last_text  # as typed
    await member.send("/history 1")  # the organisation's staff never see it
    assert "已电话核实" not in member.last_text and "备注" not in member.last_text
    logged = [e for e in await audit.log(bot.svc, 1) if e.action == "note"]
    assert [(e.actor_id, e.reason) for e in logged] == [(5005, "已电话核实<b>负责人</b>，材料真实")]


async def test_a_queue_address_with_an_odd_reviewer_number_lists_the_queue(bot, member):
    """A hand-edited address (`?assignee=` with a superscript digit, or a number too large
    for the database) gets the queue unfiltered, not an error page."""
    await appoint_reviewer(bot)
    async with serving(bot.app, bot.settings, free_port()) as served, \
            httpx.AsyncClient(follow_redirects=True) as web:
        await web.get(served.link(5005))
        for odd in ("²", "9" * 30):
            page = await web.get(f"{served.url}/desk/queue", params={"assignee": odd})
            assert page.status_code == 200, odd
            assert "待审项目" in page.text


async def test_a_garbled_sign_in_gets_the_refusal_page(bot, member):
    async with serving(bot.app, bot.settings, free_port()) as served, \
            httpx.AsyncClient(follow_redirects=True) as web:
        page = await web.get(f"{served.url}/desk/link", params={"t": "².1.n.m"})
        assert page.status_code == 403
        page = await web.post(f"{served.url}/desk/telegram",
                              data={"init_data": "user=%7B%22id%22%3A1e400%7D&hash=x"})
        assert page.status_code == 403


async def test_a_file_name_shows_on_the_project_page_as_it_was_sent(bot, member):
    """User text is data: a file name that looks like an HTML entity is not read as one."""
    await study_record_submitted(member, "R&amp;D&lt;2&gt;.pdf")
    await appoint_reviewer(bot)
    async with serving(bot.app, bot.settings, free_port()) as served, \
            httpx.AsyncClient(follow_redirects=True) as web:
        await web.get(served.link(5005))
        page = (await web.get(f"{served.url}/desk/p/1")).text
        assert "R&amp;amp;D&amp;lt;2&amp;gt;.pdf" in page  # shown: R&amp;D&lt;2&gt;.pdf
