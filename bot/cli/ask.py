"""`python -m bot ask` and `python -m bot docs`: policy questions, and the documents they
are answered from.

    python -m bot ask [--json] [-k N] QUESTION…
    python -m bot docs add FILE [--title … --date YYYY-MM-DD --number …]
    python -m bot docs list [--json]
    python -m bot docs remove ID

Module-level imports stay light: `python -m bot` imports this for every subcommand.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path
from typing import Any

from bot.cli.org import _run
from domain.errors import InputError
from domain.limits import record_id
from services.asking.own_data import round_deadlines
from services.asking.questions import gaps
from services.clock import SystemClock
from store.datafiles import load_catalog, load_rubric, load_subsidy_table

MAX_K = 20


def register(subparsers: Any) -> None:
    """Add the `ask` and `docs` subcommands to bot.cli's subparsers."""
    p = subparsers.add_parser("ask", help="answer a policy question from the documents")
    p.add_argument("question", nargs="*", help="the question, in your own words")
    p.add_argument("-k", default="3", help=f"how many results, 1–{MAX_K} (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON: {\"results\": [...]}")
    p.add_argument("--org", default=None,
                   help="an organisation's id: a deadline question gets its deadline "
                        "(with its extension)")
    p.set_defaults(func=cmd_ask)

    gaps = subparsers.add_parser("questions", help="the questions the answers did not serve")
    inner = gaps.add_subparsers(dest="questions_command", required=True,
                                parser_class=type(gaps))
    report = inner.add_parser("report", help="questions declined or marked 👎: the question, "
                                              "how often, what was answered, which organisations")
    report.add_argument("--since", default=None, help="from this day on, YYYY-MM-DD")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.set_defaults(func=cmd_questions_report)

    docs = subparsers.add_parser("docs", help="add, list or remove policy documents")
    inner = docs.add_subparsers(dest="docs_command", required=True, parser_class=type(docs))
    add = inner.add_parser("add", help="add a .txt, .md, .docx or .pdf document")
    add.add_argument("file", help="the document")
    add.add_argument("--title", default=None, help="its title (default: its first line)")
    add.add_argument("--date", default=None, help="its date, YYYY-MM-DD (default: today)")
    add.add_argument("--number", default="", help="its number, e.g. 青工〔2018〕21号")
    add.set_defaults(func=cmd_docs_add)
    listing = inner.add_parser("list", help="list the documents (id, date, passages, title)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_docs_list)
    remove = inner.add_parser("remove", help="remove an added document")
    remove.add_argument("id", help="the document's id (see docs list)")
    remove.set_defaults(func=cmd_docs_remove)


def _k(raw: str) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_K:
        raise InputError("-k", "ask.error.k", value=raw, max=MAX_K)
    return int(text)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# --------------------------------------------------------------------------- ask


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a question: a computed figure first where a rule gives one, then passages."""
    question = " ".join(args.question).strip()
    k = _k(args.k)
    if not question:
        raise InputError("QUESTION", "ask.error.empty_question")

    from domain.answers import answer, result_rows
    from domain.asking import own_intent
    from store.search_index import load_answer_rules, load_index, load_question_rules

    catalog = load_catalog()
    organization = None if args.org is None else record_id(args.org, "--org")
    if own_intent(question, load_question_rules()) == "deadline":
        return _round_answer(args, organization, catalog)
    result = answer(question, load_index(), load_rubric(), load_subsidy_table(), k,
                    rules=load_answer_rules())
    rows = result_rows(result, catalog, args.lang)
    if args.json:
        print(_dump({"results": [row.to_dict() for row in rows], "fallback": result.fallback}))
        return 0
    print("\n".join(_reply_lines(result, rows, catalog, args.lang)))
    return 0


def _round_answer(args: argparse.Namespace, organization: int | None, catalog: Any) -> int:
    """A deadline question, answered from the open rounds in the database (the
    organisation's extension with --org), standing alone: no passage after it."""
    own = _run(lambda svc: round_deadlines(svc, organization_id=organization))
    values = dict(own.values)
    if "rounds" in values:
        values["rounds"] = catalog.t("ask.list_sep", args.lang).join(
            catalog.t("own.deadline_item", args.lang, **r) for r in values["rounds"])
    text = catalog.t(own.key, args.lang, **values)
    as_of = own.as_of.strftime("%Y-%m-%d %H:%M") if own.as_of else ""
    if args.json:
        print(_dump({"own": {"intent": own.intent, "text": text, "as_of": as_of,
                             "values": own.values},
                     "results": [], "fallback": False}))
        return 0
    print(catalog.t("own.header_rounds", args.lang, as_of=as_of))
    print(text)
    return 0


def _reply_lines(result: Any, rows: list[Any], catalog: Any, lang: str) -> list[str]:
    from domain.answers import render_computed
    from domain.asking import contact_line

    t = catalog.t
    lines: list[str] = []
    if result.fallback:
        lines.append(t("ask.reply.not_found", lang))
    passages = rows
    if result.computed is not None:
        lines.append(t("ask.reply.computed", lang, text=render_computed(result.computed,
                                                                        catalog, lang)))
        if result.computed.passage is not None:
            lines.append(t("ask.reply.rests_on", lang))
            lines.append(f"   {result.computed.passage.text}")
            lines.append(t("ask.reply.source", lang, citation=rows[0].section))
        passages = rows[1:]
        if passages:
            lines.append(t("ask.reply.more", lang))
    for rank, row in enumerate(passages, start=1):
        lines.append(t("ask.reply.passage", lang, rank=rank, text=row.text))
        lines.append(t("ask.reply.source", lang, citation=row.section))
        if (dated := _past_date(row.text)) is not None:
            lines.append(t("ask.reply.dated", lang, date=dated.isoformat()))
    if result.fallback:
        from domain.asking import latest_contact
        from store.documents import all_documents
        from store.search_index import load_question_rules

        contact = latest_contact(all_documents(), load_question_rules())
        lines.append(contact_line(contact, catalog, lang))
    return lines


def _past_date(text: str) -> datetime.date | None:
    """The date a passage states, if it has passed (shown with it: not a current deadline)."""
    from domain.asking import past_date
    from store.search_index import load_question_rules

    return past_date(text, SystemClock().today(), load_question_rules())


# --------------------------------------------------------------------------- questions


def cmd_questions_report(args: argparse.Namespace) -> int:
    """The questions declined or marked 👎 (no person: the organisation only), most asked
    first: what staff ask that the documents do not answer."""
    since = None if args.since is None else _date(args.since, "--since")
    lines = _run(lambda svc: gaps(svc, since=since))
    if args.json:
        print(_dump({"questions": [
            {"question": line.question, "count": line.count, "kinds": list(line.kinds),
             "answered": list(line.answered), "organizations": list(line.organizations),
             "last_asked": line.last_asked.isoformat()} for line in lines]}))
        return 0
    cat = load_catalog()
    print(cat.t("cli.questions_header", args.lang, count=len(lines)))
    for line in lines:
        print(cat.t("cli.questions_line", args.lang, count=line.count, question=line.question,
                    answered="；".join(line.answered) or cat.t("ask.digest.none_answered",
                                                              args.lang),
                    organizations="、".join(line.organizations)
                    or cat.t("ask.digest.none_org", args.lang)))
    return 0


# --------------------------------------------------------------------------- docs


def _date(raw: str | None, option: str = "--date") -> datetime.date:
    if raw is None:
        return SystemClock().today()
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InputError(option, "ask.error.date", value=raw) from exc


def cmd_docs_add(args: argparse.Namespace) -> int:
    """Add a document; its passages answer questions from now on."""
    from store.documents import add_document
    from store.search_index import load_index

    if args.title is not None and not args.title.strip():
        raise InputError("--title", "ask.error.empty_title")
    document = add_document(Path(args.file), title=args.title, date=_date(args.date),
                            number=args.number.strip())
    load_index()  # tokenise it now, so that the next question is quick
    print(load_catalog().t("ask.docs.added", args.lang, id=document.id, title=document.title,
                           date=document.date.isoformat(), passages=len(document.passages)))
    return 0


def cmd_docs_list(args: argparse.Namespace) -> int:
    """The shipped documents, then the added ones."""
    from store.documents import list_documents

    listed = list_documents()
    if args.json:
        print(_dump({"documents": [
            {"id": item.document.id, "title": item.document.title,
             "number": item.document.number, "date": item.document.date.isoformat(),
             "passages": len(item.document.passages), "added": item.added}
            for item in listed]}))
        return 0
    cat = load_catalog()
    print(cat.t("ask.docs.header", args.lang))
    for item in listed:
        doc = item.document
        mark = "" if item.added else cat.t("ask.docs.seed_mark", args.lang)
        print(cat.t("ask.docs.line", args.lang, id=doc.id, date=doc.date.isoformat(),
                    passages=len(doc.passages), title=doc.title, mark=mark))
    return 0


def cmd_docs_remove(args: argparse.Namespace) -> int:
    """Remove an added document (the shipped ones stay)."""
    from store.documents import remove_document

    document = remove_document(args.id.strip())
    print(load_catalog().t("ask.docs.removed", args.lang, id=document.id, title=document.title))
    return 0
