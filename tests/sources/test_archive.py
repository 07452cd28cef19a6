"""``customerbook archive BOOK --before DATE``: old order rows move from the sheet into
Settings OrdersSource, all or nothing, and the refresh gives the same outputs after."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import python_calamine as pc
from source_book import book, demo, differences, outputs
from support.books import F, write_book

from xl_addin.macros import archive_file, refresh_file
from xl_addin.names import ORDERS


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xl_addin.cli", *map(str, args)],
                          capture_output=True, text=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def orders_sheet(path: Path) -> list[list]:
    wb = pc.CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name("Orders").to_python()
    finally:
        wb.close()


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return demo(60, 900, 100, seed=11)


@pytest.mark.parametrize("where", ["archive", "archive.parquet", "archive.duckdb"])
def test_archive_moves_old_rows_and_the_outputs_stay_the_same(tmp_path, frames, where):
    path = book(tmp_path / "book.xlsx", frames, OrdersSource=where)
    # the same book before (a source that does not exist yet cannot be read)
    refresh_file(book(tmp_path / "ref.xlsx", frames), tmp_path / "before.xlsx")
    old = int((frames["Orders"]["OrderDate"] < pd.Timestamp("2025-07-01")).sum())
    assert 0 < old < len(frames["Orders"])
    run = cli("archive", path, "--before", "2025-07-01")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == (f"{old:,} order row(s) of Orders dated before 2025-07-01 "
                                  f"moved to {where}; {len(frames['Orders']) - old:,} row(s) "
                                  "stay on Orders.")
    rows = orders_sheet(path)
    assert len(rows) == 1 + len(frames["Orders"]) - old
    assert all(r[2] >= pd.Timestamp("2025-07-01").date() for r in rows[1:])
    refresh_file(path, tmp_path / "after.xlsx")
    assert differences(outputs(tmp_path / "before.xlsx"), outputs(tmp_path / "after.xlsx")) == []
    # again: nothing left to move, nothing written
    same = digest(path)
    again = cli("archive", path, "--before", "2025-07-01")
    assert again.returncode == 0 and again.stdout.startswith("0 order row(s)")
    assert digest(path) == same


def test_dry_run_and_chinese(tmp_path, frames):
    path = book(tmp_path / "book.xlsx", frames, lang="zh-CN", OrdersSource="历史")
    before = digest(path)
    run = cli("archive", path, "--before", "2025-07-01", "--dry-run")
    assert run.returncode == 0
    assert "将移动到 历史" in run.stdout and "试运行：未写入任何内容。" in run.stdout
    assert digest(path) == before and not (tmp_path / "历史").exists()


def test_archive_needs_the_setting(tmp_path, frames):
    path = book(tmp_path / "book.xlsx", frames)
    before = digest(path)
    run = cli("archive", path, "--before", "2025-07-01")
    assert run.returncode == 2 and "Archiving orders needs Settings OrdersSource" in run.stderr
    assert digest(path) == before


def test_a_sheet_with_formulas_is_not_archived(tmp_path):
    header = [c.key for c in ORDERS.columns]
    d = pd.Timestamp("2025-01-05").date()
    path = write_book(tmp_path / "book.xlsx", {
        "Customers": [["CustomerID", "Name"], ["C1", "A"]],
        "Orders": [header, ["O1", "C1", d, F("=2*50", 100.0), None, "Kit", None],
                   ["O2", "C1", pd.Timestamp("2026-01-05").date(), 20.0, None, None, None]],
        "Settings": [["Key", "Value"], ["Language", "en"], ["OrdersSource", "old"]]})
    before = digest(path)
    run = cli("archive", path, "--before", "2025-07-01")
    assert run.returncode == 2
    assert "cannot be archived safely (it holds formulas, which would become values)" \
        in run.stderr
    assert digest(path) == before and not (tmp_path / "old").exists()


def test_a_failed_workbook_write_puts_the_archive_back(tmp_path, frames, monkeypatch):
    path = book(tmp_path / "book.xlsx", frames, OrdersSource="archive.parquet")
    archive_file(path, pd.Timestamp("2025-01-01").date())  # the archive exists
    kept = digest(tmp_path / "archive.parquet")
    before = digest(path)
    from xl_addin.excel import files

    def broken(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_sheet_rows", broken)
    with pytest.raises(OSError):
        archive_file(path, pd.Timestamp("2025-07-01").date())
    assert digest(tmp_path / "archive.parquet") == kept and digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
