"""Reviewers: who may review which organisation's projects."""

from __future__ import annotations

from services.core import Services


def in_scope(svc: Services, user_id: int, user, org) -> bool:
    """An administrator sees everything; a reviewer what their scope holds."""
    if user_id in svc.admin_ids:
        return True
    return user is not None and user.role == "reviewer"
