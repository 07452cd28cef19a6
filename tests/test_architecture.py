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


# ------------------------------------------------------------- the layers of the house
PRODUCT = DOMAIN.parent
#: what only the workbook build and the tests use (the `build` and `test` extras)
TOOLING = {"tools", "xlsxwriter", "ms_ovba", "oletools", "openpyxl", "pytest", "hypothesis",
           "lifetimes", "uno", "fitz"}
#: the doors and entry points, which the core never reaches up to
DOORS = {"excel", "macros", "cli", "functions", "demo", "bigbook", "imports", "sources"}


def _relative_targets(path: Path) -> set[str]:
    """The first package name below ``xl_addin`` of every relative import in ``path``."""
    here = path.relative_to(PRODUCT).parts[:-1]  # the package the module sits in
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(here[: len(here) - (node.level - 1)]) if node.level > 1 else list(here)
            parts = base + (node.module.split(".") if node.module else [])
            names = [parts] if node.module else [base + [a.name] for a in node.names]
            out |= {p[0] for p in names if p}
    return out


def test_the_product_never_imports_the_tooling():
    files = sorted(PRODUCT.rglob("*.py"))
    assert len(files) >= 40
    bad = {str(f.relative_to(PRODUCT)): _imports(f) & TOOLING for f in files
           if _imports(f) & TOOLING}
    assert bad == {}


def test_the_core_never_reaches_up_to_a_door():
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) >= 15
    bad = {str(f.relative_to(PRODUCT)): _relative_targets(f) & DOORS for f in files
           if _relative_targets(f) & DOORS}
    assert bad == {}
    # the check itself sees an arrow up where there is one
    door = PRODUCT / "excel" / "files.py"
    assert "domain" in _relative_targets(door)


def test_the_wheel_carries_the_product_only():
    import tomllib

    meta = tomllib.loads((PRODUCT.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["tool"]["setuptools"]["packages"]["find"]["include"] == ["xl_addin*"]
    runtime = " ".join(meta["project"]["dependencies"]).lower()
    assert not any(t in runtime for t in ("xlsxwriter", "ms-ovba", "oletools", "openpyxl"))
