"""The reviewers' export: submitted projects ranked, per criterion, as an Excel workbook."""

from __future__ import annotations

import io

from domain.i18n import local
from services import project_view as sub
from services.core import Services


async def ranking_workbook(svc: Services, user_id: int, lang: str = "zh",
                           everything: bool = False) -> tuple[bytes, int]:
    """XLSX bytes and the number of projects. Submitted projects only, unless `everything`.
    Raises project_view.NotMember for anyone but reviewers and administrators."""
    from openpyxl import Workbook  # imported here: openpyxl (and numpy) slow the bot's start
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    views = await sub.submitted_projects(svc, user_id, include_drafts=everything)
    organizations = await sub.organization_names(svc)
    t = svc.catalog.t
    wb = Workbook()
    ws = wb.active
    ws.title = t("export.sheet", lang)
    criteria = svc.rubric.criteria
    header = [t("export.rank", lang), t("export.project", lang), t("export.organization", lang),
              t("export.status", lang)]
    header += [f"{local(c.label, lang)}（{c.max}）" for c in criteria]
    header += [t("export.total", lang), t("export.eligible", lang), t("export.issues", lang)]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for rank, v in enumerate(views, 1):
        row = [rank, v.name, organizations.get(v.organization_id, ""),
               t(f"bot.status_{v.status}", lang)]
        row += [c.points for c in v.report.criteria]
        row += [v.report.total, t("walk.yes" if v.report.eligible else "walk.no", lang),
                "；".join(local(i.message, lang) for i in v.report.issues)]
        ws.append(row)
        for cell in ws[ws.max_row]:  # user text is text: "=HYPERLINK(…)" is no formula here
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for col, width in enumerate([6, 30, 30, 12] + [10] * len(criteria) + [8, 8, 60], 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "C2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), len(views)
