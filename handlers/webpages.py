"""The desk's pages (issue 24). Each request handler parses, calls one service, renders a
template on the server (tornado's templates escape every value: user text is never HTML).

Signing in: `POST /desk/telegram` with Telegram's init data, or `GET /desk/link?t=…` (a
single-use link from /desk or `python -m bot desk-link`), then a session cookie (HttpOnly,
SameSite=Strict); every write carries the session's CSRF token; every page and file asks
the services, which apply the chat's roles, scope and conflict rules.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import secrets
import threading
from html import unescape
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pypdfium2
import tornado.web
from docx import Document

from domain import changes as changes_
from domain import signin
from domain.changes import Change
from domain.errors import InputError
from domain.i18n import local, pick_lang
from domain.review import ACCEPT, ADJUST, REJECT
from handlers import desk as chat_desk
from handlers import submit_views as views
from handlers.common import Who
from services.decisions import handover, ranking
from services.decisions import ledger as ledgers
from services.desk import assignments, review
from services.desk import queue as dq
from services.errors import NotFound, NotMember, Refused, WrongState
from services.people import accounts
from services.walk import view as pv

if TYPE_CHECKING:
    from handlers.webdesk import Desk

log = logging.getLogger("unionbot.webapp")

COOKIE = "desk_session"
CSP = ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
       "frame-ancestors 'self' https://web.telegram.org")
IMAGES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
          ".webp": "image/webp"}
PAGE_SIZE = 20
PDF_PAGES = 6  # a PDF's first pages shown as pictures; the rest by its download
PDFIUM = threading.Lock()
MARK = chat_desk.OUTCOME_MARK


class Page(tornado.web.RequestHandler):
    """Every page: the security headers, the session, the user's words."""

    def initialize(self, desk: Desk) -> None:
        self.desk = desk
        self.w: Who | None = None

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    def now(self) -> float:
        return self.desk.svc.clock.now().timestamp()

    def session(self) -> str:
        return self.get_cookie(COOKIE, "")

    def get_current_user(self) -> int | None:
        try:
            return signin.read_token(self.desk.key, "session", self.session(), self.now(),
                                     signin.SESSION_MAX_AGE).user_id
        except signin.Refused:
            return None

    def start_session(self, user_id: int) -> None:
        token = signin.make_token(self.desk.key, "session", user_id, self.now(),
                                  secrets.token_urlsafe(9))
        self.set_cookie(COOKIE, token, path="/desk", httponly=True, samesite="Strict",
                        secure=self.desk.secure, expires_days=None)

    def csrf(self) -> str:
        return signin.csrf_token(self.desk.key, self.session())

    async def prepare(self) -> None:
        if not getattr(self, "signed_in_only", True):
            return
        user_id = self.current_user
        if user_id is None:
            self.refuse(HTTPStatus.FORBIDDEN, "web.refused")
            return
        account = await accounts.ensure_account(self.desk.svc, user_id)
        self.w = Who(self.desk.svc, account, account.lang or "zh")
        if self.request.method == "POST" and not signin.csrf_ok(
                self.desk.key, self.session(), self.get_body_argument("csrf", "")):
            log.warning("web desk: a write without this session's CSRF token (user %s)",
                        user_id)
            self.refuse(HTTPStatus.FORBIDDEN, "web.refused")

    def t(self, key: str, **values: Any) -> str:
        """Plain text (the catalog's HTML entities read back, not the values': the template
        escapes)."""
        lang = self.w.lang if self.w else pick_lang(self.request.headers.get(
            "Accept-Language", "")[:2])
        template = unescape(self.desk.svc.catalog.t(key, lang))
        return template.format(**values) if values else template

    def refuse(self, status: int, key: str, **values: Any) -> None:
        self.set_status(status)
        self.render("message.html", message=self.t(key, **values))

    def render(self, template_name: str, **kwargs: Any) -> None:
        super().render(template_name, t=self.t, csrf=self.csrf() if self.w else "",
                       lang=self.w.lang if self.w else "zh", is_admin=bool(
                           self.w and self.w.account.role == "admin"), **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == HTTPStatus.NOT_FOUND:
            self.render("message.html", message=self.t("web.not_found"))
        else:
            self.render("message.html", message=self.t("bot.error"))

    async def guarded(self, call):
        """A service's refusal as a page that says why (403 / 404 / 409)."""
        try:
            return await call
        except Refused as exc:
            self.refuse(HTTPStatus.FORBIDDEN, exc.key)
        except NotMember:  # as the chat says it (handlers/common.not_theirs)
            self.refuse(HTTPStatus.FORBIDDEN, "desk.out_of_scope" if self.desk.svc.may_review(
                self.w.account.user_id, self.w.account.role) else "web.reviewers_only")
        except NotFound:
            self.refuse(HTTPStatus.NOT_FOUND, "web.not_found")
        except WrongState as exc:
            self.refuse(HTTPStatus.CONFLICT, "desk.wrong_state",
                        status=self.t(f"bot.status_{exc.status}"))
        except InputError as err:
            self.refuse(HTTPStatus.BAD_REQUEST, f"input.{err.code}", **err.params)
        return None


def page_asked(page: Page) -> int:
    """The page the address asks for (?page=N, from 1), from 0."""
    try:
        return max(0, int(page.get_query_argument("page", "1")) - 1)
    except ValueError:
        return 0


# -- signing in -----------------------------------------------------------------------------
class Index(Page):
    """Telegram opens this with the init data in the address's fragment: desk.js posts it
    to /desk/telegram. Signed in already: the queue."""

    signed_in_only = False

    def get(self) -> None:
        """Signed in already: desk.js goes on to the queue unless Telegram's init data (of
        whoever opens the Mini App now) is there to sign in with."""
        self.render("signin.html", message=self.t("web.open_in_chat"),
                    signed_in=self.current_user is not None)


class SignIn(Page):
    """A sign-in: refused while its address or the user it names has failed too often
    (429, the wait in words), each failure counted (domain/signin.Throttle)."""

    signed_in_only = False

    def throttled(self, given: str) -> list[str] | None:
        """The keys this sign-in counts under; None (and the 429 page) if held off."""
        claimed = signin.claimed_user(given)
        keys = [f"ip:{self.request.remote_ip}"] + (
            [f"user:{claimed}"] if claimed is not None else [])
        wait = self.desk.throttle.held_off(keys, self.now())
        if wait:
            log.warning("web desk: sign-ins from %s (user %s) held off for %d s",
                        self.request.remote_ip, claimed, wait)
            self.set_header("Retry-After", str(wait))
            self.refuse(HTTPStatus.TOO_MANY_REQUESTS, "web.too_many",
                        minutes=max(1, (wait + 59) // 60))
            return None
        return keys

    def failed(self, keys: list[str], what: str, why: signin.Refused) -> None:
        log.warning("web desk: refused %s (%s) from %s", what, why, self.request.remote_ip)
        self.desk.throttle.failed(keys, self.now())
        self.refuse(HTTPStatus.FORBIDDEN, "web.refused")


class TelegramSignIn(SignIn):
    def post(self) -> None:
        given = self.get_body_argument("init_data", "")
        keys = self.throttled(given)
        if keys is None:
            return
        try:
            found = signin.check_init_data(given, self.desk.bot_token, self.now())
        except signin.Refused as why:
            self.failed(keys, "Telegram init data", why)
            return
        self.start_session(found.user_id)
        self.write({"next": "/desk/queue"})


class LinkSignIn(SignIn):
    async def get(self) -> None:
        given = self.get_query_argument("t", "")
        keys = self.throttled(given)
        if keys is None:
            return
        try:
            user_id = await self.desk.use_link(given, self.now())
        except signin.Refused as why:
            self.failed(keys, "a sign-in link", why)
            return
        self.start_session(user_id)
        self.redirect("/desk/queue", status=303)


# -- the queue ------------------------------------------------------------------------------
class Queue(Page):
    async def get(self) -> None:
        arg = self.get_query_argument
        state = arg("state", "") or None
        if state not in (None, "all", "mine", *dq.STATES):
            state = None
        district = arg("district", "") or None
        if district not in self.desk.svc.districts.names:
            district = None
        sort = arg("sort", "id") if arg("sort", "id") in dq.SORTS else "id"
        eligible = {"yes": True, "no": False}.get(arg("eligible", ""))
        search = arg("q", "").strip()[:60]
        given = arg("assignee", "")  # a user id as the routes take one: 1 to 12 digits 0-9
        assignee = int(given) if given.isascii() and given.isdigit() and len(given) <= 12 \
            else None
        found = await self.guarded(dq.queue(
            self.desk.svc, self.w.account.user_id, state, district, page_asked(self),
            search=search, sort=sort, eligible=eligible, page_size=PAGE_SIZE, assignees=True,
            assignee=assignee))
        if found is None:
            return
        chosen = dict(state=found.state, district=district or "", q=search, sort=sort,
                      eligible=arg("eligible", ""), assignee=assignee or "")
        self.render("queue.html", queue=found, chosen=chosen,
                    districts=self.desk.svc.districts.names, sorts=dq.SORTS,
                    states=("mine", "all", *dq.STATES),
                    page_url=lambda n: "/desk/queue?" + urlencode({**chosen, "page": n}),
                    status=lambda v: self.t(f"bot.status_{v.status}"))


# -- a project ------------------------------------------------------------------------------
def _files_of(view: pv.ProjectView, target: str) -> list[pv.FileView]:
    if target.startswith("entry:"):
        entry_id = int(target[6:])
        return [f for s in view.slots for f in s.files if f.entry_id == entry_id]
    return list(view.state(target).files)


def _kind(f: pv.FileView) -> str:
    suffix = f.suffix.lower()
    return {".pdf": "pdf", ".docx": "docx"}.get(suffix, "image" if suffix in IMAGES else "file")


class Project(Page):
    async def get(self, pid: str) -> None:
        found = await self.guarded(review.project_page(
            self.desk.svc, self.w.account.user_id, int(pid), self.w.lang,
            contents=(".docx", ".pdf")))
        if found is None:
            return
        view = found.view
        w = self.w
        kinds = {f.id: _kind(f) for s in view.slots for f in s.files}
        texts, pages = await asyncio.to_thread(previews, found.contents, kinds)
        items = []
        for target in view.targets:
            outcome = view.seen_by(chat_desk.seer(w), target)
            files = _files_of(view, target)
            mine = next((v.verdict for v in view.verdicts if v.reviewer_id ==
                         w.account.user_id and v.verdict.target == target), None)
            items.append(dict(
                target=target, label=views.target_label(w, view, target),
                mark=MARK[outcome.state], changed=target in view.changed,
                since=self._since(view, *found.changes.get(target, (None, ()))),
                claim=self._claim(view, target), files=files, texts=texts, pages=pages,
                verdict=unescape(chat_desk.verdict_line(w, view, mine)) if mine else "",
                rate=not target.startswith("entry:") and self._is_rate(target),
                lower=self._lower_levels(view, target)))
        self.render("project.html", view=view, items=items, history=found.history,
                    notes=found.notes,
                    kind=_kind, status=self.t(f"bot.status_{view.status}"),
                    reviewable=view.status in review.REVIEWABLE,
                    reasons=[local(r, w.lang) for r in self.desk.svc.review.reject_reasons],
                    message=self.get_query_argument("said", ""))

    def _when(self, at: dt.datetime | None) -> str:
        return at.astimezone(self.desk.svc.clock.tz).strftime("%m-%d %H:%M") if at else "—"

    def _since(self, view: pv.ProjectView, verdict_at: dt.datetime | None,
               changes: tuple[Change, ...]) -> tuple[str, list[str]]:
        """What changed since the item's last verdict: a heading and a line per change."""
        if not changes:
            return "", []
        lines = []
        for c in changes:
            at = self._when(c.at)
            if c.what == changes_.FILE_ADDED:
                lines.append(self.t("web.change_added", name=c.name, at=at))
            elif c.what == changes_.FILE_REMOVED:
                lines.append(self.t("web.change_removed",
                                    name=c.name or self.t("web.change_a_file"), at=at))
            elif c.what == changes_.FIGURE:
                lines.append(self.t("web.change_figure", old=_shown(c.old), new=_shown(c.new),
                                    at=at))
            elif c.what == changes_.FIELD:
                lines.append(self.t("web.change_field", field=self.t(f"audit.field_{c.name}"),
                                    old=self._field(view, c.name, c.old),
                                    new=self._field(view, c.name, c.new), at=at))
            else:
                return self.t("web.change_entry_added", at=at), []
        return self.t("web.changed_since", at=self._when(verdict_at)), lines

    def _field(self, view: pv.ProjectView, name: str, value: object) -> str:
        if name == "level" and value:
            for slot in view.slots:
                levels = getattr(self.desk.svc.rubric.item(slot.slot.item_id).rule, "levels",
                                 {})
                if value in levels:
                    return local(levels[value].label, self.w.lang)
        return _shown(value)

    def _claim(self, view: pv.ProjectView, target: str) -> str:
        if target.startswith("entry:"):
            entry = next(e for s in view.slots for e in s.entries if f"entry:{e.id}" == target)
            return f"{entry.happened_on or '—'} · {entry.link or '—'}"
        state = view.state(target)
        figure = f" · {state.figure:g}" if state.figure is not None else ""
        return self.t("web.points", points=state.points, max=state.max,
                      verified=state.verified) + figure

    def _lower_levels(self, view: pv.ProjectView, target: str) -> list[tuple[str, str]]:
        """An entry's levels below its own (an adjustment lowers it): (id, label)."""
        if not target.startswith("entry:"):
            return []
        entry = next(e for s in view.slots for e in s.entries if f"entry:{e.id}" == target)
        levels = self.desk.svc.rubric.item(entry.item_id).rule.levels
        own = levels[entry.level].points if entry.level in levels else 0
        return [(lid, local(lv.label, self.w.lang)) for lid, lv in levels.items()
                if lv.points < own]

    def _is_rate(self, target: str) -> bool:
        return self.desk.svc.rubric.item(target.partition(".")[0]).rule.step == "rate"


def _shown(value: object) -> str:
    if value is None or value == "":
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def previews(contents: dict[int, bytes], kinds: dict[int, str]
             ) -> tuple[dict[int, str], dict[int, int]]:
    """Every .docx's text and how many of every PDF's pages are shown (file id → …): one
    trip to a worker thread for the whole page."""
    return ({fid: docx_text(data) for fid, data in contents.items() if kinds.get(fid) == "docx"},
            {fid: pdf_pages(data) for fid, data in contents.items() if kinds.get(fid) == "pdf"})


def docx_text(content: bytes, limit: int = 3000) -> str:
    """A .docx's paragraphs as plain text (the template escapes it)."""
    try:
        text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    except Exception:  # not a readable .docx: the download stays
        return ""
    return text[:limit]


def pdf_pages(content: bytes, most: int = PDF_PAGES) -> int:
    """How many of a PDF's pages the project page shows (0: not a readable PDF)."""
    with PDFIUM:
        try:
            pdf = pypdfium2.PdfDocument(content)
        except Exception:  # not a readable PDF: the download stays
            return 0
        try:
            return min(len(pdf), most)
        finally:
            pdf.close()


def pdf_page_png(content: bytes, page: int, width: int = 1000) -> bytes | None:
    """One page of a PDF as a PNG picture (pypdfium2), None when there is no such page."""
    with PDFIUM:  # PDFium is not thread-safe: one document at a time in this process
        pdf = pypdfium2.PdfDocument(content)
        try:
            if not 0 <= page < len(pdf):
                return None
            p = pdf[page]
            out = io.BytesIO()  # written before the document (and its bitmap) is closed
            p.render(scale=width / max(p.get_width(), 1)).to_pil().save(out, "PNG")
            return out.getvalue()
        finally:
            pdf.close()


class File(Page):
    """An evidence file: pictures inline, anything else as a download."""

    async def get(self, pid: str, fid: str) -> None:
        found = await self.guarded(review.evidence_file(
            self.desk.svc, self.w.account.user_id, int(pid), int(fid)))
        if found is None:
            return
        row, content = found
        suffix = row.suffix.lower()
        if suffix in IMAGES:
            self.set_header("Content-Type", IMAGES[suffix])
        else:
            self.set_header("Content-Type", "application/octet-stream")
            name = f"evidence-{row.id}{suffix}"  # user's file names stay out of headers
            self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.write(content)


class PdfPage(Page):
    async def get(self, pid: str, fid: str, page: str) -> None:
        found = await self.guarded(review.evidence_file(
            self.desk.svc, self.w.account.user_id, int(pid), int(fid)))
        if found is None:
            return
        row, content = found
        png = None
        if row.suffix.lower() == ".pdf":
            try:
                png = await asyncio.to_thread(pdf_page_png, content, int(page) - 1)
            except Exception:  # an unreadable PDF: no picture, the download stays
                log.info("web desk: cannot render file %s page %s", row.id, page)
        if png is None:
            self.refuse(HTTPStatus.NOT_FOUND, "web.not_found")
            return
        self.set_header("Content-Type", "image/png")
        self.write(png)


class Verdict(Page):
    async def post(self, pid: str) -> None:
        arg = self.get_body_argument
        verdict = arg("verdict", "")
        reason = arg("reason", "").strip() or arg("preset", "").strip()
        value, level = None, arg("level", "") or None
        if verdict == ADJUST and level is None:
            try:
                value = float(arg("value", ""))
            except ValueError:
                self.refuse(HTTPStatus.BAD_REQUEST, "input.number")
                return
        if verdict not in (ACCEPT, REJECT, ADJUST):
            verdict = ""
        done = await self.guarded(review.give_verdict(
            self.desk.svc, self.w.account.user_id, int(pid), arg("target", ""), verdict,
            reason, level=level, value=value))
        if done is not None:
            if self.desk.bot is not None:
                await chat_desk.tell_disputed(self.desk.bot, self.w, done, arg("target"))
            self.redirect(f"/desk/p/{int(pid)}?said=done", status=303)


class NoteAdd(Page):
    """A reviewer's note on the project (the federation's own; staff never see it)."""

    async def post(self, pid: str) -> None:
        done = await self.guarded(review.add_note(
            self.desk.svc, self.w.account.user_id, int(pid), self.get_body_argument("text", "")))
        if done is not None:
            self.redirect(f"/desk/p/{int(pid)}#notes", status=303)


class Return(Page):
    async def post(self, pid: str) -> None:
        done = await self.guarded(review.return_project(
            self.desk.svc, self.w.account.user_id, int(pid)))
        if done is None:
            return
        if self.desk.bot is not None:
            await chat_desk.tell_returned(self.desk.bot, self.w, done)
        self.render("message.html", message=self.t("web.returned", staff=len(done.staff)))


class Verify(Page):
    async def post(self, pid: str) -> None:
        view = await self.guarded(review.verify(
            self.desk.svc, self.w.account.user_id, int(pid)))
        if view is None:
            return
        if self.desk.bot is not None:
            await chat_desk.tell_verified(self.desk.bot, self.w, view)
        self.render("message.html", message=self.t("web.verified"))


# -- the round ------------------------------------------------------------------------------
class Round(Page):
    """The round's progress per district and reviewer (administrators, as /progress)."""

    async def progress(self) -> assignments.Progress | None:
        if self.w.account.role != "admin":
            self.refuse(HTTPStatus.FORBIDDEN, "web.admins_only")
            return None
        return await assignments.progress(self.desk.svc, self.w.account.user_id)

    async def get(self) -> None:
        report = await self.progress()
        if report is not None:
            self.render("round.html", report=report, columns=assignments.COLUMNS)


class RoundChart(Round):
    async def get(self) -> None:
        report = await self.progress()
        if report is None:
            return
        svc = self.desk.svc
        png = await asyncio.to_thread(assignments.progress_chart, report, svc.catalog,
                                      self.w.lang, font=svc.cjk_font)
        self.set_header("Content-Type", "image/png")
        self.write(png)


class Ranking(Page):
    """The round's ranking, read-only, a page at a time (as /ranking)."""

    async def get(self) -> None:
        found = await self.guarded(ranking.ranking_page(
            self.desk.svc, self.w.account.user_id, page=page_asked(self), size=PAGE_SIZE))
        if found is not None:
            self.render("ranking.html", ranking=found,
                        page_url=lambda n: "/desk/ranking?" + urlencode({"page": n}))


class Ledger(Page):
    """The subsidy ledger, read-only (as /ledger), a page at a time."""

    async def get(self) -> None:
        found = await self.guarded(ledgers.ledger_page(
            self.desk.svc, self.w.account.user_id, page_asked(self), PAGE_SIZE))
        if found is not None:
            self.render("ledger.html", ledger=found, level=self._level,
                        page_url=lambda n: "/desk/ledger?" + urlencode({"page": n}))

    def _level(self, level: str | None) -> str:
        if not level:
            return "—"
        found = next((x for x in self.desk.svc.subsidy_table.levels if x.id == level), None)
        return local(found.short, self.w.lang) if found else level


class Workbook(Page):
    """The ranking's or the ledger's workbook, as the chat sends it
    (services/decisions/handover.py)."""

    async def get(self, which: str) -> None:
        svc, uid, lang = self.desk.svc, self.w.account.user_id, self.w.lang
        build = handover.ranking_file(svc, uid, lang) if which == "ranking" \
            else handover.ledger_file(svc, uid, lang)
        found = await self.guarded(build)
        if found is None:
            return
        data, _ = found
        name = f"{which}-{svc.clock.today().isoformat()}.xlsx"
        self.set_header("Content-Type", "application/vnd.openxmlformats-officedocument."
                                        "spreadsheetml.sheet")
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.write(data)


def routes(desk: Desk) -> list:
    n = r"([0-9]{1,12})"
    pages = [(r"/desk/?", Index), (r"/desk/telegram", TelegramSignIn),
             (r"/desk/link", LinkSignIn), (r"/desk/queue", Queue),
             (rf"/desk/p/{n}", Project), (rf"/desk/p/{n}/f/{n}", File),
             (rf"/desk/p/{n}/f/{n}/page/{n}\.png", PdfPage),
             (rf"/desk/p/{n}/verdict", Verdict), (rf"/desk/p/{n}/return", Return),
             (rf"/desk/p/{n}/verify", Verify), (rf"/desk/p/{n}/note", NoteAdd),
             (r"/desk/round", Round),
             (r"/desk/round/chart\.png", RoundChart), (r"/desk/ranking", Ranking),
             (r"/desk/ledger", Ledger), (r"/desk/(ranking|ledger)\.xlsx", Workbook)]
    return [(path, page, dict(desk=desk)) for path, page in pages]
