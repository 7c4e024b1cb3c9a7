"""`python -m bot audit [--project N] [--json]` and `python -m bot reviewer add|list|remove`:
the reviewers' desk from the command line."""

from __future__ import annotations

import argparse
import json

from bot.cli.org import _run
from services import audit
from services.desk import reviewers
from store.datafiles import load_catalog


def _text(value: object) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def cmd_audit(args: argparse.Namespace) -> int:
    entries = _run(lambda svc: audit.log(svc, args.project))
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


def _scope(cat, lang: str, district: str | None) -> str:
    return district or cat.t("reviewer.city", lang)


def cmd_reviewer_add(args: argparse.Namespace) -> int:
    invite = _run(lambda svc: reviewers.appoint(svc, None, args.district))
    if args.json:
        print(json.dumps({"code": invite.code, "link": invite.link,
                          "district": invite.district}, ensure_ascii=False))
    else:
        cat = load_catalog()
        print(cat.t("cli.reviewer_invite", args.lang, scope=_scope(cat, args.lang,
                                                                   invite.district),
                    link=invite.link, code=invite.code))
    return 0


def cmd_reviewer_list(args: argparse.Namespace) -> int:
    found = _run(reviewers.reviewers)
    if args.json:
        print(json.dumps([{"id": r.user_id, "name": r.name, "district": r.district}
                          for r in found], ensure_ascii=False))
        return 0
    cat = load_catalog()
    for r in found:
        print(cat.t("cli.reviewer_line", args.lang, id=r.user_id, name=r.name,
                    scope=_scope(cat, args.lang, r.district)))
    return 0


def cmd_reviewer_remove(args: argparse.Namespace) -> int:
    gone = _run(lambda svc: reviewers.remove(svc, None, args.user))
    print(load_catalog().t("cli.reviewer_removed", args.lang, id=gone.user_id, name=gone.name))
    return 0


def register_reviewer(sub: argparse._SubParsersAction, parser_class: type) -> None:
    p = sub.add_parser("reviewer", help="reviewers: invite (city or one district), list, remove")
    rev = p.add_subparsers(dest="reviewer_command", required=True, parser_class=parser_class)
    p = rev.add_parser("add", help="an invite link that makes its opener a reviewer")
    p.add_argument("--district", default=None, help="scope: one district (default: the city)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reviewer_add)
    p = rev.add_parser("list", help="the reviewers and their scope")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reviewer_list)
    p = rev.add_parser("remove", help="revoke a reviewer (by Telegram user id)")
    p.add_argument("user", type=int)
    p.set_defaults(func=cmd_reviewer_remove)
