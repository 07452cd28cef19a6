"""Output sheets: a worksheet (re)written from A1 with new rows.

An existing sheet keeps everything but its rows: the header cells take the styles of
its row 1, the data cells the style of their column (or of the old row 2), and an Excel
Table on it follows the new extent; the charts drawn on it can be cut to the rows
written. A new sheet gets the layout of a layout book's sheet (:mod:`.layout`), or else
a frozen header row in bold and a number format per column kind. Rows may have heights
of their own (wrapped text shows whole), and cells formats of their own (the Dashboard's
blocks). The rows are rendered and deflated into the side file while the next ones are
made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ... import forked
from ...errors import BookError, Reason
from .book import Sheet, Table, too_large, unsupported_layout
from .cells import Columns, rows_xml
from .changes import Changes
from .charts import chart_parts, cut_chart_ranges, edit_formulas
from .layout import LayoutSheet, transplant
from .refs import KIND_NUMFMT, KINDS_HELP, MAX_COLS, MAX_ROWS, parse_ref, ref
from .styles import Styles
from .table import table_names, update_table
from .worksheet import (
    col_style,
    col_styles,
    head_styles,
    new_sheet_prefix,
    set_row_breaks,
    sheet_end,
    split_sheet,
)
from .xmltext import attr, set_attr, sub_first, truthy
from .zipout import Piece, deflate_piece

__all__ = ["OutputSheet", "write_output"]


@dataclass
class OutputSheet:
    """A sheet that :func:`~xl_addin.excel.ooxml.write_book` (re)writes from A1.

    ``rows`` holds row 1 first (the header when ``header`` is true). Values may be
    ``None``/NaN/NaT (empty cell), ``str`` (always stored as text, never as a formula),
    ``bool``, ``int``, ``float``, numpy scalars, ``Decimal``, ``datetime.date``,
    ``datetime.datetime`` or pandas ``Timestamp``. ``kinds`` (per column: ``text``,
    ``id``, ``int``, ``number``, ``money``, ``percent``, ``date``; ``yn``/``abc``/
    ``outcome`` count as text) chooses the number format where the sheet has no style of
    its own for the column. ``widths`` are used only when the sheet is created.
    """

    name: str
    rows: Iterable[Sequence[Any]]
    kinds: Sequence[str] | None = None
    widths: Sequence[float] | None = None
    header: bool = True
    #: manual page breaks: a new printed page starts after each of these Excel rows;
    #: None keeps the sheet's own breaks, [] removes them
    row_breaks: Sequence[int] | None = None
    #: height in points of every data row (None: the default height)
    row_height: float | None = None
    #: height in points of each data row (None or a missing entry: ``row_height``)
    row_heights: Sequence[float | None] | None = None
    #: the kind of single cells, row by row from row 1 (None: the column's style);
    #: ``heading`` is bold text
    cell_kinds: Sequence[Sequence[str | None]] | None = None
    #: rows used by each block of this sheet a chart on it reads, ``{first row: rows}``:
    #: a chart series over a column from that row is cut to that many rows (no empty
    #: category slots); None leaves the charts as they are
    chart_rows: Mapping[int, int] | None = None
    #: the layout a created sheet gets (view, columns, print setup, validations,
    #: conditional formats, charts): a sheet of a layout book; None: a minimal layout
    layout: LayoutSheet | None = None


def _kind_styles(ch: Changes, kinds: Sequence[str] | None,
                 ncols: int) -> Callable[[], list[int]]:
    """The cell format of each column's kind, made (and added to styles) on first call."""
    if kinds is not None:
        for k in kinds:
            if (k or "text") not in KIND_NUMFMT:
                raise ValueError(f"unknown column kind {k!r}; expected one of {KINDS_HELP}")
    cache: list[list[int]] = []

    def get() -> list[int]:
        if not cache:
            out = []
            for j in range(ncols):
                kind = kinds[j] if kinds is not None and j < len(kinds) else None
                nf = KIND_NUMFMT[kind or "text"]
                out.append(ch.styles.xf_for(nf) if nf else 0)
            cache.append(out)
        return cache[0]

    return get


def _existing_styles(ch: Changes, o: OutputSheet, prefix: str, head: str, p: str,
                     ncols: int, kinds_s: Callable[[], list[int]]
                     ) -> tuple[list[int], list[int]]:
    """Header and data cell formats from an existing sheet's columns and rows 1 and 2."""
    ranges = col_styles(prefix, p)
    probe = head_styles(head, p)
    first_data = 2 if o.header else 1
    row1, rowd = probe.get(1, {}), probe.get(first_data, {})
    head_s = []
    if o.header:
        last = None
        for j in range(ncols):
            s = row1.get(j + 1)
            if s is None:
                s = last if last is not None else (ch.styles.bold() if not row1 else 0)
            head_s.append(s)
            last = s
    data_s = []
    ks: list[int] | None = None
    for j in range(ncols):
        s = col_style(ranges, j + 1)
        if s is None:
            s = rowd.get(j + 1) or None  # a cell without a style has none to keep
        if s is None:
            ks = ks if ks is not None else kinds_s()
            s = ks[j]
        data_s.append(s)
    return head_s, data_s


def _follow_table(ch: Changes, o: OutputSheet, tables: list[Table], rows: list[Any],
                  ncols: int) -> int:
    """Resize the Table on an output sheet to the new rows; the last row it covers."""
    pkg = ch.pkg
    if len(tables) > 1:
        raise unsupported_layout(pkg.path, f"sheet {o.name} holds {len(tables)} tables; "
                                           "an output sheet may hold at most one",
                                 f"工作表 {o.name} 含有 {len(tables)} 个表格；"
                                 "结果表最多只能有一个")
    t = tables[0].info
    pr = parse_ref(t.ref)
    if pr is None or pr[:2] != (1, 1):
        raise unsupported_layout(pkg.path, f"table {t.name} on sheet {o.name} starts at "
                                           f"{t.ref.split(':')[0]}; it must start at A1",
                                 f"工作表 {o.name} 上的表格 {t.name} 从 "
                                 f"{t.ref.split(':')[0]} 开始；它必须从 A1 开始")
    if t.totals_rows:  # an output Table is rewritten, not appended to: say that
        raise BookError(Reason.OUTPUT_TABLE_TOTALS, path=str(pkg.path), table=t.name,
                        sheet=o.name)
    if bool(t.header_rows) != bool(o.header) or not rows or not ncols:
        raise unsupported_layout(pkg.path, f"table {t.name} on sheet {o.name} needs a "
                                           "header row and CustomerBook writes one only "
                                           "with header=True",
                                 f"工作表 {o.name} 上的表格 {t.name} 需要标题行")
    header = list(rows[0]) + [None] * (ncols - len(rows[0]))
    names = table_names(header)
    rows[0] = names
    end = max(len(rows), 2)
    new_ref = ref(1, 1, ncols, end, single=False)
    ch.tables[t.part] = update_table(ch.table_xml(t.part), new_ref, names, pkg.path, t.part)
    ch.notes.append(f"table {t.name}: ref {t.ref} -> {new_ref}")
    return end


def _row_height(head: str, p: str, row: int) -> float | None:
    """The custom height of row ``row`` among the old rows ``head`` (None: default)."""
    for m in re.finditer(rf"<{p}row(?=[\s/>])([^>]*)>", head):
        if attr(m[1], "r") == str(row):
            ht = attr(m[1], "ht")
            try:
                return float(ht) if ht and truthy(attr(m[1], "customHeight")) else None
            except ValueError:
                return None
    return None


def _cut_charts(ch: Changes, sheet: Sheet, rows: Mapping[int, int]) -> None:
    """Cut the series of the charts drawn on ``sheet`` to the rows its blocks hold."""
    assert sheet.part is not None
    for part in chart_parts(ch.pkg, sheet.part):
        text = ch.pkg.text(part)
        new = edit_formulas(text, lambda f: cut_chart_ranges(f, sheet.name, rows))
        if new != text:
            ch.changed[part] = new.encode("utf-8", "surrogateescape")


def _cell_kind_styles(ch: Changes, kinds: Sequence[Sequence[str | None]], base: list[int],
                      first: int, p: str) -> Callable[[int], Columns]:
    """Columns for row ``i`` (0: row ``first``) with the formats of its cells' kinds."""
    st = ch.styles
    xf: dict[str, int] = {}
    cache: dict[tuple[int, ...], Columns] = {}

    def style(kind: str) -> int:
        if kind not in xf:
            if kind == "heading":
                xf[kind] = st.bold()
            elif kind in KIND_NUMFMT:
                nf = KIND_NUMFMT[kind]
                xf[kind] = st.xf_for(nf) if nf else 0
            else:
                raise ValueError(f"unknown cell kind {kind!r}; expected heading or one of "
                                 f"{KINDS_HELP}")
        return xf[kind]

    def get(i: int) -> Columns:
        row = kinds[first + i] if first + i < len(kinds) else ()
        key = tuple(style(row[j]) if j < len(row) and row[j] else base[j]  # type: ignore[arg-type]
                    for j in range(len(base)))
        if key not in cache:
            cache[key] = Columns(p, 1, list(key), st, ch.pkg.date1904)
        return cache[key]

    return get


def write_output(ch: Changes, o: OutputSheet, sheet: Sheet | None,
                 new_part: str | None, index: int | None = None) -> None:
    """Render ``o`` into the side file: over ``sheet``, or as the new part ``new_part``
    (the ``index``-th sheet of the book, counted from 0)."""
    pkg = ch.pkg
    rows = list(o.rows)
    for r in rows:
        if isinstance(r, (str, bytes)) or not isinstance(r, Sequence):
            raise TypeError(f"sheet {o.name}: each row must be a sequence of values, "
                            f"not {type(r).__name__}")
    nrows = len(rows)
    ncols = max(map(len, rows), default=0)
    if nrows > MAX_ROWS:
        raise too_large(pkg.path, f"sheet {o.name} would have {nrows:,} rows "
                                  f"(Excel's limit is {MAX_ROWS:,})",
                        f"工作表 {o.name} 将有 {nrows:,} 行（Excel 上限为 {MAX_ROWS:,} 行）")
    if ncols > MAX_COLS:
        raise too_large(pkg.path, f"sheet {o.name} would have {ncols:,} columns "
                                  f"(Excel's limit is {MAX_COLS:,}, column XFD)",
                        f"工作表 {o.name} 将有 {ncols:,} 列（Excel 上限为 {MAX_COLS:,} 列，"
                        "即 XFD 列）")
    kinds_s = _kind_styles(ch, o.kinds, ncols)
    st = ch.styles
    tables: list[Table] = []
    created = sheet is None
    if sheet is None and o.layout is not None:  # a new sheet in the layout book's layout
        assert new_part is not None
        split = transplant(ch, o.layout, new_part, o.name,
                           len(pkg.sheets) if index is None else index, o.chart_rows)
        p = split.p
        head_s, data_s = _existing_styles(ch, o, split.prefix, split.head, p, ncols, kinds_s)
    elif sheet is None:  # a new sheet
        assert new_part is not None
        p = ""
        split = None
        head_s = [st.bold()] * ncols if o.header and nrows else []
        data_s = kinds_s()
    else:
        assert sheet.part is not None
        split = split_sheet(pkg, sheet.part)
        p = split.p
        head_s, data_s = _existing_styles(ch, o, split.prefix, split.head, p, ncols, kinds_s)
        tables = pkg.tables_on(sheet.part)
        if o.chart_rows is not None:
            _cut_charts(ch, sheet, o.chart_rows)
    head_ht = _row_height(split.head, p, 1) if split is not None and o.header else None

    # an Excel Table on the sheet follows the new extent
    last_row = _follow_table(ch, o, tables, rows, ncols) if tables else nrows
    dim = ref(1, 1, max(ncols, 1), max(last_row, 1))

    cols_h = Columns(p, 1, head_s, st, pkg.date1904) if head_s else None
    cols_d = Columns(p, 1, data_s, st, pkg.date1904)

    first = 1 if o.header and rows else 0

    def head() -> Iterator[str]:
        if first:
            assert cols_h is not None
            yield from rows_xml(rows[:1], 1, cols_h, height=head_ht)

    def rows_of(a: int, b: int) -> Iterator[str]:  # rows[a:b], data rows
        hs = o.row_heights
        yield from rows_xml(rows[a:b], a + 1, cols_d, height=o.row_height,
                            heights=hs[a - first:b - first] if hs is not None else None)

    def body() -> Iterator[str]:
        yield from head()
        data = rows[first:]
        if o.cell_kinds is None:
            yield from rows_of(first, nrows)
            return
        # a sheet of blocks (the Dashboard): each cell the format of its kind
        columns = _cell_kind_styles(ch, o.cell_kinds, data_s, first, p)
        heights = o.row_heights
        for i, row in enumerate(data):
            yield from rows_xml([row], first + 1 + i, columns(i), height=o.row_height,
                                heights=heights[i:i + 1] if heights is not None else None)

    if split is None:
        assert created
        prefix = new_sheet_prefix(pkg.main_ns, pkg.rel_ns, dim, o.header and nrows > 0,
                                  o.widths, data_s)
        suffix = sheet_end()
        open_tag = "<sheetData>"
    else:
        prefix = sub_first(rf"<{p}dimension(?=[\s/>])[^>]*>", split.prefix,
                           lambda tag: set_attr(tag, "ref", dim))
        suffix = split.suffix
        if not tables:
            stop = suffix.find(f"<{p}extLst")
            suffix = sub_first(rf"<{p}autoFilter(?=[\s/>])[^>]*>", suffix,
                               lambda tag: set_attr(
                                   tag, "ref", ref(1, 1, max(ncols, 1), max(nrows, 1),
                                                   single=False)),
                               None if stop < 0 else stop)
        open_tag = split.open_tag
        if open_tag.endswith("/>"):
            open_tag = open_tag[:-2].rstrip() + ">"
    suffix = set_row_breaks(suffix, p if split is not None else "", o.row_breaks)

    def chunks() -> Iterator[bytes]:
        if nrows == 0:
            yield _utf8(prefix + f"<{p}sheetData/>" + suffix)
            return
        yield _utf8(prefix + open_tag)
        yield from map(_utf8, body())
        yield _utf8(f"</{p}sheetData>" + suffix)

    if nrows - first >= APART_ROWS and o.cell_kinds is None and forked.available():
        # the second half of the rows made in a child while this process makes the first
        mid = first + (nrows - first) // 2
        child = forked.Forked(_piece, rows_of, mid, nrows, ch.styles, here=_failed)

        def halves() -> Iterator[bytes | Callable[[], Piece]]:
            yield _utf8(prefix + open_tag)
            yield from map(_utf8, head())
            yield from map(_utf8, rows_of(first, mid))
            yield lambda: child.result() or _piece(rows_of, mid, nrows)  # failed: made here
            yield _utf8(f"</{p}sheetData>" + suffix)

        try:
            blob = ch.side.write(halves())
        finally:
            child.cancel()
    else:
        blob = ch.side.write(chunks())
    if sheet is None:
        assert new_part is not None
        ch.added.append((new_part, blob))
    else:
        assert sheet.part is not None
        ch.sheets[sheet.part] = blob


#: an output sheet of at least this many data rows renders its second half in a forked
#: child while this process renders (and deflates) the first
APART_ROWS = 20_000


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _failed() -> None:  # what a child that failed gives
    return None


def _piece(rows_of: Callable[[int, int], Iterator[str]], a: int, b: int,
           styles: Styles | None = None) -> Piece:
    """Rows ``a`` to ``b`` rendered and deflated. In a child (``styles`` given), a cell
    format that the rendering would add to the book's styles cannot reach the parent:
    then the child fails and the parent renders these rows itself."""
    before = styles.changes() if styles is not None else None
    piece = deflate_piece(map(_utf8, rows_of(a, b)))
    if styles is not None and styles.changes() != before:
        raise RuntimeError("the rows need a cell format added to the book")
    return piece
