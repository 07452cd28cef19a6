"""Write the export fixtures of tests/imports (run from anywhere: ``python make_exports.py``).

Every file is shaped like a real system's export (see README.md here for each layout's
source); the rows are invented, the buyers fictitious. CSV files are written byte by byte
in the encoding the system uses; the .xlsx with xlsxwriter; the .xls and .ods (which the
import refuses) are converted from the .xlsx by LibreOffice when ``soffice`` is found,
else left as they are. Re-running gives the same CSV and .xlsx bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent


class Raw(str):
    """A CSV cell written exactly as it is (no quoting): Taobao's ``="0123"``."""


def csv_bytes(rows: list[list[object]], *, encoding: str, delimiter: str = ",",
              newline: str = "\r\n") -> bytes:
    out = io.StringIO()
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, Raw):
                cells.append(str(cell))
                continue
            if cell is None or cell == "":
                cells.append("")
                continue
            one = io.StringIO()
            csv.writer(one, delimiter=delimiter, lineterminator="").writerow(
                ["" if cell is None else cell])
            cells.append(one.getvalue())
        out.write(delimiter.join(cells) + newline)
    return out.getvalue().encode(encoding)


# ----------------------------------------------------------------------- Youzan, GBK
YOUZAN_HEADER = ["订单号", "订单状态", "订单创建时间", "买家付款时间", "全部商品名称", "商品种类数",
                 "订单实付金额", "收货人/提货人", "收货人手机号/提货人手机号", "收货人省份", "收货人城市",
                 "收货人地区", "详细收货地址/提货地址", "买家昵称", "买家手机号", "优惠券码名称", "分销员"]


def _yz(oid, status, created, paid, product, kinds, amount, name, phone, nick="", buyer="",
        coupon="", guide="导购甲"):
    return [oid, status, created, paid, product, kinds, amount, name, phone, "北京市", "北京市",
            "朝阳区", "北京市朝阳区示例路1号", nick, buyer, coupon, guide]


YOUZAN_ROWS = [
    ["有赞 · 订单导出"],
    ["导出时间：2026-03-10 18:00:12"],
    [],
    YOUZAN_HEADER,
    # line 5: already on the book's Orders sheet
    _yz("E20260220001", "交易成功", "2026-02-20 09:12:01", "2026-02-20 09:12:30", "玫瑰精华面膜",
        1, "99.00", "王芳", "13800138000", "芳芳", "13800138000"),
    _yz("E20260301002", "交易成功", "2026-03-01 10:02:11", "2026-03-01 10:02:40", "玫瑰精华面膜",
        1, "199.00", "王芳", "138 0013 8000", "芳芳", "138 0013 8000"),
    _yz("E20260301003", "交易成功", "2026-03-01 15:20:00", "2026-03-01 15:21:09", "补水套装",
        2, "￥358.00", "李娜", "+86 139-0013-9000", "娜娜", "+86 139-0013-9000", "9折优惠券"),
    _yz("E20260302004", "已发货", "2026-03-02 08:30:45", "2026-03-02 08:31:02", "洁面乳",
        1, "68.00", "周强", "15000150001", "强哥", "15000150001"),
    _yz("E20260302005", "交易关闭", "2026-03-02 12:00:00", "", "精华液",
        1, "299.00", "刘洋", "13600136000", "洋洋", "13600136000"),
    # line 10
    _yz("E20260303006", "待付款", "2026-03-03 09:00:00", "", "精华液",
        1, "299.00", "刘洋", "13600136000", "洋洋", "13600136000"),
    _yz("E20260303007", "交易成功", "2026-03-03 19:45:10", "2026-03-03 19:46:00", "面霜",
        1, "168.00", "周强", "150-0015-0001", "强哥", ""),
    _yz("E20260304008", "交易成功", "2026-03-04 11:11:11", "2026-03-04 11:12:00", "护手霜",
        1, "45.50", "孙丽", "＋８６　１８６００１８６００１", "丽丽", ""),
    _yz("E20260302004", "已发货", "2026-03-02 08:30:45", "2026-03-02 08:31:02", "洁面乳",
        1, "68.00", "周强", "15000150001", "强哥", "15000150001"),
    _yz("E20260305009", "交易成功", "2026-03-05 14:00:00", "2026-03-05 14:00:30", "眼霜",
        1, "220.00", "陈静", "0755-8888-6666", "静静", ""),
    # line 15
    _yz("E20260305010", "交易成功", "2026-03-05 16:30:00", "2026-03-05 16:31:00", "面膜礼盒",
        1, "399.00", "赵敏", "13500135000", "敏敏", "13500135000"),
    _yz("E20260306011", "已退款", "2026-03-06 10:00:00", "2026-03-06 10:00:40", "精华液",
        1, "299.00", "吴敏", "13300133000", "吴小敏", "13300133000"),
    _yz("E20260307012", "交易成功", "2026-03-07 10:00:00", "2026-03-07 10:00:20", "洗面奶",
        1, "88.00", "刘洋", "'13600136000", "洋洋", ""),
    _yz("E20260308013", "交易成功", "2026-03-08 12:12:12", "2026-03-08 12:13:00", "香水小样",
        1, "19.90", "王小明", "18800188000", "娜娜", "13900139000"),
    _yz("E20260309014", "交易成功", "2026-03-09 09:09:09", "2026-03-09 09:10:00", "面霜",
        2, "336.00", "钱进", "177 0017 7000", "钱多多", ""),
    # line 20
    _yz("E20260309015", "交易成功", "2026-03-09 20:20:20", "2026-03-09 20:21:00", "精华液",
        1, "299.00", "孙丽", "18600186001", "丽丽", ""),
    _yz("E20260310016", "交易成功", "2026-03-10 08:00:00", "2026-03-10 08:00:30", "眼霜",
        1, "220.00", "张伟", "010-65521234", "伟哥", ""),
    ["合计", "", "", "", "", "", "2543.90"],
]

# ---------------------------------------------------------------- Taobao, UTF-8 + BOM
TAOBAO_HEADER = ["订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分",
                 "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言",
                 "收货人姓名", "收货地址", "运送方式", "联系电话", "联系手机", "订单创建时间",
                 "订单付款时间", "宝贝标题", "宝贝种类", "物流单号", "物流公司", "订单备注", "宝贝总数量",
                 "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头",
                 "是否手机订单", "分阶段订单信息", "定金排名", "修改后的sku", "修改后的收货地址",
                 "异常信息", "退款金额"]


def _tb(oid, nick, total, paid, status, name, address, tel, mobile, created, paid_at,
        title, refund="0.00", close=""):
    return [Raw(f'="{oid}"'), nick, f"{nick}@example.com", total, "0.00", "0", total, "0", paid,
            "0", status, "", name, address, "快递", tel, mobile, created, paid_at, title, "1",
            "YT" + oid[-6:], "圆通速递", "", "1", "10001", "示例旗舰店", close, "0", "0元", "",
            "手机订单", "", "", "", "", "", refund]


TAOBAO_ROWS = [
    TAOBAO_HEADER,
    _tb("3301000000000000001", "tb_wangfang", "199.00", "199.00", "交易成功", "王芳",
        "北京 北京市 朝阳区 朝阳路1号(100020)", "", "'13800138000", "2026/3/1 9:15",
        "2026/3/1 9:16", "玫瑰精华面膜"),
    _tb("3301000000000000002", "tb_zhangwei", "520.00", "520.00", "交易成功", "张伟",
        "北京 北京市 东城区 东四1号(100010)", "010-65521234", "", "2026/3/2 14:03",
        "2026/3/2 14:05", "羊绒围巾"),
    _tb("3301000000000000003", "tb_liuyang", "88.00", "0.00", "交易关闭", "刘洋",
        "上海 上海市 浦东新区 世纪大道1号(200120)", "", "13600136000", "2026/3/2 20:00", "",
        "真丝眼罩", close="买家未付款"),
    _tb("3301000000000000004", "tb_wumin", "300.00", "300.00", "交易成功", "吴敏",
        "浙江省 杭州市 西湖区 文三路1号(310012)", "", "13300133000", "2026/3/3 10:00",
        "2026/3/3 10:01", "羊毛披肩", refund="100.00"),
    # line 6: already on the book's Orders sheet at 256.00, now closed after a refund
    _tb("3301000000000000005", "tb_lina", "256.00", "256.00", "交易关闭", "李娜",
        "广东省 广州市 天河区 体育西路1号(510620)", "", "13900139000", "2026/2/25 11:00",
        "2026/2/25 11:01", "羊绒围巾", refund="256.00", close="退款"),
    _tb("3301000000000000006", "tb_zhouqiang", "68.00", "68.00", "卖家已发货，等待买家确认", "周强",
        "周强，86-15000150001，江苏省 扬州市 广陵区 文昌路8号", "", "", "2026/3/4 8:00",
        "2026/3/4 8:02", "真丝眼罩"),
    _tb("3301000000000000007", "tb_sunli", "45.50", "0.00", "等待买家付款", "孙丽",
        "江苏省 南京市 鼓楼区 中山路1号(210008)", "", "18600186001", "2026/3/5 21:00", "",
        "护手霜"),
    _tb("3301000000000000008", "tb_liuyang", "1,288.00", "1,288.00", "交易成功", "刘洋",
        "上海 上海市 浦东新区 世纪大道1号(200120)", "", "0086 136 0013 6000", "2026/3/6 9:30",
        "2026/3/6 9:31", "真丝睡衣套装"),
    # line 10
    _tb("3301000000000000009", "tb_chenjing", "59.90", "59.90", "交易成功", "陈静",
        "广东省 深圳市 福田区 深南大道1号(518000)", "", "137-0013-7000", "2026/3/7 13:14",
        "2026/3/7 13:15", "发圈三件套"),
    _tb("3301000000000000010", "tb_wangfang", "45.00", "45.00", "交易成功", "王芳",
        "北京 北京市 朝阳区 朝阳路1号(100020)", "", '="13800138000"', "2026/3/8 16:00",
        "2026/3/8 16:01", "丝巾扣"),
    _tb("3301000000000000011", "tb_qianjin", "128.00", "128.00", "买家已付款，等待卖家发货", "钱进",
        "四川省 成都市 武侯区 人民南路1号(610041)", "", "17700177000", "2026/3/9 10:10",
        "2026/3/9 10:11", "羊绒手套"),
]

# --------------------------------------------------------------------- Shopify, UTF-8
SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,"
    "Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,"
    "Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,"
    "Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,"
    "Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
).split(",")


def _shop(name, email, *, status="", total="", created="", item="", price="", qty="1",
          billing="", billing_phone="", shipping_phone="", phone="", cancelled="",
          refunded="", order_id=""):
    first = bool(status)
    cells = dict.fromkeys(SHOPIFY_HEADER, "")
    cells.update({
        "Name": name, "Email": email, "Lineitem quantity": qty, "Lineitem name": item,
        "Lineitem price": price, "Lineitem requires shipping": "true",
        "Lineitem taxable": "false", "Lineitem fulfillment status": "pending",
        "Lineitem sku": "SKU-" + item.upper().replace(" ", "-")})
    if first:
        cells.update({
            "Financial Status": status, "Paid at": created if status != "pending" else "",
            "Fulfillment Status": "unfulfilled", "Accepts Marketing": "no", "Currency": "CNY",
            "Subtotal": total, "Shipping": "0.00", "Taxes": "0.00", "Total": total,
            "Discount Amount": "0.00", "Shipping Method": "Standard", "Created at": created,
            "Billing Name": billing, "Billing Country": "CN", "Billing Zip": "'100020",
            "Billing Phone": billing_phone, "Shipping Name": billing, "Shipping Country": "CN",
            "Shipping Phone": shipping_phone, "Cancelled at": cancelled,
            "Payment Method": "Shopify Payments", "Refunded Amount": refunded or "0.00",
            "Outstanding Balance": "0.00", "Id": order_id, "Risk Level": "Low",
            "Source": "web", "Phone": phone})
    return [cells[h] for h in SHOPIFY_HEADER]


SHOPIFY_ROWS = [
    SHOPIFY_HEADER,
    _shop("#1001", "wang@example.com", status="paid", total="129.00",
          created="2026-03-02 10:15:00 +0800", item="Rose Mask", price="99.00",
          billing="Wang Fang", billing_phone="+86 138 0013 8000", order_id="5512345678901"),
    _shop("#1001", "wang@example.com", item="Toner", price="30.00"),
    _shop("#1002", "li@example.com", status="refunded", total="358.00",
          created="2026-03-02 18:00:00 +0800", item="Hydration Set", price="358.00",
          billing="Li Na", billing_phone="+86 139 0013 9000", refunded="358.00",
          order_id="5512345678902"),
    # line 5: already on the book's Orders sheet at 89.90; 20.00 refunded since
    _shop("#1003", "zhang@example.com", status="partially_refunded", total="89.90",
          created="2026-02-27 09:00:00 +0800", item="Silk Scarf", price="89.90",
          billing="Zhang Wei", billing_phone="010-6552-1234", refunded="20.00",
          order_id="5512345678903"),
    _shop("#1004", "liu@example.com", status="voided", total="299.00",
          created="2026-03-03 08:00:00 +0800", item="Serum", price="299.00",
          billing="Liu Yang", billing_phone="13600136000", order_id="5512345678904"),
    _shop("#1005", "liu@example.com", status="paid", total="88.00",
          created="2026-03-04 08:00:00 +0800", item="Cleanser", price="88.00",
          billing="Liu Yang", billing_phone="13600136000",
          cancelled="2026-03-05 09:00:00 +0800", order_id="5512345678905"),
    _shop("#1006", "emily@example.com", status="paid", total="256.00",
          created="2026-03-05 22:10:00 -0700", item="Cashmere Scarf", price="256.00",
          billing="Emily Chen", billing_phone="+1 (415) 555-0100", order_id="5512345678906"),
    _shop("#1007", "sun@example.com", status="pending", total="45.50",
          created="2026-03-06 10:00:00 +0800", item="Hand Cream", price="45.50",
          billing="Sun Li", billing_phone="18600186001", order_id="5512345678907"),
    # line 10
    _shop("#1008", "li@example.com", status="paid", total="45.00",
          created="2026-03-07 11:00:00 +0800", item="Gift Box", price="30.00",
          billing="Li Na", phone="(+86) 139-0013-9000", order_id="5512345678908"),
    _shop("#1008", "li@example.com", item="Hand Cream", price="15.00"),
    _shop("#1009", "zhou@example.com", status="paid", total="520.00",
          created="2026-03-08 15:30:00 +0800", item="Silk Pyjamas", price="520.00",
          billing="Zhou Qiang", shipping_phone="150 0015 0001", order_id="5512345678909"),
]

# ------------------------------------------------------- a till, tab-separated GB18030
TILL_ROWS = [
    ["销售时间", "会员手机号", "会员姓名", "会员卡号", "商品名称", "实收金额", "单据类型", "收银员"],
    # line 2: the same purchase is already on the book's Orders sheet
    ["2026-03-05 08:15", "13600136000", "刘洋", "M0008", "美式咖啡", "35.00", "销售", "小张"],
    ["2026-03-05 08:15", "13600136000", "刘洋", "M0008", "美式咖啡", "35.00", "销售", "小张"],
    ["2026-03-05 09:02", "13800138000", "王芳", "M0001", "拿铁", "38.00", "销售", "小张"],
    ["2026-03-05 09:30", "", "", "", "美式咖啡", "32.00", "销售", "小李"],
    ["2026-03-05 10:10", "18900189000", "黄蓉", "M0021", "𠮷野家风味饭团", "26.00", "销售", "小李"],
    ["2026-03-05 11:00", "13800138000", "王芳", "M0001", "拿铁", "38.00", "退货单", "小李"],
    ["2026-03-06 08:20", "137-0013-7000", "陈静", "M0005", "燕麦拿铁", "36.00", "销售", "小张"],
    ["2026-03-06 08:20", "13700137000", "陈静", "M0005", "燕麦拿铁", "36.00", "销售", "小张"],
    ["合计", "", "", "", "", "203.00", "", ""],
]

# ------------------------------------- a till with line numbers, semicolon-separated
TILL_LINES_ROWS = [
    ["销售日期", "行号", "会员手机号", "商品名称", "实收金额"],
    ["2026-03-07", "1", "13900139000", "矿泉水", "3.50"],
    ["2026-03-07", "2", "13900139000", "矿泉水", "3.50"],
    ["2026-03-07", "2", "13900139000", "矿泉水", "3.50"],
    ["2026-03-07", "3", "13900139000", "面包", "8.00"],
]

UNKNOWN_ROWS = [["日期", "金额", "备注"], ["2026-03-01", "100", "门店"], ["2026-03-02", "80", ""]]

# ------------------------------------------------------------------------- JD, .xlsx
JD_HEADER = ["订单号", "商品名称", "订购数量", "下单时间", "订单金额", "商家应收", "订单状态", "客户姓名",
             "客户地址", "联系电话", "京东价"]
JD_ROWS = [
    # Excel row 3
    [280000000101, "保温杯", 1, dt.datetime(2026, 3, 1, 8, 6, 59), 129.0,
     "129.00（系统计算中，该值仅供参考）", "完成", "王芳", "北京朝阳区示例街道1号", 13800138000, 129.0],
    [280000000102, "电热水壶", 1, dt.datetime(2026, 3, 2, 21, 4, 42), 199.0,
     "199.00（系统计算中，该值仅供参考）", "完成", "陈静", "广东深圳市福田区示例街道1号",
     "1******6198", 199.0],
    [280000000103, "咖啡机", 1, dt.datetime(2026, 3, 3, 10, 6, 6), 899.0,
     "899.00（系统计算中，该值仅供参考）", "等待出库", "刘洋", "上海浦东新区示例街道1号",
     "136****6000", 899.0],
    [280000000104, "保温杯", 2, "2026-02-30 10:00:00", 258.0, "258.00", "完成", "李娜",
     "广东广州市天河区示例街道1号", 13900139000, 129.0],
    [280000000105, "茶具", 1, dt.datetime(2026, 3, 4, 12, 0, 0), None, "", "完成", "张伟",
     "北京东城区示例街道1号", "010-65521234", 168.0],
    # Excel row 8: a 19-digit order number stored as a number
    [2800000000001234567.0, "保温杯", 1, dt.datetime(2026, 3, 4, 15, 0, 0), 129.0, "129.00",
     "完成", "王芳", "北京朝阳区示例街道1号", 13800138000, 129.0],
    [280000000107, "保温杯", 1, dt.datetime(2026, 3, 5, 9, 30, 0), 129.0, "129.00", "已取消",
     "王芳", "北京朝阳区示例街道1号", 13800138000, 129.0],
    [280000000108, "电饭煲", 1, dt.datetime(2026, 3, 6, 18, 0, 0), 399.0, "399.00", "完成",
     "吴敏", "浙江杭州市西湖区示例街道1号", 13300133000, 399.0],
    [280000000109, "保温杯", 1, dt.date(2026, 3, 7), 129.0, "129.00", "完成", "赵磊",
     "北京海淀区示例街道1号", "135 0013 5000", 129.0],
    [280000000110, "茶叶礼盒", 1, dt.datetime(2026, 3, 8, 20, 0, 0), 59.0, "59.00", "完成",
     "钱进", "四川成都市武侯区示例街道1号", 17700177000, 59.0],
]


def write_jd_xlsx(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.set_properties({"created": dt.datetime(2026, 3, 10, 18, 0, 0), "author": "JD"})
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True})
    notes = wb.add_worksheet("说明")
    notes.write(0, 0, "本文件由京东商家后台导出，仅供对账使用")
    notes.hide()
    ws = wb.add_worksheet("订单")
    ws.merge_range(0, 0, 0, len(JD_HEADER) - 1, "京东商家后台 订单导出 2026-03-01 ~ 2026-03-10",
                   bold)
    ws.write_row(1, 0, JD_HEADER, bold)
    for r, row in enumerate(JD_ROWS, start=2):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, when)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), day)
            elif v is None:
                continue
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    ws.write_string(2 + len(JD_ROWS), 0, "共 10 条订单")
    summary = wb.add_worksheet("汇总")
    summary.write_row(0, 0, ["日期", "订单数", "金额"])
    summary.write_row(1, 0, ["2026-03", 10, 2399.0])
    wb.close()


HTML_XLS = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
</head><body><table border="1">
<tr><td>订单号</td><td>下单时间</td><td>买家手机号</td><td>实付金额</td></tr>
<tr><td>H0001</td><td>2026-03-01 10:00</td><td>13800138000</td><td>99.00</td></tr>
</table></body></html>
"""


def convert(source: Path, fmt: str, target: Path) -> bool:
    """``source`` converted by LibreOffice to ``fmt`` as ``target`` (False: no soffice)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp, "profile").as_uri()
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                        "--convert-to", fmt, "--outdir", tmp, str(source)],
                       check=True, capture_output=True, timeout=180)
        shutil.move(str(Path(tmp, source.stem + "." + fmt)), target)
    return True


def main() -> None:
    (HERE / "youzan_orders_gbk.csv").write_bytes(csv_bytes(YOUZAN_ROWS, encoding="gbk"))
    (HERE / "taobao_orders_bom.csv").write_bytes(csv_bytes(TAOBAO_ROWS, encoding="utf-8-sig"))
    (HERE / "shopify_orders.csv").write_bytes(
        csv_bytes(SHOPIFY_ROWS, encoding="utf-8", newline="\n"))
    (HERE / "till_sales_tab.csv").write_bytes(
        csv_bytes(TILL_ROWS, encoding="gb18030", delimiter="\t"))
    (HERE / "till_lines_semicolon.csv").write_bytes(
        csv_bytes(TILL_LINES_ROWS, encoding="utf-8", delimiter=";"))
    (HERE / "unknown_layout.csv").write_bytes(csv_bytes(UNKNOWN_ROWS, encoding="utf-8"))
    (HERE / "shop_export_html.xls").write_text(HTML_XLS, encoding="utf-8")
    write_jd_xlsx(HERE / "jd_orders.xlsx")
    for fmt in ("xls", "ods"):
        if not convert(HERE / "jd_orders.xlsx", fmt, HERE / f"jd_orders.{fmt}"):
            print(f"soffice not found: jd_orders.{fmt} left as it is")


if __name__ == "__main__":
    main()
