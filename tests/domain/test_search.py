"""Policy search (domain.search): words, bigrams, synonyms, typos, headings, documents."""

from __future__ import annotations

import datetime

import pytest

from domain.corpus import Passage, PolicyDocument, normalize
from domain.search import (
    SearchIndex,
    Synonyms,
    _Scores,
    bigrams,
    clean_words,
    document_names,
    heading_key,
    near_misses,
    synonyms_from_dict,
)
from store.documents import all_documents
from store.search_index import load_index, load_synonyms
from tests.bench.search import _questions as bench_questions
from tests.bench.search import synthetic_corpus


def words(text: str) -> list[str]:
    """A stand-in tokenizer: the passages below are written with spaces between words."""
    return text.split()


def passage(n: int, text: str, section: tuple[str, ...] = ("正文",), doc: str = "d") -> Passage:
    return Passage(f"{doc}#{n}", doc, f"文件{doc}", section, text, n)


SMALL = (
    passage(1, "社会组织 可以 申请 经费 补助 。"),
    passage(2, "职工 满意度 测评 由 第三方 开展 。"),
    passage(3, "招牌 名称 应 与 登记 名称 一致 。"),
    passage(4, "会议 记录 应当 存档 。", ("附件", "档案管理")),
    passage(5, "会议 记录 应当 存档 。", ("附件", "活动记录")),
)
GROUPS = synonyms_from_dict({
    "group": [{"terms": ["社会组织", "NGO", "社组织"]},
              {"terms": ["招牌", "门头牌子", "门头"]}],
    "question": {"fillers": ["怎么", "吗", "的"], "weak": ["文件"]},
})


@pytest.fixture(scope="module")
def small() -> SearchIndex:
    return SearchIndex.build(SMALL, GROUPS, words)


@pytest.fixture(scope="module")
def seeds() -> SearchIndex:
    return load_index()


def first_text(index: SearchIndex, question: str) -> str:
    hits = index.search(question, 3)
    assert hits, question
    return normalize(hits[0].passage.text + " ".join(hits[0].passage.section))


def test_text_helpers():
    tokens = ["社会", "组织", "，", "的", "2018", "70%"]
    assert clean_words(tokens) == ["社会", "组织", "2018", "70"]
    assert bigrams(["2021年12月"]) == ["2021年", "年12", "12月"]
    assert heading_key("（三）加强经费保障") == "加强经费保障"
    assert heading_key("附件2 青岛市工会") == "青岛市工会"
    assert near_misses(["补贴", "补助", "后来", "测评"], ["补助", "以来"]) == ["后来", "补贴"]


def test_words_found_in_a_question_without_a_tokenizer(small):
    query = small.query("满意度测评谁来做")
    assert "w:满意度" in query.features and "w:测评" in query.features
    assert small.search("满意度测评谁来做")[0].passage.id == "d#2"


def test_a_synonym_finds_the_documents_word(small):
    assert small.search("NGO能不能申请")[0].passage.id == "d#1"
    assert small.search("门头牌子要一样吗")[0].passage.id == "d#3"


def test_synonym_groups_count_terms_inside_longer_terms():
    synonyms = Synonyms((*GROUPS.groups,))
    assert synonyms.counts("社组织的门头牌子") == {0: 1, 1: 2}


def test_a_typo_is_corrected_against_the_corpus_vocabulary(small):
    query = small.query("满意度侧评谁来做")  # 侧评 → 测评
    assert ("侧评", "测评") in query.corrections
    assert small.search("职工满意度侧评")[0].passage.id == "d#2"


def test_a_dictionary_word_is_not_taken_for_a_typo(small):
    # Told that 侧评 is a word of the language, the search leaves it alone, unless the
    # documents confirm the correction next to it (满意度测评: SearchIndex._in_context).
    assert small.query("满意度侧评").corrections
    assert small.query("侧评怎么做").corrections
    assert small.with_known_words(["侧评"]).query("满意度侧评").corrections == ()
    joined = SearchIndex.build((passage(1, "职工满意度测评 由 第三方 开展 。"),
                                passage(2, "测评 结果 。")), GROUPS, words)
    known = joined.with_known_words(["侧评"])
    assert known.query("侧评怎么做").corrections == ()
    assert known.query("满意度侧评").corrections == (("侧评", "测评"),)


def test_headings_count(small):
    # Same text, different headings: the heading the question names wins.
    assert small.search("活动记录怎么存档")[0].passage.id == "d#5"
    assert small.search("档案管理的记录")[0].passage.id == "d#4"


def test_the_tokenizer_is_not_needed_to_ask():
    def tokenizer(text: str) -> list[str]:
        if calls["asking"]:
            raise AssertionError("the tokenizer was called for a question")
        return text.split()

    calls = {"asking": False}
    index = SearchIndex.build(SMALL, GROUPS, tokenizer)
    calls["asking"] = True
    assert index.search("社会组织经费")


def test_a_document_named_by_its_year_or_number_is_preferred():
    old = PolicyDocument("old", "旧文件", "青工〔2018〕21号", "", datetime.date(2018, 9, 25), "",
                         (passage(1, "领导小组 办公室 主任 是 甲 。", doc="old"),))
    new = PolicyDocument("new", "新文件", "", "", datetime.date(2021, 12, 9), "",
                         (passage(1, "领导小组 办公室 主任 是 乙 。", doc="new"),))
    docs = [old, new]
    index = SearchIndex.build([p for d in docs for p in d.passages], GROUPS, words,
                              names={d.id: document_names(d) for d in docs})
    assert index.search("18年领导小组办公室主任是谁")[0].passage.doc_id == "old"
    assert index.search("21年领导小组办公室主任是谁")[0].passage.doc_id == "new"
    assert index.search("青工〔2018〕21号的办公室主任")[0].passage.doc_id == "old"
    assert index.query("青工〔2018〕21号的办公室主任").documents == {"old"}


def test_results_rank_as_scoring_every_passage_would():
    """A question's results are worked out from the passages that can still be among them
    (``_Scores``): on 1,200 passages recombined from the seeds' (a document named by its
    year counting the others less), its best passages, and its best of the newer
    documents above a floor, are those, with the same scores, that scoring every passage
    gives (``SearchIndex.scores``)."""
    documents = synthetic_corpus(all_documents(), size=1200)
    index = SearchIndex.build([p for d in documents for p in d.passages], load_synonyms(),
                              lambda text: [text[i:i + 2] for i in range(0, len(text), 2)],
                              names={d.id: document_names(d) for d in documents},
                              dates={d.id: d.date for d in documents})
    for question in [*bench_questions(), "18年的领导小组办公室主任是谁"]:
        query = index.query(question)
        every = index.scores(query)
        ranked = sorted((i for i, score in enumerate(every) if score > 0),
                        key=lambda i: (-every[i], i))
        scores = _Scores(index, query)
        for k in (1, 3, 10):
            assert scores.top(k) == ranked[:k], (question, k)
        if not ranked:
            continue
        floor = 0.3 * every[ranked[0]]
        newer = [i for i in ranked if i % 7 and every[i] >= floor][:5]
        ranks = [i % 7 for i in range(len(every))]
        assert scores.best_above(floor, 5, ranks, 0) == sorted(newer), question
        assert all(scores.exact(i) == every[i] for i in {*ranked[:10], *newer}), question


def test_results_say_how_much_of_the_question_was_found(small):
    found = small.results("社会组织可以申请经费补助吗")
    missing = small.results("今天天气怎么样")
    assert found.confidence > 0.5 and found.evidence > 2
    assert missing.hits == () and missing.evidence == 0


# A stand-in dictionary: how often the language uses a word (as jieba's frequencies).
FREQUENCIES = {"交给": 200_000, "拨付": 5, "分期": 300, "的": 5_000_000, "能": 900_000,
               "谁": 400_000, "来": 2_000_000, "做": 1_000_000}


def test_a_word_the_documents_never_use_weighs_by_its_rarity_in_the_language(small):
    index = small.with_known_words((), frequencies=FREQUENCIES)
    assert index.rarity("拨付") == 1.0 and index.rarity("返聘") == 1.0  # rare, or unknown
    assert index.rarity("交给") == 0.0 and index.rarity("的") == 0.0
    assert dict(index.query("经费补助能分期拨付吗").foreign) == {
        "分期": index.rarity("分期"), "拨付": 1.0}
    assert dict(index.query("经费补助交给谁来做").foreign) == {}


def test_a_noun_the_documents_never_use_weighs_however_common(small):
    """设备 is common in the language (rarity 0 by its frequency), but a thing: a noun the
    documents never use counts at least ``SearchParams.noun``; a common verb does not."""
    frequencies = {**FREQUENCIES, "设备": 1_000_000}
    plain = small.with_known_words((), frequencies=frequencies)
    nouns = small.with_known_words((), frequencies=frequencies, nouns=frozenset({"设备"}))
    assert plain.rarity("设备") == 0.0
    assert nouns.rarity("设备") == nouns.params.noun > 0 and nouns.rarity("交给") == 0.0
    assert dict(nouns.query("经费补助能买设备吗").foreign)["设备"] == nouns.params.noun


def test_of_two_cuts_alike_in_pieces_the_one_of_more_common_words_stands(small):
    """网站上填报 cuts into 网站 上 填报 from the left and 网 站上 填报 from the right: the
    language uses 网站 more than 站上, so 网站 is the thing asked about."""
    frequencies = {**FREQUENCIES, "网站": 4800, "站上": 116, "网": 7200, "上": 258_000,
                   "填报": 1400}
    index = small.with_known_words((), frequencies=frequencies, nouns=frozenset({"网站"}))
    assert "网站" in dict(index.query("经费补助在哪个网站上填报").foreign)


def test_coverage_counts_what_the_documents_never_say_as_not_held(small):
    """The passage on 经费补助 holds all of 经费补助交给谁来做 that asks something, and
    less of 经费补助能分期拨付吗: 拨付 weighs as much as the documents' rarest word (经费
    and 补助, in one passage of five, are such words), 分期 by its rarity."""
    index = small.with_known_words((), frequencies=FREQUENCIES)
    asked = index.results("经费补助交给谁来做")
    rare = index.results("经费补助能分期拨付吗")
    assert asked.hits[0].passage.id == rare.hits[0].passage.id == "d#1"
    assert asked.coverage == 1.0
    assert rare.coverage == pytest.approx(2 / (2 + 1 + index.rarity("分期")))


def test_closest_passages_even_when_nothing_matches(small):
    assert len(small.closest("今天天气怎么样", (), 3)) == 3


# ---- on the seed corpus


@pytest.mark.parametrize(("question", "expect"), [
    ("门头牌子跟执照上名字不一样咋整", "招牌名称与登记名称一致"),   # colloquial alias
    ("21年的文件主要靠啥法子让NGO给职工服务", "社会化、市场化方式"),  # NGO = 社会组织
    ("上报纸电视能加分吗", "主流媒体正面报道"),                        # 上报纸电视 = 媒体报道
    ("职工满意度测平要交啥材料", "测评名单、测评表及测评结果"),        # typo 测平
    ("调研报告啥时侯截止", "2018年11月30日前"),                          # typo 时侯
    ("社组织刚注册一年能不能报", "一般应成立满2年"),
    ("经验推广这一项怎么评分", "工会会议、活动上交流推广"),             # the heading named
    ("18年那个领导小组办公室主任是谁", "于常明同志兼任办公室主任"),     # the year names the doc
])
def test_seed_questions(seeds, question, expect):
    assert normalize(expect) in first_text(seeds, question)


def test_seed_synonyms_load_and_are_groups():
    synonyms = load_synonyms()
    assert len(synonyms.groups) > 50
    assert all(len(g.terms) + len(g.patterns) >= 2 for g in synonyms.groups)
    assert "多少" in synonyms.fillers


def test_a_group_needs_two_terms():
    with pytest.raises(ValueError):
        synonyms_from_dict({"group": [{"terms": ["补助"]}]})


def test_an_english_phrase_is_found_with_a_hyphen_between_its_words():
    synonyms = synonyms_from_dict({}, {"terms": {"labour relations": "劳动关系领域"}})
    assert "劳动关系领域" in synonyms.translate("What is a labour-relations organisation?")
    assert "劳动关系领域" in synonyms.translate("labour relations organisations")


def test_an_english_word_is_found_in_its_other_forms():
    synonyms = synonyms_from_dict({}, {"terms": {
        "evaluation": "评估", "registered": "登记", "define": "是指", "identify": "分析",
        "score": "得分", "scored": "评分"}, "stop": {"words": ["how", "the", "to"]}})
    text, untranslated = synonyms.translated(
        "How to define the steps from identifying needs to evaluating an unregistered group")
    assert {"评估", "登记", "是指", "分析"} <= set(text.split())
    assert untranslated == ("steps", "from", "needs", "group")
    # an entry's own forms come first: score is 得分, not scored's 评分
    assert synonyms.translate("our score").split()[-1] == "得分"
    assert "definition" not in synonyms.untranslated("the definition")


def test_a_frame_word_is_not_taken_for_another_forms_entry():
    """need is a frame word: the forms of needs (需求) leave it alone; needs stays 需求."""
    synonyms = synonyms_from_dict({}, {"terms": {"needs": "需求"},
                                       "stop": {"words": ["need", "what", "do", "we"]}})
    assert "需求" not in synonyms.translate("What evidence do we need?")
    assert synonyms.untranslated("What evidence do we need?") == ("evidence",)
    assert "需求" in synonyms.translate("What are the workers' needs?")
    assert "需求" in synonyms.translate("needed services")


def test_a_place_name_is_rare_and_an_area_named_as_such_is_another_place(small):
    index = small.with_known_words((), frequencies={"济南": 5000, "那边": 5000, "市": 90000},
                                   places=["济南"])
    assert index.rarity("济南") == 1.0 and index.rarity("那边") < 1.0
    assert index.query("济南市 社会组织 补助").places == ("济南",)
    assert index.query("济南 那边 社会组织 补助").places == ()  # a place, not an area
    assert index.query("社会组织 市 补助").places == ()


def test_an_area_the_dictionary_knows_only_with_its_suffix_is_another_place(small):
    # jieba tags 烟台市 a place, not 烟台: the name before 市 is an area all the same
    index = small.with_known_words((), frequencies={"烟台市": 5000, "市": 90000},
                                   places=["烟台市"])
    assert index.query("烟台市 社会组织 补助").places == ("烟台",)


def test_the_rubrics_english_labels_are_in_the_term_table():
    synonyms = load_synonyms()
    assert "政治建设" in synonyms.translate("What counts for political development?").split()
    assert "经验推广" in synonyms.translate("Is experience shared at a district meeting?")
    assert "设区市级" not in synonyms.translate("Which city?")  # levels: the table's own


def test_a_code_of_letters_and_digits_the_documents_never_write_is_an_unknown_thing(seeds):
    # an evaluation grade (5A) is a thing the documents would have to name; 2021 is a year
    assert "5a" in seeds.unknown_things(seeds.query("社会组织评估等级5A有什么好处"))
    assert not any(c.isdigit() for c in seeds.unknown_things(seeds.query("2021年的文件")))
