"""Build ``workbook/CustomerBook.xlsm`` from the text sources kept in the repo.

    python -m tools.build            # Chinese workbook (the shipped one)
    python -m tools.build --lang en  # English: workbook/CustomerBook-en.xlsm

Sources: the VBA modules in ``workbook/vba/*.bas``, the sheet layout below (driven by
the contract in :mod:`xl_addin.names`), and the deterministic demo data of
:mod:`xl_addin.demo`. The output sheets are then filled by a real headless refresh as
of the demo's anchor date, so the shipped book opens with results in it. The same
sources always give the same sheet contents and VBA.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from tools.card import card_sheet, pick_card_customer
from tools.vba import build_vba_project, load_vba_sources
from xl_addin.demo import DEFAULT_ANCHOR, make_demo
from xl_addin.domain.calendar import default_holidays, default_plans
from xl_addin.domain.calllist import DEFAULT_SCRIPTS
from xl_addin.domain.classify import en11_grid
from xl_addin.names import (
    ANALYSIS,
    CALLLIST,
    CONTACTS,
    CUSTOMERS,
    DASHBOARD,
    FOLLOWUPS,
    HOLIDAYS,
    MODELCHECK,
    ORDERS,
    OUTCOMES,
    PLANS,
    PRINTED_COLUMNS,
    REASONS,
    RFM_RULES,
    SCRIPTS,
    SETTINGS_SHEET,
    STATUSES,
    Col,
    SheetSpec,
    word,
)
from xl_addin.settings import SETTING_DOCS, Settings

__all__ = ["BUTTONS", "CARD_MACRO", "COLUMN_HINTS", "REPO", "build_layout", "build_workbook",
           "layout_path", "sheet_module", "workbook_path"]

REPO = Path(__file__).resolve().parents[1]
WORKBOOK_DIR = REPO / "workbook"
#: Dashboard buttons: VBA Sub, caption (中文, English)
BUTTONS = (
    ("CB_RefreshAll", "全部刷新", "Refresh all"),
    ("CB_Classify", "客户分类", "Classify"),
    ("CB_FollowUps", "回访提醒", "Follow-ups"),
    ("CB_CallList", "呼叫清单", "Call list"),
    ("CB_ImportOrders", "导入订单", "Import orders"),
)
#: the macro that opens the customer card on the active row of any sheet (VBA only; the
#: call list's double-click does the same). No button: a drawing beside the call list
#: would widen its printed page.
CARD_MACRO = "CB_ShowCard"
XLWINGS_CONF = (
    ("Interpreter_Win", ""),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("UDF Modules", "xl_addin.functions"),
    ("Show Console", "False"),
)
DATA_ROWS = 5000  # validation and formatting reach this far on output sheets
_NUM_FORMATS = {"date": "yyyy-mm-dd", "money": "#,##0.00", "int": "0", "percent": "0%",
                "number": "0.00", "id": "@", "text": "@", "outcome": "@", "yn": "@", "abc": "@"}


def sheet_module(key: str) -> str:
    """The code of a sheet's own VBA module (``workbook/vba/sheet_<key>.cls``)."""
    return (WORKBOOK_DIR / "vba" / f"sheet_{key}.cls").read_text(encoding="ascii")


def workbook_path(lang: str = "zh-CN") -> Path:
    return WORKBOOK_DIR / ("CustomerBook.xlsm" if lang == "zh-CN" else "CustomerBook-en.xlsm")


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.header = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78",
                                     "border": 1, "valign": "vcenter", "text_wrap": True})
        self.kind = {k: wb.add_format({"num_format": v}) for k, v in _NUM_FORMATS.items()}
        # output sheets: every cell top-aligned (a row's cells read as one line on paper),
        # text wrapped where the rows grow with it
        self.body = {k: wb.add_format({"num_format": v, "valign": "top"})
                     for k, v in _NUM_FORMATS.items()}
        self.body_wrap = wb.add_format({"num_format": "@", "valign": "top", "text_wrap": True})
        self.body_center = wb.add_format({"num_format": "0", "valign": "top", "align": "center"})
        self.wrap = wb.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
        self.label = wb.add_format({"num_format": "@"})
        self.title = wb.add_format({"bold": True, "font_size": 16, "font_color": "#1F4E78"})
        self.overdue = wb.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})
        self.today = wb.add_format({"bg_color": "#FFEB9C"})


def _write(ws, row: int, col: int, value: Any, fmt) -> None:
    """Write one cell by its Python type; text always as text, never a formula."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.date):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _columns(ws, spec: SheetSpec, fmts: _Formats) -> None:
    """Column widths and formats; long text columns wrap (the writer uses these styles)."""
    for i, c in enumerate(spec.columns):
        fmt = fmts.wrap if c.kind == "text" and c.width >= 24 else fmts.kind[c.kind]
        ws.set_column(i, i, max(c.width, 6), fmt)


#: what a cell of these input columns means, shown when it is selected (Excel's and
#: LibreOffice's input message): (中文, English)
COLUMN_HINTS = {
    ("Orders", "Paid"): ("已回款：实际收到的金额。留空 = 已全额回款；不能小于 0 或大于金额。",
                         "Paid: the amount received. Blank = paid in full; between 0 and "
                         "the Amount."),
    ("Customers", "Member"): ("会员：Y/N 或等级名称（如 金卡）。留空而卡余额大于 0 也算会员。",
                              "Member: Y/N or a level name (e.g. Gold). Blank with a card "
                              "balance above 0 counts as a member."),
    ("Customers", "ReferredBy"): ("推荐人：推荐该客户的客户的客户编号（须在本表中）。",
                                  "ReferredBy: the CustomerID of the customer who referred "
                                  "this one (must be on this sheet)."),
}


def _input_sheet(wb, fmts: _Formats, spec: SheetSpec, frame: pd.DataFrame, lang: str,
                 yn: str) -> Any:
    ws = wb.add_worksheet(spec.label(lang))
    cols: Sequence[Col] = spec.columns
    _columns(ws, spec, fmts)
    for r, rec in enumerate(frame.itertuples(index=False), start=1):
        for i, c in enumerate(cols):
            v = getattr(rec, c.key)
            if c.kind == "yn":
                v = yn[0] if v is True or v == "Y" else (None if v in (None, False) or pd.isna(v)
                                                          else v)
            if c.kind == "outcome" and isinstance(v, str):
                v = word(OUTCOMES, v, lang)
            _write(ws, r, i, v, fmts.kind[c.kind])
    last = max(len(frame), 1)
    ws.add_table(0, 0, last, len(cols) - 1, {
        "name": spec.key, "style": "Table Style Medium 2",
        "columns": [{"header": c.label(lang), "header_format": fmts.header} for c in cols],
    })
    ws.freeze_panes(1, 0)
    for i, c in enumerate(cols):
        if c.kind == "yn":
            ws.data_validation(1, i, 1048575, i, {"validate": "list", "source": list(yn)})
        elif c.kind == "abc":
            ws.data_validation(1, i, 1048575, i, {"validate": "list", "source": ["A", "B", "C"]})
        elif c.kind == "outcome":
            ws.data_validation(1, i, 1048575, i, {
                "validate": "list", "source": [word(OUTCOMES, k, lang) for k in OUTCOMES],
                "error_type": "information"})
        elif c.kind == "date":
            ws.data_validation(1, i, 1048575, i, {
                "validate": "date", "criteria": ">=", "value": dt.date(1900, 1, 1),
                "error_type": "warning"})
        elif (spec.key, c.key) in COLUMN_HINTS:
            ws.data_validation(1, i, 1048575, i, {
                "validate": "any", "input_title": c.label(lang),
                "input_message": COLUMN_HINTS[spec.key, c.key][lang != "zh-CN"]})
    return ws


#: output sheets whose rows grow with their wrapped text (the refresh sets each height)
_WRAPPED = {"CallList", "FollowUps"}


def _output_sheet(wb, fmts: _Formats, spec: SheetSpec, lang: str) -> Any:
    """An output sheet's layout: header, widths, formats, frozen header, filter, and the
    print setup (A4 landscape, one page wide, the header on every page)."""
    ws = wb.add_worksheet(spec.label(lang))
    wrap = spec.key in _WRAPPED
    for i, c in enumerate(spec.columns):
        fmt = fmts.body_wrap if wrap and c.kind == "text" else fmts.body[c.kind]
        if c.key == "Rank":
            fmt = fmts.body_center
        ws.set_column(i, i, max(c.width, 3), fmt)
    for i, c in enumerate(spec.columns):
        ws.write_string(0, i, c.label(lang), fmts.header)
    ws.set_row(0, 30)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, 0, len(spec.columns) - 1)
    _print_setup(ws, lang, PRINTED_COLUMNS.get(spec.key, len(spec.columns)))
    if wrap:
        ws.hide_gridlines(0)  # gridlines on paper: the boxes staff write in
    return ws


def _print_setup(ws, lang: str, columns: int) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.2, right=0.2, top=0.55, bottom=0.55)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.print_area(0, 0, 1_048_575, columns - 1)
    page = "第 &P 页，共 &N 页" if lang == "zh-CN" else "Page &P of &N"
    ws.set_footer(f"&L&A&C{page}&R&D", {"margin": 0.25})


#: the demo's as-of date, kept in Settings so that the demo shows a working day whenever
#: it is opened; a user clears it when they type their own data (blank = today)
DEMO_AS_OF_DOC = ("Demo day: the sample data are of this date. Clear this cell when you type "
                  "your own data (blank = today)",
                  "演示数据的基准日。录入自己的数据后请清空此格（留空 = 今天）")


def _settings_sheet(wb, fmts: _Formats, lang: str, demo_day: dt.date) -> Any:
    ws = wb.add_worksheet(SETTINGS_SHEET.label(lang))
    defaults = Settings(Language=lang, AsOfDate=demo_day)
    rows = []
    for key, (en, zh) in SETTING_DOCS.items():
        value = getattr(defaults, key)
        if key == "AsOfDate":
            en, zh = DEMO_AS_OF_DOC
        if key == "RFMScheme":
            value = defaults.rfm_scheme
        elif isinstance(value, bool):  # a Y/N setting, written as a person types it
            value = "Y" if value else "N"
        rows.append((key, value, zh if lang == "zh-CN" else en))
    ws.set_column(0, 0, 24, fmts.kind["text"])
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 44, fmts.kind["text"])
    for r, (key, value, doc) in enumerate(rows, start=1):
        ws.write_string(r, 0, key)
        _write(ws, r, 1, value, fmts.kind["date"] if isinstance(value, dt.date) else None)
        ws.write_string(r, 2, doc)
    desc = "说明" if lang == "zh-CN" else "Description"
    ws.add_table(0, 0, len(rows), 2, {
        "name": "Settings", "style": "Table Style Light 9",
        "columns": [{"header": SETTINGS_SHEET.columns[0].label(lang), "header_format": fmts.header},
                    {"header": SETTINGS_SHEET.columns[1].label(lang), "header_format": fmts.header},
                    {"header": desc, "header_format": fmts.header}],
    })
    ws.freeze_panes(1, 0)
    return ws


def _table_sheet(wb, fmts: _Formats, spec: SheetSpec, frame: pd.DataFrame, lang: str,
                 note: str) -> Any:
    """An editable lookup table (Plans, Scripts, Holidays) prefilled with defaults."""
    ws = wb.add_worksheet(spec.label(lang))
    for i, c in enumerate(spec.columns):
        fmt = fmts.wrap if c.key in {"Script", "Note"} else fmts.kind[c.kind]
        ws.set_column(i, i, {"Script": 70, "Note": 34}.get(c.key, max(c.width, 14)), fmt)
    for r, rec in enumerate(frame.to_dict("records"), start=1):
        for i, c in enumerate(spec.columns):
            _write(ws, r, i, rec.get(c.key), fmts.kind[c.kind])
    ws.add_table(0, 0, max(len(frame), 1), len(spec.columns) - 1, {
        "name": spec.key, "style": "Table Style Light 9",
        "columns": [{"header": c.label(lang), "header_format": fmts.header} for c in spec.columns],
    })
    ws.freeze_panes(1, 0)
    ws.set_column(len(spec.columns) + 1, len(spec.columns) + 1, 50, fmts.wrap)
    ws.write_string(0, len(spec.columns) + 1, note)
    return ws


def _default_scripts(lang: str) -> pd.DataFrame:
    rows = [{"Reason": word(REASONS, reason, lang), "Segment": None, "Language": lg,
             "Script": text}
            for (reason, lg), text in DEFAULT_SCRIPTS.items() if lg == lang]
    return pd.DataFrame(rows)


_NOTES = {
    "Plans": ("每种产品/服务的回访计划：起算为“下单日”或“疗程结束”（下单日 + 疗程天数），"
              "间隔天数可为负（结束前 N 天）。产品名与订单表的“产品”一致。",
              "Follow-up plan per product: From is Order or End (order date + CourseDays); "
              "OffsetDays may be negative (N days before the end). Product names match the "
              "Orders sheet."),
    "Scripts": ("按原因（和可选的客户群：等级、价值层级或 RFM 分群）选择话术；可用占位符 {Name} "
                "{Owner} {DaysSinceLastOrder} {LastProduct} {Detail} {Class} {Segment} "
                "{Preferences}（偏好） {CardBalance}（卡余额） {Outstanding}（未回款）。",
                "Script by reason (and optional segment: class, value tier or RFM segment); "
                "placeholders {Name} {Owner} {DaysSinceLastOrder} {LastProduct} {Detail} "
                "{Class} {Segment} {Preferences} {CardBalance} {Outstanding} (unpaid)."),
    "Holidays": ("节日问候日历（由农历自动换算预填，可按当年官方安排修改）。问候等级留空 = 设置中的 "
                 "HolidayClasses。",
                 "Holiday greetings calendar (prefilled from the lunar calendar; edit to the "
                 "year's official schedule). Classes blank = Settings HolidayClasses."),
}


def _rfm_rules_sheet(wb, fmts: _Formats, lang: str) -> Any:
    """The English segment map as an editable grid (used when RFMScheme = EN11)."""
    ws = wb.add_worksheet(RFM_RULES.label(lang))
    ws.set_column(0, 0, 8)
    ws.set_column(1, 5, 16, fmts.kind["text"])
    ws.set_column(7, 7, 60, fmts.wrap)
    grid = en11_grid(lang)
    for i, r in enumerate((5, 4, 3, 2, 1), start=1):
        ws.write_number(i, 0, r)
        for j, label in enumerate(grid[r], start=1):
            ws.write_string(i, j, label)
    ws.add_table(0, 0, 5, 5, {
        "name": RFM_RULES.key, "style": "Table Style Light 9", "autofilter": False,
        "columns": [{"header": c.label(lang), "header_format": fmts.header}
                    for c in RFM_RULES.columns],
    })
    ws.write_string(0, 7, (
        "RFMScheme = EN11 时使用此表：行为 R 分（5 最近），列为 FM = (F + M) / 2 四舍五入。"
        "每个格子填一个分群名称，125 种 R/F/M 组合各得唯一标签。" if lang == "zh-CN" else
        "Used when RFMScheme = EN11: rows are the R score (5 = most recent), columns "
        "FM = round-half-up((F + M) / 2). Type one segment name per cell; each of the 125 "
        "R/F/M combinations gets exactly one label."))
    return ws


def _dashboard(wb, fmts: _Formats, lang: str, *, buttons: bool = True) -> Any:
    """The Dashboard: figures and tables in A:D (the refresh formats each cell for what it
    holds), the buttons in E, the charts from G; printed A4 landscape, one page wide."""
    ws = wb.add_worksheet(DASHBOARD.label(lang))
    ws.set_column(0, 0, 40, fmts.label)
    ws.set_column(1, 1, 24, fmts.kind["number"])
    ws.set_column(2, 2, 24, fmts.kind["money"])
    ws.set_column(3, 3, 15, fmts.kind["percent"])
    ws.set_column(4, 4, 23)
    ws.set_column(5, 5, 2)
    ws.write_string(0, 0, "CustomerBook 客户管理" if lang == "zh-CN" else "CustomerBook", fmts.title)
    for i, (macro, zh, en) in enumerate(BUTTONS if buttons else ()):
        ws.insert_button(2 + i * 3, 4, {
            "macro": macro, "caption": zh if lang == "zh-CN" else en,
            "width": 150, "height": 36,
        })
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    ws.fit_to_pages(1, 0)
    # page 2 starts with the owners: the figures, classes, segments and Pareto on page 1
    from xl_addin.excel.dashboard import DASHBOARD_ROWS

    ws.set_h_pagebreaks([DASHBOARD_ROWS["owners"][0] - 2])
    return ws


#: the charts' look: one size of title, axis labels that are never skipped
_TITLE_FONT = {"size": 12, "bold": True}
_AXIS_FONT = {"size": 9}


def _charts(wb, ws, lang: str) -> None:
    """Native charts over the Dashboard's blocks (a refresh rewrites the cells and cuts
    each series to the rows its block holds)."""
    from xl_addin.excel.dashboard import DASHBOARD_ROWS

    name = ws.get_name()
    zh = lang == "zh-CN"

    def rng(block: str, col: int) -> list:
        first, count = DASHBOARD_ROWS[block]
        return [name, first - 1, col, first - 2 + count, col]

    def head(block: str, col: int) -> list:
        first, _ = DASHBOARD_ROWS[block]
        return [name, first - 2, col]

    def title(chart, zh_text: str, en_text: str) -> None:
        chart.set_title({"name": zh_text if zh else en_text, "name_font": _TITLE_FONT})
        chart.set_legend({"position": "bottom", "font": _AXIS_FONT})

    labels = {"value": True, "font": {"size": 8}}
    width = 620

    bars = wb.add_chart({"type": "column"})
    bars.add_series({"name": head("classes", 1), "categories": rng("classes", 0),
                     "values": rng("classes", 1), "fill": {"color": "#5B9BD5"},
                     "data_labels": labels})
    line = wb.add_chart({"type": "line"})
    line.add_series({"name": head("classes", 2), "categories": rng("classes", 0),
                     "values": rng("classes", 2), "y2_axis": True,
                     "line": {"color": "#C55A11", "width": 2.25},
                     "marker": {"type": "circle", "size": 6,
                                "fill": {"color": "#C55A11"}, "border": {"color": "#C55A11"}}})
    bars.combine(line)
    title(bars, "按等级：客户数与销售额", "By class: customers and revenue")
    bars.set_x_axis({"num_font": _AXIS_FONT})
    bars.set_y_axis({"num_format": "0", "num_font": _AXIS_FONT})
    line.set_y2_axis({"num_format": "#,##0", "num_font": _AXIS_FONT})
    ws.insert_chart("G2", bars, {"x_scale": width / 480, "y_scale": 300 / 288})

    # horizontal bars: every segment's name reads in full
    seg = wb.add_chart({"type": "bar"})
    seg.add_series({"name": head("segments", 1), "categories": rng("segments", 0),
                    "values": rng("segments", 1), "fill": {"color": "#5B9BD5"},
                    "data_labels": labels, "gap": 60})
    title(seg, "按 RFM 分群：客户数", "By RFM segment: customers")
    # (a bar chart's x axis is its values, drawn across; y its categories)
    seg.set_y_axis({"reverse": True, "interval_unit": 1, "num_font": _AXIS_FONT})
    seg.set_x_axis({"num_format": "0", "num_font": _AXIS_FONT,
                    "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    seg.set_legend({"none": True})
    ws.insert_chart("G18", seg, {"x_scale": width / 480, "y_scale": 340 / 288})

    pareto = wb.add_chart({"type": "line"})
    # revenue and profit shares are often the same curve: a wide pale line under a
    # dashed dark one with markers, so both show
    pareto.add_series({"name": head("pareto", 1), "categories": rng("pareto", 0),
                       "values": rng("pareto", 1),
                       "line": {"color": "#9DC3E6", "width": 5}})
    pareto.add_series({"name": head("pareto", 2), "categories": rng("pareto", 0),
                       "values": rng("pareto", 2),
                       "line": {"color": "#C55A11", "width": 1.75, "dash_type": "dash"},
                       "marker": {"type": "diamond", "size": 5,
                                  "fill": {"color": "#C55A11"}, "border": {"color": "#C55A11"}}})
    title(pareto, "帕累托曲线（二八法则）", "Pareto curve (80/20)")
    pareto.set_y_axis({"num_format": "0%", "min": 0, "max": 1, "num_font": _AXIS_FONT,
                       "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    pareto.set_x_axis({"num_format": "0%", "num_font": _AXIS_FONT, "interval_unit": 2,
                       "name": "客户占比（按价值排序）" if zh else "share of customers (by value)",
                       "name_font": _AXIS_FONT})
    ws.insert_chart("G36", pareto, {"x_scale": width / 480, "y_scale": 300 / 288})

    owners = wb.add_chart({"type": "column"})
    reasons = wb.add_chart({"type": "bar"})
    for col, color in ((1, "#5B9BD5"), (2, "#C55A11")):
        owners.add_series({"name": head("owners", col), "categories": rng("owners", 0),
                           "values": rng("owners", col), "fill": {"color": color},
                           "data_labels": labels})
        reasons.add_series({"name": head("reasons", col), "categories": rng("reasons", 0),
                            "values": rng("reasons", col), "fill": {"color": color},
                            "data_labels": labels, "gap": 40})
    title(owners, "按负责人：今日呼叫与逾期回访", "By owner: calls today and overdue")
    owners.set_x_axis({"num_font": _AXIS_FONT, "interval_unit": 1})
    owners.set_y_axis({"num_format": "0", "num_font": _AXIS_FONT})
    ws.insert_chart("G59", owners, {"x_scale": width / 480, "y_scale": 280 / 288})
    title(reasons, "按原因：逾期与今日到期回访", "By reason: overdue and due today")
    reasons.set_y_axis({"reverse": True, "interval_unit": 1, "num_font": _AXIS_FONT})
    reasons.set_x_axis({"num_format": "0", "num_font": _AXIS_FONT,
                        "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    ws.insert_chart("G74", reasons, {"x_scale": width / 480, "y_scale": 360 / 288})

    money = wb.add_chart({"type": "column"})
    for col, color in ((1, "#5B9BD5"), (2, "#C00000")):
        money.add_series({"name": head("receivables", col), "categories": rng("receivables", 0),
                          "values": rng("receivables", col), "fill": {"color": color},
                          "data_labels": {"value": True, "num_format": "#,##0",
                                          "font": {"size": 8}}})
    title(money, "按负责人：未回款与超期未回款", "By owner: receivables and past terms")
    money.set_x_axis({"num_font": _AXIS_FONT, "interval_unit": 1})
    money.set_y_axis({"num_format": "#,##0", "num_font": _AXIS_FONT})
    # below the reasons' chart (which reaches row 92), beside the receivables block
    ws.insert_chart(f"G{max(DASHBOARD_ROWS['receivables'][0] - 1, 94)}", money,
                    {"x_scale": width / 480, "y_scale": 280 / 288})


def _modelcheck(wb, fmts: _Formats, lang: str) -> Any:
    """The ModelCheck sheet with its two native charts over the fixed blocks the layout
    writes (:data:`~xl_addin.excel.modelcheck.MODELCHECK_ROWS`): mean actual vs predicted
    holdout purchases by calibration frequency (Fader, Hardie & Lee 2005, Fig. 4), and
    predicted vs actual share who bought, by decile of the purchase likelihood."""
    from xl_addin.excel.modelcheck import MODELCHECK_ROWS, WIDTHS

    zh = lang == "zh-CN"
    ws = wb.add_worksheet(MODELCHECK.label(lang))
    formats = [fmts.label, "#,##0", "#,##0", "#,##0.00", "#,##0.00", "#,##0.00", "0.0%",
               "0.000", fmts.label]
    for i, (width, f) in enumerate(zip(WIDTHS, formats, strict=True)):
        ws.set_column(i, i, width, f if not isinstance(f, str) else wb.add_format(
            {"num_format": f}))
    ws.write_string(0, 0, "模型检验" if zh else "Model check", fmts.title)
    name = ws.get_name()

    def rng(block: str, col: int) -> list:
        first, count = MODELCHECK_ROWS[block]
        return [name, first - 1, col, first - 2 + count, col]

    def head(block: str, col: int) -> list:
        return [name, MODELCHECK_ROWS[block][0] - 2, col]

    for block, title, axes, anchor in (
        ("frequency", ("检验期购买次数：实际与预测（人均）",
                       "Holdout purchases per customer: actual vs predicted"),
         ("检验期前的重复购买次数", "repeat purchases before the holdout"), "K2"),
        ("deciles", ("购买可能性校准：预测与实际购买比例",
                     "Purchase likelihood: predicted vs actual % who bought"),
         ("预测值十分位（1 = 最低）", "decile of the prediction (1 = lowest)"), "K20"),
    ):
        chart = wb.add_chart({"type": "column"})
        for col, color in ((3, "#1F4E78"), (4, "#C55A11")):
            chart.add_series({"name": head(block, col), "categories": rng(block, 0),
                              "values": rng(block, col), "fill": {"color": color}})
        chart.set_title({"name": title[0] if zh else title[1]})
        chart.set_x_axis({"name": axes[0] if zh else axes[1]})
        chart.set_legend({"position": "bottom"})
        ws.insert_chart(anchor, chart, {"x_scale": 1.2, "y_scale": 1.1})
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)
    return ws


def _paint_status(ws, fmts: _Formats, spec: SheetSpec, lang: str) -> None:
    """Conditional formats: overdue rows red, due-today rows yellow."""
    status = next(i for i, c in enumerate(spec.columns) if c.key == "Status")
    letter = xlsxwriter.utility.xl_col_to_name(status)
    last = xlsxwriter.utility.xl_col_to_name(len(spec.columns) - 1)
    for key, fmt in (("Overdue", fmts.overdue), ("DueToday", fmts.today)):
        ws.conditional_format(f"A2:{last}{DATA_ROWS}", {
            "type": "formula", "criteria": f'=${letter}2="{word(STATUSES, key, lang)}"',
            "format": fmt})


def _output_sheets(wb, fmts: _Formats, lang: str, *, buttons: bool,
                   card: Callable[[], Any] | None = None) -> list[Any]:
    """The output sheets with their whole layout, in tab order: Dashboard (with its
    charts, and its buttons when ``buttons``), CallList, the customer card when ``card``
    makes it, FollowUps, Analysis, ModelCheck (with its charts)."""
    dashboard = _dashboard(wb, fmts, lang, buttons=buttons)
    calls = _output_sheet(wb, fmts, CALLLIST, lang)
    cards = [card()] if card is not None else []
    followups = _output_sheet(wb, fmts, FOLLOWUPS, lang)
    sheets = [dashboard, calls, *cards, followups, _output_sheet(wb, fmts, ANALYSIS, lang),
              _modelcheck(wb, fmts, lang)]
    _charts(wb, dashboard, lang)
    outcome = next(i for i, c in enumerate(CALLLIST.columns) if c.key == "Outcome")
    calls.data_validation(1, outcome, DATA_ROWS, outcome, {
        "validate": "list", "source": [word(OUTCOMES, k, lang) for k in OUTCOMES]})
    nxt = next(i for i, c in enumerate(CALLLIST.columns) if c.key == "NextFollowUp")
    calls.data_validation(1, nxt, DATA_ROWS, nxt, {
        "validate": "date", "criteria": ">=", "value": dt.date(1900, 1, 1),
        "error_type": "warning"})
    _paint_status(followups, fmts, FOLLOWUPS, lang)
    return sheets


def layout_path(lang: str = "zh-CN") -> Path:
    """The layout book the package ships for ``lang`` (see :func:`build_layout`)."""
    from xl_addin.excel.files import layout_book

    return layout_book(lang)


def build_layout(lang: str = "zh-CN", out: str | Path | None = None, *,
                 anchor: dt.date = DEFAULT_ANCHOR) -> Path:
    """The layout book: the output sheets of the shipped workbook, empty, without the
    buttons (a book without our macros has nothing for them to run). A refresh gives a
    sheet it creates in a user's own workbook this sheet's layout."""
    target = Path(out) if out else layout_path(lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(target), {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"title": "CustomerBook layout", "company": "CustomerBook",
                       "created": dt.datetime(anchor.year, anchor.month, anchor.day)})
    sheets = _output_sheets(wb, _Formats(wb), lang, buttons=False)
    sheets[0].activate()
    wb.close()
    return target


def build_workbook(lang: str = "zh-CN", out: str | Path | None = None, *,
                   anchor: dt.date = DEFAULT_ANCHOR, customers: int = 200) -> Path:
    """Build the workbook for ``lang`` and fill its outputs as of ``anchor``. Building
    the shipped workbook (no ``out``) writes the package's layout book too."""
    from xl_addin.macros import refresh_file

    if out is None:
        build_layout(lang, anchor=anchor)
    target = Path(out) if out else workbook_path(lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    frames = make_demo(customers, anchor=anchor, lang=lang)
    yn = ("Y", "N")
    with tempfile.TemporaryDirectory() as tmp:
        raw_book = Path(tmp) / "CustomerBook.xlsm"
        wb = xlsxwriter.Workbook(str(raw_book), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
        wb.set_properties({"title": "CustomerBook", "company": "CustomerBook",
                           "created": dt.datetime(anchor.year, anchor.month, anchor.day)})
        fmts = _Formats(wb)
        sheets = [
            *_output_sheets(wb, fmts, lang, buttons=True,
                            card=lambda: card_sheet(wb, lang, pick_card_customer(frames))),
            _input_sheet(wb, fmts, CUSTOMERS, frames["Customers"], lang, yn),
            _input_sheet(wb, fmts, ORDERS, frames["Orders"], lang, yn),
            _input_sheet(wb, fmts, CONTACTS, frames["Contacts"], lang, yn),
            _settings_sheet(wb, fmts, lang, anchor),
            _rfm_rules_sheet(wb, fmts, lang),
            _table_sheet(wb, fmts, PLANS, default_plans(lang), lang,
                         _NOTES["Plans"][lang != "zh-CN"]),
            _table_sheet(wb, fmts, SCRIPTS, _default_scripts(lang), lang,
                         _NOTES["Scripts"][lang != "zh-CN"]),
            _table_sheet(wb, fmts, HOLIDAYS,
                         default_holidays([anchor.year, anchor.year + 1], lang), lang,
                         _NOTES["Holidays"][lang != "zh-CN"]),
        ]
        conf = wb.add_worksheet("xlwings.conf")
        conf.set_column(0, 0, 22)
        conf.set_column(1, 1, 28)
        for r, (k, v) in enumerate(XLWINGS_CONF):
            conf.write_string(r, 0, k)
            if v:
                conf.write_string(r, 1, v)
        conf.hide()
        sheets.append(conf)
        wb.set_vba_name("ThisWorkbook")
        codenames = [f"Sheet{i + 1}" for i in range(len(sheets))]
        for ws, name in zip(sheets, codenames, strict=True):
            ws.set_vba_name(name)
        vba_bin = build_vba_project(load_vba_sources(WORKBOOK_DIR / "vba"), Path(tmp) / "vbaProject.bin",
                                    sheet_codenames=codenames,
                                    document_code={codenames[1]: sheet_module("CallList")})
        wb.add_vba_project(str(vba_bin))
        sheets[0].activate()
        wb.close()
        refresh_file(raw_book, target, as_of=anchor)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the CustomerBook workbook.")
    parser.add_argument("--lang", choices=["zh-CN", "en"], default="zh-CN")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    print(build_workbook(args.lang, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
