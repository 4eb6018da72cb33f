"""The AIP core (everything in runyard.aip but runyard.aip.sql) knows nothing
of SQL: importing it loads no SQLAlchemy, and no core module names it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import runyard.aip

AIP = Path(runyard.aip.__file__).parent
CORE = sorted(p for p in AIP.rglob("*.py") if "sql" not in p.relative_to(AIP).parts)


def module_of(path: Path) -> str:
    parts = path.relative_to(AIP.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_core_module_imports_sql() -> None:
    assert len(CORE) > 8
    for path in CORE:
        for name in imported(path):
            assert not name.startswith(("sqlalchemy", "runyard.aip.sql")), (path, name)
            assert not name.startswith("runyard.") or name.startswith("runyard.aip"), (path, name)


def test_importing_the_core_loads_no_sqlalchemy() -> None:
    modules = [module_of(p) for p in CORE]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
