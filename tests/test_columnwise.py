"""The column-at-a-time reader gives exactly what reading cell by cell gives.

``parse_table`` converts a column at a time (that is what makes a million order rows
take seconds). The reference below is the straightforward reading, one cell at a time,
through the same per-value parsers; hypothesis throws every kind of cell at both —
numbers, text numbers, dates, datetimes, serials, text dates, blanks, whitespace, NaN,
infinities, booleans, Excel errors, merged ranges, short rows — and the frames and the
problems must agree.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_addin.domain import schema
from xl_addin.domain.schema import RawTable, Unreadable, parse_table
from xl_addin.errors import Problems, Reason
from xl_addin.excel.reading import EPOCH_1900, EPOCH_1904, mark_unreadable
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS

EPOCHS = (EPOCH_1900, EPOCH_1904, None)  # the 1900 and 1904 date systems; no day numbers


def _reference(spec, raw: RawTable, problems: Problems) -> pd.DataFrame:
    """parse_table, one cell at a time."""
    found = schema._match_columns(spec, raw, problems)
    used = sorted(found.values())

    def cell(row: list[Any], idx: int) -> Any:
        return row[idx] if idx < len(row) else None

    def hidden(v: Any) -> bool:
        return isinstance(v, Unreadable) and v.code == Reason.MERGED_CELLS

    seen: set[str] = set()
    for idx in used:  # one problem per merged range, in the first column read it hides
        for row in raw.rows:
            v = cell(row, idx)
            if hidden(v) and v.value not in seen:
                seen.add(v.value)
                problems.add(raw.sheet, max(v.row, raw.header_row + 1), str(raw.header[idx]),
                             Reason.MERGED_CELLS, ref=v.value)
    keep = [i for i, r in enumerate(raw.rows)
            if any(not schema.blank(v) and not hidden(v) for j, v in enumerate(r) if j in used)]
    rows = [raw.header_row + 1 + i for i in keep]
    data: dict[str, list[Any]] = {}
    for col in spec.columns:
        out: list[Any] = [None] * len(keep)
        data[col.key] = out
        if col.key not in found:
            continue
        idx = found[col.key]
        header = str(raw.header[idx])
        for n, i in enumerate(keep):
            v = cell(raw.rows[i], idx)
            r = rows[n]
            if isinstance(v, Unreadable):
                if v.code != Reason.MERGED_CELLS:
                    problems.add(raw.sheet, r, header, v.code, value=v.value)
                continue
            if schema.blank(v):
                if col.required:
                    problems.add(raw.sheet, r, header, Reason.REQUIRED_BLANK)
                continue
            try:
                out[n] = (schema.parse_date(v, raw.epoch) if col.kind == "date"
                          else schema._PARSERS[col.kind](v))
            except (ValueError, TypeError, OverflowError):
                problems.append(schema._cell_problem(col, raw, r, header, v))
                continue
            if col.kind == "money" and abs(out[n]) > schema.MAX_AMOUNT:
                shown = v if isinstance(v, str) else f"{out[n]:,.2f}".removesuffix(".00")
                problems.add(raw.sheet, r, header, Reason.NUMBER_TOO_LARGE, value=shown)
                out[n] = None
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(keep)))
    for col in spec.columns:
        if col.kind == "date":
            frame[col.key] = pd.to_datetime(frame[col.key]).astype("datetime64[ns]")
        elif col.kind in {"number", "money", "int", "percent"}:
            frame[col.key] = pd.to_numeric(frame[col.key]).astype("float64")
        elif col.kind == "yn":
            frame[col.key] = frame[col.key].astype("boolean").fillna(False).astype(bool)
        else:
            frame[col.key] = frame[col.key].astype("object")
    frame["_row"] = np.asarray(rows, dtype=np.int64)
    return frame


CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t", "  \n"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda f: round(f, 2)),
    st.integers(min_value=-10**20, max_value=10**20),
    st.booleans(),
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2300, 12, 31)),
    st.datetimes(min_value=dt.datetime(1850, 1, 1), max_value=dt.datetime(2250, 1, 1)),
    st.floats(min_value=-10, max_value=3e6).map(float.__floor__).map(float),  # serials
    st.sampled_from(["2026/3/5", "2026年3月5日", "2026-02-30", "1,200元", "(35)", "abc",
                     "是", "否", "Y", "n", "a", " B ", "Called", "已接通", "1e13",
                     "  C0001 ", "=HYPERLINK(\"x\")", "13800138000"]),
    st.text(max_size=6),
)


@st.composite
def raw_tables(draw, spec):
    names = [c.key for c in spec.columns] + ["Extra"]
    header = draw(st.permutations(names).map(lambda h: h[: max(3, len(h) - 2)]))
    if not draw(st.booleans()):
        header = [c.zh if (c := next((c for c in spec.columns if c.key == h), None))
                  else h for h in header]
    n = draw(st.integers(min_value=0, max_value=14))
    rows = [draw(st.lists(CELLS, min_size=max(0, len(header) - 2), max_size=len(header) + 1))
            for _ in range(n)]
    header_row = draw(st.integers(min_value=1, max_value=4))
    errors = {}
    merged = []
    if n and draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            r = header_row + 1 + draw(st.integers(0, n - 1))
            errors[(r, draw(st.integers(0, len(header) - 1)))] = draw(
                st.sampled_from(["#N/A", "#REF!", "#DIV/0!"]))
    if n > 1 and draw(st.booleans()):
        r1 = header_row + 1 + draw(st.integers(0, n - 2))
        c1 = draw(st.integers(0, len(header) - 1))
        r2 = draw(st.integers(r1, header_row + n))
        c2 = draw(st.integers(c1, len(header) - 1))
        merged.append((f"R{r1}C{c1}:R{r2}C{c2}", r1, c1, r2, c2))
    raw = RawTable("Sheet", header_row, header, rows, draw(st.sampled_from(EPOCHS)))
    return mark_unreadable(raw, errors, merged)


def _same(spec, raw):
    want_errors = Problems()
    want = _reference(spec, raw, want_errors)
    got_errors = Problems()
    got, _ = parse_table(spec, raw, got_errors)
    pd.testing.assert_frame_equal(got, want, check_dtype=True)
    assert [vars(e) for e in got_errors] == [vars(e) for e in want_errors]
    # blank text reads the same way in both (NaN once a column has any text)
    for col in spec.columns:
        if got[col.key].dtype == object:
            g = [None if v is None else ("nan" if isinstance(v, float) and math.isnan(v)
                                          else v) for v in got[col.key]]
            w = [None if v is None else ("nan" if isinstance(v, float) and math.isnan(v)
                                          else v) for v in want[col.key]]
            assert g == w, col.key


HYP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYP
@given(st.data())
def test_customers_read_the_same_column_wise(data):
    _same(CUSTOMERS, data.draw(raw_tables(CUSTOMERS)))


@HYP
@given(st.data())
def test_orders_read_the_same_column_wise(data):
    _same(ORDERS, data.draw(raw_tables(ORDERS)))


@HYP
@given(st.data())
def test_contacts_read_the_same_column_wise(data):
    _same(CONTACTS, data.draw(raw_tables(CONTACTS)))


def test_a_whole_column_of_one_type_takes_the_vectorised_path():
    """A realistic block (what calamine hands over) reads the same both ways."""
    rng = np.random.default_rng(7)
    n = 3000
    rows = [[f"O{i}", f"C{i % 97}", dt.date(2025, 1, 1) + dt.timedelta(days=int(d)),
             float(a), "" if i % 5 else float(a) * 0.6, "护理", float(a)]
            for i, (d, a) in enumerate(zip(rng.integers(0, 600, n),
                                           rng.integers(1, 9000, n) / 100, strict=True))]
    rows[17][2] = "2026/3/5"
    rows[18][3] = "1,200元"
    rows[19][3] = "abc"
    rows[20] = [""] * 7
    raw = RawTable("订单", 1, ["订单号", "客户编号", "下单日期", "金额", "成本", "产品", "已回款"],
                   rows)
    _same(ORDERS, raw)


# --- the other direction: output frames to cells, a column at a time -----------------
def _cells_one_by_one(series: pd.Series) -> list[Any]:
    from xl_addin.excel.sheets import _cell

    return [_cell(v) for v in series.tolist()]


def _typed(cells: list[Any]) -> list[tuple[type, Any]]:
    return [(type(v), v) for v in cells]


@HYP
@given(st.data())
def test_output_columns_become_the_same_cells_column_wise(data):
    from xl_addin.excel.sheets import column_cells

    n = data.draw(st.integers(0, 12))
    floats = st.floats(allow_nan=True, allow_infinity=True)
    stamps = st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1900, 1, 1),
                                               max_value=dt.datetime(2200, 1, 1)),
                       st.dates(min_value=dt.date(1900, 1, 1),
                                max_value=dt.date(2200, 1, 1)).map(
                           lambda d: dt.datetime(d.year, d.month, d.day)))
    series = [
        pd.Series(data.draw(st.lists(floats, min_size=n, max_size=n)), dtype="float64"),
        pd.Series(data.draw(st.lists(st.integers(-2**40, 2**40), min_size=n, max_size=n)),
                  dtype="int64"),
        pd.Series(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool),
        pd.Series(pd.to_datetime(data.draw(st.lists(stamps, min_size=n, max_size=n))),
                  dtype="datetime64[ns]"),
        pd.Series(data.draw(st.lists(st.one_of(st.none(), st.text(max_size=4), floats,
                                               st.integers(-5, 5)), min_size=n, max_size=n)),
                  dtype=object),
        pd.Series(data.draw(st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=n,
                                     max_size=n)), dtype="str"),
        pd.Series(data.draw(st.lists(st.one_of(st.none(), st.integers(-9, 9)), min_size=n,
                                     max_size=n)), dtype="Int64"),
        pd.Series(data.draw(st.lists(st.one_of(st.none(), floats), min_size=n, max_size=n)),
                  dtype="Float64"),
    ]
    for s in series:
        got, want = column_cells(s), _cells_one_by_one(s)
        assert _typed(got) == _typed(want), s.dtype


# --- worksheet functions: a column of arguments read at once ------------------------
UDF_CELLS = st.one_of(
    st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6),
    st.booleans(), st.sampled_from(["", " ", "12", " 3.5 ", "abc", "1e400", "nan", "-inf"]),
    st.dates(), st.datetimes(), st.builds(np.float64, st.floats(-1e6, 1e6)),
    st.builds(np.int64, st.integers(-1000, 1000)),
)


@HYP
@given(st.lists(UDF_CELLS, max_size=30))
def test_udf_numbers_read_the_same_column_wise(values):
    from xl_addin import functions as F

    arr, ok = F._numbers(values)
    for i, v in enumerate(values):
        try:
            want = F._num(v)
        except (TypeError, ValueError, OverflowError):
            assert not ok[i] and math.isnan(arr[i]), (v, arr[i])
            continue
        assert ok[i] and arr[i] == want, (v, arr[i], want)


@HYP
@given(st.lists(st.one_of(st.none(), st.sampled_from(["A", "B", "C", ""]),
                          st.floats(allow_nan=True).filter(lambda x: str(x) != "-0.0")),
                max_size=40))
def test_map_distinct_is_map_called_once_per_value(values):
    from xl_addin.domain.vector import map_distinct

    s = pd.Series(values, dtype=object, index=np.arange(len(values)) * 3)
    calls: list[Any] = []

    def f(v: Any) -> str:
        calls.append(v)
        return f"<{v}>"

    got = map_distinct(s, f)
    assert got.index.equals(s.index)
    assert got.tolist() == [f"<{v}>" for v in values]
    assert len(calls) == len(pd.unique(s))
