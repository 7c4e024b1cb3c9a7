"""`python -m bot assign auto|add|move|list`, `python -m bot progress` and
`python -m bot round review-deadline`: reviewers' work assigned and followed from the
command line (the operator acts as an administrator). As the other command-line modules,
the services load when a command runs, not when the parser is built."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from bot.cli.org import _run, record_id
from bot.settings import Settings
from domain.dates import datetime_field
from domain.errors import InputError
from services.desk import assignments
from store.datafiles import load_catalog


def _print_assigned(args: argparse.Namespace, done) -> None:  # noqa: ANN001
    if args.json:
        print(json.dumps({
            "added": [{"project": a.project_id, "reviewer": a.reviewer_id} for a in done.added],
            "removed": [{"project": a.project_id, "reviewer": a.reviewer_id}
                        for a in done.removed],
            "unassigned": list(done.unassigned)}, ensure_ascii=False))
        return
    cat = load_catalog()
    print(cat.t("cli.assigned", args.lang, count=len(done.added)))
    for a in done.added:
        print(cat.t("cli.assign_line", args.lang, id=a.project_id, name=a.project_name,
                    reviewer=a.reviewer_name, reviewer_id=a.reviewer_id))
    if done.unassigned:
        print(cat.t("cli.unassigned", args.lang,
                    ids=", ".join(str(p) for p in done.unassigned)))


def cmd_auto(args: argparse.Namespace) -> int:
    _print_assigned(args, _run(lambda svc: assignments.assign_auto(svc, None)))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    _print_assigned(args, _run(lambda svc: assignments.assign(svc, None, args.project,
                                                              args.reviewer)))
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    _print_assigned(args, _run(lambda svc: assignments.reassign(
        svc, None, args.project, args.from_reviewer, args.to_reviewer)))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    found = _run(lambda svc: assignments.assignments(svc, None))
    if args.json:
        print(json.dumps([asdict(a) for a in found], ensure_ascii=False))
        return 0
    cat = load_catalog()
    for a in found:
        print(cat.t("cli.assign_line", args.lang, id=a.project_id, name=a.project_name,
                    reviewer=a.reviewer_name, reviewer_id=a.reviewer_id))
    return 0


def _counts(row) -> dict[str, int]:  # noqa: ANN001
    return {k: v for k, v in asdict(row).items() if k != "name"}


def cmd_progress(args: argparse.Namespace) -> int:
    report = _run(lambda svc: assignments.progress(svc, None))
    if args.chart is not None:
        png = assignments.progress_chart(report, load_catalog(), args.lang,
                                         font=Settings().cjk_font)
        try:
            Path(args.chart).write_bytes(png)
        except OSError as exc:  # a missing folder, no permission: one line
            raise InputError("--chart", "cannot_write", path=args.chart,
                             problem=exc.strerror or str(exc)) from exc
    if args.json:
        print(json.dumps({
            "round": report.round_name,
            "review_deadline": report.review_deadline.isoformat()
            if report.review_deadline else None,
            "total": _counts(report.total),
            "districts": [{"name": r.name, **_counts(r)} for r in report.districts],
            "reviewers": [{"name": r.name, **_counts(r)} for r in report.reviewers]},
            ensure_ascii=False))
        return 0
    cat = load_catalog()
    print(cat.t("cli.progress_header", args.lang))
    for r in (report.total, *report.districts, *report.reviewers):
        print("\t".join([r.name or cat.t("progress.total", args.lang),
                         *(str(v) for v in _counts(r).values())]))
    return 0


def cmd_review_deadline(args: argparse.Namespace) -> int:
    at = datetime_field(args.at, "--at")
    moment = _run(lambda svc: assignments.set_review_deadline(svc, None, args.id, at))
    print(load_catalog().t("assign.deadline_set", args.lang, round=args.id,
                           deadline=moment.strftime("%Y-%m-%d %H:%M")))
    return 0


def register(sub: argparse._SubParsersAction, parser_class: type) -> None:
    p = sub.add_parser("assign", help="assign projects to reviewers: auto, add, move, list")
    sa = p.add_subparsers(dest="assign_command", required=True, parser_class=parser_class)
    p = sa.add_parser("auto", help="balance the projects waiting for review over the "
                                   "reviewers who may review them")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_auto)
    p = sa.add_parser("add", help="assign one project to one reviewer")
    p.add_argument("project", type=record_id)
    p.add_argument("reviewer", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_add)
    p = sa.add_parser("move", help="reassign a project from one reviewer to another")
    p.add_argument("project", type=record_id)
    p.add_argument("from_reviewer", type=int)
    p.add_argument("to_reviewer", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_move)
    p = sa.add_parser("list", help="who reviews what in the round under review")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("progress", help="the review's progress per district and per reviewer")
    p.add_argument("--json", action="store_true")
    p.add_argument("--chart", default=None, help="also write the chart to this .png file")
    p.set_defaults(func=cmd_progress)


def register_round(rounds: argparse._SubParsersAction) -> None:
    p = rounds.add_parser("review-deadline", help="when reviewers are to have finished")
    p.add_argument("id", type=record_id)
    p.add_argument("--at", required=True, help='"YYYY-MM-DD HH:MM", Asia/Shanghai')
    p.set_defaults(func=cmd_review_deadline)
