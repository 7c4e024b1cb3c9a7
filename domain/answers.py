"""Answers to policy questions: the figure a rule computes, where there is one, then the
passages that answer, with their citations; or, when nothing matches, an honest "not
found" with the closest passages.

Pure code. How questions are recognised is data (data/answers.toml, read into
``AnswerRules``); what the rules compute comes from the rubric and the subsidy table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from domain.corpus import Passage, normalize
from domain.i18n import Catalog, local
from domain.rubric import BandsRule, Criterion, PerKindRule, PerLevelRule, Rubric
from domain.search import Hit, Query, Results, SearchIndex, fold, runs
from domain.subsidy import SubsidyTable, compute_subsidy

FUZZY_ALIAS_MIN_LEN = 4  # aliases this long also match with one wrong character
FUZZY_ALIAS_SCORE = 75.0  # rapidfuzz partial_ratio needed for that
ALIAS_WEIGHT = 2  # naming a criterion counts as much as naming two of its items


def _terms(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(t for v in values if (t := "".join(runs(v))))


def _term_map(data: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    return {key: _terms(values) for key, values in data.items()}


# --------------------------------------------------------------------------- rules data


@dataclass(frozen=True, slots=True)
class CriterionCues:
    id: str
    aliases: tuple[str, ...]
    items: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # fixed items
    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # per-kind item
    levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # per-level item


@dataclass(frozen=True, slots=True)
class SubsidyCues:
    levels: Mapping[str, tuple[str, ...]]
    ignore: tuple[str, ...]
    later: tuple[str, ...]
    unpaid: tuple[str, ...]
    difference: tuple[str, ...] = ()  # a question comparing two levels (差多少, 多补多少)
    each: tuple[str, ...] = ()  # a question asking each level's subsidy (各是, 分别, 省级的呢)
    awards: tuple[str, ...] = ()  # after a body's name: it awards the honour (省总评的)


@dataclass(frozen=True, slots=True)
class AskKind:
    """What kind of thing a question asks for (a time, a procedure), and what a passage
    that answers it states: a passage without it does not answer that question, however
    many of its words it shares (补助资金啥时候到账 → the funding paragraph names no time)."""

    name: str
    question: re.Pattern[str]
    passage: re.Pattern[str]
    local: bool = False  # stated where the passage names the question's chief term (an amount)


@dataclass(frozen=True, slots=True)
class AnswerRules:
    points_cues: tuple[str, ...]
    points_unit: str
    points_patterns: tuple[re.Pattern[str], ...]
    money_cues: tuple[str, ...]
    money_units: Mapping[str, int]
    negations: tuple[str, ...]
    count_units: tuple[str, ...]
    clause_breaks: tuple[str, ...]
    numerals: Mapping[str, int]
    percent_prefix: str
    percent_words: Mapping[str, int]
    total_cues: tuple[str, ...]
    maxima_cues: tuple[str, ...]
    criteria: tuple[CriterionCues, ...]
    subsidy: SubsidyCues
    fallback_below: float  # search evidence under which we say "not found"
    uncovered: tuple[str, ...] = ()  # neighbouring topics the documents do not cover
    coverage_below: float = 0.0  # the best passage covers less of the question: "not covered"
    covered_above: float = 1.0  # it covers this much: covered, however common the words
    unknown_below: float = 0.0  # a question with words the documents never use, covered less
    asks: tuple[AskKind, ...] = ()  # kinds of thing asked for, and how a passage states them
    objects: tuple[re.Pattern[str], ...] = ()  # the thing a yes/no question asks about
    object_skip: tuple[str, ...] = ()  # words of no content in it (哪些, 什么)
    object_held: float = 0.5  # share of what it says a passage must hold
    object_least: float = 0.0  # the least rarity of a word of it the documents do not use
    total_unless: tuple[str, ...] = ()  # a total asked as a threshold (多少分以上才能) is none
    choice: re.Pattern[str] | None = None  # a choice between two (X还是Y)
    # a question asking which ones (哪几家, 名单): answered by a list annex as a whole
    lists: re.Pattern[str] | None = None
    annex_reference: re.Pattern[str] | None = None  # a passage's 见附件2
    list_item_chars: int = 0  # the longest item of a list annex


def answer_rules_from_dict(data: Mapping[str, Any]) -> AnswerRules:
    """data/answers.toml → ``AnswerRules``."""
    criteria = tuple(
        CriterionCues(id=cid, aliases=_terms(c.get("aliases", [])),
                      items=_term_map(c.get("items", {})), kinds=_term_map(c.get("kinds", {})),
                      levels=_term_map(c.get("levels", {})))
        for cid, c in data.get("criterion", {}).items()
    )
    sub = data.get("subsidy", {})
    return AnswerRules(
        points_cues=_terms(data.get("points_cues", [])),
        points_unit=data.get("points_unit", "分"),
        money_units={k: int(v) for k, v in data.get("money_units", {}).items()},
        points_patterns=tuple(re.compile(p) for p in data.get("points_patterns", [])),
        money_cues=_terms(data.get("money_cues", [])),
        negations=_terms(data.get("negations", [])),
        count_units=_terms(data.get("count_units", [])),
        clause_breaks=_terms(data.get("clause_breaks", [])),
        numerals={k: int(v) for k, v in data.get("numerals", {}).items()},
        percent_prefix=data.get("percent_prefix", ""),
        percent_words={"".join(runs(k)): int(v) for k, v in data.get("percent_words", {}).items()},
        total_cues=_terms(data.get("total", {}).get("cues", [])),
        total_unless=_terms(data.get("total", {}).get("unless", [])),
        maxima_cues=_terms(data.get("maxima", {}).get("cues", [])),
        criteria=criteria,
        subsidy=SubsidyCues(levels=_term_map(sub.get("levels", {})),
                            ignore=_terms(sub.get("ignore", [])),
                            later=_terms(sub.get("later", [])),
                            unpaid=_terms(sub.get("unpaid", [])),
                            difference=_terms(sub.get("difference", [])),
                            each=_terms(sub.get("each", [])),
                            awards=_terms(sub.get("awards", []))),
        fallback_below=float(data.get("fallback", {}).get("below", 0.0)),
        uncovered=_terms(data.get("fallback", {}).get("uncovered", [])),
        coverage_below=float(data.get("fallback", {}).get("coverage_below", 0.0)),
        covered_above=float(data.get("fallback", {}).get("covered_above", 1.0)),
        unknown_below=float(data.get("fallback", {}).get("unknown_below", 0.0)),
        asks=tuple(AskKind(name, re.compile(entry["question"]), re.compile(entry["passage"]),
                           bool(entry.get("local", False)))
                   for name, entry in data.get("fallback", {}).get("asks", {}).items()),
        objects=tuple(re.compile(p) for p in
                      data.get("fallback", {}).get("objects", {}).get("patterns", [])),
        object_skip=_terms(data.get("fallback", {}).get("objects", {}).get("skip", [])),
        object_held=float(data.get("fallback", {}).get("objects", {}).get("held", 0.5)),
        object_least=float(data.get("fallback", {}).get("objects", {}).get("least", 0.0)),
        lists=re.compile(data["lists"]["question"]) if "lists" in data else None,
        choice=re.compile(data["fallback"]["choice"]["pattern"])
        if "choice" in data.get("fallback", {}) else None,
        annex_reference=re.compile(data["lists"]["reference"]) if "lists" in data else None,
        list_item_chars=int(data.get("lists", {}).get("item_chars", 0)),
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Computed:
    """A figure a rule computed: the catalog key of its sentence, the values to fill in
    (a value may be a {"zh": …, "en": …} text, or ``Money``), the figure itself (in the
    catalog's words), and the passage the rule rests on."""

    kind: str
    key: str
    values: Mapping[str, Any]
    passage: Passage | None
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Money:
    yuan: int


@dataclass(frozen=True, slots=True)
class Parts:
    """A list for a sentence: each item rendered by catalog ``key``, joined by ask.list_sep."""

    key: str
    items: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    computed: Computed | None
    hits: tuple[Hit, ...]  # passages, best first (without the computed answer's passage)
    confidence: float  # share of the question the best passage matches (0–1)
    evidence: float  # how much of it, idf-weighted: under rules.fallback_below → fallback
    fallback: bool
    corrections: tuple[tuple[str, str], ...] = ()
    replaces: Passage | None = None  # the older document's passage the first hit replaces


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One result as the CLI prints it: text, document title, citation path, score."""

    text: str
    source: str
    section: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "section": self.section,
                "score": round(self.score, 4)}


# --------------------------------------------------------------------------- reading numbers


@dataclass(frozen=True, slots=True)
class _Number:
    value: float
    start: int
    end: int


def _numbers(text: str, rules: AnswerRules) -> list[_Number]:
    """ASCII numbers (85, 79.5) and runs of Chinese numerals (两, 十二), with positions."""
    chars = "".join(re.escape(c) for c in rules.numerals)
    pattern = rf"\d+(?:\.\d+)?|[{chars}]+" if chars else r"\d+(?:\.\d+)?"
    out = []
    for m in re.finditer(pattern, text):
        token = m.group(0)
        value = float(token) if token[0].isdigit() else _cn_number(token, rules.numerals)
        out.append(_Number(value, m.start(), m.end()))
    return out


def _cn_number(token: str, numerals: Mapping[str, int]) -> float:
    total = current = 0
    for ch in token:
        value = numerals[ch]
        if value >= 10:
            total += (current or 1) * value
            current = 0
        else:
            current = current * 10 + value
    return float(total + current)


def _rate(text: str, rules: AnswerRules, low: float, high: float) -> float | None:
    """The percentage a question gives: 85, 79.5%, 百分之九十, 百分之百."""
    for phrase, value in rules.percent_words.items():
        if phrase in text:
            return float(value)
    if rules.percent_prefix and rules.percent_prefix in text:
        rest = text.split(rules.percent_prefix, 1)[1]
        numbers = _numbers(rest, rules)
        if numbers and numbers[0].start == 0 and low <= numbers[0].value <= high:
            return numbers[0].value
    for number in _numbers(text, rules):
        if text[number.start].isdigit() and low <= number.value <= high:
            return number.value
    return None


# --------------------------------------------------------------------------- matching cues


def _flat(text: str) -> str:
    return "".join(runs(text))


def _has(text: str, terms: Sequence[str]) -> bool:
    return any(t in text for t in terms)


def _mentions(text: str, aliases: Sequence[str]) -> bool:
    """An alias occurs in ``text``; long aliases also with one wrong character."""
    for alias in aliases:
        if alias in text:
            return True
        if len(alias) >= FUZZY_ALIAS_MIN_LEN \
                and fuzz.partial_ratio(alias, text) >= FUZZY_ALIAS_SCORE:
            return True
    return False


def _occurrences(text: str, named: Mapping[str, Sequence[str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, key) of the aliases in ``text``; longest first."""
    found = sorted(((m.start(), m.start() + len(alias), key)
                    for key, aliases in named.items() for alias in aliases
                    for m in re.finditer(re.escape(alias), text)),
                   key=lambda o: (o[0], -(o[1] - o[0])))
    out: list[tuple[int, int, str]] = []
    for occurrence in found:
        if not out or occurrence[0] >= out[-1][1]:
            out.append(occurrence)
    return out


def _clauses(question: str, rules: AnswerRules) -> list[str]:
    pieces = runs(question)
    for word in rules.clause_breaks:
        pieces = [part for piece in pieces for part in piece.split(word) if part]
    return pieces


# --------------------------------------------------------------------------- the rules


# An English question's clauses, counts and negations (what _english_figures reads).
_EN_CLAUSE_RE = re.compile(r"[,;.?!]|\b(?:and|but|plus)\b", re.IGNORECASE)
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10, "once": 1, "twice": 2, "a single": 1}
_EN_NUMBER_RE = re.compile(r"\b(\d+|" + "|".join(_EN_NUMBERS) + r")\b", re.IGNORECASE)
_EN_POINTS_RE = re.compile(r"\b(?:points?|scores?)\b", re.IGNORECASE)
_EN_NEGATION_RE = re.compile(r"\b(?:no|not|nothing|none|without|never|missing|lack)\b|n't",
                             re.IGNORECASE)


def _english_figures(question: str, index: SearchIndex) -> str:
    """An English question's counts and negations said the Chinese way, clause by clause,
    for the rules (two city-level meetings and one national one → 市级会议2次，国家级1次;
    nothing on union work → 没有工会工作); "" for a question with neither or not English.
    The term table gives each clause's Chinese terms, the clause its first number."""
    if not question.isascii() or not (_EN_NUMBER_RE.search(question)
                                      or _EN_NEGATION_RE.search(question)):
        return ""
    out = []
    for clause in _EN_CLAUSE_RE.split(question):
        terms = index.synonyms.translated(clause)[0][len(clause):].split()
        if not terms:
            continue
        number = _EN_NUMBER_RE.search(clause)
        count = number[1].lower() if number else ""
        out.append(("没有" if _EN_NEGATION_RE.search(clause) else "") + "".join(terms)
                   + (f"{_EN_NUMBERS.get(count, count)}次" if count else ""))
    if out and _EN_POINTS_RE.search(question):  # how many media points, what do we score
        out.append("得几分")
    return "，".join(out)


def _memo(index: SearchIndex, key: str, make: Any) -> Any:
    """Derived from the passages once per index (the anchors are looked up every time)."""
    if key not in index.memo:
        index.memo[key] = make()
    return index.memo[key]


def _anchor_for_criterion(index: SearchIndex, rubric: Rubric, criterion: Criterion
                          ) -> Passage | None:
    return _memo(index, f"anchor:{rubric.id}:{criterion.id}",
                 lambda: _find_criterion_passage(index, rubric, criterion))


def _find_criterion_passage(index: SearchIndex, rubric: Rubric, criterion: Criterion
                            ) -> Passage | None:
    doc = rubric.source.get("doc")
    section = normalize(rubric.source.get("section", ""))
    label = normalize(criterion.label["zh"])
    for passage in index.passages:
        path = passage.section
        if passage.doc_id == doc and path and normalize(path[-1]) == label \
                and normalize(path[0]).startswith(section):
            return passage
    return None


def _anchor_with(index: SearchIndex, text: str, doc: str | None = None) -> Passage | None:
    return _memo(index, f"anchor:{doc}:{text}", lambda: _find_passage_with(index, text, doc))


def _find_passage_with(index: SearchIndex, text: str, doc: str | None) -> Passage | None:
    wanted = normalize(text)
    if not wanted:
        return None
    candidates = [p for p in index.passages if wanted in normalize(p.text)]
    preferred = [p for p in candidates if p.doc_id == doc]
    return (preferred or candidates or [None])[0]


def _paid(text: str, mentions: Sequence[tuple[int, int, str]], table: SubsidyTable,
          rules: AnswerRules) -> int:
    cues = rules.subsidy
    if _has(text, cues.unpaid):
        return 0
    amounts = [(n, rules.money_units[text[n.end]]) for n in _numbers(text, rules)
               if text[n.end : n.end + 1] in rules.money_units]
    if amounts:
        return int(sum(n.value * unit for n, unit in amounts))
    later = [m.start() for cue in cues.later for m in re.finditer(re.escape(cue), text)]
    if not later:
        return 0
    earlier = [table.level(o[2]).amount for o in mentions if o[1] <= min(later)]
    return max(earlier, default=0)


def _without_bodies(flat: str, rules: AnswerRules) -> str:
    """``flat`` with the names of bodies (市总工会, 省总) blanked out, as they are no honour
    levels; unless the body is said to award the honour (省总评的优秀项目: its level)."""
    for name in rules.subsidy.ignore:
        text = re.sub(re.escape(name) + f"(?!{'|'.join(map(re.escape, rules.subsidy.awards))})"
                      if rules.subsidy.awards else re.escape(name), "#" * len(name), flat)
        flat = text
    return flat


_AMOUNT_RE = re.compile(r"\d+(\.\d+)?万?元")


def _moneyless(index: SearchIndex, rules: AnswerRules) -> tuple[str, ...]:
    """The documents' words that hold a money cue of one character (领 in 领导小组, 元 in
    多元) and stand in no sentence of theirs that states an amount: in them the cue says
    nothing of money (组长是谁 of the 领导小组 asks for no subsidy); longest first."""
    def make() -> tuple[str, ...]:
        cues = [cue for cue in rules.money_cues if len(cue) == 1]
        priced = "".join(part for p in index.passages for part in _SENTENCE_RE.split(p.text)
                         if _AMOUNT_RE.search(part))
        return tuple(sorted((word for word in index.vocabulary if len(word) >= 2
                             and any(cue in word for cue in cues) and word not in priced),
                            key=len, reverse=True))
    return _memo(index, "moneyless", make)


def _subsidy(flat: str, table: SubsidyTable, rules: AnswerRules, index: SearchIndex
             ) -> Computed | None:
    """The subsidy for the honours a question names, topped up from what it says was
    paid: an amount (拿了1万), nothing (一分没领), or the honours held before (省级后来又…)."""
    unpointed = flat
    for cue in rules.points_cues:  # 能拿多少分 asks for points, 能拿多少 may ask for money
        if rules.points_unit in cue:
            unpointed = unpointed.replace(cue, "#")
    for word in _moneyless(index, rules):
        unpointed = unpointed.replace(word, "#")
    if not _has(unpointed, rules.money_cues):
        return None
    text = _without_bodies(flat, rules)
    known = {lv.id for lv in table.levels}
    mentions = [o for o in _occurrences(text, rules.subsidy.levels) if o[2] in known]
    if not mentions:
        return None
    honours = list(dict.fromkeys(o[2] for o in mentions))
    paid = _paid(text, mentions, table, rules)
    if len(honours) >= 2 and paid == 0 and _has(text, rules.subsidy.each):
        parts = Parts("ask.part.subsidy", tuple(
            {"level": table.level(lv).label, "amount": Money(table.level(lv).amount)}
            for lv in honours))
        passage = _anchor_with(index, table.source.get("quote", ""), table.source.get("doc"))
        return Computed("subsidy", "ask.computed.subsidy_each", {"parts": parts}, passage)
    result = compute_subsidy(table, honours, paid)
    if result.highest is None:
        return None
    level = table.level(result.highest)
    values: dict[str, Any] = {"level": level.label, "entitled": Money(result.entitled),
                              "paid": Money(result.paid), "due": Money(result.due)}
    if len(honours) == 1 and paid == 0:
        key = "ask.computed.subsidy_level"
    elif paid == 0:
        key = "ask.computed.subsidy_highest"
    elif result.due > 0:
        key = "ask.computed.subsidy_topup"
    else:
        key = "ask.computed.subsidy_nothing_due"
    passage = _anchor_with(index, table.source.get("quote", ""), table.source.get("doc"))
    return Computed("subsidy", key, values, passage)


def _difference(flat: str, table: SubsidyTable, rules: AnswerRules, index: SearchIndex
                ) -> Computed | None:
    """The difference between the subsidies of the two honour levels a question compares
    (国家级和省级差多少)."""
    if not _has(flat, rules.subsidy.difference):
        return None
    text = _without_bodies(flat, rules)
    known = {lv.id for lv in table.levels}
    named = list(dict.fromkeys(o[2] for o in _occurrences(text, rules.subsidy.levels)
                               if o[2] in known))
    if len(named) != 2:
        return None
    high, low = sorted((table.level(lv) for lv in named), key=lambda lv: -lv.amount)
    values = {"high": high.label, "high_amount": Money(high.amount), "low": low.label,
              "low_amount": Money(low.amount), "difference": Money(high.amount - low.amount)}
    passage = _anchor_with(index, table.source.get("quote", ""), table.source.get("doc"))
    return Computed("subsidy", "ask.computed.subsidy_difference", values, passage)


def _rates(question: str, flat: str, rubric: Rubric, rules: AnswerRules, index: SearchIndex
           ) -> Computed | None:
    """Points for each of several rates a question gives on a banded criterion
    (满意度85%和92%各得几分)."""
    if not _asks_points(flat, rules):
        return None
    for cues in rules.criteria:
        criterion = rubric.criterion(cues.id)
        banded = [item.rule for item in criterion.items if item.rule.step == "rate"]
        if not banded or not _mentions(flat, cues.aliases):
            continue
        rule = banded[0]
        text = fold(question)
        given = [n.value for n in _numbers(text, rules)
                 if text[n.start].isdigit() and rule.low <= n.value <= rule.high]
        if len(given) < 2:
            return None
        parts = Parts("ask.part.rate", tuple(
            {"value": f"{v:g}", "unit": rule.unit, "points": rule.band_for(v).points}
            for v in given))
        return Computed("points", "ask.computed.rates",
                        {"criterion": criterion.label, "parts": parts, "max": rule.max},
                        _anchor_for_criterion(index, rubric, criterion))
    return None


def _maxima(flat: str, rubric: Rubric, rules: AnswerRules, index: SearchIndex
            ) -> Computed | None:
    """The maxima of the two or more criteria a question names (媒体报道和经验推广最高各几分)."""
    if not _has(flat, rules.maxima_cues):
        return None
    named = [(flat.find(a), c.id) for c in rules.criteria for a in c.aliases[:1] if a in flat]
    if len(named) < 2:
        return None
    chosen = [rubric.criterion(cid) for _, cid in sorted(named)]
    parts = Parts("ask.part.points", tuple({"label": c.label, "points": c.max} for c in chosen))
    return Computed("points", "ask.computed.maxima", {"parts": parts},
                    _anchor_for_criterion(index, rubric, chosen[0]))


def _total(flat: str, rubric: Rubric, rules: AnswerRules, index: SearchIndex
           ) -> Computed | None:
    if not _has(flat, rules.total_cues) or _has(flat, rules.total_unless):
        return None
    parts = Parts("ask.part.points", tuple({"label": c.label, "points": c.max}
                                           for c in rubric.criteria))
    values = {"title": rubric.title, "count": len(rubric.criteria), "parts": parts,
              "total": rubric.max_total}
    passage = _anchor_with(index, rubric.title["zh"], rubric.source.get("doc"))
    return Computed("total", "ask.computed.total", values, passage)


def _asks_points(flat: str, rules: AnswerRules) -> bool:
    return _has(flat, rules.points_cues) or any(p.search(flat) for p in rules.points_patterns)


def _criterion_scores(flat: str, rules: AnswerRules) -> dict[str, int]:
    scores = {}
    for cues in rules.criteria:
        score = ALIAS_WEIGHT if _mentions(flat, cues.aliases) else 0
        for group in (cues.items, cues.kinds, cues.levels):
            score += sum(1 for aliases in group.values() if _mentions(flat, aliases))
        scores[cues.id] = score
    return scores


def _held(question: str, named: Mapping[str, Sequence[str]], rules: AnswerRules) -> list[str]:
    """Which of ``named`` a question says it has: mentioned in a clause without a negation."""
    held: list[str] = []
    for clause in _clauses(question, rules):
        if _has(clause, rules.negations):
            continue
        # a name said exactly is not another's misspelling (开展工会活动的材料 is no
        # 开展工会工作的材料 with two characters wrong): the rest is matched loosely
        exact = [key for key, aliases in named.items() if _has(clause, aliases)]
        said = sorted((a for key in exact for a in named[key]), key=len, reverse=True)
        rest = [piece for piece in (re.split("|".join(map(re.escape, said)), clause)
                                    if said else [clause])
                if len(piece) >= FUZZY_ALIAS_MIN_LEN]
        for key, aliases in named.items():
            if key not in held and (key in exact
                                    or any(_mentions(piece, aliases) for piece in rest)):
                held.append(key)
    return held


def _counts(question: str, levels: Mapping[str, Sequence[str]], rules: AnswerRules
            ) -> dict[str, int]:
    """Counts per level: 市级3次加省级1次 → {city: 3, provincial: 1};
    上了3次省报 → {provincial: 3}."""
    counts: dict[str, int] = {}
    for clause in _clauses(question, rules):
        marks = _occurrences(clause, levels)
        for number in _numbers(clause, rules):
            if clause[number.end : number.end + 1] not in rules.count_units:
                continue
            before = [m for m in marks if m[1] <= number.start]
            after = [m for m in marks if m[0] >= number.end]
            # the level right after the count and its unit is its own (两次市级会议和
            # 一次国家级: the 一次 is the national one's, not the city's before it)
            next_to = [m for m in after if m[0] == number.end + 1]
            mark = next_to[0] if next_to else \
                before[-1] if before else (after[0] if after else None)
            if mark is not None:
                counts[mark[2]] = counts.get(mark[2], 0) + int(number.value)
    return counts


def _points(question: str, flat: str, rubric: Rubric, rules: AnswerRules, index: SearchIndex,
            found: Sequence[Passage]) -> Computed | None:
    """Points for what the question says it has, on the criterion it names (or, naming
    none, whose passage the search found first). A criterion known only from the items
    it names must also be among the passages found."""
    if not _asks_points(flat, rules):
        return None
    scores = _criterion_scores(flat, rules)
    anchors = {c.id: _anchor_for_criterion(index, rubric, c) for c in rubric.criteria}
    best = max(scores.values(), default=0)
    top = found[0] if found else None
    chosen: str | None = None
    if best > 0:
        tied = [cid for cid, s in scores.items() if s == best]
        on_top = [cid for cid in tied if top is not None and anchors.get(cid) == top]
        chosen = (on_top or tied)[0]
        if best < ALIAS_WEIGHT and anchors.get(chosen) not in found:
            return None
    else:
        chosen = next((cid for cid, a in anchors.items() if a is not None and a == top), None)
    if chosen is None:
        return None
    cues = next(c for c in rules.criteria if c.id == chosen)
    criterion = rubric.criterion(chosen)
    computed = _criterion_points(question, criterion, cues, rules)
    if computed is None:
        return None
    key, values = computed
    values = {"criterion": criterion.label, **values}
    return Computed("points", key, values, anchors.get(chosen))


Sentence = tuple[str, dict[str, Any]]  # a catalog key and the values to fill it with


def _criterion_points(question: str, criterion: Criterion, cues: CriterionCues,
                      rules: AnswerRules) -> Sentence | None:
    """The criterion's points for what the question gives: a rate (bands), counts per
    level, kinds of document, or the fixed items it says it has."""
    for item in criterion.items:
        counted = _COUNTED_BY_KIND.get(item.rule.kind)
        if counted is not None:
            return counted(question, item.rule, cues, rules)
    return _fixed_points(question, criterion, cues, rules)


def _band_points(question: str, rule: BandsRule, cues: CriterionCues,
                 rules: AnswerRules) -> Sentence | None:
    rate = _rate(fold(question), rules, rule.low, rule.high)
    if rate is None:
        return None
    band = rule.band_for(rate)
    values: dict[str, Any] = {"value": f"{rate:g}", "unit": rule.unit, "points": band.points,
                              "max": rule.max, "start": f"{band.start:g}"}
    later = [b for b in rule.bands if b.start > band.start]
    if not later:
        return "ask.computed.band_top", values
    values["end"] = f"{later[0].start:g}"
    return ("ask.computed.band_none" if band.points == 0 else "ask.computed.band"), values


def _level_points(question: str, rule: PerLevelRule, cues: CriterionCues,
                  rules: AnswerRules) -> Sentence | None:
    counts = {lv: n for lv, n in _counts(question, cues.levels, rules).items()
              if lv in rule.levels}
    if not counts:
        return None
    parts = Parts("ask.part.level", tuple(
        {"level": rule.levels[lv].label, "count": n, "each": rule.levels[lv].points}
        for lv, n in sorted(counts.items(), key=lambda kv: rule.levels[kv[0]].points)))
    raw = rule.raw_points(counts)
    values = {"parts": parts, "raw": raw, "points": rule.score(counts), "cap": rule.cap}
    return ("ask.computed.per_level_capped" if raw > rule.cap
            else "ask.computed.per_level"), values


def _kind_points(question: str, rule: PerKindRule, cues: CriterionCues,
                 rules: AnswerRules) -> Sentence | None:
    held = frozenset(k for k in _held(question, cues.kinds, rules) if k in rule.kinds)
    if not held:
        return None
    kinds = Parts("ask.part.kind", tuple({"kind": rule.kinds[k]} for k in rule.kinds
                                         if k in held))
    raw = rule.points_each * len(held)
    values = {"kinds": kinds, "count": len(held), "each": rule.points_each, "raw": raw,
              "points": rule.score(held), "cap": rule.max}
    return ("ask.computed.per_kind_capped" if raw > rule.max
            else "ask.computed.per_kind"), values


# Which rule kinds a question's figures are counted for (the rest: fixed items).
_COUNTED_BY_KIND = {"bands": _band_points, "per_level": _level_points,
                    "per_kind": _kind_points}


def _fixed_points(question: str, criterion: Criterion, cues: CriterionCues,
                  rules: AnswerRules) -> Sentence | None:
    fixed = {i.id: i for i in criterion.items if i.rule.kind == "fixed"}
    held = [fixed[k] for k in _held(question, cues.items, rules) if k in fixed]
    if not held:
        return None
    chosen = [i for i in fixed.values() if i in held]  # in the standard's order
    parts = Parts("ask.part.points", tuple({"label": i.label, "points": i.max} for i in chosen))
    return "ask.computed.fixed", {"parts": parts, "points": sum(i.max for i in chosen),
                                  "max": criterion.max}


# --------------------------------------------------------------------------- answering


def answer(question: str, index: SearchIndex, rubric: Rubric, subsidy_table: SubsidyTable,
           k: int = 3, *, rules: AnswerRules) -> Answer:
    """Search, then put first the figure a rule computes for the question, if any."""
    results = index.results(question, max(k, 3))
    query = results.query
    asked, english = question, _english_figures(question, index)
    question = query.text  # an English question carries its Chinese terms (term table)
    flat = _flat(question)
    # an English question's counts and negations read clause by clause, not its terms
    # all together (they would hold what a clause says it lacks)
    corrected = f"{asked}，{english}" if english else _corrected(question, query)
    found = [h.passage for h in results.hits]
    top = found[0] if found else None
    computed = None if query.places else (  # another city's rules: no figure of ours
        _difference(flat, subsidy_table, rules, index)
        or _maxima(flat, rubric, rules, index)
        or _rates(corrected, _flat(corrected), rubric, rules, index)
        or _subsidy(flat, subsidy_table, rules, index)
        or _total(flat, rubric, rules, index)
        or _points(corrected, _flat(corrected), rubric, rules, index, found))
    if computed is not None:
        passage = computed.passage or top
        score = _score_of(index, query, passage, results.hits)
        computed = Computed(computed.kind, computed.key, computed.values, passage, score)
        others = tuple(h for h in results.hits if h.passage != passage)[: max(0, k - 1)]
        return Answer(question, computed, others, results.confidence, results.evidence, False,
                      query.corrections)
    fallback = not results.hits or not_covered(flat, results, rules, index) is not None
    hits = index.closest(question, results.hits, min(k, 3)) if fallback \
        else _with_list(flat, results, index, rules)[:k]
    return Answer(question, None, hits, results.confidence, results.evidence, fallback,
                  query.corrections, None if fallback else results.replaces)


def _with_list(flat: str, results: Results, index: SearchIndex, rules: AnswerRules
               ) -> tuple[Hit, ...]:
    """The hits, led by the whole list annex when the question asks which ones (哪几家, 名单)
    and the best passage is an item of one or refers to one (见附件2) whose title names the
    question's most specific term (示范单位; not 试点, which the referring passage itself
    lists): the list, one item a line, as one passage (cited as its first item), the
    referring passage after it."""
    hits = results.hits
    top = hits[0].passage
    if rules.lists is None or not rules.lists.search(flat):
        return tuple(hits)
    found = rules.annex_reference.search(top.text) if rules.annex_reference else None
    items = _list_annex(index, top.doc_id, found["number"] if found else None, top,
                        rules.list_item_chars)
    if not items or not any(fold(term) in _flat(items[0].section[0])
                            for term in index.chief_term(results.query, top)):
        return tuple(hits)
    first = items[0]
    whole = Passage(first.id, first.doc_id, first.doc_title, first.section,
                    "\n".join(item.text for item in items), first.ordinal)
    return (Hit(whole, hits[0].score),
            *(h for h in hits if h.passage not in items))


def _list_annex(index: SearchIndex, doc_id: str, number: str | None, top: Passage,
                longest: int) -> tuple[Passage, ...]:
    """The items of annex ``number`` of document ``doc_id`` (of ``top``'s annex when
    ``number`` is None and ``top`` is in one) when it is a list: items of at most
    ``longest`` characters each; an annex's items are read from the passages once per index
    (the ``memo``), not at every question."""
    section = top.section[0] if top.section else ""
    key = f"附件{number}" if number else (section.split()[0] if section.startswith("附件")
                                         else None)
    if key is None:
        return ()
    items = _memo(index, f"annex:{doc_id}:{key}", lambda: tuple(
        p for p in index.passages
        if p.doc_id == doc_id and p.section and p.section[0].split()[0] == key))
    return items if len(items) >= 2 and all(len(p.text) <= longest for p in items) else ()


def not_covered(flat: str, results: Results, rules: AnswerRules, index: SearchIndex
                ) -> str | None:
    """Why the best passage does not answer the question, or None when it does: it
    covers too little of what the question specifically asks (its words and entities,
    weighted by how rare they are in the documents, and what the documents do not know
    by how rare it is in the language: ``Results.coverage``), or the
    question asks for a kind of thing (a time, a procedure) the passage does not state,
    or names a neighbouring topic the passage does not."""
    passage = results.hits[0].passage
    if results.evidence < rules.fallback_below and results.confidence < rules.covered_above:
        return "evidence"
    if results.coverage < rules.coverage_below:
        return "coverage"
    if results.query.places:  # the documents are one city's: 济南市总 asks about another's
        return "place"
    if index.unknown_things(results.query) and results.confidence < rules.unknown_below:
        return "unknown"
    text = _flat(passage.text) + _flat("".join(passage.section))
    spaced = " ".join(runs(fold(results.query.text)))
    for kind in rules.asks:
        if (kind.question.search(flat) or kind.question.search(spaced)) and not \
                kind.passage.search(_about(passage, index.chief_term(results.query, passage))
                                    if kind.local else text):
            return kind.name
    if any((found := pattern.search(flat))
           and not _holds_object(found["object"], passage, index, rules)
           for pattern in rules.objects):
        return "object"
    if rules.choice is not None and (found := rules.choice.search(flat)):
        options, shared = _choice(found["first"], found["second"], index)
        if not (any(_holds_object(option, passage, index, rules) for option in options)
                and _holds_object(shared, passage, index, rules)):
            return "choice"
    return uncovered(flat, passage, rules)


_SENTENCE_RE = re.compile(r"[。；;！!？?\n]")


def _about(passage: Passage, spellings: Sequence[str]) -> str:
    """What the passage says about the question's most specific term (``spellings``):
    its sentences that name it, and its headings that name it (the whole passage and its
    headings when none names it: an annex's heading says where the annex's subject is
    found, not where anything in it is);
    what the question asks for (an amount, a time) must be stated there: 3万元 in the
    sentence on the national honour does not say what 配套资金 amounts to."""
    sentences = [flat for part in _SENTENCE_RE.split(passage.text) if (flat := _flat(part))]
    named = [flat for flat in sentences if any(s in flat for s in spellings)]
    headings = [flat for part in passage.section if (flat := _flat(part))]
    return "".join(named or sentences) + "".join(
        [h for h in headings if any(s in h for s in spellings)] if spellings else headings)


def _holds_object(thing: str, passage: Passage, index: SearchIndex, rules: AnswerRules
                  ) -> bool:
    """Whether a passage holds the thing a question asks about (可以用来买设备吗 → 买设备,
    要不要交税 → 交税): at least ``object_held`` of what the thing specifically says (its
    words and synonyms by their rarity in the documents, the words the documents never use
    by theirs in the language: ``SearchIndex.held``), words of no content (哪些, 什么) left
    out; a typo's correction counts, held when the passage has it (被摘牌 is no 招牌 of a
    passage that names none: a word the dictionary does not hold, read as a typo of several
    of the documents' words, is held when the passage has one of them). A thing of no such
    words is held."""
    for word in rules.object_skip:
        thing = thing.replace(word, " ")
    query = index.query(thing)
    held, total = index.held_in(query, passage, rules.object_least, fixes=True)
    if not total and query.corrections:
        text = _flat(passage.text)
        return any(word in text for _, word in query.corrections)
    return not total or held >= rules.object_held * total


def _choice(first: str, second: str, index: SearchIndex) -> tuple[tuple[str, str], str]:
    """A choice's two options (``first`` runs on into the rest of the question) by what
    sets them apart (是一次性拨付还是分期拨付 → 一次性, 分期: their common ending left out, the
    first cut to about the second's length), and what both are, which the passage must
    hold too: their common ending when it ends in a noun of the language
    (社会组织账户还是区市总工会账户 → 账户; not 8分那档还是10分那档)."""
    same = 0
    while same < min(len(first), len(second)) - 1 and first[-1 - same] == second[-1 - same]:
        same += 1
    ending = second[len(second) - same:]
    first, second = first[:len(first) - same], second[:len(second) - same]
    return ((first[-(max(len(second), 2) + 1):], second),
            ending if same >= 2 and ending[-2:] in index.nouns else "")


def uncovered(flat: str, passage: Passage, rules: AnswerRules) -> str | None:
    """The neighbouring topic a question names that the passage found does not: the
    documents do not cover it (a passage merely sharing the question's other words)."""
    text = _flat(passage.text) + _flat("".join(passage.section))
    return next((t for t in rules.uncovered if t in flat and t not in text), None)


def _corrected(question: str, query: Query) -> str:
    """The question with its sure corrections appended (满以度 → … 满意度: a piece with a
    single candidate), for cue matching."""
    pieces = [piece for piece, _ in query.corrections]
    extra = [fixed for piece, fixed in query.corrections if pieces.count(piece) == 1]
    return question + (" " + " ".join(extra) if extra else "")


def _score_of(index: SearchIndex, query: Query, passage: Passage | None,
              hits: Sequence[Hit]) -> float:
    best = hits[0].score if hits else 0.0
    if passage is None:
        return best
    for hit in hits:
        if hit.passage == passage:
            return max(best, hit.score)
    return max(best, index.score_of(query, passage))


# --------------------------------------------------------------------------- rendering


def money(amount: int, lang: str) -> str:
    """3万 (zh, when a whole number of 万) or 30,000 (en); the unit comes from the catalog."""
    if lang == "zh" and amount and amount % 10000 == 0:
        return f"{amount // 10000}万"
    if lang == "zh" and amount and amount % 1000 == 0 and amount > 10000:
        return f"{amount / 10000:g}万"
    return f"{amount:,}" if lang == "en" else str(amount)


def _value(value: Any, catalog: Catalog, lang: str) -> Any:
    if isinstance(value, Money):
        return catalog.t("ask.money", lang, amount=money(value.yuan, lang))
    if isinstance(value, Parts):
        return catalog.t("ask.list_sep", lang).join(
            catalog.t(value.key, lang, **_values(item, catalog, lang)) for item in value.items)
    if isinstance(value, Mapping):
        return local(value, lang)
    return value


def _values(values: Mapping[str, Any], catalog: Catalog, lang: str) -> dict[str, Any]:
    return {name: _value(value, catalog, lang) for name, value in values.items()}


def render_computed(computed: Computed, catalog: Catalog, lang: str) -> str:
    return catalog.t(computed.key, lang, **_values(computed.values, catalog, lang))


def result_rows(result: Answer, catalog: Catalog, lang: str) -> list[ResultRow]:
    """Best first: the computed answer followed by the passage it rests on, then passages."""
    rows = []
    if result.computed is not None:
        text = render_computed(result.computed, catalog, lang)
        passage = result.computed.passage
        if passage is not None:
            rows.append(ResultRow(f"{text}\n{passage.text}", passage.doc_title,
                                  passage.citation, result.computed.score))
        else:
            rows.append(ResultRow(text, "", "", result.computed.score))
    rows.extend(ResultRow(h.passage.text, h.passage.doc_title, h.passage.citation, h.score)
                for h in result.hits)
    return rows
