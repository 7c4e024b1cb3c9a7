"""Errors the domain raises on bad input: the field, and a catalog code for the problem."""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Bad input at `field`. `code` is a key under `input.` in the message catalog;
    `params` fill its placeholders."""

    def __init__(self, field: str, code: str, **params: Any) -> None:
        super().__init__(f"{field}: {code} {params}")
        self.field = field
        self.code = code
        self.params = params


MAX_NAME = 200  # the longest name of an organisation, round or project the database holds


def check_name_length(name: str, field: str = "name") -> None:
    """InputError if `name` is longer than the database holds (PostgreSQL would refuse it)."""
    if len(name) > MAX_NAME:
        raise InputError(field, "name_length", max=MAX_NAME)
