"""Reading inputs: names in any language, types, and every problem reported at once."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.books import (
    CONTACT_HEADER,
    CUSTOMER_HEADER,
    ORDER_HEADER,
    contact,
    customer,
    order,
    raw_book,
)

from xl_addin.domain.schema import (
    IMPORT_READS,
    RawTable,
    _columns,
    parse_date,
    parse_inputs,
    parse_number,
    parse_table,
)
from xl_addin.errors import InputErrors, Problems
from xl_addin.excel.reading import EPOCH_1900, EPOCH_1904, mark_unreadable
from xl_addin.names import CUSTOMERS

D = dt.date


@pytest.mark.parametrize("value,expected", [
    (dt.datetime(2026, 3, 5, 10, 30), D(2026, 3, 5)),
    (D(2026, 3, 5), D(2026, 3, 5)),
    ("2026-03-05", D(2026, 3, 5)),
    ("2026/3/5", D(2026, 3, 5)),
    ("2026年3月5日", D(2026, 3, 5)),
    ("2026.3.5", D(2026, 3, 5)),
    (46086.0, D(2026, 3, 5)),  # Excel serial number
], ids=["datetime", "date", "iso", "slash", "chinese", "dots", "serial"])
def test_parse_date_accepts_the_forms_users_type(value, expected):
    assert parse_date(value, EPOCH_1900) == expected


def test_day_numbers_count_from_the_workbooks_epoch():
    # Excel: 2026-03-05 is day 46086 in the 1900 date system and 44624 in the 1904 one
    assert parse_date(46086.0, EPOCH_1900) == parse_date(44624, EPOCH_1904) == D(2026, 3, 5)
    with pytest.raises(ValueError):  # a source without day numbers: a number is no date
        parse_date(46086.0)


@pytest.mark.parametrize("value", ["2026-02-30", "next week", "3/5", -5.0, True, "1899-01-01"])
def test_parse_date_refuses_nonsense(value):
    with pytest.raises(ValueError):
        parse_date(value, EPOCH_1900)


def test_chinese_and_odd_case_headers_are_matched():
    raw = raw_book([customer("C1")])
    raw["Customers"] = RawTable("客户", 1, ["客户编号", "客户名称", " OWNER ", "do_not_contact"],
                                [["C1", "张三", "王丽", "是"]])
    raw["Orders"] = RawTable("订单", 1, ["customer id", "下单日期", "金额"],
                             [["C1", "2026年1月2日", "1,200元"]])
    inputs = parse_inputs(raw)
    assert inputs.customers.loc[0, "Owner"] == "王丽"
    assert bool(inputs.customers.loc[0, "DoNotContact"]) is True
    assert inputs.orders.loc[0, "Amount"] == 1200.0
    assert inputs.orders.loc[0, "OrderDate"].date() == D(2026, 1, 2)


def test_all_problems_are_reported_with_sheet_row_and_column():
    raw = raw_book(
        [customer("C1"), customer("C1"), customer("C2", ClassOverride="Z")],
        [order("C1", "someday", 10.0), order("C9", D(2026, 1, 1), "abc")],
        [contact("C2", None)],
    )
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    problems = {(e.sheet, e.row, e.column, e.code) for e in info.value.errors}
    assert problems == {
        ("Customers", 3, "CustomerID", "duplicate_id"),
        ("Customers", 4, "ClassOverride", "not_in_choices"),
        ("Orders", 2, "OrderDate", "not_a_date"),
        ("Orders", 3, "Amount", "not_a_number"),
        ("Orders", 3, "CustomerID", "unknown_customer"),
        ("Contacts", 2, "ContactDate", "required_blank"),
    }
    text = info.value.render("en")
    assert "Sheet 'Orders', row 3, column 'Amount': expected a number, found 'abc'" in text
    zh = info.value.render("zh-CN")
    assert "工作表「Orders」第 3 行「Amount」列：应为数字" in zh


def test_missing_sheet_and_missing_column():
    raw = raw_book([customer("C1")])
    raw["Orders"] = RawTable("Orders", 4, ["CustomerID", "Amount"], [])
    raw["Customers"] = None
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    codes = {(e.sheet, e.row, e.code) for e in info.value.errors}
    assert ("Orders", 4, "missing_column") in codes
    assert any(c[2] == "missing_sheet" for c in codes)
    assert "OrderDate / 下单日期" in info.value.render("en")


def test_blank_rows_inside_a_table_are_skipped_but_rows_keep_their_excel_numbers():
    raw = raw_book([customer("C1"), [None] * 14, customer("C2", ClassOverride="Q")])
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    assert [e.row for e in info.value.errors] == [4]


def test_error_values_in_cells_are_reported():
    raw = raw_book([customer("C1")], [order("C1", D(2026, 1, 1), None)])
    raw["Orders"].rows[0][ORDER_HEADER.index("Amount")] = None  # as calamine shows it
    mark_unreadable(raw["Orders"], {(2, ORDER_HEADER.index("Amount")): "#N/A"}, ())
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    assert [(e.row, e.code, e.params["value"]) for e in info.value.errors] == [
        (2, "error_value", "#N/A")]


def test_settings_are_typed_and_validated():
    raw = raw_book([customer("C1")], settings={"ABC_A_Share": "70%", "CallsPerOwnerPerDay": 5})
    s = parse_inputs(raw).settings
    assert (s.ABC_A_Share, s.CallsPerOwnerPerDay, s.Language) == (0.7, 5, "en")
    bad = raw_book([customer("C1")], settings={"DormantDays": "soon", "ABC_A_Share": 1.5})
    with pytest.raises(InputErrors) as info:
        parse_inputs(bad)
    assert sorted(e.params["key"] for e in info.value.errors) == ["ABC_A_Share", "DormantDays"]


def test_unknown_language_is_refused():
    raw = raw_book([customer("C1")])
    raw["Settings"].rows[0][1] = "Klingon"
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    assert info.value.errors[0].params["key"] == "Language"


def test_as_of_override_and_refunds_are_legal():
    raw = raw_book([customer("C1")], [order("C1", D(2026, 1, 1), -30.0)])
    inputs = parse_inputs(raw, as_of=D(2026, 2, 1))
    assert inputs.settings.AsOfDate == D(2026, 2, 1)
    assert inputs.orders.loc[0, "Amount"] == -30.0


def test_phone_typed_as_number_stays_text_without_decimal():
    raw = raw_book([customer("C1", Phone=13812345678.0)])
    assert parse_inputs(raw).customers.loc[0, "Phone"] == "13812345678"


def test_contacts_outcome_words_in_either_language():
    raw = raw_book([customer("C1")], [], [contact("C1", D(2026, 1, 1), Outcome="未接通"),
                                          contact("C1", D(2026, 1, 2), Outcome="left a note")])
    assert parse_inputs(raw).contacts["Outcome"].tolist() == ["NoAnswer", "left a note"]
    assert CONTACT_HEADER[0] == "CustomerID"


def test_a_lunar_birthday_must_be_a_lunar_date():
    raw = raw_book([customer("C1", Birthday=D(1990, 1, 31), LunarBirthday="Y"),
                    customer("C2", Birthday=D(1990, 1, 30), LunarBirthday="Y"),
                    customer("C3", Birthday=D(1990, 1, 31))])
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    assert [(e.row, e.column, e.code) for e in info.value.errors] == [
        (2, "Birthday", "not_a_lunar_date")]
    assert "01-31" in info.value.errors[0].render("en")
    assert "农历每月最多 30 天" in info.value.errors[0].render("zh-CN")


@pytest.mark.parametrize("text,value", [
    ("1,200.50", 1200.5), ("¥1,200.50", 1200.5), ("￥1,200", 1200.0), ("1200元", 1200.0),
    ("RMB 150", 150.0), ("3 000", 3000.0), ("(450)", -450.0), ("-1,200", -1200.0),
    ("１２００", 1200.0), (".5", 0.5), ("1e3", 1000.0),
], ids=lambda v: str(v))
def test_numbers_in_the_one_convention_are_read(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", [
    "1.200,50", "99,5", "1_000", "(450", "1 200,50", "12,3456", "1,2,3", "1,200,00", "٣",
    "1.2.3", "--5", "",
])
def test_numbers_in_other_conventions_are_refused_never_misread(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_a_decimal_comma_is_named_at_its_cell():
    raw = raw_book([customer("C1")], [order("C1", D(2026, 1, 1), "1.200,50"),
                                      order("C1", D(2026, 1, 2), "99,5"),
                                      order("C1", D(2026, 1, 3), "abc")])
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    assert [(e.row, e.code) for e in info.value.errors] == [
        (2, "number_convention"), (3, "number_convention"), (4, "not_a_number")]
    assert "1,200.50" in info.value.errors[0].render("en")


@pytest.mark.parametrize("text", ["2026-03-10 99:99", "2026-03-10 24:00", "2026/3/10 12:60",
                                  "2026-03-10 12:30:61"])
def test_a_time_no_clock_shows_is_no_date(text):
    with pytest.raises(ValueError):
        parse_date(text)
    assert parse_date("2026-03-10 23:59:59") == D(2026, 3, 10)


def test_orders_of_customers_not_listed_are_refused_even_when_customers_is_empty():
    raw = raw_book([], [order("C1", D(2026, 1, 1), 10.0)], [contact("C2", D(2026, 1, 2))])
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    assert [(e.sheet, e.row, e.code) for e in info.value.errors] == [
        ("Orders", 2, "unknown_customer"), ("Contacts", 2, "unknown_customer")]


def test_a_flood_of_problems_is_listed_in_part_and_counted():
    raw = raw_book([customer("C1")], [order("X", D(2026, 1, 1), 10.0)] * 450)
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    text = info.value.render("en")
    assert text.startswith("450 problem(s) found") and "… and 250 more not listed here" in text
    assert text.count("\n  - ") == 200


# ------------------------------------------------- what a task reads (parse_inputs reads)
def test_an_import_reads_the_customers_ids_and_phones_and_checks_only_them():
    raw = raw_book(
        [customer("C1", Phone="138 0013 8000", ClassOverride="Z"), customer("C2"),
         customer("C1"), [None] * 14],
        [order("C1", D(2026, 1, 1), 10.0)],
        [contact("C2", None)],
    )
    with pytest.raises(InputErrors) as info:  # what an import uses, checked as ever
        parse_inputs(raw, reads=IMPORT_READS)
    assert {(e.sheet, e.row, e.code) for e in info.value.errors} == {
        ("Customers", 4, "duplicate_id")}
    raw["Customers"].rows.pop(2)
    inputs = parse_inputs(raw, reads=IMPORT_READS)  # the bad class and contact: not read
    full = raw_book([customer("C1", Phone="138 0013 8000"), customer("C2")],
                    [order("C1", D(2026, 1, 1), 10.0)])
    every = parse_inputs(full)
    for col in ("CustomerID", "Phone", "_row"):
        assert inputs.customers[col].tolist() == every.customers[col].tolist()
    assert inputs.customers["ClassOverride"].isna().all() and inputs.contacts.empty
    assert inputs.orders.drop(columns="_row").equals(every.orders.drop(columns="_row"))
    assert list(inputs.customers.columns) == list(every.customers.columns)
    assert inputs.customers.dtypes.equals(every.customers.dtypes)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, "", "C1", "c2", " C3 ", 17.0, "C1"]),
                          st.sampled_from([None, "13800138000", 13800138000.0, "", "x"]),
                          st.sampled_from([None, "张三", ""]),
                          st.sampled_from([4, len(CUSTOMER_HEADER), len(CUSTOMER_HEADER) + 2])),
                max_size=12))
def test_reading_some_columns_types_them_as_reading_every_column_does(cells):
    """The columns read alone are those columns read with all the others, on the rows
    where they hold something (short and long rows, blanks and duplicates alike)."""
    rows = []
    for cid, phone, name, width in cells:
        row = [None] * width
        row[0], row[1], row[3] = cid, name, phone
        rows.append(row)
    table = RawTable("Customers", 1, list(CUSTOMER_HEADER), rows)

    def typed(read):
        problems = Problems("en")
        frame, _ = parse_table(CUSTOMERS, table, problems, read)
        return frame, [(p.row, p.column, p.code) for p in problems]

    some, some_problems = typed(("CustomerID", "Phone"))
    every, every_problems = typed(None)
    kept = every[(every["CustomerID"].notna() | every["Phone"].notna()).to_numpy()]
    for col in ("CustomerID", "Phone", "_row"):
        assert some[col].tolist() == kept[col].tolist()
    rows_read = set(some["_row"])
    assert some_problems == [p for p in every_problems
                             if p[0] in rows_read and p[1] in ("CustomerID", "Phone")]


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.sampled_from([None, "", " ", "C1", 17.0, D(2026, 1, 2), True, 3]),
                         min_size=0, max_size=9), max_size=15),
       st.sets(st.integers(0, 8), min_size=1))
def test_the_columns_read_are_each_rows_cells_in_place_whichever_way_they_are_taken(rows, used):
    """A sheet's columns come out as each row's own cell (the very object), a short row
    padded with blanks, whether most columns are read (all cells taken in one pass) or a
    few (column by column)."""
    header = [f"H{i}" for i in range(9)]
    table = RawTable("Orders", 1, header, [list(r) for r in rows])
    for chosen in (sorted(used), sorted(used)[:1], list(range(9))):
        columns, n = _columns(table, chosen)
        assert n == len(rows) and sorted(columns) == chosen
        for i in chosen:
            assert columns[i].dtype == object and len(columns[i]) == n
            want = [r[i] if i < len(r) else None for r in rows]
            assert all(a is b for a, b in zip(columns[i], want, strict=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["C1", "c1", " C1", "C2", "C10", "C1 ", "D"]), min_size=1,
                max_size=6, unique_by=str.strip),
       st.lists(st.integers(0, 5), max_size=20))
def test_each_orders_customer_is_found_once_as_the_history_would_find_it(ids, picks):
    """The orders' positions on Customers kept by the check are those the customer
    history would look up (IDs as typed, spaces trimmed, case kept; orders of every
    customer or of none)."""
    orders = [order(ids[p % len(ids)], D(2026, 1, 1 + k % 28), 10.0) for k, p in enumerate(picks)]
    inputs = parse_inputs(raw_book([customer(c) for c in ids], orders, []))
    want = pd.Index(inputs.customers["CustomerID"]).get_indexer(inputs.orders["CustomerID"])
    assert inputs.order_at is not None and inputs.order_at.tolist() == want.tolist()
    assert (inputs.order_at >= 0).all()
