"""Reading export files: encodings, delimiters, titles and totals, .xlsx, and refusals."""

from __future__ import annotations

import codecs
import datetime as dt
import sys
import zipfile

import pytest
import xlsxwriter

from xl_addin.errors import CustomerBookError
from xl_addin.imports import ImportFileError, read_export, table_from_rows
from xl_addin.imports.exports import detect_encoding


def refused(path, **kw) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        read_export(path, **kw)
    assert isinstance(info.value, CustomerBookError)  # the doors' one family
    return info.value


# ------------------------------------------------------------------ the fixtures
def test_youzan_gbk_with_title_rows_and_a_totals_row(exports):
    t = read_export(exports / "youzan_orders_gbk.csv")
    assert (t.format, t.encoding, t.delimiter) == ("csv", "gb18030", ",")
    assert t.header_row == 4 and t.title_rows == [1, 2]
    assert t.header[:3] == ["订单号", "订单状态", "订单创建时间"]
    assert t.row_numbers == list(range(5, 22))
    assert [(i.row, i.code, i.params["value"]) for i in t.skipped] == [(22, "summary_row", "合计")]
    first = t.rows[0]
    assert first[0] == "E20260220001" and first[4] == "玫瑰精华面膜"
    assert t.rows[2][6] == "￥358.00"  # text as written: amounts are parsed by the plan


def test_taobao_utf8_bom_and_excel_text_forcing(exports):
    t = read_export(exports / "taobao_orders_bom.csv")
    assert (t.encoding, t.delimiter, t.header_row, t.title_rows) == ("utf-8-sig", ",", 1, [])
    assert t.header[0] == "订单编号"  # no BOM left on the first header
    ids = [r[0] for r in t.rows]
    assert ids[0] == "3301000000000000001" and len(set(ids)) == 11  # ="…" undone
    mobile = t.header.index("联系手机")
    assert t.rows[0][mobile] == "13800138000"  # leading apostrophe undone
    assert t.rows[9][mobile] == "13800138000"  # ="…" inside a quoted cell undone
    assert t.rows[2][t.header.index("联系手机")] == "13600136000"
    assert t.rows[1][t.header.index("买家留言")] is None  # blank cells are None


def test_shopify_utf8_without_bom(exports):
    t = read_export(exports / "shopify_orders.csv")
    assert (t.encoding, t.delimiter, len(t.rows)) == ("utf-8", ",", 11)
    assert t.rows[0][t.header.index("Billing Zip")] == "100020"  # '100020 undone


def test_tab_separated_gb18030_till_export(exports):
    t = read_export(exports / "till_sales_tab.csv")
    assert (t.encoding, t.delimiter) == ("gb18030", "\t")
    assert t.rows[4][4] == "𠮷野家风味饭团"  # a character GBK lacks: four-byte GB18030
    assert [(i.row, i.code) for i in t.skipped] == [(10, "summary_row")]


def test_semicolon_separated(exports):
    t = read_export(exports / "till_lines_semicolon.csv")
    assert t.delimiter == ";" and t.header == ["销售日期", "行号", "会员手机号", "商品名称", "实收金额"]


def test_xlsx_first_visible_sheet_with_the_header(exports):
    t = read_export(exports / "jd_orders.xlsx")
    assert (t.format, t.sheet, t.header_row, t.title_rows) == ("xlsx", "订单", 2, [1])
    assert t.row_numbers == list(range(3, 13))  # Excel rows
    assert [(i.row, i.code, i.params["value"]) for i in t.skipped] == [
        (13, "note_row", "共 10 条订单")]
    first = t.rows[0]
    assert first[0] == 280000000101  # cells keep their types
    assert first[3] == dt.datetime(2026, 3, 1, 8, 6, 59)
    assert first[9] == 13800138000


def test_xlsx_without_a_known_header_gives_the_fullest_visible_sheet(tmp_path):
    path = tmp_path / "report.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    small = wb.add_worksheet("封面")
    small.write(0, 0, "销售报表")
    big = wb.add_worksheet("数据")
    big.write_row(0, 0, ["日期", "门店", "营业额"])
    big.write_row(1, 0, ["2026-03-01", "一店", 1000])
    big.write_row(2, 0, ["2026-03-02", "一店", 1200])
    hidden = wb.add_worksheet("隐藏")
    hidden.write_row(0, 0, ["a", "b", "c", "d"])
    hidden.write_row(1, 0, [1, 2, 3, 4])
    hidden.write_row(2, 0, [1, 2, 3, 4])
    hidden.hide()
    wb.close()
    t = read_export(path)
    assert not t.recognised and t.sheet == "数据" and t.header == ["日期", "门店", "营业额"]


# ------------------------------------------------------------------ CSV details
def test_quoted_cells_and_row_numbers_as_excel_shows_them(tmp_path):
    text = ('订单编号,下单时间,买家手机号,实付金额,商品名称\r\n'
            'A1,2026-03-01,13800138000,10,"面膜, 两盒"\r\n'
            'A2,2026-03-01,13800138000,12,"第一行\r\n第二行"\r\n'
            '\r\n'
            'A3,2026-03-02,13800138000,"1,288.00",精华\r\n')
    path = tmp_path / "orders.csv"
    path.write_bytes(text.encode("utf-8"))
    t = read_export(path)
    assert [r[0] for r in t.rows] == ["A1", "A2", "A3"]
    assert t.rows[0][4] == "面膜, 两盒" and t.rows[1][4] == "第一行\r\n第二行"
    assert t.row_numbers == [2, 3, 5]  # records as Excel numbers them; the blank line counts
    assert t.rows[2][3] == "1,288.00"


def test_utf16_tab_text_as_excel_saves_unicode_text(tmp_path):
    text = "订单号\t下单时间\t手机号\t实付金额\r\nU1\t2026-03-01\t13800138000\t9.9\r\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    t = read_export(path)
    assert (t.encoding, t.delimiter, t.rows) == ("utf-16", "\t",
                                                 [["U1", "2026-03-01", "13800138000", "9.9"]])


def test_encodings_in_order():
    assert detect_encoding("订单".encode()) == "utf-8"
    assert detect_encoding(codecs.BOM_UTF8 + "订单".encode()) == "utf-8-sig"
    assert detect_encoding("订单".encode("gbk")) == "gb18030"
    assert detect_encoding("𠮷".encode("gb18030")) == "gb18030"


def test_no_encoding_decodes_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "charset_normalizer", None)  # the fallback is absent
    path = tmp_path / "latin.csv"
    path.write_bytes(b"caf\xe9;prix\r\n\xe9t\xe9;\xff\xfe\xfd\r\n")
    assert refused(path).code == "unknown_encoding"


def test_title_rows_found_in_memory_too():
    t = table_from_rows([["门店销售明细"], ["制表：小张"], ["下单时间", "会员手机号", "实收金额"],
                         ["2026-03-01", "13800138000", "9.9"], ["小计", "", "9.9"],
                         ["2026-03-02", "13800138000", "5"], ["总计", "", "14.9"]])
    assert t.header_row == 3 and t.title_rows == [1, 2] and t.row_numbers == [4, 6]
    assert [(i.row, i.code) for i in t.skipped] == [(5, "summary_row"), (7, "summary_row")]


# ------------------------------------------------------------------ refusals
def test_xls_is_refused_with_what_to_do(exports):
    err = refused(exports / "jd_orders.xls")
    assert err.code == "xls_format"
    assert "Save As 'Excel Workbook (.xlsx)' or 'CSV UTF-8'" in err.render("en")
    assert err.render("en").startswith("jd_orders.xls: ")
    assert "另存为" in err.render("zh-CN") and err.render("zh-CN").startswith("文件「jd_orders.xls」")
    assert str(err) == err.render("en")


def test_ods_and_html_and_numbers_are_refused(exports, tmp_path):
    assert refused(exports / "jd_orders.ods").code == "ods_format"
    assert refused(exports / "shop_export_html.xls").code == "html_format"
    package = tmp_path / "orders.numbers"
    package.mkdir()
    assert refused(package).code == "numbers_format"
    zipped = tmp_path / "orders2.numbers"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("Index/Document.iwa", b"\x00\x01")
    assert refused(zipped).code == "numbers_format"


def test_other_files_are_refused(tmp_path):
    pdf = tmp_path / "orders.pdf"
    pdf.write_bytes(b"%PDF-1.7\n...")
    err = refused(pdf)
    assert err.code == "unsupported_format" and "PDF" in err.render("en")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert refused(empty).code == "file_empty"
    assert refused(tmp_path / "missing.csv").code == "file_not_found"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert refused(broken).code == "damaged"
    word = tmp_path / "orders.xlsx"
    with zipfile.ZipFile(word, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    assert refused(word).code == "unsupported_format"
    only_header = tmp_path / "blank.csv"
    only_header.write_text("\r\n\r\n", encoding="utf-8")
    assert refused(only_header).code == "no_rows"


def test_a_password_protected_workbook_is_refused(tmp_path):
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
                     + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 500)
    assert refused(path).code == "encrypted"


def test_limits(exports):
    err = refused(exports / "youzan_orders_gbk.csv", max_bytes=1000)
    assert err.code == "file_too_large" and "1 KB" in err.render("en")
    err = refused(exports / "youzan_orders_gbk.csv", max_rows=5)
    assert err.code == "too_many_rows" and "5" in err.render("en")
    assert refused(exports / "jd_orders.xlsx", max_rows=3).code == "too_many_rows"


def test_too_many_columns(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(600)) + "\r\n" + "1," * 599 + "1\r\n",
                    encoding="utf-8")
    err = refused(path)
    assert err.code == "too_many_columns" and "600" in err.render("en")


def test_a_refusal_names_the_file_as_given(exports):
    err = refused(exports / "jd_orders.xls", name="京东 3 月.xls")
    assert err.render("zh-CN").startswith("文件「京东 3 月.xls」")
