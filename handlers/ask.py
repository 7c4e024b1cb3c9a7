"""Policy questions: any text outside a conversation, or /ask. A question about the asker's
own situation is answered from their data first (whose, as of when, a button on); answers
carry their citation, a button for more passages and 👍/👎 feedback (stored)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from domain.errors import InputError
from domain.i18n import local
from handlers import callbacks as cb
from handlers.common import Context, Who, for_admins, keyboard, pressed, reply, who
from services.asking import questions
from services.asking.own_data import OwnAnswer
from services.asking.questions import Answer, ask, record_feedback

FIRST, MORE = 1, 3  # passages shown at first, and per "more"
OWN_BUTTONS = {"score": cb.data("menu_score"), "submit": cb.data("menu_submit")}  # → where next
MONEY = ("entitled", "paid", "due")


def _passage(w, hit) -> str:
    text = f"{escape(hit.text)}\n{w.t('bot.source', citation=escape(hit.citation))}"
    if hit.dated is not None:
        text += "\n" + w.t("ask.reply.dated", date=hit.dated.isoformat())
    return text


def _buttons(w, n: int, shown: int, total: int, own: OwnAnswer | None = None):
    rows = []
    if own is not None and own.button in OWN_BUTTONS:
        rows.append([(w.t(f"own.btn.{own.button}"), OWN_BUTTONS[own.button])])
    if own is not None and total:  # the policy behind an own-data answer, on request
        rows.append([(w.t("bot.ask_source"), cb.data("ask_more", n, 0))])
    elif shown < total:
        rows.append([(w.t("bot.ask_more"), cb.data("ask_more", n, shown))])
    rows.append([(w.t("bot.ask_helpful"), cb.data("ask_feedback", n, 1)),
                 (w.t("bot.ask_unhelpful"), cb.data("ask_feedback", n, 0))])
    return keyboard(rows)


def _own(w, own: OwnAnswer) -> str:
    from domain.answers import money  # the search stack loads on the first question

    values = {}
    for name, value in own.values.items():
        if name in MONEY:
            value = w.t("ask.money", amount=money(value, w.lang))
        elif name == "items":
            value = w.t("ask.list_sep").join(
                w.t("own.missing_item", label=escape(local(i["label"], w.lang)), gain=i["gain"])
                for i in value)
        elif name == "rounds":
            value = w.t("ask.list_sep").join(
                w.t("own.deadline_item", round=escape(r["round"]), deadline=r["deadline"],
                    days=r["days"]) for r in value)
        elif name == "ranked":
            value = w.t("ask.list_sep").join(
                w.t("own.queue_item", rank=r["rank"], name=escape(r["name"]), total=r["total"])
                for r in value)
        elif isinstance(value, dict):
            value = escape(local(value, w.lang))
        elif isinstance(value, str):
            value = escape(value)
        values[name] = value
    as_of = own.as_of.strftime("%Y-%m-%d %H:%M") if own.as_of else ""
    header = (w.t("own.header", whose=escape(own.whose), as_of=as_of) if own.whose
              else w.t("own.header_mine", as_of=as_of))
    return f"{header}\n{w.t(own.key, **values)}"


def _card(w, answer: Answer, n: int) -> tuple[str, object]:
    card = answer.card
    text = "\n\n".join([escape(card.answer), w.t("ask.reply.card",
                                                  date=card.added_at.strftime("%Y-%m-%d"))])
    return text, _buttons(w, n, 0, 0)


def _answered(answer: Answer) -> str:
    """What an answer gave, for the federation's view of the gaps (a 👎 names it)."""
    if answer.card is not None:
        return answer.card.question
    if answer.own is not None:
        return answer.own.key
    return answer.computed or (answer.hits[0].citation if answer.hits else "")


def _render(w, answer: Answer, n: int) -> tuple[str, object]:
    from domain.asking import contact_line  # the search stack loads on the first question

    if answer.card is not None:
        return _card(w, answer, n)
    frame = [w.t("ask.reply.english_frame")] if answer.english else []
    if not answer.confident:  # what the documents cover nearby, by name; whom to ask
        nearby = "\n".join(w.t("ask.reply.nearby_item", citation=escape(citation))
                           for citation in dict.fromkeys(h.citation for h in answer.hits[:3]))
        parts = [w.t("ask.reply.uncovered")]
        if nearby:
            parts.append(w.t("ask.reply.nearby", topics=nearby))
        parts.append(escape(contact_line(answer.contact, w.svc.catalog, w.lang)))
        return "\n\n".join(parts), _buttons(w, n, 0, len(answer.hits[:3]))
    if answer.own is not None:  # stands alone: the passages behind 📖 原文
        return _own(w, answer.own), _buttons(w, n, 0, len(answer.hits), answer.own)
    parts = []
    if answer.computed:
        parts.append(w.t("bot.ask_computed", answer=escape(answer.computed)))
    parts += frame + [_passage(w, h) for h in answer.hits[:FIRST]]
    if answer.replaces is not None and answer.hits:
        parts.append(w.t("ask.reply.replaces", citation=escape(answer.replaces.citation),
                         text=escape(answer.replaces.text)))
    return "\n\n".join(parts), _buttons(w, n, FIRST, len(answer.hits), answer.own)


async def prompt(update: Update, context: Context) -> None:
    w = await who(update, context)
    if update.callback_query:
        await update.callback_query.answer()
    if context.args:
        await answer_question(update, context, " ".join(context.args), w)
        return
    await reply(update, w.t("bot.ask_prompt"))


async def question(update: Update, context: Context) -> None:
    await answer_question(update, context, update.message.text)


async def _ask(w, text: str) -> Answer:
    account = w.account
    return await ask(w.svc, text, w.lang, user_id=account.user_id,
                     organization=account.organization_name,
                     organization_id=account.organization_id,
                     reviewer=w.svc.may_review(account.user_id, account.role))


async def answer_question(update: Update, context: Context, text: str,
                          w: Who | None = None) -> None:
    """`w`: who is asking, when the caller knows already (one lookup fewer)."""
    w = w or await who(update, context)
    answer = await _ask(w, text)
    n = context.user_data.get("q_n", 0) + 1
    context.user_data["q_n"] = n
    context.user_data["q"] = {"n": n, "text": text[:500],
                              "hits": [h.passage_id for h in answer.hits],
                              "answered": _answered(answer)[:500]}
    body, markup = _render(w, answer, n)
    await reply(update, body, markup)


async def _pressed(update: Update, context: Context, action: str):
    """A button on an answer: (who, its data, the question) — or None, told to the user,
    when the data is forged or the question is no longer the user's latest."""
    press = await pressed(update, context, action)
    if press is None:
        return None
    w = await who(update, context)
    q = context.user_data.get("q")
    if not q or q.get("n") != press.question:
        await update.callback_query.answer(w.t("bot.ask_expired"), show_alert=True)
        return None
    return w, press, q


async def more(update: Update, context: Context) -> None:
    got = await _pressed(update, context, "ask_more")
    if got is None:
        return
    w, press, q = got
    n, start = press.question, press.shown
    await update.callback_query.answer()
    answer = await ask(w.svc, q["text"], w.lang)
    batch = answer.hits[start:start + MORE]
    if not batch:
        await reply(update, w.t("bot.ask_no_more"))
        return
    title = w.t("bot.ask_source_title") if start == 0 else w.t("bot.ask_more_title")
    body = "\n\n".join([title] + [_passage(w, h) for h in batch])
    await reply(update, body, _buttons(w, n, start + len(batch), len(answer.hits)))


async def feedback(update: Update, context: Context) -> None:
    got = await _pressed(update, context, "ask_feedback")
    if got is None:
        return
    w, press, q = got
    await record_feedback(w.svc, update.effective_user.id, q["text"],
                          q["hits"][0] if q["hits"] else "", press.flag,
                          answered=q.get("answered", ""),
                          organization_id=w.account.organization_id)
    await update.callback_query.answer(w.t("bot.ask_thanks"))


# ---- answer cards, for administrators: /card 问题 | 回答

CARD_SEPARATORS = ("|", "｜")


@for_admins
async def card_command(update: Update, context: Context, w: Who) -> None:
    """/card QUESTION | ANSWER: the answer to a question the documents do not answer,
    given from the next question on (no restart)."""
    text = (update.message.text or "").partition(" ")[2]
    separator = next((sep for sep in CARD_SEPARATORS if sep in text), None)
    if separator is None:
        await reply(update, w.t("ask.card.usage"))
        return
    question, _, answer_text = text.partition(separator)
    try:
        card = await questions.add_card(w.svc, w.account.user_id, question, answer_text)
    except InputError as err:
        await reply(update, _problem(w, err, w.t(f"field.{err.field}")))
        return
    await reply(update, w.t("ask.card.added", question=escape(card.question)))


# ---- documents, for administrators: /docs (list), /docs remove ID, a file captioned /docs


def _problem(w, err: InputError, field: str) -> str:
    if not err.code.startswith("ask."):
        return w.problem(err)
    return w.t("bot.bad_input", field=escape(field),
               problem=escape(w.t(err.code, **err.params)))


@for_admins
async def docs_command(update: Update, context: Context, w: Who) -> None:
    args = context.args or []
    if len(args) == 2 and args[0] == "remove":
        try:
            gone = await questions.remove_document(w.svc, args[1])
        except InputError as err:
            await reply(update, _problem(w, err, args[1]))
            return
        await reply(update, escape(w.t("ask.docs.removed", id=gone.id, title=gone.title)))
        return
    lines = [w.t("ask.docs.header")] + [
        escape(w.t("ask.docs.line", id=d.id, date=d.date.isoformat(), passages=d.passages,
                   title=d.title, mark="" if d.added else w.t("ask.docs.seed_mark")))
        for d in await questions.documents(w.svc)]
    await reply(update, "\n".join(lines + ["", w.t("ask.docs.usage")]))


@for_admins
async def docs_upload(update: Update, context: Context, w: Who) -> None:
    """A .txt/.md/.docx/.pdf sent with the caption /docs: added, answered from at once."""
    doc = update.message.document
    try:
        data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
    except TelegramError as exc:
        await reply(update, w.t("walk.downloading_failed", problem=escape(str(exc))))
        return
    try:
        added = await questions.add_document(w.svc, doc.file_name or "document", data)
    except InputError as err:
        await reply(update, _problem(w, err, doc.file_name or ""))
        return
    await reply(update, escape(w.t("ask.docs.added", id=added.id, title=added.title,
                                   date=added.date.isoformat(), passages=added.passages)))


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("ask", prompt), CommandHandler("docs", docs_command),
            CommandHandler("card", card_command),
            CallbackQueryHandler(prompt, cb.pattern("menu_ask")),
            CallbackQueryHandler(more, cb.pattern("ask_more")),
            CallbackQueryHandler(feedback, cb.pattern("ask_feedback"))]
