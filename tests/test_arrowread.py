"""Typing an input Table straight from the file (xl_addin.excel.arrowread) gives what the
usual reading gives — python-calamine's cells typed by parse_table — or steps aside.

The property: on generated Tables whose columns hold text, numbers, dates, yes/no words,
blanks, spaces of every kind, big and early values, mixed cells, under many number
formats, the straight reading is either None (the sheet is read the usual way) or the
very frame and headers parse_table makes, and then parse_table had nothing to say.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import python_calamine as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.table import Table

from xl_addin.domain.schema import PY_SPACES, parse_inputs, parse_table
from xl_addin.errors import BookError, Problems
from xl_addin.excel import arrowread, files, ooxml
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS, SheetSpec

SPECS = {"Orders": ORDERS, "Customers": CUSTOMERS, "Contacts": CONTACTS}
FORMATS = ["General", "0.00", "#,##0", "0%", "@", "yyyy-mm-dd", "m/d/yy h:mm", "[h]:mm:ss",
           'yyyy"年"m"月"d"日"', "h:mm AM/PM", "d-mmm-yy", "mm:ss", "0.00E+00"]


def write_table(path: Path, sheet: str, header: list[str], rows: list[list[object]],
                formats: list[str], *, at: str = "A1", title: bool = False) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    col0 = openpyxl.utils.column_index_from_string(at.rstrip("0123456789"))
    row0 = int(at[len(at.rstrip("0123456789")):])
    if title:
        ws.cell(1, col0, "客户台账")
    for j, h in enumerate(header):
        ws.cell(row0, col0 + j, h)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            c = ws.cell(row0 + 1 + i, col0 + j)
            c.value = v
            if v is not None and not isinstance(v, str):
                c.number_format = formats[j]
    last = openpyxl.utils.get_column_letter(col0 + len(header) - 1)
    ws.add_table(Table(displayName=sheet.capitalize() + "T",
                       ref=f"{at}:{last}{row0 + max(len(rows), 1)}"))
    wb.save(path)


def both_ways(path: Path, sheet: str, spec: SheetSpec):
    info = ooxml.inspect_book(path)
    wb = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
    try:
        raw, col0, tname = files._raw(wb, info, sheet, spec, None)
    finally:
        wb.close()
    problems = Problems("en")
    usual = parse_table(spec, raw, problems)
    fast = arrowread.typed_table(path, info, sheet, spec,
                                 files._table_for(info, sheet, spec.names()))
    return (raw, col0, tname), usual, problems, fast


def assert_same(usual, problems, fast, raw_etc) -> None:
    raw, col0, tname = raw_etc
    assert not len(problems) and not problems.warnings, problems
    fraw, fcol0, ftname, (frame, headers) = fast
    pd.testing.assert_frame_equal(frame, usual[0], check_exact=True)
    assert headers == usual[1]
    assert (fraw.header_row, list(fraw.header), fcol0, ftname) == (
        raw.header_row, list(raw.header), col0, tname)
    for c in frame.columns:  # the same Python objects, not only equal ones
        if frame[c].dtype == object:
            assert [type(v) for v in frame[c]] == [type(v) for v in usual[0][c]], c


# ---------------------------------------------------------------- generated cells
# (the control characters among them cannot stand in a cell's XML as they are)
_spaces = st.sampled_from([c for c in PY_SPACES if c in "\t\n\r" or ord(c) >= 32])
_word = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co")),
                min_size=1, max_size=6)
_text = st.one_of(
    _word,
    st.builds(lambda a, w, b: a + w + b, st.text(_spaces, max_size=2), _word,
              st.text(_spaces, max_size=2)),
    st.text(_spaces, min_size=1, max_size=3),  # spaces only: a blank cell
    st.sampled_from(["A", "b ", "是", "否", "yes", "N", "1,200.50", "¥30", "2024-05-06",
                     "2024年5月6日", "已接通", "未接通", "C001", "(450)"]),
)
_number = st.one_of(st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 2)),
                    st.integers(-10**6, 10**13).map(float), st.sampled_from([0.0, 1.0, 1e12 + 1]))
_date = st.one_of(
    st.dates(dt.date(1899, 12, 31), dt.date(2230, 1, 1)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)),
)
_cell = {"text": _text, "number": _number, "date": _date, "bool": st.booleans()}
_plain = {"text": _word.map(lambda w: "x" + w.strip() if w.strip() else "x"),
          "number": _number, "date": st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1))}


@st.composite
def tables(draw, spec: SheetSpec):
    n_cols = len(spec.columns)
    keep = draw(st.lists(st.booleans(), min_size=n_cols, max_size=n_cols))
    cols = [c for c, k in zip(spec.columns, keep, strict=True) if k or c.required]
    kinds = [draw(st.sampled_from(["text", "number", "date", "bool", "mixed", "blank"]))
             for _c in cols]
    formats = [draw(st.sampled_from(FORMATS)) for _c in cols]
    n = draw(st.integers(1, 12))
    rows = []
    for _i in range(n):
        row = []
        for kind in kinds:
            if kind == "blank" or draw(st.integers(0, 9)) == 0:
                row.append(None)
            elif kind == "mixed":
                row.append(draw(st.one_of(*_cell.values())))
            else:
                row.append(draw(_cell[kind]))
        rows.append(row)
    if draw(st.booleans()):  # a blank row inside the Table
        rows.insert(draw(st.integers(0, n)), [None] * len(cols))
    header = [c.label(draw(st.sampled_from(["en", "zh-CN"]))) for c in cols]
    at = draw(st.sampled_from(["A1", "B3", "D2"]))
    return header, rows, formats, at


def read_both_ways(path: Path, key: str):
    """parse_table of the sheet as read_book reads it, the usual way and with ``typed``
    (the scan's guard included): (frame, headers) or the error, and what was said."""
    out = []
    for typed in (False, True):
        try:
            with pytest.MonkeyPatch.context() as mp:  # (however small the sheet)
                mp.setattr(files, "STRAIGHT_BYTES", 0)
                raw = files.read_book(path, typed=typed, sheets=(key,)).raw[key]
        except BookError as exc:
            out.append(("refused", exc.code, exc.render("en")))
            continue
        ahead = raw.ahead is not None
        problems = Problems("en")
        frame, headers = parse_table(SPECS[key], raw, problems)
        straight = ahead and not raw.rows  # (else its rows were read after all)
        out.append((frame, headers, [(p.sheet, p.row, p.column, p.code, p.render("en"))
                                     for p in problems], [w.render("en") for w in problems.warnings],
                    straight))
    return out


@pytest.mark.parametrize("key", list(SPECS))
@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_typed_straight_from_the_file_or_not_at_all(tmp_path: Path, key: str, data) -> None:
    """The whole door: the same frame and the same messages, whichever way it read."""
    spec = SPECS[key]
    header, rows, formats, at = data.draw(tables(spec))
    path = tmp_path / "book.xlsx"
    write_table(path, key, header, rows, formats, at=at, title=at != "A1")
    usual, typed = read_both_ways(path, key)
    if isinstance(usual[0], str) or isinstance(typed[0], str):  # refused
        assert typed == usual
        return
    pd.testing.assert_frame_equal(typed[0], usual[0], check_exact=True)
    assert typed[1:4] == usual[1:4]
    for c in typed[0].columns:  # the same kinds of Python objects, not only equal ones
        if typed[0][c].dtype == object:
            assert [type(v) for v in typed[0][c]] == [type(v) for v in usual[0][c]], c
    if typed[4]:  # typed straight from the file: only when there was nothing to say
        assert not usual[2] and not usual[3]


@pytest.mark.parametrize("key", list(SPECS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_table_of_plain_columns_is_typed_straight_from_the_file(tmp_path: Path, key: str,
                                                                   data) -> None:
    """Not vacuous: a Table whose columns each hold what they read is typed this way."""
    spec = SPECS[key]
    by_kind = {"id": "text", "text": "text", "date": "date", "money": "number",
               "number": "number", "int": "number", "percent": "number"}
    cols = [c for c in spec.columns if c.kind in by_kind]
    n = data.draw(st.integers(1, 30))
    rows = [[data.draw(_plain[by_kind[c.kind]]) for c in cols] for _i in range(n)]
    for r in rows:  # (whole numbers where counts are read)
        for j, c in enumerate(cols):
            if c.kind == "int":
                r[j] = float(round(r[j]))
            elif c.kind == "money":
                r[j] = abs(r[j]) % 1e9
    path = tmp_path / "book.xlsx"
    write_table(path, key, [c.label("en") for c in cols], rows,
                ["yyyy-mm-dd" if c.kind == "date" else "0.00" for c in cols])
    raw_etc, usual, problems, fast = both_ways(path, key, spec)
    assert fast is not None
    assert_same(usual, problems, fast, raw_etc)


def test_what_the_straight_reading_steps_aside_for(tmp_path: Path) -> None:
    """A number in an ID column, a date in a money column, a required blank, a day before
    March 1900: each read the usual way (and told there), never typed differently."""
    header = ["OrderID", "CustomerID", "OrderDate", "Amount"]
    base = [["O1", "C1", dt.date(2024, 1, 2), 10.0], ["O2", "C2", dt.date(2024, 1, 3), 20.0]]
    cases = {
        "number in a text column": (1, 1, 1001.0),
        "date in a money column": (0, 3, dt.date(2024, 1, 5)),
        "required blank": (1, 1, None),
        "before March 1900": (0, 2, dt.date(1900, 2, 1)),
        "text in a date column": (1, 2, "2024-01-04"),
    }
    for name, (i, j, v) in cases.items():
        rows = [list(r) for r in base]
        rows[i][j] = v
        path = tmp_path / f"{name}.xlsx"
        money = "yyyy-mm-dd" if isinstance(v, dt.date) and j == 3 else "0.00"  # shown as a date
        write_table(path, "Orders", header, rows, ["General", "General", "yyyy-mm-dd", money])
        raw_etc, usual, problems, fast = both_ways(path, "Orders", ORDERS)
        assert fast is None, name


def test_a_refresh_reads_the_shipped_kind_of_book_the_same_either_way(tmp_path: Path) -> None:
    """read_book(typed=True) hands the Tables over typed (``ahead``) and parse_inputs
    gives the very inputs the usual reading gives, for every task's reads."""
    from xl_addin.bigbook import write_input_book
    from xl_addin.demo import DEFAULT_ANCHOR, make_demo
    from xl_addin.domain.schema import IMPORT_READS

    frames = make_demo(400, 3000, 500)
    path = tmp_path / "book.xlsx"
    write_input_book(path, frames, as_of=DEFAULT_ANCHOR)
    for reads in (None, IMPORT_READS):
        usual = parse_inputs(files.read_book(path).raw, reads=reads)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(files, "STRAIGHT_BYTES", 0)
            book = files.read_book(path, typed=True)
        assert all(book.raw[k].ahead is not None and not book.raw[k].rows
                   for k in ("Customers", "Orders", "Contacts"))
        fast = parse_inputs(book.raw, reads=reads)
        for name in ("customers", "orders", "contacts"):
            pd.testing.assert_frame_equal(getattr(fast, name), getattr(usual, name),
                                          check_exact=True)
        assert fast.settings == usual.settings


def test_a_table_with_a_problem_is_read_and_told_the_usual_way(tmp_path: Path) -> None:
    """typed=True: a Table whose cells have something to say is read after all, and the
    message is the one the usual reading gives (sheet, row, column)."""
    from xl_addin.bigbook import write_input_book
    from xl_addin.demo import DEFAULT_ANCHOR, make_demo
    from xl_addin.errors import InputErrors

    path = tmp_path / "book.xlsx"
    write_input_book(path, make_demo(60, 300, 50), as_of=DEFAULT_ANCHOR)
    wb = openpyxl.load_workbook(path)  # (a plain .xlsx: nothing for openpyxl to drop)
    for ws, label, value in ((wb.worksheets[1], "金额", "twelve"),
                             (wb.worksheets[0], "生日", "明天")):
        col = [c.value for c in ws[1]].index(label) + 1
        ws.cell(9, col).value = value
    wb.save(path)
    said = []
    for typed in (False, True):
        with pytest.raises(InputErrors) as err, pytest.MonkeyPatch.context() as mp:
            mp.setattr(files, "STRAIGHT_BYTES", 0)
            parse_inputs(files.read_book(path, typed=typed).raw)
        said.append([(p.sheet, p.row, p.column, p.code) for p in err.value.errors])
    assert said[0] == said[1] and said[0]


def test_python_spaces_are_what_strip_takes() -> None:
    assert set(PY_SPACES) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert np.all([("a" + c).strip() == "a" for c in PY_SPACES])


# ------------------------------------------------ a whole refresh, straight or the usual way
def refresh_both_ways(book: Path, folder: Path, *, children: bool) -> tuple[tuple, tuple]:
    """Every part a refresh writes (or its refusal), reading the usual way only and with
    the straight reading; with ``children``, the Orders sheet read in a child."""
    from test_forked import outcome

    from xl_addin import forked

    got = []
    for straight in (False, True):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(forked, "available", lambda: children)
            mp.setattr(files, "AHEAD_BYTES", 0)
            mp.setattr(files, "STRAIGHT_BYTES", 0)
            if not straight:
                mp.setattr(files, "TYPED_HERE", frozenset())
                mp.setattr(arrowread, "typed_table", lambda *a, **k: None)
            got.append(outcome(book, folder / f"out-{straight}.xlsx"))
    return got[0], got[1]


@pytest.mark.parametrize("children", [False, True], ids=["here", "in-a-child"])
@pytest.mark.parametrize("cell", [None, 1e12 + 1, 13800138000.0, -3.0, "twelve"],
                         ids=["clean", "huge", "phone", "negative", "text"])
def test_a_refresh_writes_the_same_bytes_whichever_way_it_reads(tmp_path: Path, cell,
                                                                children: bool) -> None:
    """A Product, a Birthday, a NextFollowUp cell holding a number shown as a date (one
    past any date type when huge: one reader reads a blank there, so the scan sends the
    sheet the usual way), or text where a date goes."""
    from test_forked import orders_book

    # Cost blank but for that one cell: a column of one date cell to the other reader
    book = orders_book(tmp_path / "book.xlsx", 120, bad={k: ("Cost", None) for k in
                                                         range(1, 121)})
    if cell is not None:
        wb = openpyxl.load_workbook(book)
        for sheet, label in (("Orders", "Product"), ("Orders", "Cost"), ("Customers", "Birthday"),
                             ("Contacts", "NextFollowUp")):
            ws = wb[sheet]
            header = [c.value for c in ws[1]]
            if label in header:
                c = ws.cell(4, header.index(label) + 1)
                c.value = cell
                c.number_format = "yyyy-mm-dd"
        wb.save(book)
    usual, straight = refresh_both_ways(book, tmp_path, children=children)
    assert straight == usual
    if cell is None:
        assert usual[0] == "written"


@settings(max_examples=int(os.environ.get("CB_HOSTILE_EXAMPLES", "30")), deadline=None,
          derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.data_too_large,
                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_hostile_book_gives_the_same_whichever_way_it_reads(tmp_path_factory, data) -> None:
    from test_hostile import _write as write_hostile
    from test_hostile import hostile_book

    sheets, plan = data.draw(hostile_book())
    folder = tmp_path_factory.mktemp("straight")
    book = write_hostile(folder / "book.xlsx", sheets, plan)
    usual, straight = refresh_both_ways(book, folder, children=data.draw(st.booleans()))
    assert straight == usual


@pytest.mark.parametrize("value, huge", [
    ("45620", False), ("5782.55", False), ("3637.2500000000005", False), ("-1234567", False),
    ("13800138000", True), ("-12345678", True), ("1E+20", True), ("1.5e+300", True),
    ("1E-05", False),
])
def test_the_scan_marks_a_number_a_date_format_may_not_hold(value: str, huge: bool) -> None:
    """Eight digits before the point, or an exponent up: a day no date type holds when a
    date format is on it (one reader reads a blank there): the sheet is read the usual
    way. Shorter numbers and small exponents are days every reader reads alike."""
    from xl_addin.excel.ooxml.scan import scan_bounds, scan_facts

    for prefix in ("", "x:"):
        data = (f'<{prefix}worksheet><{prefix}sheetData><{prefix}row r="2"><{prefix}c r="A2" s="1">'
                f"<{prefix}v>{value}</{prefix}v></{prefix}c></{prefix}row></{prefix}sheetData>"
                f"</{prefix}worksheet>").encode()
        assert scan_facts(data, scan_bounds(data)).huge is huge, (prefix, value)
