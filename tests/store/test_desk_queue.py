"""The desk's queue (services/desk/queue.py) filters, searches, counts, sorts and pages in
SQL (store/repositories/projects.py `Projects.queue`). Over a few dozen generated projects
(rounds past and open, extensions, returned ones closed, assignments, recusals, conflicts of
interest, stored totals of every kind) each page it lists is the one a plain Python
ranking of all the candidates picks: the previous implementation, kept here as the
reference. On SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import insert

from bot.app import build_services
from domain.uscc import check_character
from services.clock import SHANGHAI, FixedClock
from services.decisions import ranking
from services.desk import queue as desk_queue
from services.desk.reviewers import conflicts, judged
from services.schedule.rounds import open_round
from services.walk.view import in_scope
from store.db import make_engine
from store.models import (
    Assignment,
    AuditEntry,
    Organization,
    Project,
    ProjectTotals,
    Recusal,
    Round,
    RoundExtension,
    User,
)

ADMIN, CITY, LAOSHAN, OTHER = 1, 501, 502, 503  # the admin, two reviewers, one more assigned
DISTRICTS = ("崂山区", "市南区", "市北区")
NAMES = ("社会组织", "Alpha 服务中心", "ALPHA心理", "100%关怀", "a_b 社工站", "海都社区")
EARLY = dt.datetime(2026, 11, 10, 12, 0, tzinfo=SHANGHAI)  # round A closed, round B open
LATE = dt.datetime(2026, 12, 30, 12, 0, tzinfo=SHANGHAI)  # no round open: every round listed


def _uscc(n: int) -> str:
    first = f"91370200MB{n:07d}"
    return first + check_character(first)


async def _generate(url: str) -> None:
    """40 organisations, 48 projects: rounds A (deadline passed by EARLY) and B (open at
    EARLY, past at LATE), some in none; every status, extensions before and after the
    clocks, totals stored or not, assignments, a recusal and three kinds of conflict."""
    rnd = random.Random(24)
    utc = dt.UTC
    orgs, projects, totals, extensions = [], [], [], []
    for n in range(1, 41):
        orgs.append(dict(id=n, name=f"{rnd.choice(NAMES)}{n}", uscc=_uscc(n),
                         district=DISTRICTS[n % 3], established_on=dt.date(2019, 1, 1)))
    for pid in range(1, 49):
        org = (pid - 1) % 40 + 1
        round_id = rnd.choice((1, 2, 2, None))
        status = rnd.choice(("submitted", "in_review", "returned", "verified", "draft"))
        submitted = None if status == "draft" or rnd.random() < 0.1 else \
            dt.datetime(2026, 11, 1, 8, 0, tzinfo=utc) + dt.timedelta(hours=rnd.randrange(30))
        projects.append(dict(id=pid, organization_id=org, round_id=round_id,
                             name=f"项目{rnd.choice(NAMES)}{pid}", status=status,
                             submitted_at=submitted, created_by=2000 + org))
        if rnd.random() < 0.85:
            stored = rnd.random() < 0.85
            totals.append(dict(project_id=pid, generation=1,
                               claimed_total=rnd.choice((0, 62, 65, 65, 68)) if stored else None,
                               verified_total=rnd.choice((0, 50, 55, 55)) if stored else None,
                               eligible=rnd.choice((True, False, None)) if stored else None))
    for org in range(1, 41, 2):  # before the clocks, between them, after them
        extensions.append(dict(round_id=rnd.choice((1, 2)), organization_id=org,
                               until=rnd.choice((dt.datetime(2026, 11, 5, tzinfo=utc),
                                                 dt.datetime(2026, 12, 10, tzinfo=utc),
                                                 dt.datetime(2027, 1, 10, tzinfo=utc)))))
    for pid in (1, 2, 3):  # returned in round B: extended past LATE, to before it, not at all
        projects[pid - 1].update(status="returned", round_id=2)
    extensions = [x for x in extensions if x["organization_id"] not in (1, 3)] + [
        dict(round_id=2, organization_id=1, until=dt.datetime(2027, 1, 10, tzinfo=utc)),
        dict(round_id=2, organization_id=3, until=dt.datetime(2026, 12, 10, tzinfo=utc))]
    projects[5]["created_by"] = CITY  # the city's reviewer wrote project 6
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(Organization.__table__), orgs)
            await conn.execute(insert(Round.__table__), [
                dict(id=1, name="A", level="city", year=2026, opens_on=dt.date(2026, 10, 1),
                     deadline_at=dt.datetime(2026, 11, 1, tzinfo=utc),
                     recommended_on=dt.date(2026, 11, 20)),
                dict(id=2, name="B", level="city", year=2026, opens_on=dt.date(2026, 11, 1),
                     deadline_at=dt.datetime(2026, 12, 1, tzinfo=utc),
                     recommended_on=dt.date(2026, 12, 20))])
            await conn.execute(insert(Project.__table__), projects)
            await conn.execute(insert(RoundExtension.__table__), extensions)
            await conn.execute(insert(ProjectTotals.__table__), totals)
            await conn.execute(insert(User.__table__), [
                dict(id=ADMIN, first_name="管理员", role="admin"),
                dict(id=CITY, first_name="全市", role="reviewer", organization_id=7),
                dict(id=LAOSHAN, first_name="崂山", role="reviewer",
                     review_district=DISTRICTS[0]),
                dict(id=OTHER, first_name="第三", role="reviewer")])
            await conn.execute(insert(Assignment.__table__), [
                dict(project_id=pid, reviewer_id=rid, at=EARLY) for pid in range(1, 49)
                for rid in (CITY, LAOSHAN, OTHER) if rnd.random() < 0.3])
            await conn.execute(insert(Recusal.__table__), [
                dict(project_id=pid, reviewer_id=rid, reason="", at=EARLY)
                for pid, rid in ((9, CITY), (3, LAOSHAN), (12, LAOSHAN))])
            await conn.execute(insert(AuditEntry.__table__), [  # the city's reviewer left 8
                dict(at=dt.datetime(2026, 11, 2, tzinfo=utc), actor_id=ADMIN,
                     action="remove_member", organization_id=8, subject=str(CITY))])
    finally:
        await engine.dispose()


def _found(row, search: str) -> bool:
    needle = search.casefold()
    return (needle in row.name.casefold() or needle in row.organization_name.casefold()
            or needle in row.uscc.casefold())


def _stored(row, name: str) -> int:
    value = getattr(row.stored, name, None) if row.stored is not None else None
    return value if value is not None else -1


async def _expected(svc, user_id: int, state, district, page, *, search, sort, eligible,
                    page_size, assignee) -> tuple:
    """The previous implementation: every candidate read, then filtered, sorted and paged
    in Python (on totals that still hold: the outdated ones scored again first)."""
    if sort in ("claimed", "verified") or eligible is not None:
        await ranking.refresh_totals(svc)
    current = await open_round(svc)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        recused = await uow.reviews.recused_of(user_id)
        candidates = [x for x in await uow.projects.rows(
                      desk_queue.STATES, round_id=current.id if current else None,
                      unrounded=True, totals=True)
                      if x.id not in recused and in_scope(svc, user_id, user, x.organization)]
        conflicted = await conflicts(uow, svc, [user], [judged(x, x.organization)
                                                        for x in candidates])
        rows = [(x, desk_queue._status(svc, x)) for x in candidates
                if (user_id, x.id) not in conflicted]
        mine = await uow.assignments.of_reviewer(user_id)
        pairs = await uow.assignments.pairs()
    counts = {"mine": sum(1 for x, _ in rows if x.id in mine)}
    counts |= {s: sum(1 for _, status in rows if status == s) for s in desk_queue.STATES}
    if state is None:
        state = "mine" if counts["mine"] else "all"
    ids = {x.id for x, _ in rows}
    theirs = {p for p, r in pairs if r == assignee and p in ids}
    chosen = [(x, status) for x, status in rows
              if (assignee is None or x.id in theirs)
              and (state == "all" or status == state or (state == "mine" and x.id in mine))
              and (district is None or x.organization.district == district)
              and (not search or _found(x, search))
              and (eligible is None or bool(getattr(x.stored, "eligible", False)) == eligible)]
    if sort == "submitted":
        chosen.sort(key=lambda p: (p[0].submitted_at is None,
                                   -(p[0].submitted_at.timestamp() if p[0].submitted_at
                                     else 0), p[0].id))
    elif sort in ("claimed", "verified"):
        chosen.sort(key=lambda p: (-_stored(p[0], f"{sort}_total"), p[0].id))
    pages = max(1, -(-len(chosen) // page_size))
    page = min(max(page, 0), pages - 1)
    shown = chosen[page * page_size:(page + 1) * page_size]
    return (counts, state, page, pages, [(x.id, status) for x, status in shown],
            sorted({r for p, r in pairs if p in ids}), len(rows))  # len: what "all" lists


ASKS = [  # (state, district, page, search, sort, eligible, page_size, assignee)
    ("all", None, 0, "", "claimed", None, 50, None),  # first: the stored totals outdated
    (None, None, 0, "", "id", None, 8, None),
    ("all", None, 0, "", "id", None, 5, None),
    ("all", None, 3, "", "id", None, 5, None),
    ("all", None, 99, "", "submitted", None, 5, None),
    ("all", None, -1, "", "claimed", None, 6, None),
    ("all", None, 1, "", "verified", None, 6, None),
    ("all", DISTRICTS[1], 0, "", "submitted", None, 4, None),
    ("returned", None, 0, "", "id", None, 30, None),
    ("verified", DISTRICTS[0], 0, "", "verified", True, 30, None),
    ("submitted", None, 0, "", "claimed", False, 30, None),
    ("in_review", None, 0, "", "submitted", None, 30, None),
    ("mine", None, 0, "", "id", None, 30, None),
    ("all", None, 0, "", "id", False, 30, None),
    ("all", None, 0, "alpha", "id", None, 30, None),
    ("all", None, 0, "100%", "submitted", None, 30, None),
    ("all", None, 0, "a_b", "id", None, 30, None),
    ("all", None, 0, "ma00000", "verified", None, 30, None),  # a part of the credit codes
    ("all", None, 0, "_", "id", None, 30, None),
    ("all", None, 0, "社会组织1", "id", None, 30, None),
    ("all", None, 0, "", "claimed", None, 30, OTHER),
    ("all", DISTRICTS[2], 0, "项目", "claimed", True, 3, CITY),
    ("verified", None, 1, "", "claimed", None, 2, LAOSHAN),
]


@pytest.mark.parametrize("now", [EARLY, LATE], ids=["round_open", "no_round_open"])
async def test_each_page_is_the_one_a_plain_ranking_of_all_candidates_picks(
        settings, now):
    await _generate(settings.database_url)
    svc = build_services(settings, clock=FixedClock(now.replace(tzinfo=None)))
    try:
        seen_closed = seen_conflict = False
        for user_id in (ADMIN, CITY, LAOSHAN):
            for state, district, page, search, sort, eligible, size, assignee in ASKS:
                expected = await _expected(svc, user_id, state, district, page,
                                           search=search, sort=sort, eligible=eligible,
                                           page_size=size, assignee=assignee)
                got = await desk_queue.queue(svc, user_id, state, district, page,
                                             search=search, sort=sort, eligible=eligible,
                                             page_size=size, assignees=True,
                                             assignee=assignee)
                asked = (user_id, state, district, page, search, sort, eligible, size,
                         assignee)
                assert (got.counts, got.state, got.page, got.pages,
                        [(v.id, v.status) for v in got.views],
                        sorted(got.assignees), got.everything) == expected, asked
                seen_closed |= any(v.status == "closed" for v in got.views)
                seen_conflict |= user_id == CITY and not any(
                    v.id in (6, 7, 8, 9) for v in got.views)
        assert seen_conflict
        if now is LATE:
            assert seen_closed  # the data holds what each rule is about
    finally:
        await svc.close()
