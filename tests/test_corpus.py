"""The policy corpus: faithful to its seeds, parsed into citable passages."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest

from domain.corpus import (
    PolicyDocument,
    normalize,
    parse_policy,
    passages_from_plain_text,
    split_sentences,
)
from store.policy_files import POLICY_DIR, load_policies, load_restorations

REPO = Path(__file__).resolve().parents[1]
# The seeds ship in data/seeds (copies of ../shared/seeds), so the check always runs.
SEED_DIRS = [Path(p) for p in (os.environ.get("UNIONBOT_SEEDS_DIR"),) if p] + [
    REPO / "data" / "seeds",
]
DOC_IDS = ["guidance-2018", "guidance-2021"]
TITLE_2018 = "关于推进工会联系引导劳动关系领域社会组织工作的实施意见"
TITLE_2021 = "关于工会联系引导社会组织为职工提供专业化服务的实施意见"
ANNEX2_2021 = "附件2 青岛市工会联系引导社会组织服务职工优秀项目百分评估标准"
ROW_NAMES = ["政治建设", "登记注册", "工会建设", "项目实施", "职工满意度", "媒体报道", "经验推广"]
CUT = "\x00"


@pytest.fixture(scope="module")
def documents() -> dict[str, PolicyDocument]:
    return {doc.id: doc for doc in load_policies()}


@pytest.fixture(scope="module")
def ledger() -> dict[str, Any]:
    return load_restorations()


def entries(ledger: dict[str, Any], kind: str, doc_id: str) -> list[dict[str, Any]]:
    return [entry for entry in ledger.get(kind, []) if entry["doc"] == doc_id]


def seed_text(doc: PolicyDocument) -> str:
    for folder in SEED_DIRS:
        if (folder / doc.seed).is_file():
            return (folder / doc.seed).read_text(encoding="utf-8")
    pytest.fail(f"seed {doc.seed} not found in {[str(d) for d in SEED_DIRS]}")


def restored_seed(doc: PolicyDocument, ledger: dict[str, Any]) -> list[str]:
    """Normalised seed sentences with the ledger's drops and restorations applied."""
    sentences = [n for s in split_sentences(seed_text(doc)) if (n := normalize(s))]
    problems: list[str] = []
    for drop in entries(ledger, "dropped", doc.id):
        sentences, found = _drop_runs(sentences, normalize(drop["seed"]))
        if found != drop.get("count", 1):
            problems.append(f"dropped {drop['seed']!r}: matched {found}x")
    for fix in entries(ledger, "restoration", doc.id):
        old, new = normalize(fix["seed"]), normalize(fix["clean"])
        found = sum(s.count(old) for s in sentences)
        if found != fix.get("count", 1):
            problems.append(f"restoration {fix['seed']!r}: matched {found}x in the seed")
        sentences = [s.replace(old, new) for s in sentences]
    assert not problems, "stale ledger entries:\n" + "\n".join(problems)
    return sentences


def _drop_runs(sentences: list[str], target: str) -> tuple[list[str], int]:
    """Remove runs of consecutive sentences whose concatenation equals ``target``."""
    kept: list[str] = []
    found = index = 0
    while index < len(sentences):
        end, joined = index, ""
        while end < len(sentences) and target.startswith(joined + sentences[end]):
            joined += sentences[end]
            end += 1
            if joined == target:
                break
        if joined == target:
            found += 1
            index = end
        else:
            kept.append(sentences[index])
            index += 1
    return kept, found


# --------------------------------------------------------------------------- fidelity


def test_corpus_has_both_documents(documents: dict[str, PolicyDocument]) -> None:
    assert sorted(documents) == DOC_IDS
    assert [doc.id for doc in load_policies()] == DOC_IDS


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_every_seed_sentence_survives(
    doc_id: str, documents: dict[str, PolicyDocument], ledger: dict[str, Any]
) -> None:
    doc = documents[doc_id]
    corpus = normalize(doc.full_text)
    missing = [s for s in restored_seed(doc, ledger) if s not in corpus]
    assert not missing, f"{doc_id}: seed sentences missing from the corpus:\n" + "\n".join(missing)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_nothing_invented(
    doc_id: str, documents: dict[str, PolicyDocument], ledger: dict[str, Any]
) -> None:
    doc = documents[doc_id]
    seed = "".join(restored_seed(doc, ledger))
    added = entries(ledger, "added", doc_id)
    headings = {normalize(a["clean"]): a for a in added if a["kind"] == "heading"}
    labels = [a for a in added if a["kind"] == "text"]
    used: dict[int, int] = {id(a): 0 for a in added}
    offenders: list[str] = []
    for depth, text in doc.blocks():
        norm = normalize(text)
        if depth and norm in headings:
            used[id(headings[norm])] += 1
            continue
        if not depth:
            for label in labels:
                mark = normalize(label["clean"])
                used[id(label)] += norm.count(mark)
                norm = norm.replace(mark, CUT)
        if any(piece and piece not in seed for piece in norm.split(CUT)):
            offenders.append(text)
    stale = [
        f"{a['clean']!r}: used {used[id(a)]}x, listed {a.get('count', 1)}x"
        for a in added
        if used[id(a)] != a.get("count", 1)
    ]
    assert not offenders, f"{doc_id}: text not in the seed:\n" + "\n".join(offenders)
    assert not stale, f"{doc_id}: stale [[added]] entries:\n" + "\n".join(stale)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_lost_names_are_marked_not_invented(
    doc_id: str, documents: dict[str, PolicyDocument], ledger: dict[str, Any]
) -> None:
    text = documents[doc_id].full_text
    marks = entries(ledger, "placeholder", doc_id)
    for mark in marks:
        assert text.count(mark["clean"]) == mark.get("count", 1), mark["clean"]
    expected = sum(m["clean"].count("□") * m.get("count", 1) for m in marks)
    assert text.count("□") == expected


def test_ledger_entries_are_complete(ledger: dict[str, Any]) -> None:
    required = {
        "restoration": {"doc", "seed", "clean", "why"},
        "dropped": {"doc", "seed", "why"},
        "added": {"doc", "kind", "clean", "why"},
        "placeholder": {"doc", "clean", "why"},
    }
    assert set(ledger) <= set(required)
    for kind, keys in required.items():
        for entry in ledger.get(kind, []):
            assert keys <= set(entry), (kind, entry)
            assert entry["doc"] in DOC_IDS
            assert entry.get("kind", "heading") in {"heading", "text"}


def test_no_punctuation_residue(documents: dict[str, PolicyDocument]) -> None:
    for doc in documents.values():
        for passage in doc.passages:
            assert " and " not in passage.text
            assert "[" not in passage.text and "(" not in passage.text, passage.text
            assert "欢迎进入" not in passage.text and "当前位置" not in passage.text


# --------------------------------------------------------------------------- structure


def test_front_matter(documents: dict[str, PolicyDocument]) -> None:
    old, new = documents["guidance-2018"], documents["guidance-2021"]
    assert old.title == TITLE_2018
    assert old.number == "青工〔2018〕21号"
    assert old.date == datetime.date(2018, 9, 25)
    assert old.issuer == new.issuer == "青岛市总工会"
    assert old.seed == "004_2b2bc39db9e7cfff.txt"
    assert old.label == f"《{TITLE_2018}》（青工〔2018〕21号）"
    assert new.title == TITLE_2021
    assert new.number == ""
    assert new.date == datetime.date(2021, 12, 9)
    assert new.seed == "000_10e4c66a7c07b08c.txt"
    assert new.label == f"《{TITLE_2021}》（2021-12-09）"


def test_ids_unique_and_ordinals_in_order(documents: dict[str, PolicyDocument]) -> None:
    ids = [p.id for doc in documents.values() for p in doc.passages]
    assert len(ids) == len(set(ids))
    for doc in documents.values():
        assert [p.ordinal for p in doc.passages] == list(range(1, len(doc.passages) + 1))
        assert all(p.id == f"{doc.id}#{p.ordinal}" for p in doc.passages)
        assert all(p.doc_id == doc.id and p.doc_title == doc.title for p in doc.passages)
        assert all(p.text.strip() and p.section for p in doc.passages)


def test_subsidy_passage_section(documents: dict[str, PolicyDocument]) -> None:
    [passage] = [p for p in documents["guidance-2021"].passages if "给予经费补助3万元" in p.text]
    assert passage.section == ("三、加强组织领导", "（三）加强经费保障")
    assert passage.citation == f"《{TITLE_2021}》 › 三、加强组织领导 › （三）加强经费保障"


def test_citation_format(documents: dict[str, PolicyDocument]) -> None:
    passages = documents["guidance-2021"].passages
    [passage] = [p for p in passages if p.text.startswith("联系引导劳动")]
    assert passage.citation == f"《{TITLE_2021}》 › 一、把握总体要求 › （一）重要意义"


def test_annex2_rows_are_one_passage_each(documents: dict[str, PolicyDocument]) -> None:
    passages = documents["guidance-2021"].passages
    rows = [p for p in passages if p.section[:1] == (ANNEX2_2021,)]
    assert [p.section for p in rows] == [(ANNEX2_2021, name) for name in ROW_NAMES]
    totals = ["20", "20", "20", "10", "10", "10", "10"]
    for row, total in zip(rows, totals, strict=True):
        assert "评估内容：" in row.text and "评估依据：" in row.text
        assert row.text.endswith(f"分值：{total}分")
    assert "（10分）" in rows[0].text
    assert "设区市级1条1分，省部级1条2分，国家级1条3分，满分10分" in rows[5].text
    assert "70%—79%的得6分" in rows[4].text


def test_annex_lists_are_one_passage_per_line(documents: dict[str, PolicyDocument]) -> None:
    new, old = documents["guidance-2021"], documents["guidance-2018"]
    members = [p for p in new.passages if p.section[0].startswith("附件1")]
    assert len(members) == 14
    assert members[0].text == "组长：彭建国 市总工会党组书记、常务副主席"
    units = [p.text for p in old.passages if p.section[0].startswith("附件2")]
    assert units == [
        "即墨区国立社会工作服务中心",
        "青岛海都心理健康服务中心",
        "崂山区锦云村养老公寓",
        "莱西市总工会职工法律信息服务中心",
    ]


def test_2018_sections(documents: dict[str, PolicyDocument]) -> None:
    doc = documents["guidance-2018"]
    [principle] = [p for p in doc.passages if p.text.startswith("四是坚持区别对待")]
    assert principle.section[-1] == "（二）基本原则"
    assert principle.section[0].startswith("二、")
    heading = doc.passages[0].section
    assert heading == ("文头",)
    assert doc.passages[-1].section == ("版记",)
    assert doc.passages[-1].text == "青岛市总工会办公室\n2018年9月25日印发"


# --------------------------------------------------------------------------- parser


GOOD = """+++
id = "x"
title = "测试文件"
number = "青工〔2020〕1号"
date = 2020-01-02
+++
前置文字。

# 一、总则
## （一）目的
第一段，
同一段。

- 列表一
- 列表二
普通行
# 二、附则
结束。
"""


def test_parse_policy_sections_and_lists() -> None:
    doc = parse_policy(GOOD)
    assert (doc.id, doc.title, doc.issuer) == ("x", "测试文件", "")
    assert doc.date == datetime.date(2020, 1, 2)
    assert [(p.section, p.text) for p in doc.passages] == [
        ((), "前置文字。"),
        (("一、总则", "（一）目的"), "第一段，\n同一段。"),
        (("一、总则", "（一）目的"), "列表一"),
        (("一、总则", "（一）目的"), "列表二"),
        (("一、总则", "（一）目的"), "普通行"),
        (("二、附则",), "结束。"),
    ]
    assert doc.passages[0].citation == "《测试文件》"
    assert doc.label == "《测试文件》（青工〔2020〕1号）"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# 一、总则\n正文", "front matter"),
        ('+++\nid = "x"\ntitle = "t"\ndate = "2020-01-01"\n正文', "not closed"),
        ('+++\ntitle = "t"\ndate = "2020-01-01"\n+++\n正文', "'id'"),
        ('+++\nid = "x"\ndate = "2020-01-01"\n+++\n正文', "'title'"),
        ('+++\nid = "x"\ntitle = ""\ndate = "2020-01-01"\n+++\n正文', "'title'"),
        ('+++\nid = "x"\ntitle = "t"\n+++\n正文', "'date'"),
        ('+++\nid = "x"\ntitle = "t"\ndate = "2020-13-01"\n+++\n正文', "'date'"),
        ("+++\nid = x\n+++\n正文", "TOML"),
    ],
)
def test_parse_policy_rejects_malformed(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policy(text)


def test_parse_policy_default_id() -> None:
    doc = parse_policy('+++\ntitle = "t"\ndate = "2020-01-01"\n+++\n正文', default_id="from-file")
    assert doc.id == "from-file"
    assert doc.passages[0].id == "from-file#1"
    assert doc.label == "《t》（2020-01-01）"


def test_load_policies_reads_a_directory(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text('+++\ntitle = "B"\ndate = 2020-01-01\n+++\n乙', "utf-8")
    (tmp_path / "a.md").write_text('+++\nid = "z"\ntitle = "A"\ndate = 2020-01-01\n+++\n', "utf-8")
    assert [d.id for d in load_policies(tmp_path)] == ["b", "z"]
    assert load_restorations(tmp_path) == {}
    (tmp_path / "c.md").write_text("没有前置信息", "utf-8")
    with pytest.raises(ValueError, match="c.md"):
        load_policies(tmp_path)
    assert POLICY_DIR == REPO / "data" / "policies"


# --------------------------------------------------------------------------- plain text


PLAIN = """关于测试的办法

一、总则
（一）适用范围
本办法适用于全市各级工会，
以及工会所属事业单位。
第二段在这里。

(二)基本原则。坚持依法办事。
第一条 为了规范管理，制定本办法。
第二条
工会应当按时报送材料。

二、附则
- 本办法自印发之日起施行。

附件1
示范单位名单
甲单位
"""


def test_passages_from_plain_text_builds_sections() -> None:
    doc = passages_from_plain_text("t", "测试办法", PLAIN, datetime.date(2024, 1, 1), number="1号")
    got = [(p.section, p.text) for p in doc.passages]
    assert got == [
        ((), "关于测试的办法"),
        (("一、总则", "（一）适用范围"), "本办法适用于全市各级工会，以及工会所属事业单位。"),
        (("一、总则", "（一）适用范围"), "第二段在这里。"),
        (("一、总则", "(二)基本原则"), "坚持依法办事。"),
        (("一、总则", "(二)基本原则", "第一条"), "为了规范管理，制定本办法。"),
        (("一、总则", "(二)基本原则", "第二条"), "工会应当按时报送材料。"),
        (("二、附则",), "本办法自印发之日起施行。"),
        (("附件1 示范单位名单",), "甲单位"),
    ]
    assert doc.label == "《测试办法》（1号）"
    assert doc.passages[1].citation == "《测试办法》 › 一、总则 › （一）适用范围"


WRAPPED = """青 岛 市 总 工 会 文 件

关于推进工会联系引导劳动关系领域社会组织工作的实施意见

各市直工会：

要广泛收集、分类梳理职工需求，对于需求相对集中、

比较效益突出的项目，通过购买服务的方式交由社会组织承担，到 2020 年

基本形成工作格局。
(五)扩大工作覆盖，推进劳动关系领域社会组织工会建设。结合工作实际，组建工会。
"""


def test_passages_from_plain_text_joins_wrapped_lines() -> None:
    doc = passages_from_plain_text("w", "W", WRAPPED, datetime.date(2024, 1, 1))
    assert [(p.section, p.text) for p in doc.passages] == [
        ((), "青岛市总工会文件"),
        ((), "关于推进工会联系引导劳动关系领域社会组织工作的实施意见"),
        ((), "各市直工会："),
        (
            (),
            "要广泛收集、分类梳理职工需求，对于需求相对集中、比较效益突出的项目，"
            "通过购买服务的方式交由社会组织承担，到2020年基本形成工作格局。",
        ),
        (("(五)扩大工作覆盖，推进劳动关系领域社会组织工会建设",), "结合工作实际，组建工会。"),
    ]


def test_passages_from_plain_text_splits_long_paragraphs() -> None:
    sentence = "各级工会要加强经费保障，积极争取各方支持。"
    text = "# 第一章 总则\n" + sentence * 40
    doc = passages_from_plain_text("t", "长文", text, datetime.date(2024, 1, 1))
    assert len(doc.passages) > 1
    assert all(len(p.text) <= 400 for p in doc.passages)
    assert "".join(p.text for p in doc.passages) == sentence * 40
    assert all(p.section == ("第一章 总则",) for p in doc.passages)
    unpunctuated = passages_from_plain_text("u", "U", "甲" * 900, datetime.date(2024, 1, 1))
    assert [len(p.text) for p in unpunctuated.passages] == [400, 400, 100]


def test_passages_from_plain_text_requires_id_and_title() -> None:
    with pytest.raises(ValueError):
        passages_from_plain_text("", "t", "x", datetime.date(2024, 1, 1))


def test_split_sentences_and_normalize() -> None:
    assert split_sentences("甲。乙；丙！“丁？”\n戊") == ["甲。", "乙；", "丙！", "“丁？”", "戊"]
    assert normalize("（总工办发〔2021〕13号）, 70%—79% ａ") == "总工办发202113号7079a"
