"""Reading the code base as text for the guards: imports and catalog keys, by `ast`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "services", "store", "domain", "fakegram")

# Inward only: each layer and the layers it may import (bot wires everything).
ALLOWED = {
    "domain": set(),
    "store": {"domain"},
    "services": {"store", "domain"},
    "handlers": {"services", "domain"},
    "bot": {"handlers", "services", "store", "domain", "fakegram"},
    "fakegram": set(),  # the fake Telegram knows no part of the bot
}
# Libraries a layer must not use: domain is pure, handlers never see the database.
FORBIDDEN = {
    "domain": {"telegram", "sqlalchemy", "alembic", "aiosqlite", "asyncpg"},
    "handlers": {"sqlalchemy", "alembic", "aiosqlite", "asyncpg"},
    "fakegram": {"sqlalchemy", "alembic", "aiosqlite", "asyncpg"},
}


def python_files(root: Path, package: str) -> Iterator[Path]:
    yield from sorted(p for p in (root / package).rglob("*.py") if "__pycache__" not in p.parts)


_trees: dict[str, ast.Module] = {}


def parse(path: Path) -> ast.Module:
    """The file's syntax tree, not to be changed: a text parsed before is not parsed again (the
    guards' tests read copies of the code base that differ from it in a line or two)."""
    source = path.read_text(encoding="utf-8")
    tree = _trees.get(source)
    if tree is None:
        tree = _trees[source] = ast.parse(source, str(path))
    return tree


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) for every import, also those inside functions and TYPE_CHECKING."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def layer_violations(root: Path = ROOT) -> list[str]:
    out = []
    for package in PACKAGES:
        for path in python_files(root, package):
            tree = parse(path)
            for line, module in imported_modules(tree):
                top = module.split(".")[0]
                where = f"{path.relative_to(root)}:{line}"
                if top in ALLOWED and top != package and top not in ALLOWED[package]:
                    out.append(f"{where}: {package}/ imports {module}")
                if top in FORBIDDEN.get(package, ()):
                    out.append(f"{where}: {package}/ uses {module}")
    return out


# Project modules that load a heavy stack when imported (tests/guards/test_startup_imports.py
# checks each): the only ones a function may import, so that start-up leaves them for later.
DEFERRED = ("domain.search", "domain.answers", "domain.asking", "store.search_index",
            "store.documents", "bot.runtime.webapp",
            "bot.runtime.console", "fakegram")  # the terminal chat's fake Telegram


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(tree: ast.Module) -> set[int]:
    """ids of the import statements at module level (also under a module-level if/try)."""
    out, todo = set(), list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.add(id(node))
        elif isinstance(node, ast.If | ast.Try):
            todo += node.body + node.orelse + getattr(node, "finalbody", [])
            todo += [s for h in getattr(node, "handlers", []) for s in h.body]
    return out


def project_imports(root: Path = ROOT) -> tuple[dict[str, set[str]], list[str]]:
    """The project's import graph (module → the project modules it imports, wherever the
    import stands) and the imports of project modules other than DEFERRED ones that stand
    inside a function or a class ("file:line: module imports other inside a function")."""
    files = {module_name(root, p): p for package in PACKAGES for p in python_files(root, package)}

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in files}
    inner = []
    for module, path in files.items():
        tree = parse(path)
        top = _top_level_imports(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                target = resolve(name)
                if target is None or target == module:
                    continue
                graph[module].add(target)
                # importing a.b.c runs the package a.b's __init__ first, unless we are in it
                package = target.rpartition(".")[0]
                while package:
                    if package in files and package != module \
                            and not module.startswith(package + "."):
                        graph[module].add(package)
                    package = package.rpartition(".")[0]
                if id(node) not in top and target not in DEFERRED:
                    inner.append(f"{path.relative_to(root)}:{node.lineno}: {module} imports "
                                 f"{target} inside a function")
    return graph, sorted(set(inner))


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of the graph with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1:
                        cycles.append(sorted(part))
    return cycles


@dataclass(frozen=True, slots=True)
class KeyUse:
    where: str
    key: str
    prefix: bool = False  # an f-string: `key` is what comes before the first {…}


def _literal(node: ast.expr) -> tuple[str, bool] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, False
    if isinstance(node, ast.JoinedStr):
        head = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                return head, True
            head += part.value
        return head, False
    return None


def catalog_key_uses(root: Path = ROOT) -> list[KeyUse]:
    """Keys given to `….t(…)` (w.t, catalog.t, self.t, cat.t) and codes given to
    InputError (a key under `input.`, or a key of its own such as ask.error.k)."""
    out = []
    for package in PACKAGES:
        for path in python_files(root, package):
            tree = parse(path)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                where = f"{path.relative_to(root)}:{node.lineno}"
                if name == "t":
                    found = _literal(node.args[0])
                    if found is not None:
                        out.append(KeyUse(where, found[0], found[1]))
                elif name == "InputError" and len(node.args) > 1:
                    found = _literal(node.args[1])
                    if found is not None:
                        code, prefix = found
                        key = code if "." in code else f"input.{code}"
                        out.append(KeyUse(where, key, prefix))
    return out


def input_error_fields(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> list[KeyUse]:
    """Field ids written as literals where bad input is raised: InputError(field, …) and the
    `field` of date_field, datetime_field and check_uscc."""
    field_arg = {"InputError": 0, "date_field": 1, "datetime_field": 1, "check_uscc": 1}
    out = []
    for package in packages:
        for path in python_files(root, package):
            tree = parse(path)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in field_arg:
                    continue
                index = field_arg[name]
                arg = node.args[index] if len(node.args) > index else next(
                    (k.value for k in node.keywords if k.arg == "field"), None)
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.append(KeyUse(f"{path.relative_to(root)}:{node.lineno}", arg.value))
    return out
