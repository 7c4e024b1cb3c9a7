"""Amounts of money as staff type them: 10000, 10,000, 1万, 1.5万, 一万, 2万元."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9, "十": 10}


def parse_amount(text: str) -> int:
    """A non-negative whole number of yuan. Raises ValueError otherwise."""
    cleaned = re.sub(r"[\s,，]", "", text).removesuffix("元").removesuffix("块")
    scale = 1
    if cleaned.endswith("万"):
        cleaned, scale = cleaned[:-1], 10000
    elif cleaned.endswith("千"):
        cleaned, scale = cleaned[:-1], 1000
    if cleaned in _CN_DIGITS:
        cleaned = str(_CN_DIGITS[cleaned])
    try:
        value = Decimal(cleaned) * scale
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if value < 0 or value != value.to_integral_value():
        raise ValueError(f"not a whole non-negative amount: {text!r}")
    return int(value)


def parse_rate(text: str) -> float:
    """A percentage as typed: 85, 85%, 85.5, ８５％, 85分. Range checks are the rule's.
    Raises ValueError when the text is no number."""
    cleaned = text.strip().translate(str.maketrans("０１２３４５６７８９．％", "0123456789.%"))
    cleaned = re.sub(r"\s*(%|分|percent)$", "", cleaned).strip()
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        raise ValueError(f"not a rate: {text!r}")
    return float(cleaned)
