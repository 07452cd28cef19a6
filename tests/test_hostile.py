"""Hostile books, generated: whatever a file holds, the real command line exits 0 or 2,
never with a traceback, leaves the book byte-identical when it refuses, and stays within
bounded memory.

Hypothesis builds each book from the clean sample data and a few mutations of three
kinds: values (odd numbers, dates, texts, error cells, formulas, scripts with braces),
structure (sheets dropped, doubled or renamed, headers renamed, merged or doubled, title
rows, Tables that end early or carry a totals row) and placement (data moved away from
A1, stray cells anywhere up to Excel's last row and column).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.books import F, en_sheets, zh_sheets
from support.peak import run_cli

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT_KB = 1_500_000  # the whole refresh, in a process of its own

ODD_VALUES = st.one_of(
    st.sampled_from([
        "1.200,50", "99,5", "1_000", "(450", "¥1,200.50", "1e308", "-0", "NaN", "inf",
        "2026-02-30", "2026-03-10 99:99", "9999-12-31", "1899-12-31", "0000-00-00",
        "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "{Name[first]}",
        "{Name:>2000000000}", "{0}{1}{", "\x00\x01\x1f", "_x0041_", "\u202e\u200b", "是", "N/A",
        "#N/A", "   ", "a" * 40_000, "客户" * 5000,
    ]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.booleans(),
    st.text(max_size=30),
)


@st.composite
def hostile_book(draw) -> tuple[dict[str, list[list[Any]]], dict[str, Any]]:
    sheets = draw(st.sampled_from([en_sheets, zh_sheets]))()
    plan: dict[str, Any] = {"tables": draw(st.booleans()), "merges": {}, "stray": [],
                            "offset": (0, 0), "totals": False, "short_table": False,
                            "errors": [], "date1904": draw(st.booleans())}
    names = list(sheets)
    for _ in range(draw(st.integers(0, 6))):  # values
        name = draw(st.sampled_from(names))
        rows = sheets[name]
        if len(rows) < 2:
            continue
        r = draw(st.integers(1, len(rows) - 1))
        c = draw(st.integers(0, len(rows[0]) - 1))
        kind = draw(st.sampled_from(["value", "value", "formula", "error", "script"]))
        if kind == "value":
            rows[r][c] = draw(ODD_VALUES)
        elif kind == "formula":
            rows[r][c] = F("=1/0", draw(st.sampled_from([0, "#DIV/0!", None, 5])))
        elif kind == "error":
            plan["errors"].append((name, r, c))
        else:
            sheets.setdefault("Scripts", [["Reason", "Script"]]).append(
                [draw(st.sampled_from(["Cadence", "投诉", "FollowUp"])), draw(ODD_VALUES)])
    for _ in range(draw(st.integers(0, 2))):  # structure
        move = draw(st.sampled_from(["drop", "double", "rename_header", "drop_column", "merge",
                                     "title", "blank_rows", "totals", "short_table",
                                     "rename_sheet"]))
        name = draw(st.sampled_from(names))
        rows = sheets.get(name)
        if rows is None:
            continue
        if move == "drop" and name in sheets:
            del sheets[name]
            names.remove(name)
            if not names:
                break
        elif move == "double":
            other = {"Customers": "客户", "客户": "Customers", "Orders": "订单", "订单": "Orders"}
            sheets[other.get(name, name + " (2)")] = [list(r) for r in rows]
        elif move == "rename_header" and rows:
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(ODD_VALUES)
        elif move == "drop_column" and rows and len(rows[0]) > 1:
            c = draw(st.integers(0, len(rows[0]) - 1))
            for r in rows:
                del r[c:c + 1]
        elif move == "merge" and len(rows) > 2:
            r1 = draw(st.integers(0, len(rows) - 2))
            c1 = draw(st.integers(0, len(rows[0]) - 2))
            plan["merges"].setdefault(name, []).append((r1, c1, r1 + draw(st.integers(0, 1)),
                                                        c1 + 1))
        elif move == "title":
            sheets[name] = [["A title"], [None], *rows]
        elif move == "blank_rows":
            rows.insert(draw(st.integers(1, len(rows))), [None] * len(rows[0]))
        elif move == "totals":
            plan["totals"] = True
        elif move == "short_table":
            plan["short_table"] = True
        elif move == "rename_sheet":
            sheets[draw(st.sampled_from(["Sheet1", "客戶", "Customers ", "Order"]))] = (
                sheets.pop(name))
            names = list(sheets)
    if draw(st.booleans()):  # placement
        plan["offset"] = (draw(st.integers(0, 40)), draw(st.integers(0, 30)))
    for _ in range(draw(st.integers(0, 3))):
        plan["stray"].append((draw(st.sampled_from(list(sheets) or ["x"])),
                              draw(st.sampled_from([1_048_575, 30_000, 99, 5])),
                              draw(st.sampled_from([16_383, 1_377, 40, 2])),
                              draw(ODD_VALUES)))
    return sheets, plan


def _write(path: Path, sheets: dict[str, list[list[Any]]], plan: dict[str, Any]) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False,
                                         "date_1904": plan["date1904"],
                                         "max_url_length": 2079})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    r0, c0 = plan["offset"]
    for t, (name, rows) in enumerate(sheets.items()):
        ws = wb.add_worksheet(name[:31] or "Sheet")
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                _cell(ws, r0 + r, c0 + c, v, datef)
        for (name2, r, c) in plan["errors"]:
            if name2 == name:
                ws.write_formula(r0 + r, c0 + c, "=NA()", None, "#N/A")
        for (r1, c1, r2, c2) in plan["merges"].get(name, []):
            try:
                ws.merge_range(r0 + r1, c0 + c1, r0 + r2, c0 + c2, None)
            except Exception:  # an overlapping merge: the writer refuses it, fine
                pass
        if plan["tables"] and len(rows) > 1 and rows[0] and t < 3:
            last = len(rows) - 1 - (2 if plan["short_table"] and len(rows) > 3 else 0)
            try:
                ws.add_table(r0, c0, r0 + last, c0 + len(rows[0]) - 1, {
                    "name": f"Input{t + 1}", "total_row": plan["totals"],
                    "columns": [{"header": f"{h}"[:200] or f"Column{i}"}
                                for i, h in enumerate(rows[0])]})
            except Exception:  # duplicate or odd headers: a book without that Table
                pass
        for (name2, r, c, v) in plan["stray"]:
            if name2 == name:
                _cell(ws, r, c, v, datef)
    wb.close()
    return path


def _cell(ws: Any, r: int, c: int, v: Any, datef: Any) -> None:
    if v is None:
        return
    try:
        if isinstance(v, F):
            ws.write_formula(r, c, v.formula, None, v.cached)
        elif isinstance(v, dt.date):
            ws.write_datetime(r, c, v, datef)
        elif isinstance(v, str):
            ws.write_string(r, c, v)
        elif isinstance(v, bool):
            ws.write_boolean(r, c, v)
        else:
            ws.write_number(r, c, v)
    except (OverflowError, ValueError, TypeError):  # what the writer cannot store at all
        ws.write_string(r, c, repr(v)[:100])



HOSTILE = settings(max_examples=int(os.environ.get("CB_HOSTILE_EXAMPLES", "30")),
                   deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.function_scoped_fixture])


@HOSTILE
@given(case=hostile_book(), in_place=st.booleans())
def test_a_hostile_book_is_read_or_refused_never_crashes(tmp_path_factory, case, in_place):
    sheets, plan = case
    folder = tmp_path_factory.mktemp("hostile")
    book = _write(folder / "book.xlsx", sheets, plan)
    before = hashlib.sha256(book.read_bytes()).hexdigest()
    args = ["refresh", str(book)] + ([] if in_place else ["--out", str(folder / "out.xlsx")])
    peak_file = folder.parent / f"{folder.name}.peak"  # the child writes its own peak
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done, peak = run_cli(args, peak_file, env, timeout=300)
    if os.environ.get("CB_HOSTILE_LOG"):  # a tally for the guarantees' figures
        with open(os.environ["CB_HOSTILE_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{done.returncode} {peak}\n")
    assert done.returncode in (0, 2), (done.returncode, done.stderr[-3000:], plan)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    if done.returncode == 2:
        assert done.stderr.strip(), "a refusal says why"
        assert hashlib.sha256(book.read_bytes()).hexdigest() == before
        assert sorted(p.name for p in folder.iterdir()) == ["book.xlsx"]
    assert peak < MEMORY_LIMIT_KB, f"peak {peak / 1024:.0f} MB"
