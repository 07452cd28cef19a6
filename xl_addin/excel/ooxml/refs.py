"""What every SpreadsheetML writer agrees on: Excel's limits, A1 references, day numbers,
cell text escaping, and the number format of each column kind.

Column numbers count from 1 (A = 1, XFD = 16,384), like Excel's own. Day numbers
("serials") follow the workbook's date system: in the 1900 system day 1 is 1900-01-01 and
Excel counts a 29 February 1900 that never was, so serials from 61 (1900-03-01) on are
real days since 1899-12-30; in the 1904 system day 0 is 1904-01-01.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

__all__ = [
    "CELL_REF",
    "FIRST_TRUE_1900",
    "ILLEGAL",
    "KIND_NUMFMT",
    "KINDS_HELP",
    "MAX_COLS",
    "MAX_ROWS",
    "MAX_TEXT",
    "NEEDS_CHARS",
    "NEEDS_ESCAPE",
    "NUMFMT_DATE",
    "NUMFMT_DATETIME",
    "ORDINAL_1900",
    "ORDINAL_1904",
    "col_letter",
    "col_number",
    "date_serial",
    "date_serials",
    "escape_attr",
    "escape_text",
    "parse_ref",
    "ref",
    "serial_date",
]

# --------------------------------------------------------------------------- limits
MAX_ROWS = 1_048_576  #: Excel's last row
MAX_COLS = 16_384  #: Excel's last column (XFD)
MAX_TEXT = 32_767  #: longest text a cell can hold


# --------------------------------------------------------------------------- A1 references
def col_letter(n: int) -> str:
    """Column number to letters: 1 -> A, 27 -> AA."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def col_number(letters: str | bytes) -> int:
    """Column letters (either case; bytes as found in sheet XML too) to a number: AA -> 27."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_REF_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")
#: one cell reference (``$`` allowed): group 1 the letters, group 2 the row
CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def parse_ref(text: str) -> tuple[int, int, int, int] | None:
    """``"B2:D9"`` -> (2, 2, 4, 9) as (first col, first row, last col, last row); a single
    cell gives the same corners twice; None if it is not an A1 reference."""
    m = _REF_RE.match(text.strip())
    if not m:
        return None
    c1, r1 = col_number(m[1]), int(m[2])
    if m[3]:
        return c1, r1, col_number(m[3]), int(m[4])
    return c1, r1, c1, r1


def ref(c1: int, r1: int, c2: int, r2: int, *, single: bool = True) -> str:
    """The A1 reference of a range; one cell is written ``"B2"`` unless ``single`` is false."""
    if single and c1 == c2 and r1 == r2:
        return f"{col_letter(c1)}{r1}"
    return f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"


# --------------------------------------------------------------------------- day numbers
ORDINAL_1900 = dt.date(1899, 12, 30).toordinal()  #: day 0 of the 1900 system, counted back
ORDINAL_1904 = dt.date(1904, 1, 1).toordinal()  #: day 0 of the 1904 system
FIRST_TRUE_1900 = 61  #: 1900-03-01: from here on 1900-system serials count real days
_UNIX_EPOCH_SERIAL = dt.date(1970, 1, 1).toordinal() - ORDINAL_1900  # 25569
_LAST_ORDINAL = dt.date(9999, 12, 31).toordinal()


def date_serial(d: dt.date, date1904: bool = False) -> int | None:
    """Excel's day number for a date (a datetime's time of day is dropped); None where
    Excel cannot show it (before 1900-01-01, or before 1904-01-01 in the 1904 system)."""
    o = d.toordinal()
    if date1904:
        n = o - ORDINAL_1904
        return n if n >= 0 else None
    n = o - ORDINAL_1900
    if n < FIRST_TRUE_1900:  # Excel counts the non-existent 1900-02-29: before March, one off
        n -= 1
    return n if n >= 1 else None


def date_serials(unix_days: np.ndarray) -> np.ndarray:
    """:func:`date_serial` (1900 system) of whole days since 1970-01-01, for an array;
    below 1 where Excel has no such date."""
    serial = unix_days + _UNIX_EPOCH_SERIAL
    return np.where(serial < FIRST_TRUE_1900, serial - 1, serial)


def serial_date(serial: float, date1904: bool = False) -> dt.date | None:
    """The date of an Excel day number (a fraction, the time of day, is dropped); None for
    a number that is no date: below day 1 (day 0 in the 1904 system), the 1900 system's
    day 60 (1900-02-29, which never was), or past 9999-12-31."""
    if not 0 <= serial < 3_000_000:  # also NaN and infinities
        return None
    n = int(serial)
    if date1904:
        o = ORDINAL_1904 + n
    elif n >= FIRST_TRUE_1900:
        o = ORDINAL_1900 + n
    else:
        o = ORDINAL_1900 + n + 1 if 1 <= n < 60 else 0
    return dt.date.fromordinal(o) if 0 < o <= _LAST_ORDINAL else None


# --------------------------------------------------------------------------- text
# Characters XML 1.0 forbids (removed), CR (kept as &#13; so parsers do not turn it into
# LF), the XML specials, and literal _xHHHH_ sequences that Excel would decode.
_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
#: characters XML 1.0 forbids: removed from every text written
ILLEGAL = re.compile(f"[{_FORBIDDEN}]")
#: ``NEEDS_ESCAPE(s) is None``: :func:`escape_text` would only truncate ``s``, if that
NEEDS_ESCAPE = re.compile(f'[&<>"\r{_FORBIDDEN}]|_x[0-9A-Fa-f]{{4}}_').search
#: the same without the ``_xHHHH_`` test (callers that test ``"_x" in s`` first)
NEEDS_CHARS = re.compile(f'[&<>"\r{_FORBIDDEN}]').search
_XESC = re.compile("_(x[0-9A-Fa-f]{4}_)")


def escape_text(s: str) -> str:
    """Cell text as element content: truncated, legal, Excel-escaped, XML-escaped."""
    if len(s) > MAX_TEXT:
        s = s[:MAX_TEXT]
    if ILLEGAL.search(s):
        s = ILLEGAL.sub("", s)
    if "_x" in s:
        s = _XESC.sub(r"_x005F_\1", s)
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    if "\r" in s:
        s = s.replace("\r", "&#13;")
    return s


def escape_attr(s: str) -> str:
    """Text as an attribute value (sheet names, table column names, format codes)."""
    s = _XESC.sub(r"_x005F_\1", ILLEGAL.sub("", s))
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
            .replace("\r", "&#13;"))


# --------------------------------------------------------------------------- column kinds
#: number format used for a column kind when the sheet has no style for the column
KIND_NUMFMT = {
    "text": 0, "id": 0, "yn": 0, "abc": 0, "outcome": 0,
    "int": 1, "number": 2, "money": 4, "percent": 10, "date": 14,
}
KINDS_HELP = ", ".join(sorted(KIND_NUMFMT))  #: the kinds, for messages
NUMFMT_DATE = 14  #: m/d/yyyy, Excel's built-in short date
NUMFMT_DATETIME = 22  #: m/d/yyyy h:mm, for datetimes with a time in a non-date column
