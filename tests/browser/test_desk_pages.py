"""The federation's desk as a Mini App (issue 24), in a real headless Chromium: a reviewer
signs in with Telegram's init data, filters the queue, opens a project, sees its photo and
a PDF page, rejects an item with a reason and returns the project — and the staff member
gets the chat's message with that reason. Forged and expired sign-ins, a reused sign-in
link, another district's project and another reviewer's CSRF token are refused; the same
story runs once more through a sign-in link in a plain browser page."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from urllib.parse import quote, quote_plus

import httpx
import pytest
from docx import Document
from PIL import Image
from reportlab.pdfgen import canvas
from selenium.webdriver.support.ui import Select

from bot import cli
from bot.cli import webdesk as cli_webdesk
from bot.runtime.webapp import serving
from bot.settings import Secret
from domain import signin
from fakegram import FakeUser
from handlers import webpages
from services.decisions import ledger as ledgers
from services.desk import assignments, review
from services.people import accounts
from services.walk import evidence, projects
from tests.browser.conftest import free_port
from tests.conversation.conftest import demo_org, make_settings, start_bot
from tests.conversation.test_desk_followed import shinan_project_submitted
from tests.conversation.test_desk_story import press_starting
from tests.support.chat import Chat, running

TOKEN = "123456:TEST-TOKEN"
REVIEWER, OTHER, ADMIN = 5005, 6006, 1


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setFont("Helvetica", 28)
    page.drawString(72, 720, "Study records 2025")
    page.rect(72, 400, 300, 200, fill=1)
    page.showPage()
    page.setFont("Helvetica", 28)
    page.drawString(72, 720, "Page two")
    page.save()
    return out.getvalue()


def docx() -> bytes:
    out = io.BytesIO()
    document = Document()
    document.add_paragraph("2025年职工活动方案")
    document.add_paragraph("一、心理讲座每月一次")
    document.save(out)
    return out.getvalue()


class Desk:
    def __init__(self, bot, served, staff: Chat, shinan: int) -> None:
        self.bot, self.served, self.staff, self.shinan = bot, served, staff, shinan
        self.base = served.url

    def init_data(self, user_id: int = REVIEWER, age: int = 60, **changed) -> str:
        now = int(self.bot.svc.clock.now().timestamp())
        fields = {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
                  "user": json.dumps({"id": user_id, "first_name": "评审员",
                                      "language_code": "zh-hans"}, ensure_ascii=False),
                  "auth_date": str(now - age)}
        signed = signin.sign_init_data(fields, TOKEN)
        for key, value in changed.items():  # altered after Telegram signed it
            assert quote_plus(fields[key]) in signed
            signed = signed.replace(quote_plus(fields[key]), quote_plus(value))
        return signed

    def mini_app(self, init_data: str) -> str:
        return (f"{self.base}/desk/#tgWebAppData={quote(init_data, safe='')}"
                "&tgWebAppVersion=7.0&tgWebAppPlatform=android")


class Bot:
    """What tests/conversation's helpers read of their `bot` fixture."""

    def __init__(self, svc, fake, app) -> None:
        self.svc, self.fake, self.app = svc, fake, app

    def chat(self, user_id: int, name: str = "评审员") -> Chat:
        return Chat(self.app, self.fake, FakeUser(user_id, name, language_code="zh-hans"))


@pytest.fixture
async def desk(tmp_path, migrated_database_url):
    settings = make_settings(tmp_path, migrated_database_url)
    settings.telegram_bot_token = Secret(TOKEN)
    svc, fake, app = await start_bot(settings)
    bot = Bot(svc, fake, app)
    org = await demo_org(svc)
    async with running(app), serving(app, settings, free_port()) as served:
        staff = bot.chat(1001, "王芳")
        await staff.send(f"/start {org.invite_code}")
        view = await projects.create_project(
            svc, 1001, name="职工心理关爱项目", area="心理关怀",
            started_on=dt.date(2024, 3, 1), completed_on=dt.date(2025, 6, 30),
            closed_and_evaluated=True)
        await evidence.add_file(svc, 1001, project_id=view.id, slot_key="premises_photos",
                                data=photo(), file_name="招牌.jpg", mime_type="image/jpeg")
        await evidence.add_file(svc, 1001, project_id=view.id, slot_key="study_records", data=pdf(),
                                file_name="学习记录.pdf", mime_type="application/pdf")
        await evidence.add_file(svc, 1001, project_id=view.id, slot_key="activity_materials",
                                data=docx(), file_name="方案.docx",
                                mime_type="application/vnd.openxmlformats-officedocument."
                                "wordprocessingml.document")
        await evidence.add_entry(svc, 1001, view.id, "media_reports", level="national",
                                 title="工人日报<script>alert(1)</script>", happened_on=None,
                                 link="https://example.org/a")
        await projects.submit(svc, 1001, view.id)
        for user_id in (REVIEWER, OTHER):
            code = await accounts.create_reviewer_invite(svc, created_by=1, district="崂山区")
            await bot.chat(user_id).send(f"/start {code}")
        shinan = await shinan_project_submitted(bot)
        yield Desk(bot, served, staff, shinan)
    await svc.close()


async def test_a_reviewer_rejects_and_returns_in_the_mini_app_and_staff_are_told(
        desk, browser):
    for refused in (desk.init_data(age=2 * 3600),  # expired
                    desk.init_data(user=json.dumps({"id": OTHER, "first_name": "评审员"}))):
        await browser.get("about:blank")  # a new page each time (not a new fragment only)
        await browser.get(desk.mini_app(refused))
        await browser.wait_for("#message[data-refused='403']")
        assert "登录无效" in await browser.text("#message")
    await browser.get("about:blank")
    await browser.get(desk.mini_app(desk.init_data()))
    await browser.wait_for("table.queue")
    assert "职工心理关爱项目" in await browser.text("table.queue")
    assert "市南职工法律援助" not in await browser.text()  # another district's
    await browser.shot("queue", 360)
    await browser.shot("queue", 1280)
    district = (await browser.css("select[name=district]"))[0]
    await browser.call(lambda: Select(district).select_by_value("市南区"))  # applies at once
    await browser.wait_for("select[name=district] option[value='市南区'][selected]")
    assert "没有符合条件的项目" in await browser.text()  # none of 市南区 in their scope
    district = (await browser.css("select[name=district]"))[0]  # the page was replaced
    await browser.call(lambda: Select(district).select_by_value("崂山区"))
    await browser.wait_for("select[name=district] option[value='崂山区'][selected]")
    assert "职工心理关爱项目" in await browser.text("table.queue")

    search = (await browser.css("input[name=q]"))[0]
    await browser.call(search.send_keys, "91350100M000100Y43\n")  # by its credit code
    await browser.wait_for("a[href='/desk/p/1']")
    await browser.call((await browser.css("a[href='/desk/p/1']"))[0].click)
    await browser.wait_for("section.item")
    photo_ok = await browser.call(browser.driver.execute_script, """
        const ready = img => img.complete && img.naturalWidth > 0;
        return [...document.querySelectorAll('img.photo')].map(ready).concat(
               [...document.querySelectorAll('img.page')].map(ready));""")
    assert photo_ok == [True, True, True]  # the photo, the PDF's two pages
    assert "2025年职工活动方案\n一、心理讲座每月一次" in await browser.text("pre.docx")
    await browser.shot("project", 360)
    await browser.shot("project", 1280)

    section = "section[id='item-study_records'] form.reject"
    await browser.call((await browser.css(f"{section} input[name=reason]"))[0].send_keys,
                       "学习记录<b>不清晰</b>，请重新扫描")
    await browser.call((await browser.css(f"{section} button"))[0].click)
    await browser.wait_for("#said")
    assert "❌" in await browser.text("section[id='item-study_records'] h2")
    note = (await browser.css("form.note textarea"))[0]  # the reviewer's own note
    await browser.call(note.send_keys, "照片与登记名称核对过<i>一致</i>")
    await browser.call((await browser.css("#add-note"))[0].click)
    await browser.wait_for("p.note")
    assert "照片与登记名称核对过<i>一致</i>" in await browser.text("#notes")  # as typed
    await browser.call((await browser.css("#return"))[0].click)
    await browser.wait_for("#message")
    assert "已通知 1 位工作人员" in await browser.text("#message")

    told = desk.staff.last_text
    assert "已被退回修改" in told
    assert "❌ 学习制度、学习记录：学习记录<b>不清晰</b>，请重新扫描" in told  # as typed
    assert "核对过" not in told  # the note stays with the federation

    # the chat's desk sees the same verdict at once
    reviewer = desk.bot.chat(REVIEWER)
    await reviewer.send("/review")
    assert "已退回" in reviewer.last_text


async def test_the_same_story_through_a_sign_in_link_in_a_plain_browser(desk, browser):
    reviewer = desk.bot.chat(REVIEWER)
    await reviewer.send("/desk")
    link = re.search(r"http://\S+", reviewer.last_text).group(0)
    assert "只能用一次" in reviewer.last_text
    assert not reviewer.last.keyboard  # no Web App button: Telegram opens only https pages

    await browser.call(browser.driver.delete_all_cookies)
    await browser.get(link)
    await browser.wait_for("table.queue")
    state = (await browser.css("select[name=state]"))[0]
    await browser.call(lambda: Select(state).select_by_value("submitted"))  # applies at once
    await browser.wait_for("select[name=state] option[value=submitted][selected]")
    assert "职工心理关爱项目" in await browser.text("table.queue")
    await browser.call((await browser.css("a[href='/desk/p/1']"))[0].click)
    await browser.wait_for("section.item img.page")
    section = "section[id='item-premises_photos'] form.reject"
    preset = (await browser.css(f"{section} select[name=preset]"))[0]
    await browser.call(lambda: Select(preset).select_by_index(1))
    reason = await browser.call(lambda: Select(preset).first_selected_option.text)
    await browser.call((await browser.css(f"{section} button"))[0].click)
    await browser.wait_for("#said")
    await browser.call((await browser.css("#return"))[0].click)
    await browser.wait_for("#message")
    assert f"❌ 场所照片等证明材料（招牌名称与登记名称一致）：{reason}" in desk.staff.last_text

    await browser.call(browser.driver.delete_all_cookies)
    await browser.get(link)  # the same link again
    assert "登录无效" in await browser.text("#message")
    for _ in range(4):  # and again: five failed sign-ins from this address
        await browser.get(link)
    await browser.get(link)
    assert "登录失败次数过多，请 10 分钟后再试" in await browser.text("#message")


async def test_forged_expired_reused_out_of_scope_and_another_reviewers_csrf_are_refused(
        desk, monkeypatch, capsys):
    async with httpx.AsyncClient(base_url=desk.base, follow_redirects=True) as web, \
            httpx.AsyncClient(base_url=desk.base) as other:
        altered = desk.init_data(user=json.dumps({"id": OTHER, "first_name": "评审员"}))
        forged = signin.sign_init_data({"user": json.dumps({"id": REVIEWER}),
                                        "auth_date": str(int(desk.bot.svc.clock.now()
                                                             .timestamp()))}, "1:OTHER")
        expired = desk.init_data(age=2 * 3600)
        for refused in (altered, forged, expired, "user=1&hash=00"):
            answer = await web.post("/desk/telegram", data={"init_data": refused})
            assert answer.status_code == 403 and "登录无效" in answer.text
        assert (await web.get("/desk/queue")).status_code == 403  # no session

        answer = await web.post("/desk/telegram", data={"init_data": desk.init_data()})
        assert answer.status_code == 200
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/desk" in cookie
        page = await web.get("/desk/queue")
        assert page.status_code == 200
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert "http" not in page.headers["content-security-policy"].split(
            "frame-ancestors")[0]  # nothing loads from outside

        # another district's project, and its files
        shinan = await web.get(f"/desk/p/{desk.shinan}")
        assert shinan.status_code == 403 and "不在您的评审范围内" in shinan.text
        assert (await web.get(f"/desk/p/{desk.shinan}/f/3")).status_code == 403

        # a write carrying another reviewer's CSRF token, or none
        await other.post("/desk/telegram", data={"init_data": desk.init_data(OTHER)})
        theirs = re.search(r'name="csrf" value="([^"]+)"', (await other.get("/desk/p/1")).text)
        mine = re.search(r'name="csrf" value="([^"]+)"', (await web.get("/desk/p/1")).text)
        assert theirs.group(1) != mine.group(1)
        for token in (theirs.group(1), ""):
            answer = await web.post("/desk/p/1/verdict", data={
                "csrf": token, "target": "study_records", "verdict": "accept"})
            assert answer.status_code == 403
        assert "⬜ 学习制度" in (await web.get("/desk/p/1")).text  # nothing saved
        answer = await web.post("/desk/p/1/verdict", data={
            "csrf": mine.group(1), "target": "study_records", "verdict": "accept"})
        assert "✅ 学习制度" in answer.text
        # user text is never HTML
        assert "工人日报&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
        assert "<script>alert" not in answer.text
        # an entry's level lowered, with its reason
        entry = re.search(r'name="target" value="(entry:\d+)"', answer.text).group(1)
        answer = await web.post("/desk/p/1/verdict", data={
            "csrf": mine.group(1), "target": entry, "verdict": "adjust", "level": "city",
            "reason": "系区级媒体转载"})
        assert "设区市级" in answer.text and "系区级媒体转载" in answer.text

        # a verdict given in the chat shows on the page at once
        reviewer = desk.bot.chat(REVIEWER)
        await reviewer.send("/review")
        await press_starting(reviewer, "🔍 #1")
        await press_starting(reviewer, "⬜ 场所照片")
        await reviewer.press("✅ 通过")
        assert "✅ 场所照片" in (await web.get("/desk/p/1")).text
        answer = await web.post("/desk/p/1/verify", data={"csrf": mine.group(1)})
        assert answer.status_code == 400 and "还有 1 项材料未通过审核" in answer.text
        await web.post("/desk/p/1/verdict", data={
            "csrf": mine.group(1), "target": "activity_materials", "verdict": "accept"})
        answer = await web.post("/desk/p/1/verify", data={"csrf": mine.group(1)})
        assert "已审核通过" in answer.text
        assert "🏁 您的项目“职工心理关爱项目”已审核通过" in desk.staff.last_text  # as in the chat

    # the command line's link signs in once
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setattr(cli_webdesk.time, "time", desk.bot.svc.clock.now().timestamp)
    assert cli.main(["desk-link", str(REVIEWER)]) == 0
    link = capsys.readouterr().out.strip()
    path = link[link.index("/desk/link"):]
    async with httpx.AsyncClient(base_url=desk.base) as web:
        assert (await web.get(path)).status_code == 303
        assert (await web.get(path)).status_code == 403  # used


async def test_the_round_progress_ranking_and_ledger_read_only_with_workbooks(desk, browser):
    await assignments.assign(desk.bot.svc, ADMIN, 1, REVIEWER)
    await browser.call(browser.driver.delete_all_cookies)
    await browser.get(desk.served.link(ADMIN))
    await browser.wait_for("table.queue")
    assert "市南职工法律援助" in await browser.text("table.queue")  # the whole city
    assignee = (await browser.css("select[name=assignee]"))[0]
    await browser.call(lambda: Select(assignee).select_by_value(str(REVIEWER)))
    await browser.wait_for(f"select[name=assignee] option[value='{REVIEWER}'][selected]")
    shown = await browser.text("table.queue")
    assert "职工心理关爱项目" in shown and "市南职工法律援助" not in shown
    await browser.shot("queue-admin", 1280)
    await browser.call((await browser.css("a[href='/desk/round']"))[0].click)
    await browser.wait_for("img.chart")
    loaded = await browser.call(browser.driver.execute_script, """
        const img = document.querySelector('img.chart');
        return img.complete && img.naturalWidth > 0;""")
    assert loaded
    assert "崂山区" in await browser.text("table") and "市南区" in await browser.text("table")
    await browser.shot("round", 360)
    await browser.shot("round", 1280)
    await browser.call((await browser.css("a[href='/desk/ranking']"))[0].click)
    await browser.wait_for("#ranking-xlsx")
    assert "职工心理关爱项目" in await browser.text("table.queue")
    await browser.call((await browser.css("a[href='/desk/ledger']"))[0].click)
    await browser.wait_for("#ledger-xlsx")

    async with httpx.AsyncClient(base_url=desk.base) as web:
        await web.post("/desk/telegram", data={"init_data": desk.init_data(ADMIN)})
        book = await web.get("/desk/ranking.xlsx")
        assert book.status_code == 200 and book.content[:2] == b"PK"
        assert (await web.get("/desk/ledger.xlsx")).content[:2] == b"PK"
    async with httpx.AsyncClient(base_url=desk.base) as web:  # a reviewer: no progress page
        await web.post("/desk/telegram", data={"init_data": desk.init_data()})
        assert (await web.get("/desk/round")).status_code == 403
        assert (await web.get("/desk/ranking")).status_code == 200


async def signed_in_by_link(desk, browser, user_id: int) -> None:
    """A new browser session signed in with a link of the bot's: the queue is shown."""
    await browser.call(browser.driver.delete_all_cookies)
    await browser.get(desk.served.link(user_id))
    await browser.wait_for("table.queue")


async def test_the_ranking_and_the_ledger_page_like_the_queue(desk, browser, monkeypatch):
    monkeypatch.setattr(webpages, "PAGE_SIZE", 1)
    for project_id in (1, desk.shinan):
        await ledgers.honour(desk.bot.svc, ADMIN, project_id, "city")
    await signed_in_by_link(desk, browser, ADMIN)
    await browser.get(f"{desk.base}/desk/ledger")
    await browser.wait_for("#ledger-xlsx")
    shown = await browser.text("table.queue")
    assert "职工心理关爱项目" in shown and "市南职工法律援助" not in shown
    assert "第 1/2 页" in await browser.text("nav.pages")
    await browser.call((await browser.css("nav.pages a"))[0].click)  # 下一页
    await browser.wait_for("nav.pages a[href='/desk/ledger?page=1']")
    shown = await browser.text("table.queue")
    assert "市南职工法律援助" in shown and "职工心理关爱项目" not in shown
    assert "第 2/2 页" in await browser.text("nav.pages")

    await browser.get(f"{desk.base}/desk/ranking")
    await browser.wait_for("#ranking-xlsx")
    first = await browser.text("table.queue")
    await browser.call((await browser.css("nav.pages a"))[0].click)
    await browser.wait_for("nav.pages a[href='/desk/ranking?page=1']")
    assert await browser.text("table.queue") != first
    assert "第 2/" in await browser.text("nav.pages")


async def test_a_resubmitted_project_shows_per_item_what_the_staff_changed(desk, browser):
    svc = desk.bot.svc
    view = await review.open_project(svc, REVIEWER, 1)
    entry = next(e for s in view.slots for e in s.entries)
    old_pdf = next(f for s in view.slots for f in s.files if f.file_name == "学习记录.pdf")
    await review.give_verdict(svc, REVIEWER, 1, "study_records", "reject", "不清晰")
    await review.give_verdict(svc, REVIEWER, 1, f"entry:{entry.id}", "reject", "标题不符")
    await review.give_verdict(svc, REVIEWER, 1, "premises_photos", "accept")
    await review.return_project(svc, REVIEWER, 1)

    svc.clock.advance(dt.timedelta(days=1, hours=2))  # the staff fix what was returned
    await evidence.add_file(svc, 1001, project_id=1, slot_key="study_records", data=pdf(),
                            file_name="学习记录（重扫）.pdf", mime_type="application/pdf")
    await evidence.remove_file(svc, 1001, 1, old_pdf.id)
    await evidence.update_entry(svc, 1001, 1, entry.id, entry.version,
                                title="工人日报（更正）", level="provincial")
    added, _ = await evidence.add_entry(svc, 1001, 1, "media_reports", level="city",
                                        title="青岛日报", happened_on=None)
    await projects.submit(svc, 1001, 1)

    await signed_in_by_link(desk, browser, REVIEWER)
    await browser.get(f"{desk.base}/desk/p/1")
    await browser.wait_for("section.item")
    study = await browser.text("[id='changed-study_records']")
    assert "上次审核（11-23 10:00）后的修改" in study
    assert "＋ 新增 学习记录（重扫）.pdf（11-24 12:00）" in study
    assert "－ 删除 学习记录.pdf（11-24 12:00）" in study
    changed = await browser.text(f"[id='changed-entry:{entry.id}']")
    assert ("标题：工人日报<script>alert(1)</script> → 工人日报（更正）（11-24 12:00）"
            in changed)  # user text as text
    assert "级别：国家级 → 省部级" in changed
    assert "🆕 上次审核后新登记（11-24 12:00）" in await browser.text(
        f"[id='changed-entry:{added}']")
    assert not await browser.css("[id='changed-premises_photos']")  # nothing changed there
    assert "修改材料" in await browser.text("ol.history")
    await browser.shot("project-changed", 360)
    await browser.shot("project-changed", 1280)
