"""The districts an organisation can be registered in (data/districts.toml), with aliases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import InputError


@dataclass(frozen=True, slots=True)
class Districts:
    names: tuple[str, ...]
    aliases: Mapping[str, str]  # another name → the district's name

    def resolve(self, text: str, field: str = "district") -> str:
        """The district `text` names (its name or an alias), or InputError at `field`."""
        name = self.aliases.get(text.strip(), text.strip())
        if name not in self.names:
            raise InputError(field, "unknown_choice", value=text, choices="、".join(self.names))
        return name


def districts_from_dict(data: Mapping[str, Any]) -> Districts:
    names = tuple(d["name"] for d in data["district"])
    aliases = {alias: d["name"] for d in data["district"] for alias in d.get("aliases", ())}
    return Districts(names, aliases)
