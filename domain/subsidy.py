"""The subsidy rule (seed 000, 三、（三）): highest honour, paid once, topped up (差额补齐)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from domain.errors import InputError
from domain.rubric import Text


@dataclass(frozen=True, slots=True)
class HonourLevel:
    id: str
    amount: int
    label: Text
    short: Text


@dataclass(frozen=True, slots=True)
class DistrictRule:
    name: str
    matching: Mapping[str, int]
    note: str = ""


@dataclass(frozen=True, slots=True)
class SubsidyTable:
    levels: tuple[HonourLevel, ...]  # highest amount first
    source: Mapping[str, str]
    currency: str = "元"
    districts: Mapping[str, DistrictRule] = field(default_factory=dict)
    # who pays, as typed: words for the city's federation and for the district's, and the
    # names a payment row carries ("{district}" filled in)
    payers: Mapping[str, Any] = field(default_factory=lambda: {
        "city": ("市", "city"), "district": ("区", "district"),
        "city_name": "市总工会", "district_name": "{district}总工会"})

    def level(self, level_id: str) -> HonourLevel:
        for lv in self.levels:
            if lv.id == level_id:
                return lv
        raise InputError("honours", "unknown_choice", value=level_id, choices=", ".join(self.ids))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(lv.id for lv in self.levels)

    def resolve(self, word: str) -> str:
        """A level as typed → its id: the id, or its short or full name in either language,
        with or without 级 (national, 全国, 全国级, 省级, 市级 …). InputError otherwise."""
        text = word.strip().lower()
        for lv in self.levels:
            names = {lv.id, *(str(v).lower() for v in (*lv.short.values(),
                                                       *lv.label.values()))}
            if text in names or text + "级" in names:
                return lv.id
        raise InputError("honours", "unknown_choice", value=word,
                         choices="、".join(str(lv.short.get("zh", lv.id)) for lv in self.levels))


@dataclass(frozen=True, slots=True)
class SubsidyResult:
    highest: str | None
    entitled: int
    paid: int
    due: int
    district_matching: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"highest": self.highest, "entitled": self.entitled,
                               "paid": self.paid, "due": self.due}
        if self.district_matching is not None:
            out["district_matching"] = self.district_matching
        return out


def subsidy_table_from_dict(data: Mapping[str, Any]) -> SubsidyTable:
    levels = tuple(sorted((HonourLevel(lv["id"], int(lv["amount"]), lv["label"], lv["short"])
                           for lv in data["level"]), key=lambda lv: -lv.amount))
    districts = {name: DistrictRule(name, {k: int(v) for k, v in d.get("matching", {}).items()},
                                    d.get("note", ""))
                 for name, d in data.get("district", {}).items()}
    table = SubsidyTable(levels=levels, source=data.get("source", {}),
                         currency=data.get("currency", "元"), districts=districts)
    payers = data.get("payers")
    if payers:
        table = replace(table, payers={
            "city": tuple(w.lower() for w in payers["city"]),
            "district": tuple(w.lower() for w in payers["district"]),
            "city_name": payers["city_name"], "district_name": payers["district_name"]})
    return table


def compute_subsidy(table: SubsidyTable, honours: Iterable[str], paid: int = 0,
                    district: str | None = None) -> SubsidyResult:
    """Entitled to the highest honour's amount; due = max(0, entitled − paid)."""
    if isinstance(paid, bool) or not isinstance(paid, int) or paid < 0:
        raise InputError("paid", "amount", value=paid)
    held = [table.level(h) for h in honours]
    best = max(held, key=lambda lv: lv.amount, default=None)
    entitled = best.amount if best else 0
    matching = None
    if district is not None:
        rule = table.districts.get(district)
        if rule is None:
            raise InputError("district", "unknown_district", value=district)
        matching = rule.matching.get(best.id, 0) if best else 0
    return SubsidyResult(highest=best.id if best else None, entitled=entitled, paid=paid,
                         due=max(0, entitled - paid), district_matching=matching)


FUNDERS = ("city", "district")  # who pays: the city's subsidy, the district's matching


@dataclass(frozen=True, slots=True)
class Balance:
    """A project's subsidy from its ledger, as two entitlements side by side: the city's
    (the highest honour's amount) and its district's matching support for that honour (if
    the district published a standard), each with its own payments and what is still due
    (差额补齐)."""

    highest: str | None
    city_amount: int
    matching: int
    city_paid: int
    district_paid: int = 0

    @property
    def city_due(self) -> int:
        return max(0, self.city_amount - self.city_paid)

    @property
    def district_due(self) -> int:
        return max(0, self.matching - self.district_paid)

    @property
    def entitled(self) -> int:
        return self.city_amount + self.matching

    @property
    def paid(self) -> int:
        return self.city_paid + self.district_paid

    @property
    def due(self) -> int:
        """Each entitlement topped up on its own: a district's payment does not make up
        for the city's, nor the other way round."""
        return self.city_due + self.district_due

    def entitled_from(self, funder: str) -> int:
        return self.matching if funder == "district" else self.city_amount

    def due_from(self, funder: str) -> int:
        return self.district_due if funder == "district" else self.city_due


def balance(table: SubsidyTable, honours: Iterable[str], paid: int,
            district: str | None, district_paid: int = 0) -> Balance:
    """`paid`: the city's payments; `district_paid`: the district's."""
    known = district if district in table.districts else None
    result = compute_subsidy(table, honours, paid, known)
    return Balance(result.highest, result.entitled, result.district_matching or 0, paid,
                   district_paid)
