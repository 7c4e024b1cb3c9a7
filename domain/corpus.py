"""The policy corpus: documents split into citable passages.

Pure code: parsing of the corpus file format (TOML front matter between ``+++``
lines, markdown headings, one passage per paragraph or ``- `` line) and a
heuristic splitter for arbitrary plain text. No file I/O here; see
``store.policy_files`` for loading.
"""

from __future__ import annotations

import datetime
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

SEPARATOR = " › "
MAX_PASSAGE_CHARS = 400

_SENTENCE_END = "。！？；"
_SENTENCE_RE = re.compile(rf"[^{_SENTENCE_END}\n]*(?:[{_SENTENCE_END}]+[”’」』）)]*|\n|$)")
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LIST_ITEM_RE = re.compile(r"^[-*•]\s+")

_CN_NUM = "〇零一二三四五六七八九十百千两"
_NUM = rf"[{_CN_NUM}0-9０-９]+"
_ANNEX_RE = re.compile(rf"^附件\s*({_NUM})\s*[：:、.．]?\s*(.*)$")
_ARTICLE_RE = re.compile(rf"^(第\s*{_NUM}\s*条)(?:[\s　：:]+(.*))?$")
# (rank, pattern) for headings that are recognised on a line of their own.
_HEADING_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (11, re.compile(rf"^第\s*{_NUM}\s*[编篇]")),
    (12, re.compile(rf"^第\s*{_NUM}\s*章")),
    (13, re.compile(rf"^第\s*{_NUM}\s*节")),
    (14, re.compile(rf"^[{_CN_NUM}]+\s*[、．.]")),
    (15, re.compile(rf"^[（(]\s*[{_CN_NUM}]+\s*[）)]")),
)
_ANNEX_RANK = 0
_ARTICLE_RANK = 16
_MAX_HEADING_CHARS = 45
_WRAP_MIN_CHARS = 20
_PARAGRAPH_END = frozenset("。！？；：:!?;”’」』）)")
_PROSE_MARKS = frozenset("，。；,;")
_CLAUSE_RE = re.compile(r"[^，、,]+[，、,]*|[，、,]+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(rf"[{_CJK}]")
_SPACED_RE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_NUMBER_GAP_RE = re.compile(rf"(?<=[{_CJK}]) +(?=[0-9])|(?<=[0-9]) +(?=[{_CJK}])")


@dataclass(frozen=True, slots=True)
class Passage:
    """One citable unit of a policy document."""

    id: str
    doc_id: str
    doc_title: str
    section: tuple[str, ...]
    text: str
    ordinal: int

    @property
    def citation(self) -> str:
        """E.g. ``《title》 › 一、把握总体要求 › （一）重要意义``."""
        return SEPARATOR.join((f"《{self.doc_title}》", *self.section))


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    id: str
    title: str
    number: str
    issuer: str
    date: datetime.date
    seed: str
    passages: tuple[Passage, ...]

    @property
    def label(self) -> str:
        """``《title》（number）``, or ``《title》（YYYY-MM-DD）`` when there is no number."""
        return f"《{self.title}》（{self.number or self.date.isoformat()}）"

    def blocks(self) -> Iterator[tuple[int, str]]:
        """Document order: ``(depth, heading)`` when a heading is entered, ``(0, passage)``."""
        previous: tuple[str, ...] = ()
        for passage in self.passages:
            common = 0
            for old, new in zip(previous, passage.section, strict=False):
                if old != new:
                    break
                common += 1
            for depth in range(common, len(passage.section)):
                yield depth + 1, passage.section[depth]
            yield 0, passage.text
            previous = passage.section

    @property
    def full_text(self) -> str:
        """Headings and passages in document order, one per line."""
        return "\n".join(text for _, text in self.blocks())


def normalize(text: str) -> str:
    """Keep only letters and digits (CJK included); drop whitespace, punctuation, symbols."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def split_sentences(text: str) -> list[str]:
    """Split after 。！？； (keeping closing quotes/brackets) and at newlines."""
    pieces = (m.group(0).strip() for m in _SENTENCE_RE.finditer(text))
    return [p for p in pieces if p]


# --------------------------------------------------------------------------- corpus format


def parse_policy(text: str, *, default_id: str | None = None) -> PolicyDocument:
    """Parse a corpus file: ``+++`` TOML front matter, then markdown-ish body."""
    meta, body = _split_front_matter(text)
    doc_id = _text_field(meta, "id", default_id or "")
    title = _text_field(meta, "title")
    for key, value in (("id", doc_id), ("title", title)):
        if not value:
            raise ValueError(f"policy front matter is missing {key!r}")
    return _build_document(
        doc_id=doc_id,
        title=title,
        number=_text_field(meta, "number"),
        issuer=_text_field(meta, "issuer"),
        date=_date_field(meta),
        seed=_text_field(meta, "seed"),
        items=_parse_body(body),
    )


def _split_front_matter(text: str) -> tuple[dict[str, object], str]:
    lines = text.lstrip("\ufeff").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].strip() != "+++":
        raise ValueError("policy file must start with a '+++' TOML front matter block")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "+++"), None)
    if end is None:
        raise ValueError("policy front matter is not closed by a '+++' line")
    try:
        meta = tomllib.loads("\n".join(lines[start + 1 : end]))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"policy front matter is not valid TOML: {exc}") from exc
    return meta, "\n".join(lines[end + 1 :])


def _text_field(meta: dict[str, object], key: str, default: str = "") -> str:
    value = meta.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"policy front matter field {key!r} must be a string")
    return value.strip()


def _date_field(meta: dict[str, object]) -> datetime.date:
    value = meta.get("date")
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"policy front matter 'date' is not YYYY-MM-DD: {value!r}") from exc
    raise ValueError("policy front matter is missing 'date'")


def _parse_body(body: str) -> list[tuple[tuple[str, ...], str]]:
    """(section path, passage text) pairs from the corpus body."""
    items: list[tuple[tuple[str, ...], str]] = []
    section: tuple[str, ...] = ()
    block: list[str] = []

    def flush() -> None:
        items.extend((section, text) for text in _block_passages(block))
        block.clear()

    for raw in body.splitlines():
        line = raw.strip()
        heading = _MD_HEADING_RE.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            section = (*section[: level - 1], heading.group(2))
        elif line:
            block.append(line)
        else:
            flush()
    flush()
    return items


def _block_passages(lines: list[str]) -> Iterator[str]:
    """A ``- `` line is a passage of its own; other consecutive lines form one passage."""
    run: list[str] = []
    for line in lines:
        if line.startswith("- "):
            if run:
                yield "\n".join(run)
                run = []
            yield line[2:].strip()
        else:
            run.append(line)
    if run:
        yield "\n".join(run)


def _build_document(
    *,
    doc_id: str,
    title: str,
    number: str,
    issuer: str,
    date: datetime.date,
    seed: str,
    items: Iterable[tuple[tuple[str, ...], str]],
) -> PolicyDocument:
    passages = tuple(
        Passage(
            id=f"{doc_id}#{ordinal}",
            doc_id=doc_id,
            doc_title=title,
            section=section,
            text=text,
            ordinal=ordinal,
        )
        for ordinal, (section, text) in enumerate(((s, t) for s, t in items if t.strip()), start=1)
    )
    return PolicyDocument(
        id=doc_id,
        title=title,
        number=number,
        issuer=issuer,
        date=date,
        seed=seed,
        passages=passages,
    )


# --------------------------------------------------------------------------- plain text


def passages_from_plain_text(
    doc_id: str,
    title: str,
    text: str,
    date: datetime.date,
    number: str = "",
    issuer: str = "",
) -> PolicyDocument:
    """Split extracted text (.docx/.pdf/.txt/markdown) into sectioned passages.

    Headings are recognised on a line of their own: markdown ``#``, 附件N, 第X编/章/节,
    一、, （一）/(一), 第X条 (its body on the same line becomes a passage). A short lead
    sentence such as "（二）基本原则。" counts as a heading. Lines broken mid-sentence
    (PDF wrapping, even across a blank line) are joined; ``- `` lines are passages of their
    own; paragraphs over 400 characters are split at sentence ends.
    """
    if not doc_id.strip() or not title.strip():
        raise ValueError("doc_id and title are required")
    splitter = _Splitter()
    lines = [_tidy(line) for line in text.splitlines()]
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            splitter.after_blank = True
        elif _LIST_ITEM_RE.match(line):
            splitter.add_item(_LIST_ITEM_RE.sub("", line))
        elif (heading := _classify_heading(line)) is None:
            splitter.add_line(line)
        else:
            rank, name, rest = heading
            if rank == _ANNEX_RANK and _is_bare_annex(name):
                title_line, index = _annex_title(lines, index)
                name = f"{name} {title_line}" if title_line else name
            splitter.enter(rank, name)
            if rest:
                splitter.add_line(rest)
    splitter.flush()
    return _build_document(
        doc_id=doc_id.strip(),
        title=title.strip(),
        number=number,
        issuer=issuer,
        date=date,
        seed="",
        items=splitter.items,
    )


@dataclass(slots=True)
class _Splitter:
    """Accumulates paragraphs under a stack of (rank, heading)."""

    items: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    paragraph: str = ""
    last_line: str = ""
    after_blank: bool = False

    def section(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.stack)

    def flush(self) -> None:
        if self.paragraph:
            self.items.extend((self.section(), chunk) for chunk in _chunk(self.paragraph))
        self.paragraph = self.last_line = ""
        self.after_blank = False

    def enter(self, rank: int, name: str) -> None:
        self.flush()
        while self.stack and self.stack[-1][0] >= rank:
            self.stack.pop()
        self.stack.append((rank, name))

    def add_item(self, text: str) -> None:
        self.flush()
        self.items.append((self.section(), text))

    def add_line(self, line: str) -> None:
        wraps = _wraps(self.last_line) and not _starts_item(line)
        if self.paragraph and (
            _ends_sentence(self.last_line) or _starts_item(line) or (self.after_blank and not wraps)
        ):
            self.flush()
        if not self.paragraph:
            self.paragraph = line
        elif wraps:
            gap = " " if self.paragraph[-1].isascii() and line[0].isascii() else ""
            self.paragraph += gap + line
        else:
            self.paragraph += "\n" + line
        self.last_line = line
        self.after_blank = False


def _tidy(line: str) -> str:
    """Strip, and undo letter-spacing ("青 岛 市") and spaces around numbers ("2018 年")."""
    line = line.replace("\u3000", " ").strip()
    cjk = len(_CJK_RE.findall(line))
    if cjk >= 4 and 2 * len(_SPACED_RE.findall(line)) >= cjk:
        line = _SPACED_RE.sub("", line)
    return _NUMBER_GAP_RE.sub("", line)


def _classify_heading(line: str) -> tuple[int, str, str] | None:
    """(rank, heading text, remaining body text) when ``line`` starts a section."""
    if m := _MD_HEADING_RE.match(line):
        return len(m.group(1)), m.group(2), ""
    if m := _ANNEX_RE.match(line):
        rest = m.group(2).strip()
        if rest and not _is_short_title(rest):
            return None
        name = f"附件{m.group(1)}"
        return _ANNEX_RANK, f"{name} {rest}" if rest else name, ""
    if m := _ARTICLE_RE.match(line):
        return _ARTICLE_RANK, re.sub(r"\s+", "", m.group(1)), (m.group(2) or "").strip()
    for rank, pattern in _HEADING_PATTERNS:
        if not pattern.match(line):
            continue
        if _is_short_title(line):
            return rank, line.rstrip("。"), ""
        lead, sep, rest = line.partition("。")
        if sep and _is_short_title(lead) and rest.strip():
            return rank, lead, rest.strip()
        return None
    return None


def _is_short_title(text: str) -> bool:
    core = text.rstrip("。").strip()
    return 0 < len(core) <= _MAX_HEADING_CHARS and not any(p in core for p in _SENTENCE_END)


def _is_bare_annex(name: str) -> bool:
    return re.fullmatch(rf"附件{_NUM}", name) is not None


def _annex_title(lines: list[str], index: int) -> tuple[str, int]:
    """The annex's title when it follows "附件N" on the next non-blank line."""
    probe = index
    while probe < len(lines) and not lines[probe]:
        probe += 1
    if probe >= len(lines):
        return "", index
    candidate = lines[probe]
    if _classify_heading(candidate) is not None or _LIST_ITEM_RE.match(candidate):
        return "", index
    if len(candidate) > 60 or any(p in candidate for p in _SENTENCE_END):
        return "", index
    return re.sub(r"\s+", " ", candidate), probe + 1


def _ends_sentence(line: str) -> bool:
    return line[-1:] in _PARAGRAPH_END


def _wraps(line: str) -> bool:
    """Whether ``line`` looks cut mid-sentence: a long line of prose without an ending.

    Titles, names and dates have no commas; wrapped prose nearly always does.
    """
    if not line or _ends_sentence(line):
        return False
    prose = any(mark in line for mark in _PROSE_MARKS)
    return line[-1] in "，、," or (prose and len(line) >= _WRAP_MIN_CHARS)


def _starts_item(line: str) -> bool:
    """Whether ``line`` opens a numbered item (一、 （一） 第X条 …) even when not a heading."""
    return _ARTICLE_RE.match(line) is not None or any(
        pattern.match(line) for _, pattern in _HEADING_PATTERNS
    )


def _chunk(paragraph: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Split a long paragraph at sentence ends into pieces of at most ``limit`` chars."""
    if len(paragraph) <= limit:
        return [paragraph]
    chunks: list[str] = []
    current = ""
    for sentence in _pieces(paragraph, limit):
        if current and len(current) + len(sentence) > limit:
            chunks.append(current)
            current = ""
        current += sentence
    if current:
        chunks.append(current)
    return chunks


def _pieces(paragraph: str, limit: int) -> Iterator[str]:
    """Sentences; one longer than ``limit`` is cut after commas, else hard at ``limit``."""
    for sentence in split_sentences(paragraph):
        if len(sentence) <= limit:
            yield sentence
            continue
        for clause in _CLAUSE_RE.findall(sentence):
            for start in range(0, len(clause), limit):
                yield clause[start : start + limit]
