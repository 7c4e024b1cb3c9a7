"""The evaluation standard, built from data (data/rubric.toml), and its rule kinds.

A rule knows how to read the evidence for its item (from the score contract and from
stored records), score it, say what is still open, which step of the walk collects it
(`step`: files, a rate, or entries), which slots it yields and what each slot is worth.
Which rule an item has is data; a new rule kind is one class here, registered in
`RULE_KINDS`, plus its TOML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from domain.errors import InputError

Text = Mapping[str, str]  # {"zh": …, "en": …}


@dataclass(frozen=True, slots=True)
class Held:
    """What the evidence records hold, in the shapes the rule kinds read (`Rule.value_from`;
    domain/evidence.py builds it)."""

    with_files: frozenset[str]  # item ids with at least one file
    kinds: frozenset[tuple[str, str]]  # (item id, kind) with a file
    levels: Mapping[tuple[str, str], int]  # (item id, level) → supported entries
    figures: Mapping[str, float | None]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Step:
    """One way to gain points on an item: what to do and what it adds."""

    gain: int
    action: Text  # one line, e.g. {"zh": "上传合同", "en": "upload the contract"}


class _RuleBase:
    """What every rule kind answers the same way unless it says otherwise."""

    step: ClassVar[str] = "files"  # the walk step that collects it: files | rate | entries

    def slot_kinds(self) -> tuple[str | None, ...]:
        """The slots the item yields: one (None), or one per kind."""
        return (None,)

    def slot_label(self, kind: str | None) -> Text | None:
        """The slot's own label (None: the item's label)."""
        return None

    def slot_points(self, item_points: int, has_files: bool) -> tuple[int, int]:
        """(points, max) shown for one slot of the item."""
        return item_points, self.max  # type: ignore[attr-defined]

    def capped(self, value: Any) -> bool:
        """More evidence adds nothing (for kinds that count up to a cap)."""
        return False


@dataclass(frozen=True, slots=True)
class FixedRule(_RuleBase):
    points: int
    kind: str = "fixed"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> FixedRule:
        return cls(points=int(data["points"]))

    def value_from(self, item_id: str, held: Held) -> bool:
        """A fixed item counts with at least one file."""
        return item_id in held.with_files

    @property
    def max(self) -> int:
        return self.points

    def read(self, raw: Any, where: str) -> bool:
        if not isinstance(raw, bool):
            raise InputError(where, "bool")
        return raw

    def empty(self) -> bool:
        return False

    def score(self, value: bool) -> int:
        return self.points if value else 0

    def next_steps(self, value: bool, hint: Text) -> list[Step]:
        return [] if value else [Step(self.points, hint)]


@dataclass(frozen=True, slots=True)
class PerKindRule(_RuleBase):
    points_each: int
    cap: int
    kinds: Mapping[str, Text]
    entry: Text  # "上传{kind}"
    kind: str = "per_kind"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PerKindRule:
        return cls(points_each=int(data["points_each"]), cap=int(data["cap"]),
                   kinds=dict(data["kinds"]), entry=data["entry"])

    def value_from(self, item_id: str, held: Held) -> frozenset[str]:
        """A kind counts with one file of that kind."""
        return frozenset(k for k in self.kinds if (item_id, k) in held.kinds)

    def slot_kinds(self) -> tuple[str | None, ...]:
        return tuple(self.kinds)

    def slot_label(self, kind: str | None) -> Text | None:
        return self.kinds.get(kind) if kind else None

    def slot_points(self, item_points: int, has_files: bool) -> tuple[int, int]:
        return (self.points_each if has_files else 0), self.points_each

    @property
    def max(self) -> int:
        return min(self.cap, self.points_each * len(self.kinds))

    def read(self, raw: Any, where: str) -> frozenset[str]:
        if not isinstance(raw, list):
            raise InputError(where, "kind_list", choices=", ".join(self.kinds))
        for kind in raw:
            if kind not in self.kinds:
                raise InputError(where, "unknown_choice", value=kind, choices=", ".join(self.kinds))
        return frozenset(raw)

    def empty(self) -> frozenset[str]:
        return frozenset()

    def score(self, value: frozenset[str]) -> int:
        return min(self.cap, self.points_each * len(value))

    def next_steps(self, value: frozenset[str], hint: Text) -> list[Step]:
        room = self.max - self.score(value)
        if room <= 0:
            return []
        missing = [k for k in self.kinds if k not in value]
        gain = min(self.points_each, room)
        return [
            Step(gain, {lang: text.format(kind=self.kinds[k][lang])
                        for lang, text in self.entry.items()})
            for k in missing
        ]


@dataclass(frozen=True, slots=True)
class Band:
    start: float
    points: int


@dataclass(frozen=True, slots=True)
class BandsRule(_RuleBase):
    low: float
    high: float
    unit: str
    bands: tuple[Band, ...]  # ascending by start
    entry: Text  # "满意度达到{start}{unit}可得{points}分"
    kind: str = "bands"
    step: ClassVar[str] = "rate"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> BandsRule:
        bands = tuple(sorted((Band(float(b["from"]), int(b["points"])) for b in data["bands"]),
                             key=lambda b: b.start))
        return cls(low=float(data["min"]), high=float(data["max"]), unit=data.get("unit", ""),
                   bands=bands, entry=data["entry"])

    def value_from(self, item_id: str, held: Held) -> float | None:
        """A figure counts together with at least one supporting file."""
        figure = held.figures.get(item_id)
        return figure if figure is not None and item_id in held.with_files else None

    @property
    def max(self) -> int:
        return max(b.points for b in self.bands)

    def read(self, raw: Any, where: str) -> float | None:
        if raw is None:
            return None
        if not _is_number(raw):
            raise InputError(where, "number", low=f"{self.low:g}", high=f"{self.high:g}")
        if not (self.low <= raw <= self.high):
            raise InputError(where, "out_of_range", value=f"{raw:g}", low=f"{self.low:g}",
                             high=f"{self.high:g}")
        return float(raw)

    def empty(self) -> None:
        return None

    def band_for(self, value: float) -> Band:
        chosen = self.bands[0]
        for band in self.bands:
            if value >= band.start:
                chosen = band
        return chosen

    def score(self, value: float | None) -> int:
        return 0 if value is None else self.band_for(value).points

    def next_steps(self, value: float | None, hint: Text) -> list[Step]:
        current = self.score(value)
        if current >= self.max:
            return []
        if value is None:
            return [Step(self.max, hint)]
        better = [b for b in self.bands if b.points > current]
        return [
            Step(b.points - current,
                 {lang: text.format(start=f"{b.start:g}", unit=self.unit, points=b.points)
                  for lang, text in self.entry.items()})
            for b in better
        ]


@dataclass(frozen=True, slots=True)
class Level:
    points: int
    label: Text


@dataclass(frozen=True, slots=True)
class PerLevelRule(_RuleBase):
    cap: int
    levels: Mapping[str, Level]
    entry: Text  # "再登记1篇{level}报道"
    kind: str = "per_level"
    step: ClassVar[str] = "entries"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PerLevelRule:
        levels = {k: Level(int(v["points"]), {"zh": v["zh"], "en": v["en"]})
                  for k, v in data["levels"].items()}
        return cls(cap=int(data["cap"]), levels=levels, entry=data["entry"])

    def value_from(self, item_id: str, held: Held) -> Mapping[str, int]:
        """An entry counts with a link or a file."""
        return {lv: n for (iid, lv), n in held.levels.items() if iid == item_id}

    @property
    def max(self) -> int:
        return self.cap

    def read(self, raw: Any, where: str) -> Mapping[str, int]:
        if not isinstance(raw, Mapping):
            raise InputError(where, "level_map", choices=", ".join(self.levels))
        counts: dict[str, int] = {}
        for level, count in raw.items():
            if level not in self.levels:
                raise InputError(f"{where}.{level}", "unknown_choice", value=level,
                                 choices=", ".join(self.levels))
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise InputError(f"{where}.{level}", "count")
            counts[level] = count
        return counts

    def empty(self) -> Mapping[str, int]:
        return {}

    def raw_points(self, value: Mapping[str, int]) -> int:
        return sum(self.levels[lv].points * n for lv, n in value.items())

    def score(self, value: Mapping[str, int]) -> int:
        return min(self.cap, self.raw_points(value))

    def capped(self, value: Mapping[str, int]) -> bool:
        return self.raw_points(value) >= self.cap

    def next_steps(self, value: Mapping[str, int], hint: Text) -> list[Step]:
        room = self.cap - self.score(value)
        if room <= 0:
            return []
        return [
            Step(min(lv.points, room),
                 {lang: text.format(level=lv.label[lang]) for lang, text in self.entry.items()})
            for lv in sorted(self.levels.values(), key=lambda lv: -lv.points)
        ]


Rule = FixedRule | PerKindRule | BandsRule | PerLevelRule

# The one table of rule kinds: the TOML `kind` → its class (built with `from_data`).
RULE_KINDS: Mapping[str, type[Rule]] = {
    "fixed": FixedRule, "per_kind": PerKindRule, "bands": BandsRule, "per_level": PerLevelRule,
}


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    criterion_id: str
    label: Text
    hint: Text
    rule: Rule

    @property
    def max(self) -> int:
        return self.rule.max


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    label: Text
    requirement: Text
    items: tuple[Item, ...]

    @property
    def max(self) -> int:
        return sum(i.max for i in self.items)


# The facts beside the evidence that can change a score, by section, with their type: the
# only ones an eligibility rule may read (`rubric_from_dict` refuses any other). The one
# list: the score contract reads them (domain/scoring.py FACTS), the walk scores them by
# these names (services/walk/view.py `submission`), and the database watches exactly these
# columns, with the recommendation dates, the evidence and the verdicts, to keep stored
# totals honest (store/schema_guard.py SCORE_FACTS: a new one needs its trigger).
SCORED_FACTS: Mapping[str, Mapping[str, str]] = {
    "organization": {"established_on": "date", "certificate_valid_until": "date"},
    "project": {"completed_on": "date", "closed_and_evaluated": "bool"},
}


@dataclass(frozen=True, slots=True)
class EligibilityRule:
    code: str
    severity: str  # "warning" | "blocking"
    check: str
    field: str  # "organization.established_on"
    message: Text
    missing: Text | None = None
    years: int = 0
    void: str | None = None  # an item id this issue scores 0
    fix: Text | None = None  # what the user can do about it


@dataclass(frozen=True, slots=True)
class Rubric:
    id: str
    title: Text
    source: Mapping[str, str]
    max_total: int
    criteria: tuple[Criterion, ...]
    eligibility: tuple[EligibilityRule, ...] = field(default=())
    # the items in order and by id, made once (scoring thousands of projects asks often)
    _items: tuple[Item, ...] = field(init=False, repr=False, compare=False, default=())
    _by_id: Mapping[str, Item] = field(init=False, repr=False, compare=False,
                                       default_factory=dict)

    def __post_init__(self) -> None:
        items = tuple(i for c in self.criteria for i in c.items)
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_by_id", {i.id: i for i in reversed(items)})

    @property
    def items(self) -> tuple[Item, ...]:
        return self._items

    @property
    def evidence_slots(self) -> tuple[tuple[str, str | None], ...]:
        """The 13 things staff provide: (item id, kind) — one per item, except
        that a per-kind item has one slot per kind (project_documents: 3)."""
        return tuple((i.id, k) for i in self.items for k in i.rule.slot_kinds())

    def item(self, item_id: str) -> Item:
        return self._by_id[item_id]  # KeyError for an unknown id

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)


def _rule_from(data: Mapping[str, Any]) -> Rule:
    kind = RULE_KINDS.get(data["kind"])
    if kind is None:
        raise ValueError(f"unknown rule kind {data['kind']!r} in item {data.get('id')!r}")
    return kind.from_data(data)


def rubric_from_dict(data: Mapping[str, Any]) -> Rubric:
    """Build the rubric from parsed data (data/rubric.toml); check its totals add up."""
    criteria = tuple(
        Criterion(
            id=c["id"], label=c["label"], requirement=c.get("requirement", {}),
            items=tuple(Item(id=i["id"], criterion_id=c["id"], label=i["label"],
                             hint=i["hint"], rule=_rule_from(i)) for i in c["item"]),
        )
        for c in data["criterion"]
    )
    rules = tuple(
        EligibilityRule(code=e["code"], severity=e["severity"], check=e["check"],
                        field=e["field"], message=e["message"], missing=e.get("missing"),
                        years=int(e.get("years", 0)), void=e.get("void"),
                        fix=e.get("fix"))
        for e in data.get("eligibility", [])
    )
    rubric = Rubric(id=data["id"], title=data["title"], source=data.get("source", {}),
                    max_total=int(data["max_total"]), criteria=criteria, eligibility=rules)
    total = sum(c.max for c in criteria)
    if total != rubric.max_total:
        raise ValueError(f"rubric items add up to {total}, not {rubric.max_total}")
    ids = [i.id for i in rubric.items]
    if len(set(ids)) != len(ids):
        raise ValueError("rubric item ids are not unique")
    for rule in rules:
        section, _, name = rule.field.partition(".")
        if name not in SCORED_FACTS.get(section, {}):
            raise ValueError(f"eligibility rule {rule.code!r} reads {rule.field!r}, not one of "
                             "the facts that can change a score (domain/rubric.py SCORED_FACTS)")
    return rubric
