"""Which export column is which Orders column: built-in layouts, the Mapping sheet."""

from __future__ import annotations

import re

import pytest

from xl_addin.domain.schema import RawTable
from xl_addin.imports import (
    CATALOGUE,
    SYSTEMS,
    ImportFileError,
    ImportMapping,
    MappingRow,
    detect_system,
    mapping_sheet_rows,
    plan_import,
    read_export,
    read_mapping_sheet,
    render,
    table_from_rows,
)
from xl_addin.imports.mapping import TARGETS, builtin_rows, target_for


@pytest.mark.parametrize(("file", "system", "label"), [
    ("youzan_orders_gbk.csv", "youzan", "有赞"),
    ("taobao_orders_bom.csv", "taobao", "淘宝/天猫"),
    ("jd_orders.xlsx", "jd", "京东"),
    ("shopify_orders.csv", "shopify", "Shopify"),
    ("till_sales_tab.csv", "till", "收银系统"),
    ("till_lines_semicolon.csv", "till", "收银系统"),
])
def test_the_system_is_detected_from_the_headers(exports, file, system, label):
    res = detect_system(read_export(exports / file).header)
    assert (res.system, res.label.zh, res.complete) == (system, label, True)


def test_what_each_layout_maps(exports):
    yz = detect_system(read_export(exports / "youzan_orders_gbk.csv").header).used()
    assert yz["OrderDate"] == ["订单创建时间", "买家付款时间"]
    assert yz["Phone"] == ["买家手机号", "收货人手机号/提货人手机号"]
    assert yz["Amount"] == ["订单实付金额"] and yz["Nickname"] == ["买家昵称"]
    tb = detect_system(read_export(exports / "taobao_orders_bom.csv").header).used()
    assert tb["Amount"] == ["买家实际支付金额", "总金额"]
    assert tb["Phone"] == ["联系手机", "联系电话", "收货地址"]
    assert tb["Refund"] == ["退款金额"] and tb["Nickname"] == ["买家会员名"]
    shop = detect_system(read_export(exports / "shopify_orders.csv").header).used()
    assert shop["OrderID"] == ["Name"] and shop["Amount"] == ["Total"]
    assert shop["Phone"] == ["Phone", "Billing Phone", "Shipping Phone"]
    assert shop["CancelledAt"] == ["Cancelled at"]
    assert "Id" not in sum(shop.values(), [])  # Shopify's internal id is not a customer
    jd = detect_system(read_export(exports / "jd_orders.xlsx").header).used()
    assert jd["Amount"] == ["订单金额", "商家应收"] and jd["Phone"] == ["联系电话"]


def test_headers_match_as_the_workbook_matches_them():
    res = detect_system(["order date", "PHONE", "amount", "Order_ID"])
    assert res.system == "generic"
    assert res.used() == {"OrderID": ["Order_ID"], "OrderDate": ["order date"],
                          "Amount": ["amount"], "Phone": ["PHONE"]}


def test_the_issue_words_need_no_mapping():
    res = detect_system(["订单编号", "付款时间", "会员手机号", "实付金额", "商品名称"])
    assert res.complete
    assert res.header_of("OrderDate") == "付款时间" and res.header_of("Phone") == "会员手机号"


def test_an_unmapped_required_column_lists_the_export_headers(exports):
    t = read_export(exports / "unknown_layout.csv")
    assert not t.recognised
    with pytest.raises(ImportFileError) as info:
        plan_import(t, None, None, None)
    err = info.value
    assert err.code == "unmapped_column"
    en, zh = err.render("en"), err.render("zh-CN")
    assert "The export's columns are: 日期, 金额, 备注" in en
    assert "CustomerID or Phone" in en and "OrdersColumn 'Phone (or CustomerID)'" in en
    assert "导出文件的列为：日期, 金额, 备注" in zh and "客户编号或电话" in zh
    no_date = table_from_rows([["订单号", "手机号", "金额"], ["A", "13800138000", "1"]])
    with pytest.raises(ImportFileError) as info:
        plan_import(no_date, None, None, None)
    assert "OrderDate" in info.value.render("en") and "下单日期" in info.value.render("zh-CN")


def test_a_user_row_comes_before_the_layout():
    rows = [["订单号", "订单创建时间", "买家付款时间", "订单实付金额", "全部商品名称", "买家手机号"],
            ["E1", "2026-03-01 23:59:00", "2026-03-02 00:01:00", "10", "面膜", "13800138000"]]
    builtin = plan_import(table_from_rows(rows), None, None, None)
    assert builtin.orders["OrderDate"].dt.day.tolist() == [1]
    mine = [MappingRow("有赞", "买家付款时间", "OrderDate")]
    paid = plan_import(table_from_rows(rows, mapping=mine), mine, None, None)
    assert paid.columns["OrderDate"] == ["买家付款时间", "订单创建时间"]
    assert paid.orders["OrderDate"].dt.day.tolist() == [2]


def test_ignore_keeps_a_column_out(exports, customers, orders, today):
    t = read_export(exports / "taobao_orders_bom.csv")
    ignore = [MappingRow("Taobao", "收货地址", "Ignore")]
    plan = plan_import(t, ignore, customers, orders, today=today)
    assert plan.columns["Phone"] == ["联系手机", "联系电话"]
    assert [(i.row, i.code) for i in plan.skipped if i.code == "no_customer"] == [(7, "no_customer")]


def test_a_system_of_the_users_own():
    mine = ImportMapping([MappingRow("我的收银机", "日期", "OrderDate"),
                          MappingRow("我的收银机", "手机", "Phone"),
                          MappingRow("我的收银机", "金额", "Amount")])
    rows = [["门店流水"], ["日期", "手机", "金额", "备注"], ["2026-03-01", "13800138000", "9.9", ""]]
    t = table_from_rows(rows, mapping=mine)
    assert t.header_row == 2  # the user's columns find the header too
    res = mine.resolve(t.header)
    assert (res.system, res.label.en, res.user_system) == ("我的收银机", "我的收银机", True)
    plan = plan_import(t, mine, None, None)
    assert plan.orders["Amount"].tolist() == [9.9]
    assert plan.mapping_to_save == []  # nothing new to remember


def test_rows_for_every_system():
    mine = ImportMapping([MappingRow("*", "流水号", "OrderID")])
    res = mine.resolve(["流水号", "下单时间", "手机号", "实付金额"])
    assert res.header_of("OrderID") == "流水号"


def test_the_mapping_used_is_remembered(exports, customers, orders, today):
    t = read_export(exports / "youzan_orders_gbk.csv")
    first = plan_import(t, None, customers, orders, today=today, lang="zh-CN")
    saved = first.mapping_to_save
    assert {r.system for r in saved} == {"有赞"}
    assert MappingRow("有赞", "订单实付金额", "Amount") in saved
    assert len(saved) == sum(len(v) for v in first.columns.values())
    sheet = mapping_sheet_rows(saved, "zh-CN")
    assert sheet[0] == ["来源系统", "导出列", "订单列"]
    assert ["有赞", "订单实付金额", "金额"] in sheet
    back, problems = read_mapping_sheet(sheet)
    assert problems == []
    assert [(r.system, r.export_column, r.target) for r in back.rows] == [
        (r.system, r.export_column, r.target) for r in saved]
    again = plan_import(t, back, customers, orders, today=today, lang="zh-CN")
    assert again.mapping_to_save == [] and again.columns == first.columns
    assert again.orders.equals(first.orders)


def test_the_mapping_sheet_read_back_with_its_problems():
    raw = RawTable("导入映射", 3, ["Source System", "导出列", "Orders Column"], [
        ["Shopify", "Order Phone", "phone"],
        [None, None, None],
        ["Shopify", "", "Amount"],
        ["收银机", "单号", "订单编号"],
        ["收银机", "顾客", "Customer Mood"],
    ])
    mapping, problems = read_mapping_sheet(raw)
    assert [(r.system, r.export_column, r.target, r.row) for r in mapping.rows] == [
        ("Shopify", "Order Phone", "Phone", 4), ("收银机", "单号", "OrderID", 7)]
    assert [(p.sheet, p.row, p.column, str(p.code)) for p in problems] == [
        ("导入映射", 6, "导出列", "required_blank"),
        ("导入映射", 8, "Orders Column", "not_in_choices")]
    assert "Customer Mood" in problems[1].render("en")
    missing, problems = read_mapping_sheet([["来源系统", "导出列"], ["有赞", "订单号"]])
    assert missing.rows == [] and str(problems[0].code) == "missing_column"


def test_every_target_word_reads_back():
    for t in TARGETS.values():
        assert target_for(t.key) == t.key and target_for(t.zh) == t.key
        assert target_for(f"  {t.key.upper()} ") == t.key
    assert target_for("nothing like it") is None


def test_builtin_rows_cover_every_layout():
    rows = builtin_rows("en")
    assert {r.system for r in rows} >= {s.en for s in SYSTEMS}
    assert all(r.target in TARGETS for r in rows)
    assert all(s.source for s in SYSTEMS)


def test_user_text_is_never_a_template():
    header = ["{target}", "{headers}", "金额{0}"]
    with pytest.raises(ImportFileError) as info:
        plan_import(table_from_rows([header, ["a", "b", "1"]]), None, None, None)
    text = info.value.render("en")
    assert "The export's columns are: {target}, {headers}, 金额{0}." in text
    assert render("not_a_number", "en", value="{value}") == 'expected a number, found "{value}"'


def test_the_catalogue_says_the_same_in_both_languages():
    field = re.compile(r"\{(\w+)\}")
    for code, (en, zh) in CATALOGUE.items():
        assert en and zh, code
        assert set(field.findall(en)) == set(field.findall(zh)), code
