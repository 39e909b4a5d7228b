"""``%%carbon`` without changing what the cell does: an input transformer removes the line.

IPython would otherwise run the cell through the magic's function, in a nested
``run_cell`` with its own namespace handling and traceback. Instead the leading
``%%carbon`` line is dropped before the cell runs, so the cell is exactly the cell (same
namespace, output, last value, exception and traceback); the extension's hooks read the
options from the raw cell and show the line after it (``show_cell_line``).

With invalid options the line stays, IPython calls the registered cell magic, and its
argument parser reports the mistake without running the cell.

Stacked cell magics work in either order: several leading ``%%carbon`` lines are one set of
options (the first line that gives an option wins; ``-q`` on any line makes the cell quiet),
and a ``%%carbon`` line below another cell magic (``%%time``, ``%%capture``) is read from the
cell as it is typed; the outer magic runs its body through IPython's transformers, which
drop the line there.

At a prompt, a ``%%carbon`` cell is typed as any cell magic: it ends at a blank line.
"""

from __future__ import annotations

import re

from .magics import cell_options, merge_options

CELL_MAGIC = re.compile(r"^%%carbon(\s|$)")


def _leading_magics(lines: list[str]) -> list[int]:
    """Indices of the cell's leading cell-magic lines (``%%name ...``), stacked one over the
    next: each magic's body starts on the next line that is not blank."""
    found = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if not line.startswith("%%"):
            break
        found.append(i)
    return found


def options_of(raw: str):
    """The options of the cell's ``%%carbon`` lines among its stacked cell magics, merged,
    or None if it has none. Raises UsageError for wrong options."""
    lines = raw.splitlines()
    options = None
    for i in _leading_magics(lines):
        if CELL_MAGIC.match(lines[i]):
            options = merge_options(options, cell_options(lines[i][len("%%carbon"):]))
    return options


def strip_cell_magic(lines: list[str]) -> list[str]:
    """Input transformer: drop the leading ``%%carbon`` lines whose options are valid (all
    of them when several are stacked); a wrong one stays for the magic to report."""
    drop = []
    for i in _leading_magics([line.rstrip("\n") for line in lines]):
        if not CELL_MAGIC.match(lines[i]):
            break
        try:
            cell_options(lines[i].rstrip("\n")[len("%%carbon"):])
        except Exception:
            break
        drop.append(i)
    return [line for i, line in enumerate(lines) if i not in drop] if drop else lines


# IPython runs every cleanup transformer when it judges whether typed input is a whole cell
# (``check_complete``: the terminal prompt, ``is_complete_request``) unless it says it has
# side effects. Left out there, a ``%%carbon`` cell is judged as any cell magic is (complete
# at a blank line, as ``%%timeit``) instead of as its body, or as nothing at all.
strip_cell_magic.has_side_effects = True


def without_magic_line(raw: str) -> str:
    """The cell's source as it runs: without its ``%%carbon`` lines (other cell magics stay)."""
    lines = raw.splitlines(keepends=True)
    drop = {i for i in _leading_magics([line.rstrip("\n") for line in lines]) if CELL_MAGIC.match(lines[i])}
    return "".join(line for i, line in enumerate(lines) if i not in drop)


# Marks the ``%%carbon`` line among a cell's outputs (in the output's metadata, which the
# notebook saves): JupyterLab leaves out its own line under such a cell rather than show
# the same figures twice. See "The %%carbon line" in docs/protocol.md.
CELL_LINE_METADATA = {"jupyter_carbon": {"cell_line": True}}


def show_cell_line(line: str) -> None:
    """Show the ``%%carbon`` line as a display whose only bundle is that text: a terminal
    prints it as a plain line; a notebook keeps it, marked, among the cell's outputs."""
    from IPython.display import display

    display({"text/plain": line}, raw=True, metadata=CELL_LINE_METADATA)
