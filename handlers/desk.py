"""The reviewers' desk: the queue, a project's verdicts, returning it, and the history of
every project (/history N). Each handler parses, calls one service, renders."""

from __future__ import annotations

import json
from html import escape

from telegram import Update

from handlers.common import Context, Who, reply, who
from services import audit


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def history_line(w: Who, entry: audit.AuditView) -> str:
    change = ""
    if entry.old is not None or entry.new is not None:
        change = w.t("audit.change", old=escape(_value(entry.old)),
                     new=escape(_value(entry.new)))
    reason = w.t("audit.reason", reason=escape(entry.reason)) if entry.reason else ""
    return w.t("audit.line", at=entry.at.strftime("%Y-%m-%d %H:%M"),
               actor=entry.actor_id if entry.actor_id is not None else "—",
               action=w.t(f"audit.action_{entry.action}"), subject=escape(entry.subject),
               change=change, reason=reason)


async def history(update: Update, context: Context) -> None:
    """/history N: one project's audit log."""
    w = await who(update, context)
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await reply(update, w.t("audit.usage"))
        return
    try:
        entries = await audit.history(w.svc, w.account.user_id, int(args[0]))
    except audit.NoHistory:
        await reply(update, w.t("audit.not_yours"))
        return
    if not entries:
        await reply(update, w.t("audit.empty"))
        return
    lines = [w.t("audit.title", id=int(args[0]))]
    lines += [history_line(w, e) for e in entries[-40:]]  # within Telegram's 4096 characters
    await reply(update, "\n".join(lines))
