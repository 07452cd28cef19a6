"""One exception family for everything a user can get wrong.

Every error is a :class:`CustomerBookError` (a ``ValueError``) and renders itself in
the workbook's language with :meth:`CustomerBookError.render`. The doors catch this
family once: the CLI prints the message and exits 2, a macro shows it, a UDF returns an
Excel-style error string. Nothing else is ever shown to a user as a traceback.

Messages are keyed by a code so that tests can match the code and both languages stay
in step; ``MESSAGES`` holds the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MESSAGES",
    "BookError",
    "CustomerBookError",
    "InputError",
    "InputErrors",
    "render_message",
]

#: code -> (English, 简体中文). Placeholders are ``str.format`` fields.
MESSAGES: Mapping[str, tuple[str, str]] = {
    # --- cell and column problems -------------------------------------------------
    "missing_sheet": (
        "the sheet is missing (expected a sheet named {expected})",
        "缺少工作表（应有名为 {expected} 的工作表）",
    ),
    "missing_column": (
        "required column is missing (expected one of {expected}; found {found})",
        "缺少必填列（应为 {expected} 之一；实际列为 {found}）",
    ),
    "duplicate_column": (
        "the column appears twice (columns {first} and {second})",
        "该列出现了两次（第 {first} 列和第 {second} 列）",
    ),
    "no_header": (
        "the sheet has no header row",
        "工作表没有标题行",
    ),
    "required_blank": (
        "a value is required here but the cell is blank",
        "此处必须填写，但单元格为空",
    ),
    "not_a_number": (
        "expected a number, found {value!r}",
        "应为数字，实际为“{value}”",
    ),
    "not_a_date": (
        "expected a date (an Excel date, 2026-03-05, 2026/3/5 or 2026年3月5日), found {value!r}",
        "应为日期（Excel 日期、2026-03-05、2026/3/5 或 2026年3月5日），实际为“{value}”",
    ),
    "not_yes_no": (
        "expected Y or N, found {value!r}",
        "应为 Y 或 N（是/否），实际为“{value}”",
    ),
    "not_in_choices": (
        "expected one of {choices}, found {value!r}",
        "应为 {choices} 之一，实际为“{value}”",
    ),
    "error_value": (
        "the cell holds the Excel error {value}",
        "单元格含有 Excel 错误值 {value}",
    ),
    "merged_cells": (
        "cells {ref} are merged; unmerge them and fill in every row",
        "单元格 {ref} 为合并单元格；请取消合并并逐行填写",
    ),
    "duplicate_id": (
        "customer ID {value!r} appears more than once (first at row {first_row})",
        "客户编号“{value}”重复出现（首次出现在第 {first_row} 行）",
    ),
    "unknown_customer": (
        "customer ID {value!r} is not on the Customers sheet",
        "客户编号“{value}”不在客户表中",
    ),
    "number_too_large": (
        "the number {value} is too large for an amount",
        "数值 {value} 过大，不是有效金额",
    ),
    "date_out_of_range": (
        "the date {value} is outside the years 1900-2200",
        "日期 {value} 超出 1900–2200 年范围",
    ),
    "missing_rfm_rows": (
        "the RFM rules grid needs one row for each R score 1-5; missing: {rows}",
        "RFM 规则表需要 R 分 1–5 各一行；缺少：{rows}",
    ),
    # --- settings ----------------------------------------------------------------
    "unknown_setting_value": (
        "setting {key} expects {expected}, found {value!r}",
        "设置项 {key} 应为 {expected}，实际为“{value}”",
    ),
    "setting_out_of_range": (
        "setting {key} must be {expected}, found {value!r}",
        "设置项 {key} 必须{expected}，实际为“{value}”",
    ),
    "settings_inconsistent": (
        "settings {key} and {other} are inconsistent: {expected}",
        "设置项 {key} 与 {other} 不一致：{expected}",
    ),
    # --- the file ----------------------------------------------------------------
    "file_not_found": ("the file {path} does not exist", "文件 {path} 不存在"),
    "not_a_workbook": (
        "{path} is not an Excel workbook (.xlsx or .xlsm)",
        "{path} 不是 Excel 工作簿（.xlsx 或 .xlsm）",
    ),
    "encrypted": (
        "{path} is password-protected; remove the password in Excel and try again",
        "{path} 设有密码保护；请先在 Excel 中取消密码再试",
    ),
    "corrupt": (
        "{path} is damaged or incomplete ({detail})",
        "{path} 已损坏或不完整（{detail}）",
    ),
    "too_large": (
        "{path} is too large to read safely ({detail})",
        "{path} 过大，无法安全读取（{detail}）",
    ),
    "changed_on_disk": (
        "{path} was changed by someone else while CustomerBook was working; nothing was "
        "written. Close it in Excel and run again",
        "CustomerBook 运行期间 {path} 被其他程序修改；未写入任何内容。请在 Excel 中关闭后重试",
    ),
    "unsupported_extension": (
        "{path}: output must be .xlsx or .xlsm, matching the input",
        "{path}：输出文件须为 .xlsx 或 .xlsm，并与输入一致",
    ),
    "bad_as_of": (
        "--as-of expects a date like 2026-03-05, found {value!r}",
        "--as-of 应为 2026-03-05 形式的日期，实际为“{value}”",
    ),
    "unsupported_layout": (
        "{path}: CustomerBook cannot write into this layout ({detail}); nothing was written",
        "{path}：CustomerBook 无法写入此布局（{detail}）；未写入任何内容",
    ),
    "io_error": (
        "{path}: {detail}; nothing was written (is the file open in another program, or "
        "the disk full?)",
        "{path}：{detail}；未写入任何内容（文件是否正在其他程序中打开，或磁盘已满？）",
    ),
    "unexpected": (
        "CustomerBook stopped because of an unexpected problem ({detail}); nothing was "
        "changed. Please report this message",
        "CustomerBook 因意外问题停止（{detail}）；未做任何修改。请报告此消息",
    ),
    "unexpected_while_writing": (
        "CustomerBook stopped while writing the results ({detail}); the input sheets are "
        "as they were, some output sheets may be incomplete: run it again",
        "CustomerBook 在写入结果时停止（{detail}）；输入表未受影响，部分结果表可能不完整：请重新运行",
    ),
    "table_has_totals": (
        "the table {table} has a totals row; CustomerBook cannot append below it",
        "表格 {table} 含有汇总行，无法在其下方追加记录",
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
}


def render_message(code: str, lang: str = "en", **params: Any) -> str:
    """Render the catalogue entry ``code`` in ``lang`` (``en`` or ``zh-CN``)."""
    en, zh = MESSAGES[code]
    template = zh if lang == "zh-CN" else en
    if lang == "zh-CN" and isinstance(params.get("expected"), str):
        params["expected"] = _ZH_EXPECTED.get(params["expected"], params["expected"])
    try:
        return template.format(**params)
    except (KeyError, IndexError):  # a missing field must never hide the real problem
        return f"{template} {params}"


class CustomerBookError(ValueError):
    """Base of every error a user can cause. ``render(lang)`` gives the message."""

    code: str = "corrupt"

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.render("en"))

    def render(self, lang: str = "en") -> str:
        return render_message(self.code, lang, **self.params)


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
        code: str,
        **params: Any,
    ) -> None:
        self.sheet = sheet
        self.row = row
        self.column = column
        super().__init__(code, **params)

    def render(self, lang: str = "en") -> str:
        sheet_t, row_t, col_t = _WHERE["zh-CN" if lang == "zh-CN" else "en"]
        where = [sheet_t.format(sheet=self.sheet)]
        if self.row is not None:
            where.append(row_t.format(row=self.row))
        if self.column is not None:
            where.append(col_t.format(column=self.column))
        sep, colon = ("", "：") if lang == "zh-CN" else (", ", ": ")
        return sep.join(where) + colon + render_message(self.code, lang, **self.params)


class InputErrors(CustomerBookError):
    """Every problem found in one run, so a user can fix them all at once."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors = list(errors)
        super().__init__("corrupt")

    def render(self, lang: str = "en") -> str:
        if not self.errors:
            return ""
        head = (
            f"发现 {len(self.errors)} 处问题，未写入任何内容："
            if lang == "zh-CN"
            else f"{len(self.errors)} problem(s) found; nothing was written:"
        )
        return "\n".join([head, *("  - " + e.render(lang) for e in self.errors)])
