"""`python -m bot` / `unionbot`: the command line.

Every subcommand prints its result on stdout and exits 0; bad input exits 2
with one line on stderr naming the field and the problem, and nothing on stdout.
What the bot cannot reach is one line on stderr too (what failed, what was tried, what to
check), never a traceback, with its own exit status (bot/runtime/failures.py):

    0 done    1 a check failed / unhealthy    2 bad input or setting
    3 database unreachable    4 migrations failed    5 Telegram's Bot API unreachable
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from bot.cli import ask as cli_ask
from bot.cli import assign as cli_assign
from bot.cli import decide as cli_decide
from bot.cli import desk as cli_desk
from bot.cli import ops as cli_ops
from bot.cli import org as cli_org
from bot.cli import rounds as cli_round
from bot.cli import webdesk as cli_webdesk
from bot.runner import run, run_console, run_telegram
from bot.runtime.failures import EXIT_DATABASE, EXIT_MIGRATION, EXIT_TELEGRAM, TelegramUnreachable
from bot.runtime.webhook import checked_secret
from bot.settings import Settings
from domain.dates import date_field
from domain.errors import InputError
from domain.i18n import DEFAULT_LANG
from domain.report import score_lines, subsidy_lines
from domain.scoring import read_submission, score
from domain.subsidy import compute_subsidy
from services.clock import SystemClock
from services.people.accounts import create_organization
from store.datafiles import load_catalog, load_rubric, load_subsidy_table
from store.errors import DatabaseUnreachable, MigrationFailed
from store.migrate import upgrade


class UsageError(Exception):
    """Bad command-line words (not bad data)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise UsageError(message)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _read_json(source: str) -> Any:
    if source == "-":
        text = sys.stdin.read()
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(source, "no_file")
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, "not_json", problem=exc.msg) from exc


def cmd_score(args: argparse.Namespace) -> int:
    rubric = load_rubric()
    submission = read_submission(_read_json(args.file), rubric, SystemClock().today())
    report = score(rubric, submission)
    if args.json:
        print(_dump(report.to_dict(args.lang)))
    else:
        print("\n".join(score_lines(report, rubric, load_catalog(), args.lang)))
    return 0


def _parse_amount(text: str) -> int:
    cleaned = text.replace(",", "").replace("，", "").strip()
    if not cleaned.isdigit():
        raise InputError("--paid", "amount", value=text)
    return int(cleaned)


def cmd_subsidy(args: argparse.Namespace) -> int:
    table = load_subsidy_table()
    honours = [table.resolve(h) for h in args.honours.replace("，", ",").replace("、", ",")
               .split(",") if h.strip()]
    result = compute_subsidy(table, honours, _parse_amount(args.paid), args.district)
    if args.json:
        print(_dump(result.to_dict()))
    else:
        print("\n".join(subsidy_lines(result, table, load_catalog(), args.lang, args.district)))
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    """What `make run` runs: the bot on Telegram with a token, else the terminal chat."""
    return run()


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.token:
        raise InputError("TELEGRAM_BOT_TOKEN", "token_missing")
    if args.webhook:
        cli_ops.check_webhook_url(args.webhook)
        checked_secret(settings)
    return run_telegram(settings, args.webhook)


def cmd_console(args: argparse.Namespace) -> int:
    return run_console(Settings())


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    upgrade(Settings().database_url, args.revision)
    return 0


def _typed_date(text: str | None, field: str) -> dt.date | None:
    return None if text is None else date_field(text, field)


def cmd_org_add(args: argparse.Namespace) -> int:
    established = _typed_date(args.established, "--established")
    valid_until = _typed_date(args.valid_until, "--valid-until")
    org = cli_org._named(lambda svc: create_organization(
        svc, name=args.name, uscc=args.uscc, district=args.district,
        established_on=established, valid_until=valid_until))
    if args.json:
        print(_dump({"id": org.id, "name": org.name, "uscc": org.uscc, "district": org.district,
                     "invite_code": org.invite_code, "link": org.link}))
    else:
        print(load_catalog().t("cli.org_created", args.lang, name=org.name,
                               code=org.invite_code, link=org.link))
    return 0


def build_parser() -> Parser:
    parser = Parser(prog="unionbot", description="工会服务助手 unionbot")
    parser.add_argument("--lang", choices=("zh", "en"), default=DEFAULT_LANG,
                        help="language of the readable output (default zh)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("score", help="score a submission (JSON file, or - for stdin)")
    p.add_argument("file", help="JSON file per SPEC.md, or - to read stdin")
    p.add_argument("--json", action="store_true", help="print JSON instead of a report")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("subsidy", help="subsidy due for a project's honours (差额补齐)")
    p.add_argument("--honours", default="",
                   help="comma-separated honour levels held: national,provincial,city")
    p.add_argument("--paid", default="0", help="amount already paid, in yuan (default 0)")
    p.add_argument("--district", default=None, help="district whose matching standard applies")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_subsidy)

    p = sub.add_parser("start", help="what `make run` starts: Telegram with a token, else console")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("run", help="run the bot on Telegram (long polling); needs the token")
    p.add_argument("--webhook", metavar="URL", default=None,
                   help="webhook mode: Telegram POSTs updates to this public https URL")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("console", help="chat with the bot in this terminal (no Telegram needed)")
    p.set_defaults(func=cmd_console)

    p = sub.add_parser("db", help="database maintenance")
    db = p.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    p = db.add_parser("upgrade", help="apply migrations (Alembic)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("org", help="organisations")
    org = p.add_subparsers(dest="org_command", required=True, parser_class=Parser)
    p = org.add_parser("add", help="register an organisation; prints its invite code and link")
    p.add_argument("--name", required=True)
    p.add_argument("--uscc", required=True, help="统一社会信用代码 (18 characters)")
    p.add_argument("--district", required=True, help="e.g. 崂山区")
    p.add_argument("--established", required=True, help="founding date, YYYY-MM-DD")
    p.add_argument("--valid-until", default=None, help="certificate valid until, YYYY-MM-DD")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_org_add)
    cli_org.register(org)
    cli_org.register_members(org)

    cli_ask.register(sub)
    cli_decide.register(sub)
    cli_round.register(sub, Parser)
    cli_ops.register(sub)
    cli_org.register_files(sub, Parser)
    cli_desk.register(sub)
    cli_desk.register_reviewer(sub, Parser)
    cli_assign.register(sub, Parser)
    cli_webdesk.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    cat = load_catalog()
    try:
        args = build_parser().parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except UsageError as exc:
        print(cat.t("cli.usage_error", DEFAULT_LANG, problem=exc), file=sys.stderr)
        return 2
    except InputError as exc:  # also a setting in .env or the environment (bot/settings.py)
        key = exc.code if exc.code.startswith("ask.") else f"input.{exc.code}"  # bot/cli/ask.py
        problem = cat.t(key, DEFAULT_LANG, **exc.params)
        print(cat.t("cli.error", DEFAULT_LANG, field=exc.field, problem=problem), file=sys.stderr)
        return 2
    except DatabaseUnreachable as exc:
        print(cat.t("cli.failed.database", DEFAULT_LANG, address=exc.address, cause=exc.cause),
              file=sys.stderr)
        return EXIT_DATABASE
    except MigrationFailed as exc:
        print(cat.t("cli.failed.migration", DEFAULT_LANG, address=exc.address,
                    revision=exc.revision, head=exc.head, cause=exc.cause), file=sys.stderr)
        return EXIT_MIGRATION
    except TelegramUnreachable as exc:
        print(cat.t("cli.failed.telegram", DEFAULT_LANG, address=exc.address,
                    proxy=exc.proxy or "—", seconds=exc.seconds,
                    cause=exc.cause), file=sys.stderr)
        return EXIT_TELEGRAM
