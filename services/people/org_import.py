"""Organisations at scale: a spreadsheet (.xlsx) or a .csv of organisations checked row by
row — the credit code's check digit, duplicates in the file and in the register, unknown
districts, dates — and registered all at once, each with its staff invite. Nothing is
written while any row is bad, unless the caller asks to register the good rows only."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass, field
from typing import Any

from domain.dates import date_field
from domain.errors import InputError
from domain.fields import field_label
from domain.uscc import check_uscc
from services import audit
from services.core import Services
from services.errors import UnreadableFile
from services.people.accounts import _check_dates, _org_name, new_invite_code
from store.models import Invite, Organization

# A column's header, in either language → the field it gives.
HEADERS = {
    "name": ("名称", "组织名称", "社会组织名称", "name"),
    "uscc": ("统一社会信用代码", "信用代码", "uscc", "credit code", "credit_code"),
    "district": ("区市", "所在区市", "district"),
    "established": ("成立日期", "established", "established_on"),
    "valid_until": ("证书有效期至", "有效期至", "valid_until", "certificate_valid_until"),
}
REQUIRED = ("name", "uscc", "district", "established")


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int  # as the file numbers it: the header is line 1
    error: InputError


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    bad: tuple[BadRow, ...]
    created: tuple[tuple[str, str], ...] = ()  # (name, invite code) of each registered
    written: bool = False
    missing: tuple[str, ...] = field(default=())  # required columns not found


def read_rows(data: bytes, file_name: str) -> list[list[str]]:
    """The file's rows as text cells (the header first)."""
    if file_name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise UnreadableFile(file_name) from exc
        return [["" if v is None else (v.date().isoformat() if hasattr(v, "date")
                                       and callable(v.date) else str(v)).strip()
                 for v in row] for row in sheet.iter_rows(values_only=True)]
    if file_name.lower().endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UnreadableFile(file_name)
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    raise UnreadableFile(file_name)


def _columns(header: list[str]) -> dict[str, int]:
    names = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
    return {names[h.strip().lower()]: i for i, h in enumerate(header)
            if h.strip().lower() in names}


def _check(svc: Services, cells: dict[str, str]) -> dict[str, Any]:
    established = date_field(cells.get("established", ""), "established")
    until_text = cells.get("valid_until", "")
    until = date_field(until_text, "valid_until") if until_text else None
    values = {"name": _org_name(cells.get("name", "")),
              "uscc": check_uscc(cells.get("uscc", ""), "uscc"),
              "district": svc.districts.resolve(cells.get("district", "")),
              "established_on": established, "certificate_valid_until": until}
    _check_dates(svc, established, until)
    return values


async def import_organizations(svc: Services, data: bytes, file_name: str, *,
                               dry_run: bool = False, good_only: bool = False,
                               created_by: int | None = None) -> ImportReport:
    rows = await asyncio.to_thread(read_rows, data, file_name)
    rows = [r for r in rows if any(r)]
    if not rows:
        return ImportReport(0, (), missing=REQUIRED)
    columns = _columns(rows[0])
    missing = tuple(k for k in REQUIRED if k not in columns)
    if missing:
        return ImportReport(len(rows) - 1, (), missing=missing)
    good: list[tuple[int, dict[str, Any]]] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], 2):
        cells = {k: (row[i] if i < len(row) else "") for k, i in columns.items()}
        try:
            values = _check(svc, cells)
        except InputError as err:
            bad.append(BadRow(line, err))
            continue
        if values["uscc"] in seen:
            bad.append(BadRow(line, InputError("uscc", "uscc_repeated", value=values["uscc"],
                                               line=seen[values["uscc"]])))
            continue
        seen[values["uscc"]] = line
        good.append((line, values))
    async with svc.uow() as uow:
        taken = await uow.organizations.taken_usccs(list(seen))
        bad += [BadRow(line, InputError("uscc", "uscc_taken", value=v["uscc"]))
                for line, v in good if v["uscc"] in taken]
        good = [(line, v) for line, v in good if v["uscc"] not in taken]
        bad.sort(key=lambda b: b.line)
        if dry_run or not good or (bad and not good_only):
            return ImportReport(len(rows) - 1, tuple(bad))
        orgs = [Organization(**v) for _, v in good]
        for org in orgs:
            uow.organizations.add(org)
        await uow.flush()
        codes = [new_invite_code() for _ in orgs]
        for org, code in zip(orgs, codes, strict=True):
            uow.invites.add(Invite(code=code, organization_id=org.id, role="staff",
                                   created_by=created_by))
        await audit.record(uow, svc, created_by, "organization", subject=file_name[:120],
                           old=None, new={"imported": len(orgs)})
        await uow.commit()
        return ImportReport(len(rows) - 1, tuple(bad),
                            tuple((o.name, c) for o, c in zip(orgs, codes, strict=True)), True)


def report_lines(svc: Services, report: ImportReport, lang: str) -> list[str]:
    """The report in words (plain text): the missing columns, or each bad row, then what
    was done."""
    t = svc.catalog.t
    if report.missing:
        labels = [field_label(k, svc.catalog, svc.rubric, lang) for k in report.missing]
        return [t("orgimport.missing", lang, columns=t("ask.list_sep", lang).join(labels))]
    lines = [t("orgimport.summary", lang, rows=report.rows, bad=len(report.bad))]
    lines += [t("orgimport.bad_line", lang, line=b.line,
                field=field_label(b.error.field, svc.catalog, svc.rubric, lang),
                problem=t(f"input.{b.error.code}", lang, **b.error.params))
              for b in report.bad]
    if report.written:
        lines.append(t("orgimport.written", lang, count=len(report.created)))
        lines += [t("orgimport.created", lang, name=n, code=c) for n, c in report.created]
    elif report.bad:
        lines.append(t("orgimport.nothing_written", lang))
    else:
        lines.append(t("orgimport.dry_run_ok", lang))
    return lines
