"""Money held to SPEC (issue 21): payments checked against what is due and corrected by a
reversal row, the district's matching as its own entitlement with its own payments, and
honours and payments recorded by the payer role only — through the whole PTB stack."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

from openpyxl import load_workbook

from domain.subsidy import DistrictRule
from domain.uscc import check_character
from services import audit
from services.decisions import ledger as ledgers
from services.desk import review
from services.people import accounts
from services.walk import evidence, projects
from tests.conversation.test_decisions import _submitted_with_a_file
from tests.conversation.test_desk_people import appointed

PDF = b"%PDF-1.4 "


async def reviewed(bot, n: int, name: str, *, rate: float, national: int = 0, city: int = 0,
                   union_work: bool = False, valid_until: dt.date = dt.date(2030, 1, 1),
                   verify: bool = True) -> int:
    """Organisation n of 崂山区 and its project, submitted and every item accepted:
    study records and the union's approval (20), the satisfaction rate with its survey,
    `national` and `city` media reports, the union's work materials if `union_work`."""
    first = f"91370200MA{n:07d}"
    org = await accounts.create_organization(
        bot.svc, name=f"社会组织{n}", uscc=first + check_character(first), district="崂山区",
        established_on=dt.date(2019, 5, 10), valid_until=valid_until)
    staff = 3000 + n
    await accounts.join(bot.svc, staff, org.invite_code, f"职工{n}")
    pid = (await projects.create_project(
        bot.svc, staff, name=name, area="心理关怀", started_on=dt.date(2024, 3, 1),
        completed_on=dt.date(2025, 6, 30), closed_and_evaluated=True)).id
    slots = ["study_records", "union_approval", "satisfaction_rate"]
    for slot in slots + (["union_work_materials"] if union_work else []):
        await evidence.add_file(bot.svc, staff, project_id=pid, slot_key=slot,
                                data=PDF + f"{n}{slot}".encode(), file_name=f"{slot}.pdf",
                                mime_type="application/pdf")
    await evidence.set_figure(bot.svc, staff, pid, "satisfaction_rate", rate, 0)
    for k, level in enumerate(["national"] * national + ["city"] * city):
        await evidence.add_entry(bot.svc, staff, pid, "media_reports", level=level,
                                 title=f"报道{n}-{k}", happened_on=dt.date(2026, 1, 5),
                                 link=f"https://example.org/{n}/{k}")
    await projects.submit(bot.svc, staff, pid)
    for target in (await review.open_project(bot.svc, 1, pid)).targets:
        await review.give_verdict(bot.svc, 1, pid, target, "accept")
    if verify:
        await review.verify(bot.svc, 1, pid)
    bot.svc.clock.advance(dt.timedelta(minutes=5))  # the next one submits later
    return pid


def _laoshan_matches(bot) -> None:
    """崂山区 publishes a matching standard (配套支持标准): 5,000 for a provincial honour."""
    table = bot.svc.subsidy_table
    bot.svc.subsidy_table = dataclasses.replace(table, districts={
        "崂山区": DistrictRule("崂山区", {"national": 8000, "provincial": 5000, "city": 3000})})


async def test_a_payment_beyond_what_is_due_is_refused_until_an_admin_confirms(bot, member):
    await _submitted_with_a_file(member, "社区法律服务站")
    admin = bot.chat(1, "管理员")

    await admin.send("/pay 1 0 市总工会")
    assert "0 不是有效的拨付金额，应为正整数" in admin.last_text
    assert "没有拨付请填 0" not in admin.last_text
    await admin.send("/pay 1 -5000 市总工会 冲正")
    assert "冲正" in admin.last_text and "/reverse" in admin.last_text

    await admin.send("/pay 1 10000 市总工会")  # no honour yet
    assert "未记录" in admin.last_text and "项目尚无任何荣誉" in admin.last_text
    assert "已记录" not in admin.last_text
    assert admin.buttons == ["⚠️ 确认超额拨付 10000 元"]
    assert (await ledgers.project_ledger(bot.svc, 1, 1)).balance.paid == 0

    await ledgers.honour(bot.svc, 1, 1, "city")
    await admin.send("/pay 1 99999 市总工会 录入")
    assert "还应补齐 10000 元（应得 10000 元），这笔 99999 元超出了应补金额" in admin.last_text
    await admin.press("⚠️ 确认超额拨付 99999 元")
    assert "已记录" in admin.last_text
    assert "市级补助：应得 10000 元 · 已拨付 99999 元 · 还应补齐 0 元" in admin.last_text
    [entry] = [e for e in (await audit.history(bot.svc, 1, project_id=1)).entries
               if e.action == "payment"]
    assert "管理员确认" in entry.reason and entry.actor_id == 1
    await admin.press("⚠️ 确认超额拨付 99999 元")  # the same button again: nothing twice
    assert "已不存在" in admin.last_text
    assert (await ledgers.project_ledger(bot.svc, 1, 1)).balance.paid == 99999


async def test_a_wrong_payment_is_reversed_by_a_dated_row_with_its_reason(bot, member):
    await _submitted_with_a_file(member, "社区法律服务站")
    admin = bot.chat(1, "管理员")
    await ledgers.honour(bot.svc, 1, 1, "city")
    await admin.send("/pay 1 8000 市总工会 首笔")
    assert "2. 2026-11-23 💰 拨付 8000 元（市总工会），备注：首笔" in admin.last_text

    await admin.send("/reverse 1 2")
    assert "用法：/reverse 项目编号 记录序号 原因" in admin.last_text
    await admin.send("/reverse 1 9 录错")
    assert "没有可冲正的第 9 条" in admin.last_text
    await admin.send("/reverse 1 2 金额录错，应为5000元")
    text = admin.last_text
    assert ("2. 2026-11-23 💰 拨付 8000 元（市总工会），备注：首笔 — 记录人 1"
            "（已于 2026-11-23 冲正/撤销）") in text
    assert "3. 2026-11-23 ↩️ 冲正/撤销第 2 条，原因：金额录错，应为5000元" in text
    assert "已拨付 0 元 · 还应补齐 10000 元" in text
    await admin.send("/reverse 1 2 再来一次")
    assert "没有可冲正的第 2 条" in admin.last_text
    await admin.send("/pay 1 5000 市总工会")
    assert "已拨付 5000 元 · 还应补齐 5000 元" in admin.last_text

    await admin.send("/ledger")
    assert "已拨付 5000 元 · 待补齐 5000 元" in admin.last_text
    await admin.send("/history 1")
    assert "金额录错，应为5000元" in admin.last_text


async def test_honour_records_no_amount_so_a_running_total_is_not_paid_twice(bot, member):
    await _submitted_with_a_file(member, "社区法律服务站")
    admin = bot.chat(1, "管理员")
    await ledgers.honour(bot.svc, 1, 1, "city")
    await admin.send("/pay 1 10000 市总工会")
    await admin.send("/honour 1 省级 10000")  # the officer means "10,000 paid so far"
    assert "/honour 只记录荣誉，不记录金额" in admin.last_text
    assert "/pay 1 本笔金额 拨付单位" in admin.last_text
    book = await ledgers.project_ledger(bot.svc, 1, 1)
    assert (book.honours, book.balance.paid) == (("city",), 10000)


async def test_a_typed_honour_is_confirmed_and_warned_like_the_button(bot, member):
    legal = await reviewed(bot, 1, "法律援助站", rate=90, national=2)
    officer = bot.chat(1, "市总工会管理员")
    await officer.send(f"/honour {legal} 市级")
    assert f"请确认：将 #{legal} 法律援助站 评为市级优秀项目？" in officer.last_text
    assert "⚠️ 与排名不一致" in officer.last_text and "低 24 分" in officer.last_text
    assert officer.buttons == ["✅ 确认", "✖️ 取消"]
    assert (await ledgers.project_ledger(bot.svc, 1, legal)).honours == ()  # not yet
    await officer.press("✅ 确认")
    assert "✅ 已记录" in officer.last_text and "荣誉：市级" in officer.last_text
    await officer.send(f"/honour {legal} 市级")
    await officer.press("✅ 确认")
    assert "这一项已经记录过了" in officer.last_text


async def test_only_the_payer_role_records_honours_and_payments(bot, member):
    await _submitted_with_a_file(member, "社区法律服务站")
    admin = bot.chat(1, "管理员")
    reviewer = await appointed(bot, admin, 5005, "崂山区")  # a district's reviewer
    await ledgers.honour(bot.svc, 1, 1, "city")

    await reviewer.send("/pay 1 99999 市总工会")
    assert "只能由市总工会管理员或其授权的拨付人员记录" in reviewer.last_text
    await reviewer.send("/honour 1 省级")
    assert "只能由市总工会管理员或其授权的拨付人员记录" in reviewer.last_text
    assert (await ledgers.project_ledger(bot.svc, 1, 1)).balance.paid == 0

    await reviewer.send("/payer add 5005")
    assert "只有管理员" in reviewer.last_text or "管理员" in reviewer.last_text
    await admin.send("/payer add 5005")
    assert "用户 5005 现在可以记录荣誉和拨付" in admin.last_text
    await reviewer.send("/pay 1 99999 市总工会")  # a payer, but not an administrator
    assert "未记录" in reviewer.last_text and "须由管理员确认" in reviewer.last_text
    assert reviewer.buttons == [] or "确认超额拨付" not in " ".join(reviewer.buttons)
    await reviewer.send("/pay 1 6000 市总工会")
    assert "已拨付 6000 元 · 还应补齐 4000 元" in reviewer.last_text
    await admin.send("/payer remove 5005")
    await reviewer.send("/pay 1 1000 市总工会")
    assert "只能由市总工会管理员或其授权的拨付人员记录" in reviewer.last_text


async def test_district_matching_is_its_own_entitlement_with_its_own_payments(bot, member):
    _laoshan_matches(bot)
    await _submitted_with_a_file(member, "社区法律服务站")
    admin = bot.chat(1, "管理员")
    await ledgers.honour(bot.svc, 1, 1, "provincial")

    await admin.send("/pay 1 16000 市总工会 首笔")
    assert "市级补助：应得 20000 元 · 已拨付 16000 元 · 还应补齐 4000 元" in admin.last_text
    assert "崂山区配套补助（另行拨付）：应得 5000 元 · 已拨付 0 元 · 还应补齐 5000 元" \
        in admin.last_text
    assert "9000" not in admin.last_text
    await admin.send("/pay 1 6000 市总工会")  # the city owes 4,000, not 9,000
    assert "未记录：市总工会对这个项目还应补齐 4000 元" in admin.last_text

    await admin.send("/pay 1 5000 崂山区总工会 区配套")
    assert "💰 拨付 5000 元（崂山区总工会），备注：区配套" in admin.last_text
    assert "崂山区配套补助（另行拨付）：应得 5000 元 · 已拨付 5000 元 · 还应补齐 0 元" \
        in admin.last_text
    assert "市级补助：应得 20000 元 · 已拨付 16000 元 · 还应补齐 4000 元" in admin.last_text
    await admin.send("/pay 1 100 区")
    assert "未记录：崂山区总工会对这个项目还应补齐 0 元" in admin.last_text
    await admin.send("/pay 1 100 火星总工会")
    assert "拨付单位" in admin.last_text and "市总工会、崂山区总工会" in admin.last_text

    await admin.send("/ledger")
    assert "#1 社区法律服务站（崂山区）省级：应得 20000 · 已付 16000 · 待补 4000；" \
           "区市配套 应得 5000 · 已付 5000 · 待补 0" in admin.last_text
    assert "区市配套合计（另行拨付）：应得 5000 元 · 已拨付 5000 元 · 待补齐 0 元" \
        in admin.last_text
    await admin.press("📥 导出补助台账")
    [doc] = admin.documents_since
    book = load_workbook(io.BytesIO(doc.file))
    header, row = list(book.worksheets[0].iter_rows(values_only=True))
    assert header[-6:] == ("市级补助应得（按最高荣誉，元）", "市级补助已拨付（元）",
                           "市级补助待补齐（元）", "区市配套应得（元）", "区市配套已拨付（元）",
                           "区市配套待补齐（元）")
    assert row[-6:] == (20000, 16000, 4000, 5000, 5000, 0)
    payments = [r for r in book.worksheets[1].iter_rows(values_only=True) if r[4] == "拨付"]
    assert [(r[7], r[8]) for r in payments] == [(16000, "市总工会"), (5000, "崂山区总工会")]


async def test_a_decision_is_confirmed_warned_against_the_ranking_and_revocable(bot, member):
    await _submitted_with_a_file(member, "社区法律服务站")  # verified at 0 of 100
    admin = bot.chat(1, "管理员")
    await admin.send("/decide 1")
    await admin.press("🏅 评为市级优秀项目")
    assert "请确认：将 #1 社区法律服务站 评为市级优秀项目？" in admin.last_text
    assert "⚠️ 与排名不一致：不在市级评选线内（前 10 名且核定分不低于 60 分）" in admin.last_text
    assert "⚠️ 核定分比评选线低 60 分" in admin.last_text
    assert "市总工会自定的规则，两份政策文件中都没有" in admin.last_text
    assert admin.buttons == ["✅ 确认", "✖️ 取消"]
    await admin.press("✖️ 取消")  # back to the card, nothing recorded
    assert "荣誉：无" in admin.last_text
    assert (await ledgers.project_ledger(bot.svc, 1, 1)).lines == ()

    await admin.press("🏅 评为市级优秀项目")
    await admin.press("✅ 确认")
    assert "✅ 已记录" in admin.last_text and "荣誉：市级" in admin.last_text
    assert "1. 2026-11-23 🏅 获评市级优秀项目，备注：与排名不一致：第 1 名、核定 0 分" \
        in admin.last_text
    assert "撤销一项决定或冲正一笔拨付：/reverse 1 序号 原因" in admin.last_text
    # the organisation's staff hear of it, from the record
    assert "📣 您单位的项目《社区法律服务站》有新的荣誉或补助记录" in member.last_text
    assert "获评市级优秀项目" in member.last_text
    assert "市级补助：应得 10000 元 · 已拨付 0 元 · 还应补齐 10000 元" in member.last_text

    await admin.send("/reverse 1 1 核定分远低于评选线，误评")
    assert "荣誉：无" in admin.last_text
    assert "（已于 2026-11-23 冲正/撤销）" in admin.last_text
    assert "2. 2026-11-23 ↩️ 冲正/撤销第 1 条，原因：核定分远低于评选线，误评" in admin.last_text
    assert "🏅 评为市级优秀项目" in admin.buttons  # it may be decided again
    assert "冲正/撤销第 1 条，原因：核定分远低于评选线，误评" in member.last_text
    [entry] = [e for e in (await audit.history(bot.svc, 1, project_id=1)).entries
               if e.action == "reversal"]
    assert entry.reason == "核定分远低于评选线，误评"
    await member.send("/history 1")  # the staff read the log in words: no ids, no JSON
    assert "核定分远低于评选线，误评" in member.last_text
    assert not any(c in member.last_text for c in "{}[]\""), member.last_text


async def test_ties_follow_spec_and_the_ineligible_are_listed_apart(bot):
    # 36 each: the later one has the lower rate (both score 10) but more media points
    second = await reviewed(bot, 1, "职工心理驿站", rate=99, city=1, union_work=True)
    first = await reviewed(bot, 2, "法律援助站", rate=90, national=2)
    expired = await reviewed(bot, 3, "过期证书项目", rate=95, national=3,
                             valid_until=dt.date(2025, 1, 1))
    admin = bot.chat(1, "管理员")
    await admin.send("/ranking")
    text = admin.last_text
    assert f"1. #{first} 法律援助站（崂山区）核定 36 分 / 申报 36 分" in text
    assert f"2. #{second} 职工心理驿站（崂山区）核定 36 分 / 申报 36 分" in text
    assert text.count("⚖️ 同分，由媒体报道+经验推广得分区分") == 2
    assert "满意度得分 10 · 媒体+推广得分 6" in text and "满意度得分 10 · 媒体+推广得分 1" in text
    assert "两份政策文件中都没有" in text
    apart = text.index("⛔ 有阻断性资格问题，单列，不参与排名：")
    assert text.index(f"— #{expired} 过期证书项目（崂山区）") > apart
    assert "登记证书已过期" in text[apart:]
    assert "3. " not in text  # no place among the eligible

    await admin.send("/review")
    text = admin.last_text
    apart = text.index("⛔ 有阻断性资格问题，单列，不参与排名：")
    assert text.index(f"#{expired} 过期证书项目（崂山区，已审核通过）") > apart
    assert "⛔登记证书已过期" in text[apart:] and "法律援助站" in text[:apart]


async def test_staff_hear_of_a_recommendation_its_outcome_and_each_payment(bot, member):
    await _submitted_with_a_file(member, "社区法律服务站")
    admin = bot.chat(1, "管理员")
    english = bot.chat(1002, "Li", lang="en")
    await english.send(f"/start {bot.invite}")
    await english.send("/lang")
    await english.press("English")
    await admin.send("/decide 1")
    await admin.press("⬆️ 推荐参评省级")
    await admin.press("✅ 确认")
    assert "⬆️ 推荐参评省级" in member.last_text
    assert "recommended to the provincial round" in english.last_text
    await admin.press("✅ 省级：获评")
    await admin.press("✅ 确认")
    assert "✅ 省级评选结果：获评" in member.last_text and "获评省级优秀项目" in member.last_text
    assert "应得 20000 元" in member.last_text
    await admin.send("/pay 1 1万 市总工会 首笔")
    assert "💰 拨付 10000 元（市总工会），备注：首笔" in member.last_text
    assert "已拨付 10000 元 · 还应补齐 10000 元" in member.last_text
    assert "paid 10000 yuan" in english.last_text


async def test_the_dossier_names_levels_kinds_and_rates_and_holds_a_reports_link(bot):
    import zipfile

    from pypdf import PdfReader

    pid = await reviewed(bot, 1, "职工心理驿站", rate=95, national=1, verify=False)
    await review.give_verdict(bot.svc, 1, pid, "satisfaction_rate", "adjust", "问卷样本不足",
                              value=85)
    admin = bot.chat(1, "管理员")
    await admin.send(f"/dossier {pid}")
    [doc] = admin.documents_since
    with zipfile.ZipFile(io.BytesIO(doc.file)) as z:
        pdf = z.read(z.namelist()[0])
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "链接：https://example.org/1/0" in text
    assert "主流媒体正面报道：报道1-0（国家级，2026-01-05）" in text
    assert "调整为 85%，理由：问卷样本不足" in text and "85.0" not in text
