"""Computed answers (domain.answers): each rule kind, the top-up rule, the fallback."""

from __future__ import annotations

import pytest

from domain.answers import (
    Answer,
    Money,
    answer,
    answer_rules_from_dict,
    money,
    render_computed,
    result_rows,
)
from domain.corpus import normalize
from domain.search import SearchIndex
from store.datafiles import DATA_DIR, read_toml
from store.search_index import load_answer_rules, load_index


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return load_index()


@pytest.fixture(scope="module")
def ask(index, rubric, subsidy_table):
    rules = load_answer_rules()

    def run(question: str, k: int = 3) -> Answer:
        return answer(question, index, rubric, subsidy_table, k, rules=rules)

    return run


def line(result: Answer, catalog, lang: str = "zh") -> str:
    assert result.computed is not None, result.question
    return render_computed(result.computed, catalog, lang)


def rests_on(result: Answer, heading: str) -> bool:
    assert result.computed is not None and result.computed.passage is not None
    return result.computed.passage.section[-1].endswith(heading)


# ---- subsidies (差额补齐)


def test_subsidy_for_one_level(ask, catalog):
    result = ask("国家级的项目能补多少钱")
    assert result.computed.values["entitled"] == Money(30000)
    assert "3万元" in line(result, catalog)
    assert rests_on(result, "加强经费保障")


def test_top_up_to_the_highest_honour(ask, catalog):
    result = ask("省级后来又评上国家级还能补多少")  # the provincial 2万 was paid first
    assert result.computed.values["due"] == Money(10000)
    text = line(result, catalog)
    assert "1万元" in text and "3万元" in text and "2万元" in text
    assert "差额补齐" in text


def test_top_up_with_the_amount_paid(ask, catalog):
    assert ask("市级拿过1万补帖，后来评上全国的，还能再领多少").computed.values["due"] \
        == Money(20000)
    result = ask("同时评上省级和国家级，之前一分没领，能拿多少")
    assert result.computed.values["due"] == Money(30000)


def test_nothing_more_when_the_highest_was_paid(ask, catalog):
    result = ask("全国优秀拿了3万，后来市里也评上了，还给不给钱")
    assert result.computed.values["due"] == Money(0)
    assert "不重复补助" in line(result, catalog)


def test_each_levels_subsidy_when_asked_for_each(ask, catalog):
    text = line(ask("评上国家级和市级，补助分别是多少"), catalog)
    assert "3万元" in text and "1万元" in text and "不重复补助" in text
    text = line(ask("市级优秀能补多少钱？国家级的呢"), catalog)
    assert "1万元" in text and "3万元" in text
    assert "3万" in line(ask("国家级和省级都评上了，能补多少"), catalog)  # held both: one
    assert "2万" not in line(ask("国家级和省级都评上了，能补多少"), catalog)
    assert "相差1万元" in line(ask("国家级比省级多补几万"), catalog)


def test_a_survey_names_the_satisfaction_criterion(ask, catalog):
    text = line(ask("两个项目测评一个76%一个91%，各算几分"), catalog)
    assert "76%得6分" in text and "91%得10分" in text


def test_a_body_that_awards_the_honour_names_its_level(ask, catalog):
    assert "2万元" in line(ask("省总评上的优秀项目，市总给补多少"), catalog)
    assert "1万元" in line(ask("市总命名的优秀项目能补多少钱"), catalog)
    assert ask("济南市总评的优秀项目能补多少钱").computed is None  # another city's


def test_money_is_written_in_wan_in_chinese_and_in_yuan_in_english():
    assert money(30000, "zh") == "3万"
    assert money(15000, "zh") == "1.5万"
    assert money(800, "zh") == "800"
    assert money(30000, "en") == "30,000"


# ---- points per rule kind


def test_bands(ask, catalog):
    result = ask("满意度85分能得几分")
    text = line(result, catalog)
    assert "得8分" in text and "80%" in text and "90%" in text  # the band it falls in
    assert rests_on(result, "职工满意度")
    assert "得6分" in line(ask("满意度79.5算几分"), catalog)
    assert "得10分" in line(ask("职工评价好评率百分之百，这项能拿几分"), catalog)
    assert "不得分" in line(ask("职工打分只有65%说好，这项还有分吗"), catalog)


def test_a_typo_in_the_criterion_still_computes(ask, catalog):
    assert "得10分" in line(ask("满以度92%能拿满分不"), catalog)


def test_per_level_with_the_cap(ask, catalog):
    result = ask("国家级报道5次得几分")
    text = line(result, catalog)
    assert "15分" in text and "得10分" in text  # 5 × 3 = 15, capped at 10
    assert rests_on(result, "媒体报道")
    assert "得7分" in line(ask("央视报了两回，再加青岛电视台一回，能拿多少分"), catalog)
    assert "得5分" in line(ask("市级交流3次加省级1次，经验推光得几分"), catalog)
    assert rests_on(ask("市级交流3次加省级1次，经验推光得几分"), "经验推广")


def test_per_kind(ask, catalog):
    assert "得5分" in line(ask("只有合同能得几分"), catalog)
    assert "得10分" in line(ask("合同和实施方案都有得几分"), catalog)
    capped = line(ask("合同、实施方按、评估总结三样都有，项目这块能得15分吗"), catalog)
    assert "得10分" in capped and "上限" in capped


def test_fixed_items_add_up_and_negations_are_read(ask, catalog):
    assert "得20分" in line(ask("学习记录和活动材料都齐了，政治建设给几分"), catalog)
    assert "得10分" in line(ask("只有批复文件，没有工作和活动材料，工会建设得几分"), catalog)
    assert "得20分" in line(ask("执照和场地照片都有，名字也对得上，登记这块能得多少"), catalog)


def test_total(ask, catalog):
    text = line(ask("各项都拿满的话总分是多少"), catalog)
    assert "100分" in text and "政治建设20分" in text


def test_no_figure_for_a_plain_question(ask):
    assert ask("试点区有哪几个").computed is None
    assert ask("一个项目连续获得多级荣誉的，补助如何计算").computed is None
    assert ask("能不能拿工人文化宫给社组织当活动场地").computed is None


def test_english_has_the_same_figures(ask, catalog):
    result = ask("省级后来又评上国家级还能补多少")
    text = line(result, catalog, "en")
    assert "10,000 yuan" in text and "30,000 yuan" in text


def test_an_english_question_asking_what_evidence_earns_gets_the_points(ask, catalog):
    text = line(ask("We only have a contract. What does that earn for project implementation?"),
                catalog, "en")
    assert "it scores 5" in text and "contract" in text


def test_every_computed_sentence_renders_in_both_languages(ask, catalog):
    questions = [
        "国家级的项目能补多少钱", "省级后来又评上国家级还能补多少",
        "市级省级国家级全评上了，总共能拿多少钱",
        "全国优秀拿了3万，后来市里也评上了，还给不给钱",
        "各项都拿满的话总分是多少", "满意度85分能得几分", "满意度95分能得几分",
        "满意度60%能得几分", "市级报道一次算几分", "国家级报道5次得几分",
        "只有合同能得几分", "合同、实施方案、评估总结三样都有，项目这块能得15分吗",
        "登记证书能得几分", "评上国家级和市级，补助分别是多少",
    ]
    keys = set()
    for question in questions:
        result = ask(question)
        keys.add(result.computed.key)
        for lang in ("zh", "en"):
            assert "{" not in line(result, catalog, lang)
    assert len(keys) >= 10


# ---- results and the fallback


def test_a_computed_answer_comes_first_with_its_passage(ask, catalog):
    rows = result_rows(ask("满意度85分能得几分"), catalog, "zh")
    assert rows[0].text.splitlines()[0].startswith("职工满意度85%")
    assert normalize("80%—89%的得8分") in normalize(rows[0].text)
    assert rows[0].section.endswith("职工满意度")
    assert rows[0].source == "关于工会联系引导社会组织为职工提供专业化服务的实施意见"
    assert len(rows) == 3 and len({r.text for r in rows}) == 3


def test_fallback_on_nonsense(ask):
    result = ask("今天天气怎么样")
    assert result.fallback and result.computed is None
    assert len(result.hits) == 3  # the closest passages, even so


def test_no_fallback_for_a_real_question(ask):
    result = ask("报告交给谁")
    assert not result.fallback
    assert "法律工作部" in result.hits[0].passage.text


def test_rules_load_from_data():
    rules = answer_rules_from_dict(read_toml(DATA_DIR / "answers.toml"))
    assert {c.id for c in rules.criteria} == {
        "political", "registration", "union", "project", "satisfaction", "media", "exchange"}
    assert rules.fallback_below > 0
    assert rules.numerals["两"] == 2


# ---- multi-part and comparative questions: each part answered


def test_two_rates_get_their_points_each(ask, catalog):
    result = ask("满意度85%和92%分别能得几分")
    assert line(result, catalog) == "职工满意度：85%得8分、92%得10分（本项满分10分）"
    assert "85% scores 8, 92% scores 10" in line(result, catalog, "en")


def test_the_difference_between_two_honour_levels_is_the_difference(ask, catalog):
    result = ask("国家级和省级优秀项目补助差多少钱")
    assert line(result, catalog).endswith("相差1万元")
    assert "3万元" in line(result, catalog) and "2万元" in line(result, catalog)


def test_a_count_goes_with_the_level_right_after_it(ask, catalog):
    """一次省级: the 一次 is the provincial one's, not the city level's named before it."""
    result = ask("三次市级会议和一次省级会议上交流过，能得几分")
    assert "设区市级3条×1分、省级1条×2分" in line(result, catalog)


def test_an_item_said_exactly_is_not_another_items_misspelling(ask, catalog):
    """开展工会活动的材料 is said; 开展工会工作的材料 is said missing: not held."""
    text = line(ask("有开展工会活动的材料，缺开展工会工作的材料，工会建设能得几分"), catalog)
    assert "开展工会活动的材料5分" in text and "开展工会工作的材料" not in text


def test_an_english_questions_counts_and_negations_are_read_clause_by_clause(ask, catalog):
    text = line(ask("Three reports on city TV and two in provincial papers: media points?"),
                catalog)
    assert "设区市级3条×1分、省部级2条×2分" in text
    text = line(ask("We have materials on union work but no approval for setting up the "
                    "union. How many points?"), catalog)
    assert "开展工会工作的材料5分" in text and "批复文件" not in text


def test_the_maxima_of_two_criteria(ask, catalog):
    assert line(ask("媒体报道和经验推广最高各几分"), catalog) == "满分：媒体报道10分、经验推广10分"


# ---- what the documents do not cover


@pytest.mark.parametrize("question", ["职工加班费怎么算", "工会会费按工资的百分之几交",
                                      "评审委员会都有谁", "登记证书丢了怎么补办"])
def test_a_neighbouring_topic_is_declined(ask, question):
    assert ask(question).fallback


@pytest.mark.parametrize("question", ["项目补助能分期拨付吗", "社会组织的法人代表可以是外籍人士吗",
                                      "优秀项目的牌匾是铜的吗", "社会组织负责人需要什么学历"])
def test_a_question_asking_what_the_documents_never_say_is_declined(ask, question):
    """No list names 拨付, 外籍, 牌匾 or 学历: the passage found holds the question's other
    words, not the rare thing it asks about."""
    assert ask(question).fallback


def test_the_same_words_asked_of_what_the_documents_say_are_answered(ask):
    result = ask("补助经费可以用于哪些项目")
    assert not result.fallback
    assert "补助经费用于" in result.hits[0].passage.text


@pytest.mark.parametrize("question", ["社会组织联合会至少要吸纳几家社会组织",
                                      "职工服务中心的空调坏了找谁", "学习记录的培训费谁来出",
                                      "项目申报书在哪个系统里填", "公益创投活动办得好能拿多少奖金"])
def test_a_question_asking_for_what_the_passage_does_not_state_is_declined(ask, question):
    """How many (几家), whom to turn to (找谁), who pays (谁来出), where (在哪个系统里填),
    how much one gets (能拿多少): the passage found shares the question's words but states
    no number, no contact, no payer, no place, no amount."""
    assert ask(question).fallback


def test_an_amount_must_be_stated_where_the_passage_names_what_is_asked(ask):
    """The funding paragraph states 3万元 for the national honour and names the districts'
    matching funds without an amount: how much the matching funds are is not covered."""
    assert ask("各区市的配套经费一般给多少钱").fallback
    assert not ask("示范单位一共有几家").fallback  # a count a list answers (见附件2)


def test_a_phone_question_needs_a_passage_stating_a_phone_number(ask):
    """The line naming the office's director states no number: not covered."""
    assert ask("于常明部长的办公室电话是多少").fallback
    assert not ask("法律工作部的电话").fallback  # the 2018 contact line states one


def test_which_steps_asks_which_not_how_many(ask):
    """哪几个环节 asks which steps: the procedure passage lists them without a count."""
    result = ask("工会购买服务的工作流程分哪几个环节")
    assert not result.fallback and "签订履行专业服务项目协议" in result.hits[0].passage.text


def test_a_term_in_years_is_no_date_and_who_appoints_is_no_list(ask):
    """要几年的 asks a term: 2018年11月30日 states none; 由谁任命 asks who appoints: a list of
    who holds which post says nothing of it; 成立几年才能申报 is answered (满2年)."""
    assert ask("社会组织的财务审计报告要几年的").fallback
    assert ask("工会主席由谁任命").fallback
    result = ask("社会组织成立几年才能申报")
    assert not result.fallback and "成立满2年" in result.hits[0].passage.text


@pytest.mark.parametrize("question", ["承接项目的社会组织法人必须是青岛户籍吗",
                                      "项目结项以后要开什么收据", "优秀项目一般几月份评选",
                                      "优秀项目推荐名单是哪些领导来审", "联合会每年能拿到多少万"])
def test_a_detail_of_a_kind_the_passage_does_not_state_is_declined(ask, question):
    """必须是X吗 and 开什么X ask of a thing the passage must hold; 几月 asks a month (定期
    states none), 哪些领导来审 a post or a body, 多少万 a sum of money: the passage found
    shares the question's words but states none of these."""
    assert ask(question).fallback


@pytest.mark.parametrize("question", ["没用完的补助经费需要返还吗", "优秀项目的合同需要备案吗",
                                      "满意度测评至少要多少个职工填表"])
def test_a_deed_or_a_least_number_the_passage_does_not_state_is_declined(ask, question):
    """需要返还吗, 需要备案吗 ask of a deed the passage never names; 至少多少个 asks a minimum:
    the satisfaction criterion's 测评名单 lists who took part, it states no minimum."""
    assert ask(question).fallback


@pytest.mark.parametrize("question", ["项目合同要不要公证", "示范单位有没有挂牌仪式",
                                      "宣传报道要开证明吗", "媒体报道必须是原创的吗"])
def test_a_yes_no_question_on_a_thing_the_passage_does_not_hold_is_declined(ask, question):
    """要不要公证, 有没有挂牌仪式, 要开证明吗, 是原创的吗: the passage on 合同, 示范单位 or
    媒体报道 says nothing of the thing asked about."""
    assert ask(question).fallback


@pytest.mark.parametrize(("question", "expect"), [
    ("联合会要制订章程吗", "制订组织章程"), ("社会组织要不要建立工会", "建立工会组织"),
    ("登记证书必须是民政部门发的吗", "依法在民政部门登记注册"),
    ("领导小组办公室设在哪", "设在市总工会法律工作部"),
    # the shapes the later rounds decline, where the documents do state it
    ("崂山区是不是试点", "崂山区"),  # a district the documents name
    ("补助经费能用在哪些地方", "经费"),  # where money is used is no place
    ("职业健康属于生产服务类还是生活服务类", "生产服务"),  # the passage holds both sides
    ("市总在哪几个区市设了改革试点", "设立改革试点"),  # the paragraph lists them itself
    ("Who heads the office of the leading group?", "樊朝斌同志兼任办公室主任"),
    ("工作格局要在哪一年基本形成", "到2020年"),  # a year the passage states
    ("What does a labour-relations social organisation mean?", "是指其工作内容")])
def test_a_yes_no_or_where_question_the_passage_answers_is_answered(ask, question, expect):
    result = ask(question)
    assert not result.fallback
    assert expect in result.hits[0].passage.text


@pytest.mark.parametrize("question", ["示范单位的负责人可以兼任领导小组成员吗",
                                      "评估结果可以公开查询吗"])
def test_a_second_post_or_a_disclosure_the_passage_does_not_state_is_declined(ask, question):
    """Whether one may hold a second post, whether a thing may be looked up: the best
    passage must state a second post (兼任) or a disclosure (公开, 公示, 网站)."""
    assert ask(question).fallback


def test_a_second_post_the_documents_state_is_answered(ask):
    result = ask("樊朝斌同志兼任什么职务")
    assert not result.fallback
    assert "兼任办公室主任" in result.hits[0].passage.text


def test_a_year_the_documents_never_name_is_a_thing_they_do_not_know(ask, index):
    """The documents name 2018年, 2020年 and 2021年: what 2023年's winners were is not in
    them (a passage on the excellent projects in general does not answer it)."""
    assert index.unknown_things(index.query("2023年评上的优秀项目有哪些")) == ("2023年",)
    assert ask("2023年评上的优秀项目有哪些").fallback
    assert index.unknown_things(index.query("2021年的实施意见是哪天印发的")) == ()


@pytest.mark.parametrize("question", ["项目申报表在哪下载", "示范单位的办公室在什么位置",
                                      "申请困难职工帮扶怎么弄", "加入联合会要交管理费吗",
                                      "孵化基地的场地可以用多长时间"])
def test_a_place_procedure_fee_or_duration_the_passage_does_not_state_is_declined(ask, question):
    """Where to download, at what position, how to go about applying, a fee to pay, how long
    a thing may be used: the kind of thing asked must be what the best passage states (a
    website or an address, steps, an amount, a term), else the documents do not answer."""
    assert ask(question).fallback


@pytest.mark.parametrize(("question", "expect"), [
    ("What are the access conditions for purchasing services?", "明确准入条件"),
    ("What does the 2018 opinion say about finding out the number of labour-relations "
     "organisations?", "社会组织数量、规模状况"),
    ("Which organisations are model units?", "即墨区国立社会工作服务中心"),
    ("Who may set up a federation of labor relations social organisations?",
     "劳动关系领域社会组织联合会")])
def test_an_english_question_in_the_documents_vocabulary_is_answered(ask, question, expect):
    """The term table holds the whole documents' vocabulary (access conditions → 准入条件,
    find out → 摸清底数, number → 数量), not only the words of earlier questions."""
    result = ask(question)
    assert not result.fallback
    assert expect in result.hits[0].passage.text


@pytest.mark.parametrize(("question", "expect"), [
    ("What is the 2018 guidance's definition of labour relations social organisations?",
     "劳动关系领域社会组织，是指"),
    ("Is there a mechanism to judge the performance of the services unions buy?",
     "建立购买服务绩效评价机制"),
    ("Can social organisations run competitions for production workers with the unions?",
     "劳动竞赛")])
def test_an_english_questions_general_words_are_the_documents_words(ask, question, expect):
    """The documents' general words as staff write them in English (guidance → 意见,
    buy → 购买, performance → 绩效, competition → 竞赛, production → 生产): a word the
    term table lacks is a thing the documents never name, and the question is declined."""
    result = ask(question)
    assert not result.fallback
    assert expect in result.hits[0].passage.text


def test_a_typo_that_is_a_word_too_is_corrected_where_the_documents_confirm_it(ask, index):
    """报到 is a word, typed for 报道 (the same sound): next to 媒体 the documents say
    报道 and never 报到, so it is corrected; 新职工几号报到 says nothing they confirm."""
    result = ask("主流媒体报到要什么材料")
    assert not result.fallback
    assert "主流媒体正面报道" in result.hits[0].passage.text
    assert ("报到", "报道") in index.query("主流媒体报到要什么材料").corrections
    assert index.query("新职工几号报到").corrections == ()


def test_a_covered_question_sharing_a_neighbouring_word_is_answered(ask):
    result = ask("补助能不能发给社会组织当人员工资")
    assert not result.fallback


def test_an_english_question_is_searched_with_the_term_tables_chinese(ask, catalog):
    result = ask("How many points for 85% satisfaction?")
    assert "8分" in line(result, catalog)
    first = ask("Must the sign match the registered name?").hits[0].passage.text
    assert "招牌名称与登记名称一致" in first


def test_a_verb_the_documents_never_use_asks_about_nothing_they_lack(ask, index):
    """下手 (a manner of speaking) is no thing the documents would have to name: the
    question on where to start building unions is answered; a noun they never use (食堂)
    still names something they lack."""
    result = ask("建工会先从哪类社会组织下手")
    assert not result.fallback
    assert "组建工会" in result.hits[0].passage.text
    assert index.unknown_things(index.query("建工会先从哪类社会组织下手")) == ()
    assert index.unknown_things(index.query("工会服务中心的食堂几点开饭")) == ("食堂",)


def test_a_money_cue_inside_a_word_of_no_amount_asks_for_no_subsidy(ask):
    """领 of 领导小组 is no 领 (receiving money): the documents never state an amount where
    they say 领导小组, so 市里的领导小组组长是谁 asks for a name, not the city subsidy."""
    result = ask("市里的领导小组组长是谁")
    assert result.computed is None
    assert "组长：彭建国" in result.hits[0].passage.text
    assert ask("市里评的优秀项目能领多少").computed is not None


@pytest.mark.parametrize("question", ["职工服务阵地的装修标准是什么",
                                      "户外劳动者服务的考核指标是什么"])
def test_what_a_thing_is_asked_of_a_passage_without_it_is_declined(ask, question):
    """装修标准是什么, 考核指标是什么: the passage on 阵地 or 户外劳动者 says nothing of the
    thing whose content is asked."""
    assert ask(question).fallback


# ---- the tenth round (2026-12-06): kinds of question the ninth and tenth generations found

@pytest.mark.parametrize("question", [
    "今年的评选结果公布了没有",  # the present state: no document of the past states it
    "办公室主任现在调到哪去了",
    "李沧区总工会的联系电话是多少",  # a district's body the documents never name
    "年审材料去哪儿交",  # where: not stated by the annex heading of the passage found
    "示范单位评上以后会被摘牌吗",  # a consequence the passage does not hold
    "社会组织的员工能评劳动模范吗",  # 劳动模范: the documents write 劳动 and 模范 apart
    "专项经费占工会预算的百分之几",  # a share
    "优秀项目补助是一次性给还是分期给",  # a choice the passage holds neither side of
    "材料造假被发现会怎么处理", "项目结项报告由哪个部门审核",  # a penalty, a body
    "托管班要家长交钱吗", "调研报告有没有格式要求", "问卷至少要收回多少份",
    "领导小组组长能不能由副主席兼任", "How do we appeal a rejected project?",
])
def test_what_the_documents_do_not_state_is_declined(ask, question):
    assert ask(question).fallback


@pytest.mark.parametrize("question", ["示范单位都有哪几家",
                                      "Which organisations are the model units?"])
def test_which_ones_are_answered_by_the_whole_list(ask, question):
    """The paragraph says 见附件2; the annex lists four units, one passage each: the answer
    leads with all four, and no unit comes again on its own after them."""
    result = ask(question)
    first = result.hits[0].passage.text
    assert not result.fallback
    units = ("即墨区国立社会工作服务中心", "青岛海都心理健康服务中心", "崂山区锦云村养老公寓",
             "莱西市总工会职工法律信息服务中心")
    assert all(name in first for name in units)
    assert not any(h.passage.section == result.hits[0].passage.section
                   for h in result.hits[1:])


# ---- the eleventh round: what the eleventh generation found

@pytest.mark.parametrize("question", [
    "联合会的秘书长由谁担任",  # who holds a post the passage does not name
    "数据库哪一年建好的",  # a year the passage does not state
    "去年评上省级优秀的有哪些项目",  # last year's results: no document states them
    "配套资金按多大比例给",  # a share
    "总分多少分以上才能评上优秀",  # a pass mark: the documents set none (not the total)
])
def test_what_the_eleventh_generation_asked_is_declined_where_not_stated(ask, question):
    assert ask(question).fallback


def test_units_asked_with_you_naxie_get_the_whole_list(ask):
    first = ask("示范单位有哪些").hits[0].passage.text
    assert "即墨区国立社会工作服务中心" in first and "莱西市总工会职工法律信息服务中心" in first
