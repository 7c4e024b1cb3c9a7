"""Policy search: find the passage that answers a question typed on a phone.

Pure code over passages. A passage is indexed by three kinds of features:

- ``w:`` words — the tokenizer's words (jieba search mode, given by the caller) of the
  passage; a question is matched against that vocabulary (every substring of the
  question that is a corpus word), so no tokenizer is needed at question time;
- ``b:`` character bigrams — robust to words the tokenizer splits differently;
- ``s:`` synonym groups — a group counts as present when any of its terms occurs,
  so 社组织 / NGO find 社会组织, 门头牌子 finds 招牌, 奖金 finds 补助.

The section path and the document's title, number and year are a second, lightly
weighted field (BM25F). Question fragments that are not in the corpus are corrected
with rapidfuzz against the corpus vocabulary (one wrong character: 补主 → 补助,
测平 → 测评), and the corrections count at a discount.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from domain.corpus import Passage, PolicyDocument

Tokenizer = Callable[[str], Sequence[str]]

_RUN_RE = re.compile(r"[^\W_]+")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def fold(text: str) -> str:
    """NFKC and lower case: full-width digits and letters become ASCII."""
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> list[str]:
    """The runs of letters and digits in ``text`` (folded); punctuation splits them."""
    return _RUN_RE.findall(fold(text))


def bigrams(text: str) -> list[str]:
    return [run[i : i + 2] for run in runs(text) for i in range(len(run) - 1)]


def clean_words(tokens: Iterable[str]) -> list[str]:
    """Tokenizer output reduced to words worth indexing: two characters or more, or ASCII."""
    words = []
    for token in tokens:
        for run in runs(token):
            if len(run) >= 2 or run.isascii():
                words.append(run)
    return words


# --------------------------------------------------------------------------- synonyms


@dataclass(frozen=True, slots=True)
class SynonymGroup:
    """Terms that mean the same thing in a question (the first is the documents' word)."""

    terms: tuple[str, ...]


def synonyms_from_dict(data: Mapping[str, Any]) -> tuple[SynonymGroup, ...]:
    """``[[group]] terms = [...]`` (data/synonyms.toml) → groups of folded terms."""
    groups = []
    for entry in data.get("group", []):
        terms = tuple(dict.fromkeys(t for raw in entry["terms"] if (t := "".join(runs(raw)))))
        if len(terms) < 2:
            raise ValueError(f"a synonym group needs two terms or more: {entry['terms']!r}")
        groups.append(SynonymGroup(terms))
    return tuple(groups)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Weights, chosen by measurement on tests/qa/questions.toml (see tests/qa_report.py)."""

    k1: float = 1.2
    b: float = 0.75
    word: float = 1.0  # weight of a word feature
    bigram: float = 0.5  # weight of a bigram feature
    synonym: float = 1.0  # weight of a synonym-group feature
    heading: float = 0.3  # a feature in the section path counts this much of one in the text
    fuzzy: float = 0.6  # a corrected fragment counts this much of the word it was corrected to
    fuzzy_lengths: tuple[int, ...] = (2, 3, 4)  # fragment lengths that are corrected
    max_word: int = 8  # longest corpus word looked for in a question
    fallback_below: float = 0.0  # confidence under which the answer is "not found"


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


@dataclass(frozen=True, slots=True)
class Results:
    query: Query
    hits: tuple[Hit, ...]
    confidence: float  # share of the question's weight the best passage matches, 0–1

    @property
    def found(self) -> bool:
        return bool(self.hits)


def document_context(document: PolicyDocument) -> str:
    """What a question may call a document by: its title, number, and year (2018年, 18年)."""
    year = document.date.year
    return f"{document.title} {document.number} {year}年 {year % 100:02d}年"


# --------------------------------------------------------------------------- index


def _features(text: str, words: Sequence[str], groups: Sequence[SynonymGroup]) -> Counter[str]:
    out: Counter[str] = Counter()
    out.update(f"w:{w}" for w in words)
    out.update(f"b:{g}" for g in bigrams(text))
    flat = "".join(runs(text))
    for number, group in enumerate(groups):
        hits = sum(flat.count(term) for term in group.terms)
        if hits:
            out[f"s:{number}"] += hits
    return out


@dataclass(slots=True)
class SearchIndex:
    passages: tuple[Passage, ...]
    groups: tuple[SynonymGroup, ...]
    params: SearchParams
    postings: dict[str, dict[int, float]]  # feature → {passage index: BM25 weight}
    idf: dict[str, float]
    vocabulary: frozenset[str]  # corpus words (and synonym terms), folded
    by_length: dict[int, list[str]] = field(default_factory=dict)  # for corrections
    max_idf: float = 1.0

    @classmethod
    def build(
        cls,
        passages: Sequence[Passage],
        synonyms: Sequence[SynonymGroup],
        tokenizer: Tokenizer,
        *,
        contexts: Mapping[str, str] | None = None,
        params: SearchParams = DEFAULT_PARAMS,
    ) -> SearchIndex:
        """Index ``passages``. ``tokenizer`` splits a text into words (it is called on
        every passage text and heading, never at question time); ``contexts`` maps a
        document id to extra heading text (see ``document_context``)."""
        groups = tuple(synonyms)
        contexts = contexts or {}
        bodies: list[Counter[str]] = []
        heads: list[Counter[str]] = []
        lengths: list[int] = []
        vocabulary: set[str] = set()
        heading_cache: dict[str, tuple[Counter[str], list[str]]] = {}
        for passage in passages:
            words = clean_words(tokenizer(passage.text))
            vocabulary.update(words)
            bodies.append(_features(passage.text, words, groups))
            lengths.append(max(1, len("".join(runs(passage.text)))))
            heading = " ".join((*passage.section, contexts.get(passage.doc_id, "")))
            if heading not in heading_cache:
                head_words = clean_words(tokenizer(heading))
                heading_cache[heading] = (_features(heading, head_words, groups), head_words)
            head, head_words = heading_cache[heading]
            vocabulary.update(head_words)
            heads.append(head)

        n = len(passages)
        average = sum(lengths) / n if n else 1.0
        df: Counter[str] = Counter()
        for body, head in zip(bodies, heads, strict=True):
            df.update(set(body) | set(head))
        idf = {f: math.log(1 + (n - d + 0.5) / (d + 0.5)) for f, d in df.items()}
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for index, (body, head) in enumerate(zip(bodies, heads, strict=True)):
            norm = params.k1 * (1 - params.b + params.b * lengths[index] / average)
            for feature in set(body) | set(head):
                tf = body.get(feature, 0) + params.heading * head.get(feature, 0)
                weight = idf[feature] * tf * (params.k1 + 1) / (tf + norm)
                postings[feature][index] = weight

        for group in groups:
            vocabulary.update(group.terms)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(vocabulary):
            if _CJK_RE.search(word):
                by_length[len(word)].append(word)
        return cls(
            passages=tuple(passages),
            groups=groups,
            params=params,
            postings=dict(postings),
            idf=idf,
            vocabulary=frozenset(vocabulary),
            by_length=dict(by_length),
            max_idf=max(idf.values(), default=1.0),
        )

    # ----------------------------------------------------------------------- questions

    def query(self, question: str) -> Query:
        """The question's features: corpus words in it, its bigrams, synonym groups, and
        corrections of the fragments the corpus does not know."""
        p = self.params
        features: dict[str, float] = {}

        def add(feature: str, weight: float) -> None:
            if weight > features.get(feature, 0.0):
                features[feature] = weight

        pieces = runs(question)
        known: set[int] = set()  # positions covered by a corpus word, per run offset
        corrections: list[tuple[str, str]] = []
        for run in pieces:
            covered = [False] * len(run)
            for start in range(len(run)):
                for end in range(start + 1, min(len(run), start + p.max_word) + 1):
                    piece = run[start:end]
                    if (len(piece) >= 2 or piece.isascii()) and piece in self.vocabulary:
                        add(f"w:{piece}", p.word)
                        if len(piece) >= 2:
                            for i in range(start, end):
                                covered[i] = True
            for i in range(len(run) - 1):
                add(f"b:{run[i : i + 2]}", p.bigram)
            for length in p.fuzzy_lengths:
                for start in range(len(run) - length + 1):
                    piece = run[start : start + length]
                    if all(covered[start : start + length]) or not _CJK_RE.search(piece):
                        continue
                    if piece in self.vocabulary or f"b:{piece}" in self.idf:
                        continue
                    for fixed, share in self._corrections(piece):
                        add(f"w:{fixed}", p.fuzzy * p.word * share)
                        corrections.append((piece, fixed))
        flat = "".join(pieces)
        for number, group in enumerate(self.groups):
            if any(term in flat for term in group.terms):
                add(f"s:{number}", p.synonym)
        del known
        return Query(question, features, tuple(corrections))

    def _corrections(self, piece: str) -> list[tuple[str, float]]:
        """Corpus words one edit away from ``piece`` (rapidfuzz), sharing the weight."""
        choices = self.by_length.get(len(piece), [])
        if not choices:
            return []
        found = process.extract(piece, choices, scorer=Levenshtein.distance, score_cutoff=1,
                                limit=None)
        if not found:
            return []
        share = 1.0 / len(found)
        return [(word, share) for word, _, _ in found]

    def search(self, question: str, k: int = 3) -> list[Hit]:
        return list(self.results(question, k).hits)

    def results(self, question: str, k: int = 3) -> Results:
        query = self.query(question)
        scores = self.score(query)
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        hits = tuple(Hit(self.passages[i], scores[i]) for i in ranked[:k] if scores[i] > 0)
        confidence = self.confidence(query, ranked[0]) if hits else 0.0
        return Results(query, hits, confidence)

    def score(self, query: Query) -> list[float]:
        scores = [0.0] * len(self.passages)
        for feature, weight in query.features.items():
            for index, contribution in self.postings.get(feature, {}).items():
                scores[index] += weight * contribution
        return scores

    def confidence(self, query: Query, index: int) -> float:
        """The share of the question's weight (idf × feature weight) found in passage
        ``index``; features unknown to the corpus count as rare."""
        total = matched = 0.0
        for feature, weight in query.features.items():
            idf = self.idf.get(feature)
            total += weight * (idf if idf is not None else self.max_idf)
            if idf is not None and index in self.postings[feature]:
                matched += weight * idf
        return matched / total if total else 0.0
