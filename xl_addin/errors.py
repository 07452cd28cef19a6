"""One exception family for everything a user can get wrong, with reason codes.

Every error is a :class:`CustomerBookError` (a ``ValueError``) carrying a
:class:`Reason` and the values that fill its message, and renders itself in the
workbook's language with :meth:`CustomerBookError.render` (``str()`` uses the language
the error was raised in, when the raiser knew it). The doors catch this family once:
the CLI prints the message and exits 2, a macro shows it, a UDF returns an Excel-style
error string. Nothing else is ever shown to a user as a traceback.

Problems found while reading the inputs are gathered by one :class:`Problems`
collector, so that a user sees every problem of a run at once (pandera's lazy
validation: ``SchemaErrors`` collected by an error handler).

Messages are keyed by :class:`Reason` so that tests can match the code and both
languages stay in step; :data:`MESSAGES` holds the catalogue. User text only ever fills
a placeholder of a template written here; it is never itself used as a template.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Any

__all__ = [
    "MESSAGES",
    "BookError",
    "CustomerBookError",
    "InputError",
    "InputErrors",
    "Problems",
    "Reason",
    "render_message",
]


class Reason(StrEnum):
    """Why something was refused (or noted); the key of its message in :data:`MESSAGES`."""

    # cells and columns
    MISSING_SHEET = "missing_sheet"
    TWO_SHEETS = "two_sheets"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    NO_HEADER = "no_header"
    REQUIRED_BLANK = "required_blank"
    NOT_A_NUMBER = "not_a_number"
    NUMBER_CONVENTION = "number_convention"
    NOT_A_DATE = "not_a_date"
    NOT_YES_NO = "not_yes_no"
    NOT_IN_CHOICES = "not_in_choices"
    ERROR_VALUE = "error_value"
    MERGED_CELLS = "merged_cells"
    MERGED_HEADER = "merged_header"
    UNCACHED_FORMULA = "uncached_formula"
    DATA_BELOW_TABLE = "data_below_table"
    DUPLICATE_ID = "duplicate_id"
    UNKNOWN_CUSTOMER = "unknown_customer"
    NUMBER_TOO_LARGE = "number_too_large"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    MISSING_RFM_ROWS = "missing_rfm_rows"
    NOT_A_LUNAR_DATE = "not_a_lunar_date"
    PAID_ABOVE_AMOUNT = "paid_above_amount"
    PAID_NEGATIVE = "paid_negative"
    NEGATIVE_BALANCE = "negative_balance"
    UNKNOWN_REFERRER = "unknown_referrer"
    SELF_REFERRAL = "self_referral"
    # settings
    UNKNOWN_SETTING_VALUE = "unknown_setting_value"
    SETTING_OUT_OF_RANGE = "setting_out_of_range"
    SETTINGS_INCONSISTENT = "settings_inconsistent"
    SETTING_UNKNOWN = "setting_unknown"
    SETTING_UNKNOWN_NEAR = "setting_unknown_near"
    SETTING_REPEATED = "setting_repeated"
    # the file
    FILE_NOT_FOUND = "file_not_found"
    NOT_A_WORKBOOK = "not_a_workbook"
    OTHER_FORMAT = "other_format"
    OTHER_FORMAT_CSV = "other_format_csv"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    TOO_LARGE = "too_large"
    CHANGED_ON_DISK = "changed_on_disk"
    READ_ONLY = "read_only"
    OPEN_ELSEWHERE = "open_elsewhere"
    OPEN_ELSEWHERE_UNKNOWN = "open_elsewhere_unknown"
    BUSY = "busy"
    UNSUPPORTED_EXTENSION = "unsupported_extension"
    BAD_AS_OF = "bad_as_of"
    LUNAR_OUT_OF_RANGE = "lunar_out_of_range"
    UNSUPPORTED_LAYOUT = "unsupported_layout"
    IO_ERROR = "io_error"
    UNEXPECTED = "unexpected"
    XLWINGS_MISMATCH = "xlwings_mismatch"
    UNEXPECTED_WHILE_WRITING = "unexpected_while_writing"
    TABLE_HAS_TOTALS = "table_has_totals"
    OUTPUT_TABLE_TOTALS = "output_table_totals"
    SHEET_FULL = "sheet_full"
    # orders and contacts kept outside the workbook (Settings OrdersSource / ContactsSource)
    SOURCE_NOT_FOUND = "source_not_found"
    SOURCE_KIND = "source_kind"
    SOURCE_MIXED = "source_mixed"
    SOURCE_UNREADABLE = "source_unreadable"
    SOURCE_NO_TABLE = "source_no_table"
    SOURCE_NOT_SET = "source_not_set"
    SOURCE_MORE_PROBLEMS = "source_more_problems"
    ARCHIVE_LAYOUT = "archive_layout"
    # the call list loop (the Message column of a row that could not be logged)
    CALL_UNKNOWN_OUTCOME = "call_unknown_outcome"
    CALL_BAD_DATE = "call_bad_date"
    CALL_UNKNOWN_CUSTOMER = "call_unknown_customer"
    CALL_NO_CUSTOMER_ID = "call_no_customer_id"
    CALL_NO_ID_COLUMN = "call_no_id_column"


#: code -> (English, 简体中文). Placeholders are ``str.format`` fields of these templates.
MESSAGES: Mapping[Reason, tuple[str, str]] = {
    # --- cell and column problems -------------------------------------------------
    Reason.MISSING_SHEET: (
        "the sheet is missing (expected a sheet named {expected})",
        "缺少工作表（应有名为 {expected} 的工作表）",
    ),
    Reason.TWO_SHEETS: (
        "both sheet '{first}' and sheet '{second}' could be the {expected} sheet; rename or "
        "remove one of them so that CustomerBook reads the right one",
        "工作表「{first}」和「{second}」都可能是 {expected} 表；请重命名或删除其中一个，以免读错",
    ),
    Reason.MISSING_COLUMN: (
        "required column is missing (expected one of {expected}; found {found})",
        "缺少必填列（应为 {expected} 之一；实际列为 {found}）",
    ),
    Reason.DUPLICATE_COLUMN: (
        "the column appears twice (columns {first} and {second})",
        "该列出现了两次（第 {first} 列和第 {second} 列）",
    ),
    Reason.NO_HEADER: (
        "the sheet has no header row",
        "工作表没有标题行",
    ),
    Reason.REQUIRED_BLANK: (
        "a value is required here but the cell is blank",
        "此处必须填写，但单元格为空",
    ),
    Reason.NOT_A_NUMBER: (
        "expected a number, found {value!r}",
        "应为数字，实际为“{value}”",
    ),
    Reason.NUMBER_CONVENTION: (
        "expected a number written like 1,200.50 (',' between thousands, '.' for decimals), "
        "found {value!r}",
        "应为 1,200.50 这样的数字（“,”分隔千位，“.”表示小数），实际为“{value}”",
    ),
    Reason.NOT_A_DATE: (
        "expected a date (an Excel date, 2026-03-05, 2026/3/5 or 2026年3月5日), found {value!r}",
        "应为日期（Excel 日期、2026-03-05、2026/3/5 或 2026年3月5日），实际为“{value}”",
    ),
    Reason.NOT_YES_NO: (
        "expected Y or N, found {value!r}",
        "应为 Y 或 N（是/否），实际为“{value}”",
    ),
    Reason.NOT_IN_CHOICES: (
        "expected one of {choices}, found {value!r}",
        "应为 {choices} 之一，实际为“{value}”",
    ),
    Reason.ERROR_VALUE: (
        "the cell holds the Excel error {value}",
        "单元格含有 Excel 错误值 {value}",
    ),
    Reason.MERGED_CELLS: (
        "cells {ref} are merged; unmerge them and fill in every row",
        "单元格 {ref} 为合并单元格；请取消合并并逐行填写",
    ),
    Reason.MERGED_HEADER: (
        "header cells {ref} are merged, so a column has no name; unmerge them and give each "
        "column its own header",
        "标题单元格 {ref} 为合并单元格，有的列因此没有名称；请取消合并并为每列填写标题",
    ),
    Reason.UNCACHED_FORMULA: (
        "the cell holds a formula without a calculated value (the file was saved by a tool "
        "that does not calculate): open it in Excel, WPS or LibreOffice and save it once",
        "单元格中的公式没有计算结果（文件由不计算公式的工具保存）：请用 Excel、WPS 或 LibreOffice "
        "打开并保存一次",
    ),
    Reason.DATA_BELOW_TABLE: (
        "this row holds data below the table {table}, after a blank row, so it is not part of "
        "the table: extend the table over it (or remove the blank row), or clear it",
        "此行在表格 {table} 下方、隔着空行，不属于表格：请把表格扩展到此行（或删去空行），或清除此行",
    ),
    Reason.DUPLICATE_ID: (
        "customer ID {value!r} appears more than once (first at row {first_row})",
        "客户编号“{value}”重复出现（首次出现在第 {first_row} 行）",
    ),
    Reason.UNKNOWN_CUSTOMER: (
        "customer ID {value!r} is not on the Customers sheet",
        "客户编号“{value}”不在客户表中",
    ),
    Reason.NUMBER_TOO_LARGE: (
        "the number {value} is too large for an amount",
        "数值 {value} 过大，不是有效金额",
    ),
    Reason.DATE_OUT_OF_RANGE: (
        "the date {value} is outside the years 1900-2200",
        "日期 {value} 超出 1900–2200 年范围",
    ),
    Reason.NOT_A_LUNAR_DATE: (
        "{value} is marked as a lunar birthday, but a lunar month has at most 30 days",
        "{value} 标为农历生日，但农历每月最多 30 天",
    ),
    Reason.PAID_ABOVE_AMOUNT: (
        "received {paid} is more than the order's amount {amount}: type what was received "
        "(at most the amount; blank = fully paid)",
        "已回款 {paid} 大于订单金额 {amount}：请填写实际收到的金额（不超过订单金额；留空 = 已全额回款）",
    ),
    Reason.PAID_NEGATIVE: (
        "received {paid} is below 0: type what was received for this order (a refund is "
        "its own row with a negative Amount)",
        "已回款 {paid} 小于 0：请填写此订单实际收到的金额（退款请另起一行，金额填负数）",
    ),
    Reason.NEGATIVE_BALANCE: (
        "the card balance {value} is below 0: a prepaid card holds 0 or more",
        "卡余额 {value} 小于 0：储值卡余额应大于或等于 0",
    ),
    Reason.UNKNOWN_REFERRER: (
        "referrer {value!r} is not a customer ID on the Customers sheet (type the "
        "referrer's CustomerID)",
        "推荐人“{value}”不是客户表中的客户编号（请填写推荐人的客户编号）",
    ),
    Reason.SELF_REFERRAL: (
        "customer {value!r} names itself as its referrer",
        "客户“{value}”的推荐人是其本人",
    ),
    Reason.MISSING_RFM_ROWS: (
        "the RFM rules grid needs one row for each R score 1-5; missing: {rows}",
        "RFM 规则表需要 R 分 1–5 各一行；缺少：{rows}",
    ),
    # --- settings ----------------------------------------------------------------
    Reason.UNKNOWN_SETTING_VALUE: (
        "setting {key} expects {expected}, found {value!r}",
        "设置项 {key} 应为 {expected}，实际为“{value}”",
    ),
    Reason.SETTING_OUT_OF_RANGE: (
        "setting {key} must be {expected}, found {value!r}",
        "设置项 {key} 必须{expected}，实际为“{value}”",
    ),
    Reason.SETTINGS_INCONSISTENT: (
        "settings {key} and {other} are inconsistent: {expected}",
        "设置项 {key} 与 {other} 不一致：{expected}",
    ),
    Reason.SETTING_UNKNOWN: (
        "{key!r} is not a setting CustomerBook knows, so it is ignored",
        "“{key}”不是 CustomerBook 的设置项，已忽略",
    ),
    Reason.SETTING_UNKNOWN_NEAR: (
        "{key!r} is not a setting CustomerBook knows, so it is ignored; did you mean {near}?",
        "“{key}”不是 CustomerBook 的设置项，已忽略；是否应为 {near}？",
    ),
    Reason.SETTING_REPEATED: (
        "setting {key} is given twice (rows {first} and {second}); the value in row {second} "
        "is used",
        "设置项 {key} 出现了两次（第 {first} 行和第 {second} 行）；采用第 {second} 行的值",
    ),
    # --- the file ----------------------------------------------------------------
    Reason.FILE_NOT_FOUND: ("the file {path} does not exist", "文件 {path} 不存在"),
    Reason.NOT_A_WORKBOOK: (
        "{path} is not an Excel workbook (.xlsx or .xlsm)",
        "{path} 不是 Excel 工作簿（.xlsx 或 .xlsm）",
    ),
    Reason.OTHER_FORMAT: (
        "{path} is {kind!s}, and CustomerBook works in .xlsx and .xlsm workbooks: open it in "
        "Excel, WPS or LibreOffice and save it as an Excel workbook (.xlsx), then refresh that "
        "file",
        "{path} 是{kind!s}，CustomerBook 使用 .xlsx 或 .xlsm 工作簿：请用 Excel、WPS 或 LibreOffice "
        "打开并另存为 Excel 工作簿（.xlsx），再刷新该文件",
    ),
    Reason.OTHER_FORMAT_CSV: (
        "{path} is {kind!s}, and CustomerBook works in .xlsx and .xlsm workbooks: open it in "
        "Excel, WPS or LibreOffice and save it as an Excel workbook (.xlsx), then refresh that "
        "file. (Orders exported from a till or a web shop as CSV go in with "
        "'customerbook import BOOK FILE'.)",
        "{path} 是{kind!s}，CustomerBook 使用 .xlsx 或 .xlsm 工作簿：请用 Excel、WPS 或 LibreOffice "
        "打开并另存为 Excel 工作簿（.xlsx），再刷新该文件。（收银或网店导出的 CSV 订单请用"
        "“customerbook import 工作簿 文件”导入。）",
    ),
    Reason.ENCRYPTED: (
        "{path} is password-protected; remove the password in Excel and try again",
        "{path} 设有密码保护；请先在 Excel 中取消密码再试",
    ),
    Reason.CORRUPT: (
        "{path} is damaged or incomplete ({detail})",
        "{path} 已损坏或不完整（{detail}）",
    ),
    Reason.TOO_LARGE: (
        "{path} is too large to read safely ({detail})",
        "{path} 过大，无法安全读取（{detail}）",
    ),
    Reason.CHANGED_ON_DISK: (
        "{path} was changed by someone else while CustomerBook was working; nothing was "
        "written. Close it in Excel and run again",
        "CustomerBook 运行期间 {path} 被其他程序修改；未写入任何内容。请在 Excel 中关闭后重试",
    ),
    Reason.READ_ONLY: (
        "{path} is read-only, so it was not changed; make it writable, or write the results "
        "to another file with --out",
        "{path} 为只读文件，未做修改；请取消只读，或用 --out 把结果写入另一个文件",
    ),
    Reason.OPEN_ELSEWHERE: (
        "{path} is open in a spreadsheet program ({who} has it open), so it was not changed: "
        "their next save would overwrite the results, or the results theirs. Close it there "
        "and run again, or write to another file with --out",
        "{path} 正被 {who} 在电子表格程序中打开，未做修改：对方下次保存会覆盖结果，或结果覆盖对方的修改。"
        "请先在那里关闭后重试，或用 --out 写入另一个文件",
    ),
    Reason.OPEN_ELSEWHERE_UNKNOWN: (
        "{path} is open in a spreadsheet program (its lock file is beside it), so it was not "
        "changed. Close it there and run again (if nobody has it open, delete the lock file), "
        "or write to another file with --out",
        "{path} 正在电子表格程序中打开（旁边有其锁定文件），未做修改。请先关闭后重试（若无人打开，"
        "可删除该锁定文件），或用 --out 写入另一个文件",
    ),
    Reason.BUSY: (
        "another CustomerBook refresh of {path} is running; nothing was written: run again "
        "when it has finished",
        "另一个 CustomerBook 正在刷新 {path}；未写入任何内容：请待其完成后重试",
    ),
    Reason.UNSUPPORTED_EXTENSION: (
        "{path}: output must be .xlsx or .xlsm, matching the input",
        "{path}：输出文件须为 .xlsx 或 .xlsm，并与输入一致",
    ),
    Reason.BAD_AS_OF: (
        "--as-of expects a date of the years 1900-2200 (2026-03-05, 2026/3/5 or 2026年3月5日), "
        "found {value!r}",
        "--as-of 应为 1900–2200 年间的日期（2026-03-05、2026/3/5 或 2026年3月5日），实际为“{value}”",
    ),
    Reason.LUNAR_OUT_OF_RANGE: (
        "the lunar calendar is known for {first}-{last}: lunar birthdays and lunar festivals "
        "after that are left out of the follow-ups",
        "农历只能换算 {first}–{last} 年：超出范围的农历生日和农历节日未列入回访提醒",
    ),
    Reason.UNSUPPORTED_LAYOUT: (
        "{path}: CustomerBook cannot write into this layout ({detail}); nothing was written",
        "{path}：CustomerBook 无法写入此布局（{detail}）；未写入任何内容",
    ),
    Reason.IO_ERROR: (
        "{path}: {detail}; nothing was written (is the file open in another program, or "
        "the disk full?)",
        "{path}：{detail}；未写入任何内容（文件是否正在其他程序中打开，或磁盘已满？）",
    ),
    Reason.XLWINGS_MISMATCH: (
        "This workbook's macros are xlwings {vba}, but the Python that Excel runs has xlwings "
        "{python}; nothing was changed. Install the matching version in that Python "
        "(pip install xlwings=={vba}) or use a workbook built for xlwings {python}",
        "此工作簿的宏使用 xlwings {vba}，而 Excel 调用的 Python 中是 xlwings {python}；未做任何修改。"
        "请在该 Python 中安装相同版本（pip install xlwings=={vba}），或使用与 xlwings {python} "
        "配套的工作簿",
    ),
    Reason.UNEXPECTED: (
        "CustomerBook stopped because of an unexpected problem ({detail}); nothing was "
        "changed. Please report this message",
        "CustomerBook 因意外问题停止（{detail}）；未做任何修改。请报告此消息",
    ),
    Reason.UNEXPECTED_WHILE_WRITING: (
        "CustomerBook stopped while writing the results ({detail}); the input sheets are "
        "as they were, some output sheets may be incomplete: run it again",
        "CustomerBook 在写入结果时停止（{detail}）；输入表未受影响，部分结果表可能不完整：请重新运行",
    ),
    Reason.TABLE_HAS_TOTALS: (
        "the table {table} has a totals row; CustomerBook cannot append below it",
        "表格 {table} 含有汇总行，无法在其下方追加记录",
    ),
    Reason.OUTPUT_TABLE_TOTALS: (
        "{path}: the table {table} on sheet {sheet} has a totals row, and CustomerBook "
        "rewrites that sheet on every refresh; nothing was written. Switch its totals row off "
        "(Table Design > Total Row) and run again",
        "{path}：工作表 {sheet} 上的表格 {table} 含有汇总行，而 CustomerBook 每次刷新都会重写该表；"
        "未写入任何内容。请关闭其汇总行（表设计 > 汇总行）后重试",
    ),
    Reason.SHEET_FULL: (
        "{path}: sheet {sheet} has room for {free:,} more rows below its data, and {rows:,} "
        "are to be added (Excel's last row is 1,048,576); nothing was written. Move older rows "
        "to another workbook to make room",
        "{path}：工作表 {sheet} 的数据下方只剩 {free:,} 行，而需追加 {rows:,} 行（Excel 最多 1,048,576 "
        "行）；未写入任何内容。请把较早的记录移到另一个工作簿以腾出空间",
    ),
    # --- orders and contacts kept outside the workbook ---------------------------------
    Reason.SOURCE_NOT_FOUND: (
        "Settings {setting} names {path}, which does not exist (paths are relative to the "
        "workbook's folder, {folder}); nothing was written",
        "设置项 {setting} 指向 {path}，但它不存在（路径相对于工作簿所在文件夹 {folder}）；"
        "未写入任何内容",
    ),
    Reason.SOURCE_KIND: (
        "Settings {setting} names {path}: expected a CSV or Parquet file (.csv, .parquet), a "
        "folder of them, or a DuckDB database (.duckdb); nothing was written",
        "设置项 {setting} 指向 {path}：应为 CSV 或 Parquet 文件（.csv、.parquet）、存放这些文件的"
        "文件夹，或 DuckDB 数据库（.duckdb）；未写入任何内容",
    ),
    Reason.SOURCE_MIXED: (
        "Settings {setting} names the folder {path}, which holds both CSV and Parquet files: "
        "keep one kind in it; nothing was written",
        "设置项 {setting} 指向的文件夹 {path} 中同时有 CSV 和 Parquet 文件：请只保留一种；"
        "未写入任何内容",
    ),
    Reason.SOURCE_UNREADABLE: (
        "{path} (Settings {setting}) cannot be read ({detail}); nothing was written",
        "无法读取 {path}（设置项 {setting}）（{detail}）；未写入任何内容",
    ),
    Reason.SOURCE_NO_TABLE: (
        "the DuckDB database {path} (Settings {setting}) has no table {expected}; its "
        "tables: {found}; nothing was written",
        "DuckDB 数据库 {path}（设置项 {setting}）中没有 {expected} 表；其中的表为：{found}；"
        "未写入任何内容",
    ),
    Reason.SOURCE_NOT_SET: (
        "{what} needs Settings {setting}: type there the file, folder or DuckDB database "
        "(relative to the workbook's folder) that keeps the orders; nothing was written",
        "{what}需要设置项 {setting}：请在此填写存放订单的文件、文件夹或 DuckDB 数据库"
        "（路径相对于工作簿所在文件夹）；未写入任何内容",
    ),
    Reason.SOURCE_MORE_PROBLEMS: (
        "… and {count} more rows with problems",
        "……另有 {count} 行有问题",
    ),
    Reason.ARCHIVE_LAYOUT: (
        "{path}: the Orders sheet {sheet} cannot be archived safely ({detail}); nothing was "
        "written",
        "{path}：订单表 {sheet} 无法安全归档（{detail}）；未写入任何内容",
    ),
    # --- the call list loop ------------------------------------------------------
    Reason.CALL_UNKNOWN_OUTCOME: (
        "Unknown outcome {value!r}: use one of {choices}",
        "无法识别的结果“{value}”：请使用 {choices}",
    ),
    Reason.CALL_BAD_DATE: ("NextFollowUp {value!r} is not a date", "下次跟进“{value}”不是日期"),
    Reason.CALL_UNKNOWN_CUSTOMER: (
        "Customer {value!r} is not on the Customers sheet",
        "客户“{value}”不在客户表中",
    ),
    Reason.CALL_NO_CUSTOMER_ID: (
        "no customer ID on this row, so the call could not be logged: type the customer's "
        "ID in CustomerID",
        "此行没有客户编号，无法记录：请在“客户编号”列填写",
    ),
    Reason.CALL_NO_ID_COLUMN: (
        "the CustomerID column was missing from the call list, so this call could not be "
        "logged: type the customer's ID in CustomerID",
        "呼叫清单缺少“客户编号”列，此行无法记录：请在“客户编号”列填写客户编号",
    ),
}

_WHERE = {
    "en": ("Sheet '{sheet}'", "row {row}", "column '{column}'"),
    "zh-CN": ("工作表「{sheet}」", "第 {row} 行", "「{column}」列"),
}


#: English phrases that callers pass as ``expected`` (settings checks), in Chinese
_ZH_EXPECTED: Mapping[str, str] = {
    "a date": "日期",
    "a number": "数字",
    "a whole number": "整数",
    "zh-CN or en": "zh-CN 或 en",
    "CN8 or EN11": "CN8 或 EN11",
    "between 0 and 1": "在 0 与 1 之间",
    "zero or more": "大于或等于 0",
    "at least 1": "至少为 1",
    "Y or N": "Y 或 N",
    "Mon-Fri, Mon-Sat or all": "Mon-Fri、Mon-Sat 或 all",
    "Auto, BGNBD, MBGNBD or ParetoNBD": "Auto、BGNBD、MBGNBD 或 ParetoNBD",
    "CLV or Score": "CLV 或 Score",
    "TierBasis Score needs a tier weight above 0": "TierBasis 为 Score 时至少一个权重须大于 0",
    "a whole number of days, at least 1": "至少为 1 的整数天数",
}


#: kinds of files that are not workbooks CustomerBook reads (``kind`` of OTHER_FORMAT)
FILE_KINDS: Mapping[str, tuple[str, str]] = {
    "xls": ("an Excel 97-2003 workbook (.xls)", " Excel 97-2003 工作簿（.xls）"),
    "xlsb": ("an Excel binary workbook (.xlsb)", " Excel 二进制工作簿（.xlsb）"),
    "et": ("a WPS spreadsheet (.et)", " WPS 表格（.et）"),
    "ods": ("an OpenDocument spreadsheet (.ods)", " OpenDocument 电子表格（.ods）"),
    "numbers": ("a Numbers spreadsheet (.numbers)", " Numbers 表格（.numbers）"),
    "csv": ("a text file of values (CSV)", "文本数据文件（CSV）"),
    "strict": ("a workbook saved as Strict Open XML", "以“Strict Open XML”格式保存的工作簿"),
}


class Said(tuple):
    """A detail said in both languages: ``Said(en, zh)``; a message picks its language's."""

    def __new__(cls, en: str, zh: str) -> Said:
        return super().__new__(cls, (en, zh))

    def __str__(self) -> str:
        return self[0]


def render_message(code: Reason | str, lang: str = "en", **params: Any) -> str:
    """Render the catalogue entry ``code`` in ``lang`` (``en`` or ``zh-CN``)."""
    en, zh = MESSAGES[Reason(code)]
    template = zh if lang == "zh-CN" else en
    params = {k: (v[lang == "zh-CN"] if isinstance(v, Said) else v) for k, v in params.items()}
    if lang == "zh-CN" and isinstance(params.get("expected"), str):
        params["expected"] = _ZH_EXPECTED.get(params["expected"], params["expected"])
    if params.get("kind") in FILE_KINDS:
        params["kind"] = FILE_KINDS[params["kind"]][lang == "zh-CN"]
    try:
        return template.format(**params)
    except (KeyError, IndexError):  # a missing field must never hide the real problem
        return f"{template} {params}"


class CustomerBookError(ValueError):
    """Base of every error a user can cause. ``render(lang)`` gives the message.

    ``lang`` is the workbook's language when the raiser knew it (``None``: not yet known,
    e.g. a file that cannot be opened; the CLI then prints both languages).
    """

    code: Reason = Reason.CORRUPT
    lang: str | None = None

    def __init__(self, code: Reason | str, *, lang: str | None = None, **params: Any) -> None:
        self.code = Reason(code)
        self.params = params
        self.lang = lang
        super().__init__(self.render("en"))

    def render(self, lang: str | None = None) -> str:
        return render_message(self.code, lang or self.lang or "en", **self.params)

    def localise(self, lang: str) -> CustomerBookError:
        """Say it in ``lang`` from now on, unless the raiser already chose a language."""
        if self.lang is None:
            self.lang = lang
        return self

    def __str__(self) -> str:
        return self.render(self.lang or "en")


class BookError(CustomerBookError):
    """A problem with the file as a whole: missing, not a workbook, encrypted, damaged."""


class InputError(CustomerBookError):
    """A problem at one place in the workbook.

    ``row`` is the row number Excel shows (1-based), ``column`` the header text as the
    user typed it; either may be ``None`` when the problem is with a whole sheet/column.
    """

    def __init__(
        self,
        sheet: str,
        row: int | None,
        column: str | None,
        code: Reason | str,
        **params: Any,
    ) -> None:
        self.sheet = sheet
        self.row = row
        self.column = column
        super().__init__(code, **params)

    def render(self, lang: str | None = None) -> str:
        lang = lang or self.lang or "en"
        sheet_t, row_t, col_t = _WHERE["zh-CN" if lang == "zh-CN" else "en"]
        where = [sheet_t.format(sheet=self.sheet)]
        if self.row is not None:
            where.append(row_t.format(row=self.row))
        if self.column is not None:
            where.append(col_t.format(column=self.column))
        sep, colon = ("", "：") if lang == "zh-CN" else (", ", ": ")
        return sep.join(where) + colon + render_message(self.code, lang, **self.params)


class InputErrors(CustomerBookError):
    """Every problem found in one run, so a user can fix them all at once (the message
    lists the first :attr:`SHOWN` and counts the rest)."""

    SHOWN = 200

    def __init__(self, errors: Iterable[InputError], lang: str | None = None) -> None:
        self.errors = list(errors)
        super().__init__(Reason.CORRUPT, lang=lang)

    def render(self, lang: str | None = None) -> str:
        lang = lang or self.lang or "en"
        if not self.errors:
            return ""
        n = len(self.errors)
        head = (f"发现 {n:,} 处问题，未写入任何内容：" if lang == "zh-CN"
                else f"{n:,} problem(s) found; nothing was written:")
        lines = [head, *("  - " + e.render(lang) for e in self.errors[:self.SHOWN])]
        if n > self.SHOWN:
            rest = n - self.SHOWN
            lines.append(f"  … 另有 {rest:,} 处问题未列出" if lang == "zh-CN"
                         else f"  … and {rest:,} more not listed here")
        return "\n".join(lines)


class Problems:
    """The one collector of a run's input problems (in the order they were found).

    Readers ``add`` what they find and go on; the run then calls :meth:`raise_if_any`,
    which raises one :class:`InputErrors` holding them all in the book's language.
    :meth:`warn` keeps what the user should know but that does not stop the run (an
    unknown Settings key, say): :attr:`warnings`, shown by the command line and on the
    Dashboard.
    """

    def __init__(self, lang: str | None = None) -> None:
        self.lang = lang
        self._found: list[InputError] = []
        self.warnings: list[InputError] = []

    def warn(self, sheet: str, row: int | None, column: str | None, code: Reason | str,
             **params: Any) -> InputError:
        note = InputError(sheet, row, column, code, **params)
        self.warnings.append(note)
        return note

    def add(self, sheet: str, row: int | None, column: str | None, code: Reason | str,
            **params: Any) -> InputError:
        err = InputError(sheet, row, column, code, **params)
        self._found.append(err)
        return err

    def append(self, err: InputError) -> None:
        self._found.append(err)

    def extend(self, errs: Iterable[InputError]) -> None:
        self._found.extend(errs)

    def __len__(self) -> int:
        return len(self._found)

    def __iter__(self) -> Iterator[InputError]:
        return iter(self._found)

    def __bool__(self) -> bool:
        return bool(self._found)

    def since(self, mark: int) -> list[InputError]:
        """What was added after ``len(self)`` was ``mark``."""
        return self._found[mark:]

    def raise_if_any(self) -> None:
        if self._found:
            raise InputErrors(self._found, self.lang)
