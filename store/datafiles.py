"""Loading the rules and texts that live in data/: rubric, subsidy table, message catalog,
service areas, districts."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from functools import cache
from pathlib import Path

from domain.districts import Districts, districts_from_dict
from domain.i18n import Catalog
from domain.ranking import RankingRules, rules_from_dict
from domain.review import ReviewRules, review_rules_from_dict
from domain.rubric import Rubric, rubric_from_dict
from domain.subsidy import SubsidyTable, subsidy_table_from_dict

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
CACHE_ENV = "UNIONBOT_CACHE_DIR"


def cache_dir() -> Path:
    """Where derived files go (the data files' parses, the search index's tokens): never into
    the source tree's folders."""
    return Path(os.environ.get(CACHE_ENV) or ROOT / "var" / "cache")


def read_toml(path: Path) -> dict:
    """A data file's tables. Each content is parsed once: the parse is kept as JSON in the
    cache directory (`cache_dir()/data`), named by the content's hash, so an edited file is
    never read from an old parse. tomllib takes about 12 ms for messages.toml, at every
    start-up (issue 13); the JSON about 1 ms. Where the folder cannot be written, or a value
    is one JSON cannot hold (a date), the file is parsed each time."""
    raw = path.read_bytes()
    digest = hashlib.blake2b(raw, digest_size=12).hexdigest()
    kept = cache_dir() / "data" / f"{path.name}.{digest}.json"
    try:
        return json.loads(kept.read_bytes())
    except (OSError, ValueError):
        pass
    data = tomllib.loads(raw.decode("utf-8"))
    _keep(kept, path.name, data)
    return data


def _keep(kept: Path, name: str, data: dict) -> None:
    try:
        text = json.dumps(data, ensure_ascii=False)
    except TypeError:  # dates and times: JSON has none
        return
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        for old in kept.parent.glob(f"{name}.*.json"):
            old.unlink(missing_ok=True)  # the parses of earlier contents
        part = kept.with_name(f"{kept.name}.{os.getpid()}.part")
        part.write_text(text, encoding="utf-8")
        part.replace(kept)  # whole or not at all, whoever else writes it too
    except OSError:
        pass


@cache
def load_rubric(path: Path = DATA_DIR / "rubric.toml") -> Rubric:
    return rubric_from_dict(read_toml(path))


@cache
def load_subsidy_table(path: Path = DATA_DIR / "subsidy.toml") -> SubsidyTable:
    return subsidy_table_from_dict(read_toml(path))


@cache
def load_ranking(path: Path = DATA_DIR / "ranking.toml") -> RankingRules:
    return rules_from_dict(read_toml(path))


@cache
def load_catalog(path: Path = DATA_DIR / "messages.toml") -> Catalog:
    flat: dict[str, dict[str, str]] = {}

    def walk(prefix: str, node: dict) -> None:
        if all(isinstance(v, str) for v in node.values()):
            flat[prefix] = dict(node)
            return
        for key, value in node.items():
            walk(f"{prefix}.{key}" if prefix else key, value)

    walk("", read_toml(path))
    return Catalog(flat)


@cache
def load_service_areas(path: Path = DATA_DIR / "service_areas.toml") -> tuple[str, ...]:
    return tuple(area for group in read_toml(path)["group"] for area in group["areas"])


@cache
def load_districts(path: Path = DATA_DIR / "districts.toml") -> Districts:
    return districts_from_dict(read_toml(path))


@cache
def load_review_rules(path: Path = DATA_DIR / "review.toml") -> ReviewRules:
    return review_rules_from_dict(read_toml(path))
