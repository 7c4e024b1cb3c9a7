"""Reviewers: who may review which organisation's projects."""

from __future__ import annotations

from domain.review import excluded
from services.core import Services


def in_scope(svc: Services, user_id: int, user, org) -> bool:
    """An administrator sees everything; a reviewer what their scope holds (the whole
    city, or one district)."""
    if user_id in svc.admin_ids:
        return True
    if user is None or user.role != "reviewer":
        return False
    return user.review_district is None or user.review_district == org.district


def refusal(svc: Services, user_id: int, user, org) -> str | None:
    """Why this user may not review this organisation's projects (a catalog key), or
    None: out of scope, or a conflict of interest (data/review.toml)."""
    if not in_scope(svc, user_id, user, org):
        return "desk.out_of_scope"
    return excluded(svc.review, member_of=user.organization_id if user else None,
                    scope=user.review_district if user else None,
                    organization_id=org.id, district=org.district)
