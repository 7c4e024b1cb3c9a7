"""Field ids (as InputError names them) → the words a user reads, in their language.

`field.<id>` in data/messages.toml names a field; `evidence.<item>[.<level>]` takes the
item's label (and the level's) from the rubric; anything else is a generic word, never
the raw id."""

from __future__ import annotations

from domain.i18n import Catalog, local
from domain.rubric import Rubric

UNKNOWN = "field.unknown"


def field_key(field: str) -> str:
    """The catalog key naming `field`: the last part of a dotted id, options' dashes dropped
    (`organization.established_on` → field.established_on, `--valid-until` → field.valid_until)."""
    return "field." + field.lstrip("-").replace("-", "_").rsplit(".", 1)[-1].lower()


def field_label(field: str, catalog: Catalog, rubric: Rubric, lang: str) -> str:
    head, _, rest = field.partition(".")
    if head == "evidence" and rest:
        item_id, _, level = rest.partition(".")
        try:
            item = rubric.item(item_id)
        except KeyError:
            return catalog.t("field.evidence", lang)
        label = local(item.label, lang)
        levels = getattr(item.rule, "levels", {})
        if level in levels:
            label += catalog.t("field.level_sep", lang) + local(levels[level].label, lang)
        return label
    key = field_key(field)
    return catalog.t(key if key in catalog.messages else UNKNOWN, lang)
