"""Each project's claimed and verified totals, stored (table project_totals) so that a
ranking of thousands reads them instead of loading and scoring every project.

The copy is kept honest by three checks, any of which sends a project back to be scored:
- its `generation`, bumped by database triggers on every write that can change its score
  (store/schema_guard.py SCORE_FACTS), must be the one it was scored at;
- `basis`, the rules it was scored by (the rubric and SCORING_VERSION with SCORED_AS), must
  be today's;
- `on_date`, the recommendation date it was scored for, must be the project's
  (domain/scoring.py `recommendation_date`: a project with no date is scored for today).

Readers fill what is missing or outdated set-based: a row for each project first (so that
the triggers count writes from then on), then the generations, then the evidence
(`load_many`), scoring in a worker thread, and one bulk update that keeps only the rows
still at the generation read before the evidence. A write that lands while a project is
being scored therefore leaves it outdated, never wrong.

Why no write-through from the services (each write storing the new totals in its own unit
of work): the triggers already mark the project, the next reader rescores that one project
in a few milliseconds, and there is then one writer of totals, which scores from a fresh
load. A second writer would have to score exactly what its own transaction is about to
commit, in every write path, for a gain of milliseconds."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field

from domain.rubric import Text
from domain.scoring import recommendation_date
from services.core import Services
from services.walk.view import Loaded, load_many, score_of, verdict_lines
from store.repositories.projects import ProjectRow
from store.uow import UnitOfWork

# Raise when the scoring code changes what a total is (2: criteria, blocking; 3: detail),
# and record beside it what fixed projects score then (tests/store/test_scoring_version.py
# fails with the new digest when the code scores them otherwise). Both are in the basis.
SCORING_VERSION = 3
SCORED_AS = "22d6b066244edc226b0dc7f32e6fdd39"
CHUNK = 2000  # projects scored per load: bounded memory, the event loop free in between
SLOW = 500  # this many projects to score take a second or more: the caller is told first


@dataclass(frozen=True, slots=True)
class Totals:
    claimed: int
    verified: int
    eligible: bool  # verified eligibility
    criteria: Mapping[str, int] = field(default_factory=dict)  # verified points by criterion
    blocking: tuple[str, ...] = ()  # the verified blocking issues' codes


@dataclass(frozen=True, slots=True)
class Detail:
    """What the ranking workbook shows of a project besides its totals, stored with them
    (read only for the workbook)."""

    items: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # (claimed, verified)
    issues: tuple[Text, ...] = ()  # the verified issues' messages
    opinions: tuple[str, ...] = ()  # the reviewers' verdicts with their reasons (zh)


# the catalog's words the stored detail is written in (services/walk/view.py verdict_lines)
WORDS = ("handover.verdict_", "handover.verdicts_passed", "handover.rate_value")
_bases: dict[tuple[int, int], tuple[object, str]] = {}  # ids → (what they name, kept; basis)


def basis(svc: Services) -> str:
    """The rules a total is scored by: the rubric (its repr is deterministic: frozen
    dataclasses, tuples and dicts), the words of the stored detail and the scoring code's
    version with its fixtures' digest."""
    key = (id(svc.rubric), id(svc.catalog))
    if key not in _bases:
        words = sorted((k, sorted(v.items())) for k, v in svc.catalog.messages.items()
                       if k.startswith(WORDS))
        text = f"{SCORING_VERSION}:{SCORED_AS}:{svc.rubric!r}:{words}"
        _bases[key] = ((svc.rubric, svc.catalog), hashlib.sha256(text.encode()).hexdigest()[:32])
    return _bases[key][1]


def fresh(svc: Services, row: ProjectRow, rules: str | None = None,
          today: dt.date | None = None) -> Totals | None:
    """The stored totals of the project, if they still hold (`rules` and `today`: the
    basis and the date, computed once for many rows)."""
    kept = row.stored
    if (kept is None or kept.scored_generation is None
            or kept.scored_generation != kept.generation
            or kept.basis != (rules or basis(svc))
            or kept.on_date != recommendation_date(row.recommended_on, row.round_recommended_on,
                                                   today or svc.clock.today())):
        return None
    return Totals(kept.claimed_total, kept.verified_total, bool(kept.eligible),
                  json.loads(kept.criteria or "{}"), tuple(json.loads(kept.blocking or "[]")))


def totals_of(loaded: Loaded) -> Totals:
    """A project's totals, scored from its evidence as loaded (what its view shows)."""
    return scored(loaded)[0]


def scored(loaded: Loaded) -> tuple[Totals, Detail]:
    """A project's totals and the workbook's detail, scored from its evidence as loaded
    (services/walk/view.py `score_of`: the one path)."""
    found = score_of(loaded)
    claimed, verified, outs = found.claimed, found.verified, found.outcomes
    points = {i.id: i.points for c in claimed.criteria for i in c.items}
    return (Totals(claimed.total, verified.total, verified.eligible,
                   {c.id: c.points for c in verified.criteria},
                   tuple(i.code for i in verified.issues if i.severity == "blocking")),
            Detail({i.id: (points[i.id], i.points) for c in verified.criteria for i in c.items},
                   tuple(i.message for i in verified.issues),
                   tuple(verdict_lines(loaded.svc, loaded, outs, accepted=False))))


async def details(uow: UnitOfWork, ids: Collection[int]) -> dict[int, Detail]:
    """The stored detail of these projects (those scored), one statement."""
    return {pid: Detail({k: tuple(v) for k, v in kept["items"].items()},
                        tuple(kept["issues"]), tuple(kept["opinions"]))
            for pid, kept in (await uow.totals.details(ids)).items()}


async def totals(svc: Services, rows: Collection[ProjectRow], chunk: int = CHUNK,
                 slow: Callable[[int], Awaitable[None]] | None = None) -> dict[int, Totals]:
    """The totals of these projects (read with `totals=True`): stored where fresh, the
    others scored now and stored, `chunk` projects at a time. `slow(n)` is awaited first
    when `n` ≥ SLOW projects are to be scored (a progress message)."""
    out: dict[int, Totals] = {}
    stale: list[int] = []
    rules, today = basis(svc), svc.clock.today()
    for row in rows:
        found = fresh(svc, row, rules, today)
        if found is None:
            stale.append(row.id)
        else:
            out[row.id] = found
    if not stale:
        return out
    if slow is not None and len(stale) >= SLOW:
        await slow(len(stale))
    async with svc.uow() as uow:
        await uow.totals.ensure([r.id for r in rows if r.stored is None])
        await uow.commit()
    for start in range(0, len(stale), chunk):
        out.update(await _rescore(svc, stale[start:start + chunk]))
    return out


async def _rescore(svc: Services, ids: list[int]) -> dict[int, Totals]:
    async with svc.uow() as uow:
        seen = await uow.totals.generations(ids)  # before the evidence: see the module doc
        loaded = await load_many(uow, svc, ids=ids)
        # scoring is CPU work: off the event loop, in a worker thread
        done = await asyncio.to_thread(lambda: {x.project.id: scored(x) for x in loaded})
        on = basis(svc)
        await uow.totals.store([
            {"pid": pid, "seen": seen[pid], "basis": on,
             "on_date": x.recommended_on,
             "claimed": kept.claimed, "verified": kept.verified, "eligible": kept.eligible,
             "criteria": dict(kept.criteria), "blocking": list(kept.blocking),
             "detail": {"items": dict(more.items), "issues": [dict(m) for m in more.issues],
                        "opinions": list(more.opinions)}}
            for x in loaded if (pid := x.project.id) in seen
            for kept, more in (done[pid],)])
        await uow.commit()
    return {pid: kept for pid, (kept, _) in done.items()}
