"""Loading the rules and texts that live in data/: rubric, subsidy table, message catalog,
service areas, districts."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from domain.districts import Districts, districts_from_dict
from domain.i18n import Catalog
from domain.ranking import RankingRules, rules_from_dict
from domain.review import ReviewRules, review_rules_from_dict
from domain.rubric import Rubric, rubric_from_dict
from domain.subsidy import SubsidyTable, subsidy_table_from_dict

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def read_toml(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


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
