"""The customer card (客户档案 / CustomerCard): one customer at a glance, in formulas.

A rep types or picks a CustomerID in the ID cell (:data:`ID_CELL`) and the card shows that
customer: the Customers fields, class, segment, tier, face, P(alive), CLV and the Why
of the class (from Analysis), the open complaints and promises and the other open
follow-ups (from FollowUps), the last 10 orders and the last 10 contacts. Everything is
a formula over the sheets, so a workbook sent to someone without Python still works:

* the Customers, Orders and Contacts Tables are read by their column names (structured
  references: ``Customers[电话]``), so columns may move or be inserted;
* Analysis and FollowUps, which the refresh rewrites in the contract's fixed column
  order, by their columns (``INDEX('客户分析'!$R:$R, row)``);
* the k-th most recent order or contact of the customer is one multi-cell array formula
  per block, ``LARGE(IF(id matches, date × 2^20 + position), {1;…;10})``: the date
  orders the rows (latest first, the later row first on a day) and the position says
  where the row is; FollowUps rows come in the sheet's order with ``SMALL``.

Freshness: a headless refresh rewrites the sheets the card reads, and spreadsheet
programs keep the results they saved (LibreOffice ignores Excel's ``fullCalcOnLoad``).
So the card's key cell holds the volatile ``T(NOW())`` and every formula on the card
refers to it: Excel and LibreOffice recalculate the card whenever the book is opened
(and Excel whenever anything changes; a few array formulas over the tables).

Helper cells live in column :data:`HELPER_COL` (hidden, outside the print area): the
marker :data:`MARKER` (how the VBA finds the card in either language), the key, the
customer's row in Customers and in Analysis, and the array formulas' keys.

Only LibreOffice- and Excel 2010-compatible functions are used (no FILTER, AGGREGATE or
dynamic arrays); ``tests/test_card.py`` recalculates the card headless in LibreOffice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from xl_addin.names import (
    ANALYSIS,
    CONTACTS,
    CUSTOMERCARD,
    CUSTOMERS,
    DASHBOARD,
    FOLLOWUPS,
    ORDERS,
    REASONS,
    STATUSES,
    word,
)

__all__ = ["CARD_ROWS", "CONTACT_COLUMNS", "FOLLOWUP_COLUMNS", "HELPER_COL", "ID_CELL", "MARKER",
           "ORDER_COLUMNS", "card_sheet", "field_cells", "pick_card_customer"]

#: the cell a rep types the CustomerID into (the VBA writes it too)
ID_CELL = "B2"
#: the hidden helper column (0-based index) and the marker in its first cell
HELPER_COL = 9  # J
MARKER = "CB_CARD"
#: the printed width: columns A:F
WIDTH = 6
#: the first data row (1-based) and the number of rows of each list block
CARD_ROWS = {"promises": (22, 3), "followups": (27, 6), "orders": (35, 10), "contacts": (47, 10)}
POSITIONS = 1048576  # 2^20 > any row position: date × 2^20 + position sorts by date


def _q(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _col(spec, key: str) -> str:
    """The column letter of ``key`` on an output sheet written in the contract's order."""
    return xl_col_to_name([c.key for c in spec.columns].index(key))


class _Card:
    """Formula text for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.zh = lang == "zh-CN"
        h = xl_col_to_name(HELPER_COL)
        self.key = f"${h}$2"       # the typed ID, trimmed, volatile
        self.row_c = f"${h}$3"     # row within the Customers Table
        self.row_a = f"${h}$4"     # sheet row on Analysis
        self.analysis = _q(ANALYSIS.label(lang))
        self.followups = _q(FOLLOWUPS.label(lang))
        self.dashboard = _q(DASHBOARD.label(lang))

    def t(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    # -- references ------------------------------------------------------------------
    def cust(self, key: str) -> str:
        return f"{CUSTOMERS.key}[{CUSTOMERS.col(key).label(self.lang)}]"

    def order(self, key: str) -> str:
        return f"{ORDERS.key}[{ORDERS.col(key).label(self.lang)}]"

    def contact(self, key: str) -> str:
        return f"{CONTACTS.key}[{CONTACTS.col(key).label(self.lang)}]"

    def guard(self, expr: str, also: str = "") -> str:
        """``expr`` when a customer is chosen (and ``also`` is filled), else blank; every
        card formula refers to the volatile key this way."""
        cond = f'{self.key}=""' + (f',{also}=""' if also else "")
        return f'=IF(OR({cond}),"",{expr})'

    def blank_or(self, ref: str) -> str:
        """``ref``'s value, blank for an empty cell (INDEX gives 0 for one)."""
        return f'IF({ref}&""="","",{ref})'

    def of_customer(self, key: str, text: bool = False) -> str:
        ref = f"INDEX({self.cust(key)},{self.row_c})"
        return self.guard(f'{ref}&""' if text else self.blank_or(ref), self.row_c)

    def of_analysis(self, key: str) -> str:
        ref = f"INDEX({self.analysis}!${_col(ANALYSIS, key)}:${_col(ANALYSIS, key)},{self.row_a})"
        return self.guard(self.blank_or(ref), self.row_a)

    def dynamic(self, sheet: str, col: str) -> str:
        """Rows 2 … the last filled row of an output sheet's column (grows with the data)."""
        return (f"{sheet}!${col}$2:INDEX({sheet}!${col}:${col},"
                f"MAX(2,COUNTA({sheet}!$A:$A)))")

    def latest(self, ids: str, dates: str, count: int) -> str:
        """The keys (date × 2^20 + position) of the ``count`` latest rows of the customer."""
        ks = ";".join(str(k) for k in range(1, count + 1))
        pos = f"ROW({ids})-ROW(INDEX({ids},1))+1"
        body = (f"IFERROR(LARGE(IF(({ids}&\"\"={self.key})*ISNUMBER({dates}),"
                f"{dates}*{POSITIONS}+{pos}),{{{ks}}}),\"\")")
        return f'{{=IF({self.key}="","",{body})}}'

    def followup_rows(self, count: int, promises: bool) -> str:
        """Sheet rows on FollowUps of the customer's complaints and promises (or of the
        other reasons), in the sheet's order (most overdue first)."""
        fu = self.followups
        ids, why = self.dynamic(fu, "A"), self.dynamic(fu, _col(FOLLOWUPS, "Reason"))
        words = [word(REASONS, k, self.lang) for k in ("Complaint", "Promise")]
        own = "+".join(f'({why}="{w}")' for w in words)
        pick = f"({own})>0" if promises else f"({own})=0"
        ks = ";".join(str(k) for k in range(1, count + 1))
        body = (f"IFERROR(SMALL(IF(({ids}={self.key})*({pick}),ROW({ids})),{{{ks}}}),\"\")")
        return f'{{=IF({self.key}="","",{body})}}'


#: (key, 中文, English) of each label/value pair in the customer and value blocks
_CUSTOMER_PAIRS = (
    (("Owner", "负责人", "Owner"), ("Phone", "电话", "Phone"), ("Region", "区域", "Region")),
    (("Type", "类型", "Type"), ("Source", "来源", "Source"),
     ("ReferredBy", "推荐人", "Referred by")),
    (("Birthday", "生日", "Birthday"), ("Anniversary", "纪念日", "Anniversary"),
     ("Referrals", "推荐人数", "Referrals")),
    (("Member", "会员", "Member"), ("CardBalance", "卡余额", "Card balance"),
     ("Strategic", "战略客户", "Strategic")),
    (("DoNotContact", "免打扰", "Do not contact"),
     ("ClassOverride", "手动等级", "Manual class"), ("Name", "客户名称", "Name")),
)
_VALUE_PAIRS = (
    (("ABCClass", "ABC等级", "ABC class"), ("ValueTier", "价值层级", "Value tier"),
     ("RFMSegment", "RFM分群", "RFM segment")),
    (("KeyFace", "关键客户类型", "Key face"), ("Dormant", "休眠状态", "Dormancy"),
     ("PAlive", "活跃概率", "P(alive)")),
    (("CLV", "客户终身价值", "CLV"), ("Revenue", "销售额", "Revenue"), ("Profit", "利润", "Profit")),
    (("Orders", "订单数", "Orders"), ("LastOrderDate", "最近下单日期", "Last order"),
     ("RecencyDays", "距今天数", "Days since")),
    (("Outstanding", "未回款", "Outstanding"), ("OverdueDays", "欠款天数", "Days owed"),
     ("AvgOrderValue", "平均订单金额", "Average order")),
)
_ANALYSIS_KINDS = {c.key: c.kind for c in ANALYSIS.columns}
#: the columns of the list blocks, left to right (FollowUps columns; Orders and Contacts
#: columns, Unpaid computed; Promise = the promise, its due date and the notes)
FOLLOWUP_COLUMNS = ("Reason", "DueDate", "Status", "DaysOverdue", "Detail")
ORDER_COLUMNS = ("OrderDate", "Product", "Amount", "Paid", "Unpaid", "OrderID")
CONTACT_COLUMNS = ("ContactDate", "Outcome", "Channel", "Staff", "NextFollowUp", "Promise")


def field_cells() -> dict[str, str]:
    """Where each single field shows on the card (Customers and Analysis keys, and
    ``Name`` in the title, ``AsOf``): the layout of :func:`card_sheet`."""
    cells = {"Title": "C1", "AsOf": "D2"}
    for first, pairs in ((5, _CUSTOMER_PAIRS), (13, _VALUE_PAIRS)):
        for r, row in enumerate(pairs):
            for i, (key, _zh, _en) in enumerate(row):
                cells[key] = xl_rowcol_to_cell(first - 1 + r, 2 * i + 1)
    cells |= {"Preferences": "B10", "Notes": "B11", "Why": "B18"}
    return cells


def pick_card_customer(frames: dict[str, Any]) -> str | None:
    """The demo customer the shipped card opens on: one with the most to show (a member
    with a balance and preferences, a referral, unpaid orders, several orders and
    contacts), the first such by ID."""
    import pandas as pd

    cust, orders, contacts = frames["Customers"], frames["Orders"], frames["Contacts"]
    if cust.empty:
        return None
    owed = (orders["Amount"] > 0) & orders["Paid"].notna() & (orders["Paid"] < orders["Amount"])
    n_orders = orders.groupby("CustomerID").size()
    n_contacts = contacts.groupby("CustomerID").size()
    ids = cust["CustomerID"]
    age = (orders["OrderDate"].max() - orders["OrderDate"]).dt.days
    promised = contacts.loc[contacts["Promise"].notna(), "CustomerID"]
    score = (
        3 * (cust["CardBalance"].fillna(0) > 0).astype(int)
        + cust["Preferences"].notna().astype(int)
        + ids.isin(cust["ReferredBy"].dropna()).astype(int)
        + 3 * ids.isin(orders.loc[owed & (age > 30), "CustomerID"]).astype(int)
        + (ids.map(n_orders).fillna(0) >= 5).astype(int)
        + (ids.map(n_contacts).fillna(0) >= 4).astype(int)
        + ids.isin(promised).astype(int)
        - cust["DoNotContact"].notna().astype(int) * 10
    )
    best = pd.DataFrame({"id": ids, "s": score}).sort_values(["s", "id"], ascending=[False, True],
                                                               kind="stable")
    return str(best["id"].iloc[0])


def card_sheet(wb, lang: str, customer_id: str | None = None) -> Any:
    """Add the CustomerCard sheet to ``wb`` (xlsxwriter) and return it."""
    c = _Card(lang)
    t = c.t
    ws = wb.add_worksheet(CUSTOMERCARD.label(lang))
    f = _formats(wb)
    for col, width in enumerate((13, 17, 13, 17, 13, 27)):
        ws.set_column(col, col, width)
    ws.set_column(WIDTH, HELPER_COL - 1, 2)
    ws.set_column(HELPER_COL, HELPER_COL + 1, 14, None, {"hidden": True})
    h = HELPER_COL

    def formula(row: int, col: int, text: str, fmt) -> None:
        ws.write_formula(row, col, text, fmt, "")

    # -- title, the ID cell, the as-of day ---------------------------------------------
    ws.set_row(0, 30)
    ws.write_string(0, 0, t("客户档案", "Customer card"), f["title"])
    ws.merge_range(0, 2, 0, WIDTH - 1, "", f["name"])
    formula(0, 2, c.of_customer("Name", text=True), f["name"])
    ws.write_string(1, 0, t("客户编号", "CustomerID"), f["label"])
    if customer_id:
        ws.write_string(1, 1, customer_id, f["id"])
    else:
        ws.write_blank(1, 1, None, f["id"])
    ws.data_validation(ID_CELL, {
        "validate": "list", "error_type": "information",
        "source": (f"=OFFSET({c.analysis}!$A$2,0,0,"
                   f"MAX(1,COUNTA({c.analysis}!$A:$A)-1),1)"),
        "input_title": t("客户编号", "CustomerID"),
        "input_message": t("输入或从列表中选择客户编号", "Type or pick a customer ID"),
    })
    ws.write_string(1, 2, t("基准日", "As of"), f["label"])
    formula(1, 3, c.guard(f"{c.dashboard}!$B$2"), f["date"])
    ws.merge_range(1, 4, 1, WIDTH - 1, t(
        "输入或选择客户编号；在呼叫清单上双击客户编号也可打开本页",
        "Type or pick an ID; double-click an ID on the call list to open it here"), f["hint"])
    # helpers: marker, key, rows
    ws.write_string(0, h, MARKER)
    formula(1, h, f'=TRIM({ID_CELL}&"")&T(NOW())', None)
    ws.write_array_formula(2, h, 2, h, "{" + c.guard(
        f'IFERROR(MATCH({c.key},{c.cust("CustomerID")}&"",0),"")') + "}")
    formula(3, h, c.guard(f'IFERROR(MATCH({c.key},{c.analysis}!$A:$A,0),"")'), None)

    row = 3
    row = _section(ws, f, row, t("基本资料", "Customer"))
    for pairs in _CUSTOMER_PAIRS:
        for i, (key, zh, en) in enumerate(pairs):
            label = t(zh, en)
            if key == "Birthday":  # a lunar birthday says so in its label
                lunar = f'INDEX({c.cust("LunarBirthday")},{c.row_c})&""'
                formula(row, 2 * i, f'=IF(OR({c.key}="",{c.row_c}=""),"{label}",'
                        f'IF(OR(UPPER({lunar})="Y",{lunar}="是"),'
                        f'"{t("生日（农历）", "Birthday (lunar)")}","{label}"))', f["label"])
            else:
                ws.write_string(row, 2 * i, label, f["label"])
            formula(row, 2 * i + 1, _customer_value(c, key), _value_format(f, key))
        row += 1
    for key, zh, en in (("Preferences", "偏好", "Preferences"), ("Notes", "备注", "Notes")):
        ws.write_string(row, 0, t(zh, en), f["label"])
        ws.merge_range(row, 1, row, WIDTH - 1, "", f["text"])
        formula(row, 1, c.of_customer(key, text=True), f["text"])
        row += 1
    row = _section(ws, f, row, t("分类与价值", "Class and value"))
    for pairs in _VALUE_PAIRS:
        for i, (key, zh, en) in enumerate(pairs):
            ws.write_string(row, 2 * i, t(zh, en), f["label"])
            formula(row, 2 * i + 1, c.of_analysis(key), f[_ANALYSIS_KINDS[key]])
        row += 1
    ws.write_string(row, 0, t("分类依据", "Why"), f["label"])
    ws.merge_range(row, 1, row + 1, WIDTH - 1, "", f["wrap"])
    formula(row, 1, c.of_analysis("Why"), f["wrap"])
    ws.set_row(row, 24)
    ws.set_row(row + 1, 24)
    row += 2

    # -- open complaints and promises, other follow-ups ----------------------------------
    fu_labels = {"Reason": t("原因", "Reason"), "DueDate": t("到期日期", "Due"),
                 "Status": t("状态", "Status"), "DaysOverdue": t("逾期天数", "Days overdue"),
                 "Detail": t("说明", "Detail")}
    fu_cols = tuple((k, fu_labels[k]) for k in FOLLOWUP_COLUMNS)
    for block, title in (("promises", t("未结投诉与承诺", "Open complaints and promises")),
                         ("followups", t("待办回访", "Open follow-ups"))):
        first, count = CARD_ROWS[block]
        row = _section(ws, f, row, title)
        for i, (_key, label) in enumerate(fu_cols):
            if i == 4:
                ws.merge_range(row, 4, row, WIDTH - 1, label, f["head"])
            else:
                ws.write_string(row, i, label, f["head"])
        row += 1
        assert row == first - 1, (block, row, first)
        ws.write_array_formula(row, h, row + count - 1, h,
                               c.followup_rows(count, block == "promises"))
        for k in range(count):
            r = row + k
            at = xl_rowcol_to_cell(r, h, row_abs=False, col_abs=True)
            for i, (key, _label) in enumerate(fu_cols):
                col = _col(FOLLOWUPS, key)
                ref = f"INDEX({c.followups}!${col}:${col},{at})"
                fmt = {"DueDate": f["cell_date"], "DaysOverdue": f["cell_int"]}.get(key,
                                                                                   f["cell"])
                if i == 4:
                    ws.merge_range(r, 4, r, WIDTH - 1, "", f["cell"])
                formula(r, i, c.guard(c.blank_or(ref), at), fmt)
        row += count

    # -- the last 10 orders and contacts -------------------------------------------------
    blocks: tuple[tuple[str, str, Callable[[str], str], str, tuple], ...] = (
        ("orders", t("最近订单（最近 10 笔）", "Last 10 orders"), c.order, "OrderDate",
         tuple((k, label) for k, label in zip(ORDER_COLUMNS, (
             t("下单日期", "Date"), t("产品", "Product"), t("金额", "Amount"),
             t("已回款", "Paid"), t("未回款", "Unpaid"), t("订单号", "Order")), strict=True))),
        ("contacts", t("最近联系（最近 10 次）", "Last 10 contacts"), c.contact, "ContactDate",
         tuple((k, label) for k, label in zip(CONTACT_COLUMNS, (
             t("联系日期", "Date"), t("结果", "Outcome"), t("方式", "Channel"),
             t("联系人", "Staff"), t("下次跟进", "Next follow-up"),
             t("承诺事项（期限）/ 备注", "Promise (due) / notes")), strict=True))),
    )
    right = {"Amount", "Paid", "Unpaid"}
    for block, title, ref, date_key, cols in blocks:
        first, count = CARD_ROWS[block]
        row = _section(ws, f, row, title)
        for i, (key, label) in enumerate(cols):
            ws.write_string(row, i, label, f["head_right"] if key in right else
                            f["head_indent"] if key == "OrderID" else f["head"])
        row += 1
        assert row == first - 1, (block, row, first)
        ids = ref("CustomerID")
        ws.write_array_formula(row, h, row + count - 1, h, c.latest(ids, ref(date_key), count))
        for k in range(count):
            r = row + k
            key_cell = xl_rowcol_to_cell(r, h, row_abs=False, col_abs=True)
            pos = f"MOD({key_cell},{POSITIONS})"
            for i, (key, _label) in enumerate(cols):
                fmt = f["cell"]
                if key == date_key:
                    expr, fmt = f"INT({key_cell}/{POSITIONS})", f["cell_date"]
                elif key == "Paid":  # blank Paid = paid in full
                    paid, amount = f"INDEX({ref('Paid')},{pos})", f"INDEX({ref('Amount')},{pos})"
                    expr, fmt = f'IF({paid}&""="",{amount},{paid})', f["cell_money"]
                elif key == "Unpaid":
                    paid, amount = f"INDEX({ref('Paid')},{pos})", f"INDEX({ref('Amount')},{pos})"
                    expr = f'IF(OR({paid}&""="",{amount}<=0),0,MAX({amount}-{paid},0))'
                    fmt = f["cell_owed"]
                elif key == "Amount":
                    expr, fmt = f"INDEX({ref('Amount')},{pos})", f["cell_money"]
                elif key == "NextFollowUp":
                    expr, fmt = c.blank_or(f"INDEX({ref(key)},{pos})"), f["cell_date"]
                elif key == "Promise":  # the promise and its due date, then the notes
                    what = f"INDEX({ref('Promise')},{pos})&\"\""
                    due = f"INDEX({ref('PromiseDue')},{pos})"
                    notes = f"INDEX({ref('Notes')},{pos})&\"\""
                    open_, close, sep = ("（", "）", "；") if c.zh else (" (", ")", "; ")
                    day = (f'"{open_}"&YEAR({due})&"-"&TEXT(MONTH({due}),"00")&"-"'
                           f'&TEXT(DAY({due}),"00")&"{close}"')
                    promise = f'IF({what}="","",{what}&IF(ISNUMBER({due}),{day},""))'
                    expr = (f'{promise}&IF(AND({what}<>"",{notes}<>""),"{sep}","")&{notes}')
                else:
                    expr = f"INDEX({ref(key)},{pos})&\"\""
                    fmt = f["cell_indent"] if key == "OrderID" else fmt
                formula(r, i, c.guard(expr, key_cell), fmt)
        row += count

    ws.merge_range(row, 0, row, WIDTH - 1, t(
        "本页由公式读取客户、订单、联系记录表及客户分析、回访提醒表；刷新后自动更新，无需 Python 也可查看。",
        "Formulas over Customers, Orders, Contacts, Analysis and FollowUps: current after every "
        "refresh, and they work without Python."), f["hint"])
    _paint(ws, f, c)
    ws.hide_gridlines(2)
    ws.set_paper(9)  # A4
    ws.set_portrait()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.center_horizontally()
    ws.print_area(0, 0, row, WIDTH - 1)
    ws.fit_to_pages(1, 1)
    return ws


def _customer_value(c: _Card, key: str) -> str:
    if key == "Referrals":  # live: customers whose ReferredBy names this one
        return c.guard(f'COUNTIF({c.cust("ReferredBy")},{c.key})', c.row_c)
    if key == "ReferredBy":  # the referrer's ID and name
        ref = f'INDEX({c.cust("ReferredBy")},{c.row_c})&""'
        name = f'IFERROR(INDEX({c.cust("Name")},MATCH({ref},{c.cust("CustomerID")},0)),"")'
        return c.guard(f'IF({ref}="","",{ref}&"  "&{name})', c.row_c)
    if key in ("Birthday", "Anniversary", "CardBalance"):
        return c.of_customer(key)
    return c.of_customer(key, text=True)


def _value_format(f: dict[str, Any], key: str) -> Any:
    return {"Birthday": f["date"], "Anniversary": f["date"], "CardBalance": f["money"],
            "Referrals": f["int"]}.get(key, f["text"])


def _section(ws, f: dict[str, Any], row: int, title: str) -> int:
    """A band across the card with the block's title; the next free row."""
    ws.merge_range(row, 0, row, WIDTH - 1, title, f["section"])
    ws.set_row(row, 18)
    return row + 1


def _paint(ws, f: dict[str, Any], c: _Card) -> None:
    """Overdue follow-ups red, unpaid order amounts and a past-terms balance orange."""
    overdue = word(STATUSES, "Overdue", c.lang)
    for block in ("promises", "followups"):
        first, count = CARD_ROWS[block]
        ws.conditional_format(first - 1, 0, first + count - 2, WIDTH - 1, {
            "type": "formula", "criteria": f'=$C{first}="{overdue}"', "format": f["overdue"]})


def _formats(wb) -> dict[str, Any]:
    navy, band, line = "#1F4E78", "#DDEBF7", "#BFBFBF"
    base = {"valign": "vcenter", "font_size": 10}

    def fmt(**kw):
        return wb.add_format({**base, **kw})

    value = {"bottom": 1, "bottom_color": line}
    return {
        "title": fmt(bold=True, font_size=18, font_color=navy),
        "name": fmt(bold=True, font_size=14, font_color=navy),
        "label": fmt(font_color="#595959"),
        "id": fmt(bold=True, font_size=12, bg_color="#FFF2CC", border=2, border_color=navy,
                  num_format="@"),
        "hint": fmt(font_size=8, font_color="#808080", italic=True, text_wrap=True),
        "section": fmt(bold=True, font_color="#FFFFFF", bg_color=navy, indent=1),
        "head": fmt(bold=True, font_color=navy, bg_color=band, bottom=1, bottom_color=navy),
        "head_right": fmt(bold=True, font_color=navy, bg_color=band, bottom=1,
                          bottom_color=navy, align="right"),
        "text": fmt(**value),
        "wrap": fmt(text_wrap=True, valign="top", **value),
        "date": fmt(num_format="yyyy-mm-dd", align="left", **value),
        "money": fmt(num_format="#,##0.00", align="left", **value),
        "int": fmt(num_format="0", align="left", **value),
        "number": fmt(num_format="0.00", align="left", **value),
        "percent": fmt(num_format="0%", align="left", **value),
        "cell": fmt(bottom=1, bottom_color=line, shrink=True),
        "cell_indent": fmt(bottom=1, bottom_color=line, indent=1),
        "head_indent": fmt(bold=True, font_color=navy, bg_color=band, bottom=1,
                           bottom_color=navy, indent=1),
        "cell_date": fmt(num_format="yyyy-mm-dd", align="left", bottom=1, bottom_color=line),
        "cell_int": fmt(num_format="0", align="left", bottom=1, bottom_color=line),
        "cell_money": fmt(num_format="#,##0.00", bottom=1, bottom_color=line),
        "cell_owed": fmt(num_format='#,##0.00;-#,##0.00;""', font_color="#C00000", bold=True,
                         bottom=1, bottom_color=line),
        "overdue": wb.add_format({"font_color": "#9C0006", "bg_color": "#F8CBAD"}),
    }
