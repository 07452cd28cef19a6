"""Orders kept beside the workbook (Settings OrdersSource): the same outputs as the same
orders in the sheet, for every kind of source; the facts the SQL computes equal the
engine's own computation; problems said with the file, row and column, nothing written."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from source_book import AS_OF, book, demo, differences, outputs, write_source

from xl_addin.domain import btyd
from xl_addin.domain.schema import parse_inputs
from xl_addin.domain.value import customer_history
from xl_addin.errors import BookError, InputErrors, Reason
from xl_addin.excel import files
from xl_addin.macros import _orders_optional, refresh_file
from xl_addin.sources import OrdersRelation, locate, order_facts, recent_since
from xl_addin.sources.aggregate import day_number

PLANS = [["Product", "OffsetDays", "From", "CourseDays", "Note"],
         ["Skincare Set", 3, None, None, "how is the skin?"],
         ["Skincare Set", 14, None, None, None],
         ["Deep Care Course", -3, "End", 30, "course ends soon"]]


def tricky(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The demo's orders with what tie-breaks hang on: two purchases of one customer on
    one day with different products (the later row's product is the last product), a
    purchase without a product after one with, a zero-amount visit, refunds, blank
    costs, orders after the as-of date."""
    o = frames["Orders"].copy()
    o.loc[o.index[::37], "Product"] = None
    extra = pd.DataFrame({
        "OrderID": ["X1", "X2", "X3", "X4", "X5", "X6"],
        "CustomerID": ["C0001", "C0001", "C0002", "C0002", "C0003", "C0004"],
        "OrderDate": pd.to_datetime(["2026-03-20", "2026-03-20", "2026-03-25", "2026-03-26",
                                     "2026-03-28", "2026-04-05"]),
        "Amount": [120.5, 80.25, 60.0, 0.0, -30.0, 999.0],
        "Cost": [np.nan, 40.0, np.nan, np.nan, np.nan, np.nan],
        "Product": ["Skincare Set", "Deep Care Course", "Skincare Set", None, None, "Kit"],
        "Paid": [np.nan] * 6,
    })
    return {**frames, "Orders": pd.concat([o, extra], ignore_index=True)}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return tricky(demo())


@pytest.fixture(scope="module")
def in_sheet(tmp_path_factory, frames) -> dict:
    """The reference: every order on the Orders sheet, refreshed."""
    d = tmp_path_factory.mktemp("sheet")
    path = book(d / "sheet.xlsx", frames, plans=PLANS)
    refresh_file(path, d / "out.xlsx")
    return outputs(d / "out.xlsx")


def _refreshed(path: Path) -> dict:
    out = path.with_name(path.stem + "-out.xlsx")
    refresh_file(path, out)
    return outputs(out)


@pytest.mark.parametrize("kind", ["parquet", "csv", "csv-folder", "parquet-folder", "duckdb"])
def test_the_same_orders_in_a_source_give_the_same_outputs(tmp_path, frames, in_sheet, kind):
    o = frames["Orders"]
    if kind == "parquet":
        write_source(o, tmp_path / "orders.parquet")
        where = "orders.parquet"
    elif kind == "csv":  # the column names in Chinese, as a till writes them
        write_source(o, tmp_path / "data" / "orders.csv", columns={
            "OrderID": "订单号", "CustomerID": "客户编号", "OrderDate": "下单日期",
            "Amount": "金额", "Cost": "成本", "Product": "产品", "Paid": "已回款"})
        where = "data/orders.csv"
    elif kind == "csv-folder":  # a file per year, read in name order
        years = o["OrderDate"].dt.year
        for y in sorted(years.unique()):
            write_source(o[years == y], tmp_path / "history" / f"{y}.csv")
        where = "history"
    elif kind == "parquet-folder":  # partitioned by year in sub-folders
        years = o["OrderDate"].dt.year
        for y in sorted(years.unique()):
            write_source(o[years == y], tmp_path / "history" / f"year={y}" / "part.parquet")
        where = "history"
    else:
        write_source(o, tmp_path / "shop.duckdb")
        where = "shop.duckdb"
    path = book(tmp_path / "book.xlsx", frames, orders=o.iloc[:0], plans=PLANS,
                OrdersSource=where)
    got = _refreshed(path)
    assert differences(in_sheet, got) == []
    analysis = got["Analysis"]
    assert len(analysis) == 401 and sum(1 for r in analysis[1:] if r[4]) > 300  # buyers
    assert any(r[3] == "Plan" for r in got["FollowUps"][1:])  # plan calls came from it


def test_orders_split_between_the_source_and_the_sheet(tmp_path, frames, in_sheet):
    """History in the source, this month's orders on the sheet: as if all were on it."""
    o = frames["Orders"]
    old = o["OrderDate"] < pd.Timestamp("2026-03-01")
    write_source(o[old], tmp_path / "archive" / "orders.parquet")
    path = book(tmp_path / "book.xlsx", frames, orders=o[~old], plans=PLANS,
                OrdersSource="archive")
    assert differences(in_sheet, _refreshed(path)) == []


def test_contacts_kept_beside_the_workbook(tmp_path, frames, in_sheet):
    c = frames["Contacts"]
    write_source(c, tmp_path / "contacts.parquet")
    write_source(frames["Orders"], tmp_path / "orders.parquet")
    path = book(tmp_path / "book.xlsx", frames, orders=frames["Orders"].iloc[:0],
                contacts=c.iloc[:0], plans=PLANS, OrdersSource="orders.parquet",
                ContactsSource="contacts.parquet")
    assert differences(in_sheet, _refreshed(path)) == []


# ------------------------------------------------------- the facts, one by one
def _facts(tmp_path, frames):
    write_source(frames["Orders"], tmp_path / "orders.parquet")
    path = book(tmp_path / "book.xlsx", frames, orders=frames["Orders"].iloc[:0],
                plans=PLANS, OrdersSource="orders.parquet")
    data = files.read_book(path)
    inputs = parse_inputs(_orders_optional(data.raw))
    held = contextlib.ExitStack()
    s = inputs.settings
    rel = OrdersRelation(locate(tmp_path, "orders.parquet"), inputs.orders, inputs.customers,
                         "en")
    held.callback(rel.close)  # open: splits other than the engine's are computed on it
    facts = order_facts(rel, AS_OF, s.DefaultMarginRate,
                        recent_since(inputs.plans, AS_OF, s.DropAfterDays))
    return inputs, dataclasses.replace(inputs, order_facts=facts), held


def test_the_sql_facts_are_the_engines_own_numbers(tmp_path, frames):
    sheet_inputs = parse_inputs(_orders_optional(files.read_book(
        book(tmp_path / "ref.xlsx", frames, plans=PLANS)).raw))
    inputs, src, held = _facts(tmp_path, frames)
    with held:
        facts = src.order_facts
        s = inputs.settings
        ref = customer_history(sheet_inputs.customers, sheet_inputs.orders,
                               sheet_inputs.contacts, s, AS_OF)
        got = customer_history(src.customers, src.orders, src.contacts, s, AS_OF, facts=facts)
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
        assert got.loc["C0001", "LastProduct"] == "Deep Care Course"  # the later row that day
        assert got.loc["C0002", "LastProduct"] == "Skincare Set"  # the last one that names one
        assert got.loc["C0004", "Revenue"] == ref.loc["C0004", "Revenue"]  # 5 April: after

        o = sheet_inputs.orders
        buys = o[(o["OrderDate"] <= pd.Timestamp(AS_OF)) & (o["Amount"] >= 0)]
        args = (buys["CustomerID"].to_numpy(), buys["OrderDate"].to_numpy(),
                buys["Amount"].to_numpy(float))
        want = btyd.summary_from_transactions(*args, np.datetime64(AS_OF, "D"),  # as scored
                                              money_digits=btyd.MONEY_DIGITS)
        have = facts.summary
        assert list(have.customer_id) == list(want.customer_id)
        np.testing.assert_array_equal(have.frequency, want.frequency)
        np.testing.assert_array_equal(have.recency, want.recency)
        np.testing.assert_array_equal(have.T, want.T)
        np.testing.assert_array_equal(have.monetary_value, want.monetary_value)  # every bit

        end = day_number(AS_OF)
        for holdout in (60, 120, btyd.default_holdout_days(end - facts.first_purchase_day)):
            cal = end - holdout
            want_h = btyd.split_calibration_holdout(*args, np.datetime64(cal, "D"),
                                                    np.datetime64(end, "D"))
            have_h = facts.holdout(cal, end)
            assert list(have_h.calibration.customer_id) == list(want_h.calibration.customer_id)
            np.testing.assert_array_equal(have_h.calibration.frequency,
                                          want_h.calibration.frequency)
            np.testing.assert_array_equal(have_h.holdout_purchases, want_h.holdout_purchases)
            np.testing.assert_array_equal(have_h.first_holdout_day, want_h.first_holdout_day)
            assert (have_h.first_purchase, have_h.holdout_days) == (want_h.first_purchase,
                                                                    want_h.holdout_days)
        assert facts.first_purchase_day == int(np.datetime64(buys["OrderDate"].min(), "D")
                                               .astype(np.int64))
        # the plans' orders: every one a plan could be due from, in row order
        since = facts.recent_from
        assert since is not None and since < AS_OF - dt.timedelta(days=30)
        want_r = o[(o["OrderDate"] >= pd.Timestamp(since)) & (o["OrderDate"] <= pd.Timestamp(AS_OF))
                   & (o["Amount"] > 0) & o["Product"].notna()]
        assert facts.recent["CustomerID"].tolist() == want_r["CustomerID"].tolist()
        assert facts.recent["Product"].tolist() == want_r["Product"].tolist()


def test_money_from_a_source_in_another_row_order_is_the_same_to_the_last_bit(tmp_path,
                                                                              frames):
    """Money is added up exactly (whole millionths), so however a source's rows come —
    re-sorted by an export, spread over files, read by several threads — every total is
    the sheet's to the last bit."""
    sheet = parse_inputs(_orders_optional(files.read_book(
        book(tmp_path / "ref.xlsx", frames, plans=PLANS)).raw))
    shuffled = frames["Orders"].sample(frac=1.0, random_state=11).reset_index(drop=True)
    write_source(shuffled, tmp_path / "orders.parquet")
    rel = OrdersRelation(locate(tmp_path, "orders.parquet"), None, sheet.customers, "en")
    try:
        facts = order_facts(rel, AS_OF, sheet.settings.DefaultMarginRate, None)
    finally:
        rel.close()
    s = sheet.settings
    ref = customer_history(sheet.customers, sheet.orders, sheet.contacts, s, AS_OF)
    got = customer_history(sheet.customers, sheet.orders.iloc[:0], sheet.contacts, s, AS_OF,
                           facts=facts)
    for column in ("Revenue", "Margin", "Orders", "FirstOrderDate", "LastOrderDate",
                   "AvgOrderValue", "MarginRate"):
        pd.testing.assert_series_equal(got[column], ref[column], check_exact=True)
    assert (ref["Revenue"] != ref["Revenue"].round(2)).sum() == 0  # cents stay cents
    assert (facts.history["Refunds"] < 0).sum() > 10  # refunds net the revenue
    o = sheet.orders
    buys = o[(o["OrderDate"] <= pd.Timestamp(AS_OF)) & (o["Amount"] >= 0)]
    want = btyd.summary_from_transactions(buys["CustomerID"].to_numpy(),
                                          buys["OrderDate"].to_numpy(),
                                          buys["Amount"].to_numpy(float),
                                          np.datetime64(AS_OF, "D"),
                                          money_digits=btyd.MONEY_DIGITS)
    np.testing.assert_array_equal(facts.summary.monetary_value, want.monetary_value)
    assert not rel.spill.exists()  # DuckDB's folder for what it could not hold: gone


def test_a_book_without_a_source_never_loads_duckdb(tmp_path, frames):
    """Nor fastexcel: a small book is read the usual way (only a big input Table is typed
    straight from the file, which DuckDB hands over: xl_addin/excel/arrowread.py)."""
    path = book(tmp_path / "book.xlsx", frames)
    code = ("import sys; from xl_addin.macros import refresh_file; "
            f"refresh_file({str(path)!r}, {str(tmp_path / 'out.xlsx')!r}); "
            "print('duckdb' in sys.modules, 'fastexcel' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False False"


# ------------------------------------------------------------- problems
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xl_addin.cli", *args], capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def small() -> dict[str, pd.DataFrame]:
    return demo(40, 300, 50, seed=3)


def test_a_missing_source_is_said_in_the_books_language_and_nothing_is_written(tmp_path,
                                                                               small):
    path = book(tmp_path / "book.xlsx", small, orders=small["Orders"].iloc[:0], lang="zh-CN",
                OrdersSource="历史/orders.parquet")
    before = _digest(path)
    run = _cli("refresh", str(path))
    assert run.returncode == 2
    assert "设置项 OrdersSource 指向 历史/orders.parquet，但它不存在" in run.stderr
    assert "Traceback" not in run.stderr and _digest(path) == before


@pytest.mark.parametrize("name, content, code", [
    ("orders.parquet", b"PAR1 this is not a parquet file", Reason.SOURCE_UNREADABLE),
    ("orders.xls", b"\xd0\xcf\x11\xe0", Reason.SOURCE_KIND),
])
def test_an_unreadable_source(tmp_path, small, name, content, code):
    (tmp_path / name).write_bytes(content)
    path = book(tmp_path / "book.xlsx", small, OrdersSource=name)
    with pytest.raises(BookError) as info:
        refresh_file(path)
    assert info.value.code == code and name in info.value.render("en")


def test_a_folder_of_both_kinds_is_refused(tmp_path, small):
    write_source(small["Orders"], tmp_path / "h" / "a.csv")
    write_source(small["Orders"], tmp_path / "h" / "b.parquet")
    with pytest.raises(BookError, match="both CSV and Parquet"):
        locate(tmp_path, "h")


def test_a_source_without_a_required_column_lists_its_columns(tmp_path, small):
    write_source(small["Orders"].drop(columns="Amount"), tmp_path / "o.parquet")
    path = book(tmp_path / "book.xlsx", small, orders=small["Orders"].iloc[:0],
                OrdersSource="o.parquet")
    before = _digest(path)
    run = _cli("refresh", str(path))
    assert run.returncode == 2
    assert "Sheet 'o.parquet': required column is missing (expected one of Amount / 金额" \
        in run.stderr
    assert "found OrderID, CustomerID, OrderDate, Cost, Product, Paid" in run.stderr
    assert _digest(path) == before


def test_bad_rows_of_a_source_are_named_with_their_file_row_and_column(tmp_path, small):
    o = small["Orders"].astype({"Amount": object, "OrderDate": object}).copy()
    o.loc[4, "Amount"] = "12,5"  # a decimal comma
    o.loc[7, "OrderDate"] = "2026-02-30"
    o.loc[9, "CustomerID"] = "C9999"
    o.loc[11, "Amount"] = None
    o["OrderDate"] = o["OrderDate"].map(lambda v: v if isinstance(v, str) else
                                        pd.Timestamp(v).date().isoformat())
    o["Amount"] = o["Amount"].map(lambda v: None if v is None else str(v))
    write_source(o, tmp_path / "o.csv")
    path = book(tmp_path / "book.xlsx", small, orders=small["Orders"].iloc[:0],
                OrdersSource="o.csv")
    with pytest.raises(InputErrors) as info:
        refresh_file(path)
    found = [(e.sheet, e.row, e.column, e.code) for e in info.value.errors]
    assert found == [  # CSV lines: the header is line 1
        ("o.csv", 6, "Amount", Reason.NOT_A_NUMBER),
        ("o.csv", 9, "OrderDate", Reason.NOT_A_DATE),
        ("o.csv", 11, "CustomerID", Reason.UNKNOWN_CUSTOMER),
        ("o.csv", 13, "Amount", Reason.REQUIRED_BLANK),
    ]
    assert "C9999" in info.value.render("en")


def test_a_refused_source_leaves_no_files_behind(tmp_path, small, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    o = small["Orders"].copy()
    o.loc[3, "CustomerID"] = "C9999"
    write_source(o, tmp_path / "o.parquet")
    with pytest.raises(InputErrors, match="C9999"):
        OrdersRelation(locate(tmp_path, "o.parquet"), None, small["Customers"], "en")
    assert list(scratch.iterdir()) == []


def test_the_source_is_opened_once_and_closed(tmp_path, small):
    write_source(small["Orders"], tmp_path / "o.parquet")
    rel = OrdersRelation(locate(tmp_path, "o.parquet"), None, small["Customers"], "en")
    facts = order_facts(rel, AS_OF, 0.3, None)
    rel.close()
    assert facts.rows == len(small["Orders"]) and facts.has_purchases


def test_a_source_larger_than_duckdbs_memory_is_worked_through_on_disk(tmp_path,
                                                                       monkeypatch):
    """DuckDB holds at most MEMORY_LIMIT and works through temporary files beyond it:
    the same facts, and the files are gone when the source closes."""
    import duckdb

    from xl_addin.sources import reading

    customers = pd.DataFrame({"CustomerID": [f"C{i:05d}" for i in range(20_000)]})
    path = tmp_path / "orders.parquet"
    duckdb.sql(f"""COPY (SELECT 'O' || range AS OrderID,
        'C' || lpad(CAST(CAST(floor(random() * 20000) AS INTEGER) AS VARCHAR), 5, '0')
            AS CustomerID,
        DATE '2026-03-31' - CAST(floor(random() * 1460) AS INTEGER) AS OrderDate,
        round(random() * 500 - 20, 2) AS Amount,
        CASE WHEN random() < 0.3 THEN NULL ELSE round(random() * 100, 2) END AS Cost,
        ['Kit', 'Course', NULL][1 + CAST(floor(random() * 3) AS INTEGER)] AS Product
        FROM range(1500000)) TO '{path}' (FORMAT parquet)""")
    got = {}
    for limit in ("1GB", "30MB"):
        monkeypatch.setattr(reading, "MEMORY_LIMIT", limit)
        rel = OrdersRelation(locate(tmp_path, "orders.parquet"), None, customers, "en")
        try:
            facts = order_facts(rel, AS_OF, 0.3, dt.date(2026, 3, 1))
            spilled = rel.con.execute("SELECT count(*) FROM duckdb_temporary_files()"
                                      ).fetchall()[0][0]
        finally:
            rel.close()
        assert not rel.spill.exists()
        got[limit] = (facts, spilled)
    (big, none), (small, some) = got["1GB"], got["30MB"]
    assert none == 0 and some > 0  # the small limit did make DuckDB use the disk
    pd.testing.assert_frame_equal(small.history, big.history, check_exact=True)
    np.testing.assert_array_equal(small.summary.monetary_value, big.summary.monetary_value)
    pd.testing.assert_frame_equal(small.recent, big.recent, check_exact=True)
    assert small.rows == 1_500_000 and len(small.recent) > 10_000


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_what_was_received_is_checked_in_a_source_as_on_the_sheet(tmp_path, small, kind):
    """Paid on a sale lies between 0 and its Amount (a cent of rounding allowed) in a
    source as on the Orders sheet: the same rows refused with the same words; a refund's
    Paid and a blank Paid are not read."""
    o = small["Orders"].copy()
    amount = o["Amount"].to_numpy()
    sales = np.flatnonzero(amount > 1)
    o["Paid"] = np.nan
    o.loc[sales[0], "Paid"] = -5.0  # below 0
    o.loc[sales[1], "Paid"] = amount[sales[1]] + 10.0  # above the amount
    o.loc[sales[2], "Paid"] = amount[sales[2]] + 0.004  # within a cent's rounding
    o.loc[sales[3], "Paid"] = amount[sales[3]]  # paid in full
    o.loc[sales[4], "Paid"] = 1234567.5  # far above: shown with its thousands
    refund = o.index[-1]
    o.loc[refund, ["Amount", "Paid"]] = [-20.0, 500.0]  # a refund: Paid not read

    def said(path: Path, first_row: int) -> list[tuple]:  # rows counted from the first order
        with pytest.raises(InputErrors) as info:
            refresh_file(path)
        return [(e.row - first_row, e.column, e.code, e.render("en").split(": ", 1)[1],
                 e.render("zh-CN").split("：", 1)[1]) for e in info.value.errors]

    on_sheet = said(book(tmp_path / "sheet.xlsx", small, orders=o), 2)  # below the header
    name = f"o.{kind}"
    write_source(o, tmp_path / name)
    in_source = said(book(tmp_path / "book.xlsx", small, orders=o.iloc[:0],
                          OrdersSource=name), 2 if kind == "csv" else 1)  # CSV: its lines
    assert [p[:3] for p in on_sheet] == [
        (int(sales[0]), "Paid", Reason.PAID_NEGATIVE),
        (int(sales[1]), "Paid", Reason.PAID_ABOVE_AMOUNT),
        (int(sales[4]), "Paid", Reason.PAID_ABOVE_AMOUNT)]
    assert in_source == on_sheet
    assert "1,234,567.50" in on_sheet[2][3] and "1,234,567.50" in on_sheet[2][4]
