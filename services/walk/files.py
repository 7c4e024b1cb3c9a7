"""Evidence files on disk follow the rows: a file no row points at any more is deleted, at
once when a file or an entry is deleted in chat, and by `collect_garbage` (a background job
once the bot polls, and `python -m bot files gc`) for what a crash left behind. (The audit
log of issue 11 is to record each removal once it exists.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Collection
from pathlib import Path

from services.core import Services
from store.uow import UnitOfWork

log = logging.getLogger("unionbot.files")
GRACE = dt.timedelta(hours=1)  # younger files may belong to an upload not yet committed


async def drop_unreferenced(uow: UnitOfWork, svc: Services, organization_id: int,
                            project_id: int, contents: Collection[tuple[str, str]]
                            ) -> list[Path]:
    """After rows were deleted and committed: delete those of the files (sha256, suffix)
    that no row of the project points at any more."""
    kept = await uow.projects.still_stored(project_id, set(contents))
    gone = []
    for sha256, suffix in set(contents) - kept:
        try:
            path = svc.evidence.remove(organization_id, project_id, sha256, suffix)
        except OSError:  # the rows are gone already: files gc deletes it later
            log.warning("could not delete evidence file %s%s", sha256, suffix, exc_info=True)
            continue
        if path is not None:
            gone.append(path)
    for path in gone:
        log.info("evidence file deleted: %s", path.name)
    return gone


async def collect_garbage(svc: Services, grace: dt.timedelta = GRACE) -> list[Path]:
    """Delete the files no row points at (older than `grace`: an upload whose row is not
    committed yet, or whose file was there already, is younger); the paths deleted. The
    folders are walked in a thread, not on the event loop."""
    async with svc.uow() as uow:
        keep = await uow.projects.every_stored_file()
    gone = await asyncio.to_thread(svc.evidence.remove_except, keep,
                                   time.time() - grace.total_seconds())
    for path in gone:
        log.info("orphaned evidence file deleted: %s", path.name)
    return gone
