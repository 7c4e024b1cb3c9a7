"""Is the bot healthy? From inside the running process (`/healthz` in webhook mode) and from
outside it (`python -m bot health`, either mode). Times are Unix seconds (plain floats)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.health import (
    DatabaseStatus,
    database_status,
    process_alive,
    read_heartbeat,
    write_heartbeat,
)


@dataclass(frozen=True)
class HealthReport:
    problems: tuple[str, ...]
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "problems": list(self.problems), **self.facts}


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _database(db: DatabaseStatus) -> tuple[list[str], dict[str, Any]]:
    problems = []
    if not db.reachable:
        problems.append("database_unreachable")
    elif not db.at_head:
        problems.append("migrations_not_at_head")
    return problems, {"database": {"reachable": db.reachable, "revision": db.revision,
                                   "head": db.head, "error": db.error}}


@dataclass
class Monitor:
    """What the running bot knows about itself; the heartbeat file is written from it."""

    mode: str
    started_at: float
    last_update_at: float | None = None
    updates_handled: int = 0

    def handled(self, now: float) -> None:
        self.last_update_at = now
        self.updates_handled += 1

    def heartbeat(self, now: float, pid: int, host: str | None = None,
                  stopped: bool = False) -> dict[str, Any]:
        return {"mode": self.mode, "pid": pid, "host": host, "written_at": now,
                "started_at": self.started_at, "last_update_at": self.last_update_at,
                "updates_handled": self.updates_handled,
                "stopped_at": now if stopped else None}


def beat(path: Path, monitor: Monitor, now: float, pid: int, *, host: str | None = None,
         stopped: bool = False) -> None:
    """The heartbeat file; `stopped` for the last one, written when the bot stops cleanly."""
    write_heartbeat(path, monitor.heartbeat(now, pid, host, stopped))


async def live(database_url: str, monitor: Monitor, *, jobs_running: bool, now: float,
               engine: Any = None) -> HealthReport:
    """`/healthz`: the database answers and is migrated, the job queue runs; the last update
    handled is reported (a quiet bot is not an unhealthy one)."""
    problems, facts = _database(await database_status(database_url, engine))
    if not jobs_running:
        problems.append("jobs_not_running")
    facts.update(mode=monitor.mode, jobs_running=jobs_running,
                 last_update_at=_iso(monitor.last_update_at),
                 updates_handled=monitor.updates_handled,
                 uptime_seconds=round(now - monitor.started_at, 1))
    return HealthReport(tuple(problems), facts)


async def from_outside(database_url: str, heartbeat_file: Path, *, max_age: float,
                       now: float, host: str | None = None) -> HealthReport:
    """`python -m bot health`: the database answers and is migrated, and the running bot's
    heartbeat (written by one of its jobs, so jobs run) is at most `max_age` seconds old. A
    bot that stopped cleanly said so in its last heartbeat (`bot_stopped`); one that ended
    otherwise is seen by its process id being gone, when it ran on this `host`
    (`bot_not_running`): either is unhealthy at once, not `max_age` later."""
    problems, facts = _database(await database_status(database_url))
    beat_data = read_heartbeat(heartbeat_file)
    if beat_data is None:
        problems.append("no_heartbeat")
        facts["heartbeat"] = None
    else:
        age = now - float(beat_data.get("written_at") or 0)
        pid = beat_data.get("pid")
        if beat_data.get("stopped_at"):
            problems.append("bot_stopped")
        elif host and beat_data.get("host") == host and isinstance(pid, int) and not (
                process_alive(pid)):
            problems.append("bot_not_running")
        elif age > max_age:
            problems.append("heartbeat_stale")
        facts["heartbeat"] = {"age_seconds": round(age, 1), "mode": beat_data.get("mode"),
                              "pid": pid, "stopped_at": _iso(beat_data.get("stopped_at")),
                              "last_update_at": _iso(beat_data.get("last_update_at")),
                              "updates_handled": beat_data.get("updates_handled")}
    return HealthReport(tuple(problems), facts)
