"""Evidence files on disk: content-addressed by SHA-256, laid out per organisation and project.

A file is written to a temporary name, flushed to disk and renamed, so a file either
exists whole or not at all; the database row that points at it is committed after.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, org_id: int, project_id: int, sha256: str, suffix: str = "") -> Path:
        return (self.root / f"org-{org_id}" / f"project-{project_id}" / sha256[:2]
                / f"{sha256}{suffix}")

    def put(self, org_id: int, project_id: int, data: bytes, suffix: str = "") -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(org_id, project_id, digest, suffix.lower())
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        return StoredFile(digest, len(data), target)

    def get(self, org_id: int, project_id: int, sha256: str, suffix: str = "") -> bytes:
        return self.path_for(org_id, project_id, sha256, suffix.lower()).read_bytes()
