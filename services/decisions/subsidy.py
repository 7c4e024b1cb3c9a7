"""The subsidy lookup."""

from __future__ import annotations

from collections.abc import Iterable

from domain.subsidy import SubsidyResult, compute_subsidy
from services.core import Services


def subsidy_due(svc: Services, honours: Iterable[str], paid: int,
                district: str | None = None) -> SubsidyResult:
    return compute_subsidy(svc.subsidy_table, honours, paid, district)
