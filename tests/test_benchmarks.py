"""The benchmark script keeps working: it runs at its small size and reports every target.

The figures themselves are a report (docs/benchmarks.md), not a pass/fail test; this only
proves the script, its measurements and its tables still run on the current code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_benchmark_runs_at_small_size_and_reports_each_target(tmp_path):
    report = tmp_path / "report.md"
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--size", "small", "--repeats",
         "1", "--skip-openpyxl", "--skip-xlsxwriter", "--skip-btyd", "--cache",
         str(tmp_path / "cache"), "--out", str(report)],
        capture_output=True, text=True, timeout=900, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    for heading in ("## (a) Full headless refresh against reading alone",
                    "## Where a refresh spends its time", "## (b) Core engine",
                    "## (d) Growth with the number of orders",
                    "## (e) Worksheet functions over a 100,000-row column", "## Targets"):
        assert heading in text, heading
    # every measured stage of a refresh is found in the code (none reported missing)
    assert "Not found, so not timed" not in text
    targets = text.split("## Targets")[1]
    for target in ("(a) refresh ≤ 3× calamine read", "(a) refresh with Auto's model choice ≤ 2×",
                   "(a) refresh peak RSS ≤ 2 GB",
                   "(b) engine", "(d) near-linear growth", "(e) UDF over 100k rows"):
        row = next(line for line in targets.splitlines() if target in line)
        assert re.search(r"\| (met|not met) \|$", row), row
        assert re.search(r"\d", row.split("|")[2]), row  # a measured figure, not a blank
    # every worksheet function returned one value per row of the 100,000-row column
    udf = text.split("## (e)")[1].split("##")[0]
    assert udf.count("| yes |") == 9 and "| no |" not in udf


def test_the_source_refresh_breakdown_finds_every_stage(tmp_path):
    """``bench_sources.py --split`` times the stages of a refresh whose orders are in
    Parquet: each stage it wraps is still in the code, and the reading, the aggregation
    and the engine each took time."""
    report = tmp_path / "split.md"
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_sources.py"), "--size", "small",
         "--split", "--cache", str(tmp_path / "cache"), "--out", str(report)],
        capture_output=True, text=True, timeout=900, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    assert "Not found" not in text
    for stage in ("| read_book |", "OrdersRelation (read, type, check) |",
                  "order_facts |", "purchase summary and split |", "| run (engine) |",
                  "sql: CREATE TEMP TABLE purchase_days", "| write_outputs |"):
        row = next((line for line in text.splitlines() if stage in line), None)
        assert row is not None, stage
        assert float(row.split("|")[3].strip().removesuffix(" s")) > 0, row
    assert re.search(r"peak \(VmHWM\) [\d,]+ MB", text)
