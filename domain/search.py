"""Policy search: find the passage that answers a question typed on a phone.

Pure code over passages. A passage is indexed by three kinds of features:

- ``w:`` words — the tokenizer's words (jieba search mode, given by the caller) of the
  passage; a question is matched against that vocabulary (every piece of the question
  that is a corpus word), so no tokenizer is needed at question time;
- ``b:`` bigrams of symbols (a CJK character, or a run of ASCII letters/digits) —
  robust to words the tokenizer splits differently;
- ``s:`` synonym groups (data/synonyms.toml) — a group is present when any of its
  terms or patterns occurs, so 社组织 / NGO find 社会组织, 门头牌子 finds 招牌, 奖金
  finds 补助, 哪天 finds a date.

The section path and the document's title, number and year are a second, lightly
weighted field (BM25F). Pieces of a question that the corpus does not know are
corrected with rapidfuzz against the corpus vocabulary (one wrong character: 补主 →
补助, 测平 → 测评) and count at a discount.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from domain.corpus import Passage, PolicyDocument

Tokenizer = Callable[[str], Sequence[str]]

_RUN_RE = re.compile(r"[^\W_]+")
_SYMBOL_RE = re.compile(r"[a-z0-9]+|[^a-z0-9]")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


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


def bigrams(text: str) -> list[str]:
    out = []
    for run in runs(text):
        syms = symbols(run)
        out.extend(syms[i] + syms[i + 1] for i in range(len(syms) - 1))
    return out


def clean_words(tokens: Iterable[str]) -> list[str]:
    """Tokenizer output reduced to words worth indexing: two characters or more, or ASCII."""
    words = []
    for token in tokens:
        for run in runs(token):
            if len(run) >= 2 or run.isascii():
                words.append(run)
    return words


# --------------------------------------------------------------------------- vocabulary data


@dataclass(frozen=True, slots=True)
class SynonymGroup:
    """Terms that mean the same thing in a question (the first is the documents' word);
    ``patterns`` are regular expressions that count as a term (a date, a phone number)."""

    terms: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...] = ()

    def occurs_in(self, flat: str) -> int:
        """How often the group occurs in ``flat`` (folded text without punctuation)."""
        return sum(flat.count(t) for t in self.terms) + sum(
            len(p.findall(flat)) for p in self.patterns)


@dataclass(frozen=True, slots=True)
class Synonyms:
    groups: tuple[SynonymGroup, ...] = ()
    fillers: frozenset[str] = frozenset()  # question words never corrected (多少, 怎么, 吗)


def synonyms_from_dict(data: Mapping[str, Any]) -> Synonyms:
    """data/synonyms.toml: ``[[group]] terms = [...] patterns = [...]`` and
    ``[question] fillers = [...]``."""
    groups = []
    for entry in data.get("group", []):
        terms = tuple(dict.fromkeys(t for raw in entry.get("terms", [])
                                    if (t := "".join(runs(raw)))))
        patterns = tuple(re.compile(p) for p in entry.get("patterns", []))
        if len(terms) + len(patterns) < 2:
            raise ValueError(f"a synonym group needs two terms or more: {entry!r}")
        groups.append(SynonymGroup(terms, patterns))
    fillers = frozenset(t for raw in data.get("question", {}).get("fillers", [])
                        if (t := "".join(runs(raw))))
    return Synonyms(tuple(groups), fillers)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Weights, chosen by measurement on tests/qa/questions.toml (see tests/qa_report.py)."""

    k1: float = 1.2
    b: float = 0.5
    word: float = 1.0  # weight of a word feature
    bigram: float = 0.5  # weight of a bigram feature
    synonym: float = 1.0  # weight of a synonym-group feature
    subword: float = 0.5  # a word inside a longer word (组长 in 副组长) counts this much
    heading: float = 0.6  # a feature in the section path counts this much of one in the text
    fuzzy: float = 0.6  # a corrected piece counts this much of the word it was corrected to
    fuzzy_lengths: tuple[int, ...] = (2, 3, 4)  # lengths of the pieces that are corrected
    fuzzy_choices: int = 4  # a piece with more candidate corrections than this is left alone
    max_word: int = 8  # longest corpus word looked for in a question
    heading_phrase: float = 3.0  # bonus when a question names a passage's own heading
    heading_similarity: float = 85.0  # rapidfuzz partial_ratio for a named heading
    other_document: float = 0.6  # score factor for a document other than the one named
    min_confidence: float = 0.0  # below this the answer is "not found" (see answers.py)


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


@dataclass(frozen=True, slots=True)
class Results:
    query: Query
    hits: tuple[Hit, ...]
    confidence: float  # share of the question's weight the best passage matches, 0–1


def near_misses(words: Iterable[str], targets: Iterable[str]) -> list[str]:
    """Those of ``words`` one substituted character away from a target and not targets
    themselves: the dictionary words a typo check must leave alone."""
    targets = set(targets)
    keys = {(len(t), i, t[:i] + t[i + 1 :]) for t in targets for i in range(len(t))}
    return sorted(w for w in words if w not in targets and any(
        (len(w), i, w[:i] + w[i + 1 :]) in keys for i in range(len(w))))


def document_context(document: PolicyDocument) -> str:
    """Text about a document that every passage of it shares: its title."""
    return document.title


def document_names(document: PolicyDocument) -> tuple[str, ...]:
    """What a question may call a document by: its number and year (2018年, 18年)."""
    year = document.date.year
    names = [f"{year}年", f"{year % 100:02d}年"]
    if number := "".join(runs(document.number)):
        names.append(number)
    return tuple(names)


_ENUMERATOR_RE = re.compile(
    r"^(?:附件\s*[0-9一二三四五六七八九十]+|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十]+[）)]|第\S{1,4}[编章节条])\s*")


def heading_key(heading: str) -> str:
    """A heading without its number (附件2, 三、, （一）), folded, punctuation removed."""
    return "".join(runs(_ENUMERATOR_RE.sub("", heading.strip())))


# --------------------------------------------------------------------------- index


def _subwords(word: str, vocabulary: set[str] | frozenset[str]) -> list[str]:
    """The corpus words inside a longer word (社会组织 → 社会, 组织), as search mode finds."""
    if len(word) < 3 or not is_cjk(word):
        return []
    return [part for size in range(2, len(word)) for i in range(len(word) - size + 1)
            if (part := word[i : i + size]) in vocabulary]


def _features(text: str, words: Sequence[str], vocabulary: set[str],
              groups: Sequence[SynonymGroup], params: SearchParams) -> Counter[str]:
    out: Counter[str] = Counter()
    for word in words:
        out[f"w:{word}"] += 1
        for part in _subwords(word, vocabulary):
            out[f"w:{part}"] += params.subword
    out.update(f"b:{g}" for g in bigrams(text))
    flat = "".join(runs(text))
    for number, group in enumerate(groups):
        if hits := group.occurs_in(flat):
            out[f"s:{number}"] += hits
    return out


@dataclass(slots=True)
class SearchIndex:
    passages: tuple[Passage, ...]
    synonyms: Synonyms
    params: SearchParams
    postings: dict[str, dict[int, float]]  # feature → {passage index: BM25F weight}
    idf: dict[str, float]
    vocabulary: frozenset[str]  # corpus words, folded
    by_length: dict[int, list[str]] = field(default_factory=dict)  # CJK words, for corrections
    max_idf: float = 1.0
    known_words: frozenset[str] = frozenset()  # spelled right: never corrected (后来, 计算)
    _terms: frozenset[str] = frozenset()  # every synonym term
    _term_groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _headed: dict[str, dict[int, float]] = field(default_factory=dict)  # heading → passages
    _names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # document → names
    _name_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()

    def _compile_names(self) -> SearchIndex:
        """Patterns for the documents' names, longest first, punctuation allowed between
        characters (青工〔2018〕21号 is named by 青工201821号)."""
        pairs = sorted(((doc, name) for doc, names in self._names.items() for name in names),
                       key=lambda pair: -len(pair[1]))
        self._name_patterns = tuple(
            (doc, re.compile(r"[\W_]*".join(re.escape(ch) for ch in name))) for doc, name in pairs)
        return self

    @classmethod
    def build(
        cls,
        passages: Sequence[Passage],
        synonyms: Synonyms,
        tokenizer: Tokenizer,
        *,
        contexts: Mapping[str, str] | None = None,
        names: Mapping[str, Sequence[str]] | None = None,
        params: SearchParams = DEFAULT_PARAMS,
    ) -> SearchIndex:
        """Index ``passages``. ``tokenizer`` splits a text into words (it is called on
        every passage text and heading, never at question time); ``contexts`` maps a
        document id to extra heading text (see ``document_context``), ``names`` to what
        a question may call it by (see ``document_names``)."""
        groups = synonyms.groups
        contexts = contexts or {}
        bodies: list[Counter[str]] = []
        heads: list[Counter[str]] = []
        lengths: list[int] = []
        vocabulary: set[str] = set()
        heading_cache: dict[str, Counter[str]] = {}
        headings = [" ".join((*p.section, contexts.get(p.doc_id, ""))) for p in passages]
        body_words = [clean_words(tokenizer(p.text)) for p in passages]
        head_words = {h: clean_words(tokenizer(h)) for h in dict.fromkeys(headings)}
        for words in (*body_words, *head_words.values()):
            vocabulary.update(words)
        for passage, heading, words in zip(passages, headings, body_words, strict=True):
            bodies.append(_features(passage.text, words, vocabulary, groups, params))
            lengths.append(max(1, len("".join(runs(passage.text)))))
            if heading not in heading_cache:
                heading_cache[heading] = _features(heading, head_words[heading], vocabulary,
                                                   groups, params)
            heads.append(heading_cache[heading])

        n = len(passages)
        average = sum(lengths) / n if n else 1.0
        df: Counter[str] = Counter()
        for body, head in zip(bodies, heads, strict=True):
            df.update(body.keys() | head.keys())
        idf = {f: math.log(1 + (n - d + 0.5) / (d + 0.5)) for f, d in df.items()}
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for index, (body, head) in enumerate(zip(bodies, heads, strict=True)):
            norm = params.k1 * (1 - params.b + params.b * lengths[index] / average)
            for feature in body.keys() | head.keys():
                tf = body.get(feature, 0) + params.heading * head.get(feature, 0)
                postings[feature][index] = idf[feature] * tf * (params.k1 + 1) / (tf + norm)

        headed: dict[str, dict[int, float]] = defaultdict(dict)
        for index, passage in enumerate(passages):
            if passage.section and len(key := heading_key(passage.section[-1])) >= 2:
                headed[key][index] = params.heading_phrase
        term_groups: dict[str, list[int]] = defaultdict(list)
        for number, group in enumerate(groups):
            for term in group.terms:
                term_groups[term].append(number)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(vocabulary | term_groups.keys()):
            if is_cjk(word):
                by_length[len(word)].append(word)
        return cls(
            passages=tuple(passages),
            synonyms=synonyms,
            params=params,
            postings=dict(postings),
            idf=idf,
            vocabulary=frozenset(vocabulary),
            by_length=dict(by_length),
            max_idf=max(idf.values(), default=1.0),
            _terms=frozenset(term_groups),
            _term_groups={t: tuple(n) for t, n in term_groups.items()},
            _headed=dict(headed),
            _names={doc: tuple(n for name in doc_names if (n := "".join(runs(name))))
                    for doc, doc_names in (names or {}).items()},
        )._compile_names()

    # ----------------------------------------------------------------------- questions

    def query(self, question: str) -> Query:
        """The question's features: corpus words in it, its bigrams, synonym groups, and
        corrections of the pieces the corpus does not know."""
        p = self.params
        features: dict[str, float] = {}

        def add(feature: str, weight: float) -> None:
            if weight > features.get(feature, 0.0):
                features[feature] = weight

        corrections: list[tuple[str, str]] = []
        named: set[str] = set()
        text = fold(question)
        for doc, pattern in self._name_patterns:  # a document's name says which, not what
            text, found = pattern.subn(" ", text)
            if found:
                named.add(doc)
        pieces = runs(text)
        terms = self._terms
        fillers = self.synonyms.fillers
        for run in pieces:
            syms = symbols(run)
            covered = [False] * len(syms)
            found: list[tuple[int, int, str]] = []
            for start in range(len(syms)):
                for end in range(start + 1, min(len(syms), start + p.max_word) + 1):
                    piece = "".join(syms[start:end])
                    if piece in self.vocabulary and (end - start > 1 or piece.isascii()):
                        found.append((start, end, piece))
                        covered[start:end] = [True] * (end - start)
                    elif piece in terms or piece in self.synonyms.fillers:
                        covered[start:end] = [True] * (end - start)
            for start, end, piece in found:
                inside = any(s <= start and end <= e and (s, e) != (start, end)
                             for s, e, _ in found)
                add(f"w:{piece}", p.word * (p.subword if inside else 1.0))
            for i in range(len(syms) - 1):
                if syms[i] not in fillers and syms[i + 1] not in fillers:
                    add(f"b:{syms[i]}{syms[i + 1]}", p.bigram)
            for length in p.fuzzy_lengths:
                for start in range(len(syms) - length + 1):
                    if any(covered[start : start + length]):
                        continue
                    piece = "".join(syms[start : start + length])
                    if not is_cjk(piece) or f"b:{piece}" in self.idf \
                            or piece in self.known_words:
                        continue
                    for fixed, share in self._corrections(piece):
                        weight = p.fuzzy * share
                        if fixed in self.vocabulary:
                            add(f"w:{fixed}", weight * p.word)
                        for number in self._term_groups.get(fixed, ()):
                            add(f"s:{number}", weight * p.synonym)
                        corrections.append((piece, fixed))
        flat = "".join(pieces)
        for number, group in enumerate(self.synonyms.groups):
            if group.occurs_in(flat):
                add(f"s:{number}", p.synonym)
        for key in self._headed:
            if key in flat or (len(key) >= 4 and fuzz.partial_ratio(key, flat)
                               >= p.heading_similarity):
                add(f"h:{key}", 1.0)
        return Query(question, features, tuple(corrections), frozenset(named))

    def _corrections(self, piece: str) -> list[tuple[str, float]]:
        """Corpus words one edit away from ``piece`` (rapidfuzz), sharing the weight."""
        choices = self.by_length.get(len(piece), [])
        if not choices:
            return []
        found = process.extract(piece, choices, scorer=Levenshtein.distance, score_cutoff=1,
                                limit=None)
        if not found or len(found) > self.params.fuzzy_choices:
            return []
        share = 1.0 / len(found)
        return [(word, share) for word, _, _ in found]

    def correction_targets(self) -> list[str]:
        """The words a question piece may be corrected to (corpus words, synonym terms)."""
        return [w for words in self.by_length.values() for w in words]

    def with_known_words(self, words: Iterable[str]) -> SearchIndex:
        """This index, told which words are spelled right (a dictionary's words near the
        correction targets), so that 后来 is not "corrected" to 以来."""
        return replace(self, known_words=frozenset(words))

    def search(self, question: str, k: int = 3) -> list[Hit]:
        return list(self.results(question, k).hits)

    def results(self, question: str, k: int = 3) -> Results:
        query = self.query(question)
        scores = self.score(query)
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        hits = tuple(Hit(self.passages[i], scores[i]) for i in ranked[:k] if scores[i] > 0)
        confidence = self.confidence(query, ranked[0]) if hits else 0.0
        return Results(query, hits, confidence)

    def _postings(self, feature: str) -> Mapping[int, float]:
        if feature.startswith("h:"):
            return self._headed.get(feature[2:], {})
        return self.postings.get(feature, {})

    def score(self, query: Query) -> list[float]:
        scores = [0.0] * len(self.passages)
        for feature, weight in query.features.items():
            for index, contribution in self._postings(feature).items():
                scores[index] += weight * contribution
        if query.documents and len(query.documents) < len(self._names):
            factor = self.params.other_document
            for index, passage in enumerate(self.passages):
                if passage.doc_id not in query.documents:
                    scores[index] *= factor
        return scores

    def score_of(self, query: Query, passage: Passage) -> float:
        """The score ``passage`` has for ``query`` (0 when it is not in the index)."""
        try:
            index = self.passages.index(passage)
        except ValueError:
            return 0.0
        score = sum(weight * self._postings(feature).get(index, 0.0)
                    for feature, weight in query.features.items())
        if query.documents and passage.doc_id not in query.documents \
                and len(query.documents) < len(self._names):
            score *= self.params.other_document
        return score

    def confidence(self, query: Query, index: int) -> float:
        """The share of the question's weight (idf × feature weight) found in passage
        ``index``; features unknown to the corpus count as rare."""
        total = matched = 0.0
        for feature, weight in query.features.items():
            if feature.startswith("h:"):
                continue
            idf = self.idf.get(feature)
            total += weight * (idf if idf is not None else self.max_idf)
            if idf is not None and index in self.postings[feature]:
                matched += weight * idf
        return matched / total if total else 0.0
