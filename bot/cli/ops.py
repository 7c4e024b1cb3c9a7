"""`python -m bot health | backup | restore`: operating the bot (docs/deploy.md).

health   one line of JSON; exit 0 healthy, 1 not
check    one line per part the bot needs (database, migrations, proxy, Bot API, webhook):
         those reached on stdout, each unreachable one on stderr; exit 0 all reached, 1 not
backup   exit 0 done; 2 the folder is not empty; 1 anything else (named on stderr), such as
         a --log file whose folder is missing (checked first: nothing is backed up then)
Besides the database a backup holds EVIDENCE_DIR and the added policy documents
($UNIONBOT_DOCS_DIR, default var/policies). Every run, done or failed, is recorded in
BACKUP_STATUS_FILE (the bot's metrics read the last success's time from it) and, with --log,
appended to that file as one line; --keep-days N then removes the backups beside it older
than N days.

restore  exit 0 done, every hash verified; 2 a target is not empty (or another database
         kind); 1 a damaged or missing file (named), or the database cannot be reached
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from pathlib import Path

from bot.cli.check import check
from bot.settings import Settings
from domain.errors import InputError
from services import health
from store.backup import BackupError, append_log, backup, check_log_folder, prune, restore
from store.datafiles import load_catalog
from store.health import read_heartbeat, write_heartbeat

REFUSALS = {"out_not_empty", "database_not_empty", "folder_not_empty", "backend",
            "backend_mismatch"}  # exit 2: the command was pointed at the wrong place


def check_webhook_url(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise InputError("--webhook", "webhook_url")
    return url


def cmd_health(args: argparse.Namespace) -> int:
    settings = Settings()
    report = asyncio.run(health.from_outside(
        settings.database_url, settings.heartbeat_file,
        max_age=3 * settings.heartbeat_seconds, now=time.time(), host=socket.gethostname()))
    print(json.dumps(report.to_dict(), ensure_ascii=False))
    return 0 if report.healthy else 1


def cmd_check(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.token:
        raise InputError("TELEGRAM_BOT_TOKEN", "token_missing")
    cat = load_catalog()
    failed = 0
    for part in asyncio.run(check(settings)):
        text = cat.t(f"check.{part.state}", args.lang, part=part.name, detail=part.detail,
                     what=cat.t(f"check.what.{part.name}", args.lang))
        print(text, file=sys.stderr if part.state == "failed" else sys.stdout)
        failed += part.state == "failed"
    return 1 if failed else 0


def _summary(key: str, args: argparse.Namespace, summary) -> str:
    text = load_catalog().t(key, args.lang, path=summary.directory, backend=summary.backend,
                            revision=summary.revision, files=summary.files,
                            bytes=summary.bytes)
    print(text)
    return text


def _refusal(args: argparse.Namespace, error) -> str:
    return load_catalog().t(f"backup.error.{error.code}", args.lang, detail=error.detail)


def _refused(args: argparse.Namespace, error) -> int:
    print(_refusal(args, error), file=sys.stderr)
    return 2 if error.code in REFUSALS else 1


def _folders(settings) -> dict[str, Path]:
    """The folders a backup holds besides the database, by their names in it."""
    from store.documents import docs_dir

    return {"evidence": settings.evidence_dir, "policies": docs_dir()}


def _record(status_file: Path, now: float, error: str | None = None) -> None:
    """The run in BACKUP_STATUS_FILE: done or failed, and when the last one was done."""
    last = now if error is None else (read_heartbeat(status_file) or {}).get("last_success_at")
    try:
        write_heartbeat(status_file, {"ok": error is None, "at": now, "error": error,
                                      "last_success_at": last})
    except OSError as exc:
        raise InputError("BACKUP_STATUS_FILE", "cannot_write", path=str(status_file),
                         problem=exc.strerror or str(exc)) from exc


def cmd_backup(args: argparse.Namespace) -> int:
    settings = Settings()
    log = Path(args.log) if args.log else None
    out = Path(args.out)
    try:
        if log is not None:
            check_log_folder(log)
        summary = asyncio.run(backup(settings.database_url, _folders(settings), out))
    except BackupError as error:
        _record(settings.backup_status_file, time.time(), error.code)
        if log is not None and error.code != "log_folder":
            append_log(log, _refusal(args, error), time.time())
        return _refused(args, error)
    _record(settings.backup_status_file, time.time())
    lines = [_summary("cli.backup_done", args, summary)]
    if args.keep_days is not None:
        for old in prune(out.parent, args.keep_days, time.time(), keep=out):
            lines.append(load_catalog().t("cli.backup_pruned", args.lang, path=old))
            print(lines[-1])
    if log is not None:
        append_log(log, " | ".join(lines), time.time())
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        summary = asyncio.run(restore(Path(args.dir), settings.database_url,
                                      _folders(settings)))
    except BackupError as error:
        return _refused(args, error)
    _summary("cli.restore_done", args, summary)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("health", help="is the running bot healthy? one line of JSON; exit 0/1")
    p.set_defaults(func=cmd_health)
    p = sub.add_parser("check", help="can the bot reach its database, migrations, proxy, "
                                     "Bot API and webhook? one line each; exit 0/1")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("backup", help="snapshot the database and the evidence files, with a "
                                      "manifest of their SHA-256")
    p.add_argument("--out", required=True, help="a new (or empty) folder for the backup")
    p.add_argument("--log", default=None, metavar="FILE",
                   help="append the outcome to FILE; its folder must exist (checked first)")
    p.add_argument("--keep-days", type=float, default=None, metavar="N",
                   help="after a good backup, remove the backups beside it older than N days")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup into an empty database and evidence "
                                       "folder, verifying every SHA-256")
    p.add_argument("dir", help="the backup folder (with manifest.json)")
    p.set_defaults(func=cmd_restore)
