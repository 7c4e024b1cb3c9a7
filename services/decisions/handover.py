"""What a reviewer hands upward: the ranking workbook (item by item, claimed and verified,
with honours, paid and due), the ledger workbook, and a project's dossier (a ZIP of its
evidence files named by criterion and item, plus a summary PDF in Chinese).

Gathering is async and set-based; building the files is CPU work done in a worker thread
(asyncio.to_thread) so the bot keeps answering others meanwhile. User text goes into cells
as strings, never formulas, and into file names only after cleaning."""

from __future__ import annotations

import asyncio
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from domain.i18n import local
from services import audit
from services.charts import require_font
from services.core import Services
from services.decisions import ledger as ledgers
from services.decisions.ranking import (
    RankedProject,
    may_rank,
    ranking,
    verified_report,
)
from services.walk.view import FileView, load, verdict_lines


# -- cells and names ------------------------------------------------------------------------
def append_row(ws, values: list) -> None:
    """A row of a write-only sheet (streamed: no per-row scan of the sheet so far) whose
    text cells stay text: "=1+1" typed by a user is never a formula, "#N/A" never an
    error. Only such text is wrapped in a cell typed as a string; every other value goes
    in plain (openpyxl's own cell per value is several times cheaper)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    cells = []
    for value in values:
        if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            value = cell
        cells.append(value)
    ws.append(cells)


def safe_name(text: str, limit: int = 60) -> str:
    """A file or folder name from user text: no path separators, control or reserved
    characters, no leading dots, not empty."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = re.sub(r'(?:[\\/:*?"<>|\s]|\.{2,})+', "_", text).strip("._ ")
    return text[:limit] or "_"


def _level(svc: Services, level: str | None, lang: str) -> str:
    return local(svc.subsidy_table.level(level).short, lang) if level else ""


# the city's entitlement and the district's matching, each with its own payments and due
MONEY = ("city_amount", "paid", "due", "matching", "matching_paid", "matching_due")


def money_cells(b) -> list[int]:
    return [b.city_amount, b.city_paid, b.city_due, b.matching, b.district_paid,
            b.district_due]


# -- the ranking workbook -------------------------------------------------------------------
def ranking_xlsx(svc: Services, ranked: list[RankedProject], lang: str) -> bytes:
    from openpyxl import Workbook  # here: openpyxl slows the bot's start

    t = svc.catalog.t
    items = [i for c in svc.rubric.criteria for i in c.items]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(t("handover.ranking_sheet", lang))
    ws.freeze_panes = "E2"
    header = [t(f"handover.col_{k}", lang) for k in (
        "place", "selected", "id", "project", "organization", "uscc", "district",
        "verified", "claimed", "eligible", "issues", "tie")]
    for item in items:
        label = local(item.label, lang)
        header += [t("handover.col_item_claimed", lang, item=label),
                   t("handover.col_item_verified", lang, item=label)]
    header += [t(f"handover.col_{k}", lang) for k in ("verdicts", "honours", "recommended",
                                                      *MONEY)]
    append_row(ws, header)
    sep = t("ask.list_sep", lang)
    for rp in ranked:
        r, book = rp.row, rp.ledger
        points = rp.detail.items
        row = [r.place or t("handover.apart", lang), "⭐" if r.selected else "", r.project_id,
               r.name, r.organization, r.uscc, r.district, r.verified_total, r.claimed_total,
               t("walk.yes" if r.eligible else "walk.no", lang),
               "；".join(local(message, lang) for message in rp.detail.issues),
               t(f"decide.tie_{r.separated_by}", lang) if r.separated_by else ""]
        for item in items:
            row += list(points.get(item.id, (0, 0)))
        row += ["\n".join(rp.detail.opinions),
                sep.join(_level(svc, h, lang) for h in book.honours),
                sep.join(_level(svc, h, lang) for h in book.recommended),
                *money_cells(book.balance)]
        append_row(ws, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def ranking_file(svc: Services, user_id: int, lang: str,
                       district: str | None = None) -> tuple[bytes, int]:
    ranked = await ranking(svc, user_id, district=district)
    return await asyncio.to_thread(ranking_xlsx, svc, ranked, lang), len(ranked)


# -- the ledger workbook --------------------------------------------------------------------
def ledger_xlsx(svc: Services, books: list[ledgers.ProjectLedger], lang: str) -> bytes:
    from openpyxl import Workbook

    t = svc.catalog.t
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(t("handover.ledger_sheet", lang))
    append_row(summary, [t(f"handover.col_{k}", lang) for k in (
        "id", "project", "organization", "uscc", "district", "honours", "highest", *MONEY)])
    rows = wb.create_sheet(t("handover.rows_sheet", lang))
    append_row(rows, [t(f"handover.col_{k}", lang) for k in (
        "id", "project", "number", "date", "kind", "level", "awarded", "amount", "payer",
        "note", "reverses", "recorded_by")])
    sep = t("ask.list_sep", lang)
    for book in books:
        b = book.balance
        append_row(summary, [book.project_id, book.name, book.organization, book.uscc,
                             book.district, sep.join(_level(svc, h, lang) for h in book.honours),
                             _level(svc, b.highest, lang), *money_cells(b)])
        numbers = {x.id: x.number for x in book.lines}
        for x in book.lines:
            append_row(rows, [book.project_id, book.name, x.number, x.on_date.isoformat(),
                              t(f"handover.kind_{x.kind}", lang), _level(svc, x.level, lang),
                              "" if x.awarded is None else t(
                                  "walk.yes" if x.awarded else "walk.no", lang),
                              x.amount or "", x.payer, x.note,
                              numbers.get(x.reverses, "") if x.reverses else "",
                              x.recorded_by or ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def ledger_file(svc: Services, user_id: int, lang: str) -> tuple[bytes, int]:
    books = await ledgers.ledger(svc, user_id)
    return await asyncio.to_thread(ledger_xlsx, svc, books, lang), len(books)


# -- the dossier ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Dossier:
    project_id: int
    name: str
    data: bytes
    files: int  # evidence files in it
    names: tuple[str, ...]  # every name in the ZIP


def evidence_names(svc: Services, files: list[FileView]) -> list[str]:
    """Each file's name in the ZIP: criterion / item (kind) / n_original name."""
    criteria = {i.id: (n, c) for n, c in enumerate(svc.rubric.criteria, 1) for i in c.items}
    seen: dict[str, int] = {}
    out = []
    for f in files:
        n, criterion = criteria[f.item_id]
        item = svc.rubric.item(f.item_id)
        folder = f"{n:02d}_{safe_name(local(criterion.label, 'zh'))}"
        stem = safe_name(local(item.label, "zh")) + (f"_{safe_name(f.kind)}" if f.kind else "")
        seen[stem] = seen.get(stem, 0) + 1
        original = Path(safe_name(f.file_name or "file", 80))
        suffix = safe_name(f.suffix, 10) if f.suffix else original.suffix.lstrip(".")
        body = safe_name(original.stem, 40)
        out.append(f"证明材料/{folder}/{stem}_{seen[stem]:02d}_{body}"
                   + (f".{suffix.lstrip('.')}" if suffix else ""))
    return out


def summary_pdf(svc: Services, facts: dict) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = f"CJK {svc.cjk_font}"  # the configured font, embedded (TrueType outlines only)
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(require_font(svc.cjk_font)), subfontIndex=0))
    t = svc.catalog.t
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15,
                          wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=13, leading=20, spaceBefore=8)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24)

    def p(text: str, style=body) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    story = [p(t("handover.pdf_title", "zh", id=facts["id"], name=facts["name"]), title),
             p(t("handover.pdf_org", "zh", organization=facts["organization"],
                 uscc=facts["uscc"], district=facts["district"]))]
    story += [p(t("handover.pdf_scores", "zh"), head)]
    table = [[p(t(f"handover.col_{k}", "zh")) for k in ("criterion", "item", "claimed",
                                                         "verified", "max")]]
    table += [[p(a), p(b), c, d, e] for a, b, c, d, e in facts["items"]]
    table.append([p(t("handover.col_total", "zh")), "", facts["claimed"], facts["verified"],
                  facts["max"]])
    grid = Table(table, colWidths=[90, 200, 50, 50, 50], repeatRows=1)
    grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font),
                              ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                              ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [grid, p(t("handover.pdf_eligibility", "zh"), head),
              p(t("walk.yes" if facts["eligible"] else "walk.no", "zh"))]
    story += [p("· " + issue) for issue in facts["issues"]]
    story += [p(t("handover.pdf_entries", "zh"), head)]
    story += [p("· " + line) for line in facts["entries"]] or [p(t("decide.none", "zh"))]
    story += [p(t("handover.pdf_verdicts", "zh"), head)]
    story += [p("· " + v) for v in facts["verdicts"]] or [p(t("decide.none", "zh"))]
    story += [p(t("handover.pdf_trail", "zh"), head)]
    story += [p("· " + line) for line in facts["trail"]] or [p(t("decide.none", "zh"))]
    story += [Spacer(1, 8), p(t("handover.pdf_files", "zh", count=len(facts["files"])), head)]
    story += [p(name) for name in facts["files"]]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=f"#{facts['id']}",
                      leftMargin=40, rightMargin=40).build(story)
    return buf.getvalue()


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


async def dossier(svc: Services, user_id: int, project_id: int) -> Dossier:
    """Reviewers and administrators: a project's evidence and its summary, as a ZIP."""
    async with svc.uow() as uow:
        await may_rank(svc, uow, user_id)
        loaded = await load(uow, svc, user_id, project_id)
        rows = ledgers.group(await uow.ledger.of_projects([project_id]))
    book = ledgers.build(svc, loaded.project, loaded.organization, rows.get(project_id, []))
    claimed = loaded.view()
    verified = verified_report(loaded, claimed)
    names = evidence_names(svc, list(loaded.files))
    contents = [(name, svc.evidence.get(loaded.project.organization_id, project_id,
                                        f.sha256, f.suffix))
                for name, f in zip(names, loaded.files, strict=True)]
    v_points = {i.id: i.points for c in verified.criteria for i in c.items}
    labels = {c.id: local(c.label, "zh") for c in svc.rubric.criteria}
    items = [(labels[c.id], local(svc.rubric.item(i.id).label, "zh"), i.points,
              v_points.get(i.id, 0), i.max)
             for c in claimed.report.criteria for i in c.items]
    facts = {"id": project_id, "name": claimed.name, "organization": book.organization,
             "uscc": book.uscc, "district": book.district, "items": items,
             "claimed": claimed.report.total, "verified": verified.total,
             "max": claimed.report.max, "eligible": verified.eligible,
             "issues": [local(i.message, "zh") for i in verified.issues],
             "verdicts": verdicts(svc, loaded, claimed), "entries": entry_lines(svc, loaded),
             "trail": audit.history_text(svc, await audit.project_history(svc, project_id),
                                         "zh"), "files": names}
    pdf = await asyncio.to_thread(summary_pdf, svc, facts)
    summary = f"{project_id}_{safe_name(claimed.name, 40)}_汇总.pdf"
    data = await asyncio.to_thread(_zip, [(summary, pdf), *contents])
    return Dossier(project_id, claimed.name, data, len(contents), (summary, *names))


def entry_lines(svc: Services, loaded) -> list[str]:
    """Each media report and exchange with its level, date and link (for a report found
    online, its link is its only proof)."""
    t, rubric = svc.catalog.t, svc.rubric
    out = []
    for e in loaded.entries:
        item = rubric.item(e.item_id)
        level = getattr(item.rule, "levels", {}).get(e.level)
        out.append(t("handover.entry_line", "zh", item=local(item.label, "zh"), title=e.title,
                     level=local(level.label, "zh") if level else e.level,
                     date=e.happened_on.isoformat() if e.happened_on else "—",
                     link=t("handover.entry_link", "zh", link=e.link) if e.link else ""))
    return out


def verdicts(svc: Services, loaded, view) -> list[str]:
    """Each evidence target's verdict with its reason, in checklist order (issue 11)."""
    return verdict_lines(svc, loaded, view.outcomes, "zh", view.targets)
