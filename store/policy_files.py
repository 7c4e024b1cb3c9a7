"""Loading the shipped policy corpus (``data/policies``) from disk."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from domain.corpus import PolicyDocument, parse_policy

POLICY_DIR = Path(__file__).resolve().parents[1] / "data" / "policies"
RESTORATIONS_FILE = "restorations.toml"


def load_policies(directory: Path | None = None) -> list[PolicyDocument]:
    """Every ``*.md`` policy in ``directory`` (default ``data/policies``), sorted by id."""
    folder = directory or POLICY_DIR
    documents: dict[str, PolicyDocument] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            document = parse_policy(path.read_text(encoding="utf-8"), default_id=path.stem)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        if document.id in documents:
            raise ValueError(f"{path}: duplicate policy id {document.id!r}")
        documents[document.id] = document
    return [documents[key] for key in sorted(documents)]


def load_restorations(directory: Path | None = None) -> dict[str, Any]:
    """The ledger of differences between corpus and seeds; ``{}`` when there is none."""
    path = (directory or POLICY_DIR) / RESTORATIONS_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from exc
