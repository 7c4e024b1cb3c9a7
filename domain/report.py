"""Plain-text renderings of score and subsidy results (the bot adds HTML around them)."""

from __future__ import annotations

from collections.abc import Collection

from domain.i18n import Catalog, local
from domain.rubric import Rubric
from domain.scoring import ScoreReport
from domain.subsidy import SubsidyResult, SubsidyTable


def criterion_mark(points: int, max_points: int) -> str:
    return "✅" if points >= max_points else ("◐" if points > 0 else "⬜")


def score_lines(report: ScoreReport, rubric: Rubric, cat: Catalog, lang: str, *,
                open_items: Collection[str] | None = None) -> list[str]:
    """The score, issues and open points. `open_items`: the items that can still change
    (None: every item); the open points are only theirs, and none is suggested when
    nothing can change (a project submitted or verified)."""
    lines = [cat.t("report.title", lang, max=report.max)]
    for c in report.criteria:
        lines.append(cat.t("report.criterion_line", lang, mark=criterion_mark(c.points, c.max),
                           label=local(rubric.criterion(c.id).label, lang),
                           points=c.points, max=c.max))
    lines.append(cat.t("report.total", lang, total=report.total, max=report.max))
    lines.append(cat.t("report.eligible" if report.eligible else "report.not_eligible", lang))
    if report.issues:
        lines.append(cat.t("report.issues_title", lang))
        for issue in report.issues:
            lines.append(cat.t(f"report.issue_{issue.severity}", lang,
                               message=local(issue.message, lang)))
            if issue.fix:
                lines.append(cat.t("report.issue_fix", lang, fix=local(issue.fix, lang)))
    lines.append("")
    shown = [o for o in report.open_points if open_items is None or o.item_id in open_items]
    if open_items is not None and not open_items:
        lines.append(cat.t("report.open_locked", lang))
    elif shown:
        lines.append(cat.t("report.open_title", lang))
        for o in shown:
            lines.append(cat.t("report.open_line", lang,
                               label=local(rubric.item(o.item_id).label, lang),
                               action=local(o.action, lang), next_gain=o.next_gain, gain=o.gain))
    else:
        lines.append(cat.t("report.open_none", lang))
    return lines


def subsidy_lines(result: SubsidyResult, table: SubsidyTable, cat: Catalog, lang: str,
                  district: str | None = None) -> list[str]:
    if result.highest is None:
        lines = [cat.t("subsidy.none", lang)]
    else:
        lines = [cat.t("subsidy.result", lang,
                       highest=local(table.level(result.highest).label, lang),
                       entitled=result.entitled, paid=result.paid, due=result.due)]
    if district is not None and result.district_matching is not None:
        lines.append(cat.t("subsidy.district", lang, district=district,
                           amount=result.district_matching))
    lines.append(cat.t("subsidy.rule", lang, quote=table.source.get("quote", ""),
                       source=table.source.get("section", "")))
    return lines
