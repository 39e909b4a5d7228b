"""``%%carbon`` without changing what the cell does: an input transformer removes the line.

IPython would otherwise run the cell through the magic's function, in a nested
``run_cell`` with its own namespace handling and traceback. Instead the leading
``%%carbon`` line is dropped before the cell runs, so the cell is exactly the cell (same
namespace, output, last value, exception and traceback); the extension's hooks read the
options from the raw cell and show the line after it (``show_cell_line``).

With invalid options the line stays, IPython calls the registered cell magic, and its
argument parser reports the mistake without running the cell.

At a prompt, a ``%%carbon`` cell is typed as any cell magic: it ends at a blank line.
"""

from __future__ import annotations

import re

from .magics import cell_options

CELL_MAGIC = re.compile(r"^%%carbon(\s|$)")


def _first_line_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if line.strip():
            return i
    return None


def options_of(raw: str):
    """The parsed options of a leading ``%%carbon`` line, or None if the cell has none.
    Raises UsageError for wrong options."""
    lines = raw.splitlines()
    i = _first_line_index(lines)
    if i is None or not CELL_MAGIC.match(lines[i]):
        return None
    return cell_options(lines[i][len("%%carbon"):])


def strip_cell_magic(lines: list[str]) -> list[str]:
    """Input transformer: drop a leading ``%%carbon`` line whose options are valid."""
    i = _first_line_index([line.rstrip("\n") for line in lines])
    if i is None or not CELL_MAGIC.match(lines[i]):
        return lines
    try:
        options_of(lines[i])
    except Exception:
        return lines
    return lines[:i] + lines[i + 1:]


# IPython runs every cleanup transformer when it judges whether typed input is a whole cell
# (``check_complete``: the terminal prompt, ``is_complete_request``) unless it says it has
# side effects. Left out there, a ``%%carbon`` cell is judged as any cell magic is (complete
# at a blank line, as ``%%timeit``) instead of as its body, or as nothing at all.
strip_cell_magic.has_side_effects = True


def without_magic_line(raw: str) -> str:
    """The cell's source as it runs: without its ``%%carbon`` line."""
    return "".join(strip_cell_magic(raw.splitlines(keepends=True)))


# Marks the ``%%carbon`` line among a cell's outputs (in the output's metadata, which the
# notebook saves): JupyterLab leaves out its own line under such a cell rather than show
# the same figures twice. See "The %%carbon line" in docs/protocol.md.
CELL_LINE_METADATA = {"jupyter_carbon": {"cell_line": True}}


def show_cell_line(line: str) -> None:
    """Show the ``%%carbon`` line as a display whose only bundle is that text: a terminal
    prints it as a plain line; a notebook keeps it, marked, among the cell's outputs."""
    from IPython.display import display

    display({"text/plain": line}, raw=True, metadata=CELL_LINE_METADATA)
