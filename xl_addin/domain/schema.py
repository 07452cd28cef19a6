"""From raw cell values to typed, validated DataFrames.

The Excel doors hand over each input sheet as a :class:`RawTable` (the header and the
data rows exactly as the cells hold them, with the Excel row number of the header).
:func:`parse_inputs` matches the columns by any of their names, converts every cell to
its column's type, and collects *all* problems as :class:`~xl_addin.errors.InputError`
with the sheet, the row Excel shows and the column header the user typed.

Output frames use the canonical English column names of :mod:`xl_addin.names` plus
``_row``, the Excel row each record came from.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, Problems, Reason
from ..names import (
    CONTACTS,
    CUSTOMERS,
    HOLIDAYS,
    INPUT_SHEETS,
    ORDERS,
    OUTCOMES,
    PLANS,
    RFM_RULES,
    SCRIPTS,
    SETTINGS_SHEET,
    Col,
    SheetSpec,
    fold,
)
from ..settings import Settings, book_language, is_language_setting, settings_from_pairs
from .facts import OrderFacts
from .vector import DATE, DATETIME, FLOAT, NONE, OTHER, STR, object_array, type_codes

__all__ = [
    "IMPORT_READS",
    "Inputs",
    "RawTable",
    "Unreadable",
    "blank",
    "money_text",
    "parse_date",
    "parse_inputs",
    "parse_number",
    "parse_table",
    "parse_text",
    "raw_language",
]

MAX_AMOUNT = 1e12
_DATE_RE = re.compile(
    r"^\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
    r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?)?\s*$"
)
_YES = {"y", "yes", "true", "1", "是", "对", "√", "✓", "x"}
_NO = {"n", "no", "false", "0", "否", "不", ""}
_OUTCOME_WORDS = {fold(k): k for k in OUTCOMES} | {fold(v): k for k, v in OUTCOMES.items()}
_CURRENCY = re.compile(r"[¥$元€£]|RMB|CNY|USD|EUR", re.IGNORECASE)
#: digits written in another convention: a decimal comma, "_" or "." between thousands
_OTHER_CONVENTION = re.compile(r"[0-9][,_][0-9]|[0-9]\.[0-9]{3},")
#: digits with "," or " " between groups of three (the same separator throughout), or
#: none; then decimals after "." and an exponent
_NUMBER_TEXT = re.compile(
    r"^(?P<sign>[-+]?)(?P<digits>[0-9]{1,3}(?P<sep>[, ])[0-9]{3}(?:(?P=sep)[0-9]{3})*"
    r"|[0-9]+|(?=\.[0-9]))(?P<rest>(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)$", re.ASCII)


@dataclass(frozen=True)
class Unreadable:
    """A cell whose value the door that read it could not give: an Excel error such as
    ``#N/A`` (``code`` ERROR_VALUE, ``value`` the error's text) or a hidden cell of a merged
    range (``code`` MERGED_CELLS, ``value`` the range, ``row`` its first row). The door
    puts these in place of the cell's value; reading a column that holds one is a problem
    named with the cell (a merged range once)."""

    code: Reason
    value: str = ""
    row: int = 0


@dataclass
class RawTable:
    """One input sheet as found in the workbook.

    ``rows[i]`` sits on Excel row ``header_row + 1 + i``; cells the door could not read
    hold an :class:`Unreadable`. ``epoch`` is the day that a day number counts from
    (the workbook's date system: a number typed in a date column is that many days
    after it); ``None`` when the source has no day numbers, so numbers are not dates.
    """

    sheet: str
    header_row: int
    header: list[Any]
    rows: list[list[Any]]
    epoch: dt.date | None = None
    #: other sheets of the workbook that could be this input too (refused: never guessed)
    also: list[str] = field(default_factory=list)
    #: what the door found wrong with the sheet as a whole: (Excel row, reason, values)
    problems: list[tuple[int | None, Reason, dict[str, Any]]] = field(default_factory=list)
    #: the sheet read and typed elsewhere (a forked child, or straight from the file: see
    #: ``read_book``): called once with the columns read (None: all), it gives
    #: :func:`parse_table`'s result, or None after filling in the rows to type
    ahead: Callable[[Collection[str] | None], tuple[pd.DataFrame, dict[str, str]] | None
                    ] | None = None


@dataclass
class Inputs:
    """The typed inputs of one run."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    contacts: pd.DataFrame
    settings: Settings
    sheet_names: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    #: R score -> the five labels for FM = 1..5, from the RFM rules sheet (None: built-in)
    rfm_rules: dict[int, tuple[str, ...]] | None = None
    #: optional tables (None when the workbook has no such sheet)
    plans: pd.DataFrame | None = None
    scripts: pd.DataFrame | None = None
    holidays: pd.DataFrame | None = None
    #: what the user should know but that did not stop the run (e.g. an unknown setting)
    warnings: list[InputError] = field(default_factory=list)
    #: the orders' facts when they are kept outside the sheet (Settings OrdersSource):
    #: the engine reads these instead of ``orders`` (see :mod:`.facts`)
    order_facts: OrderFacts | None = None
    #: each order's position on ``customers`` (-1: not a customer), found once when the
    #: orders were checked against the customers (None: not found, e.g. IDs repeated)
    order_at: np.ndarray | None = None


PLAN_FROM = {fold(w): k for k, words in {
    "Order": ("Order", "OrderDate", "下单日", "下单日期", "订单日期", "购买日"),
    "End": ("End", "CourseEnd", "疗程结束", "结束", "到期", "到期日"),
}.items() for w in words}


def _check_plans(frame: pd.DataFrame, sheet: str, headers: dict[str, str],
                 problems: Problems) -> pd.DataFrame:
    """Normalise ``From`` to Order/End; an End plan needs CourseDays."""
    base = []
    for value, days, row in zip(frame["From"], frame["CourseDays"], frame["_row"], strict=True):
        key = "Order" if blank(value) else PLAN_FROM.get(fold(value))
        if key is None:
            problems.add(sheet, int(row), headers.get("From", "From"), Reason.NOT_IN_CHOICES,
                         choices="下单日 / 疗程结束 (Order / End)", value=value)
        elif key == "End" and pd.isna(days):
            problems.add(sheet, int(row), headers.get("CourseDays", "CourseDays"),
                         Reason.REQUIRED_BLANK)
        base.append(key)
    return frame.assign(From=base)


def parse_rfm_rules(raw: RawTable, problems: Problems) -> dict[int, tuple[str, ...]] | None:
    """The RFM rules grid: rows R = 1..5 each exactly once, five non-blank labels each."""
    before = len(problems)
    frame, headers = parse_table(RFM_RULES, raw, problems)
    if frame.empty or any(c.key not in headers for c in RFM_RULES.columns):
        return None
    grid: dict[int, tuple[str, ...]] = {}
    for rec in frame.to_dict("records"):
        r = rec["R"]
        if pd.isna(r) or r not in (1, 2, 3, 4, 5) or int(r) in grid:
            problems.add(raw.sheet, int(rec["_row"]), headers["R"], Reason.NOT_IN_CHOICES,
                         choices="1 / 2 / 3 / 4 / 5, each once", value=r)
            continue
        labels = tuple(rec[f"FM{i}"] for i in range(1, 6))
        if all(isinstance(x, str) and x for x in labels):
            grid[int(r)] = labels
    missing = sorted({1, 2, 3, 4, 5} - set(grid))
    if missing and len(problems) == before:
        problems.add(raw.sheet, None, headers["R"], Reason.MISSING_RFM_ROWS,
                     rows=", ".join(map(str, missing)))
    return grid if len(grid) == 5 else None


def blank(v: Any) -> bool:
    """Whether a cell value counts as empty (None, NaN, NaT, blank text)."""
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, str):
        return not v.strip()
    return v is pd.NaT or v is pd.NA


def parse_date(v: Any, epoch: dt.date | None = None) -> dt.date:
    """A cell value as a date: a date or datetime, ISO/slash/Chinese text, or a day
    number counted from ``epoch`` (the source's date system: the door that read the cell
    says which; without one a number is not a date).

    Raises ``ValueError`` for anything else (and for years outside 1900-2200).
    """
    if isinstance(v, dt.datetime):
        d = v.date()
    elif isinstance(v, dt.date):
        d = v
    elif isinstance(v, pd.Timestamp):
        d = v.date()
    elif isinstance(v, bool):
        raise ValueError(v)
    elif isinstance(v, int | float | np.integer | np.floating):
        f = float(v)
        if epoch is None or not (1 <= f < 2958466):
            raise ValueError(v)
        d = epoch + dt.timedelta(days=int(f))
    elif isinstance(v, str):
        m = _DATE_RE.match(v)
        if not m or (m[4] is not None and (int(m[4]) > 23 or int(m[5]) > 59
                                           or int(m[6] or 0) > 59)):
            raise ValueError(v)  # not a date, or a time of day that no clock shows
        d = dt.date(int(m[1]), int(m[2]), int(m[3]))
    else:
        raise ValueError(v)
    if not 1900 <= d.year <= 2200:
        raise ValueError(v)
    return d


def parse_number(v: Any) -> float:
    """A cell value as a number: a number, or text such as ``1,200.50``, ``¥1,200``,
    ``1200元``, ``RMB 150``, ``3 000``, ``(450)`` (negative) or ``1e3``.

    One convention only, so nothing is misread: ``.`` marks decimals and ``,`` (or a
    space) separates thousands in groups of three. ``1.200,50``, ``99,5``, ``1_000`` or
    ``(450`` are not numbers here (ValueError), never a different number.
    """
    if isinstance(v, bool) or isinstance(v, dt.date):
        raise ValueError(v)
    if isinstance(v, int | float | np.integer | np.floating):
        f = float(v)
    else:
        text = _CURRENCY.sub("", unicodedata.normalize("NFKC", str(v))).strip()
        neg = text.startswith("(") and text.endswith(")")
        if neg:
            text = text[1:-1].strip()
        m = _NUMBER_TEXT.match(text)
        if m is None:
            raise ValueError(v)
        f = float(m["sign"] + re.sub("[, ]", "", m["digits"]) + (m["rest"] or ""))
        f = -f if neg else f
    if math.isnan(f) or math.isinf(f):
        raise ValueError(v)
    return f



def parse_text(v: Any) -> str:
    """A cell value as text (whole numbers without ".0": phone numbers, IDs)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # phone numbers and IDs typed as numbers
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def _parse_yn(v: Any) -> bool:
    key = fold(v)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(v)


def _parse_abc(v: Any) -> str:
    key = str(v).strip().upper()
    if key not in {"A", "B", "C"}:
        raise ValueError(v)
    return key


def _parse_outcome(v: Any) -> str:
    """Known outcome words become canonical; other words are kept as typed."""
    text = parse_text(v)
    return _OUTCOME_WORDS.get(fold(text), text)


_PARSERS = {
    "id": parse_text,
    "text": parse_text,
    "date": parse_date,
    "number": parse_number,
    "money": parse_number,
    "int": parse_number,
    "percent": parse_number,
    "yn": _parse_yn,
    "abc": _parse_abc,
    "outcome": _parse_outcome,
}
_PROBLEM = {
    "date": Reason.NOT_A_DATE,
    "number": Reason.NOT_A_NUMBER,
    "money": Reason.NOT_A_NUMBER,
    "int": Reason.NOT_A_NUMBER,
    "percent": Reason.NOT_A_NUMBER,
    "yn": Reason.NOT_YES_NO,
    "abc": Reason.NOT_IN_CHOICES,
}


def _match_columns(spec: SheetSpec, raw: RawTable, problems: Problems) -> dict[str, int]:
    """Map each spec column key to its index in the raw header."""
    wanted = {name: col for col in spec.columns for name in col.names()}
    found: dict[str, int] = {}
    merged_header: set[str] = set()
    for i, h in enumerate(raw.header):
        if type(h) is Unreadable:  # a header cell hidden by a merge: the column is unnamed
            if h.value not in merged_header:
                merged_header.add(h.value)
                problems.add(raw.sheet, raw.header_row, None, Reason.MERGED_HEADER, ref=h.value)
            continue
        col = wanted.get(fold(h))
        if col is None:
            continue
        if col.key in found:
            problems.add(raw.sheet, raw.header_row, str(h), Reason.DUPLICATE_COLUMN,
                         first=found[col.key] + 1, second=i + 1)
            continue
        found[col.key] = i
    for col in spec.columns:
        if col.required and col.key not in found and not merged_header:
            shown = [str(h) for h in raw.header if not blank(h) and type(h) is not Unreadable]
            problems.add(raw.sheet, raw.header_row, None, Reason.MISSING_COLUMN,
                         expected=" / ".join(dict.fromkeys([col.key, col.zh, *col.aliases[:1]])),
                         found=", ".join(shown) or "—")
    return found


_NUMERIC = frozenset({"number", "money", "int", "percent"})
_TEXT = frozenset({"id", "text"})
_SEEN_AS_TEXT = object()  # memo marker: the value did not parse
_UNIX_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _columns(raw: RawTable, used: Sequence[int]) -> tuple[dict[int, np.ndarray], int]:
    """The data rows' cells in the columns ``used`` (by position; short rows padded with
    blanks), column by column as object arrays, and the row count."""
    rows = raw.rows
    if not rows or not used:
        return {i: object_array(()) for i in used}, len(rows)
    lengths = set(map(len, rows))
    width = max(max(lengths), len(raw.header))  # (the columns used are the header's)
    if lengths != {width}:
        rows = [list(r) + [None] * (width - len(r)) for r in rows]
    if 2 * len(used) >= width:  # most columns: every cell in one pass, then split
        cells = np.fromiter(chain.from_iterable(rows), object, len(rows) * width)
        cells = cells.reshape(len(rows), width)
        return {i: cells[:, i].copy() for i in used}, len(rows)
    return {i: object_array([r[i] for r in rows]) for i in used}, len(rows)


def _blank_mask(arr: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``_blank`` of every cell of a column, vectorised for the common cell types."""
    out = codes == NONE
    strs = codes == STR
    if strs.all():  # a column of text only (the common case): no copy
        return (arr == "") | np.fromiter(map(str.isspace, arr), bool, len(arr))
    if strs.any():
        s = arr[strs]
        out[strs] = (s == "") | np.fromiter(map(str.isspace, s), bool, len(s))
    floats = codes == FLOAT
    if floats.any():
        out[floats] = np.isnan(_pick(arr, floats).astype(np.float64))
    for i in np.flatnonzero(codes == OTHER):  # NaT, pd.NA, numpy scalars …: rare
        out[i] = blank(arr[i])
    return out


def _pick(arr: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``arr[mask]``; ``arr`` itself when the mask holds every cell (no copy made)."""
    return arr if mask.all() else arr[mask]


def _days(dates: np.ndarray) -> np.ndarray:
    """Dates or datetimes (their day) as datetime64[D], via their ordinals."""
    ordinals = np.fromiter(map(dt.date.toordinal, dates), np.int64, len(dates))
    return (ordinals - _UNIX_ORDINAL).astype("datetime64[D]")


def _cell_problem(col: Col, raw: RawTable, row: int, header: str, v: Any) -> InputError:
    if col.kind == "abc":
        return InputError(raw.sheet, row, header, Reason.NOT_IN_CHOICES, choices="A / B / C", value=v)
    if col.kind == "date" and isinstance(v, int | float) and not isinstance(v, bool):
        shown = int(v) if isinstance(v, float) and v.is_integer() else v
        return InputError(raw.sheet, row, header, Reason.DATE_OUT_OF_RANGE, value=shown)
    if col.kind in _NUMERIC and isinstance(v, str) and _OTHER_CONVENTION.search(v):
        return InputError(raw.sheet, row, header, Reason.NUMBER_CONVENTION, value=v)
    return InputError(raw.sheet, row, header, _PROBLEM.get(col.kind, Reason.NOT_A_NUMBER), value=v)


def _empty_column(kind: str, n: int) -> np.ndarray:
    if kind in _NUMERIC:
        return np.full(n, np.nan)
    if kind == "date":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if kind == "yn":
        return np.zeros(n, dtype=bool)
    return np.full(n, None, dtype=object)


def _convert(
    col: Col, arr: np.ndarray, types: np.ndarray, blank: np.ndarray, rows: np.ndarray,
    raw: RawTable, header: str, problems: Problems,
) -> np.ndarray:
    """One column's kept cells as a typed array (float64, datetime64[ns], bool, object).

    The common cell types (numbers as numbers, dates as dates, text) are converted a
    column at a time; every other value is parsed once per distinct value. Problems are
    added to ``problems`` in row order. Unreadable cells are never parsed and never
    "required but blank": an Excel error is named at its cell; a hidden cell of a merged
    range was named once per range by :func:`parse_table`.
    """
    n = len(arr)
    out = _empty_column(col.kind, n)
    found: list[tuple[int, InputError]] = []
    for i in np.flatnonzero(types == OTHER):  # Unreadable cells are OTHER: rare, one by one
        v = arr[i]
        if type(v) is Unreadable:
            if v.code != Reason.MERGED_CELLS:
                found.append((int(i), InputError(raw.sheet, int(rows[i]), header, v.code,
                                                 value=v.value)))
            types[i] = NONE
    if col.required:
        for i in np.flatnonzero(blank):
            found.append((int(i), InputError(raw.sheet, int(rows[i]), header,
                                             Reason.REQUIRED_BLANK)))
    todo = ~blank & (types != NONE)
    fast = np.zeros(n, dtype=bool)
    if col.kind in _NUMERIC:
        fast = todo & (types == FLOAT)
        if fast.any():
            x = _pick(arr, fast).astype(np.float64)
            bad = ~np.isfinite(x)
            if bad.any():  # inf / nan typed as numbers: the per-value path says why
                fast[np.flatnonzero(fast)[bad]] = False
                x = x[~bad]
            out[fast] = x
    elif col.kind == "date":
        fast = todo & ((types == DATE) | (types == DATETIME))
        if fast.any():
            out[fast] = _days(_pick(arr, fast))
        at = np.flatnonzero(fast)
        years = out[at].astype("datetime64[Y]").astype(np.int64) + 1970
        bad = at[(years < 1900) | (years > 2200)]
        fast[bad] = False  # the per-value path says why
        out[bad] = np.datetime64("NaT")
    elif col.kind in _TEXT:
        fast = todo & (types == STR)
        if fast.any():
            out[fast] = np.fromiter(map(str.strip, _pick(arr, fast)), object, int(fast.sum()))
    # everything else: parse each distinct value once
    parse = _parser(col, raw.epoch)
    memo: dict[Any, Any] = {}
    rest = np.flatnonzero(todo & ~fast)
    for i in rest:
        v = arr[i]
        key = (type(v), v)
        got = memo.get(key, memo)
        if got is memo:
            try:
                got = parse(v)
            except (ValueError, TypeError, OverflowError):
                got = _SEEN_AS_TEXT
            memo[key] = got
        if got is _SEEN_AS_TEXT:
            found.append((int(i), _cell_problem(col, raw, int(rows[i]), header, v)))
            continue
        out[i] = got
    if col.kind == "money":
        big = np.abs(out) > MAX_AMOUNT
        for i in np.flatnonzero(big):
            v = arr[i]
            shown = v if isinstance(v, str) else money_text(out[i])
            found.append((int(i), InputError(raw.sheet, int(rows[i]), header,
                                             Reason.NUMBER_TOO_LARGE, value=shown)))
        out[big] = np.nan
    found.sort(key=lambda p: p[0])
    problems.extend(e for _i, e in found)
    return out


def _parser(col: Col, epoch: dt.date | None) -> Callable[[Any], Any]:
    """What reads one cell of ``col`` that is not of the kind read a column at a time (a
    date column's day numbers count from the source's ``epoch``)."""
    if col.kind != "date":
        return _PARSERS[col.kind]

    def parse(v: Any) -> dt.date:
        return parse_date(v, epoch)

    return parse


def _hidden_by_merge(arr: np.ndarray, types: np.ndarray) -> np.ndarray | bool:
    """Cells hidden by a merged range: blank as far as the row is concerned."""
    other = np.flatnonzero(types == OTHER)
    hidden = [i for i in other if type(arr[i]) is Unreadable
              and arr[i].code == Reason.MERGED_CELLS]
    if not hidden:
        return False
    mask = np.zeros(len(arr), dtype=bool)
    mask[hidden] = True
    return mask


def _merged_ranges(cells: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
                   used: list[int]) -> dict[str, tuple[int, int]]:
    """The merged ranges whose hidden cells lie in the columns read: ref -> (first row,
    first column read). One problem each, however many cells they hide."""
    seen: dict[str, tuple[int, int]] = {}
    for idx in used:
        arr, types, _blank = cells[idx]
        for i in np.flatnonzero(types == OTHER):
            v = arr[i]
            if type(v) is Unreadable and v.code == Reason.MERGED_CELLS and v.value not in seen:
                seen[v.value] = (v.row, idx)
    return seen


def parse_table(
    spec: SheetSpec, raw: RawTable, problems: Problems, read: Collection[str] | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Typed DataFrame of one input sheet (canonical columns + ``_row``).

    Rows with nothing in the columns read are skipped (what stands in other columns —
    a note, a stray cell far to the right — makes no row). Problems are added to
    ``problems``. Works a column at a time: a million order rows take seconds, not
    minutes. ``read``: only these columns are read and checked (an import needs the
    customers' IDs and phones, not their birthdays); the others come back blank.
    """
    if raw.ahead is not None:
        ahead, raw.ahead = raw.ahead, None
        typed = ahead(read)
        if typed is not None:
            return typed
    for row, code, params in raw.problems:
        problems.add(raw.sheet, row, None, code, **params)
    found = _match_columns(spec, raw, problems)
    if read is not None:
        found = {k: i for k, i in found.items() if k in read}
    used = sorted(found.values())
    columns, n_rows = _columns(raw, used)
    blank_all = np.ones(n_rows, dtype=bool)
    cells: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for i, arr in columns.items():  # a row is data when a column read holds something
        types = type_codes(arr)
        blank = _blank_mask(arr, types)
        blank_all &= blank | _hidden_by_merge(arr, types)
        cells[i] = arr, types, blank
    del columns
    # one problem per merged range in the columns read, before the cell problems
    for ref, (first, idx) in _merged_ranges(cells, used).items():
        problems.add(raw.sheet, max(first, raw.header_row + 1), str(raw.header[idx]),
                     Reason.MERGED_CELLS, ref=ref)
    keep = np.flatnonzero(~blank_all)
    excel_rows = keep.astype(np.int64) + raw.header_row + 1
    data: dict[str, pd.Series] = {}
    index = pd.RangeIndex(len(keep))
    for col in spec.columns:
        if col.key not in found:
            data[col.key] = pd.Series(_empty_column(col.kind, len(keep)), index=index,
                                      copy=False)
            continue
        idx = found[col.key]
        arr, types, blank = cells.pop(idx)
        if len(keep) < n_rows:  # (else every row is data: no copy)
            arr, types, blank = arr[keep], types[keep], blank[keep]
        values = _convert(col, arr, types, blank, excel_rows, raw, str(raw.header[idx]),
                          problems)
        if values.dtype == object and any(v is not None for v in values):
            values[pd.isna(values)] = np.nan  # text columns: blanks read as NaN
        data[col.key] = pd.Series(values, index=index, dtype=values.dtype, copy=False)
    frame = pd.DataFrame(data, index=index, copy=False)
    frame["_row"] = excel_rows
    headers = {key: str(raw.header[i]) for key, i in found.items()}
    return frame, headers


#: What :func:`parse_typed_columns` takes a column's cells as: ``("text", values, odd)``
#: (an object array, None where blank; ``odd`` marks the cells that may be blank or
#: have spaces at an end, None: any may), ``("number", values)`` (float64, NaN where
#: blank), ``("date", values)`` (datetime64, NaT where blank) or ``("blank", n)`` (a
#: column of n blanks). Any other kind: the column is not read this way.
TypedCells = tuple[Any, ...]
#: the characters ``str.strip`` and ``str.isspace`` take for spaces
PY_SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
             "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
#: the first day whose serial number every reader of the 1900 date system turns into
#: the same date (before it lie Excel's day 0 and its 29 February 1900)
_SAFE_DAY = np.datetime64("1900-03-01")
_LAST_YEAR = np.datetime64("2200-12-31")


def columns_found(spec: SheetSpec, raw: RawTable) -> dict[str, int] | None:
    """Where ``raw``'s header has the spec's columns (key -> position), or None when
    there is anything to say about the header (:func:`parse_table` says it)."""
    problems = Problems("en")
    found = _match_columns(spec, raw, problems)
    return None if len(problems) or problems.warnings or raw.problems else found


def _text_cells(values: np.ndarray, odd: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """A text column's blanks, and its cells as ``str.strip`` leaves them."""
    blank = np.equal(values, None)
    look = np.flatnonzero(~blank if odd is None else odd & ~blank)
    if not len(look):
        return blank, values
    out = values.copy()
    for i in look:
        v = values[i]
        if not v or v.isspace():
            blank[i] = True
            out[i] = None
        else:
            out[i] = v.strip()
    return blank, out


def _parsed_distinct(col: Col, values: np.ndarray, epoch: dt.date | None) -> np.ndarray | None:
    """``values`` (text or numbers, none blank) through the column's parser, each
    distinct value once as :func:`_convert` parses them; None when one does not parse."""
    parse = _parser(col, epoch)
    codes, uniques = pd.factorize(values)
    got = np.empty(len(uniques), dtype=object)
    for j, u in enumerate(uniques.tolist()):  # (numbers as Python floats, as read)
        try:
            got[j] = parse(u)
        except (ValueError, TypeError, OverflowError):
            return None
    return got[codes]


def parse_typed_columns(spec: SheetSpec, raw: RawTable, found: Mapping[str, int],
                        columns: Mapping[int, TypedCells], n_rows: int
                        ) -> tuple[pd.DataFrame, dict[str, str]] | None:
    """:func:`parse_table`'s result for a sheet whose cells came typed column by column
    (``columns``: header position -> :data:`TypedCells` for every column of ``found``,
    :func:`columns_found`; ``raw``: the header, no rows), when every column holds one
    kind of cell — text, numbers or dates — that its own kind reads, and nothing in it
    is to be said. Else None, and :func:`parse_table` reads the sheet cell by cell and
    says what it finds. Never a different value: what this cannot type exactly as
    :func:`parse_table` would, it leaves to it."""
    blank_all = np.ones(n_rows, dtype=bool)
    cells: dict[int, tuple[str, Any, Any, np.ndarray]] = {}
    for i in found.values():
        kind, values, *more = columns[i]
        stripped = values
        if kind == "blank":
            blank = np.ones(n_rows, dtype=bool)
        elif kind == "text":
            blank, stripped = _text_cells(values, more[0] if more else None)
        elif kind == "number":
            blank = np.isnan(values)
        elif kind == "date":
            blank = np.isnat(values)
        else:
            return None
        if len(blank) != n_rows:
            return None
        blank_all &= blank
        cells[i] = kind, values, stripped, blank
    keep = np.flatnonzero(~blank_all)
    n = len(keep)
    data: dict[str, pd.Series] = {}
    index = pd.RangeIndex(n)
    for col in spec.columns:
        if col.key not in found:
            data[col.key] = pd.Series(_empty_column(col.kind, n), index=index, copy=False)
            continue
        kind, values, stripped, blank = cells.pop(found[col.key])
        if kind == "blank":
            blank = blank[:n]
        elif n < n_rows:
            values, stripped, blank = values[keep], stripped[keep], blank[keep]
        if col.required and blank.any():
            return None
        filled = ~blank
        out = _empty_column(col.kind, n)
        if kind == "blank" or not filled.any():
            pass
        elif col.kind in _TEXT and kind == "text":
            out[filled] = _pick(stripped, filled)
        elif col.kind in _NUMERIC and kind == "number":
            x = _pick(values, filled)
            if not np.isfinite(x).all():
                return None
            out[filled] = x
        elif col.kind == "date" and kind == "date":
            days = _pick(values, filled).astype("datetime64[D]")  # (floors: the day)
            if (days < _SAFE_DAY).any() or (days > _LAST_YEAR).any():
                return None
            out[filled] = days
        elif kind in ("text", "number"):  # e.g. yes/no words, class letters, "1,200"
            got = _parsed_distinct(col, _pick(values, filled), raw.epoch)
            if got is None:
                return None
            out[filled] = got
        else:  # dates in a column that is not one of dates
            return None
        if col.kind == "money" and (np.abs(out) > MAX_AMOUNT).any():
            return None
        if out.dtype == object and np.not_equal(out, None).any():
            out[pd.isna(out)] = np.nan  # text columns: blanks read as NaN
        data[col.key] = pd.Series(out, index=index, dtype=out.dtype, copy=False)
    frame = pd.DataFrame(data, index=index, copy=False)
    frame["_row"] = keep.astype(np.int64) + raw.header_row + 1
    return frame, {key: str(raw.header[i]) for key, i in found.items()}


def raw_language(raw: Mapping[str, RawTable | None]) -> str:
    """The workbook's language for messages, before Settings are validated: the
    Language row of the Settings sheet, else the language of the input sheets' names."""
    settings = raw.get("Settings")
    typed = next((r[1] for r in (settings.rows if settings is not None else ())
                  if len(r) >= 2 and is_language_setting(r[0])), None)
    return book_language([t.sheet for t in raw.values() if t is not None], typed)


#: what an import reads of the book (:func:`parse_inputs` ``reads``): its customers' IDs
#: and phones to know the buyers, and its orders to know what is there already
IMPORT_READS: Mapping[str, Collection[str] | None] = {"Customers": ("CustomerID", "Phone"),
                                                     "Orders": None}


def parse_inputs(
    raw: Mapping[str, RawTable | None],
    *,
    sheet_labels: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
    reads: Mapping[str, Collection[str] | None] | None = None,
    orders_typed: Callable[[pd.DataFrame, Settings], None] | None = None,
) -> Inputs:
    """Validate and type every input sheet; raise :class:`InputErrors` with all problems.

    ``raw`` maps ``"Customers"``, ``"Orders"``, ``"Contacts"``, ``"Settings"`` to the
    sheet found in the workbook, or ``None`` when it is missing (Settings may be).
    ``as_of`` (the CLI's ``--as-of``) overrides Settings ``AsOfDate``. ``reads``: the
    input tables a task uses, each with the columns it reads (``None``: all of them);
    the others are left empty, unread and unchecked (:data:`IMPORT_READS`).
    ``orders_typed(orders, settings)``: called as soon as the orders are typed with
    nothing found wrong so far (work that needs only them may start; the checks that
    follow may still refuse the book).
    """
    lang = raw_language(raw)
    problems = Problems(lang)
    settings_raw = raw.get("Settings")
    if settings_raw is not None:
        spec_found = _match_columns(SETTINGS_SHEET, settings_raw, Problems())
        ki, vi = spec_found.get("Key", 0), spec_found.get("Value", 1)
        pairs = [
            (settings_raw.header_row + 1 + n, r[ki] if ki < len(r) else None,
             r[vi] if vi < len(r) else None)
            for n, r in enumerate(settings_raw.rows)
        ]
        if not spec_found:  # no header row: the first row is a setting too
            pairs.insert(0, (settings_raw.header_row, *(settings_raw.header + [None, None])[:2]))
        mark = len(problems)
        epoch = settings_raw.epoch
        settings = settings_from_pairs(pairs, problems, settings_raw.sheet,
                                       lambda v: parse_date(v, epoch))
        found_here = problems.since(mark) + [w for w in problems.warnings
                                             if w.sheet == settings_raw.sheet]
        for p in found_here:  # name the columns as the user's header says them
            if p.column in spec_found:
                p.column = str(settings_raw.header[spec_found[p.column]])
    else:
        settings = Settings(Language=lang)
    if as_of is not None:
        settings = Settings(**{**settings.__dict__, "AsOfDate": as_of})

    for spec in INPUT_SHEETS:
        table = raw.get(spec.key)
        for other in table.also if table is not None else ():
            problems.add(other, None, None, Reason.TWO_SHEETS, first=table.sheet, second=other,
                         expected=f"{spec.key} / {spec.zh}")
    frames: dict[str, pd.DataFrame] = {}
    headers: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    # Orders being typed elsewhere (RawTable.ahead): the sheets after it are typed while
    # that goes on, their problems kept apart and told in their place
    early: dict[str, tuple[pd.DataFrame, dict[str, str], Problems]] = {}
    if raw.get("Orders") is not None and raw["Orders"].ahead is not None and (
            raw.get("Contacts") is not None) and (reads is None or "Contacts" in reads):
        own = Problems(lang)
        early["Contacts"] = (*parse_table(CONTACTS, raw["Contacts"], own), own)
    for spec in (CUSTOMERS, ORDERS, CONTACTS):
        table = raw.get(spec.key)
        if reads is not None and spec.key not in reads:
            frames[spec.key] = _empty(spec)
            continue
        if table is None and spec is CONTACTS:  # a book with no contact history yet
            frames[spec.key] = _empty(spec)
            continue
        if table is None:
            label = (sheet_labels or {}).get(spec.key, f"{spec.key} / {spec.zh}")
            problems.add(label, None, None, Reason.MISSING_SHEET,
                         expected=f"{spec.key} / {spec.zh}")
            frames[spec.key] = _empty(spec)
            continue
        names[spec.key] = table.sheet
        if spec.key in early:
            frames[spec.key], headers[spec.key], own = early.pop(spec.key)
            problems.extend(own)
            problems.warnings.extend(own.warnings)
            continue
        frames[spec.key], headers[spec.key] = parse_table(
            spec, table, problems, None if reads is None else reads[spec.key])
        if spec is ORDERS and orders_typed is not None and not len(problems):
            orders_typed(frames["Orders"], settings)

    customers = frames["Customers"]
    _check_ids(customers, names.get("Customers", "Customers"),
               headers.get("Customers", {}).get("CustomerID", "CustomerID"), problems)
    _check_lunar(customers, names.get("Customers", "Customers"),
                 headers.get("Customers", {}).get("Birthday", "Birthday"), problems)
    order_at = None
    if "CustomerID" in headers.get("Customers", {}):  # orders and contacts: of customers listed
        ids = pd.Index(customers["CustomerID"])
        known = None if ids.is_unique else set(customers["CustomerID"].dropna())
        for key in ("Orders", "Contacts"):
            frame = frames[key]
            if known is None:  # each row's customer looked up once, kept for the orders
                at = ids.get_indexer(frame["CustomerID"])
                bad = frame["CustomerID"].notna() & (at < 0)
                if key == "Orders":
                    order_at = at
            else:  # two customers with one ID (told below): no positions
                bad = frame["CustomerID"].notna() & ~frame["CustomerID"].isin(known)
            header = headers.get(key, {}).get("CustomerID", "CustomerID")
            for cid, row in zip(frame.loc[bad, "CustomerID"], frame.loc[bad, "_row"], strict=True):
                problems.add(names.get(key, key), int(row), header, Reason.UNKNOWN_CUSTOMER,
                             value=cid)
    _check_paid(frames["Orders"], names.get("Orders", "Orders"), headers.get("Orders", {}),
                problems)
    _check_members(customers, names.get("Customers", "Customers"),
                   headers.get("Customers", {}), problems)
    rules_raw = raw.get("RFMRules") if reads is None or "RFMRules" in reads else None
    rules = parse_rfm_rules(rules_raw, problems) if rules_raw is not None else None
    extra: dict[str, pd.DataFrame | None] = {}
    for spec in (PLANS, SCRIPTS, HOLIDAYS):
        table = raw.get(spec.key)
        if table is None or (reads is not None and spec.key not in reads):
            extra[spec.key] = None
            continue
        frame, found = parse_table(spec, table, problems)
        if spec is PLANS:
            frame = _check_plans(frame, table.sheet, found, problems)
        extra[spec.key] = frame
    problems.raise_if_any()  # in the language the book asks for, else that of its sheets
    return Inputs(frames["Customers"], frames["Orders"], frames["Contacts"], settings,
                  names, headers, rules, extra["Plans"], extra["Scripts"], extra["Holidays"],
                  problems.warnings, order_at=order_at)


def _check_ids(frame: pd.DataFrame, sheet: str, header: str, problems: Problems) -> None:
    ids = frame["CustomerID"]
    dup = ids.notna() & ids.duplicated(keep="first")
    if dup.any():
        first = frame.loc[ids.notna()].drop_duplicates("CustomerID").set_index("CustomerID")["_row"]
        for cid, row in zip(ids[dup], frame.loc[dup, "_row"], strict=True):
            problems.add(sheet, int(row), header, Reason.DUPLICATE_ID, value=cid,
                         first_row=int(first[cid]))


def _check_lunar(frame: pd.DataFrame, sheet: str, header: str, problems: Problems) -> None:
    """A birthday marked lunar must be a lunar month/day: days 1-30."""
    bad = frame["LunarBirthday"] & (frame["Birthday"].dt.day > 30)
    for day, row in zip(frame.loc[bad, "Birthday"], frame.loc[bad, "_row"], strict=True):
        problems.add(sheet, int(row), header, Reason.NOT_A_LUNAR_DATE,
                     value=f"{day.month:02d}-{day.day:02d}")


def money_text(v: float) -> str:
    """An amount as a message shows it: 1,234.5 as 1,234.50, 12.00 as 12."""
    return f"{v:,.2f}".removesuffix(".00")


def _check_paid(frame: pd.DataFrame, sheet: str, headers: dict[str, str],
                problems: Problems) -> None:
    """Paid (amount received) on a sale lies between 0 and the order's Amount (a cent of
    rounding allowed); refunds (negative amounts) owe nothing, so their Paid is not read."""
    if "Paid" not in headers:
        return
    amount, paid = frame["Amount"], frame["Paid"]
    sale = amount >= 0
    bad = sale & ((paid > amount + 0.005) | (paid < 0))
    for a, v, row in zip(amount[bad], paid[bad], frame.loc[bad, "_row"], strict=True):
        reason = Reason.PAID_NEGATIVE if v < 0 else Reason.PAID_ABOVE_AMOUNT
        problems.add(sheet, int(row), headers["Paid"], reason, paid=money_text(v),
                     amount=money_text(a))


def _check_members(frame: pd.DataFrame, sheet: str, headers: dict[str, str],
                   problems: Problems) -> None:
    """A card balance is 0 or more; a referrer is another customer on the sheet."""
    if "CardBalance" in headers:
        bad = frame["CardBalance"] < 0
        for v, row in zip(frame.loc[bad, "CardBalance"], frame.loc[bad, "_row"], strict=True):
            problems.add(sheet, int(row), headers["CardBalance"], Reason.NEGATIVE_BALANCE,
                         value=money_text(v))
    if "ReferredBy" in headers and "CustomerID" in headers:
        ref, ids = frame["ReferredBy"], frame["CustomerID"]
        named = ref.notna()
        unknown = named & ~ref.isin(set(ids.dropna()))
        itself = named & (ref == ids)
        for v, row, own in zip(ref[unknown | itself], frame.loc[unknown | itself, "_row"],
                               itself[unknown | itself], strict=True):
            problems.add(sheet, int(row), headers["ReferredBy"],
                         Reason.SELF_REFERRAL if own else Reason.UNKNOWN_REFERRER, value=v)


def _empty(spec: SheetSpec) -> pd.DataFrame:
    raw = RawTable(spec.key, 1, [c.key for c in spec.columns], [])
    frame, _ = parse_table(spec, raw, Problems())
    return frame
