"""The message catalog: every user-facing text, zh-CN first, en second (data/messages.toml)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


def pick_lang(code: str | None) -> str:
    """Telegram's language_code → one of ours: English for en*, Chinese otherwise."""
    return "en" if code and code.lower().startswith("en") else DEFAULT_LANG


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True, slots=True)
class Catalog:
    messages: Mapping[str, Mapping[str, str]]

    def t(self, key: str, lang: str = DEFAULT_LANG, /, **values: Any) -> str:
        entry = self.messages[key]
        template = entry.get(lang) or entry[DEFAULT_LANG]
        return template.format(**values) if values else template

    def problems(self) -> list[str]:
        """Keys missing a language, or whose languages disagree on placeholders."""
        out = []
        for key, entry in self.messages.items():
            if any(not entry.get(lang) for lang in LANGS):
                out.append(f"{key}: missing a language")
            elif placeholders(entry["zh"]) != placeholders(entry["en"]):
                out.append(f"{key}: placeholders differ")
        return out


def local(text: Mapping[str, str], lang: str) -> str:
    """A {"zh": …, "en": …} text from data files, in `lang` (Chinese when missing)."""
    return text.get(lang) or text[DEFAULT_LANG]
