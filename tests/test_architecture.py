"""The shape of the package: no import cycles, no forbidden arrows, small modules and functions.

The rules are in tests/architecture.py and docs/architecture.md.
"""

import ast
import textwrap
from pathlib import Path

import architecture as arch

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "jupyter_carbon"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_no_import_cycles():
    assert arch.cycles(arch.graph(ROOT, PACKAGE)) == []


def test_every_arrow_points_down_and_none_is_forbidden():
    assert arch.violations(arch.graph(ROOT, PACKAGE), PACKAGE) == []


def test_the_walker_sees_imports_inside_functions():
    edges = arch.graph(ROOT, PACKAGE)
    # The extension imports the widget only when one is shown.
    assert "jupyter_carbon.kernel.widget" in edges["jupyter_carbon.kernel.extension"]


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "jupyter_carbon" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_the_rules_catch_a_cycle_and_a_forbidden_arrow(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "kernel/__init__.py": "",
        "kernel/magics.py": "def f():\n    from ..cli import main\n",
        "cli/__init__.py": "",
        "cli/main.py": "from ..kernel import magics\n",
        "server/__init__.py": "",
        "server/meters.py": "from ..kernel import magics\n",
        "carbon/__init__.py": "",
        "carbon/zones.py": "from ..meter import Meter\n",
        "meter.py": "import jupyter_carbon.report.formats\n",
        "report/__init__.py": "",
        "report/formats.py": "from .. import units\n",
        "units.py": "",
    })  # fmt: skip
    edges = arch.graph(root, PACKAGE)
    assert arch.cycles(edges) == [["jupyter_carbon.cli.main", "jupyter_carbon.kernel.magics"]]
    found = arch.violations(edges, PACKAGE)
    assert "jupyter_carbon.kernel.magics -> jupyter_carbon.cli.main: kernel/ must not import cli" in found
    assert "jupyter_carbon.cli.main -> jupyter_carbon.kernel.magics: cli/ must not import kernel" in found
    assert "jupyter_carbon.server.meters -> jupyter_carbon.kernel.magics: server/ must not import kernel" in found
    assert "jupyter_carbon.carbon.zones -> jupyter_carbon.meter: carbon/ imports only data tables and config" in found
    assert "jupyter_carbon.meter -> jupyter_carbon.report.formats: report is a layer above meter" in found


def test_modules_and_functions_stay_small():
    too_long = []
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}: {node.name}() {lines} lines")
    assert too_long == []
