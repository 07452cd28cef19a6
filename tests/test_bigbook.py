"""Big demo books (:mod:`xl_addin.bigbook`): what they hold reads back and refreshes."""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine as pc

from tools.libreoffice import convert, find_soffice
from xl_addin.bigbook import main, write_demo_book, write_input_book
from xl_addin.demo import DEFAULT_ANCHOR, make_demo
from xl_addin.excel.files import read_book
from xl_addin.macros import refresh_file
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS, SETTINGS_SHEET

SIZES = (300, 1800, 900)
SPECS = {"Customers": CUSTOMERS, "Orders": ORDERS, "Contacts": CONTACTS}


@pytest.fixture(scope="module")
def zh_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_book(tmp_path_factory.mktemp("big") / "book.xlsx", *SIZES)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return make_demo(*SIZES)


def _same(cell: object, value: object) -> bool:
    """A value read back by calamine equals the demo's value (blank = '')."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return cell == ""
    if isinstance(value, pd.Timestamp):
        return cell == value.date()
    return cell == value


def test_read_book_finds_every_table_on_the_chinese_sheets(zh_book: Path) -> None:
    book = read_book(zh_book)
    assert book.info.sheets == ("客户", "订单", "联系记录", "设置")
    assert {t.name: t.sheet for t in book.info.tables} == {
        "Customers": "客户", "Orders": "订单", "Contacts": "联系记录", "Settings": "设置"}
    for key, spec in SPECS.items():
        raw = book.raw[key]
        assert raw is not None and book.tables[key] == key
        assert raw.header == [c.label("zh-CN") for c in spec.columns]
        assert raw.header_row == 1
    assert [len(book.raw[k].rows) for k in SPECS] == list(SIZES)  # type: ignore[union-attr]
    settings = {r[0]: r[1] for r in book.raw["Settings"].rows}  # type: ignore[union-attr]
    assert book.raw["Settings"].header[:2] == [  # type: ignore[union-attr]
        c.label("zh-CN") for c in SETTINGS_SHEET.columns]
    assert settings["AsOfDate"] == DEFAULT_ANCHOR and settings["Language"] == "zh-CN"


def test_cells_hold_the_demo_values_with_their_types(zh_book: Path, frames) -> None:
    book = read_book(zh_book)
    for key, spec in SPECS.items():
        rows = book.raw[key].rows  # type: ignore[union-attr]
        frame = frames[key]
        for i in (0, 1, 7, len(frame) // 2, len(frame) - 1):
            for j, col in enumerate(spec.columns):
                assert _same(rows[i][j], frame[col.key].iloc[i]), (key, i, col.key)
    customers = book.raw["Customers"].rows  # type: ignore[union-attr]
    assert all(isinstance(r[3], str) and len(r[3]) == 11 for r in customers)  # phones: text
    orders = book.raw["Orders"].rows  # type: ignore[union-attr]
    assert all(isinstance(r[2], dt.date) for r in orders)  # real dates, not numbers
    assert any(r[4] == "" for r in orders) and any(r[3] < 0 for r in orders)  # blanks, refunds


def test_the_book_refreshes(zh_book: Path, tmp_path: Path) -> None:
    result = refresh_file(zh_book, tmp_path / "out.xlsx")
    assert result.outputs.as_of == DEFAULT_ANCHOR  # Settings AsOfDate
    assert result.counts["customers"] == SIZES[0]
    assert result.counts["followups"] > 0 and result.counts["calls"] > 0
    wb = pc.CalamineWorkbook.from_path(str(tmp_path / "out.xlsx"))
    assert wb.sheet_names[:4] == ["客户", "订单", "联系记录", "设置"]
    analysis = wb.get_sheet_by_name("客户分析").to_python()
    assert len(analysis) == SIZES[0] + 1 and analysis[0][0] == "客户编号"
    # the input sheets are copied untouched
    with zipfile.ZipFile(zh_book) as a, zipfile.ZipFile(tmp_path / "out.xlsx") as b:
        for name in ("xl/worksheets/sheet2.xml", "xl/tables/table2.xml"):
            assert a.read(name) == b.read(name)


def test_same_arguments_same_bytes(zh_book: Path, tmp_path: Path) -> None:
    again = write_demo_book(tmp_path / "again.xlsx", *SIZES)
    assert again.read_bytes() == zh_book.read_bytes()


def test_english_book_and_text_that_looks_like_markup_or_formulas(tmp_path: Path) -> None:
    frames = make_demo(20, 60, 30, lang="en")
    tricky = ["=1+1", "<b>&amp;</b>", "_x000D_ carriage", " padded ", "+86 138", "007", "TRUE"]
    frames["Customers"].loc[: len(tricky) - 1, "Name"] = tricky
    path = write_input_book(tmp_path / "en.xlsx", frames, lang="en", as_of=dt.date(2026, 5, 1))
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Customers", "Orders", "Contacts", "Settings"]
    cells = list(wb["Customers"].iter_rows(min_row=2, max_row=len(tricky) + 1, max_col=2))
    assert [r[1].value for r in cells] == tricky
    assert all(r[1].data_type == "s" for r in cells)  # text, never a formula or a number
    book = read_book(path)
    assert [r[1] for r in book.raw["Customers"].rows[: len(tricky)]] == tricky  # type: ignore
    orders = list(wb["Orders"].iter_rows(min_row=2, max_row=2, values_only=True))[0]
    assert isinstance(orders[2], dt.datetime) and orders[2].date() == frames["Orders"][
        "OrderDate"].iloc[0].date()
    assert refresh_file(path, tmp_path / "en-out.xlsx").outputs.as_of == dt.date(2026, 5, 1)


def test_too_many_rows_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="1,048,575"):
        write_demo_book(tmp_path / "x.xlsx", 10, 1_048_576, 10)
    assert not (tmp_path / "x.xlsx").exists()
    with pytest.raises(ValueError, match="xlsx"):
        write_demo_book(tmp_path / "x.xlsm", 10, 10, 10)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.xlsx"
    assert main([str(out), "--customers", "40", "--orders", "200", "--contacts", "80",
                 "--lang", "en", "-q"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert [len(read_book(out).raw[k].rows) for k in SPECS] == [40, 200, 80]  # type: ignore
    assert main([str(tmp_path / "y.xlsx"), "--orders", "2000000", "-q"]) == 2


@pytest.mark.libreoffice
@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_it(zh_book: Path, tmp_path: Path) -> None:
    csv = convert(zh_book, tmp_path / "customers.csv")  # the first sheet
    lines = csv.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[:3] == ["客户编号", "客户名称", "负责人"]
    assert len(lines) == SIZES[0] + 1 and lines[1].startswith("C0001,")
