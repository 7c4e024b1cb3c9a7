"""Policy search: find the passage that answers a question typed on a phone.

Pure code over passages. A passage is indexed by three kinds of features:

- ``w:`` words — the tokenizer's words of the passage (jieba, given by the caller), and
  the corpus words inside them (社会组织 → 社会, 组织, as search mode finds); a question
  is matched against that vocabulary (every piece of it that is a corpus word), so no
  tokenizer is needed at question time;
- ``b:`` bigrams of symbols (a CJK character, or a run of ASCII letters/digits) —
  robust to words the tokenizer splits differently;
- ``s:`` synonym groups (data/synonyms.toml) — a group is present when any of its
  terms or patterns occurs, so 社组织 / NGO find 社会组织, 门头牌子 finds 招牌, 奖金
  finds 补助, 哪天 finds a date.

They are weighted by BM25F, the section path and the document's title being a second,
lighter field; a question that names a passage's own heading (媒体报道) or a document
(18年, 青工〔2018〕21号) favours it. Pieces of a question that neither the corpus nor
the dictionary knows are corrected with rapidfuzz against the corpus vocabulary (one
wrong character: 补主 → 补助, 测平 → 测评) and count at a discount.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from array import array
from bisect import bisect_left, insort
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from operator import mul
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from domain.corpus import Passage, PolicyDocument

Tokenizer = Callable[[str], Sequence[str]]

_RUN_RE = re.compile(r"[^\W_]+")
_SYMBOL_RE = re.compile(r"[a-z0-9]+|[^a-z0-9]")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[A-Za-z]{2}")
_YEAR_RE = re.compile(r"\d{2,4}年")
_LETTERS_RE = re.compile(r"[a-z]+")
# a code of letters and digits (3A, 4A, 5G): a thing, named as such
_CODE_RE = re.compile(r"(?<![a-z0-9])(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{2,6}(?![a-z0-9])")
_NAMED_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d年")  # 2022年
_AREA_RE = re.compile("[市省县区]")  # what names an administrative area after its name
# a district's body (市北区总工会): the district is one whatever the dictionary knows of it
_BODY_RE = re.compile("总工会|工会|民政局|人社局")
_AREA_WORD_RE = re.compile("[各本全我该每哪这那的在了和与跟是到给把被从对省县区]")
_ENGLISH_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")
_ENUMERATOR_RE = re.compile(
    r"^(?:附件\s*[0-9一二三四五六七八九十]+|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十]+[）)]|第\S{1,4}[编章节条])\s*")


# --------------------------------------------------------------------------- text


def fold(text: str) -> str:
    """NFKC and lower case: full-width digits and letters become ASCII."""
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> list[str]:
    """The runs of letters and digits in ``text`` (folded); punctuation splits them."""
    return _RUN_RE.findall(fold(text))


def symbols(run: str) -> list[str]:
    """A run as symbols: each CJK character alone, each ASCII run whole (2018, ngo)."""
    return _SYMBOL_RE.findall(run)


def is_cjk(text: str) -> bool:
    return all(_CJK_RE.fullmatch(ch) for ch in text)


def bigrams(pieces: Iterable[str]) -> list[str]:
    """Bigrams of symbols in each run: 2021年12月 → 2021年, 年12, 12月."""
    out = []
    for run in pieces:
        syms = symbols(run)
        out.extend(a + b for a, b in zip(syms, syms[1:], strict=False))
    return out


def clean_words(tokens: Iterable[str]) -> list[str]:
    """Tokenizer output reduced to words worth indexing: two characters or more, or ASCII."""
    return [run for run in runs(" ".join(tokens)) if len(run) >= 2 or run.isascii()]


def _trie_pattern(terms: Iterable[str]) -> str:
    """A regular expression matching any of ``terms``, the longest first, as a trie
    (much faster than a flat alternation of hundreds of terms)."""
    root: dict[str, Any] = {}
    for term in terms:
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        joined = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return joined + "?" if len(branches) == 1 and len(branches[0]) == 1 \
                else "(?:" + joined + ")?"
        return joined

    return pattern(root)


def heading_key(heading: str) -> str:
    """A heading without its number (附件2, 三、, （一）), folded, punctuation removed."""
    return "".join(runs(_ENUMERATOR_RE.sub("", heading.strip())))


# --------------------------------------------------------------------------- vocabulary data


@dataclass(frozen=True, slots=True)
class SynonymGroup:
    """Terms that mean the same thing in a question (the first is the documents' word);
    ``patterns`` are regular expressions that count as a term (a date, a doc number)."""

    terms: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class Synonyms:
    """The synonym groups, and the question words the search treats specially."""

    groups: tuple[SynonymGroup, ...] = ()
    fillers: frozenset[str] = frozenset()  # question words never corrected (多少, 怎么, 吗)
    weak: frozenset[str] = frozenset()  # words a question uses for the documents (文件)
    # bilingual terms, longest first: the pattern, its Chinese, and what every match holds
    english: tuple[tuple[re.Pattern[str], str, str], ...] = ()
    english_stop: frozenset[str] = frozenset()  # English words that ask nothing (what, our)
    term_groups: Mapping[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _matcher: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _prefixes: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        term_groups: dict[str, list[int]] = defaultdict(list)
        for number, group in enumerate(self.groups):
            for term in group.terms:
                term_groups[term].append(number)
        terms = sorted(term_groups, key=lambda t: (-len(t), t))
        matcher = re.compile("(?=(" + _trie_pattern(terms) + "))") if terms else None
        prefixes = {t: tuple(p for p in terms if t.startswith(p)) for t in terms}
        object.__setattr__(self, "term_groups", {t: tuple(g) for t, g in term_groups.items()})
        object.__setattr__(self, "_matcher", matcher)
        object.__setattr__(self, "_prefixes", prefixes)

    def counts(self, flat: str) -> Counter[int]:
        """How often each group occurs in ``flat`` (folded, without punctuation)."""
        out: Counter[int] = Counter()
        if self._matcher is not None:
            for match in self._matcher.finditer(flat):
                for term in self._prefixes[match.group(1)]:  # 经费补助 holds 经费 too
                    out.update(self.term_groups[term])
        for number, group in enumerate(self.groups):
            for pattern in group.patterns:
                if found := len(pattern.findall(flat)):
                    out[number] += found
        return out

    def translate(self, text: str) -> str:
        """A question with the Chinese terms of the English phrases it uses appended (the
        bilingual term table, data/terms_en.toml): the same search then finds the passage."""
        return self.translated(text)[0]

    def untranslated(self, text: str) -> tuple[str, ...]:
        """The English words of a question the term table does not translate and that are
        not frame words (``english_stop``: what, how, our …): what an English question asks
        about that the documents never say (insurance, password)."""
        return self.translated(text)[1]

    def translated(self, text: str) -> tuple[str, tuple[str, ...]]:
        """``translate`` and ``untranslated`` in one pass over the term table."""
        if not self.english or not _LATIN_RE.search(text):
            return text, ()
        folded = fold(text)
        found: list[str] = []
        for pattern, chinese, cue in self.english:
            if cue not in folded:  # every match holds its first word's first letters
                continue
            folded, count = pattern.subn(" ", folded)
            if count:
                found.append(chinese)
        text_out = text + (" " + " ".join(dict.fromkeys(found)) if found else "")
        if any(map(is_cjk, text)):
            return text_out, ()  # a Chinese question's Latin letters (NGO) abbreviate
        words = (w for w in _ENGLISH_WORD_RE.findall(folded) if len(w) >= 3)
        return text_out, tuple(dict.fromkeys(
            w for w in words if not any(form in self.english_stop for form in _bases(w))))


def _bases(word: str) -> tuple[str, ...]:
    """``word`` and the words it may inflect (rated → rate, heads → head, adding → add),
    for the frame words, which are listed once."""
    forms = [word]
    if word.endswith("s"):
        forms += [word[:-1], word[:-2]] if word.endswith("es") else [word[:-1]]
    if word.endswith("ed"):
        forms += [word[:-1], word[:-2]]
    if word.endswith("ing") and len(word) > 5:
        forms += [word[:-3], word[:-3] + "e"]
    return tuple(forms)


def _inflected(word: str) -> str:
    """A word of the term table with its inflections: a plural s (every word), and for a
    word of four letters or more its -ed, -ing, -ion, -ation forms (implemented,
    completion, recommendation: complete → complet-ion)."""
    if len(word) < 4 or not word.isalpha():
        return re.escape(word) + r"(?:s|es)?"
    if word.endswith("e"):
        return re.escape(word[:-1]) + r"(?:e|es|ed|ing|ion|ions)"
    return re.escape(word) + r"(?:s|es|ed|ing|ion|ions|ation|ations)?"


# The endings a word of the term table loses to its stem (the longest first; a stem keeps
# four letters or more), and those its other forms add: evaluation → evalu-ate, -ating;
# identify → identif-ying, -ication; define → defin-ition; share → shar-ing.
_ENDINGS = ("ications", "ication", "ations", "ation", "itions", "ition", "ions", "ion",
            "ings", "ing", "ies", "ied", "ed", "es", "s", "e", "y")
_FORMS = (r"(?:e|es|ed|ing|ings|ion|ions|ation|ations|ition|itions|ication|ications|ate|ates"
          r"|ated|ating|er|ers|ment|ments|y|ys|ies|ied|ying|al|ally|ly|s)?")


def _stemmed(word: str) -> str:
    """A word of the term table with any of its forms (``_FORMS`` on its stem) and a
    negating prefix (unregistered names what registered names): the term table's second
    pass, for the forms its own entries do not spell. Words of three letters or fewer,
    and words ending in -ss, -us, -is (process, status), keep their own ending."""
    if len(word) < 4 or not word.isalpha():
        return _inflected(word)
    stem = word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4 \
                and not (ending == "s" and word.endswith(("ss", "us", "is"))):
            stem = word[:-len(ending)]
            break
    return r"(?:un|non-?)?" + re.escape(stem) + _FORMS


def _term_pattern(english: str, inflect: Callable[[str], str],
                  frame: AbstractSet[str] = frozenset()) -> re.Pattern[str]:
    """``english`` as a pattern, its words inflected by ``inflect``; a one-word entry
    never matches a frame word its forms would take in (needs → 需求 leaves need alone)."""
    words = fold(english).split()
    taken = []
    if len(words) == 1:  # a form holds the word's first three letters, whatever else
        form = re.compile(inflect(words[0]))
        taken = [w for w in sorted(frame) if words[0][:3] in w and w != words[0]
                 and form.fullmatch(w)]
    guard = "(?!(?:" + "|".join(map(re.escape, taken)) + r")(?![a-z0-9]))" if taken else ""
    return re.compile(r"(?<![a-z0-9])" + guard + r"[\s-]+".join(
        inflect(w) for w in words) + r"(?![a-z0-9])")


def term_table_from_dict(data: Mapping[str, Any]
                         ) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """data/terms_en.toml: ``[terms] "english phrase" = "中文"``: whole words (an
    abbreviation inside a Chinese question too: 让NGO给), longest phrase first, each word
    with its inflections (``_inflected``), apart by spaces or a hyphen (labour-relations);
    then, on what these leave, each phrase with every form of its words (``_stemmed``:
    evaluating, definition, unregistered), so an entry's own forms win over another's.
    A form that is one of the frame words (``[stop] words``: need for needs) is not
    the entry's."""
    pairs = sorted(data.get("terms", {}).items(), key=lambda kv: (-len(kv[0]), kv[0]))
    frame = frozenset(fold(w) for w in data.get("stop", {}).get("words", []))
    return tuple((_term_pattern(en, inflect, frame), zh, fold(en).split()[0][:3])
                 for inflect in (_inflected, _stemmed) for en, zh in pairs)


def synonyms_from_dict(data: Mapping[str, Any], english: Mapping[str, Any] | None = None
                       ) -> Synonyms:
    """data/synonyms.toml: ``[[group]] terms = [...] patterns = [...]`` and
    ``[question] fillers = [...] weak = [...]``; ``english``: data/terms_en.toml."""
    groups = []
    for entry in data.get("group", []):
        terms = tuple(dict.fromkeys(t for raw in entry.get("terms", [])
                                    if (t := "".join(runs(raw)))))
        patterns = tuple(re.compile(p) for p in entry.get("patterns", []))
        if len(terms) + len(patterns) < 2:
            raise ValueError(f"a synonym group needs two terms or more: {entry!r}")
        groups.append(SynonymGroup(terms, patterns))
    question = data.get("question", {})
    fillers = frozenset(t for raw in question.get("fillers", []) if (t := "".join(runs(raw))))
    weak = frozenset(t for raw in question.get("weak", []) if (t := "".join(runs(raw))))
    stop = frozenset(fold(w) for w in (english or {}).get("stop", {}).get("words", []))
    return Synonyms(tuple(groups), fillers, weak, term_table_from_dict(english or {}), stop)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Weights, chosen by measurement on tests/qa/questions.toml (`make qa-report`)."""

    k1: float = 1.2
    b: float = 0.5
    word: float = 1.0  # weight of a word feature
    bigram: float = 0.5  # weight of a bigram feature
    synonym: float = 1.0  # weight of a synonym-group feature
    weak: float = 0.3  # a weak word (文件, 意见: the documents themselves) counts this much
    subword: float = 0.5  # a word inside a longer word (组长 in 副组长) counts this much
    heading: float = 0.6  # a feature in the section path counts this much of one in the text
    fuzzy: float = 0.6  # a corrected piece counts this much of the word it was corrected to
    fuzzy_lengths: tuple[int, ...] = (2, 3, 4)  # lengths of the pieces that are corrected
    fuzzy_choices: int = 4  # a piece with more candidate corrections than this is left alone
    max_word: int = 8  # longest corpus word looked for in a question
    heading_phrase: float = 3.0  # bonus when a question names a passage's own heading
    heading_similarity: float = 85.0  # rapidfuzz partial_ratio for a named heading
    other_document: float = 0.6  # score factor for a document other than the one named
    contents: float = 0.7  # score factor for a list of contents (it names other sections)
    later: float = 0.03  # per place after the first in its section, a passage counts less
    # Where documents disagree the newest stands: a passage of a newer document this alike
    # to the best one (rapidfuzz ratio) replaces it (the 2021 list's line for the 2018 one),
    # or, when it also scores ``newer_share`` of the best, this alike (一式五份 for 一式三份).
    newer_alike: float = 75.0
    newer_related: float = 45.0
    newer_share: float = 0.5
    newer_floor: float = 0.3  # a newer passage scoring less than this share is not looked at
    newer_candidates: int = 12  # …nor one outside the question's best newer passages
    # A piece of a question the documents do not know weighs by its rarity in the language
    # (the dictionary's frequency f of the word, as information log(total / f)): at or
    # under ``language_common`` it asks nothing specific (交给, 任务: 0), at or over
    # ``language_rare`` as much as the documents' rarest word (拨付, 纸质, 电子版: 1).
    language_common: float = 9.0
    language_rare: float = 13.0
    foreign: float = 1.0  # a rare such piece weighs this many times the rarest corpus word
    # an English word neither the term table nor the frame words know counts this much of
    # a rare piece (English has no frequencies here: general words too are unknown)
    english: float = 0.5
    generic: float = 0.5  # a word of theirs the language uses everywhere (要求) counts this much
    noun: float = 0.4  # the least rarity of a noun of the language they never use (设备)


DEFAULT_PARAMS = SearchParams()


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    score: float


@dataclass(frozen=True, slots=True)
class Query:
    """A question turned into weighted features, with the corrections made."""

    text: str
    features: Mapping[str, float]
    corrections: tuple[tuple[str, str], ...] = ()
    documents: frozenset[str] = frozenset()  # documents the question names (18年, 青工…号)
    guessed: frozenset[str] = frozenset()  # features only an uncertain correction gave
    unknown: tuple[str, ...] = ()  # words it asks about that the documents never use (纸质)
    # The pieces of it the documents do not know (no word, synonym or question word of
    # theirs covers them), each with its rarity in the language, 0–1 (``SearchIndex.rarity``):
    # 拨付 1.0, 退休 0.5, 适合 0.2. What it specifically asks that no passage can hold.
    foreign: tuple[tuple[str, float], ...] = ()
    # The documents' words and synonyms it names, each once (none inside another, no
    # question word): the term, the features that hold it, and its weight (a weak word's
    # less). What ``SearchIndex.coverage`` weighs.
    terms: tuple[tuple[str, tuple[str, ...], float], ...] = ()
    fixes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # …and the words sure corrections give
    places: tuple[str, ...] = ()  # areas the documents never name, named as one (济南市)
    # …and the words of the language it uses that they do not, too common to ask anything
    # on their own (告诉, 直接): what a yes/no question's thing may still hinge on
    common: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Results:
    query: Query
    hits: tuple[Hit, ...]
    confidence: float  # share of the question's weight the best passage matches, 0–1
    evidence: float  # that weight itself (feature weight × idf): low for off-topic questions
    replaces: Passage | None = None  # an older document's passage the first hit stands for
    coverage: float = 0.0  # share of its terms, by rarity, the best passage holds, 0–1


# --------------------------------------------------------------------------- documents


def document_context(document: PolicyDocument) -> str:
    """Text about a document that every passage of it shares: its title."""
    return document.title


def document_names(document: PolicyDocument) -> tuple[str, ...]:
    """What a question may call a document by: its year (2018年, 18年) and number."""
    year = document.date.year
    names = [f"{year}年", f"{year % 100:02d}年"]
    if number := "".join(runs(document.number)):
        names.append(number)
    return tuple(names)


def _word_set(words: Iterable[str]) -> AbstractSet[str]:
    """``words`` as a set (a set given, such as a packed dictionary's view, stays as is)."""
    return words if isinstance(words, AbstractSet) else frozenset(words)


def near_misses(words: Iterable[str], targets: Iterable[str]) -> list[str]:
    """Those of ``words`` one substituted character away from a target and not targets
    themselves: the dictionary words a typo check must leave alone."""
    targets = set(targets)
    keys = {(len(t), i, t[:i] + t[i + 1 :]) for t in targets for i in range(len(t))}
    return sorted(w for w in words if w not in targets and any(
        (len(w), i, w[:i] + w[i + 1 :]) in keys for i in range(len(w))))


# --------------------------------------------------------------------------- index


class Postings:
    """Each feature's passages (ascending) and their weights, packed: one array of passage
    indices and one of weights (float32) for every feature, and where each feature's stretch
    starts (``at``: feature → its number), and each feature's heaviest weight (``ceilings``:
    what it can add to a score at most). A few small arrays, where an array pair per
    feature (numpy's, 3,700 features of 1–90 passages) took several times the memory and
    numpy itself 13 MiB."""

    __slots__ = ("at", "starts", "passages", "weights", "ceilings")

    def __init__(self, lists: Mapping[str, tuple[list[int], list[float]]]) -> None:
        self.at: dict[str, int] = {}
        self.starts, self.passages, self.weights = array("i", [0]), array("i"), array("f")
        self.ceilings = array("f")
        for number, (feature, (ixs, weights)) in enumerate(lists.items()):
            self.at[feature] = number
            self.passages.extend(ixs)
            self.weights.extend(weights)
            self.starts.append(len(self.passages))
            self.ceilings.append(max(self.weights[self.starts[-2]:], default=0.0))

    def __iter__(self) -> Iterator[str]:
        return iter(self.at)

    def __contains__(self, feature: object) -> bool:
        return feature in self.at

    def stretch(self, feature: str) -> range:
        """Where ``feature``'s passages and weights stand (empty if no passage has it)."""
        number = self.at.get(feature)
        return range(0) if number is None else range(self.starts[number],
                                                      self.starts[number + 1])

    def ceiling(self, feature: str) -> float:
        """``feature``'s heaviest weight (0 when no passage has it)."""
        number = self.at.get(feature)
        return 0.0 if number is None else self.ceilings[number]

    def weight(self, feature: str, index: int) -> float:
        """``feature``'s weight in passage ``index`` (0 when the passage has it not)."""
        return self.weight_in(self.stretch(feature), index)

    def weight_in(self, where: range, index: int) -> float:
        """``weight`` for the feature whose ``stretch`` is ``where``."""
        at = bisect_left(self.passages, index, where.start, where.stop)
        return float(self.weights[at]) if at < where.stop and self.passages[at] == index \
            else 0.0


def _subwords(word: str, vocabulary: set[str] | frozenset[str]) -> list[str]:
    """The corpus words inside a longer word (社会组织 → 社会, 组织), as search mode finds."""
    if len(word) < 3 or not is_cjk(word):
        return []
    return [part for size in range(2, len(word)) for i in range(len(word) - size + 1)
            if (part := word[i : i + size]) in vocabulary]


def _features(text: str, words: Sequence[str], vocabulary: set[str], synonyms: Synonyms,
              params: SearchParams) -> tuple[Counter[str], int]:
    """A text's features with their counts, and its length in letters and digits."""
    out: Counter[str] = Counter()
    for word in words:
        out[f"w:{word}"] += 1
        for part in _subwords(word, vocabulary):
            out[f"w:{part}"] += params.subword
    pieces = runs(text)
    out.update(f"b:{g}" for g in bigrams(pieces))
    flat = "".join(pieces)
    for number, count in synonyms.counts(flat).items():
        out[f"s:{number}"] += count
    return out, len(flat)


def _contents_prior(passages: Sequence[Passage], factor: float) -> list[float]:
    """``factor`` for a passage that names other sections of its document (附件：1.…名单
    2.…标准): a list of contents points to the answer rather than gives it."""
    keys: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for p in passages:
        if p.section and len(key := heading_key(p.section[-1])) >= 6:
            keys[p.doc_id].add((key, p.section[-1]))
    prior = [1.0] * len(passages)
    for index, p in enumerate(passages):
        flat = "".join(runs(p.text))
        own = p.section[-1] if p.section else None
        if any(key in flat for key, heading in keys[p.doc_id] if heading != own):
            prior[index] = factor
    return prior


def _order_prior(passages: Sequence[Passage], later: float) -> list[float]:
    """1 for the first passage of a section, ``later`` less for each place after it (up to
    five): among equals, a list is answered from its start."""
    prior = [1.0] * len(passages)
    place: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for index, p in enumerate(passages):
        key = (p.doc_id, p.section)
        prior[index] = 1 - later * min(place[key], 5)
        place[key] += 1
    return prior


@dataclass(slots=True)
class _Found:
    """A question's features as they are found: the best weight of each, which ones only
    a guess (a correction among several) gave, and the corrections made."""

    features: dict[str, float] = field(default_factory=dict)
    guessed: set[str] = field(default_factory=set)
    corrections: list[tuple[str, str]] = field(default_factory=list)
    terms: list[tuple[str, tuple[str, ...], float]] = field(default_factory=list)  # Query.terms
    fixes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # Query.fixes
    # the run's sure corrections, by the piece corrected, until its foreign words are known
    fixed: list[tuple[str, tuple[str, tuple[str, ...]]]] = field(default_factory=list)

    def add(self, feature: str, weight: float, guess: bool = False) -> None:
        if weight > self.features.get(feature, 0.0):
            self.features[feature] = weight
            if guess:
                self.guessed.add(feature)
            else:
                self.guessed.discard(feature)


@dataclass(slots=True)
class SearchIndex:
    passages: tuple[Passage, ...]
    synonyms: Synonyms
    params: SearchParams
    postings: Postings  # feature → passages and their BM25F weights
    idf: dict[str, float]
    vocabulary: frozenset[str]  # corpus words, folded
    by_length: dict[int, list[str]]  # correction targets (CJK words, synonym terms) by length
    headed: Postings  # a heading (heading_key) → its passages, with the bonus
    documents: tuple[str, ...]  # document ids
    document_of: tuple[int, ...]  # passage index → position in ``documents``
    names: dict[str, tuple[str, ...]]  # document id → what a question may call it by
    prior: tuple[float, ...]  # passage index → score factor (a list of contents counts less)
    dates: Mapping[str, Any] = field(default_factory=dict)  # document id → its date
    known_words: AbstractSet[str] = frozenset()  # spelled right: never corrected (后来, 计算)
    # Words of the language, neither rare nor common (a dictionary's middle frequencies:
    # 纸质, 上缴, 购物): one the documents never use names something they do not cover.
    specific_words: AbstractSet[str] = frozenset()
    # How often the language uses a word or character (a dictionary's frequencies, the
    # words of 1–4 characters it holds at least ``KNOWN_MIN_FREQ`` times), and its total:
    # the rarity of what a question asks that the documents never say (``rarity``).
    frequencies: Mapping[str, int] = field(default_factory=dict)
    frequency_total: int = 0
    # The language's names of administrative areas (a dictionary's: 济南, 上海): one the
    # documents never name is rare, however common its name, and a question naming it as
    # an area (济南市总) asks about another place's rules (``Query.places``).
    places: frozenset[str] = frozenset()
    # The language's common nouns (a dictionary's: 设备, 电影, 工资): one the documents never
    # use names a thing they do not cover, however common (its rarity at least ``noun``).
    nouns: AbstractSet[str] = frozenset()
    memo: dict[str, Any] = field(default_factory=dict)  # things derived from the passages
    _name_patterns: tuple[tuple[str, re.Pattern[str], bool], ...] = ()

    @classmethod
    def build(
        cls,
        passages: Sequence[Passage],
        synonyms: Synonyms,
        tokenizer: Tokenizer,
        *,
        contexts: Mapping[str, str] | None = None,
        names: Mapping[str, Sequence[str]] | None = None,
        dates: Mapping[str, Any] | None = None,
        params: SearchParams = DEFAULT_PARAMS,
    ) -> SearchIndex:
        """Index ``passages``. ``tokenizer`` splits a text into words (it is called on
        every passage text and heading, never at question time); ``contexts`` maps a
        document id to extra heading text (see ``document_context``), ``names`` to what
        a question may call it by (see ``document_names``), ``dates`` to its date (where
        documents disagree, the newest stands)."""
        contexts = contexts or {}
        headings = [" ".join((*p.section, contexts.get(p.doc_id, ""))) for p in passages]
        body_words = [clean_words(tokenizer(p.text)) for p in passages]
        head_words = {h: clean_words(tokenizer(h)) for h in dict.fromkeys(headings)}
        vocabulary: set[str] = set()
        for words in (*body_words, *head_words.values()):
            vocabulary.update(words)
        heads = {h: _features(h, words, vocabulary, synonyms, params)[0]
                 for h, words in head_words.items()}
        bodies = [_features(p.text, words, vocabulary, synonyms, params)
                  for p, words in zip(passages, body_words, strict=True)]

        n = len(passages)
        average = sum(length for _, length in bodies) / n if n else 1.0
        df: Counter[str] = Counter()
        for (body, _), heading in zip(bodies, headings, strict=True):
            df.update(body.keys() | heads[heading].keys())
        idf = {f: math.log(1 + (n - d + 0.5) / (d + 0.5)) for f, d in df.items()}
        lists: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        k1 = params.k1
        for index, ((body, length), heading) in enumerate(zip(bodies, headings, strict=True)):
            head = heads[heading]
            norm = k1 * (1 - params.b + params.b * length / average)
            for feature in body.keys() | head.keys():
                tf = body.get(feature, 0) + params.heading * head.get(feature, 0)
                ixs, weights = lists[feature]
                ixs.append(index)
                weights.append(idf[feature] * tf * (k1 + 1) / (tf + norm))

        headed: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for index, passage in enumerate(passages):
            if passage.section and len(key := heading_key(passage.section[-1])) >= 2:
                headed[key][0].append(index)
                headed[key][1].append(params.heading_phrase)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(vocabulary | synonyms.term_groups.keys()):
            if is_cjk(word):
                by_length[len(word)].append(word)
        prior = tuple(c * o for c, o in zip(_contents_prior(passages, params.contents),
                                            _order_prior(passages, params.later), strict=True))
        documents = tuple(dict.fromkeys(p.doc_id for p in passages))
        position = {doc: i for i, doc in enumerate(documents)}
        index = cls(
            passages=tuple(passages), synonyms=synonyms, params=params,
            postings=Postings(lists), idf=idf, vocabulary=frozenset(vocabulary),
            by_length=dict(by_length), headed=Postings(headed), documents=documents,
            document_of=tuple(position[p.doc_id] for p in passages),
            names={doc: tuple(n for name in doc_names if (n := "".join(runs(name))))
                   for doc, doc_names in (names or {}).items()},
            prior=prior, dates=dict(dates or {}),
        )
        index._name_patterns = index._compile_names()
        return index

    def _compile_names(self) -> tuple[tuple[str, re.Pattern[str], bool], ...]:
        """Patterns for the documents' names, longest first, punctuation allowed between
        characters (青工〔2018〕21号 is named by 青工201821号). A name that is not a year
        (the number) is taken out of the question: it says which document, not what."""
        pairs = sorted(((doc, name) for doc, names in self.names.items() for name in names),
                       key=lambda pair: -len(pair[1]))
        return tuple((doc, re.compile(r"[\W_]*".join(re.escape(ch) for ch in name)),
                      not _YEAR_RE.fullmatch(name)) for doc, name in pairs)

    def correction_targets(self) -> list[str]:
        """The words a question piece may be corrected to (corpus words, synonym terms)."""
        return [w for words in self.by_length.values() for w in words]

    def with_known_words(self, words: Iterable[str], specific: Iterable[str] = (), *,
                         frequencies: Mapping[str, int] | None = None,
                         places: Iterable[str] = (),
                         nouns: AbstractSet[str] = frozenset()) -> SearchIndex:
        """This index, told which words are spelled right (a dictionary's words near the
        correction targets), so that 后来 is not "corrected" to 以来, which words of
        the language are specific (``specific_words``), and how often the language uses
        its words (``frequencies``, for ``rarity``), names its places (``places``) and
        its things (``nouns``)."""
        frequencies = frequencies if frequencies is not None else {}
        return replace(self, known_words=_word_set(words), specific_words=_word_set(specific),
                       frequencies=frequencies, frequency_total=sum(frequencies.values()),
                       places=frozenset(places), nouns=nouns)

    def rarity(self, word: str) -> float:
        """How specific ``word`` is in the language, 0–1: its information log(total / f)
        between ``language_common`` (0) and ``language_rare`` (1); a word of two characters
        or more the dictionary does not hold (返聘, 补签) is rare: 1; a character it does
        not hold asks nothing on its own: 0; a place name (``places``) is rare: 1; a noun
        (``nouns``: 设备, 工资) at least ``noun``. Without frequencies, every word is rare."""
        if not self.frequency_total or word in self.places:
            return 1.0 if len(word) >= 2 else 0.0
        count = self.frequencies.get(word)
        if count is None:
            return 1.0 if len(word) >= 2 else 0.0
        p = self.params
        information = math.log(self.frequency_total / count)
        rarity = min(1.0, max(0.0, (information - p.language_common)
                              / (p.language_rare - p.language_common)))
        return max(rarity, p.noun) if word in self.nouns else rarity

    # ----------------------------------------------------------------------- questions

    def query(self, question: str) -> Query:
        """The question's features: corpus words in it, its bigrams, synonym groups, named
        headings, and corrections of the pieces the corpus does not know."""
        asked = question
        question, untranslated = self.synonyms.translated(question)
        text, named = self._without_names(fold(question))
        found = _Found()
        pieces = runs(text)
        own = len(pieces) - len(runs(question[len(asked):]))  # the term table's come last
        unknown: list[str] = list(untranslated)
        foreign: list[tuple[str, float]] = []
        common: list[str] = []
        for number, run in enumerate(pieces):
            syms = symbols(run)
            covered = self._add_words(syms, found)
            self._add_bigrams(syms, found)
            corrected = len(found.corrections)
            self._add_corrections(syms, covered, found)
            made = found.corrections[corrected:]
            fixed = {piece for piece, _ in made}
            unknown += self._unknown(syms, covered, fixed)
            sure = {piece for piece, word in made if word in self.vocabulary
                    and [p for p, _ in made].count(piece) == 1}
            strange = self._foreign(syms, covered, fixed, sure) if number < own else []
            strange += self._compounds(syms) if number < own else []
            foreign += [piece for piece in strange if piece[1] > 0]  # (not the term table's)
            common += [word for word, rarity in strange if not rarity]
            # a correction inside a word of the language is none (子版 in 电子版)
            found.fixes += [term for piece, term in found.fixed
                            if not any(piece in word for word, _ in strange)]
            found.fixed.clear()
        flat = "".join(pieces)
        for number in self.synonyms.counts(flat):
            found.add(f"s:{number}", self.params.synonym)
        for key in self._headed_keys(flat):
            found.add(f"h:{key}", 1.0)
        return Query(question, found.features, tuple(found.corrections), frozenset(named),
                     frozenset(found.guessed), tuple(dict.fromkeys(unknown)),
                     tuple(dict.fromkeys(foreign)), tuple(dict.fromkeys(found.terms)),
                     tuple(dict.fromkeys(found.fixes)),
                     tuple(dict.fromkeys(self._areas(flat))), tuple(dict.fromkeys(common)))

    def _areas(self, flat: str) -> list[str]:
        """The administrative areas ``flat`` names as such (济南市, 上海市总, 深圳区) that
        the documents never name: a place name (``places``) before 市, 省, 县 or 区, or one
        that is a place name with it (烟台市: the dictionary tags 烟台市, not 烟台), or a
        district whose body the question names (市北区总工会, 黄岛区工会: the dictionary
        knows few districts)."""
        return [name for match in _AREA_RE.finditer(flat)
                for size in (2, 3, 4) if size <= match.start()
                and ((name := flat[match.start() - size:match.start()]) in self.places
                     or name + match.group() in self.places
                     or (size == 2 and _BODY_RE.match(flat, match.end()) is not None
                         and match.group() in "区县" and not _AREA_WORD_RE.search(name)
                         and not self._in_corpus(name + match.group())))
                and not self._in_corpus(name)]

    def _foreign(self, syms: Sequence[str], covered: Sequence[bool], corrected: set[str],
                 sure: set[str]) -> list[tuple[str, float]]:
        """The stretches of the run no corpus word, synonym or question word covers, cut
        into the language's words (longest first, from the left), each with its
        ``rarity``; in a stretch a correction explains (补主 → 补助), only the language's
        own words of two characters or more, and none inside a piece ``sure`` (corrected
        to one word of the documents: 财物 in 财物部 → 财务部; 电子版 is no typo of 子女);
        pieces the documents hold all the same (every character pair of theirs) are left
        out: a passage may say them; so are single characters that ask nothing (rarity 0)."""
        out: list[tuple[str, float]] = []
        span = ""
        for sym, known in zip([*syms, ""], [*covered, True], strict=True):
            if not known and is_cjk(sym):
                span += sym
                continue
            typo = any(piece in span for piece in corrected)
            out += [(word, rarity) for word in self._cut(span)
                    if not (len(word) >= 2 and self._in_corpus(word))
                    and not (typo and (len(word) < 2 or word not in self.frequencies
                                       or any(word in piece for piece in sure)))
                    and ((rarity := self.rarity(word)) > 0 or len(word) >= 2)]
            span = ""
        return out

    def _compounds(self, syms: Sequence[str]) -> list[tuple[str, float]]:
        """The language's words of three or four characters in the run that the documents
        never write although they write their parts (劳动模范: 劳动, 模范; 职业资格), each
        with its ``rarity``: a thing of its own the documents do not name."""
        if not self.frequency_total:
            return []
        out = []
        for start in range(len(syms)):
            for size in (4, 3):
                word = "".join(syms[start:start + size])
                if len(word) == size and is_cjk(word) and word in self.frequencies \
                        and word not in self.synonyms.term_groups \
                        and not any(f in word for f in self.synonyms.fillers) \
                        and not self._in_corpus(word) and not any(
                            word in longer for longer, _ in out):
                    out.append((word, self.rarity(word)))
        return out

    def _cut(self, span: str) -> list[str]:
        """``span`` cut into the dictionary's words, the longest first, from the left and
        from the right, whichever cut has fewer pieces, then fewer single characters (from
        the right on a tie: 要开发票 → 要, 开, 发票); two characters the dictionary does not
        know, side by side, are one rare word."""
        forward, backward = self._cut_from(span, 1), self._cut_from(span[::-1], -1)[::-1]
        return min((backward, forward),
                   key=lambda cut: (len(cut), sum(len(word) == 1 for word in cut),
                                    -self._likelihood(cut)))

    def _likelihood(self, cut: Sequence[str]) -> float:
        """How likely the language makes a cut: the sum of its words' log frequencies (a
        word the dictionary does not hold: once), so that of two cuts alike in pieces the
        one of the more common words stands (网站 上 填报, not 网 站上 填报)."""
        return sum(math.log(self.frequencies.get(word) or 1) for word in cut)

    def _cut_from(self, span: str, direction: int) -> list[str]:
        """``_cut`` one way: ``span`` read from its start (``direction`` -1: ``span`` is
        reversed, its words are read backwards and given the right way round)."""
        words, start = [], 0
        while start < len(span):
            end = next((end for end in range(min(len(span), start + 4), start + 1, -1)
                        if span[start:end][::direction] in self.frequencies), start + 1)
            if end == start + 1 and start + 2 <= len(span) \
                    and span[start] not in self.frequencies \
                    and span[start + 1] not in self.frequencies:
                end = start + 2  # two characters the dictionary does not know: one rare word
            words.append(span[start:end][::direction])
            start = end
        return words

    def _unknown(self, syms: Sequence[str], covered: Sequence[bool], corrected: set[str]
                 ) -> list[str]:
        """The specific words (``specific_words``) in the stretches of the run no corpus
        word, synonym or question word covers, and no correction explains."""
        if not self.specific_words:
            return []
        out, span = [], ""
        for sym, known in zip([*syms, ""], [*covered, True], strict=True):
            if not known and is_cjk(sym):
                span += sym
                continue
            if len(span) >= 2 and not any(piece in span for piece in corrected):
                out += [word for i in range(len(span))
                        for j in range(i + 2, min(len(span), i + 4) + 1)
                        if (word := span[i:j]) in self.specific_words
                        and not self._in_corpus(word)]
            span = ""
        return out

    def _without_names(self, text: str) -> tuple[str, set[str]]:
        """The documents a question names; a number (青工〔2018〕21号) is taken out of it,
        as it says which document, not what in it; a year (18年) stays."""
        named: set[str] = set()
        for doc, pattern, says_which in self._name_patterns:
            if says_which:
                text, count = pattern.subn(" ", text)
            else:
                count = len(pattern.findall(text))
            if count:
                named.add(doc)
        return text, named

    def _add_words(self, syms: Sequence[str], found: _Found) -> list[bool]:
        """Corpus words in the run (a word inside a longer one found counts less); returns
        which symbols are covered by a corpus word, a synonym term or a question word."""
        p = self.params
        covered = [False] * len(syms)
        words: list[tuple[int, int, str]] = []
        spans: list[tuple[int, int, str]] = []  # words, synonym terms and question words
        for start in range(len(syms)):
            for end in range(start + 1, min(len(syms), start + p.max_word) + 1):
                piece = "".join(syms[start:end])
                if piece in self.vocabulary and (end - start > 1 or piece.isascii()):
                    words.append((start, end, piece))
                    spans.append((start, end, piece))
                    covered[start:end] = [True] * (end - start)
                elif piece in self.synonyms.term_groups or piece in self.synonyms.fillers:
                    spans.append((start, end, piece))
                    covered[start:end] = [True] * (end - start)
        for start, end, piece in words:
            inside = any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in words)
            weak = p.weak if piece in self.synonyms.weak else 1.0
            found.add(f"w:{piece}", p.word * weak * (p.subword if inside else 1.0))
        for start, end, piece in spans:
            if piece in self.synonyms.fillers or any(
                    s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans):
                continue
            groups = self.synonyms.term_groups.get(piece, ())
            found.terms.append((piece, (f"w:{piece}", *(f"s:{n}" for n in groups)),
                                p.weak if piece in self.synonyms.weak else 1.0))
        return covered

    def _in_corpus(self, word: str) -> bool:
        """Whether the documents say ``word`` (a word of theirs, or inside one: 莱西 in
        莱西市): every bigram of it is theirs."""
        return word in self.vocabulary or all(
            f"b:{word[i:i + 2]}" in self.idf for i in range(len(word) - 1))

    def _add_bigrams(self, syms: Sequence[str], found: _Found) -> None:
        fillers, weak = self.synonyms.fillers, self.synonyms.weak
        for first, second in zip(syms, syms[1:], strict=False):
            if first not in fillers and second not in fillers:
                pair = first + second
                found.add(f"b:{pair}",
                          self.params.bigram * (self.params.weak if pair in weak else 1.0))

    def _add_corrections(self, syms: Sequence[str], covered: Sequence[bool],
                         found: _Found) -> None:
        """Pieces no corpus word covers, unknown to the corpus and to the dictionary,
        corrected to the corpus words (and synonym terms) one character away; a word of the
        dictionary only where its neighbours confirm the one correction (``_in_context``:
        媒体报到 → 媒体报道)."""
        p = self.params
        for length in p.fuzzy_lengths:
            for start in range(len(syms) - length + 1):
                if any(covered[start : start + length]):
                    continue
                piece = "".join(syms[start : start + length])
                if not is_cjk(piece) or f"b:{piece}" in self.idf:
                    continue
                candidates = self._in_context(syms, start, length) \
                    if piece in self.known_words else self._corrections(piece)
                for fixed, share in candidates:
                    weight, guess = p.fuzzy * share, len(candidates) > 1
                    groups = self.synonyms.term_groups.get(fixed, ())
                    if fixed in self.vocabulary:
                        found.add(f"w:{fixed}", weight * p.word, guess=guess)
                    for number in groups:
                        found.add(f"s:{number}", weight * p.synonym, guess=guess)
                    found.corrections.append((piece, fixed))
                    if not guess:  # a sure correction names the word it corrects to
                        found.fixed.append((piece, (fixed, (
                            f"w:{fixed}", *(f"s:{n}" for n in groups)))))

    def _in_context(self, syms: Sequence[str], start: int, length: int
                    ) -> list[tuple[str, float]]:
        """The correction of a word of the language (a typo that is a word too: 报到 for
        报道, typed by sound) the documents confirm: the one word of theirs one character
        away that, with the two characters before or after it in the question, is in their
        text or headings, where the word typed is not (媒体报道); else none."""
        piece = "".join(syms[start : start + length])
        sides = ["".join(syms[max(0, start - 2):start]),
                 "".join(syms[start + length:start + length + 2])]
        left, right = (side if len(side) == 2 and is_cjk(side) else "" for side in sides)
        confirmed = [(word, 1.0) for word in self._near(piece)
                     if (left and self._says(left + word) and not self._says(left + piece))
                     or (right and self._says(word + right) and not self._says(piece + right))]
        return confirmed if len(confirmed) == 1 else []

    def _says(self, phrase: str) -> bool:
        """Whether a passage's text or headings hold ``phrase`` (CJK): looked for only in
        the passages holding its rarest character pair."""
        pairs = [f"b:{phrase[i:i + 2]}" for i in range(len(phrase) - 1)]
        if not pairs or any(pair not in self.postings for pair in pairs):
            return False
        texts = self.memo.get("said")
        if texts is None:
            texts = self.memo["said"] = ["".join(runs(" ".join((*p.section, p.text))))
                                         for p in self.passages]
        postings = self.postings
        rarest = min(pairs, key=lambda pair: len(postings.stretch(pair)))
        return any(phrase in texts[postings.passages[at]] for at in postings.stretch(rarest))

    def _corrections(self, piece: str) -> list[tuple[str, float]]:
        """Corpus words one edit away from ``piece`` (rapidfuzz), sharing the weight."""
        found = self._near(piece)
        if not found or len(found) > self.params.fuzzy_choices:
            return []
        return [(word, 1.0 / len(found)) for word in found]

    def _near(self, piece: str) -> list[str]:
        """Every corpus word (and synonym term) one character away from ``piece``."""
        choices = self.by_length.get(len(piece), [])
        if not choices:
            return []
        return [word for word, _, _ in process.extract(
            piece, choices, scorer=Levenshtein.distance, score_cutoff=1, limit=None)]

    def _headed_keys(self, flat: str) -> list[str]:
        """Headings the question names: whole, or (four characters or more) nearly."""
        named = [key for key in self.headed if key in flat]
        long = self.memo.get("long_headings")
        if long is None:
            long = self.memo["long_headings"] = [k for k in self.headed if len(k) >= 4]
        named += [key for key, _, _ in process.extract(
            flat, long, scorer=fuzz.partial_ratio, limit=None,
            score_cutoff=self.params.heading_similarity) if key not in named]
        return named

    # ----------------------------------------------------------------------- scoring

    def _posting_of(self, feature: str) -> tuple[Postings, str]:
        """The postings ``feature`` is in (a named heading's, or the features'), and its
        key there."""
        if feature.startswith("h:"):
            return self.headed, feature[2:]
        return self.postings, feature

    def scores(self, query: Query) -> list[float]:
        """Every passage's score for ``query`` (``results`` works them out only as far as
        it needs, to the same figures)."""
        scores = [0.0] * len(self.passages)
        for feature, weight in query.features.items():
            postings, key = self._posting_of(feature)
            where = postings.stretch(key)
            for index, found in zip(postings.passages[where.start:where.stop],
                                    postings.weights[where.start:where.stop], strict=True):
                scores[index] += weight * found
        scores = [score * prior for score, prior in zip(scores, self.prior, strict=True)]
        outside = self._outside(query)
        return scores if outside is None else [
            score * outside[document] for score, document in zip(scores, self.document_of,
                                                                 strict=True)]

    def _outside(self, query: Query) -> list[float] | None:
        """Each document's score factor (by its position): ``other_document`` outside the
        documents the question names, else 1; None when it names none, or all."""
        named = [doc in query.documents for doc in self.documents]
        if not any(named) or all(named):
            return None
        return [1.0 if held else self.params.other_document for held in named]

    def search(self, question: str, k: int = 3) -> list[Hit]:
        return list(self.results(question, k).hits)

    def results(self, question: str, k: int = 3) -> Results:
        query = self.query(question)
        scores = _Scores(self, query)
        ranked = scores.top(k)
        if not ranked:
            return Results(query, (), 0.0, 0.0)
        replaces = None
        shown = {i: scores.exact(i) for i in ranked}
        newer = self._newer_counterpart(query, ranked[0], scores)
        if newer is not None:
            old = ranked[0]
            ranked = [newer, *[i for i in ranked if i != newer]][:k]
            if fold("".join(runs(self.passages[old].text))) \
                    != fold("".join(runs(self.passages[newer].text))):
                replaces = self.passages[old]
            shown[newer] = max(scores.exact(newer), shown[old])
        hits = tuple(Hit(self.passages[i], float(shown[i])) for i in ranked)
        matched, total = self._matched(query, int(ranked[0]))
        return Results(query, hits, matched / total if total else 0.0, matched, replaces,
                       self.coverage(query, int(ranked[0])))

    def _newer_counterpart(self, query: Query, best: int, scores: _Scores) -> int | None:
        """The passage of a newer document that says what passage ``best`` says, as it
        stands now (the 2021 list's 法律工作部部长 for the 2018 one; a 补充通知's 一式五份
        for an earlier 一式三份), or None: also when the question names the older
        document (18年) or something only the older passage holds (梁海泉)."""
        p = self.params
        date = self.dates.get(self.passages[best].doc_id)
        if date is None or self.passages[best].doc_id in query.documents:
            return None
        order = self.memo.get("date_order")
        if order is None:  # each passage's document, by date: later documents rank higher
            ranks = {doc: rank for rank, doc in enumerate(sorted(
                self.dates, key=lambda doc: self.dates[doc]))}
            by_document = [ranks.get(doc, -1) for doc in self.documents]
            order = self.memo["date_order"] = [by_document[d] for d in self.document_of]
        best_score = scores.exact(best)
        # the question's best newer passages only
        candidates = scores.best_above(p.newer_floor * best_score, p.newer_candidates,
                                       order, order[best])
        if not candidates:
            return None
        texts = self.memo.get("flat")
        if texts is None:
            texts = self.memo["flat"] = ["".join(runs(passage.text)) for passage in self.passages]
        alike = []
        for i in candidates:
            similarity = fuzz.ratio(texts[best], texts[i], score_cutoff=p.newer_related)
            if similarity and (similarity >= p.newer_alike
                               or scores.exact(i) >= p.newer_share * best_score):
                alike.append((similarity, i))
        if alike:
            held = self._matched(query, best)[0]
            alike = [(similarity, i) for similarity, i in alike
                     if self._matched(query, i)[0] >= held - 1e-9]
        if not alike:
            return None
        # the newest document's, then the most alike
        return max(alike, key=lambda pair: (self.dates[self.passages[pair[1]].doc_id],
                                            pair[0]))[1]

    def score_of(self, query: Query, passage: Passage) -> float:
        """The score ``passage`` has for ``query`` (0 when it is not in the index)."""
        index = self._position(passage)
        if index is None:
            return 0.0
        score = self.prior[index] * sum(
            weight * postings.weight(key, index)
            for postings, key, weight in ((*self._posting_of(feature), weight)
                                          for feature, weight in query.features.items()))
        outside = self._outside(query)
        return score if outside is None else score * outside[self.document_of[index]]

    def _matched(self, query: Query, index: int) -> tuple[float, float]:
        """The question's weight (feature weight × idf) found in passage ``index``, and its
        whole weight, where features unknown to the corpus count as rare. Uncertain
        corrections and named headings are left out: they are not what the question says;
        so are English words the corpus does not know (the term table has given the
        Chinese terms of those that matter), except the question's English words that are
        neither translated nor frame words (``Synonyms.untranslated``), which count as the
        rarest and unmatched: what it asks about that the documents never say."""
        total = matched = 0.0
        max_idf = self.memo.get("max_idf")
        if max_idf is None:
            max_idf = self.memo["max_idf"] = max(self.idf.values(), default=1.0)
        for feature, weight in query.features.items():
            if feature.startswith("h:") or feature in query.guessed:
                continue
            idf = self.idf.get(feature)
            if idf is None and _LETTERS_RE.fullmatch(feature[2:]):
                continue
            total += weight * (idf if idf is not None else max_idf)
            if idf is not None and self.postings.weight(feature, index):
                matched += weight * idf
        english = [w for w in query.unknown if w.isascii() and f"w:{w}" not in self.idf]
        total += len(english) * (self.params.word + 2 * self.params.bigram) * max_idf
        return matched, total

    def coverage(self, query: Query, index: int) -> float:
        """How much of what ``query`` specifically asks passage ``index`` holds, 0–1: each
        of its terms (``Query.terms``: the documents' words and synonyms it names, each
        once) weighted by how rare it is in the documents (idf) and held when the passage
        has it or a synonym of it; each piece the documents do not know (``Query.foreign``)
        weighted by its rarity in the language (the rarest: as much as the documents'
        rarest word, times ``foreign``) and never held; so is each English word neither
        translated nor a frame word. A word of theirs the language uses everywhere (要求,
        工作) counts ``generic`` of its idf; a number (69.9, 21年) is a value the question
        gives, not what it asks; a sure correction's word (补主 → 补助) counts when the
        passage confirms it. 拨付 in 项目补助能分期拨付吗 weighs as much as the documents'
        rarest word: no passage on 补助 covers that question."""
        held, total = self.held(query, index)
        return held / total if total else 0.0

    def held_in(self, query: Query, passage: Passage, least: float = 0.0, *,
                fixes: bool = False) -> tuple[float, float]:
        """``held`` for a passage (nothing of nothing when it is not in the index)."""
        index = self._position(passage)
        return (0.0, 0.0) if index is None else self.held(query, index, least, fixes=fixes)

    def _position(self, passage: Passage) -> int | None:
        """Where ``passage`` is in the index, or None."""
        positions = self.memo.get("positions")
        if positions is None:
            positions = self.memo["positions"] = {p.id: i for i, p in enumerate(self.passages)}
        index = positions.get(passage.id)
        return None if index is None or self.passages[index] != passage else index

    def held(self, query: Query, index: int, least: float = 0.0, *, fixes: bool = False
             ) -> tuple[float, float]:
        """What ``coverage`` weighs: the weight of the question's terms passage ``index``
        holds, and the whole weight of its terms and foreign pieces; with ``least``, each
        word the documents do not use weighs at least that rarity (``Query.common`` too)."""
        max_idf = self.memo.get("max_idf")
        if max_idf is None:
            max_idf = self.memo["max_idf"] = max(self.idf.values(), default=1.0)
        total = held = 0.0
        terms = [(*term, True) for term in query.terms] \
            + [(word, features, self.params.fuzzy, fixes) for word, features in query.fixes]
        for term, features, factor, sure in terms:
            weight = self._term_weight(term, features, factor)
            if not weight:
                continue
            if any(self.postings.weight(f, index) for f in features if f in self.idf):
                held += weight
                total += weight
            elif sure:
                total += weight
        raised = sum(max(0.0, least - rarity) for _, rarity in query.foreign) \
            + least * len(query.common)
        total += (self.foreign_mass(query) + raised) * self.params.foreign * max_idf
        return held, total

    def _term_weight(self, term: str, features: Sequence[str], factor: float) -> float:
        """What a term of a question weighs in ``held`` (0 for a number or an unknown one)."""
        idfs = [self.idf[f] for f in features if f in self.idf]
        if not idfs or term.isdigit():
            return 0.0
        return factor * max(idfs) * max(self.params.generic, self.rarity(term))

    def chief_term(self, query: Query, passage: Passage) -> tuple[str, ...]:
        """How the passage may spell the most specific of the question's terms it holds
        (weighed as ``held`` weighs them): the term and the terms of its synonym groups
        (配套资金: 经费配套支持标准, 配套 …); () when it holds none."""
        index = self._position(passage)
        best, spellings = 0.0, ()
        for term, features, factor in query.terms if index is not None else ():
            weight = self._term_weight(term, features, factor)
            if weight > best and any(self.postings.weight(f, index)
                                     for f in features if f in self.idf):
                groups = [int(f[2:]) for f in features if f.startswith("s:")]
                best, spellings = weight, (term, *(
                    t for number in groups for t in self.synonyms.groups[number].terms))
        return spellings

    def unknown_things(self, query: Query) -> tuple[str, ...]:
        """The words of ``query.unknown`` that name a thing the documents never mention:
        an English word, a noun of the language (发票, 热线) or a word the dictionary does
        not hold; not a verb or a manner of speaking (打交道, 干活, 建起), which asks about
        nothing the documents would have to name; not a piece of a longer such word (交道
        in 打交道). Without a dictionary, every unknown word."""
        words = query.unknown
        folded = fold(query.text)
        codes = tuple(code for code in dict.fromkeys(_CODE_RE.findall(folded)
                                                     + _NAMED_YEAR_RE.findall(folded))
                      if code not in self._codes() and code not in words)
        if not self.frequency_total:
            return words + codes
        return tuple(w for w in words if not any(w != other and w in other for other in words)
                     and (w.isascii() or w in self.nouns or self.frequencies.get(w) is None)
                     ) + codes

    def _codes(self) -> frozenset[str]:
        """The codes of letters and digits the documents write (3a, 5g: none here) and the
        years they name (2018年, 2020年: a year they never name is no year of theirs), read
        once."""
        codes = self.memo.get("codes")
        if codes is None:
            codes = self.memo["codes"] = frozenset(
                code for p in self.passages for text in (fold(p.text),)
                for code in _CODE_RE.findall(text) + _NAMED_YEAR_RE.findall(text))
        return codes

    def foreign_mass(self, query: Query) -> float:
        """How much of what ``query`` asks the documents do not know, in rare words: the
        sum of its foreign pieces' rarities, and one for each English word neither
        translated nor a frame word."""
        english = [w for w in query.unknown if w.isascii() and f"w:{w}" not in self.idf]
        return sum(rarity for _, rarity in query.foreign) + self.params.english * len(english)

    def closest(self, question: str, hits: Sequence[Hit], k: int = 3) -> tuple[Hit, ...]:
        """``hits`` made up to ``k`` with the passages most alike in characters (rapidfuzz),
        for the "not found" answer, which shows the closest passages even so."""
        if len(hits) >= k or not self.passages:
            return tuple(hits[:k])
        taken = {h.passage.id for h in hits}
        texts = self.memo.get("folded")
        if texts is None:
            texts = self.memo["folded"] = [fold(p.text) for p in self.passages]
        extra = process.extract(fold(question), texts, scorer=fuzz.partial_ratio,
                                limit=k + len(taken))
        more = [Hit(self.passages[i], 0.0) for _, _, i in extra
                if self.passages[i].id not in taken]
        return (*hits, *more)[:k]


# Bounds of scores are compared with this margin: a sum in another order may differ in its
# last bits.
_ROUNDING = 1e-9


class _Scores:
    """A question's passage scores, worked out only as far as its results need them.

    A feature adds to a passage's score at most its question weight times its heaviest
    weight (``Postings.ceilings``). The features that can add most are read first, into
    lower bounds of the passages' scores, until what the unread ones can add at most (the
    slack) is at most ``SLACK`` of the score a result needs (the bar: the k-th best lower
    bound); then only the passages whose bound and slack reach the bar are scored exactly,
    feature by feature in the question's order: the very sum ``SearchIndex.scores`` makes
    for every passage. At 10,000 passages a question's features reach up to 280,000
    postings, most of them of words every passage of a document has in its title; this
    reads a few thousand (tests/bench/search.py)."""

    SLACK = 0.2

    def __init__(self, index: SearchIndex, query: Query) -> None:
        self.prior, self.document_of = index.prior, index.document_of
        self.outside = index._outside(query)
        self.terms: list[tuple[Postings, range, float]] = []
        self.ceilings: list[float] = []
        for feature, weight in query.features.items():
            postings, key = index._posting_of(feature)
            self.terms.append((postings, postings.stretch(key), weight))
            self.ceilings.append(weight * postings.ceiling(key))
        self.unread = sorted(range(len(self.terms)), key=self.ceilings.__getitem__)
        # what multiplies each passage's sum (its prior, and ``outside``), and the most
        if self.outside is None:
            self.factors: Sequence[float] = index.prior
            self.scale = index.memo.get("prior_most")
            if self.scale is None:
                self.scale = index.memo["prior_most"] = max(index.prior, default=1.0)
        else:
            self.factors = list(map(mul, index.prior,
                                    map(self.outside.__getitem__, index.document_of)))
            self.scale = max(self.factors, default=1.0)
        self.most = 0.0  # the highest bound
        self.bounds = [0.0] * len(index.passages)  # what the features read add, multiplied
        self.reached: set[int] = set()  # the passages they add to
        self.known: dict[int, float] = {}

    def exact(self, index: int) -> float:
        """Passage ``index``'s score."""
        score = self.known.get(index)
        if score is None:
            score = 0.0
            for postings, where, weight in self.terms:
                if found := postings.weight_in(where, index):
                    score += weight * found
            score = score * self.prior[index]
            if self.outside is not None:
                score = score * self.outside[self.document_of[index]]
            self.known[index] = score
        return score

    def top(self, k: int) -> list[int]:
        """The ``k`` best passages (of positive score), ties in passage order."""
        if k <= 0:
            return []
        bar = self._read(lambda: self._bar(k, self.reached))
        return self._best(k, self._reaching(bar, self.reached))

    def best_above(self, floor: float, count: int, ranks: Sequence[int], rank: int
                   ) -> list[int]:
        """Of the passages ranked above ``rank`` (``ranks``) that score ``floor`` or more,
        the ``count`` best (ties in passage order), in passage order."""
        def among() -> list[int]:
            return [i for i in self.reached if ranks[i] > rank]

        bar = self._read(lambda: max(floor, self._bar(count, among())))
        return sorted(self._best(count, self._reaching(bar, among()), floor))

    def _slack(self) -> float:
        """What the unread features add to a score at most."""
        return sum(self.ceilings[term] for term in self.unread) * self.scale

    def _bar(self, count: int, passages: Iterable[int]) -> float:
        """The ``count``-th best bound of ``passages``, or 0."""
        bounds = heapq.nlargest(count, map(self.bounds.__getitem__, passages))
        return bounds[-1] if len(bounds) == count else 0.0

    def _read(self, bar: Callable[[], float]) -> float:
        """Read the features that can add most until the slack is at most ``SLACK`` of
        the bar (``bar()`` of the bounds read); the bar. A passage no feature read reaches
        then scores under it."""
        while self.unread:
            slack = self._slack()
            # the bar is at most the highest bound: read on while it is surely too low
            if slack <= self.SLACK * self.most and slack <= self.SLACK * (need := bar()):
                return need
            term = self.unread.pop()
            postings, where, weight = self.terms[term]
            passages = postings.passages[where.start:where.stop]
            bounds, factors = self.bounds, self.factors
            for index, found in zip(passages, postings.weights[where.start:where.stop],
                                    strict=True):
                bounds[index] += weight * found * factors[index]
            self.reached.update(passages)
            self.most = max(self.most, max(map(bounds.__getitem__, passages), default=0.0))
        return bar()

    def _reaching(self, bar: float, passages: Iterable[int]) -> list[int]:
        """Those of ``passages`` the bar does not rule out."""
        least, bounds = bar * (1 - _ROUNDING) - self._slack(), self.bounds
        return [i for i in passages if bounds[i] >= least]

    def _best(self, count: int, passages: Iterable[int], floor: float = 0.0) -> list[int]:
        """The ``count`` best of ``passages`` scoring ``floor`` or more, ties in passage
        order: scored exactly from the highest bound down, until a bound with the slack
        is under the ``count``-th best score."""
        slack, bounds = self._slack(), self.bounds
        best: list[tuple[float, int]] = []  # (-score, passage), the best first
        for i in sorted(passages, key=lambda i: -bounds[i]):
            if len(best) == count and bounds[i] + slack < -best[-1][0] * (1 - _ROUNDING):
                break
            if (score := self.exact(i)) >= floor:
                insort(best, (-score, i))
                del best[count:]
        return [i for _, i in best]
