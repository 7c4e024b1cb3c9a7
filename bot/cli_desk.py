"""`python -m bot audit [--project N] [--json]` and `python -m bot reviewer add|list|remove`:
the reviewers' desk from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from store.datafiles import load_catalog


def _services() -> Any:
    from bot.app import build_services
    from bot.settings import Settings
    from store.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    return build_services(settings)


def _text(value: object) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def cmd_audit(args: argparse.Namespace) -> int:
    from services import audit

    svc = _services()
    entries = asyncio.run(audit.log(svc, args.project))
    asyncio.run(svc.close())
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False))
        return 0
    cat = load_catalog()
    for e in entries:
        print(cat.t("cli.audit_line", args.lang, id=e.id, at=e.at.strftime("%Y-%m-%d %H:%M"),
                    actor=_text(e.actor_id), action=cat.t(f"audit.action_{e.action}", args.lang),
                    project=_text(e.project_id), subject=e.subject, old=_text(e.old),
                    new=_text(e.new), reason=e.reason))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the audit log: every state change, in order")
    p.add_argument("--project", type=int, default=None, help="one project's entries")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_audit)
