"""The package's import graph, and the rules it must keep (see docs/architecture.md).

Every import counts, at module level or inside a function: an import deferred for speed is
still a dependency. ``from . import x`` names the module ``x`` when there is one, else the
package.
"""

from __future__ import annotations

import ast
from pathlib import Path

#: Layers, lowest first: a module may import its own layer and the ones below, never above.
LAYERS = (
    ("_version", "units", "files", "tables", "config", "clocks", "protocol", "compact", "jsonline"),
    ("hardware", "carbon", "cpu_power", "bounds"),
    ("energy", "gpusync"),
    ("meter", "measurement"),
    ("records", "record_checks", "sums", "ledger", "footprint", "events", "messages", "session", "projection"),
    ("report", "text", "inventory", "estimates", "forecasting", "cluster"),
    ("kernel", "cli", "server"),
    ("", "__main__"),  # the package itself: its entry points load the kernel side and the CLI
)

#: (importer's room, imported room) pairs that must never appear, whatever the layers say.
FORBIDDEN = (
    ("kernel", "cli"),
    ("cli", "kernel"),
    ("kernel", "server"),
    ("server", "kernel"),
    ("cli", "server"),
    ("server", "cli"),
    ("report", "kernel"),
    ("report", "cli"),
    ("report", "server"),
    ("report", "text"),
    ("report", "inventory"),
    ("report", "estimates"),
)

#: What carbon/ may import besides itself: the data tables and the settings.
CARBON_MAY_IMPORT = ("carbon", "tables", "hardware", "config", "clocks", "_version")


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file for every module of the package under ``root``."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str, importer: str, is_package: bool, level: int) -> str:
    if level == 0:
        return name
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports(name: str, path: Path, known: dict[str, Path], package: str) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", name, is_package, node.level)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a name inside a module
                target = target.rpartition(".")[0]
            if target.split(".")[0] == package and target != name:
                found.add(target)
    return found


def graph(root: Path, package: str) -> dict[str, set[str]]:
    known = modules(root, package)
    return {name: imports(name, path, known, package) for name, path in known.items()}


def room(module: str, package: str) -> str:
    """``jupyter_carbon.kernel.magics`` -> ``kernel``; the package itself -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == package else ""


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return groups


def layer_of(room_name: str) -> int:
    for i, rooms in enumerate(LAYERS):
        if room_name in rooms:
            return i
    raise KeyError(f"room {room_name!r} is in no layer of tests/architecture.py: add it where it belongs")


def violations(edges: dict[str, set[str]], package: str) -> list[str]:
    """Every arrow that breaks a rule, as ``a -> b: why``."""
    found = []
    for source, targets in sorted(edges.items()):
        src = room(source, package)
        for target in sorted(targets):
            dst = room(target, package)
            if src == dst:
                continue
            if (src, dst) in FORBIDDEN:
                found.append(f"{source} -> {target}: {src}/ must not import {dst}")
            elif src == "carbon" and dst not in CARBON_MAY_IMPORT:
                found.append(f"{source} -> {target}: carbon/ imports only data tables and config")
            elif layer_of(dst) > layer_of(src):
                found.append(f"{source} -> {target}: {dst} is a layer above {src or 'the package'}")
    return found
