"""What an import says to its user, in English and 简体中文.

Every sentence lives in :data:`CATALOGUE` (code -> (English, 简体中文)) so that tests can
match the code and both languages stay in step. Templates name their values as
``{name}``; :func:`render` puts each value in exactly once, as text, without
``str.format``: a value a user typed (a cell, a header, a file name) is only ever a
substituted value, never a template, so a ``{`` in a cell is printed as it is.

A value may be a :class:`Both` pair when it has a word in each language (an Orders
column, a source system, a status word).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import BookError

__all__ = [
    "CATALOGUE",
    "Both",
    "ImportFileError",
    "RowIssue",
    "lines",
    "render",
    "where",
]


class Both(NamedTuple):
    """One word in both languages; :func:`render` picks the one it writes in."""

    en: str
    zh: str

    def pick(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.en


#: code -> (English, 简体中文)
CATALOGUE: Mapping[str, tuple[str, str]] = {
    # --- where ----------------------------------------------------------------------
    "where_file": ("{file}", "文件「{file}」"),
    "where_row": ("row {row}", "第 {row} 行"),
    "where_column": ("column '{column}'", "「{column}」列"),
    # --- the file as a whole ----------------------------------------------------------
    "file_not_found": ("the file does not exist", "文件不存在"),
    "file_empty": ("the file is empty", "文件是空的"),
    "file_too_large": (
        "the file is {size}; exports up to {limit} can be imported: export a shorter date "
        "range and import each part",
        "文件大小为 {size}，最多可导入 {limit}：请缩短导出的日期范围，分几次导入",
    ),
    "too_many_rows": (
        "the export has more than {limit} rows: export a shorter date range and import each "
        "part",
        "导出文件超过 {limit} 行：请缩短导出的日期范围，分几次导入",
    ),
    "too_many_columns": (
        "the sheet '{sheet}' uses {count} columns (at most {limit} can be read): delete the "
        "unused columns on the right, or export the orders again",
        "工作表「{sheet}」用到了 {count} 列（最多可读 {limit} 列）：请删除右侧多余的列，或重新导出订单",
    ),
    "xls_format": (
        "this is an old Excel 97-2003 workbook (.xls), which cannot be read: open it in "
        "Excel or WPS, choose Save As 'Excel Workbook (.xlsx)' or 'CSV UTF-8', and import "
        "that file",
        "这是旧版 Excel 97-2003 工作簿（.xls），无法读取：请在 Excel 或 WPS 中打开，"
        "“另存为”“Excel 工作簿 (.xlsx)”或“CSV UTF-8（逗号分隔）”，再导入新文件",
    ),
    "html_format": (
        "this file is really a web page (an HTML table saved with an Excel name): open it "
        "in Excel or WPS, choose Save As 'Excel Workbook (.xlsx)' or 'CSV UTF-8', and "
        "import that file",
        "该文件实际上是网页（以 Excel 文件名保存的 HTML 表格）：请在 Excel 或 WPS 中打开，"
        "“另存为”“Excel 工作簿 (.xlsx)”或“CSV UTF-8（逗号分隔）”，再导入新文件",
    ),
    "ods_format": (
        "this is an OpenDocument spreadsheet (.ods): in LibreOffice or WPS choose Save As "
        "'Excel 2007-365 (.xlsx)' or 'Text CSV' with UTF-8, and import that file",
        "这是 OpenDocument 电子表格（.ods）：请在 LibreOffice 或 WPS 中“另存为”"
        "“Excel 2007-365 (.xlsx)”或 UTF-8 编码的“文本 CSV”，再导入新文件",
    ),
    "numbers_format": (
        "this is an Apple Numbers file: in Numbers choose File > Export To > Excel or CSV "
        "(Unicode UTF-8), and import that file",
        "这是 Apple Numbers 文件：请在 Numbers 中选择“文件 > 导出为 > Excel”或“CSV”"
        "（Unicode UTF-8），再导入新文件",
    ),
    "unsupported_format": (
        "files of this kind ({kind}) cannot be imported: save the export as 'Excel Workbook "
        "(.xlsx)' or 'CSV UTF-8' and import that file",
        "无法导入此类文件（{kind}）：请将导出文件另存为“Excel 工作簿 (.xlsx)”或"
        "“CSV UTF-8（逗号分隔）”后再导入",
    ),
    "encrypted": (
        "the file is password-protected: open it, remove the password, save it and import "
        "it again",
        "文件设有密码保护：请打开文件、取消密码并保存后再导入",
    ),
    "damaged": (
        "the file is damaged or is not a real {kind} file ({detail}): export it again",
        "文件已损坏或不是有效的 {kind} 文件（{detail}）：请重新导出",
    ),
    "unknown_encoding": (
        "the text encoding of this CSV file is neither UTF-8 nor GBK/GB18030 and could not "
        "be recognised: open it in Excel or WPS and save it as 'CSV UTF-8'",
        "无法识别该 CSV 文件的文字编码（既不是 UTF-8，也不是 GBK/GB18030）：请在 Excel 或 "
        "WPS 中打开，另存为“CSV UTF-8（逗号分隔）”",
    ),
    "no_rows": (
        "the export holds no order rows",
        "导出文件中没有订单行",
    ),
    "unmapped_column": (
        "no column of the export gives {target}. The export's columns are: {headers}. "
        "Add a row to the Mapping sheet (导入映射): SourceSystem '{system}', ExportColumn = "
        "the export's column that holds it, OrdersColumn '{target_key}'",
        "导出文件中没有对应“{target}”的列。导出文件的列为：{headers}。"
        "请在“导入映射”表中添加一行：来源系统“{system}”，导出列 = 导出文件中对应的列，"
        "订单列“{target_key}”",
    ),
    # --- one row: why it is refused ------------------------------------------------
    "required_blank": ("{target} is blank", "“{target}”为空"),
    "not_a_date": (
        "expected a date (2026-03-05, 2026/3/5, 2026年3月5日, with or without a time), "
        "found \"{value}\"",
        "应为日期（2026-03-05、2026/3/5、2026年3月5日，可带时间），实际为“{value}”",
    ),
    "not_a_number": ("expected a number, found \"{value}\"", "应为数字，实际为“{value}”"),
    "number_too_large": (
        "the number {value} is too large for an amount",
        "数值 {value} 过大，不是有效金额",
    ),
    "date_in_future": (
        "the date {value} is after today ({today}): check the year and the day/month order",
        "日期 {value} 晚于今天（{today}）：请检查年份和月、日的顺序",
    ),
    "id_precision_lost": (
        "the order number \"{value}\" was stored as a number and has lost its last digits "
        "(Excel keeps 15): export the orders again as CSV, or set that column to Text "
        "before saving",
        "订单号“{value}”被存成了数字，末尾几位已丢失（Excel 只保留 15 位）：请重新导出为 CSV，"
        "或在保存前把该列设为“文本”格式",
    ),
    "phone_masked": (
        "the phone number \"{value}\" is masked, so it cannot be matched to a customer{hint}: "
        "fill in a CustomerID (客户编号) column for it, or export with full numbers",
        "手机号“{value}”已打码，无法对应到客户{hint}：请为该行填写“客户编号”列，"
        "或导出完整号码",
    ),
    "phone_masked_hint": (" (it could be {candidates})", "（可能是 {candidates}）"),
    "phone_invalid": ("\"{value}\" is not a phone number", "“{value}”不是电话号码"),
    "phone_scientific": (
        "the phone number \"{value}\" was saved as a number in scientific form and has lost "
        "its digits: export the orders again, or set the phone column to Text before saving",
        "电话号码“{value}”被存成了科学计数法的数字，已丢失位数：请重新导出，或在保存前把电话列设为"
        "“文本”格式",
    ),
    "no_customer": (
        "neither a phone number nor a CustomerID: a sale to no known customer (a walk-in "
        "sale), not imported",
        "既没有电话号码也没有客户编号：不属于任何已知客户（散客），不导入",
    ),
    "unknown_customer_id": (
        "customer ID \"{value}\" is not on the Customers sheet",
        "客户编号“{value}”不在客户表中",
    ),
    # --- one row: why it is skipped (not a problem) --------------------------------
    "summary_row": ("a totals row (\"{value}\"): skipped", "合计行（“{value}”）：已跳过"),
    "note_row": ("a note below the orders (\"{value}\"): skipped", "订单下方的说明（“{value}”）：已跳过"),
    "status_unpaid": ("not paid yet ({value}): not imported", "尚未付款（{value}）：不导入"),
    "status_cancelled": ("cancelled or closed ({value}): not imported", "已取消或关闭（{value}）：不导入"),
    "status_refunded": ("refunded in full ({value}): not imported", "已全额退款（{value}）：不导入"),
    "merged_line": (
        "another line of order {value} (row {first_row}): added to that order",
        "订单 {value} 的另一行商品（见第 {first_row} 行）：已并入该订单",
    ),
    "refund_line": (
        "order {value} is already on the Orders sheet and has been refunded by {amount} "
        "since: refund line {refund_id} added",
        "订单 {value} 已在订单表中，之后退款 {amount}：已添加退款行 {refund_id}",
    ),
    # --- one row: a duplicate --------------------------------------------------------
    "duplicate_in_book": (
        "order {value} is already on the Orders sheet",
        "订单 {value} 已在订单表中",
    ),
    "duplicate_in_export": (
        "order {value} appears earlier in this export (row {first_row})",
        "订单 {value} 在本文件中已出现过（第 {first_row} 行）",
    ),
    "duplicate_purchase": (
        "the same purchase (date, customer, amount, product) is already on the Orders sheet",
        "同样的购买记录（日期、客户、金额、产品）已在订单表中",
    ),
    "repeated_line": (
        "the same line appears earlier in this export (row {first_row}), and the export has "
        "no order numbers or line numbers to tell them apart",
        "本文件中已有完全相同的一行（第 {first_row} 行），且文件没有订单号或行号可以区分",
    ),
    "repeated_line_number": (
        "the same line, with the same line number, appears earlier in this export (row "
        "{first_row})",
        "本文件中已有行号相同、内容完全相同的一行（第 {first_row} 行）",
    ),
    # --- one row: the buyer ----------------------------------------------------------
    "unknown_buyer": (
        "the buyer {value} is not on the Customers sheet and new customers are not being "
        "added: the order is not imported",
        "买家 {value} 不在客户表中，且本次不新增客户：该订单未导入",
    ),
    "phone_shared": (
        "the phone number {value} belongs to several customers ({ids}): the order went to "
        "{chosen}, the first of them on the Customers sheet",
        "电话号码 {value} 对应多位客户（{ids}）：订单记在客户表中排在最前的 {chosen} 名下",
    ),
    # --- what a new customer row says --------------------------------------------------
    "new_customer_source": ("Import", "导入"),
    "new_customer_note": (
        "Imported {today} from {file}, row {row} ({system})",
        "{today} 从 {file} 第 {row} 行导入（{system}）",
    ),
    "new_customer_note_nickname": ("; nickname {value}", "；昵称 {value}"),
    "new_customer_note_member": ("; member number {value}", "；会员号 {value}"),
    "new_customer_note_email": ("; email {value}", "；邮箱 {value}"),
    # --- the summary --------------------------------------------------------------------
    "summary": (
        "{file} ({system}): rows read {read}; new orders {new_orders}; duplicates skipped "
        "{duplicates}; new customers {new_customers}; refused {refused}",
        "{file}（{system}）：读取 {read} 行，新订单 {new_orders} 笔，跳过重复 {duplicates} 行，"
        "新客户 {new_customers} 位，拒绝 {refused} 行",
    ),
    "summary_more": ("also: {parts}", "另有：{parts}"),
    "more_refund_lines": ("refund lines {count}", "退款行 {count} 行"),
    "more_merged": ("lines merged into their order {count}", "并入订单的商品行 {count} 行"),
    "more_skipped": ("rows skipped {count}", "跳过 {count} 行"),
    "more_unknown": ("buyers not on the Customers sheet {count}", "不在客户表中的买家 {count} 位"),
    "title_rows": ("rows above the header skipped: {rows}", "标题行以上已跳过：第 {rows} 行"),
    "nothing_written": (
        "Nothing will be written: either the whole export lands or nothing does. Fix the "
        "refused rows below (in the export, or the Customers sheet) and import again.",
        "不会写入任何内容：导入要么全部完成，要么完全不做。请修正以下被拒绝的行"
        "（在导出文件或客户表中），然后重新导入。",
    ),
    "nothing_new": ("Nothing new to import.", "没有需要导入的新内容。"),
    "heading_refused": ("Refused:", "被拒绝的行："),
    "heading_duplicates": ("Duplicates skipped:", "跳过的重复行："),
    "heading_skipped": ("Skipped:", "跳过的行："),
    "heading_unknown": ("Buyers not on the Customers sheet:", "不在客户表中的买家："),
    "heading_warnings": ("Please check:", "请核对："),
    "heading_new_customers": ("New customers:", "新客户："),
    "heading_refunds": ("Refund lines:", "退款行："),
    "and_more": ("  … and {count} more", "  ……另有 {count} 行"),
    # --- what the doors did with the plan ------------------------------------------------
    "dry_run": ("Dry run: nothing was written.", "试运行：未写入任何内容。"),
    "written": (
        "Written to {book}: {orders} order row(s) appended to {orders_sheet}, {customers} "
        "customer(s) added to {customers_sheet}{mapping}. Refresh to update the analysis "
        "and the call list.",
        "已写入 {book}：「{orders_sheet}」新增 {orders} 行订单，「{customers_sheet}」新增 "
        "{customers} 位客户{mapping}。请刷新以更新客户分析和呼叫清单。",
    ),
    "written_source": (
        "Written: {orders} order row(s) appended to {source}; {customers} customer(s) "
        "added to {customers_sheet} in {book}{mapping}. Refresh to update the analysis "
        "and the call list.",
        "已写入：{source} 新增 {orders} 行订单；{book} 的「{customers_sheet}」新增 {customers} "
        "位客户{mapping}。请刷新以更新客户分析和呼叫清单。",
    ),
    "pick_export": ("Choose the shop export to import (CSV or .xlsx)",
                    "选择要导入的订单导出文件（CSV 或 .xlsx）"),
    "export_kinds": ("Shop exports (*.csv;*.xlsx;*.txt),*.csv;*.xlsx;*.txt",
                     "订单导出文件 (*.csv;*.xlsx;*.txt),*.csv;*.xlsx;*.txt"),
    "confirm_import": ("Import these rows into this workbook? (OK: import; Cancel: write "
                       "nothing)",
                       "将以上内容导入本工作簿吗？（确定：导入；取消：不写入任何内容）"),
    "written_mapping": ("; the column mapping was saved on {sheet}",
                        "；列对应关系已保存到「{sheet}」"),
}

_FIELD = re.compile(r"\{(\w+)\}")


def _show(value: Any, lang: str) -> str:
    """A value as a message shows it."""
    if isinstance(value, Both):
        return value.pick(lang)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return str(int(value)) if value.is_integer() else f"{value:,.2f}".rstrip("0")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        sep = "、" if lang == "zh-CN" else ", "
        return sep.join(_show(v, lang) for v in value) or "—"
    return str(value)


def render(code: str, lang: str = "en", **params: Any) -> str:
    """The catalogue entry ``code`` in ``lang`` (``en`` or ``zh-CN``).

    Each ``{name}`` of the template is replaced by ``params[name]`` in one pass, so a
    value is never read as a template; a name without a value is left as it is.
    """
    en, zh = CATALOGUE[code]
    template = zh if lang == "zh-CN" else en

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        return _show(params[key], lang) if key in params else m.group(0)

    return _FIELD.sub(fill, template)


def where(lang: str, file: str | None, row: int | None = None,
          column: str | None = None) -> str:
    """Where a problem is: the file, the row as the user sees it, the column header."""
    parts = []
    if file:
        parts.append(render("where_file", lang, file=file))
    if row is not None:
        parts.append(render("where_row", lang, row=row))
    if column:
        parts.append(render("where_column", lang, column=column))
    return ("" if lang == "zh-CN" else ", ").join(parts)


def _colon(lang: str) -> str:
    return "：" if lang == "zh-CN" else ": "


@dataclass
class RowIssue:
    """One row of the export and what happens to it (refused, skipped, a duplicate …).

    ``row`` is the row as the user sees the file (the Excel row, or the CSV line when
    Excel opens it), ``column`` the export's header text, ``code`` a :data:`CATALOGUE`
    key and ``params`` its values.
    """

    row: int | None
    column: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "en", file: str | None = None) -> str:
        place = where(lang, file, self.row, self.column)
        text = render(self.code, lang, **self.params)
        return place + _colon(lang) + text if place else text


class ImportFileError(BookError):
    """A problem with the export file as a whole: its kind, size, encoding or columns.

    One of the :class:`~xl_addin.errors.CustomerBookError` family, so the doors show it
    like every other message (never a traceback). Its ``code`` is a :data:`CATALOGUE`
    key, and it renders from this package's catalogue (not the workbook's).
    """

    def __init__(self, code: str, file: str, *, lang: str | None = None, **params: Any) -> None:
        self.code = code
        self.file = file
        self.params = params
        self.lang = lang
        ValueError.__init__(self, self.render("en"))

    def render(self, lang: str | None = None) -> str:
        lang = lang or self.lang or "en"
        text = render(self.code, lang, **self.params)
        return where(lang, self.file) + _colon(lang) + text

    def localise(self, lang: str) -> ImportFileError:
        """Say it in ``lang`` from now on, unless a language was already chosen."""
        if self.lang is None:
            self.lang = lang
        return self

    def __str__(self) -> str:
        return self.render(self.lang or "en")


def lines(lang: str, file: str | None, issues: Sequence[RowIssue]) -> list[str]:
    """Issues as bullet lines."""
    return ["  - " + i.render(lang, file) for i in issues]
