"""`python -m bot` / `unionbot`: the command line.

Every subcommand prints its result on stdout and exits 0; bad input exits 2
with one line on stderr naming the field and the problem, and nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from domain.errors import InputError
from domain.i18n import DEFAULT_LANG
from domain.report import score_lines, subsidy_lines
from domain.scoring import read_submission, score
from domain.subsidy import compute_subsidy
from services.clock import SystemClock
from store.datafiles import DATA_DIR, load_catalog, load_rubric, load_subsidy_table

EXAMPLE = DATA_DIR / "examples" / "submission.json"


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
    honours = [h.strip() for h in args.honours.split(",") if h.strip()]
    result = compute_subsidy(table, honours, _parse_amount(args.paid), args.district)
    if args.json:
        print(_dump(result.to_dict()))
    else:
        print("\n".join(subsidy_lines(result, table, load_catalog(), args.lang, args.district)))
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    """What `make run` runs: for now, the score report of the example submission."""
    args.file, args.json = str(EXAMPLE), False
    return cmd_score(args)


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

    p = sub.add_parser("start", help="what `make run` starts")
    p.set_defaults(func=cmd_start)
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
    except InputError as exc:
        problem = cat.t(f"input.{exc.code}", DEFAULT_LANG, **exc.params)
        print(cat.t("cli.error", DEFAULT_LANG, field=exc.field, problem=problem), file=sys.stderr)
        return 2
