"""Cells as SpreadsheetML: ``<row>`` and ``<c>`` elements for rows of Python values.

Text is always an inline string (never a formula, whatever it looks like), numbers are
``<v>`` values, dates are day numbers under a date format, blanks are left out (or kept
as a styled empty cell where the column has a style). :class:`Columns` precomputes the
XML around each value of a block of columns with fixed styles; :func:`rows_xml` makes a
block of rows a column at a time where a column holds one common type (the hot loop),
else a value at a time (:func:`emit_cells` appends one row's cells).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from .refs import (
    FIRST_TRUE_1900,
    MAX_TEXT,
    NEEDS_CHARS,
    NEEDS_ESCAPE,
    NUMFMT_DATE,
    NUMFMT_DATETIME,
    ORDINAL_1900,
    ORDINAL_1904,
    col_letter,
    date_serial,
    escape_text,
)
from .styles import Styles

__all__ = ["Columns", "emit_cells", "rows_xml"]


class Columns:
    """Precomputed XML pieces for one block of columns with fixed styles."""

    def __init__(self, p: str, first_col: int, styles: list[int], book: Styles,
                 date1904: bool) -> None:
        self.p = p
        self.s = styles
        self.book = book
        self.date1904 = date1904
        self.letters = [col_letter(first_col + j) for j in range(len(styles))]
        sat = [f' s="{s}"' if s else "" for s in styles]
        self.pre = [f'<{p}c r="{L}' for L in self.letters]
        self.smid = [f'"{a} t="inlineStr"><{p}is><{p}t xml:space="preserve">' for a in sat]
        self.nmid = [f'"{a}><{p}v>' for a in sat]
        self.blank: list[str | None] = [f'"{a}/>' if a else None for a in sat]
        self.send = f"</{p}t></{p}is></{p}c>"
        self.vend = f"</{p}v></{p}c>"
        self._date_s: dict[tuple[int, bool], int] = {}
        # '" s="N"><v>' for dates and datetimes in each column, filled on first use
        self.dmid: list[str | None] = [None] * len(styles)
        self.dtmid: list[str | None] = [None] * len(styles)
        # day numbers from this ordinal on need no 1900 leap-year correction
        self.ord0 = ORDINAL_1904 if date1904 else ORDINAL_1900
        self.day_min = 0 if date1904 else FIRST_TRUE_1900

    def date_mid(self, j: int, with_time: bool) -> str:
        """The XML between ``r="..`` and the day number of a date cell in column ``j``."""
        s = self._date_style(j, with_time)
        a = f' s="{s}"' if s else ""
        mid = f'"{a}><{self.p}v>'
        (self.dtmid if with_time else self.dmid)[j] = mid
        return mid

    def _date_style(self, j: int, with_time: bool) -> int:
        key = (j, with_time)
        s = self._date_s.get(key)
        if s is None:
            s = self.s[j]
            if not self.book.is_date(s):
                s = self.book.xf_for(NUMFMT_DATETIME if with_time else NUMFMT_DATE)
            self._date_s[key] = s
        return s

    def other(self, j: int, v: Any, rn: str) -> str | None:
        """The cell for a value that is not a plain str/float/int/None (None: empty)."""
        tn = type(v).__name__
        if tn in ("NaTType", "NAType"):
            return None
        if isinstance(v, (bool, np.bool_)):
            a = f' s="{self.s[j]}"' if self.s[j] else ""
            return f'{self.pre[j]}{rn}"{a} t="b"><{self.p}v>{int(bool(v))}{self.vend}'
        if isinstance(v, str):
            return self.text(j, str(v), rn)
        if isinstance(v, np.datetime64):
            if np.isnat(v):
                return None
            v = v.astype("datetime64[us]").item()
            if not isinstance(v, dt.date):
                return None
        if isinstance(v, dt.date):
            if isinstance(v, dt.datetime):
                _DATETIME_TYPES.add(type(v))  # e.g. pandas Timestamp: use the fast path
            return self.date(j, v, rn)
        if isinstance(v, (int, np.integer)):
            return f"{self.pre[j]}{rn}{self.nmid[j]}{int(v)}{self.vend}"
        if isinstance(v, (float, np.floating)):
            f = float(str(v)) if isinstance(v, np.float32 | np.float16) else float(v)
            if f - f != 0.0:
                return None
            return f"{self.pre[j]}{rn}{self.nmid[j]}{f!r}{self.vend}"
        if isinstance(v, Decimal):
            if not v.is_finite():
                return None
            return f"{self.pre[j]}{rn}{self.nmid[j]}{float(v)!r}{self.vend}"
        raise TypeError(f"cannot write a {type(v).__name__} ({v!r}) to a cell")

    def text(self, j: int, v: str, rn: str) -> str | None:
        """The inline-string cell for text ``v`` (None: empty text is no cell)."""
        if not v:
            return None
        if len(v) > MAX_TEXT or NEEDS_ESCAPE(v) is not None:
            v = escape_text(v)
        return f"{self.pre[j]}{rn}{self.smid[j]}{v}{self.send}"

    def date(self, j: int, v: dt.date, rn: str) -> str | None:
        """The cell for a date or datetime, under a date format; text before day 1."""
        day = date_serial(v, self.date1904)
        if day is None:  # before 1900 (or 1904): Excel has no such date; keep it as text
            return self.text(j, v.isoformat(), rn)
        if isinstance(v, dt.datetime):
            us = ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
            serial: float | int = day + us / 86_400_000_000 if us else day
            s = self._date_style(j, bool(us))
        else:
            serial = day
            s = self._date_style(j, False)
        a = f' s="{s}"' if s else ""
        return f'{self.pre[j]}{rn}"{a}><{self.p}v>{serial!r}{self.vend}'


_DATETIME_TYPES: set[type] = {dt.datetime}
_DATE = dt.date
_F64 = np.float64
_I64 = np.int64


def emit_cells(row: Sequence[Any], rn: str, cols: Columns, out: list[str]) -> None:
    """Append the ``<c>`` elements of one row to ``out``."""
    for j, v in enumerate(row):
        c = _cell(j, v, rn, cols)
        if c:
            out.append(c)


def _cell(j: int, v: Any, rn: str, cols: Columns) -> str:
    """The ``<c>`` element of value ``v`` in column ``j`` of row ``rn`` ("": no cell).

    Common types are handled inline; anything else goes through ``cols.other``.
    """
    t = type(v)
    if t is str:
        if v:
            return f"{cols.pre[j]}{rn}{cols.smid[j]}{_escaped(v)}{cols.send}"
    elif t is float:
        if v - v == 0.0:
            return f"{cols.pre[j]}{rn}{cols.nmid[j]}{v!r}{cols.vend}"
    elif t is int:
        return f"{cols.pre[j]}{rn}{cols.nmid[j]}{v}{cols.vend}"
    elif v is None:
        pass
    elif t is _DATE or t in _DATETIME_TYPES:
        n = v.toordinal() - cols.ord0
        if n >= cols.day_min:
            us = 0 if t is _DATE else (
                ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond)
            if us:
                m = cols.dtmid[j] or cols.date_mid(j, True)
                return f"{cols.pre[j]}{rn}{m}{n + us / 86_400_000_000!r}{cols.vend}"
            m = cols.dmid[j] or cols.date_mid(j, False)
            return f"{cols.pre[j]}{rn}{m}{n}{cols.vend}"
        cell = cols.date(j, v, rn)  # before day 1: kept as text
        if cell is not None:
            return cell
    elif t is _F64:
        f = float(v)
        if f - f == 0.0:
            return f"{cols.pre[j]}{rn}{cols.nmid[j]}{f!r}{cols.vend}"
    elif t is _I64:
        return f"{cols.pre[j]}{rn}{cols.nmid[j]}{int(v)}{cols.vend}"
    else:
        cell = cols.other(j, v, rn)
        if cell is not None:
            return cell
    b = cols.blank[j]
    return f"{cols.pre[j]}{rn}{b}" if b is not None else ""


def _escaped(v: str) -> str:
    """Text as a cell may hold it (:func:`~.refs.escape_text` where it needs escaping)."""
    if len(v) > MAX_TEXT or NEEDS_CHARS(v) is not None or "_x" in v:
        return escape_text(v)
    return v


_NONE = type(None)


def _column_cells(j: int, values: Sequence[Any], rns: Sequence[str], cols: Columns
                  ) -> list[str] | tuple[str, ...]:
    """The ``<c>`` elements of column ``j`` down rows ``rns`` ("" where no cell): what
    :func:`_cell` gives each value, made a column at a time where the column holds
    one common type (the hot loop: an output sheet's hundred thousand rows)."""
    kinds = set(map(type, values))
    pre, b = cols.pre[j], cols.blank[j]
    if kinds <= {float, _NONE}:
        mid, end = cols.nmid[j], cols.vend
        if b is None:
            return [f"{pre}{rn}{mid}{v!r}{end}" if v is not None and v - v == 0.0 else ""
                    for rn, v in zip(rns, values, strict=True)]
        return [f"{pre}{rn}{mid}{v!r}{end}" if v is not None and v - v == 0.0 else
                f"{pre}{rn}{b}" for rn, v in zip(rns, values, strict=True)]
    if kinds <= {str, _NONE}:
        mid, end = cols.smid[j], cols.send
        texts = [v for v in values if v]
        joined = "".join(texts)  # one search for the column (a "_x" across two: no harm)
        if texts and (NEEDS_CHARS(joined) is not None or "_x" in joined
                      or max(map(len, texts)) > MAX_TEXT):
            values = [_escaped(v) if v else v for v in values]
        if b is None:
            return [f"{pre}{rn}{mid}{v}{end}" if v else ""
                    for rn, v in zip(rns, values, strict=True)]
        return [f"{pre}{rn}{mid}{v}{end}" if v else f"{pre}{rn}{b}"
                for rn, v in zip(rns, values, strict=True)]
    if kinds == {int}:
        mid, end = cols.nmid[j], cols.vend
        return [f"{pre}{rn}{mid}{v}{end}" for rn, v in zip(rns, values, strict=True)]
    if kinds == {_NONE}:
        return ("",) * len(rns) if b is None else [f"{pre}{rn}{b}" for rn in rns]
    if kinds <= {_DATE, _NONE}:
        ord0, day_min, end = cols.ord0, cols.day_min, cols.vend
        days = [v.toordinal() - ord0 if v is not None else -1 for v in values]
        if max(days) >= day_min:  # the date style is looked for once a date needs it
            mid = cols.dmid[j] or cols.date_mid(j, False)
            return [f"{pre}{rn}{mid}{n}{end}" if n >= day_min else _cell(j, v, rn, cols)
                    for rn, v, n in zip(rns, values, days, strict=True)]
    return [_cell(j, v, rn, cols) for rn, v in zip(rns, values, strict=True)]


def rows_xml(rows: Sequence[Sequence[Any]], first_row: int, cols: Columns,
             batch: int = 2000, height: float | None = None,
             heights: Sequence[float | None] | None = None) -> Iterator[str]:
    """``<row>`` elements for ``rows`` numbered from ``first_row``, in text chunks;
    ``height`` (points) fixes every row's height, ``heights`` each row's (wrapped text
    shows without autofit)."""
    p = cols.p
    row_open, row_close = f'<{p}row r="', f"</{p}row>"
    tail = f'" ht="{height:g}" customHeight="1">' if height else '">'
    tails: dict[float, str] = {}
    for a in range(0, len(rows), batch):
        block = rows[a:a + batch]
        rns = [str(first_row + i) for i in range(a, a + len(block))]
        width = len(block[0])
        if width and all(len(r) == width for r in block):  # a column at a time
            lines = map("".join, zip(*(_column_cells(j, c, rns, cols) for j, c in
                                       enumerate(zip(*block, strict=True))), strict=True))
        else:  # rows of other lengths: a row at a time
            lines = ("".join(_cell(j, v, rn, cols) for j, v in enumerate(row))
                     for rn, row in zip(rns, block, strict=True))
        if heights is None:  # a row of no cells is left out
            out = [f"{row_open}{rn}{tail}{body}{row_close}"
                   for rn, body in zip(rns, lines, strict=True) if body]
        else:
            out = []
            for i, (rn, body) in enumerate(zip(rns, lines, strict=True), a):
                if not body:
                    continue
                t = tail
                if i < len(heights) and heights[i]:
                    h = float(heights[i])  # type: ignore[arg-type]
                    t = tails.get(h) or tails.setdefault(h, f'" ht="{h:g}" customHeight="1">')
                out.append(f"{row_open}{rn}{t}{body}{row_close}")
        if out:
            yield "".join(out)
