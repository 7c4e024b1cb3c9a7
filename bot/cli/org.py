"""`python -m bot org list|edit`: organisations from the command line (`org add` is in cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.app import build_services
from bot.settings import Settings
from domain.dates import date_field
from domain.errors import InputError
from domain.limits import record_id as _record_id
from domain.limits import user_id
from services.errors import UnreadableFile
from services.people.accounts import (
    edit_organization,
    issue_invite,
    members,
    organizations_page,
    remove_member,
    revoke_invite,
)
from services.people.org_import import import_organizations, report_lines
from services.walk.files import collect_garbage
from store.datafiles import load_catalog
from store.migrate import upgrade

T = TypeVar("T")


def record_id(text: str) -> int:
    """An id argument: a bad one is a one-line usage error (InputError is a ValueError)."""
    return _record_id(text, "ID")

# The service's field ids → the option that gives them (the stderr line names the option).
OPTIONS = {"name": "--name", "district": "--district", "established": "--established",
           "valid_until": "--valid-until", "uscc": "--uscc", "organization": "ID",
           "days": "--days", "member": "USER", "code": "CODE"}


def named_by_option(err: InputError) -> InputError:
    """The same error, naming the option that gave the field (`valid_until` → --valid-until)."""
    return InputError(OPTIONS.get(err.field, err.field), err.code, **err.params)


def _run(use: Callable[[Any], Awaitable[T]]) -> T:
    """Run a service against the configured database, and close its connections after."""
    settings = Settings()
    upgrade(settings.database_url)

    async def run() -> T:
        svc = build_services(settings)
        try:
            return await use(svc)
        finally:
            await svc.close()

    return asyncio.run(run())


def _org_json(o) -> dict[str, Any]:
    until = o.certificate_valid_until
    return {"id": o.id, "name": o.name, "uscc": o.uscc, "district": o.district,
            "established_on": o.established_on.isoformat(),
            "certificate_valid_until": until.isoformat() if until else None}


def _line(args: argparse.Namespace, o) -> str:
    until = o.certificate_valid_until
    return load_catalog().t("org.line", args.lang, id=o.id, name=o.name, uscc=o.uscc,
                            district=o.district, established=o.established_on.isoformat(),
                            valid_until=until.isoformat() if until else "—")


def cmd_list(args: argparse.Namespace) -> int:
    async def page(svc):
        district = svc.districts.resolve(args.district, "--district") if args.district else None
        return await organizations_page(svc, district=district, text=args.search,
                                        page=args.page, per_page=args.per_page)

    views, total = _run(page)
    if args.json:
        print(json.dumps([_org_json(o) for o in views], ensure_ascii=False))
        return 0
    for o in views:
        print(_line(args, o))
    pages = max(1, -(-total // args.per_page))
    print(load_catalog().t("org.page", args.lang, page=args.page, pages=pages, total=total))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path


    path = Path(args.file)

    async def run(svc):
        report = await import_organizations(svc, path.read_bytes(), path.name,
                                            dry_run=args.check, good_only=args.good_only)
        return report, report_lines(svc, report, args.lang)

    try:
        if not path.is_file():
            raise UnreadableFile(args.file)
        report, lines = _run(run)
    except UnreadableFile:
        print(load_catalog().t("orgimport.unreadable", args.lang, name=path.name),
              file=sys.stderr)
        return 2
    print("\n".join(lines))
    if report.missing or (report.bad and not (args.good_only and report.written)):
        return 2
    return 0  # --good-only: the good rows were registered, as asked (the bad ones listed)


def cmd_edit(args: argparse.Namespace) -> int:
    if all(v is None for v in (args.name, args.district, args.established, args.valid_until)):
        args.parser.error("nothing to change: give --name, --district, --established "
                          "or --valid-until")
    established = None if args.established is None else date_field(args.established,
                                                                    "--established")
    until = None if args.valid_until is None else date_field(args.valid_until, "--valid-until")
    view = _named(lambda svc: edit_organization(
        svc, args.id, name=args.name, district=args.district, established_on=established,
        valid_until=until))
    print(json.dumps(_org_json(view), ensure_ascii=False) if args.json else _line(args, view))
    return 0


def register(org: Any) -> None:
    """Add `list` and `edit` to the `org` subcommands."""
    p = org.add_parser("list", help="organisations, a page at a time: id, name, district, dates")
    p.add_argument("--district", default=None, help="only this district, e.g. 崂山区")
    p.add_argument("--search", default=None, help="only names or credit codes holding this")
    p.add_argument("--page", type=int, default=1, help="page number (from 1)")
    p.add_argument("--per-page", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = org.add_parser("import", help="register organisations from an .xlsx or .csv file; "
                                      "nothing is written while any row is bad")
    p.add_argument("file", help="the .xlsx or .csv (column names on the first line)")
    p.add_argument("--check", action="store_true", help="check only (a dry run)")
    p.add_argument("--good-only", action="store_true",
                   help="register the good rows even when others are bad")
    p.set_defaults(func=cmd_import)

    p = org.add_parser("edit", help="correct an organisation's facts (the credit code stays)")
    p.add_argument("id", type=record_id, help="organisation id (see org list)")
    p.add_argument("--name", default=None)
    p.add_argument("--district", default=None, help="e.g. 崂山区")
    p.add_argument("--established", default=None, help="founding date, YYYY-MM-DD")
    p.add_argument("--valid-until", default=None, help="certificate valid until, YYYY-MM-DD")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_edit, parser=p)


def _invite_line(args: argparse.Namespace, v) -> str:
    cat = load_catalog()
    until = v.expires_at.strftime("%Y-%m-%d %H:%M") if v.expires_at else "—"
    return cat.t("cli.invite_line", args.lang, code=v.code, organization=v.organization_id,
                 until=until, link=v.link,
                 single=cat.t("invite.single_mark", args.lang) if v.single_use else "",
                 lead=cat.t("invite.lead_mark", args.lang) if v.lead else "")


def _invite_json(v) -> dict[str, Any]:
    return {"code": v.code, "organization_id": v.organization_id, "link": v.link,
            "expires_at": v.expires_at.isoformat() if v.expires_at else None,
            "single_use": v.single_use, "lead": v.lead}


def _named(use: Callable[[Any], Awaitable[T]]) -> T:
    try:
        return _run(use)
    except InputError as err:
        raise named_by_option(err) from err


def cmd_invite(args: argparse.Namespace) -> int:
    view = _named(lambda svc: issue_invite(svc, args.id, days=args.days,
                                           single_use=args.single_use, lead=args.lead))
    print(json.dumps(_invite_json(view)) if args.json else _invite_line(args, view))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    view = _named(lambda svc: revoke_invite(svc, args.code))
    print(json.dumps(_invite_json(view)) if args.json else load_catalog().t(
        "invite.revoked", args.lang, code=view.code, organization=view.organization_name or ""))
    return 0


def cmd_members(args: argparse.Namespace) -> int:
    _, listed = _named(lambda svc: members(svc, None, args.id))
    cat = load_catalog()
    if args.json:
        print(json.dumps([{"id": m.user_id, "name": m.first_name, "username": m.username,
                           "role": m.role, "lead": m.lead} for m in listed],
                         ensure_ascii=False))
    else:
        for m in listed:
            print(cat.t("cli.member_line", args.lang, id=m.user_id, name=m.first_name,
                        role=m.role, lead=cat.t("members.lead_mark", args.lang) if m.lead
                        else ""))
    return 0


def cmd_remove_member(args: argparse.Namespace) -> int:
    _named(lambda svc: remove_member(svc, None, args.id, args.user))
    print(load_catalog().t("cli.member_removed", args.lang, id=args.user, organization=args.id))
    return 0


def user_id_arg(text: str) -> int:
    return user_id(text, "USER")


def register_members(org: Any) -> None:
    """`org invite|revoke|members|remove-member`: membership from the command line."""
    p = org.add_parser("invite", help="a new invite code (expires; --single-use: one person)")
    p.add_argument("id", type=record_id, help="organisation id (see org list)")
    p.add_argument("--days", type=int, default=None, help="days it works (default INVITE_DAYS)")
    p.add_argument("--single-use", action="store_true", help="one person may use it")
    p.add_argument("--lead", action="store_true", help="who joins leads the organisation")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_invite)

    p = org.add_parser("revoke", help="stop an invite code from working")
    p.add_argument("code")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_revoke)

    p = org.add_parser("members", help="an organisation's members")
    p.add_argument("id", type=record_id)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_members)

    p = org.add_parser("remove-member", help="take a member out of an organisation")
    p.add_argument("id", type=record_id, help="organisation id")
    p.add_argument("user", type=user_id_arg, help="the member's Telegram user id")
    p.set_defaults(func=cmd_remove_member)


def cmd_files_gc(args: argparse.Namespace) -> int:
    import datetime as dt


    gone = _run(lambda svc: collect_garbage(svc, dt.timedelta(minutes=args.grace_minutes)))
    print(load_catalog().t("cli.gc_done", args.lang, count=len(gone)))
    return 0


def register_files(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("files", help="evidence files on disk")
    fs = p.add_subparsers(dest="files_command", required=True, parser_class=parser_class)
    p = fs.add_parser("gc", help="delete the files no record points at (a crash's leftovers)")
    p.add_argument("--grace-minutes", type=int, default=60,
                   help="keep files younger than this (an upload may still be saving them)")
    p.set_defaults(func=cmd_files_gc)
