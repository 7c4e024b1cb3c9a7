"""`python -m bot dossier N --out FILE`, `ranking --out FILE [--district D]`,
`ledger --out FILE`: what a reviewer hands upward, from the command line (as the first
administrator of ADMIN_IDS)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.org import _run
from bot.settings import Settings
from domain.errors import InputError
from services.decisions.handover import dossier, ledger_file, ranking_file
from services.errors import NotFound
from store.datafiles import load_catalog


def _admin() -> int:
    admins = Settings().admin_ids
    if not admins:
        raise InputError("ADMIN_IDS", "admin_needed")
    return admins[0]


def _write(args: argparse.Namespace, data: bytes, key: str, **values: object) -> int:
    try:
        Path(args.out).write_bytes(data)
    except OSError as exc:  # a missing folder, no permission: one line, not a traceback
        raise InputError("--out", "cannot_write", path=args.out,
                         problem=exc.strerror or str(exc)) from exc
    print(load_catalog().t(key, args.lang, path=args.out, **values))
    return 0


def cmd_dossier(args: argparse.Namespace) -> int:
    admin = _admin()
    try:
        d = _run(lambda svc: dossier(svc, admin, args.project))
    except NotFound:
        raise InputError("PROJECT", "unknown_choice", value=args.project,
                         choices="/ranking") from None
    return _write(args, d.data, "cli.dossier_written", id=d.project_id, files=d.files)


def cmd_ranking(args: argparse.Namespace) -> int:
    admin = _admin()

    async def build(svc):
        district = svc.districts.resolve(args.district, "--district") if args.district else None
        return await ranking_file(svc, admin, args.lang, district)

    data, count = _run(build)
    return _write(args, data, "cli.exported", count=count)


def cmd_ledger(args: argparse.Namespace) -> int:
    admin = _admin()
    data, count = _run(lambda svc: ledger_file(svc, admin, args.lang))
    return _write(args, data, "cli.exported", count=count)


def register(sub) -> None:
    p = sub.add_parser("dossier", help="a project's dossier: evidence files + summary PDF (ZIP)")
    p.add_argument("project", type=int, help="the project's number")
    p.add_argument("--out", required=True, help="the .zip file to write")
    p.set_defaults(func=cmd_dossier)
    for name in ("ranking", "export"):  # one ranking workbook, by either name
        p = sub.add_parser(name, help="the ranking on verified totals (claimed beside), item "
                                      "by item, with the reviewers' verdicts (.xlsx)")
        p.add_argument("--out", required=True, help="the .xlsx file to write")
        p.add_argument("--district", help="one district only")
        p.add_argument("--all", action="store_true",
                       help="kept for old scripts: the ranking holds every submitted project")
        p.set_defaults(func=cmd_ranking)
    p = sub.add_parser("ledger", help="the subsidy ledger: entitled, paid, due, rows (.xlsx)")
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_ledger)
