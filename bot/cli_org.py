"""`python -m bot org list|edit`: organisations from the command line (`org add` is in cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from domain.dates import date_field
from domain.errors import InputError
from domain.limits import record_id as _record_id
from store.datafiles import load_catalog

T = TypeVar("T")


def record_id(text: str) -> int:
    """An id argument: a bad one is a one-line usage error (InputError is a ValueError)."""
    return _record_id(text, "ID")

# The service's field ids → the option that gives them (the stderr line names the option).
OPTIONS = {"name": "--name", "district": "--district", "established": "--established",
           "valid_until": "--valid-until", "uscc": "--uscc", "organization": "ID"}


def named_by_option(err: InputError) -> InputError:
    """The same error, naming the option that gave the field (`valid_until` → --valid-until)."""
    return InputError(OPTIONS.get(err.field, err.field), err.code, **err.params)


def _run(use: Callable[[Any], Awaitable[T]]) -> T:
    """Run a service against the configured database, and close its connections after."""
    from bot.app import build_services
    from bot.settings import Settings
    from store.migrate import upgrade

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
    from services.accounts import organizations

    views = _run(organizations)
    if args.json:
        print(json.dumps([_org_json(o) for o in views], ensure_ascii=False))
    else:
        for o in views:
            print(_line(args, o))
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from services.accounts import edit_organization

    if all(v is None for v in (args.name, args.district, args.established, args.valid_until)):
        args.parser.error("nothing to change: give --name, --district, --established "
                          "or --valid-until")
    established = None if args.established is None else date_field(args.established,
                                                                    "--established")
    until = None if args.valid_until is None else date_field(args.valid_until, "--valid-until")
    try:
        view = _run(lambda svc: edit_organization(
            svc, args.id, name=args.name, district=args.district, established_on=established,
            valid_until=until))
    except InputError as err:
        raise named_by_option(err) from err
    print(json.dumps(_org_json(view), ensure_ascii=False) if args.json else _line(args, view))
    return 0


def register(org: Any) -> None:
    """Add `list` and `edit` to the `org` subcommands."""
    p = org.add_parser("list", help="every organisation: id, name, district, dates")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = org.add_parser("edit", help="correct an organisation's facts (the credit code stays)")
    p.add_argument("id", type=record_id, help="organisation id (see org list)")
    p.add_argument("--name", default=None)
    p.add_argument("--district", default=None, help="e.g. 崂山区")
    p.add_argument("--established", default=None, help="founding date, YYYY-MM-DD")
    p.add_argument("--valid-until", default=None, help="certificate valid until, YYYY-MM-DD")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_edit, parser=p)
