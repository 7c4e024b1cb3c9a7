"""An administrator sends an .xlsx or .csv of organisations with the caption /orgimport
(`check`: only check; `good`: register the good rows even when others are bad)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.error import TelegramError

from handlers.common import Context, Who, for_admins, reply
from services.errors import UnreadableFile
from services.people.org_import import import_organizations, report_lines

LIMIT = 3500  # one message of Telegram's 4096 characters


@for_admins
async def upload(update: Update, context: Context, w: Who) -> None:
    doc = update.message.document
    words = (update.message.caption or "").split()[1:]
    await reply(update, w.t("decide.working"))
    try:
        data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
    except TelegramError as exc:
        await reply(update, w.t("walk.downloading_failed", problem=escape(str(exc))))
        return
    name = doc.file_name or "organisations"
    try:
        report = await import_organizations(w.svc, data, name, dry_run="check" in words,
                                            good_only="good" in words,
                                            created_by=w.account.user_id)
    except UnreadableFile:
        await reply(update, w.t("orgimport.unreadable", name=escape(name)) + "\n"
                    + w.t("orgimport.usage"))
        return
    text = "\n".join(escape(line) for line in report_lines(w.svc, report, w.lang))
    while text:  # long reports in several messages
        cut = text.rfind("\n", 0, LIMIT) if len(text) > LIMIT else len(text)
        cut = cut if cut > 0 else LIMIT
        await reply(update, text[:cut])
        text = text[cut:].lstrip("\n")
