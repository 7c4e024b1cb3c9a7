"""Every refusal of the services (services/errors.py) is put in words for the user: in the
one table (handlers/common.py REFUSALS) or where a handler meets it by name."""

from __future__ import annotations

import ast
import inspect

from handlers.common import REFUSALS
from services import errors
from tests.guards.scan import ROOT, parse, python_files


def test_every_service_refusal_is_said_somewhere():
    refusals = {name for name, kind in inspect.getmembers(errors, inspect.isclass)
                if issubclass(kind, Exception) and kind.__module__ == errors.__name__}
    caught = set()
    for path in python_files(ROOT, "handlers"):
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught |= {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
    tabled = {kind.__name__ for _, kind in REFUSALS}
    assert refusals - caught - tabled == set()
    assert tabled <= refusals  # the table holds refusals only
