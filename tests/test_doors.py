"""The doors' own logic: finding header rows, and the live (Excel) adapter's pure helpers."""

from __future__ import annotations

import datetime as dt

from support.books import AS_OF, write_book

from xl_addin.excel.files import read_book
from xl_addin.excel.live import excel_safe, rows_from_values
from xl_addin.macros import refresh_file


def test_sheets_without_tables_use_the_first_non_empty_row_as_header(tmp_path):
    book = write_book(tmp_path / "plain.xlsx", {
        "客户": [[None, None], [None, "客户编号", "客户名称"], [None, "K1", "王丽"],
               [None, "K2", "李雷"]],
        "订单": [["客户编号", "下单日期", "金额"], ["K1", dt.date(2026, 5, 1), 99.5]],
        "联系记录": [["客户编号", "联系日期"]],
        "设置": [["键", "值"], ["AsOfDate", AS_OF]],
    }, tables=False)
    data = read_book(book)
    raw = data.raw["Customers"]
    assert (raw.sheet, raw.header_row, raw.header) == ("客户", 2, ["客户编号", "客户名称"])
    assert raw.rows == [["K1", "王丽"], ["K2", "李雷"]]
    result = refresh_file(book, tmp_path / "out.xlsx")
    assert result.outputs.lang == "zh-CN"  # Chinese sheet names, no Language setting
    assert result.outputs.analysis.set_index("CustomerID").loc["K1", "ABCClass"] == "A"


def test_excel_safe_keeps_formula_looking_text_as_text():
    assert excel_safe("=1+1") == "'=1+1"
    assert excel_safe("@SUM(A1)") == "'@SUM(A1)"
    assert excel_safe("plain") == "plain" and excel_safe(5) == 5


def test_rows_from_values_finds_the_header_in_a_used_range():
    values = [[None, None, None], [None, "ID", "Name"], [None, "C1", "Ann"]]
    raw, lead = rows_from_values("Customers", 3, values)
    assert (raw.header_row, raw.header, raw.rows, lead) == (4, ["ID", "Name"], [["C1", "Ann"]], 1)
    assert rows_from_values("Empty", 1, None)[0].header == []
