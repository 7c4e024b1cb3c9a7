"""The search index over every document, with its tokens cached on disk.

jieba's dictionary takes about a second to load on a small machine, so what the index
needs from it is cached in ``var/cache/`` (``$UNIONBOT_CACHE_DIR``), in a file named by
a hash of the corpus: the words of every passage and heading, and jieba's frequencies of
its words of one to four characters, packed (``WordTable``: about 1 MiB in memory where
dicts and sets of them held about 25), with the words near the corpus vocabulary flagged
(which a typo check must leave alone). A question never needs jieba (see domain.search).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, ValuesView
from collections.abc import Set as AbstractSet
from functools import cache
from pathlib import Path
from typing import Any

from domain.answers import AnswerRules, answer_rules_from_dict
from domain.asking import Contact, QuestionRules, latest_contact, question_rules_from_dict
from domain.corpus import PolicyDocument
from domain.rubric import PerKindRule, Rubric
from domain.search import (
    DEFAULT_PARAMS,
    SearchIndex,
    SearchParams,
    Synonyms,
    document_context,
    document_names,
    is_cjk,
    near_misses,
    runs,
    synonyms_from_dict,
)
from store.datafiles import DATA_DIR, cache_dir, load_districts, load_rubric, read_toml
from store.documents import all_documents

TOKENIZER = "jieba-precise-v1"
KEEP_CACHE_FILES = 3
KNOWN_MIN_FREQ = 20  # jieba dictionary frequency above which a word is surely not a typo
PLACE_TAG = "ns"  # jieba's part of speech of a place name (济南, 上海)
NOUN_TAGS = ("n", "vn", "nz")  # …and of a noun (电影), a verbal noun (设备, 工资), a name
AREA_SUFFIXES = "市省县区"  # …and what names an administrative area (济南市)
SPECIFIC_MAX_FREQ = 1000  # …and under which it is not a common word (这块, 只有): specific
_LABEL_RE = re.compile(r"[a-z][a-z' -]*[a-z]")  # a rubric label of words only
_BRACKETS_RE = re.compile(r"[（(][^）)]*[）)]")  # 实施方案（计划） → 实施方案


@cache
def load_synonyms(path: Path = DATA_DIR / "synonyms.toml") -> Synonyms:
    """The synonym groups, and the bilingual term table: data/terms_en.toml, and under it
    the rubric's own English labels of its criteria, items and kinds of evidence (Political
    development → 政治建设), so that the standard's vocabulary is always in it (its levels'
    labels, city and provincial, are the table's own words)."""
    english = read_toml(path.parent / "terms_en.toml")
    terms = {**rubric_terms(load_rubric()), **english.get("terms", {})}
    return synonyms_from_dict(read_toml(path), {**english, "terms": terms})


def rubric_terms(rubric: Rubric) -> dict[str, str]:
    """The rubric's labels as term table entries, English → Chinese: a label of words only
    (no commas or brackets), its Chinese without brackets and with 、 between terms."""
    labels = [c.label for c in rubric.criteria] + [i.label for c in rubric.criteria
                                                   for i in c.items]
    for item in (i for c in rubric.criteria for i in c.items):
        if isinstance(item.rule, PerKindRule):
            labels += list(item.rule.kinds.values())
    out: dict[str, str] = {}
    for label in labels:
        english, chinese = label.get("en", "").strip().lower(), label.get("zh", "")
        if english and chinese and _LABEL_RE.fullmatch(english):
            out.setdefault(english, " ".join(runs(_BRACKETS_RE.sub("", chinese))))
    return out


@cache
def load_question_rules(path: Path = DATA_DIR / "questions.toml") -> QuestionRules:
    return question_rules_from_dict(read_toml(path))


@cache
def load_answer_rules(path: Path = DATA_DIR / "answers.toml") -> AnswerRules:
    return answer_rules_from_dict(read_toml(path))


def new_jieba() -> Any:
    """A jieba tokenizer with its dictionary loaded (about a second; about 85 MiB while it
    is held), for a build the cache does not serve (a first start, a document added). Its
    own, not jieba's module-wide one, which would keep the dictionary for the life of the
    process: the build drops it when done."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def jieba_words(jieba: Any, text: str) -> list[str]:
    """jieba's words, precise mode; the index finds the shorter words inside them itself
    (as search mode would)."""
    return [w for w in jieba.cut(text) if w.strip()]


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class CachedTokenizer:
    """Words from the cache file, jieba for texts the cache does not hold."""

    def __init__(self, known: dict[str, list[str]],
                 fallback: Callable[[str], list[str]]) -> None:
        self.known = known
        self.fallback = fallback
        self.used: dict[str, list[str]] = {}
        self.missed = 0

    def __call__(self, text: str) -> list[str]:
        key = _digest(text)
        words = self.known.get(key)
        if words is None:
            words = self.fallback(text)
            self.missed += 1
        self.used[key] = words
        return words


def _corpus_key(texts: Sequence[str]) -> str:
    digest = hashlib.sha1(TOKENIZER.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode("utf-8"))
    return digest.hexdigest()[:16]


class WordTable(Mapping[str, int]):
    """A dictionary's words and how often the language uses each, packed: for each word
    length one string of the words in order and an array of their counts (78,000 words
    take under 1 MiB, where a dict of them took about 9), with a flag per word for the
    known words (``near_misses`` of the correction targets) and one for the nouns (the
    dictionary's common nouns: 设备, 电影). A word is found by halving."""

    def __init__(self, words: dict[int, str], counts: dict[int, array],
                 known: dict[int, bytes] | None = None,
                 nouns: dict[int, bytes] | None = None) -> None:
        self.words, self.counts = words, counts
        self.known = known or {n: bytes(len(c)) for n, c in counts.items()}
        self.noun = nouns or {n: bytes(len(c)) for n, c in counts.items()}

    @classmethod
    def of(cls, frequencies: Mapping[str, int]) -> WordTable:
        by_length: dict[int, list[str]] = {}
        for word in frequencies:
            by_length.setdefault(len(word), []).append(word)
        ordered = {n: sorted(ws) for n, ws in sorted(by_length.items())}
        return cls({n: "".join(ws) for n, ws in ordered.items()},
                   {n: array("i", (frequencies[w] for w in ws)) for n, ws in ordered.items()})

    def position(self, word: str) -> int:
        """Where ``word`` stands among the words of its length, or -1."""
        n = len(word)
        packed = self.words.get(n)
        if not packed:
            return -1
        lo, hi = 0, len(packed) // n
        while lo < hi:
            mid = (lo + hi) // 2
            if packed[mid * n : mid * n + n] < word:
                lo = mid + 1
            else:
                hi = mid
        return lo if packed[lo * n : lo * n + n] == word else -1

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.position(word) >= 0

    def __getitem__(self, word: str) -> int:
        at = self.position(word) if isinstance(word, str) else -1
        if at < 0:
            raise KeyError(word)
        return self.counts[len(word)][at]

    def get(self, word: str, default: Any = None) -> Any:  # type: ignore[override]
        at = self.position(word)
        return default if at < 0 else self.counts[len(word)][at]

    def __iter__(self) -> Iterator[str]:
        for n, packed in self.words.items():
            yield from (packed[i : i + n] for i in range(0, len(packed), n))

    def __len__(self) -> int:
        return sum(len(c) for c in self.counts.values())

    def values(self) -> Counts:  # type: ignore[override]
        return Counts(self)

    def _flags(self, words: Iterable[str]) -> dict[int, bytes]:
        flags = {n: bytearray(len(c)) for n, c in self.counts.items()}
        for word in words:
            if (at := self.position(word)) >= 0:
                flags[len(word)][at] = 1
        return {n: bytes(f) for n, f in flags.items()}

    def with_known(self, known: Iterable[str]) -> WordTable:
        return WordTable(self.words, self.counts, self._flags(known), self.noun)

    def with_nouns(self, nouns: Iterable[str]) -> WordTable:
        return WordTable(self.words, self.counts, self.known, self._flags(nouns))

    def nouns(self) -> WordsWhere:
        """The words flagged nouns, of two characters or more."""
        return WordsWhere(self, lambda n, at: n >= 2 and self.noun[n][at] == 1)

    def known_words(self) -> WordsWhere:
        """The words flagged known (spelled right: never corrected)."""
        return WordsWhere(self, lambda n, at: self.known[n][at] == 1)

    def specific_words(self) -> WordsWhere:
        """Words neither rare (typos, names) nor common (这块, 只有, 工资): a question naming
        one the documents never use asks about something else."""
        return WordsWhere(self, lambda n, at: n >= 2
                          and KNOWN_MIN_FREQ <= self.counts[n][at] < SPECIFIC_MAX_FREQ)

    def to_json(self) -> dict[str, Any]:
        def text(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        return {"min": KNOWN_MIN_FREQ, "tags": " ".join(NOUN_TAGS),
                "words": {str(n): w for n, w in self.words.items()},
                "counts": {str(n): text(c.tobytes()) for n, c in self.counts.items()},
                "known": {str(n): text(f) for n, f in self.known.items()},
                "nouns": {str(n): text(f) for n, f in self.noun.items()}}

    @classmethod
    def from_json(cls, data: Any) -> WordTable | None:
        """The table a cache file holds, or None if it holds none of this shape."""
        try:
            if data["min"] != KNOWN_MIN_FREQ or data.get("tags") != " ".join(NOUN_TAGS):
                return None
            words = {int(n): w for n, w in data["words"].items()}
            counts = {int(n): array("i", base64.b64decode(c)) for n, c in data["counts"].items()}
            known = {int(n): base64.b64decode(f) for n, f in data["known"].items()}
            nouns = {int(n): base64.b64decode(f) for n, f in data["nouns"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if words.keys() != counts.keys() or counts.keys() != known.keys() \
                or known.keys() != nouns.keys() or any(
                len(words[n]) != n * len(counts[n]) or len(known[n]) != len(counts[n])
                or len(nouns[n]) != len(counts[n]) for n in words):
            return None
        return cls(words, counts, known, nouns)


class Counts(ValuesView[int]):
    """A ``WordTable``'s counts, read from its arrays (not word by word)."""

    _mapping: WordTable

    def __iter__(self) -> Iterator[int]:
        for counts in self._mapping.counts.values():
            yield from counts


class WordsWhere(AbstractSet[str]):
    """The words of a ``WordTable`` a test on (length, position) picks, as a set."""

    def __init__(self, table: WordTable, test: Callable[[int, int], bool]) -> None:
        self.table, self.test = table, test
        self.size = sum(1 for n, c in table.counts.items() for at in range(len(c)) if test(n, at))

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        at = self.table.position(word)
        return at >= 0 and self.test(len(word), at)

    def __iter__(self) -> Iterator[str]:
        for n, packed in self.table.words.items():
            yield from (packed[at * n : at * n + n] for at in range(len(packed) // n)
                        if self.test(n, at))

    def __len__(self) -> int:
        return self.size


def jieba_table(jieba: Any) -> WordTable:
    """jieba's dictionary frequencies of its words of one to four CJK characters used at
    least ``KNOWN_MIN_FREQ`` times: how specific a word the documents never use is."""
    table = WordTable.of({w: f for w, f in jieba.FREQ.items()
                          if f >= KNOWN_MIN_FREQ and len(w) <= 4 and is_cjk(w)})
    return table.with_nouns(word for word, tag in _jieba_tags(jieba) if tag in NOUN_TAGS)


def _jieba_tags(jieba: Any) -> list[tuple[str, str]]:
    """Each word of jieba's dictionary with its part of speech (none if it cannot be read)."""
    try:
        with jieba.get_dict_file() as dictionary:
            text = dictionary.read().decode("utf-8")
    except (OSError, ValueError):
        return []
    return [(row[0], row[2]) for line in text.splitlines()
            if len(row := line.split()) == 3]


def known_near(table: WordTable, targets: Sequence[str]) -> WordTable:
    """The table with its common words one character away from a correction target flagged
    known: spelled right, so never "corrected" (后来 is not a typo of 以来)."""
    return table.with_known(near_misses((w for w in table if 2 <= len(w) <= 4), targets))


def jieba_places(jieba: Any) -> list[str]:
    """The names of administrative areas in jieba's dictionary, of two to four CJK
    characters: its place names (tagged ns) that name an area with 市, 省, 县 or 区 (济南:
    济南市 is one too), or end in one; not the words it also tags so (东西, 城市, 英雄)."""
    tagged = {word for word, tag in _jieba_tags(jieba) if tag == PLACE_TAG}
    return sorted(word for word in tagged if 2 <= len(word) <= 4 and is_cjk(word) and (
        word[-1] in AREA_SUFFIXES and len(word) >= 3
        or any(word + suffix in tagged for suffix in AREA_SUFFIXES)))


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("tokenizer") != TOKENIZER:
        return {}
    if not isinstance(data.get("tokens"), dict) or not isinstance(data.get("known"), dict):
        return {}
    return data


def _write_cache(folder: Path, key: str, data: dict[str, Any]) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"tokens-{key}.json"
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"tokenizer": TOKENIZER, **data},
                                  ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        tmp.replace(target)
        old = sorted(folder.glob("tokens-*.json"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-KEEP_CACHE_FILES]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only checkout still answers, only slower


def build_index(documents: Sequence[PolicyDocument], *, folder: Path | None = None,
                params: SearchParams | None = None,
                synonyms: Synonyms | None = None) -> SearchIndex:
    """Index ``documents``, reusing (and refreshing) the token cache in ``folder``."""
    folder = folder or cache_dir()
    passages = [p for doc in documents for p in doc.passages]
    contexts = {doc.id: document_context(doc) for doc in documents}
    names = {doc.id: document_names(doc) for doc in documents}
    dates = {doc.id: doc.date for doc in documents}
    texts = [p.text for p in passages] + sorted(
        {" ".join((*p.section, contexts[p.doc_id])) for p in passages})
    key = _corpus_key(texts)
    path = folder / f"tokens-{key}.json"
    cached = _read_cache(path)
    if not cached and folder.is_dir():  # another corpus (a document added): reuse its words
        for other in sorted(folder.glob("tokens-*.json"), key=lambda p: -p.stat().st_mtime):
            if cached := _read_cache(other):
                break
    dictionary = cache(new_jieba)  # loaded if the cache falls short, dropped after
    tokenizer = CachedTokenizer(cached.get("tokens", {}),
                                lambda text: jieba_words(dictionary(), text))
    index = SearchIndex.build(passages, synonyms if synonyms is not None else load_synonyms(),
                              tokenizer, contexts=contexts, names=names, dates=dates,
                              params=params or DEFAULT_PARAMS)
    targets_key = _corpus_key(index.correction_targets())
    known = cached.get("known", {})
    table = WordTable.from_json(cached.get("table"))
    if table is None or known.get("key") != targets_key:
        table = known_near(table or jieba_table(dictionary()), index.correction_targets())
        known = {"key": targets_key}
    places = cached.get("places")
    if not isinstance(places, dict) or places.get("tag") != PLACE_TAG + AREA_SUFFIXES \
            or not isinstance(places.get("words"), list):
        places = {"tag": PLACE_TAG + AREA_SUFFIXES, "words": jieba_places(dictionary())}
    if tokenizer.missed or cached.get("known") != known or not path.exists() \
            or "table" not in cached or cached.get("places") != places:
        _write_cache(folder, key, {"tokens": tokenizer.used, "known": known,
                                   "table": table.to_json(), "places": places})
    home = _home_areas()
    return index.with_known_words(table.known_words(), table.specific_words(),
                                  frequencies=table, nouns=table.nouns(),
                                  places=[w for w in places["words"] if w not in home])


def _home_areas() -> set[str]:
    """The city's own districts (data/districts.toml: names and aliases, with and without
    区/市/县): no other place, though the documents may never name them (黄岛区)."""
    districts = load_districts()
    names = {*districts.names, *districts.aliases}
    return names | {name[:-1] for name in names if name[-1] in AREA_SUFFIXES}


def load_index(directory: Path | None = None) -> SearchIndex:
    """The index over the shipped and the added documents."""
    return build_index(all_documents(directory))


def load_library(directory: Path | None = None) -> tuple[SearchIndex, Contact | None]:
    """The index over the shipped and the added documents, and the contact the newest
    document that names one gives."""
    documents = all_documents(directory)
    return build_index(documents), latest_contact(documents, load_question_rules())
