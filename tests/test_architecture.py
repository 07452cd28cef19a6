"""The core is pure: ``xl_addin.domain`` never imports xlwings or openpyxl, nor the SQL
engines the order sources use (DuckDB, Spark, sqlglot)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[1] / "xl_addin" / "domain"
FORBIDDEN = {"xlwings", "openpyxl", "xlsxwriter", "python_calamine", "lifetimes", "duckdb",
             "pyspark", "sqlglot", "pyarrow"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_sources_import_no_workbook_library():
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) >= 7
    bad = {f.name: _imports(f) & FORBIDDEN for f in files if _imports(f) & FORBIDDEN}
    assert bad == {}


def test_importing_the_core_loads_no_workbook_library():
    code = ("import sys, xl_addin.domain.pipeline, xl_addin.domain.btyd; "
            f"print(sorted(m for m in {sorted(FORBIDDEN)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
