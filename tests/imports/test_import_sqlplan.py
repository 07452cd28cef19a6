"""The DuckDB planner (imports/sqlplan.py, what ``import --to-source`` uses for a CSV)
against the row-by-row planner (imports/plan.py), so that the two cannot drift.

Generated exports — five layouts (Youzan, Taobao, Shopify with line items, a till with
line numbers and no order numbers, CustomerBook's own column names with CustomerID),
random mixes of order numbers in the book, repeated, blank or spoilt by Excel; phones
written every way, unknown, masked, invalid or inside an address; dates and amounts
good, odd and bad; statuses, refunds, line numbers; title rows, totals rows, notes,
blank lines; UTF-8, UTF-8 with BOM and GB18030; comma, semicolon and tab — planned
both ways against a book with shared phones, refund lines, orphan refund lines and
purchases without order numbers: the same summary, issue for issue, the same rows to
append to the last bit, the same report in both languages, or the same refusal of the
file. Then the pieces the SQL does itself (cleaning cells, the usual value shapes,
rounding) against Python's, on their own.
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_book import TODAY, book_customers, book_orders

from xl_addin.domain.phones import normalise_phone
from xl_addin.imports import (
    SOURCE_MAX_BYTES,
    SOURCE_MAX_ROWS,
    ImportFileError,
    plan_csv_import,
    plan_import,
    read_export,
)
from xl_addin.imports.exports import clean_cell
from xl_addin.imports.mapping import ImportMapping
from xl_addin.imports.plan import _amount, _date, _order_id
from xl_addin.imports.sqlplan import (
    _DATE_FAST,
    _ID_FAST,
    _NUM_FAST,
    _PHONE_FAST,
    _cents,
    _python_round,
    _round2,
)
from xl_addin.imports.sqlread import PY_SPACE, SQL_MACROS, load_csv
from xl_addin.macros import _export_keys
from xl_addin.sources import locate, orders_for_import, stage_orders

ISSUES = ("refused", "duplicates", "skipped", "unknown_buyers", "warnings", "refund_lines")


def assert_same_plan(py, sql) -> None:
    """Everything a user or a door sees of a plan is the same."""
    assert sql.summary == py.summary
    for name in ISSUES:
        assert list(getattr(sql, name)) == list(getattr(py, name)), name
    pd.testing.assert_frame_equal(sql.orders, py.orders, check_exact=True)
    pd.testing.assert_frame_equal(sql.customers, py.customers, check_exact=True)
    assert np.array_equal(np.signbit(sql.orders["Amount"].to_numpy()),
                          np.signbit(py.orders["Amount"].to_numpy()))  # -0.0 stays -0.0
    assert (sql.file, sql.system, sql.system_label, sql.columns, sql.title_rows,
            sql.mapping_to_save) == (py.file, py.system, py.system_label, py.columns,
                                     py.title_rows, py.mapping_to_save)
    assert (sql.ok, sql.will_write) == (py.ok, py.will_write)
    for lang in ("en", "zh-CN"):
        assert sql.report(lang) == py.report(lang)


def both(path: Path, customers, orders, **kw):
    """The row-by-row plan and the DuckDB plan of one export (or the same refusal)."""
    try:
        table = read_export(path, max_bytes=SOURCE_MAX_BYTES, max_rows=SOURCE_MAX_ROWS)
        py = plan_import(table, None, customers, orders, today=TODAY, **kw)
    except ImportFileError as exc:
        with pytest.raises(ImportFileError) as got:
            plan_csv_import(path, None, customers, orders, today=TODAY, **kw)
        assert (got.value.code, got.value.render("en"), got.value.render("zh-CN")) == (
            exc.code, exc.render("en"), exc.render("zh-CN"))
        return None, None
    return py, plan_csv_import(path, None, customers, orders, today=TODAY, **kw)


# ---------------------------------------------------------------- the book
def generated_book(rnd: random.Random) -> tuple[pd.DataFrame, pd.DataFrame]:
    """import_book's customers and orders, and more: a phone written oddly, a customer
    without a phone, refund lines (one whose order is not in the book, one after
    another), purchases without order numbers, products blank as the reader gives them."""
    c = book_customers()
    extra = pd.DataFrame({"CustomerID": ["K0210", "K0211", " K0212 "],
                          "Name": ["马丽", "何静", "罗刚"],
                          "Phone": ["+86 (131) 0013-1000", np.nan, "0755 8888 7777"],
                          "Source": [np.nan] * 3, "Notes": [np.nan] * 3, "_row": [9, 10, 11]})
    customers = pd.concat([c, extra], ignore_index=True)
    o = book_orders()
    more = [
        ("E20260220001-R", "K0196", "2026-02-22", -20.0, "玫瑰精华面膜"),
        ("ZZ900-R", None, "2026-02-01", -5.0, None),  # its order is not in the book
        ("ZZ900-R-R", None, "2026-02-02", -1.5, None),
        ("E20260301777", "K0199", "2026-03-01", 120.0, "眼霜"),
        ("E20260301777", "K0199", "2026-03-01", 30.0, "眼霜"),  # an order on two rows
        (np.nan, "K0196", "2026-03-02", 38.0, "拿铁"),
        (np.nan, "K0196", "2026-03-02", 38.0, "拿铁"),
        (np.nan, "K0198", "2026-03-03", 12.5, np.nan),
    ]
    rnd.shuffle(more)
    more_frame = pd.DataFrame({
        "OrderID": [m[0] for m in more], "CustomerID": [m[1] for m in more],
        "OrderDate": pd.to_datetime([m[2] for m in more]),
        "Amount": [m[3] for m in more], "Cost": [np.nan] * len(more),
        "Product": [m[4] for m in more], "Paid": [np.nan] * len(more),
        "_row": np.arange(6, 6 + len(more))})
    orders = pd.concat([o, more_frame], ignore_index=True)
    return customers, orders


# --------------------------------------------------------------- the export
KNOWN_PHONES = ["13800138000", "138 0013 8000", "+86 138-0013-8000", "＋８６ １３８００１３８０００",
                "'13900139000", '="13700137000"', "0086 136 0013 6000", "13500135000",
                "010-6552-1234", "0755-8888-6666", "13100131000", "86-13600136000"]
ODD_PHONES = ["138****8000", "1******6198", "n/a", "12", "1.38001E+10", "+44 20 7946 0958",
              "400-820-8820", "13800138000 转 12"]
ORDER_IDS_IN_BOOK = ["E20260220001", "3301000000000000005", "#1003", "E20260301777", "ZZ900",
                     "ZZ900-R"]
ODD_IDS = ["1.23457E+18", "12345.0", " E5 ", '="E77"', "'E88", "3301000000000000099",
           "e-5", "1e5"]
DATES = ["2026-03-0{d} 1{h}:2{m}:3{s}", "2026-03-0{d}", "2026/3/{d} 9:15", "2026年3月{d}日",
         "2026-03-0{d} 22:10:00 -0700", "2026-03-0{d}T08:00:00Z", "2026-03-0{d} 10:61:00"]
BAD_DATES = ["not a date", "2026-02-30", "2030-01-01", "1899-12-31 10:00:00", "05/03/2026",
             "2026-03-11 00:00:01", "2026-03-12"]
AMOUNTS = ["199.00", "68", "1,288.00", "¥99", "(45.00)", "0.125", "2.675", "-50", "0",
           "12.345", "499.00（仅供参考）", "3 000", "0.005", "1e3"]
BAD_AMOUNTS = ["abc", "1e13", "99,5", "1.200,50", "--5"]
STATUSES = ["交易成功", "交易成功", "交易关闭", "待付款", "已退款", "部分退款", "退货单", "已发货",
            "TRADE_FINISHED", "paid", "refunded", "partially_refunded", "voided"]
PRODUCTS = ["玫瑰精华面膜", "Silk Scarf", "silk  scarf", "SILK_SCARF", "拿铁", "眼霜",
            'Mask, "rose"', "two\nlines", "x" * 260]
NAMES = ["王芳", "周强", "孙丽", "Li Na", "钱进", "赵敏"]


def _pick(rnd: random.Random, *pools: tuple[float, list[str]]) -> str:
    """From the first pool whose chance comes up; the last pool otherwise."""
    for chance, pool in pools[:-1]:
        if rnd.random() < chance:
            return rnd.choice(pool)
    return rnd.choice(pools[-1][1])


def _phone(rnd: random.Random) -> str:
    return _pick(rnd, (0.08, [""]), (0.12, ODD_PHONES),
                 (0.3, [f"1{rnd.choice('3456789')}{rnd.randrange(10 ** 9):09d}"]),
                 (1.0, KNOWN_PHONES))


def _date_text(rnd: random.Random) -> str:
    if rnd.random() < 0.08:
        return rnd.choice(BAD_DATES + [""])
    return rnd.choice(DATES).format(d=rnd.randint(1, 9), h=rnd.randint(0, 9),
                                    m=rnd.randint(0, 9), s=rnd.randint(0, 9))


def _amount_text(rnd: random.Random) -> str:
    if rnd.random() < 0.06:
        return rnd.choice(BAD_AMOUNTS + [""])
    if rnd.random() < 0.5:
        return f"{rnd.randrange(1, 100000) / 100:.2f}"
    return rnd.choice(AMOUNTS)


def _new_order_id(rnd: random.Random, seen: list[str]) -> str:
    if seen and rnd.random() < 0.15:
        return rnd.choice(seen)
    oid = _pick(rnd, (0.08, [""]), (0.06, ODD_IDS), (0.12, ORDER_IDS_IN_BOOK),
                (1.0, [f"E2026{rnd.randrange(10 ** 7):07d}"]))
    if oid:
        seen.append(oid)
    return oid


def _rows(rnd: random.Random, layout: str, n: int) -> list[list[str]]:
    seen: list[str] = []
    rows: list[list[str]] = []
    if layout == "youzan":
        rows.append(["订单号", "订单状态", "订单创建时间", "买家付款时间", "全部商品名称", "订单实付金额",
                     "收货人/提货人", "收货人手机号/提货人手机号", "买家昵称", "买家手机号", "退款金额"])
        for _ in range(n):
            rows.append([_new_order_id(rnd, seen), _pick(rnd, (0.1, [""]), (1.0, STATUSES)),
                         _date_text(rnd), _pick(rnd, (0.5, [""]), (1.0, [_date_text(rnd)])),
                         _pick(rnd, (0.1, [""]), (1.0, PRODUCTS)), _amount_text(rnd),
                         rnd.choice(NAMES + [""]), _phone(rnd),
                         _pick(rnd, (0.5, [""]), (1.0, ["强哥", "小丽", "Lee"])),
                         _pick(rnd, (0.4, [""]), (1.0, [_phone(rnd)])),
                         _pick(rnd, (0.8, [""]), (1.0, ["0", "100", "199.00", "abc", "20"]))])
    elif layout == "taobao":
        rows.append(["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "收货人姓名", "收货地址",
                     "联系电话", "联系手机", "订单创建时间", "宝贝标题", "退款金额", "宝贝种类"])
        for _ in range(n):
            address = rnd.choice(["北京 朝阳区 朝阳路1号", f"周强，86-{_phone(rnd)}，江苏省 扬州市",
                                  "上海 浦东新区"])
            rows.append([_new_order_id(rnd, seen), rnd.choice(["tb_wang", "tb_li", ""]),
                         _amount_text(rnd), rnd.choice(STATUSES), rnd.choice(NAMES),
                         address, _pick(rnd, (0.6, [""]), (1.0, [_phone(rnd)])),
                         _pick(rnd, (0.3, [""]), (1.0, [_phone(rnd)])), _date_text(rnd),
                         rnd.choice(PRODUCTS), _pick(rnd, (0.8, [""]), (1.0, ["100", "300"])),
                         "1"])
    elif layout == "shopify":
        rows.append(["Name", "Email", "Financial Status", "Fulfillment Status", "Created at",
                     "Total", "Lineitem quantity", "Lineitem name", "Billing Name", "Phone",
                     "Refunded Amount", "Cancelled at"])
        i = 0
        while i < n:
            oid = _new_order_id(rnd, seen) or f"#{2000 + i}"
            rows.append([oid, rnd.choice(["a@example.com", ""]),
                         rnd.choice(["paid", "refunded", "partially_refunded", "pending",
                                     "voided", ""]), "unfulfilled", _date_text(rnd),
                         _amount_text(rnd), "1", rnd.choice(PRODUCTS), rnd.choice(NAMES),
                         _phone(rnd), _pick(rnd, (0.7, ["0.00"]), (1.0, ["20.00", "x"])),
                         _pick(rnd, (0.85, [""]), (1.0, ["2026-03-05 10:00:00 +0800"]))])
            for _ in range(rnd.choice([0, 0, 1, 2])):  # its further line items
                rows.append([oid, "", "", "", "", _pick(rnd, (0.85, [""]), (1.0, ["10.00"])),
                             "1", rnd.choice(PRODUCTS), "", "", "", ""])
                i += 1
            i += 1
    elif layout == "till":
        rows.append(["销售时间", "明细序号", "会员手机号", "会员姓名", "会员卡号", "商品名称", "实收金额",
                     "单据状态", "收银员"])
        last: list[str] | None = None
        for _ in range(n):
            if last is not None and rnd.random() < 0.25:  # the same line again
                row = list(last)
                if rnd.random() < 0.5:
                    row[1] = str(rnd.randint(1, 3))
            else:
                row = [_date_text(rnd), str(rnd.randint(1, 3)), _phone(rnd),
                       rnd.choice(NAMES + [""]), rnd.choice(["M0001", "M0008", ""]),
                       rnd.choice(PRODUCTS), _amount_text(rnd),
                       rnd.choice(["", "", "退货单", "销售"]), "小王"]
            if rnd.random() < 0.1:  # a purchase the book has
                row[0], row[2], row[5], row[6] = "2026-03-02 10:00", "138 0013 8000", "拿铁", "38"
            rows.append(row)
            last = row
    else:  # CustomerBook's own names, with CustomerID
        rows.append(["订单号", "客户编号", "下单日期", "金额", "成本", "产品", "已回款", "电话"])
        for _ in range(n):
            rows.append([_new_order_id(rnd, seen),
                         _pick(rnd, (0.3, [""]), (0.15, ["K9999", " K0197 ", "K0212"]),
                               (1.0, ["K0196", "K0198", "K0200", "K0211"])),
                         _date_text(rnd), _amount_text(rnd),
                         _pick(rnd, (0.6, [""]), (1.0, ["10", "abc", "5.5"])),
                         rnd.choice(PRODUCTS + [""]),
                         _pick(rnd, (0.7, [""]), (1.0, ["0", "100", "x"])),
                         _pick(rnd, (0.5, [""]), (1.0, [_phone(rnd)]))])
    return rows


def write_export(path: Path, rnd: random.Random, layout: str, encoding: str,
                 delimiter: str) -> tuple[Path, bool]:
    """A generated export file, with title rows, blank lines, totals and notes sometimes;
    and whether its rows below the header are plain for DuckDB's reader: no blank line
    among them (csv.writer never writes a space between a quote and a delimiter)."""
    rows = _rows(rnd, layout, rnd.randint(3, 40))
    width = len(rows[0])
    titles: list[list[str]] = []
    if rnd.random() < 0.3:  # title rows above the header, maybe a blank line after them
        titles = [["订单报表"], ["导出时间：2026-03-10 18:00:12"]][:rnd.randint(1, 2)]
        titles += [[]] if rnd.random() < 0.5 else []
    plain = True
    if rnd.random() < 0.1:  # a blank line among the orders
        rows.insert(rnd.randrange(len(rows) - 1) + 1, [])
        plain = False
    if rnd.random() < 0.3:
        rows.append(["合计", "", "", "", ""][:width])
    if rnd.random() < 0.2:
        rows.append([rnd.choice(["共 12 条", "导出人：小王"])])
    if rnd.random() < 0.1:
        rows.append([])  # a blank line at the very end
    quoting = csv.QUOTE_ALL if rnd.random() < 0.3 else csv.QUOTE_MINIMAL
    end = rnd.choice(["\n", "\r\n"])

    def text(part: list[list[str]]) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=end)
        for r in part:
            if r:
                writer.writerow(r)
            else:
                buf.write(end)
        return buf.getvalue()

    path.write_bytes((text(titles) + text(rows)).encode(encoding))
    return path, plain


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32 - 1),
       layout=st.sampled_from(["youzan", "taobao", "shopify", "till", "own"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
       delimiter=st.sampled_from([",", ",", ";", "\t"]),
       new_customers=st.booleans(), lang=st.sampled_from(["en", "zh-CN"]))
def test_the_duckdb_plan_is_the_row_by_row_plan(tmp_path, seed, layout, encoding, delimiter,
                                                new_customers, lang):
    rnd = random.Random(seed)
    customers, orders = generated_book(rnd)
    path, plain = write_export(tmp_path / f"export-{layout}.csv", rnd, layout, encoding,
                               delimiter)
    py, sql = both(path, customers, orders, new_customers=new_customers, lang=lang)
    if py is not None:
        assert_same_plan(py, sql)
        if plain:  # DuckDB read the rows (not the row-by-row reader)
            assert sql.read_by == "duckdb", sql.read_why


@pytest.mark.parametrize("file", ["youzan_orders_gbk.csv", "taobao_orders_bom.csv",
                                  "shopify_orders.csv", "till_sales_tab.csv",
                                  "till_lines_semicolon.csv", "unknown_layout.csv"])
@pytest.mark.parametrize("new_customers", [True, False])
def test_the_fixtures_plan_the_same_both_ways(exports, file, customers, orders, new_customers):
    py, sql = both(exports / file, customers, orders, new_customers=new_customers)
    if py is not None:
        assert_same_plan(py, sql)
    else:
        assert file == "unknown_layout.csv"


def test_importing_the_plan_twice_adds_nothing_either_way(tmp_path):
    """The book after a generated export is imported (either plan: they are one) takes
    nothing the second time, whichever planner looks."""
    for seed in range(12):
        rnd = random.Random(seed)
        customers, orders = generated_book(rnd)
        path, _plain = write_export(tmp_path / f"e{seed}.csv", rnd,
                                    ["youzan", "till", "own", "shopify"][seed % 4], "utf-8",
                                    ",")
        py, sql = both(path, customers, orders)
        if py is None or not py.ok:
            continue
        new_c = sql.customers.drop(columns="_source_row")
        new_o = sql.orders.drop(columns="_source_row")
        c = pd.concat([customers, new_c], ignore_index=True)
        o = pd.concat([orders, new_o], ignore_index=True)
        o["Product"] = o["Product"].astype(object).where(o["Product"].notna(), np.nan)
        again_py, again_sql = both(path, c, o)
        assert_same_plan(again_py, again_sql)
        assert again_sql.summary.new_orders == 0 and again_sql.summary.refund_lines == 0
        assert len(again_sql.customers) == 0


# ------------------------------------------------------------ reading the file
def _loaded(path: Path):
    con = duckdb.connect()
    return load_csv(con, path, ImportMapping(), max_bytes=SOURCE_MAX_BYTES,
                    max_rows=SOURCE_MAX_ROWS)


HEAD = "订单号,订单创建时间,订单实付金额,买家手机号\n"
ROW = "E1,2026-03-01 10:00:00,99.00,13800138000\n"


@pytest.mark.parametrize("text, via", [
    (HEAD + ROW * 3, "duckdb"),
    ("订单报表\n\n" + HEAD + ROW * 3, "duckdb"),  # a blank line above the header
    (HEAD + ROW * 3 + "\n\n", "duckdb"),  # blank lines at the very end
    (HEAD + ROW + "\n" + ROW, "python"),  # a blank line among the orders: Python counts it
    (HEAD + ROW + 'E2, "2026-03-01",5,13900139000\n', "python"),  # a space before a quote
    (HEAD + ROW + 'E2,"2026-03-01" ,5,13900139000\n', "python"),  # a space after a quote
    (HEAD + ROW + '"E2, ""rose"" ",2026-03-01,5,13900139000\n', "duckdb"),  # inside a cell
    (HEAD + ROW + '"E2\n\nmore",2026-03-01,5,13900139000\n', "duckdb"),  # blank, in a cell
    (HEAD.replace("\n", "\r") + ROW.replace("\n", "\r"), "python"),  # old Mac line ends
    (HEAD + ROW + "E3,2026-03-01,5,13900139000,extra,cells\n", "duckdb"),  # seen: told
    (HEAD + ROW * 300 + "E3,2026-03-01,5,13900139000,extra,more,cells,than,the,first,rows\n",
     "python"),  # a row far below the header, wider than the rows near it
], ids=["plain", "blank-above-header", "blank-at-end", "blank-among-rows", "space-before-quote",
        "space-after-quote", "spaced-quote-in-cell", "blank-line-in-cell", "cr-only",
        "wide-row-near", "wide-row-far"])
def test_duckdb_reads_the_usual_file_and_python_the_shapes_it_reads_otherwise(
        tmp_path, text, via, customers, orders):
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    assert _loaded(path).via == via
    py, sql = both(path, customers, orders)
    assert_same_plan(py, sql)


@pytest.mark.parametrize("mark", [b"\xef\xbb\xbf", b"\xff\xfe"], ids=["utf-8", "utf-16"])
def test_a_byte_order_mark_before_bytes_that_do_not_fit_is_said_not_a_traceback(
        tmp_path, mark, customers, orders):
    path = tmp_path / "export.csv"
    body = HEAD + ROW
    data = body.encode("utf-8") if mark.startswith(b"\xef") else body.encode("utf-16-le")
    path.write_bytes(mark + data + b"\xff\xfe\xfd" + (b"," if len(data) % 2 else b"\xd8"))
    py, sql = both(path, customers, orders)  # the same refusal both ways
    assert py is None
    with pytest.raises(ImportFileError, match="neither UTF-8 nor GBK"):
        read_export(path)


def test_a_gbk_file_is_read_by_duckdb_after_transcoding(exports, customers, orders):
    loaded = _loaded(exports / "youzan_orders_gbk.csv")
    assert (loaded.via, loaded.encoding, loaded.count, loaded.title_rows) == (
        "duckdb", "gb18030", 17, [1, 2])


# ------------------------------------------------------ what the SQL does itself
@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    for sql in SQL_MACROS:
        c.execute(sql)
    _python_round(c)
    yield c
    c.close()


_TEXT = st.text(alphabet=st.sampled_from(list(PY_SPACE) + list("=\"'ab1 x\u200b中")
                                         + ["\u00e9", "\u3001"]), max_size=12)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(values=st.lists(_TEXT, min_size=1, max_size=40))
def test_cells_are_cleaned_as_python_cleans_them(con, values):
    con.register("v", pd.DataFrame({"v": pd.Series(values, dtype=object)}))
    got = con.execute("SELECT cb_clean(v), cb_filled(v), cb_strip(v) FROM v").fetchall()
    for v, (clean, filled, strip) in zip(values, got, strict=True):
        assert clean == clean_cell(v), repr(v)
        assert filled == (clean_cell(v) is not None), repr(v)
        assert strip == v.strip(), repr(v)


def _fast(con, shape: str, values: list[str]) -> list[bool]:
    con.register("v", pd.DataFrame({"v": pd.Series(values, dtype=object)}))
    return [r[0] for r in con.execute(f"SELECT {shape.format('v')} FROM v").fetchall()]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(values=st.lists(st.from_regex(r"[-+]?[0-9A-Za-z_.eE\-]{1,12}", fullmatch=True),
                       min_size=1, max_size=30))
def test_an_order_number_of_the_usual_shape_is_what_python_reads(con, values):
    for v, fast in zip(values, _fast(con, _ID_FAST, values), strict=True):
        if fast:  # SQL takes the text as it is, and says no digits were lost
            assert _order_id(v) == (v, False), v
        else:  # what SQL leaves to Python is unusual: a sign, a dot, scientific digits
            assert re.search(r"[+.]", v) or re.fullmatch(r"-?[0-9][eE][0-9]+", v), v


@settings(max_examples=100, deadline=None, derandomize=True)
@given(values=st.lists(st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}"
                                     r"(:[0-9]{2})?)?", fullmatch=True), min_size=1,
                       max_size=30))
def test_a_date_of_the_usual_shape_is_read_as_python_reads_it(con, values):
    assert all(_fast(con, _DATE_FAST, values))
    d = ("CASE WHEN length(v) = 10 OR substr(v, 12, 2) <= '23' THEN CAST(TRY_CAST(v AS "
         "TIMESTAMP) AS DATE) END")
    sql = f"SELECT CASE WHEN year({d}) BETWEEN 1900 AND 2200 THEN {d} END FROM v"
    for v, (got,) in zip(values, con.execute(sql).fetchall(), strict=True):
        try:
            want = _date(v)
        except ValueError:
            want = None
        assert got == want, v


@settings(max_examples=100, deadline=None, derandomize=True)
@given(values=st.lists(st.from_regex(r"-?[0-9]{1,10}(\.[0-9]{1,8})?", fullmatch=True),
                       min_size=1, max_size=30))
def test_an_amount_of_the_usual_shape_is_read_as_python_reads_it(con, values):
    assert all(_fast(con, _NUM_FAST, values))
    got = con.execute("SELECT CAST(v AS DOUBLE) FROM v").fetchall()
    for v, (x,) in zip(values, got, strict=True):
        assert x == _amount(v) and np.signbit(x) == np.signbit(_amount(v)), v


@settings(max_examples=100, deadline=None, derandomize=True)
@given(values=st.lists(st.one_of(st.from_regex(r"1[0-9]{10}", fullmatch=True),
                                 st.from_regex(r"[-+ _0-9.eE]{9,13}", fullmatch=True),
                                 st.sampled_from(["1.38001E+10", "1380013.8e4", "13800138e00",
                                                  "+1380013800", "138_0013_80"])),
                       min_size=1, max_size=30))
def test_a_mobile_number_of_the_usual_shape_is_its_own_key(con, values):
    for v, fast in zip(values, _fast(con, _PHONE_FAST, values), strict=True):
        if fast:
            p = normalise_phone(v)
            assert (p.key, p.kind, p.text) == (v, "mobile", v), v
        assert bool(fast) == bool(re.fullmatch(r"1[3-9][0-9]{9}", v)), v


@settings(max_examples=200, deadline=None, derandomize=True)
@given(values=st.lists(st.one_of(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.integers(-10 ** 9, 10 ** 9).map(lambda n: n / 1000),  # half cents: 0.125, 2.675
    st.integers(-10 ** 7, 10 ** 7).map(lambda n: n / 100 - 0.005)), min_size=1, max_size=50))
def test_amounts_are_rounded_to_the_cent_as_python_rounds_them(con, values):
    con.register("v", pd.DataFrame({"x": pd.Series(values, dtype=np.float64)}))
    got = con.execute(f"SELECT {_round2('x')}, {_cents('x')} FROM v").fetchall()
    for x, (r, cents) in zip(values, got, strict=True):
        assert r == round(x, 2) and np.signbit(r) == np.signbit(round(x, 2)), x
        assert cents == int(round(x * 100)), x


# ------------------------------------------------------ the book's orders in a source
@pytest.mark.parametrize("where", ["history", "orders.parquet", "orders.csv", "shop.duckdb"])
def test_the_orders_in_the_source_are_found_as_the_row_by_row_import_finds_them(tmp_path,
                                                                                where):
    """Half the book's orders in the source, half on the sheet: the DuckDB plan looks them
    up in the source itself; the row-by-row plan gets them from orders_for_import (the
    export's order numbers and refund lines, and its days), sheet's after."""
    customers, orders = generated_book(random.Random(3))
    in_source, on_sheet = orders.iloc[::2], orders.iloc[1::2].reset_index(drop=True)
    stage_orders(locate(tmp_path, where, create=True), in_source.drop(columns="_row")).commit()
    source = locate(tmp_path, where)
    for seed in range(6):
        rnd = random.Random(seed)
        path, _plain = write_export(tmp_path / f"e{seed}.csv", rnd,
                                    ["youzan", "till", "own"][seed % 3], "utf-8", ",")
        try:
            table = read_export(path)
        except ImportFileError:
            continue
        ids, first, last = _export_keys(table, ImportMapping())
        kept = orders_for_import(source, customers, ids, first, last, "en")
        book = pd.concat([kept, on_sheet[kept.columns]], ignore_index=True)
        py = plan_import(table, None, customers, book, today=TODAY)
        sql = plan_csv_import(path, None, customers, on_sheet, source=source, today=TODAY)
        assert_same_plan(py, sql)
