"""`python -m tests.bench [NAME…]`: run every tests/bench/*.py module's `run()` (or the
named ones) and print their figures."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path


def modules(names: list[str]) -> list[str]:
    found = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if not m.name.startswith("_"))
    return [n for n in found if not names or n in names]


def main(argv: list[str]) -> int:
    failed = 0
    for name in modules(argv):
        started = time.perf_counter()
        try:
            figures = importlib.import_module(f"tests.bench.{name}").run()
        except Exception as exc:  # one broken bench must not hide the others
            failed += 1
            print(f"== {name}: FAILED: {type(exc).__name__}: {exc}")
            continue
        print(f"== {name} ({time.perf_counter() - started:.1f} s)")
        for key, value in figures.items():
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) \
                else value
            print(f"  {key}: {shown}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
