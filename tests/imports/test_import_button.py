"""The Dashboard's 导入订单 / Import orders button (``xl_addin.macros.import_orders``).

Its Python side headless: with a file path it is the command line's import; in Excel
(a stand-in for the few xlwings calls it makes, tests/support/fakexl.py) the user picks
the export in Excel's Open dialog, sees the summary, and only OK appends the rows —
the same rows the command line appends. What only a live Excel shows is docs/excel.md's.
"""

from __future__ import annotations

import datetime as dt
import zipfile

import pandas as pd
from import_book import EXPORTS, book_customers, book_orders
from support import fakexl
from test_import_cli import _rows, make_book, sheet

from tools.build import BUTTONS, workbook_path
from tools.vba import read_vba_modules
from xl_addin import macros
from xl_addin.names import CUSTOMERS, ORDERS


def _live_sheets(lang: str = "zh-CN") -> dict[str, list[list]]:
    names = {"zh-CN": ("客户", "订单", "设置"), "en": ("Customers", "Orders", "Settings")}[lang]
    head = ["键", "值"] if lang == "zh-CN" else ["Key", "Value"]
    iso = [[[v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in rows]
           for rows in (_rows(CUSTOMERS, book_customers(), lang),
                        _rows(ORDERS, book_orders(), lang))]
    return {names[0]: iso[0], names[1]: iso[1], "Settings": [head, ["Language", lang]]}


def _writes(book) -> list[tuple]:
    return [e for e in book.log if e[0] != "read"]


def test_the_button_is_on_the_dashboard_of_both_shipped_workbooks():
    assert ("CB_ImportOrders", "导入订单", "Import orders") in BUTTONS
    for lang, caption in (("zh-CN", "导入订单"), ("en", "Import orders")):
        with zipfile.ZipFile(workbook_path(lang)) as zf:
            vml = "".join(zf.read(n).decode("utf-8") for n in zf.namelist()
                          if n.endswith(".vml"))
        assert "[0]!CB_ImportOrders</x:FmlaMacro>" in vml, lang
        assert caption in vml, lang


def test_with_a_path_the_button_is_the_command_lines_import(tmp_path):
    path = make_book(tmp_path / "门店.xlsx")
    result = macros.import_orders(path, EXPORTS / "youzan_orders_gbk.csv", dry_run=True)
    assert result is not None and result.written is None
    assert result.report.splitlines()[0] == (
        "youzan_orders_gbk.csv（有赞）：读取 17 行，新订单 12 笔，跳过重复 2 行，新客户 3 位，拒绝 0 行")
    assert result.report.endswith("试运行：未写入任何内容。")


def test_in_excel_the_picked_export_lands_after_ok_as_the_command_line_lands_it(
        monkeypatch, tmp_path):
    book = fakexl.install(monkeypatch, _live_sheets())
    book.app.api.picked = str(EXPORTS / "youzan_orders_gbk.csv")
    result = macros.import_orders()
    assert result is not None and result.ok
    title = book.app.api.asked[0]
    assert "*.csv" in title[0] and "选择要导入的订单导出文件" in title[2]
    confirm, done = book.app.alerts
    assert confirm.splitlines()[0] == (
        "youzan_orders_gbk.csv（有赞）：读取 17 行，新订单 12 笔，跳过重复 2 行，新客户 3 位，拒绝 0 行")
    assert confirm.endswith("将以上内容导入本工作簿吗？（确定：导入；取消：不写入任何内容）")
    assert "已写入 CustomerBook.xlsm：「订单」新增 12 行订单，「客户」新增 3 位客户；" \
           "列对应关系已保存到「导入映射」" in done
    kinds = [e[0] for e in book.log]
    first_write = next(i for i, k in enumerate(kinds) if k != "read")
    assert "read" not in kinds[first_write:]  # everything read and planned first
    writes = {e[1]: e for e in _writes(book) if e[0] == "write"}
    # below the last row of each table, which is then resized to take them
    assert writes["订单"][2] == 1 + 4 + 1 and writes["客户"][2] == 1 + 7 + 1
    assert ("resize", "订单", 1 + 4 + 12) in book.log and ("resize", "客户", 1 + 7 + 3) in book.log
    assert ("add", "导入映射") in book.log

    # the same rows the command line appends (text Excel must keep as text: marked so)
    path = make_book(tmp_path / "门店.xlsx")
    macros.import_file(path, EXPORTS / "youzan_orders_gbk.csv")

    def plain(rows):
        return [[v[1:] if isinstance(v, str) and v.startswith("'") else v for v in r]
                for r in rows]

    file_orders = sheet(path, "订单")[-12:]
    live_orders = plain(writes["订单"][3])
    assert [r[0] for r in live_orders] == [r[0] for r in file_orders]  # OrderID
    assert [r[1] for r in live_orders] == [r[1] for r in file_orders]  # CustomerID
    assert [float(r[3]) for r in live_orders] == [float(r[3]) for r in file_orders]
    header = sheet(path, "客户")[0]
    file_customers = sheet(path, "客户")[-3:]
    live_customers = plain(writes["客户"][3])
    assert live_customers == [[None if v == "" else v for v in r] for r in file_customers]
    # a phone or an order number would be a number in Excel without the apostrophe
    phone = header.index("电话")
    phones = [r[phone] for r in writes["客户"][3] if r[phone]]
    assert len(phones) == 3 and all(p.startswith("'1") for p in phones)
    assert all(str(r[0]).startswith("'") for r in writes["订单"][3] if str(r[0])[:1].isdigit()
               or str(r[0]).startswith("'"))


def test_in_excel_cancel_or_a_closed_dialog_writes_nothing(monkeypatch):
    book = fakexl.install(monkeypatch, _live_sheets())
    book.app.api.picked = False  # the Open dialog closed without a file
    assert macros.import_orders() is None
    assert _writes(book) == [] and book.app.alerts == []

    book = fakexl.install(monkeypatch, _live_sheets("en"))
    book.app.api.picked = str(EXPORTS / "shopify_orders.csv")
    book.app.answer = "cancel"
    assert macros.import_orders() is None
    assert _writes(book) == []
    assert book.app.alerts[0].startswith(
        "shopify_orders.csv (Shopify): rows read 11; new orders 4; duplicates skipped 0; "
        "new customers 2; refused 0")
    assert book.app.alerts[0].endswith("(OK: import; Cancel: write nothing)")


def test_in_excel_a_refused_row_writes_nothing_and_says_which(monkeypatch):
    book = fakexl.install(monkeypatch, _live_sheets())
    book.app.api.picked = str(EXPORTS / "jd_orders.xlsx")
    result = macros.import_orders()
    assert result is not None and not result.ok
    assert _writes(book) == []
    (told,) = book.app.alerts  # no question asked: the summary and the refused rows
    assert "拒绝" in told.splitlines()[0] and "被拒绝的行：" in told
    assert "不会写入任何内容" in told


def test_in_excel_an_unreadable_export_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    book = fakexl.install(monkeypatch, _live_sheets("en"))
    book.app.api.picked = str(EXPORTS / "unknown_layout.csv")
    assert macros.import_orders() is None
    assert _writes(book) == []
    (told,) = book.app.alerts
    assert "Traceback" not in told
    for header in ("日期", "金额", "备注"):  # the export's own headers are listed
        assert header in told
    bad = tmp_path / "orders.xls"
    bad.write_bytes((EXPORTS / "jd_orders.xls").read_bytes())
    book = fakexl.install(monkeypatch, _live_sheets("en"))
    book.app.api.picked = str(bad)
    assert macros.import_orders() is None and _writes(book) == []
    assert ".xlsx" in book.app.alerts[0] and "Traceback" not in book.app.alerts[0]


def test_in_excel_the_mapping_sheet_is_appended_to_when_the_book_has_one(monkeypatch):
    sheets = _live_sheets("en")
    sheets["Mapping"] = [["System", "ExportColumn", "OrdersColumn"],
                         ["Shopify", "Notes", "Ignore"]]
    book = fakexl.install(monkeypatch, sheets)
    book.app.api.picked = str(EXPORTS / "shopify_orders.csv")
    result = macros.import_orders()
    assert result is not None and result.ok
    mapping = [e for e in _writes(book) if e[0] == "write" and e[1] == "Mapping"]
    assert mapping and mapping[0][2] == 3  # below its last row, not over it
    assert ("add", "Mapping") not in book.log
    assert all(len(r) == 3 for r in mapping[0][3])
    assert pd.DataFrame(mapping[0][3])[0].eq("Shopify").all()
    assert "the column mapping was saved on Mapping" in book.app.alerts[-1]


def test_the_shipped_workbooks_have_the_sub_the_button_calls():
    for lang in ("zh-CN", "en"):
        code = read_vba_modules(workbook_path(lang))["CustomerBook"]
        assert ("Public Sub CB_ImportOrders()\n    RunPython \"import xl_addin.macros as m; "
                "m.import_orders(vba='0.37.8')\"\nEnd Sub") in code, lang
