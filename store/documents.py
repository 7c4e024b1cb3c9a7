"""Documents staff add (``python -m bot docs add``): extracted, split into cited passages,
and kept as corpus files (the ``+++`` format of ``data/policies``) in a user directory
(default ``var/policies/``, or ``$UNIONBOT_DOCS_DIR``), loaded together with the seeds."""

from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from domain.corpus import PolicyDocument, parse_policy, passages_from_plain_text
from domain.errors import InputError
from store.policy_files import POLICY_DIR, load_policies

REPO = Path(__file__).resolve().parents[1]
DOCS_ENV = "UNIONBOT_DOCS_DIR"
SUFFIXES = (".txt", ".md", ".docx", ".pdf")


def docs_dir() -> Path:
    """Where added documents live: ``$UNIONBOT_DOCS_DIR``, else ``var/policies``."""
    return Path(os.environ.get(DOCS_ENV) or REPO / "var" / "policies")


def seed_documents() -> list[PolicyDocument]:
    return load_policies(POLICY_DIR)


def added_documents(directory: Path | None = None) -> list[PolicyDocument]:
    folder = directory or docs_dir()
    return load_policies(folder) if folder.is_dir() else []


def all_documents(directory: Path | None = None) -> list[PolicyDocument]:
    """The seeds, then the added documents (an added id that repeats a seed's is an error)."""
    seeds = seed_documents()
    taken = {doc.id for doc in seeds}
    added = added_documents(directory)
    for doc in added:
        if doc.id in taken:
            raise ValueError(f"added document {doc.id!r} repeats the id of a shipped document")
    return seeds + added


def documents_version(directory: Path | None = None) -> tuple[tuple[str, int, int], ...]:
    """What the added documents are now, cheaply (names, sizes, modification times): a
    running bot compares it before a question and rebuilds its index when it changed."""
    folder = directory or docs_dir()
    try:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns)
                            for e in os.scandir(folder) if e.name.endswith(".md")))
    except OSError:
        return ()


# --------------------------------------------------------------------------- extraction


def extract_text(path: Path) -> str:
    """The text of a .txt, .md, .docx (python-docx) or .pdf (pypdf) file."""
    if not path.is_file():
        raise InputError(str(path), "no_file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(str(path), "ask.error.doc_type", suffix=suffix or "-",
                         choices=", ".join(SUFFIXES))
    try:
        if suffix in (".txt", ".md"):
            return path.read_text(encoding="utf-8-sig")
        if suffix == ".docx":
            return _docx_text(path)
        return _pdf_text(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(str(path), "ask.error.unreadable", problem=str(exc)[:200]) from exc
    except Exception as exc:  # python-docx / pypdf raise their own types on damaged files
        raise InputError(str(path), "ask.error.unreadable", problem=type(exc).__name__) from exc


def _docx_text(path: Path) -> str:
    from docx import Document  # python-docx; imported here to keep start-up fast

    document = Document(str(path))
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = re.fullmatch(r"(?:Heading|标题)\s*([1-6])", style)
        if text and level:
            lines.extend(["", f"{'#' * int(level.group(1))} {text}", ""])
        else:
            lines.append(text)
    for table in document.tables:
        lines.append("")
        for row in table.rows:
            cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
            if cells:
                lines.append("- " + "；".join(cells))
    return "\n".join(lines)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader  # imported here to keep start-up fast

    reader = PdfReader(str(path))
    return "\n\n".join((page.extract_text() or "") for page in reader.pages)


# --------------------------------------------------------------------------- corpus files


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def to_corpus_file(document: PolicyDocument, source: str = "") -> str:
    """The document in the ``+++`` corpus format; parsing it gives the same passages."""
    meta = {"id": document.id, "title": document.title, "number": document.number,
            "issuer": document.issuer, "date": document.date.isoformat(), "seed": "",
            "source": source}
    lines = ["+++", *(f"{key} = {_toml_string(value)}" for key, value in meta.items()), "+++"]
    for depth, text in document.blocks():
        if depth > 6:
            raise ValueError(f"sections nest deeper than 6 levels at {text!r}")
        lines.append("")
        if depth:
            lines.append(f"{'#' * depth} {text}")
        else:
            lines.append(text)
    body = "\n".join(lines) + "\n"
    again = parse_policy(body)
    if [(p.section, p.text) for p in again.passages] != [
        (p.section, p.text) for p in document.passages
    ]:
        raise ValueError("the document does not survive the corpus format")
    return body


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


@dataclass(frozen=True, slots=True)
class Listed:
    document: PolicyDocument
    added: bool


def list_documents(directory: Path | None = None) -> list[Listed]:
    return [Listed(d, False) for d in seed_documents()] + [
        Listed(d, True) for d in added_documents(directory)
    ]


def add_document(path: Path, *, title: str | None, date: datetime.date, number: str = "",
                 directory: Path | None = None) -> PolicyDocument:
    """Extract ``path``, split it into passages and store it; returns the stored document."""
    text = extract_text(path)
    folder = directory or docs_dir()
    name = (title or "").strip() or _first_line(text) or path.stem
    taken = {doc.id for doc in seed_documents()} | {doc.id for doc in added_documents(folder)}
    base = "doc-" + (_slug(path.stem) or date.strftime("%Y%m%d"))
    doc_id, n = base, 1
    while doc_id in taken:
        n += 1
        doc_id = f"{base}-{n}"
    document = passages_from_plain_text(doc_id, name, text, date, number=number)
    if not document.passages:
        raise InputError(str(path), "ask.error.no_text")
    body = to_corpus_file(document, source=path.name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{doc_id}.md").write_text(body, encoding="utf-8")
    return document


def add_document_bytes(file_name: str, data: bytes, *, date: datetime.date,
                       directory: Path | None = None) -> PolicyDocument:
    """``add_document`` for a file received as bytes (an administrator sent it to the bot)."""
    import tempfile

    name = Path(file_name).name or "document"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return add_document(path, title=None, date=date, directory=directory)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:60]
    return ""


def remove_document(doc_id: str, directory: Path | None = None) -> PolicyDocument:
    """Remove an added document; the shipped documents cannot be removed."""
    folder = directory or docs_dir()
    if any(doc.id == doc_id for doc in seed_documents()):
        raise InputError(doc_id, "ask.error.seed_doc")
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        document = parse_policy(path.read_text(encoding="utf-8"), default_id=path.stem)
        if document.id == doc_id:
            path.unlink()
            return document
    raise InputError(doc_id, "ask.error.unknown_doc")
