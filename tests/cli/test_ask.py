"""`python -m bot ask` and `python -m bot docs`, in-process (tests/support/cli.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from domain.corpus import normalize
from tests.support.cli import run_in_process

SEED_2021 = "关于工会联系引导社会组织为职工提供专业化服务的实施意见"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_in_process(args, env=env)


def ask_json(*args: str, env: dict[str, str] | None = None) -> dict:
    out = cli("ask", "--json", *args, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_json_contract_with_a_computed_answer_first():
    data = ask_json("国家级的项目能补多少钱")
    results = data["results"]
    assert len(results) == 3 and data["fallback"] is False
    for row in results:
        assert set(row) >= {"text", "source", "section", "score"}
        assert row["section"].startswith("《") and " › " in row["section"]
        assert isinstance(row["score"], float)
    first = results[0]
    assert first["text"].splitlines()[0] == (
        "评为全国工会联系引导社会组织服务职工优秀项目的，给予经费补助3万元。")
    assert "给予经费补助3万元" in first["text"]  # then the passage it rests on
    assert first["source"] == SEED_2021
    assert first["section"] == f"《{SEED_2021}》 › 三、加强组织领导 › （三）加强经费保障"
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_a_question_in_several_words_and_k():
    data = ask_json("-k", "5", "满意度", "85分", "能得几分")
    assert len(data["results"]) == 5
    assert "得8分" in data["results"][0]["text"]
    assert len(ask_json("-k", "1", "报告交给谁")["results"]) == 1


def test_readable_answer_has_the_passage_and_its_source():
    out = cli("ask", "门头牌子跟执照上名字不一样咋整")
    assert out.returncode == 0, out.stderr
    assert "招牌名称与登记名称一致" in out.stdout
    assert "出处：《" in out.stdout and "登记注册" in out.stdout
    english = cli("--lang", "en", "ask", "满意度85分能得几分")
    assert "scores 8" in english.stdout and "Source:" in english.stdout


def test_fallback_says_so_shows_three_passages_and_whom_to_ask():
    data = ask_json("今天天气怎么样")
    assert data["fallback"] is True and len(data["results"]) == 3
    out = cli("ask", "今天天气怎么样")
    assert out.returncode == 0
    assert "没有找到" in out.stdout and "法律工作部" in out.stdout


def test_a_neighbouring_topic_is_declined_with_the_documents_contact():
    data = ask_json("养老保险交满多少年才能领")  # a passage shares 养老 (养老公寓)
    assert data["fallback"] is True
    out = cli("ask", "养老保险交满多少年才能领")
    assert "樊朝斌" in out.stdout and "83092827" in out.stdout


def test_a_passage_with_a_past_deadline_is_shown_with_its_date():
    out = cli("ask", "调研报告什么时候截止")
    assert "2018年11月30日前报送" in out.stdout
    assert "此段注明的日期 2018-11-30 已过，不是当前期限" in out.stdout


def test_an_english_question_finds_the_chinese_passage_and_its_figure():
    data = ask_json("How much subsidy does a provincial excellent project get?")
    assert data["fallback"] is False
    assert "2万" in data["results"][0]["text"] and "给予经费补助2万元" in data["results"][0]["text"]


def test_two_rates_and_the_difference_of_two_levels_are_each_answered():
    assert "85%得8分、92%得10分" in ask_json("满意度85%和92%分别能得几分")["results"][0]["text"]
    first = ask_json("国家级和省级优秀项目补助差多少钱")["results"][0]["text"]
    assert "相差1万元" in first


@pytest.mark.parametrize("args", [("ask",), ("ask", "  "), ("ask", "--json"),
                                  ("ask", "-k", "0", "报告交给谁"),
                                  ("ask", "-k", "x", "报告交给谁")])
def test_bad_input_exits_2_with_one_line(args):
    out = cli(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1


# ---- added documents


def make_docx(path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading("关于职工疗休养补贴的通知", level=1)
    doc.add_paragraph("各基层工会：")
    doc.add_heading("一、补贴标准", level=2)
    doc.add_paragraph("连续工作满五年的一线职工，每人每年疗休养补贴标准为1800元，由所在单位工会在年度经费中列支。")
    doc.add_heading("二、申请方式", level=2)
    doc.add_paragraph("职工向所在单位工会提出申请，经审核公示后发放。")
    doc.save(str(path))


def cjk_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ``lines`` of text, written by hand (no PDF writer is installed):
    a Type0 font, Identity-H encoding and a ToUnicode map, which is what extraction reads."""
    chars = sorted({ch for line in lines for ch in line})
    content = "BT /F1 12 Tf 14 TL 40 800 Td\n" + "".join(
        f"<{line.encode('utf-16-be').hex()}> Tj T*\n" for line in lines) + "ET"
    blocks = [chars[i : i + 100] for i in range(0, len(chars), 100)]
    bfchar = "".join(f"{len(b)} beginbfchar\n" + "".join(f"<{ord(c):04x}> <{ord(c):04x}>\n"
                                                         for c in b) + "endbfchar\n"
                     for b in blocks)
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <ffff> endcodespacerange\n"
            f"{bfchar}endcmap CMapName currentdict /CMap defineresource pop end end")

    def stream(text: str) -> bytes:
        data = text.encode("ascii")
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Song /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        stream(content),
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Song /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R "
        b"/DW 1000 >>",
        stream(cmap),
        b"<< /Type /FontDescriptor /FontName /Song /Flags 4 /FontBBox [0 -120 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture(scope="module")
def cache_folder(tmp_path_factory) -> Path:
    """One cache directory for this module's tests: the corpora they add differ, the words
    most of them share are tokenised once (store/search_index.py keys each corpus apart)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture()
def user_env(tmp_path, cache_folder) -> dict[str, str]:
    return {"UNIONBOT_DOCS_DIR": str(tmp_path / "docs"), "UNIONBOT_CACHE_DIR": str(cache_folder)}


def listed(env: dict[str, str]) -> dict[str, dict]:
    out = cli("docs", "list", "--json", env=env)
    assert out.returncode == 0, out.stderr
    return {d["id"]: d for d in json.loads(out.stdout)["documents"]}


def test_docx_is_added_answered_from_with_its_citation_listed_and_removed(tmp_path, user_env):
    path = tmp_path / "liaoxiuyang.docx"
    make_docx(path)
    assert "疗休养" not in json.dumps(ask_json("疗休养补贴每年多少钱", env=user_env))

    out = cli("docs", "add", str(path), "--date", "2026-03-01", "--number", "青工〔2026〕3号",
              env=user_env)
    assert out.returncode == 0, out.stderr
    assert "doc-liaoxiuyang" in out.stdout
    assert list(Path(user_env["UNIONBOT_DOCS_DIR"]).glob("*.md"))  # a corpus file

    first = ask_json("一线职工疗休养补贴一年多少钱", env=user_env)["results"][0]
    assert "1800元" in first["text"]
    assert first["source"] == "关于职工疗休养补贴的通知"
    title = "关于职工疗休养补贴的通知"
    assert first["section"] == f"《{title}》 › {title} › 一、补贴标准"

    docs = listed(user_env)
    assert docs["doc-liaoxiuyang"]["added"] is True
    assert docs["doc-liaoxiuyang"]["date"] == "2026-03-01"
    assert docs["doc-liaoxiuyang"]["passages"] >= 3
    assert docs["guidance-2021"]["added"] is False
    text = cli("docs", "list", env=user_env).stdout
    assert "doc-liaoxiuyang" in text and "内置" in text

    out = cli("docs", "remove", "doc-liaoxiuyang", env=user_env)
    assert out.returncode == 0, out.stderr
    assert "doc-liaoxiuyang" not in listed(user_env)
    first = ask_json("一线职工疗休养补贴一年多少钱", env=user_env)["results"][0]
    assert "1800元" not in first["text"]


def test_pdf_is_added_and_answered_from(tmp_path, user_env):
    path = tmp_path / "kunnan.pdf"
    path.write_bytes(cjk_pdf([
        "困难职工帮扶办法",
        "第一条 本办法适用于本市建档困难职工。",
        "第二条 建档困难职工每年可申请一次临时救助，救助金额最高5000元。",
        "第三条 申请材料交所在区市总工会权益保障部审核。",
    ]))
    out = cli("docs", "add", str(path), "--title", "困难职工帮扶办法", "--date", "2025-06-01",
              env=user_env)
    assert out.returncode == 0, out.stderr
    first = ask_json("困难职工临时救助最多给多少", env=user_env)["results"][0]
    assert normalize("救助金额最高5000元") in normalize(first["text"])
    assert first["section"] == "《困难职工帮扶办法》 › 第二条"


def test_txt_with_a_default_title(tmp_path, user_env):
    path = tmp_path / "notice.txt"
    path.write_text("关于开展职工书屋评选的通知\n\n一、评选范围\n全市基层工会职工书屋均可参加评选。\n",
                    encoding="utf-8")
    out = cli("docs", "add", str(path), env=user_env)
    assert out.returncode == 0, out.stderr
    assert listed(user_env)["doc-notice"]["title"] == "关于开展职工书屋评选的通知"


@pytest.mark.parametrize("args", [
    ("docs", "remove", "guidance-2021"),          # a shipped document stays
    ("docs", "remove", "doc-nothing"),            # no such document
    ("docs", "add", "no/such/file.docx"),
    ("docs", "add", "pyproject.toml"),            # not a document type we read
    ("docs", "add", "README.md", "--date", "2026-13-01"),
    ("docs", "add", "README.md", "--title", " "),
])
def test_docs_bad_input_exits_2_with_one_line(args, user_env):
    out = cli(*args, env=user_env)
    assert out.returncode == 2, out.stdout
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1


# ---- `python -m bot questions report` (issue 22): what the answers did not serve


@pytest.fixture
def gaps_recorded(tmp_path, database_url, monkeypatch):
    """Two organisations' staff asked; one question twice (declined), one got 👎."""
    import asyncio
    import datetime as dt

    from bot.app import build_services
    from bot.cli import main
    from bot.settings import Settings
    from services.asking import questions
    from services.clock import FixedClock
    from services.people import accounts

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    assert main(["round", "list"]) == 0  # migrates the database

    async def record() -> None:
        clock = FixedClock(dt.datetime(2026, 11, 20, 10, 0))
        svc = build_services(Settings(), clock=clock)
        for name, uscc in (("青岛海都心理健康服务中心", "91350100M000100Y43"),
                           ("即墨区国立社会工作服务中心", "52370200MJD602994T")):
            await accounts.create_organization(svc, name=name, uscc=uscc, district="崂山区",
                                               established_on=dt.date(2019, 5, 10),
                                               valid_until=None)
        await questions.record_feedback(svc, 1001, "报告交给谁", "p1", False,
                                        answered="《意见》 › 报送要求", organization_id=1)
        clock.advance(dt.timedelta(days=5))
        await questions.ask(svc, "困难职工帮扶怎么申请", "zh", user_id=1001,
                            organization_id=1)
        await questions.ask(svc, "困难职工帮扶怎么申请？", "zh", user_id=2002,
                            organization_id=2)
        await svc.close()

    asyncio.run(record())
    return {**os.environ, "DATABASE_URL": database_url,
            "EVIDENCE_DIR": str(tmp_path / "evidence")}


def test_questions_report_lists_what_was_not_answered_without_persons(gaps_recorded):
    data = json.loads(cli("questions", "report", "--json", env=gaps_recorded).stdout)
    assert [(q["question"], q["count"], q["kinds"], q["answered"], q["organizations"])
            for q in data["questions"]] == [
        ("困难职工帮扶怎么申请？", 2, ["declined"], [],
         ["青岛海都心理健康服务中心", "即墨区国立社会工作服务中心"]),
        ("报告交给谁", 1, ["unhelpful"], ["《意见》 › 报送要求"], ["青岛海都心理健康服务中心"])]
    assert "1001" not in json.dumps(data) and "2002" not in json.dumps(data)
    since = json.loads(cli("questions", "report", "--json", "--since", "2026-11-24",
                           env=gaps_recorded).stdout)
    assert [q["question"] for q in since["questions"]] == ["困难职工帮扶怎么申请？"]
    text = cli("questions", "report", env=gaps_recorded)
    assert text.returncode == 0 and "2\t困难职工帮扶怎么申请？\t未回答\t" in text.stdout
    bad = cli("questions", "report", "--since", "yesterday", env=gaps_recorded)
    assert bad.returncode == 2 and "--since" in bad.stderr
