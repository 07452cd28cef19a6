"""Planning an import: hand-checked expectations for every fixture, and idempotence.

The expectations below were worked out by hand from the rows in
tests/data/exports/make_exports.py and the book in import_book.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from import_book import apply, book_customers, book_orders

from xl_addin.imports import (
    CUSTOMER_COLUMNS,
    ORDER_COLUMNS,
    next_customer_ids,
    plan_import,
    read_export,
    status_class,
    table_from_rows,
)


def plan_of(exports, file, customers, orders, today, **kw):
    return plan_import(read_export(exports / file), None, customers, orders, today=today, **kw)


def order_rows(plan):
    """(source row, OrderID, CustomerID, date, amount, product) of every order to append."""
    o = plan.orders
    return [(int(r), oid, cid, d.date().isoformat(), a, p) for r, oid, cid, d, a, p in zip(
        o["_source_row"], o["OrderID"], o["CustomerID"], o["OrderDate"], o["Amount"],
        o["Product"], strict=True)]


def issues(items):
    return [(i.row, i.code) for i in items]


# ------------------------------------------------------------------ Youzan
def test_youzan(exports, customers, orders, today):
    plan = plan_of(exports, "youzan_orders_gbk.csv", customers, orders, today, lang="zh-CN")
    assert plan.ok and plan.will_write and plan.system == "youzan"
    assert order_rows(plan) == [
        (6, "E20260301002", "K0196", "2026-03-01", 199.0, "玫瑰精华面膜"),  # 138 0013 8000
        (7, "E20260301003", "K0197", "2026-03-01", 358.0, "补水套装"),  # +86 139-…, ￥358.00
        (8, "E20260302004", "K0201", "2026-03-02", 68.0, "洁面乳"),  # new: 周强
        (11, "E20260303007", "K0201", "2026-03-03", 168.0, "面霜"),  # 周强 again, 150-0015-0001
        (12, "E20260304008", "K0202", "2026-03-04", 45.5, "护手霜"),  # new: 孙丽, full-width
        (14, "E20260305009", "K0199", "2026-03-05", 220.0, "眼霜"),  # K0199's second number
        (15, "E20260305010", "K0194", "2026-03-05", 399.0, "面膜礼盒"),  # shared phone
        (17, "E20260307012", "K0200", "2026-03-07", 88.0, "洗面奶"),  # '13600136000
        (18, "E20260308013", "K0197", "2026-03-08", 19.9, "香水小样"),  # buyer's phone first
        (19, "E20260309014", "K0203", "2026-03-09", 336.0, "面霜"),  # new: 钱进
        (20, "E20260309015", "K0202", "2026-03-09", 299.0, "精华液"),  # 孙丽 again
        (21, "E20260310016", "K0198", "2026-03-10", 220.0, "眼霜"),  # landline
    ]
    assert issues(plan.duplicates) == [(5, "duplicate_in_book"), (13, "duplicate_in_export")]
    assert issues(plan.skipped) == [(9, "status_cancelled"), (10, "status_unpaid"),
                                    (16, "status_refunded"), (22, "summary_row")]
    assert issues(plan.warnings) == [(15, "phone_shared")]
    assert plan.warnings[0].params["ids"] == ["K0194", "K0195"]
    assert plan.refused == [] and plan.unknown_buyers == []
    c = plan.customers
    assert c["CustomerID"].tolist() == ["K0201", "K0202", "K0203"]
    assert c["Name"].tolist() == ["周强", "孙丽", "钱进"]
    assert c["Phone"].tolist() == ["15000150001", "18600186001", "17700177000"]
    assert c["Source"].tolist() == ["导入"] * 3
    assert c["Notes"][0] == "2026-03-10 从 youzan_orders_gbk.csv 第 8 行导入（有赞）；昵称 强哥"
    assert c["_source_row"].tolist() == [8, 12, 19]
    s = plan.summary
    assert (s.read, s.new_orders, s.duplicates, s.new_customers, s.refused, s.skipped) == (
        17, 12, 2, 3, 0, 4)
    assert plan.title_rows == [1, 2]


def test_the_plan_frames_are_typed(exports, customers, orders, today):
    plan = plan_of(exports, "youzan_orders_gbk.csv", customers, orders, today)
    assert list(plan.orders.columns) == [*ORDER_COLUMNS, "_source_row"]
    assert list(plan.customers.columns) == [*CUSTOMER_COLUMNS, "_source_row"]
    assert str(plan.orders["OrderDate"].dtype) == "datetime64[ns]"
    assert plan.orders["Amount"].dtype == np.float64
    assert plan.orders["Paid"].isna().all() and plan.orders["Cost"].isna().all()
    assert (plan.orders["OrderDate"] == plan.orders["OrderDate"].dt.normalize()).all()
    assert plan.customers["Source"].tolist() == ["Import"] * 3  # the book's language: en
    assert plan.customers["Notes"][0] == (
        "Imported 2026-03-10 from youzan_orders_gbk.csv, row 8 (Youzan); nickname 强哥")


# ------------------------------------------------------------------ Taobao
def test_taobao(exports, customers, orders, today):
    plan = plan_of(exports, "taobao_orders_bom.csv", customers, orders, today)
    assert plan.ok and plan.system == "taobao"
    assert order_rows(plan) == [
        (2, "3301000000000000001", "K0196", "2026-03-01", 199.0, "玫瑰精华面膜"),
        (3, "3301000000000000002", "K0198", "2026-03-02", 520.0, "羊绒围巾"),  # 联系电话
        (5, "3301000000000000004", "K0201", "2026-03-03", 200.0, "羊毛披肩"),  # 300 - 100
        (6, "3301000000000000005-R", "K0197", "2026-02-25", -256.0, "羊绒围巾"),  # closed
        (7, "3301000000000000006", "K0202", "2026-03-04", 68.0, "真丝眼罩"),  # phone in address
        (9, "3301000000000000008", "K0200", "2026-03-06", 1288.0, "真丝睡衣套装"),  # 0086 …
        (10, "3301000000000000009", "K0199", "2026-03-07", 59.9, "发圈三件套"),
        (11, "3301000000000000010", "K0196", "2026-03-08", 45.0, "丝巾扣"),
        (12, "3301000000000000011", "K0203", "2026-03-09", 128.0, "羊绒手套"),
    ]
    assert issues(plan.refund_lines) == [(6, "refund_line")]
    assert plan.refund_lines[0].params["amount"] == 256.0
    assert issues(plan.skipped) == [(4, "status_cancelled"), (8, "status_unpaid")]
    assert plan.duplicates == []
    assert plan.customers["Name"].tolist() == ["吴敏", "周强", "钱进"]
    assert plan.customers["Phone"].tolist() == ["13300133000", "15000150001", "17700177000"]
    s = plan.summary
    assert (s.read, s.new_orders, s.refund_lines, s.new_customers) == (11, 8, 1, 3)


# ------------------------------------------------------------------ Shopify
def test_shopify(exports, customers, orders, today):
    plan = plan_of(exports, "shopify_orders.csv", customers, orders, today)
    assert plan.ok and plan.system == "shopify"
    assert order_rows(plan) == [
        (2, "#1001", "K0196", "2026-03-02", 129.0, "Rose Mask + Toner"),
        (5, "#1003-R", "K0198", "2026-02-27", -20.0, "Silk Scarf"),  # partly refunded since
        (8, "#1006", "K0201", "2026-03-05", 256.0, "Cashmere Scarf"),  # the local date
        (10, "#1008", "K0197", "2026-03-07", 45.0, "Gift Box + Hand Cream"),
        (12, "#1009", "K0202", "2026-03-08", 520.0, "Silk Pyjamas"),  # Shipping Phone
    ]
    assert issues(plan.skipped) == [(3, "merged_line"), (4, "status_refunded"),
                                    (6, "status_cancelled"), (7, "status_cancelled"),
                                    (9, "status_unpaid"), (11, "merged_line")]
    assert plan.skipped[3].column == "Cancelled at"
    assert plan.customers[["CustomerID", "Name", "Phone"]].values.tolist() == [
        ["K0201", "Emily Chen", "+14155550100"], ["K0202", "Zhou Qiang", "15000150001"]]
    assert plan.customers["Notes"][0].endswith("; email emily@example.com")
    s = plan.summary
    assert (s.new_orders, s.refund_lines, s.merged_lines, s.skipped) == (4, 1, 2, 4)


# ------------------------------------------------------------------ tills
def test_till_without_order_numbers(exports, customers, orders, today):
    plan = plan_of(exports, "till_sales_tab.csv", customers, orders, today)
    assert plan.ok and plan.system == "till"
    assert order_rows(plan) == [
        (4, None, "K0196", "2026-03-05", 38.0, "拿铁"),
        (6, None, "K0201", "2026-03-05", 26.0, "𠮷野家风味饭团"),
        (7, None, "K0196", "2026-03-05", -38.0, "拿铁"),  # a return slip: negative
        (8, None, "K0199", "2026-03-06", 36.0, "燕麦拿铁"),
    ]
    assert issues(plan.duplicates) == [(2, "duplicate_purchase"), (3, "repeated_line"),
                                       (9, "repeated_line")]
    assert plan.duplicates[1].params["first_row"] == 2
    assert issues(plan.skipped) == [(5, "no_customer"), (10, "summary_row")]
    assert plan.customers[["CustomerID", "Name"]].values.tolist() == [["K0201", "黄蓉"]]
    assert "会员号 M0021" in plan_of(exports, "till_sales_tab.csv", customers, orders, today,
                                   lang="zh-CN").customers["Notes"][0]


def test_till_with_line_numbers(exports, customers, orders, today):
    plan = plan_of(exports, "till_lines_semicolon.csv", customers, orders, today)
    assert order_rows(plan) == [
        (2, None, "K0197", "2026-03-07", 3.5, "矿泉水"),
        (3, None, "K0197", "2026-03-07", 3.5, "矿泉水"),  # line 2: a second bottle
        (5, None, "K0197", "2026-03-07", 8.0, "面包"),
    ]
    assert issues(plan.duplicates) == [(4, "repeated_line_number")]
    assert plan.duplicates[0].params["first_row"] == 3


# ------------------------------------------------------------------ refusals
def test_jd_refused_rows_mean_nothing_is_written(exports, customers, orders, today):
    plan = plan_of(exports, "jd_orders.xlsx", customers, orders, today)
    assert not plan.ok and not plan.will_write
    assert [(i.row, i.column, i.code) for i in plan.refused] == [
        (4, "联系电话", "phone_masked"),
        (5, "联系电话", "phone_masked"),
        (6, "下单时间", "not_a_date"),
        (7, "订单金额", "required_blank"),
        (8, "订单号", "id_precision_lost"),
    ]
    assert plan.summary.refused == 5
    en = plan.report("en")
    zh = plan.report("zh-CN")
    assert "Nothing will be written: either the whole export lands or nothing does." in en
    assert "不会写入任何内容" in zh
    assert ('jd_orders.xlsx, row 5, column \'联系电话\': the phone number "136****6000" is '
            "masked, so it cannot be matched to a customer (it could be K0200)") in en
    assert "文件「jd_orders.xlsx」第 4 行「联系电话」列：手机号“1******6198”已打码" in zh
    assert "(it could be" not in plan.refused[0].render("en")
    assert 'found "2026-02-30 10:00:00"' in plan.refused[2].render("en")
    assert "“金额”为空" in plan.refused[3].render("zh-CN")
    assert "New customers" not in en  # nothing is added while rows are refused
    # what would land once the refused rows are fixed
    assert [r[:3] for r in order_rows(plan)] == [
        (3, "280000000101", "K0196"), (10, "280000000108", "K0201"),
        (11, "280000000109", "K0194"), (12, "280000000110", "K0202")]
    assert issues(plan.skipped) == [(9, "status_cancelled"), (13, "note_row")]
    assert issues(plan.warnings) == [(11, "phone_shared")]


def test_what_makes_a_row_refused(customers, orders, today):
    header = ["订单编号", "下单时间", "买家手机号", "实付金额", "客户编号"]
    rows = [header,
            ["F1", "2026-03-12", "13800138000", "10", ""],  # after today
            ["F2", "2026-03-01", "电话待补", "10", ""],  # not a phone
            ["F3", "2026-03-01", "", "10", "K9999"],  # an unknown customer ID, no phone
            ["F4", "2026-03-01", "13800138000", "1e13", ""],  # too large
            ["F5", "2026/3/1", "", "10", "K0200"],  # fine: a known customer ID
            ["F6", "2026-03-11", "13900139000", "10", "K9999"],  # tomorrow; ID unknown: phone
            ["1.23457E+18", "2026-03-01", "13800138000", "10", ""],  # Excel's scientific form
            ["F8", "2026-03-01", "1.38001E+10", "10", ""]]  # a phone Excel turned into one
    plan = plan_import(table_from_rows(rows), None, customers, orders, today=today)
    assert [(i.row, i.code) for i in plan.refused] == [
        (2, "date_in_future"), (3, "phone_invalid"), (4, "unknown_customer_id"),
        (5, "number_too_large"), (8, "id_precision_lost"), (9, "phone_scientific")]
    assert order_rows(plan) == [(6, "F5", "K0200", "2026-03-01", 10.0, None),
                                (7, "F6", "K0197", "2026-03-11", 10.0, None)]


def test_rows_already_in_the_book_are_never_refused(customers, orders, today):
    rows = [["订单号", "订单创建时间", "买家手机号", "订单实付金额", "订单状态", "全部商品名称"],
            ["E20260220001", "not a date", "138****8000", "n/a", "交易成功", "玫瑰精华面膜"]]
    plan = plan_import(table_from_rows(rows), None, customers, orders, today=today)
    assert plan.ok and issues(plan.duplicates) == [(2, "duplicate_in_book")]


# ------------------------------------------------------------------ idempotence
CLEAN = ["youzan_orders_gbk.csv", "taobao_orders_bom.csv", "shopify_orders.csv",
         "till_sales_tab.csv", "till_lines_semicolon.csv"]


@pytest.mark.parametrize("file", CLEAN)
def test_importing_the_same_export_twice_adds_nothing(exports, file, customers, orders, today):
    first = plan_of(exports, file, customers, orders, today)
    assert first.ok and first.will_write
    c, o = apply(first, customers, orders)
    second = plan_of(exports, file, c, o, today)
    assert second.ok and not second.will_write
    assert (second.summary.new_orders, second.summary.refund_lines,
            second.summary.new_customers) == (0, 0, 0)
    assert len(second.orders) == 0 and len(second.customers) == 0
    assert "Nothing new to import." in second.report("en")
    # every row the first import appended is now a duplicate
    assert {i.row for i in second.duplicates} >= set(first.orders["_source_row"])


def test_a_purchase_without_order_number_or_product_is_imported_once(customers, orders, today):
    # the workbook and source readers give a blank Product cell as NaN, not None
    rows = [["会员手机号", "销售时间", "实收金额"], ["13500135000", "2026-03-01 10:00", "35"]]
    first = plan_import(table_from_rows(rows), None, customers, orders, today=today)
    assert first.summary.new_orders == 1 and first.orders["Product"].tolist() == [None]
    c, o = apply(first, customers, orders)
    o["Product"] = o["Product"].astype(object).where(o["Product"].notna(), np.nan)
    second = plan_import(table_from_rows(rows), None, c, o, today=today)
    assert second.summary.new_orders == 0
    assert issues(second.duplicates) == [(2, "duplicate_purchase")]


def test_a_purchase_with_a_third_decimal_is_found_again_as_the_book_holds_it(customers,
                                                                            orders, today):
    # 12.345 is written as 12.35; the next import compares with what was written
    rows = [["会员手机号", "销售时间", "实收金额", "商品名称"],
            ["13500135000", "2026-03-01 10:00", "12.345", "拿铁"]]
    first = plan_import(table_from_rows(rows), None, customers, orders, today=today)
    assert first.orders["Amount"].tolist() == [12.35]
    c, o = apply(first, customers, orders)
    second = plan_import(table_from_rows(rows), None, c, o, today=today)
    assert second.summary.new_orders == 0
    assert issues(second.duplicates) == [(2, "duplicate_purchase")]


def test_one_export_after_another_finds_the_customers_the_first_added(exports, today):
    c, o = book_customers(), book_orders()
    youzan = plan_of(exports, "youzan_orders_gbk.csv", c, o, today)
    c, o = apply(youzan, c, o)
    taobao = plan_of(exports, "taobao_orders_bom.csv", c, o, today)
    # 周强 and 钱进 came in with the Youzan export; only 吴敏 is new
    assert taobao.customers[["CustomerID", "Name"]].values.tolist() == [["K0204", "吴敏"]]
    found = {r[1]: r[2] for r in order_rows(taobao)}
    assert found["3301000000000000006"] == "K0201" and found["3301000000000000011"] == "K0203"
    c, o = apply(taobao, c, o)
    assert plan_of(exports, "taobao_orders_bom.csv", c, o, today).will_write is False


def test_a_refund_after_import_is_followed_once(today):
    header = ["订单编号", "订单创建时间", "联系手机", "买家实际支付金额", "订单状态", "退款金额",
              "宝贝标题", "买家会员名"]
    sold = [header, ["T1", "2026-03-01 10:00", "13800138000", "300", "交易成功", "0", "披肩", "a"]]
    c, o = book_customers(), book_orders()
    first = plan_import(table_from_rows(sold), None, c, o, today=today)
    c, o = apply(first, c, o)
    part = [header, ["T1", "2026-03-01 10:00", "13800138000", "300", "交易成功", "100", "披肩",
                     "a"]]
    refund = plan_import(table_from_rows(part), None, c, o, today=today)
    assert order_rows(refund) == [(2, "T1-R", "K0196", "2026-03-01", -100.0, "披肩")]
    c, o = apply(refund, c, o)
    closed = [header, ["T1", "2026-03-01 10:00", "13800138000", "300", "交易关闭", "300", "披肩",
                       "a"]]
    full = plan_import(table_from_rows(closed), None, c, o, today=today)
    assert order_rows(full) == [(2, "T1-R2", "K0196", "2026-03-01", -200.0, "披肩")]
    c, o = apply(full, c, o)
    assert o.loc[o["OrderID"].astype(str).str.startswith("T1"), "Amount"].sum() == 0
    again = plan_import(table_from_rows(closed), None, c, o, today=today)
    assert not again.will_write and issues(again.duplicates) == [(2, "duplicate_in_book")]


# ------------------------------------------------------------------ customers
def test_no_new_customers_lists_the_unknown_buyers(exports, customers, orders, today):
    plan = plan_of(exports, "youzan_orders_gbk.csv", customers, orders, today,
                   new_customers=False)
    assert plan.ok and len(plan.customers) == 0
    assert issues(plan.unknown_buyers) == [(8, "unknown_buyer"), (11, "unknown_buyer"),
                                           (12, "unknown_buyer"), (19, "unknown_buyer"),
                                           (20, "unknown_buyer")]
    assert plan.summary.unknown_buyers == 3
    assert set(plan.orders["CustomerID"]) <= set(customers["CustomerID"])
    assert len(plan.orders) == 12 - 5
    assert "15000150001 周强" in plan.report("en")


def test_new_ids_follow_the_books_pattern():
    assert next_customer_ids(["K0199", "K0200", "K0198"], 2) == ["K0201", "K0202"]
    assert next_customer_ids([], 2) == ["C0001", "C0002"]
    assert next_customer_ids([np.nan, None, "张三"], 1) == ["C0001"]
    assert next_customer_ids(["A1", "A2", "B10"], 1) == ["A3"]  # the prefix most IDs share
    assert next_customer_ids(["VIP-009"], 2) == ["VIP-010", "VIP-011"]
    assert next_customer_ids(["K99"], 1) == ["K100"]  # the width grows when it must
    assert next_customer_ids(["2024001", "2024002"], 1) == ["2024003"]


def test_a_book_whose_cells_are_still_text(exports, today):
    """Frames straight from a sheet: amounts as typed text, IDs as numbers, blanks."""
    orders = pd.DataFrame({"OrderID": [12345.0, "E20260301002", None],
                           "CustomerID": ["K0196", "K0196", "K0196"],
                           "OrderDate": ["2026-03-01", "not a date", None],
                           "Amount": ["¥1,200", "n/a", None], "Product": [None, "x", None]})
    plan = plan_of(exports, "youzan_orders_gbk.csv", book_customers(), orders, today)
    assert (6, "duplicate_in_book") in issues(plan.duplicates)
    assert plan.summary.new_orders == 12


def test_an_empty_book(exports, today):
    plan = plan_of(exports, "youzan_orders_gbk.csv", None, None, today)
    assert plan.customers["CustomerID"].tolist()[:3] == ["C0001", "C0002", "C0003"]
    assert plan.summary.new_orders == 13  # E20260220001 is not in an empty book
    empty = plan_of(exports, "youzan_orders_gbk.csv", pd.DataFrame(), pd.DataFrame(), today)
    assert empty.orders.equals(plan.orders)


def test_status_words():
    assert status_class("交易成功") is None and status_class("paid") is None
    assert status_class("卖家已发货，等待买家确认") is None
    assert status_class("退款关闭") is None  # a refund request closed: the sale stands
    assert status_class("退款已取消") is None
    assert status_class("等待买家付款") == "unpaid" and status_class("Pending") == "unpaid"
    assert status_class("交易关闭") == "cancelled" and status_class("voided") == "cancelled"
    assert status_class("(删除)订单取消") == "cancelled"
    assert status_class("已退款") == "refunded" and status_class("Refunded") == "refunded"
    assert status_class("partially_refunded") == "partial"
    assert status_class("退货单") == "return"
    assert status_class(None) is None and status_class(float("nan")) is None


def test_the_report_in_both_languages(exports, customers, orders, today):
    plan = plan_of(exports, "shopify_orders.csv", customers, orders, today)
    en, zh = plan.report("en"), plan.report("zh-CN")
    assert en.splitlines()[0] == ("shopify_orders.csv (Shopify): rows read 11; new orders 4; "
                                  "duplicates skipped 0; new customers 2; refused 0")
    assert en.splitlines()[1] == ("also: refund lines 1; lines merged into their order 2; "
                                  "rows skipped 4")
    assert zh.splitlines()[0] == ("shopify_orders.csv（Shopify）：读取 11 行，新订单 4 笔，"
                                  "跳过重复 0 行，新客户 2 位，拒绝 0 行")
    assert "shopify_orders.csv, row 3: another line of order #1001 (row 2)" in en
    assert "  - K0201 Emily Chen +14155550100" in en


def test_planning_changes_nothing_it_is_given(exports, customers, orders, today):
    """A dry run and a real one plan alike: the frames the caller passed stay as they were."""
    before_c, before_o = customers.copy(), orders.copy()
    plan_of(exports, "taobao_orders_bom.csv", customers, orders, today)
    pd.testing.assert_frame_equal(customers, before_c)
    pd.testing.assert_frame_equal(orders, before_o)

