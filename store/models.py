"""Tables. Business data lives here; conversation state too (store/persistence.py).

The annotations are evaluated as Python reads them (no `from __future__ import annotations`):
SQLAlchemy then reads real types instead of evaluating 160 strings, about 5 ms of every
start-up (issue 13). A relationship to a class defined further down names it in quotes."""

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every database (SQLite keeps no
    offset: values are stored as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    pass


def _now_col() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime, server_default=func.now())


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    district: Mapped[str] = mapped_column(String(50))
    established_on: Mapped[dt.date] = mapped_column(Date)
    certificate_valid_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = _now_col()
    projects: Mapped[list["Project"]] = relationship(back_populates="organization")


class Invite(Base):
    __tablename__ = "invites"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    review_district: Mapped[str | None] = mapped_column(String(50), nullable=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = _now_col()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    single_use: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # joins as lead
    used_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Telegram user id
    first_name: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # None: from Telegram
    role: Mapped[str] = mapped_column(String(16), default="guest")  # guest|staff|reviewer|admin
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"),
                                                        nullable=True)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the user is in the submission walk, so /submit resumes there after any restart.
    current_project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"),
                                                           nullable=True)
    current_slot: Mapped[str | None] = mapped_column(String(60), nullable=True)
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    # the organisation's lead: lists and removes its members (as administrators do)
    lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # a reviewer's scope: one district (区市总工会), or None for the whole city
    review_district: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # records honours and payments (the city's administrators always may; they grant it)
    payer: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[dt.datetime] = _now_col()


class Round(Base):
    """An evaluation round: submissions open, a deadline, the recommendation date."""

    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))  # city|provincial|national
    year: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recommended_on: Mapped[dt.date] = mapped_column(Date)
    # no Python default: rows written by older code paths (Core inserts) take the server's
    reviews_required: Mapped[int] = mapped_column(Integer, server_default="1")
    # when reviewers are to have finished their assigned projects (None: no review deadline)
    review_deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = _now_col()


class RoundExtension(Base):
    """A reviewer extended the deadline of a round for one organisation."""

    __tablename__ = "round_extensions"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"),
                                                 primary_key=True)
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    granted_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Reminder(Base):
    """A planned reminder. The database is the source of truth: a periodic job claims the
    rows that are due; a row is `sent` only after Telegram accepted the message."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("round_id", "user_id", "kind"),
                      Index("ix_reminders_status_due", "status", "due_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))  # d7|d3|d1|d0
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # not claimed before
    # the deadline it is about: the round's, or the organisation's extension
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # planned → claimed → sending → sent | skipped | blocked | expired | failed;
    # a definite send failure goes back to planned (due later)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    service_area: Mapped[str | None] = mapped_column(String(50), nullable=True)
    started_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    completed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closed_and_evaluated: Mapped[bool] = mapped_column(Boolean, default=False)
    recommended_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # draft | submitted | in_review | returned | verified
    status: Mapped[str] = mapped_column(String(16), default="draft")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime,
                                                             nullable=True)
    submitted_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = _now_col()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime,
                                                    server_default=func.now(),
                                                    onupdate=func.now())
    organization: Mapped["Organization"] = relationship(back_populates="projects")
    files: Mapped[list["EvidenceFile"]] = relationship(back_populates="project")
    entries: Mapped[list["EvidenceEntry"]] = relationship(back_populates="project")

    __mapper_args__ = {"version_id_col": version}


class LedgerEntry(Base):
    """One dated decision or payment on a project, never updated or deleted: an honour
    (level), a recommendation upward (level), the outcome of one (level, `awarded`), a
    payment (amount, payer, `funder`: the city's subsidy or the district's matching), or a
    reversal of an earlier row (`reverses`, with its reason in `note`). Entitled, paid and
    due are computed from these rows."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_project", "project_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(12))  # honour|recommend|outcome|payment|reversal
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    awarded: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # outcomes only
    amount: Mapped[int] = mapped_column(Integer, default=0)  # payments, yuan
    payer: Mapped[str] = mapped_column(String(100), default="")
    funder: Mapped[str] = mapped_column(String(12), default="city",
                                        server_default="city")  # city | district
    reverses: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a reversal's row
    note: Mapped[str] = mapped_column(String(500), default="")
    on_date: Mapped[dt.date] = mapped_column(Date)  # when it was decided or paid
    recorded_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class EvidenceFile(Base):
    __tablename__ = "evidence_files"
    # The same content is stored once per slot and per entry: one screenshot may prove two
    # entries (an entry of 0: a slot's own file).
    __table_args__ = (Index("uq_evidence_file_content", "project_id", "item_id", "kind",
                            text("coalesce(entry_id, 0)"), "sha256", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    item_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40), default="")  # project_documents kind, or ""
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_entries.id"),
                                                 nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mime_type: Mapped[str] = mapped_column(String(100), default="")
    file_name: Mapped[str] = mapped_column(String(255), default="")
    # on disk: <sha256><suffix>
    suffix: Mapped[str] = mapped_column(String(16), default="", server_default="")
    telegram_file_id: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = _now_col()
    project: Mapped["Project"] = relationship(back_populates="files")


class EvidenceEntry(Base):
    """A media report or an exchange: its level, where, when."""

    __tablename__ = "evidence_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    item_id: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300), default="")
    happened_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    link: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = _now_col()
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    project: Mapped["Project"] = relationship(back_populates="entries")
    __mapper_args__ = {"version_id_col": version}


class EvidenceFigure(Base):
    """A figure an item needs (the satisfaction rate). `version` detects concurrent edits."""

    __tablename__ = "evidence_figures"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime,
                                                    server_default=func.now(),
                                                    onupdate=func.now())
    __mapper_args__ = {"version_id_col": version}


class Feedback(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)
    passage_id: Mapped[str] = mapped_column(String(80))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = _now_col()


class QuestionGap(Base):
    """A question the answers did not serve: declined ("not covered") or marked 👎, with
    what was answered and the asker's organisation (no person), for the federation to
    close the gap (a document or an answer card)."""

    __tablename__ = "question_gaps"
    __table_args__ = (Index("ix_question_gaps_asked", "asked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # declined | unhelpful
    question: Mapped[str] = mapped_column(Text)
    answered: Mapped[str] = mapped_column(Text, default="")  # the citation or figure given
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"),
                                                        nullable=True)
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AnswerCard(Base):
    """An administrator's answer to a question the documents do not answer: it answers
    that question (and ones worded nearly alike) from the next question on."""

    __tablename__ = "answer_cards"
    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    added_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class GapDigest(Base):
    """A weekly digest of the question gaps sent to the administrators (stored before it
    is sent: one digest a week, whichever process sends it), and the last gap it covers."""

    __tablename__ = "gap_digests"
    id: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_gap_id: Mapped[int] = mapped_column(Integer)


class ConversationState(Base):
    """PTB persistence: conversation states, user data, chat data, bot data, as JSON."""

    __tablename__ = "ptb_state"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # conv|user|chat|bot
    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # conversation name or ""
    key: Mapped[str] = mapped_column(String(128), primary_key=True)  # JSON of the key / id
    data: Mapped[object] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime,
                                                    server_default=func.now(),
                                                    onupdate=func.now())


class InboxUpdate(Base):
    """An update from Telegram, stored before Telegram is told it arrived (bot/runtime/inbox.py):
    `pending` until it was handled, then `done`; `failed` after too many tries."""

    __tablename__ = "inbox"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (Index("ix_inbox_status", "status", "handled_at"),)


class AuditEntry(Base):
    """One state change: who, when, what, old → new, why. Appended, never updated or
    deleted by the application (store/repositories/audit.py has no method that could)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_project", "project_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    organization_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subject: Mapped[str] = mapped_column(String(120), default="")
    old: Mapped[object] = mapped_column(JSON, nullable=True)
    new: Mapped[object] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class Verdict(Base):
    """A reviewer's word on one evidence target of a project (domain/review.py): accept,
    reject with a reason, or adjust (a lower level, a corrected figure) with a reason.
    `seen` is what the target held when the verdict was given, to show what changed."""

    __tablename__ = "verdicts"
    __table_args__ = (UniqueConstraint("project_id", "reviewer_id", "target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(BigInteger)  # 0: an administrator's resolution
    target: Mapped[str] = mapped_column(String(60))
    verdict: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    seen: Mapped[object] = mapped_column(JSON, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ReviewNote(Base):
    """A reviewer's or an administrator's note on a project: the federation's own, never
    shown to the organisation's staff. Appended (each is in the audit log too)."""

    __tablename__ = "review_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class UsedSignIn(Base):
    """A single-use sign-in link of the web desk that was used, kept until it expires (a
    link used once is refused after a restart too)."""

    __tablename__ = "used_signins"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class Assignment(Base):
    """A project given to a reviewer to review (by an administrator, by hand or balanced
    automatically). Reassigning deletes the row and adds another; the audit log keeps both."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_reviewer", "reviewer_id"),)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    assigned_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Recusal(Base):
    __tablename__ = "recusals"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ProjectTotals(Base):
    """A project's totals as the ranking needs them (claimed, verified, verified
    eligibility), stored so that a ranking of thousands reads one row per project instead of
    scoring each. Never the truth, only a copy of it: a row counts only while
    `scored_generation` equals `generation`, `basis` is the rules it was scored by and
    `on_date` the recommendation date it was scored for (services/decisions/totals.py).

    `generation` is bumped by database triggers (migration 0011) on every write that can
    change a score: the project's evidence and verdicts, its facts and its organisation's
    and round's, as store/schema_guard.py SCORE_FACTS lists them (from domain/rubric.py
    SCORED_FACTS). Triggers rather than calls in each service, because they are one
    place that no code path can forget: the services, the command line, an import, a
    migration's UPDATE, or an operator's SQL. A migration that rebuilds one of those tables
    uses its `batch_alter_table`, and an upgrade that lost a trigger fails
    (store/migrations/env.py).
    """

    __tablename__ = "project_totals"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    scored_generation: Mapped[int | None] = mapped_column(Integer, nullable=True)
    basis: Mapped[str | None] = mapped_column(String(32), nullable=True)
    on_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    claimed_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    verified_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    eligible: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # verified points by criterion id (the ranking's tie-breaks), the blocking issues' codes
    criteria: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    blocking: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # what the ranking workbook shows besides (services/decisions/totals.py `Detail`), read
    # only there
    detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)
