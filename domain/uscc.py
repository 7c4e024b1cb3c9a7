"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character."""

from __future__ import annotations

from domain.errors import InputError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def check_uscc(code: str, field: str = "uscc") -> str:
    """The code, upper-cased and stripped; raises InputError saying what is wrong."""
    code = code.strip().upper()
    if len(code) != 18:
        raise InputError(field, "uscc_length", length=len(code))
    bad = "".join(dict.fromkeys(ch for ch in code if ch not in CHARSET))
    if bad:
        raise InputError(field, "uscc_chars", chars=bad)
    if not code[2:8].isdigit():
        raise InputError(field, "uscc_region")
    expected = check_character(code[:17])
    if expected != code[17]:
        raise InputError(field, "uscc_check", expected=expected, got=code[17])
    return code

