"""From verified projects to the ranking, city honours, a recommendation upward, a payment
and a later top-up (issue 14): the reviewer's side through the whole PTB stack."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from services import audit
from services.desk import review
from services.people import accounts
from services.walk import projects
from tests.conversation.conftest import new_project
from tests.support.cli import run_in_process


async def _submitted_with_a_file(member, name: str) -> None:
    await new_project(member, name)
    await member.press("⬜ 工会建设")
    await member.press("⬜ 建立工会的批复文件")
    await member.upload(b"%PDF approval", "批复.pdf", "application/pdf")
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")


async def _review(bot, project_id: int, reject: str | None = None) -> None:
    """The desk's verdicts (issue 11): every evidence target accepted, or one rejected."""
    from services.desk import review

    view = await review.open_project(bot.svc, 1, project_id)
    for target in view.targets:
        if target == reject:
            await review.give_verdict(bot.svc, 1, project_id, target, "reject", "材料不清晰")
        else:
            await review.give_verdict(bot.svc, 1, project_id, target, "accept")
    if reject is None:
        await review.verify(bot.svc, 1, project_id)


async def _second_organisation(bot) -> None:
    org = await accounts.create_organization(
        bot.svc, name="市南区=阳光社工", uscc="91110000600037341L", district="市南区",
        established_on=dt.date(2018, 1, 1), valid_until=dt.date(2030, 1, 1))
    other = bot.chat(2002, "李雷")
    await other.send(f"/start {org.invite_code}")
    view = await projects.create_project(bot.svc, 2002, name="=HYPERLINK(\"x\")", area="法律服务",
                                         started_on=dt.date(2024, 3, 1),
                                         completed_on=dt.date(2025, 6, 30),
                                         closed_and_evaluated=True)
    await projects.submit(bot.svc, 2002, view.id)


async def test_from_ranking_to_honours_recommendation_payment_and_top_up(bot, member):
    from openpyxl import load_workbook

    await _submitted_with_a_file(member, "社区法律服务站")
    await _second_organisation(bot)
    reviewer = bot.chat(1, "管理员")
    await reviewer.send("/ranking")
    assert "1. #1 社区法律服务站（崂山区）核定 0 分 / 申报 10 分" in reviewer.last_text
    await _review(bot, 1)

    await reviewer.send("/ranking")
    assert "共 2 个项目" in reviewer.last_text
    assert "1. #1 社区法律服务站（崂山区）核定 10 分 / 申报 10 分" in reviewer.last_text
    assert "2. #2 =HYPERLINK" in reviewer.last_text
    await reviewer.send("/ranking 市南区")
    assert "共 1 个项目" in reviewer.last_text and "社区法律服务站" not in reviewer.last_text
    await reviewer.send("/ranking 火星区")
    assert "未知的取值 火星区" in reviewer.last_text

    await reviewer.send("/ranking")
    await reviewer.press("⚖️ #1 社区法律服务站")
    assert "荣誉：无" in reviewer.last_text and "申报 10 分 · 核定 10 分" in reviewer.last_text
    await reviewer.press("🏅 评为市级优秀项目")
    assert "请确认：将 #1 社区法律服务站 评为市级优秀项目？" in reviewer.last_text
    assert "本轮排名：第 1/2 名，核定 10 分" in reviewer.last_text
    assert "⚠️ 与排名不一致：不在市级评选线内（前 10 名且核定分不低于 60 分）" in reviewer.last_text
    assert "⚠️ 核定分比评选线低 50 分" in reviewer.last_text
    assert "荣誉：无" not in reviewer.last_text  # nothing recorded yet
    await reviewer.press("✅ 确认")
    assert "已记录（2026-11-23，记录人 1）" in reviewer.last_text
    assert "与排名不一致：第 1 名、核定 10 分，不在评选线（前 10 名且≥60 分）内" \
        in reviewer.last_text
    assert "荣誉：市级" in reviewer.last_text and "还应补齐 10000 元" in reviewer.last_text
    assert "🏅 评为市级优秀项目" not in reviewer.buttons

    await reviewer.press("⬆️ 推荐参评省级")
    await reviewer.press("✅ 确认")
    assert "推荐：省级" in reviewer.last_text
    assert "2026-11-23 ⬆️ 推荐参评省级，备注：与排名不一致" in reviewer.last_text
    await reviewer.press("✅ 省级：获评")
    assert "请确认：#1 社区法律服务站 的省级评选结果为“获评”？" in reviewer.last_text
    await reviewer.press("✅ 确认")
    assert "荣誉：市级、省级" in reviewer.last_text
    assert "应得 20000 元" in reviewer.last_text and "已拨付 0 元" in reviewer.last_text
    await reviewer.press_forged("dc:oc:1:provincial:1")  # the outcome's confirmation, again
    assert "已经记录过了" in reviewer.last_text

    await reviewer.send("/pay 1 1万 市总工会 首笔")
    assert "💰 拨付 10000 元（市总工会），备注：首笔" in reviewer.last_text
    assert "还应补齐 10000 元" in reviewer.last_text
    bot.svc.clock.advance(dt.timedelta(days=40))
    await reviewer.send("/pay 1 10000 市总工会 差额补齐")
    assert "已拨付 20000 元 · 还应补齐 0 元" in reviewer.last_text
    assert "2026-11-23 💰 拨付 10000 元" in reviewer.last_text
    assert "2027-01-02 💰 拨付 10000 元" in reviewer.last_text

    await reviewer.send("/history 1")
    history = reviewer.last_text
    steps = ["记录荣誉 市级", "推荐参评上级 省级", "记录推荐结果 省级：已推荐 → 获评",
             "记录荣誉 省级", "首笔", "差额补齐"]
    assert all(step in history for step in steps), history
    assert [history.index(step) for step in steps] == sorted(history.index(s) for s in steps)

    await member.send("/subsidy")
    await member.press("📁 按记录计算：社区法律服务站")
    assert "应补助20000元；已拨付20000元；还应补齐0元" in member.last_text
    assert "2026-11-23 ✅ 省级评选结果：获评" in member.last_text
    await member.send("/pay 1 100")
    assert "只有评审人员" in member.last_text
    await member.send("/ranking")
    assert "只有评审人员" in member.last_text

    await reviewer.send("/ledger")
    assert "合计：应得 20000 元 · 已拨付 20000 元 · 待补齐 0 元" in reviewer.last_text
    await reviewer.press("📥 导出补助台账")
    [doc] = reviewer.documents_since
    book = load_workbook(io.BytesIO(doc.file))
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    assert summary[1][:2] == (1, "社区法律服务站")
    assert summary[1][-6:] == (20000, 20000, 0, 0, 0, 0)  # the city's; no district matching
    assert len(list(book.worksheets[1].iter_rows())) == 1 + 6  # 2 honours, 1 recommendation,
    # 1 outcome, 2 payments

    await reviewer.send("/ranking")
    assert "🏅市级、省级" in reviewer.last_text
    await reviewer.press("📥 导出排名表")
    assert "正在生成文件" in reviewer.replies[0]
    [doc] = reviewer.documents_since
    sheet = load_workbook(io.BytesIO(doc.file)).active
    header, first, second = list(sheet.iter_rows(values_only=True))
    assert header[:7] == ("名次", "市级评选线内", "项目编号", "项目", "社会组织",
                          "统一社会信用代码", "区市")
    assert first[:9] == (1, None, 1, "社区法律服务站", "青岛海都心理健康服务中心",
                         "91350100M000100Y43", "崂山区", 10, 10)
    assert first[-9:] == ("✅ 其余 1 项通过", "市级、省级", "省级", 20000, 20000, 0, 0, 0, 0)
    assert "建立工会的批复文件（核定）" in header
    formula_cell = sheet.cell(row=3, column=4)
    assert formula_cell.value == '=HYPERLINK("x")' and formula_cell.data_type == "s"


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_the_dossier_holds_every_file_by_criterion_and_item_and_a_chinese_summary(
        bot, member, tmp_path):
    import zipfile

    await new_project(member, "社区/法律..服务站")
    await member.press("⬜ 工会建设")
    await member.press("⬜ 建立工会的批复文件")
    await member.upload(b"%PDF approval", "../批复 文件.pdf", "application/pdf")
    await member.upload(b"%PDF second", "批复2.pdf", "application/pdf")
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    reviewer = bot.chat(1, "管理员")
    view = await review.open_project(bot.svc, 1, 1)
    await _review(bot, 1, reject=view.targets[-1])
    await reviewer.send("/decide 1")
    await reviewer.press("🏅 评为市级优秀项目")
    await reviewer.press("✅ 确认")
    await reviewer.press("📦 材料包")
    [doc] = reviewer.documents_since
    assert doc.file_name == "材料包-1.zip" and "2 个证明材料" in doc.text
    with zipfile.ZipFile(io.BytesIO(doc.file)) as z:
        names = z.namelist()
        assert names[0] == "1_社区_法律_服务站_汇总.pdf"
        evidence = sorted(n for n in names[1:])
        assert evidence == ["证明材料/03_工会建设/建立工会的批复文件_01_批复_文件.pdf",
                            "证明材料/03_工会建设/建立工会的批复文件_02_批复2.pdf"]
        assert z.read(evidence[0]) == b"%PDF approval"
        text = _pdf_text(z.read(names[0]))
    for heading in ("项目材料汇总", "评分表（申报 / 核定）", "申报资格", "审核意见", "操作记录",
                    "证明材料清单（共 2 个）", "青岛海都心理健康服务中心", "提交审核",
                    "管理员 记录荣誉 市级：— → 市级",
                    "建立工会的批复文件：不予认定，理由：材料不清晰"):
        assert heading in text, heading
    await member.send("/dossier 1")
    assert "只有评审人员" in member.last_text

    out = tmp_path / "dossier.zip"
    env = {"DATABASE_URL": bot.settings.database_url,
           "EVIDENCE_DIR": str(bot.settings.evidence_dir), "ADMIN_IDS": "1"}
    run = run_in_process(["dossier", "1", "--out", str(out)], env=env)
    assert run.returncode == 0, run.stderr
    assert "2 个证明材料" in run.stdout
    with zipfile.ZipFile(out) as z:
        assert len(z.namelist()) == 3
    missing = run_in_process(["dossier", "99", "--out", str(out)], env=env)
    assert missing.returncode == 2 and "99" in missing.stderr


def _embedded_fonts(data: bytes) -> dict[str, bool]:
    """Each font of the PDF by its name (without a subset's prefix and number): embedded or
    not."""
    from pypdf import PdfReader

    out = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            name = str(font["/BaseFont"]).lstrip("/").split("+")[-1]
            out[re.sub(r"-\d+$", "", name) if embedded else name] = embedded
    return out


async def test_the_dossier_summary_embeds_the_configured_cjk_font_and_no_simhei(
        bot, member, tmp_path, caplog):
    import zipfile

    from reportlab.pdfbase.ttfonts import TTFontFile

    await new_project(member, "社区法律服务站")
    reviewer = bot.chat(1, "管理员")
    await reviewer.send("/dossier 1")
    [doc] = reviewer.documents_since
    with zipfile.ZipFile(io.BytesIO(doc.file)) as z:
        pdf = z.read(z.namelist()[0])
    configured = TTFontFile(str(bot.settings.cjk_font), subfontIndex=0).name.decode()
    fonts = _embedded_fonts(pdf)
    assert {name for name, embedded in fonts.items() if embedded} == {configured}
    assert {name for name, embedded in fonts.items() if not embedded} <= {"Helvetica"}  # unused
    assert "社区法律服务站" in _pdf_text(pdf)
    assert b"SimHei" not in pdf
    root = Path(__file__).resolve().parents[2]
    for path in [root / "pyproject.toml", *(root / "services").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "SimHei" not in text and "mplfonts" not in text, path

    bot.svc.cjk_font = tmp_path / "missing.ttf"  # as CJK_FONT names it: no other font is used
    await reviewer.send("/dossier 1")
    assert reviewer.documents_since == []
    assert f"the CJK font {bot.svc.cjk_font} is missing" in caplog.text


async def test_an_administrator_imports_organisations_by_sending_a_file(bot, member):
    from tests.cli.test_org_import import HEADER, code

    rows = [HEADER, ["阳光社工", code(1), "崂山区", "2019-01-01", ""],
            ["火星社工", code(2), "火星区", "2019-01-01", ""]]
    data = "\n".join(",".join(r) for r in rows).encode("utf-8")
    admin = bot.chat(1, "管理员")
    await admin.upload(data, "orgs.csv", "text/csv", caption="/orgimport")
    assert "第 3 行：所在区市：未知的取值 火星区" in admin.last_text
    assert "一个也没有登记" in admin.last_text
    await admin.upload(data, "orgs.csv", "text/csv", caption="/orgimport good")
    assert "已登记 1 个社会组织" in admin.last_text and "阳光社工：邀请码" in admin.last_text
    await admin.upload(b"\x00\x01", "orgs.pdf", "application/pdf", caption="/orgimport")
    assert "无法读取 orgs.pdf" in admin.last_text
    await member.upload(data, "orgs.csv", "text/csv", caption="/orgimport")
    assert "只有管理员" in member.last_text


async def test_decisions_speak_the_users_language_and_refuse_forged_buttons(bot, member):
    await _submitted_with_a_file(member, "社区法律服务站")
    english = bot.chat(1, "Admin", lang="en")
    await english.send("/decide 1")
    assert "Honours: none" in english.last_text
    assert english.buttons[:3] == ["🏅 Select as a city honour",
                                   "⬆️ Recommend to the provincial round",
                                   "⬆️ Recommend to the national round"]
    await english.press("⬆️ Recommend to the national round")
    assert "Please confirm: recommend #1 社区法律服务站 to the national round?" \
        in english.last_text
    await english.press("✅ Confirm")
    assert "Recommended: national" in english.last_text
    assert "✅ national: awarded" in english.buttons
    await english.press_forged("dc:r:1:galactic")
    assert "This button has expired" in english.last_text
    await english.press_forged("dc:rc:1:galactic")
    assert "This button has expired" in english.last_text
    await english.press_forged("dc:rc:1:city")  # a level one is not recommended to
    assert "city" in english.last_text and "provincial, national" in english.last_text
    await english.press_forged("dc:rk:99:0")  # a district that does not exist
    assert "This button has expired" in english.last_text
    await english.send("/pay 1 -5")
    assert "Usage: /pay" in english.last_text


async def test_a_district_reviewer_ranks_only_their_district(bot, member):
    """Issue 11's scope holds in the ranking: a 市南区 reviewer never sees 崂山区's projects."""
    await _submitted_with_a_file(member, "社区法律服务站")
    await _second_organisation(bot)
    code = await accounts.create_reviewer_invite(bot.svc, created_by=1, district="市南区")
    reviewer = bot.chat(5005, "评审员")
    await reviewer.send(f"/start {code}")
    await reviewer.send("/ranking")
    assert "共 1 个项目" in reviewer.last_text and "社区法律服务站" not in reviewer.last_text
    assert "#2 =HYPERLINK" in reviewer.last_text


async def test_a_district_reviewer_cannot_decide_pay_or_open_another_districts_project(bot,
                                                                                       member):
    """Scope holds for every reviewer's action, not only the lists: a 市南区 reviewer typing the
    id of a 崂山区 project gets no honour, no payment, no ledger and no dossier."""
    await _submitted_with_a_file(member, "社区法律服务站")  # project 1, 崂山区
    code = await accounts.create_reviewer_invite(bot.svc, created_by=1, district="市南区")
    reviewer = bot.chat(5005, "评审员")
    await reviewer.send(f"/start {code}")
    for command in ("/decide 1", "/pay 1 5000", "/ledger 1", "/dossier 1", "/honour 1 city"):
        await reviewer.send(command)
        assert reviewer.documents_since == [], command
        assert "社区法律服务站" not in "\n".join(reviewer.replies), command
    assert [e for e in await audit.log(bot.svc) if e.action in ("honour", "payment")] == []


async def test_the_ranking_pages_on_stored_totals_and_follows_a_verdict(bot, member):
    """Eleven projects: the second page holds the eleventh; a rejection given afterwards
    shows at once (the verdict outdates the project's stored total): still first, on the
    tie-break of its claimed total."""
    view = await projects.create_project(bot.svc, 1001, name="第一个项目", area="法律服务",
                                         started_on=dt.date(2024, 3, 1),
                                         completed_on=dt.date(2025, 6, 30),
                                         closed_and_evaluated=True)
    from services.desk import review
    from services.walk import evidence

    for n in range(11):
        if n:
            view = await projects.create_project(
                bot.svc, 1001, name=f"项目{n:02d}", area="法律服务",
                started_on=dt.date(2024, 3, 1), completed_on=dt.date(2025, 6, 30),
                closed_and_evaluated=True)
        for slot in ("study_records", "union_approval")[:1 + (n == 0)]:
            await evidence.add_file(bot.svc, 1001, project_id=view.id, slot_key=slot,
                                    data=b"%PDF " + bytes([n]) * 9
                                    + slot.encode(),
                                    file_name="a.pdf", mime_type="application/pdf")
        await projects.submit(bot.svc, 1001, view.id)
        await _review(bot, view.id)
    reviewer = bot.chat(1, "管理员")
    await reviewer.send("/ranking")
    assert "共 11 个项目，第 1/2 页" in reviewer.last_text
    assert "1. #1 第一个项目（崂山区）核定 20 分 / 申报 20 分" in reviewer.last_text
    assert "11." not in reviewer.last_text
    await reviewer.press("下一页 ▶")
    assert "第 2/2 页" in reviewer.last_text and "11. #11 项目10" in reviewer.last_text
    await projects.reopen(bot.svc, 1, 1)
    await projects.submit(bot.svc, 1001, 1)
    await review.give_verdict(bot.svc, 1, 1, "union_approval", "reject", "缺盖章")
    await reviewer.send("/ranking")
    assert "1. #1 第一个项目（崂山区）核定 10 分 / 申报 20 分" in reviewer.last_text
    assert "2. #2 项目01（崂山区）核定 10 分 / 申报 10 分" in reviewer.last_text


async def test_the_totals_job_runs_beside_the_reminders(bot, member):
    """The job that keeps the ranking's totals warm is scheduled (TOTALS_INTERVAL_S) and
    scores what is outdated when it runs."""
    from types import SimpleNamespace

    from services.decisions import ranking

    await _submitted_with_a_file(member, "社区法律服务站")
    [job] = bot.app.job_queue.get_jobs_by_name("totals")
    assert job.job.trigger.interval.total_seconds() == bot.settings.totals_interval_s
    await job.callback(SimpleNamespace(application=bot.app))
    assert await ranking.refresh_totals(bot.svc) == 0  # the job scored it already


async def test_a_ranking_with_many_scores_to_work_out_says_so_first(bot, member, monkeypatch):
    """When many projects must be scored again (here: none stored yet; SLOW lowered to 3),
    the reviewer is told before the ranking comes; once stored, the ranking comes at once."""
    from services.decisions import totals

    monkeypatch.setattr(totals, "SLOW", 3)
    for n in range(3):
        view = await projects.create_project(bot.svc, 1001, name=f"项目{n}", area="法律服务",
                                             started_on=dt.date(2024, 3, 1),
                                             completed_on=dt.date(2025, 6, 30),
                                             closed_and_evaluated=True)
        await projects.submit(bot.svc, 1001, view.id)
    reviewer = bot.chat(1, "管理员")
    answers = await reviewer.send("/ranking")
    assert "⏳ 有 3 个项目的得分需要重新计算" in answers[0]
    assert "共 3 个项目" in answers[-1]
    answers = await reviewer.send("/ranking")
    assert len(answers) == 1 and "共 3 个项目" in answers[0]
