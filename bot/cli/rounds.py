"""`python -m bot round …`: evaluation rounds from the command line."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli import assign as cli_assign
from bot.cli.org import _run, record_id
from domain.dates import date_field, datetime_field
from domain.errors import InputError
from services.schedule import rounds
from store.datafiles import load_catalog


def _round_json(r) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "level": r.level, "year": r.year,
            "opens_on": r.opens_on.isoformat(), "deadline_at": r.deadline_at.isoformat(),
            "recommended_on": r.recommended_on.isoformat()}


def _print(args: argparse.Namespace, view) -> None:
    if args.json:
        print(json.dumps(_round_json(view), ensure_ascii=False))
    else:
        print(load_catalog().t("cli.round_line", args.lang, id=view.id, name=view.name,
                               level=view.level,
                               deadline=view.deadline_at.strftime("%Y-%m-%d %H:%M"),
                               recommended=view.recommended_on.isoformat()))


def cmd_add(args: argparse.Namespace) -> int:
    opens = date_field(args.opens, "--opens")
    deadline = datetime_field(args.deadline, "--deadline")
    recommended = date_field(args.recommended, "--recommended")
    view = _run(lambda svc: rounds.create_round(
        svc, name=args.name, level=args.level, year=args.year, opens_on=opens,
        deadline_at=deadline, recommended_on=recommended, reviews_required=args.reviews))
    _print(args, view)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    views = _run(rounds.rounds)
    if args.json:
        print(json.dumps([_round_json(v) for v in views], ensure_ascii=False))
    else:
        for view in views:
            _print(args, view)
    return 0


def cmd_deadline(args: argparse.Namespace) -> int:
    deadline = datetime_field(args.deadline, "--deadline")
    view = _run(lambda svc: rounds.change_deadline(svc, args.id, deadline))
    _print(args, view)
    return 0


def cmd_extend(args: argparse.Namespace) -> int:
    until = datetime_field(args.until, "--until")

    async def extend(svc) -> None:  # noqa: ANN001
        admin = next(iter(svc.admin_ids), None)
        if admin is None:
            raise InputError("ADMIN_IDS", "admin_needed")
        await rounds.extend(svc, admin, args.id, args.org, until)

    _run(extend)
    print(load_catalog().t("round.extended", args.lang, org=args.org,
                           until=until.strftime("%Y-%m-%d %H:%M")))
    return 0


def register(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("round", help="evaluation rounds: add, list, deadline, extend")
    rs = p.add_subparsers(dest="round_command", required=True, parser_class=parser_class)

    p = rs.add_parser("add", help="create a round; reminders are planned for all staff")
    p.add_argument("--name", required=True)
    p.add_argument("--level", required=True, help="city, provincial or national")
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--opens", required=True, help="submissions open, YYYY-MM-DD")
    p.add_argument("--deadline", required=True, help='"YYYY-MM-DD HH:MM", Asia/Shanghai')
    p.add_argument("--recommended", required=True, help="recommendation date, YYYY-MM-DD")
    p.add_argument("--reviews", type=int, choices=(1, 2), default=1,
                   help="independent reviews each project needs (default 1)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_add)

    p = rs.add_parser("list", help="every round, latest deadline first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = rs.add_parser("deadline", help="move a round's deadline (reminders are replanned)")
    p.add_argument("id", type=record_id)
    p.add_argument("--deadline", required=True, help='"YYYY-MM-DD HH:MM"')
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_deadline)

    cli_assign.register_round(rs)

    p = rs.add_parser("extend", help="extend a round's deadline for one organisation")
    p.add_argument("id", type=record_id)
    p.add_argument("--org", required=True, type=record_id, help="organisation id")
    p.add_argument("--until", required=True, help='"YYYY-MM-DD HH:MM"')
    p.set_defaults(func=cmd_extend)
