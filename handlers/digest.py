"""The weekly digest of question gaps for the administrators, in chat: the questions the
documents did not answer or that got 👎, how often, what was answered, which organisations
asked (no person).

Jobs follow rows: one periodic job asks the service whether a digest is due at the clock's
now (a week after the last one recorded in the database); the service records it before it
is sent, so restarts and several bot processes send it once.
"""

from __future__ import annotations

import logging
from html import escape

from telegram.error import TelegramError
from telegram.ext import Application

from domain.i18n import DEFAULT_LANG
from handlers.common import Context
from services.asking import questions
from services.asking.questions import Digest
from services.core import Services

log = logging.getLogger(__name__)

JOB = "question-digest"
CHECK_S = 3600.0  # how often the job asks whether a digest is due
SHOWN = 15  # questions listed in one digest


def render(svc: Services, digest: Digest, lang: str = DEFAULT_LANG) -> str:
    t = svc.catalog.t
    since = digest.since.strftime("%Y-%m-%d %H:%M") if digest.since is not None \
        else t("ask.digest.since_start", lang)
    lines = [t("ask.digest.header", lang, since=since,
               count=sum(line.count for line in digest.lines))]
    for line in digest.lines[:SHOWN]:
        lines.append(t("ask.digest.line", lang, question=escape(line.question), count=line.count,
                       answered=escape("；".join(line.answered))
                       or t("ask.digest.none_answered", lang),
                       organizations=escape("、".join(line.organizations))
                       or t("ask.digest.none_org", lang)))
    return "\n".join(lines)


async def send_due(app: Application) -> bool:
    """Send the digest to every administrator if one is due at the clock's now (what the
    job runs; tests with an injected clock call it directly). True when one went."""
    svc: Services = app.bot_data["services"]
    digest = await questions.due_digest(svc)
    if digest is None:
        return False
    text = render(svc, digest)
    for admin_id in sorted(svc.admin_ids):
        try:
            await app.bot.send_message(admin_id, text)
        except TelegramError:  # recorded as sent: the report stays on the command line
            log.warning("the question digest did not reach administrator %s", admin_id)
    return True


async def _tick(context: Context) -> None:
    try:
        await send_due(context.application)
    except Exception:  # the next tick tries again
        log.exception("the question digest failed")


def add_job(app: Application, interval_s: float = CHECK_S) -> None:
    if app.job_queue is not None and interval_s > 0:
        app.job_queue.run_repeating(_tick, interval=interval_s, first=interval_s, name=JOB)
