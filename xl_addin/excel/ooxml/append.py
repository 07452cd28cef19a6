"""Appending rows below the data of an existing sheet, and its Table if named.

The new rows go where the data ends (the last row with a value inside the Table, or on
the sheet), take the styles of the row above (or of their column), and fill rows that
exist but are empty there; cells outside the appended columns are kept. The sheet's
dimension and autoFilter, or the Table, grow to cover them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import BookError, Reason
from .book import Sheet, Table, TableInfo, corrupt, too_large, unsupported_layout
from .cells import Columns, emit_cells
from .changes import Changes
from .refs import MAX_COLS, MAX_ROWS, col_letter, parse_ref, ref
from .table import update_table
from .worksheet import col_style, col_styles, parse_cells
from .xmltext import attr, drop_attr, root_prefix, set_attr, sub_first, to_int

__all__ = ["Append", "append_rows"]

#: a row found in sheetData: (row number, start, end, start-tag attrs, inner XML or None)
_Row = tuple[int, int, int, str, str | None]


@dataclass
class Append:
    """Rows to add below the data of an existing sheet (and its Table, if named).

    Each row's values are aligned to the sheet's columns starting at the table's first
    column (column A when there is no table).
    """

    sheet: str
    rows: Sequence[Sequence[Any]]
    table: str | None = None


def _named_table(ch: Changes, ap: Append, sheet: Sheet) -> TableInfo | None:
    pkg = ch.pkg
    if ap.table is None:
        return None
    assert sheet.part is not None
    table = None
    key = ap.table.casefold()
    for t in pkg.tables_on(sheet.part):
        if t.info.name.casefold() == key:
            table = t.info
    if table is None:
        raise unsupported_layout(pkg.path, f"sheet {sheet.name} has no table named {ap.table}",
                                 f"工作表 {sheet.name} 上没有名为 {ap.table} 的表格")
    if table.totals_rows:
        raise BookError("table_has_totals", path=str(pkg.path), table=table.name)
    return table


def append_rows(ch: Changes, text: str, ap: Append, sheet: Sheet) -> str:
    """``text`` (the XML of ``sheet``) with the rows of ``ap`` appended."""
    pkg = ch.pkg
    p = root_prefix(text, "worksheet")
    rows = [list(r) for r in ap.rows]
    for r in ap.rows:
        if isinstance(r, (str, bytes)):
            raise TypeError(f"append to {ap.sheet}: each row must be a sequence of values")
    if not rows:
        return text
    assert sheet.part is not None
    table = _named_table(ch, ap, sheet)
    m_open = re.search(rf"<{p}sheetData(?=[\s/>])[^>]*?(/?)>", text)
    if m_open is None:
        raise corrupt(pkg.path, f"{sheet.part} has no <sheetData>", f"{sheet.part} 缺少 <sheetData>")
    if m_open[1]:
        body_start = body_end = m_open.end()
    else:
        body_start = m_open.end()
        body_end = text.find(f"</{p}sheetData>", body_start)
        if body_end < 0:
            raise corrupt(pkg.path, f"{sheet.part}: <sheetData> is not closed",
                          f"{sheet.part} 的 <sheetData> 没有结束标记")
    body = text[body_start:body_end]
    found: list[_Row] = []
    n = 0
    for m in re.finditer(rf"<{p}row(?=[\s/>])([^>]*?)(?:/>|>(.*?)</{p}row>)", body, re.S):
        r = attr(m[1], "r")
        n = int(r) if r and r.isdigit() else n + 1
        found.append((n, m.start(), m.end(), m[1], m[2]))
    cells_of: dict[int, list[tuple[int, str, str, bool]]] = {}

    def cells(k: int) -> list[tuple[int, str, str, bool]]:
        if k not in cells_of:
            cells_of[k] = parse_cells(found[k][4] or "", p)
        return cells_of[k]

    width = max(len(r) for r in rows)
    if table is not None:
        pr = parse_ref(table.ref)
        if pr is None:
            raise corrupt(pkg.path, f"table {table.name} has a bad ref {table.ref!r}",
                          f"表格 {table.name} 的区域 {table.ref!r} 有误")
        c1, tr1, c2, tr2 = pr
        if width > c2 - c1 + 1:
            raise ValueError(f"append to table {table.name}: rows have {width} values "
                             f"but the table has {c2 - c1 + 1} columns")
        width = c2 - c1 + 1
        first_data = tr1 + table.header_rows
        last_val = first_data - 1
        for k in range(len(found) - 1, -1, -1):
            rn = found[k][0]
            if rn > tr2:
                continue
            if rn < first_data:
                break
            if any(h and c1 <= c <= c2 for c, _a, _r, h in cells(k)):
                last_val = rn
                break
        style_row = max(last_val, first_data)
    else:
        c1 = 1
        if width > MAX_COLS:
            raise too_large(pkg.path, f"append to {sheet.name}: {width:,} columns",
                            f"追加到 {sheet.name}：{width:,} 列")

        def valued(k: int) -> bool:
            return any(h for *_x, h in cells(k))

        last_k = next((k for k in range(len(found) - 1, -1, -1) if valued(k)), None)
        first_k = next((k for k in range(len(found)) if valued(k)), None)
        last_val = found[last_k][0] if last_k is not None else 0
        header_row = found[first_k][0] if first_k is not None else 0
        style_row = last_val if last_val > header_row else 0
    start = last_val + 1
    end = start + len(rows) - 1
    if end > MAX_ROWS:  # not a file too large to read: a sheet with no room left
        raise BookError(Reason.SHEET_FULL, path=str(pkg.path), sheet=sheet.name,
                        rows=len(rows), free=max(MAX_ROWS - last_val, 0))
    cl = c1 + width - 1
    # the rows we fill must be empty where we write
    in_range = [k for k in range(len(found)) if start <= found[k][0] <= end]
    for k in in_range:
        for c, _a, _raw, has in cells(k):
            if has and c1 <= c <= cl:
                raise unsupported_layout(pkg.path, f"cannot append to {sheet.name}: cell "
                                                   f"{col_letter(c)}{found[k][0]} below the "
                                                   "data is not empty",
                                         f"无法追加到 {sheet.name}：数据下方的单元格 "
                                         f"{col_letter(c)}{found[k][0]} 不是空的")
    # styles: the cell above (the last data row), else the column style
    above: dict[int, int] = {}
    for k in range(len(found)):
        if found[k][0] == style_row:
            above = {c: max(to_int(attr(a, "s")), 0) for c, a, _r, _h in cells(k)}
    ranges = col_styles(text[:m_open.start()], p)
    styles = []
    for j in range(width):
        s = above.get(c1 + j)
        if s is None:
            s = col_style(ranges, c1 + j) or 0
        styles.append(s)
    cols = Columns(p, c1, styles, ch.styles, pkg.date1904)
    existing = {found[k][0]: k for k in in_range}
    pieces = []
    for i, vals in enumerate(rows):
        rnum = start + i
        rn = str(rnum)
        out: list[str] = []
        emit_cells(list(vals) + [None] * (width - len(vals)), rn, cols, out)
        k = existing.get(rnum)
        left: list[str] = []
        right: list[str] = []
        attrs = f' r="{rn}"'
        if k is not None:
            attrs = drop_attr(found[k][3], "spans")
            for c, a, raw, _h in cells(k):
                if c1 <= c <= cl:
                    continue
                if attr(a, "r") is None:
                    raw = f'<{p}c r="{col_letter(c)}{rn}"' + raw[len(p) + 2:]
                (left if c < c1 else right).append(raw)
        pieces.append(f"<{p}row{attrs}>{''.join(left)}{''.join(out)}{''.join(right)}"
                      f"</{p}row>")
    new_rows = "".join(pieces)
    if in_range:
        a, z = found[in_range[0]][1], found[in_range[-1]][2]
    else:
        after = [found[k][1] for k in range(len(found)) if found[k][0] > end]
        a = z = after[0] if after else len(body)
    body = body[:a] + new_rows + body[z:]

    prefix = text[:m_open.start()]
    dm = re.search(rf"<{p}dimension(?=[\s/>])[^>]*>", prefix)
    if dm:
        old = parse_ref(attr(dm[0], "ref") or "") or (c1, start, cl, end)
        new_dim = ref(min(old[0], c1), min(old[1], start), max(old[2], cl), max(old[3], end))
        prefix = prefix[:dm.start()] + set_attr(dm[0], "ref", new_dim) + prefix[dm.end():]
    if m_open[1]:
        suffix = text[m_open.end():]
    else:
        suffix = text[body_end + len(f"</{p}sheetData>"):]
    if table is not None:
        _grow_table(ch, table, end, len(rows), start)
    else:
        suffix = _grow_autofilter(suffix, p, end)
        ch.notes.append(f"sheet {sheet.name}: {len(rows)} row(s) appended at row {start}")
    return f"{prefix}<{p}sheetData>{body}</{p}sheetData>{suffix}"


def _grow_table(ch: Changes, table: TableInfo, end: int, n: int, start: int) -> None:
    """The Table extended down to row ``end``; later appends in the run see it."""
    pkg = ch.pkg
    pr = parse_ref(table.ref)
    assert pr is not None
    new_ref = ref(pr[0], pr[1], pr[2], max(pr[3], end), single=False)
    ch.tables[table.part] = update_table(ch.table_xml(table.part), new_ref, None, pkg.path,
                                         table.part)
    ch.notes.append(f"table {table.name}: ref {table.ref} -> {new_ref} "
                    f"({n} row(s) appended at row {start})")
    idx = pkg.tables.index(next(t for t in pkg.tables if t.info.part == table.part))
    pkg.tables[idx] = Table(
        TableInfo(table.name, table.sheet, new_ref, table.header_rows,
                  table.totals_rows, table.part), pkg.tables[idx].sheet_part)


def _grow_autofilter(suffix: str, p: str, end: int) -> str:
    """The sheet's autoFilter (not one inside extLst) extended down to row ``end``."""
    stop = suffix.find(f"<{p}extLst")

    def grow(tag: str) -> str:
        r = parse_ref(attr(tag, "ref") or "")
        if r is None:
            return tag
        return set_attr(tag, "ref", ref(r[0], r[1], r[2], max(r[3], end), single=False))

    return sub_first(rf"<{p}autoFilter(?=[\s/>])[^>]*>", suffix, grow,
                     None if stop < 0 else stop)
