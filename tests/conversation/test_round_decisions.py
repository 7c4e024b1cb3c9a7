"""A round's decisions end to end, as a federation officer makes them in the chat (issue 21):
the ranking with a tie, a city honour confirmed and another revoked, a recommendation and its
outcome, the district's matching paid, an overpayment refused then confirmed by an
administrator, a wrong payment reversed; then the workbooks agree with /ranking and /ledger
row for row."""

from __future__ import annotations

import io
import re
from datetime import date as dt_date

from openpyxl import load_workbook

from tests.conversation.test_money import _laoshan_matches, reviewed


def _ranking_rows(text: str) -> list[tuple]:
    """(place or None, project, verified, claimed) of each line of /ranking."""
    out = []
    for line in text.splitlines():
        if m := re.match(r"(\d+)\. ⭐?#(\d+) .*核定 (\d+) 分 / 申报 (\d+) 分", line):
            out.append((int(m[1]), *map(int, m.groups()[1:])))
        elif m := re.match(r"— #(\d+) .*核定 (\d+) 分 / 申报 (\d+) 分", line):
            out.append((None, *map(int, m.groups())))
    return out


def _ledger_rows(text: str) -> list[tuple]:
    """(project, city entitled, paid, due, district entitled, paid, due) of /ledger."""
    out = []
    for line in text.splitlines():
        m = re.match(r"#(\d+) .*：应得 (\d+) · 已付 (\d+) · 待补 (\d+)"
                     r"(?:；区市配套 应得 (\d+) · 已付 (\d+) · 待补 (\d+))?", line)
        if m:
            out.append(tuple(int(x or 0) for x in m.groups()))
    return out


async def test_a_rounds_decisions_from_the_ranking_to_the_last_payment(bot, member):
    _laoshan_matches(bot)  # 崂山区 matches a provincial honour with 5,000
    heart = await reviewed(bot, 1, "职工心理驿站", rate=99, city=1, union_work=True)
    legal = await reviewed(bot, 2, "法律援助站", rate=90, national=2)
    stale = await reviewed(bot, 3, "过期证书项目", rate=95, national=3,
                           valid_until=dt_date(2025, 1, 1))
    officer = bot.chat(1, "市总工会管理员")
    staff = bot.chat(3002, "职工2")  # 法律援助站's staff member

    # the ranking: a tie on 36 points, separated by media + exchange points; one apart
    await officer.send("/ranking")
    ranking_text = officer.last_text
    assert f"1. #{legal} 法律援助站（崂山区）核定 36 分 / 申报 36 分" in ranking_text
    assert f"2. #{heart} 职工心理驿站（崂山区）核定 36 分 / 申报 36 分" in ranking_text
    assert "⚖️ 同分，由媒体报道+经验推广得分区分" in ranking_text
    assert f"— #{stale} 过期证书项目" in ranking_text and "登记证书已过期" in ranking_text

    # a city honour, confirmed after the warning that it is below the line
    await officer.press(f"⚖️ #{legal} 法律援助站")
    await officer.press("🏅 评为市级优秀项目")
    assert "⚠️ 与排名不一致" in officer.last_text and "低 24 分" in officer.last_text
    await officer.press("✅ 确认")
    assert "荣誉：市级" in officer.last_text
    assert "获评市级优秀项目" in staff.last_text  # its staff are told

    # another honour by mistake, revoked with a reason
    await officer.send(f"/decide {heart}")
    await officer.press("🏅 评为市级优秀项目")
    await officer.press("✅ 确认")
    await officer.send(f"/reverse {heart} 1 误评，应为法律援助站")
    assert "荣誉：无" in officer.last_text
    assert "2. 2026-11-23 ↩️ 冲正/撤销第 1 条，原因：误评，应为法律援助站" in officer.last_text

    # recommended upward, and the province awards it
    await officer.send(f"/decide {legal}")
    await officer.press("⬆️ 推荐参评省级")
    await officer.press("✅ 确认")
    await officer.press("✅ 省级：获评")
    assert "的省级评选结果为“获评”" in officer.last_text
    await officer.press("✅ 确认")
    assert "荣誉：市级、省级" in officer.last_text
    assert "市级补助：应得 20000 元 · 已拨付 0 元 · 还应补齐 20000 元" in officer.last_text
    assert "崂山区配套补助（另行拨付）：应得 5000 元 · 已拨付 0 元 · 还应补齐 5000 元" \
        in officer.last_text

    # the money: the city pays 16,000, the district its matching 5,000
    await officer.send(f"/pay {legal} 16000 市总工会 首笔")
    assert "还应补齐 4000 元" in officer.last_text
    await officer.send(f"/pay {legal} 5000 崂山区总工会 区配套")
    assert "崂山区配套补助（另行拨付）：应得 5000 元 · 已拨付 5000 元 · 还应补齐 0 元" \
        in officer.last_text
    assert "💰 拨付 5000 元（崂山区总工会）" in staff.last_text

    # 6,000 more from the city is refused (4,000 due), then confirmed by the administrator
    await officer.send(f"/pay {legal} 6000 市总工会 第二笔")
    assert "⚠️ 未记录：市总工会对这个项目还应补齐 4000 元（应得 20000 元）" in officer.last_text
    await officer.press("⚠️ 确认超额拨付 6000 元")
    assert "市级补助：应得 20000 元 · 已拨付 22000 元 · 还应补齐 0 元" in officer.last_text

    # it was wrong after all: reversed with its reason, the row stays
    row = re.search(r"(\d+)\. \S+ 💰 拨付 6000 元", officer.last_text)[1]
    await officer.send(f"/reverse {legal} {row} 超付，应为4000元")
    assert "（已于 2026-11-23 冲正/撤销）" in officer.last_text
    assert "市级补助：应得 20000 元 · 已拨付 16000 元 · 还应补齐 4000 元" in officer.last_text
    await officer.send(f"/pay {legal} 4000 市总工会 差额补齐")
    assert "市级补助：应得 20000 元 · 已拨付 20000 元 · 还应补齐 0 元" in officer.last_text

    # the workbooks agree with what the chat shows, row for row
    await officer.send("/ranking")
    shown = _ranking_rows(officer.last_text)
    assert [r[1] for r in shown] == [legal, heart, stale]
    await officer.press("📥 导出排名表")
    [doc] = officer.documents_since
    sheet = list(load_workbook(io.BytesIO(doc.file)).active.iter_rows(values_only=True))
    assert [(r[0] if isinstance(r[0], int) else None, r[2], r[7], r[8]) for r in sheet[1:]] \
        == shown
    verdicts = sheet[0].index("审核意见")
    assert all(row[verdicts] for row in sheet[1:])

    await officer.send("/ledger")
    ledger = _ledger_rows(officer.last_text)
    assert ledger == [(heart, 0, 0, 0, 0, 0, 0), (legal, 20000, 20000, 0, 5000, 5000, 0)]
    await officer.press("📥 导出补助台账")
    [doc] = officer.documents_since
    book = load_workbook(io.BytesIO(doc.file))
    summary = list(book.worksheets[0].iter_rows(values_only=True))[1:]
    assert [(r[0], *r[-6:]) for r in summary] == ledger
    rows = list(book.worksheets[1].iter_rows(values_only=True))[1:]
    reversal = [r for r in rows if r[4] == "冲正/撤销" and r[0] == legal]
    assert [(r[9], r[10]) for r in reversal] == [("超付，应为4000元", int(row))]
