"""The import planned in DuckDB, the whole export at once: :func:`plan_csv_import`.

What :func:`~.plan.plan_import` decides row by row in Python is decided here by SQL
over every row together — the same rules (see :mod:`.plan`) and the same
:class:`~.plan.ImportPlan`, issue for issue, row for row and to the last bit of every
amount; ``tests/imports/test_import_sqlplan.py`` holds the two to each other on
generated exports. ``customerbook import --to-source`` plans a CSV export this way (a
million rows in seconds): DuckDB reads the export (:mod:`.sqlread`), and the book's
orders it can collide with are looked up in the source where they live.

Python still does what is decided once per distinct value, never once per row: the
values whose shape the SQL does not read itself (the usual shapes — ``E2026…``,
``2026-03-05 10:00:00``, ``199.00``, ``13800138000`` — are read in SQL) are read by the
row-by-row planner's own functions, once each, and joined back; status words, product
names (folded for the fingerprint) and masked phones likewise. The new customers'
IDs come from :func:`~.plan.next_customer_ids`, and the book's refund lines whose
order is not in the book (rare) are followed in book order, as the book reader does.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np
import pandas as pd

from ..domain.phones import INVALID, find_phone_in_text, mask_matches, normalise_phone
from ..domain.phones import _as_text as _phone_as_text
from ..domain.phones import phone_keys as _phone_keys
from ..domain.schema import MAX_AMOUNT
from ..names import ORDERS, fold
from .exports import SOURCE_MAX_BYTES, SOURCE_MAX_ROWS, clean_cell
from .mapping import TARGETS, ImportMapping, MappingRow
from .messages import Both, RowIssue, render
from .plan import (
    _SCIENTIFIC,
    CUSTOMER_COLUMNS,
    ORDER_COLUMNS,
    REFUND_SUFFIX,
    ImportPlan,
    ImportSummary,
    _amount,
    _blank,
    _date,
    _day,
    _number,
    _order_id,
    _text,
    next_customer_ids,
    status_class,
)
from .sqlread import LoadedExport, load_csv

__all__ = ["CsvExport", "CsvImportPlan", "IssueRows", "plan_csv_import"]

# the shapes SQL reads itself; everything else goes to the row-by-row functions
_ID_FAST = ("regexp_full_match({0}, '[A-Za-z0-9_\\-]+') AND (NOT ({0}[2] IN ('e', 'E') OR "
            "{0}[3] IN ('e', 'E')) OR NOT regexp_full_match({0}, '-?[0-9][eE][0-9]+'))")
_DATE_FAST = ("regexp_full_match({0}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}"
              "( [0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}})?)?')")
_NUM_FAST = "length({0}) <= 20 AND regexp_full_match({0}, '-?[0-9]+(\\.[0-9]+)?')"
# eleven characters, no decimal point or exponent, that are a number from 13000000000 to
# 19999999999: eleven digits (any other character would leave fewer than eleven)
_PHONE_FAST = ("strlen({0}) = 11 AND NOT contains({0}, '.') AND NOT contains(lower({0}), 'e') "
               "AND TRY_CAST({0} AS UBIGINT) BETWEEN 13000000000 AND 19999999999")
# each a definite TRUE or FALSE (never NULL: a value is read in SQL or looked up)
_ID_FAST, _DATE_FAST, _NUM_FAST, _PHONE_FAST = (f"coalesce(({s}), FALSE)" for s in (
    _ID_FAST, _DATE_FAST, _NUM_FAST, _PHONE_FAST))
_REFUND_RE = "'^(.*)" + REFUND_SUFFIX + "(\\p{Nd}*)$'"
_MAX = repr(float(MAX_AMOUNT))
_SQL_TYPES = {"date": "DATE", "money": "DOUBLE"}


def _q(text: str | None) -> str:
    return "NULL" if text is None else "'" + str(text).replace("'", "''") + "'"


def _texts(values: Iterable[Any]) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def _register(con: Any, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """``frame`` as the temporary table ``name``, its columns of the given types."""
    con.register(f"{name}_frame", frame)
    cols = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM {name}_frame")
    con.unregister(f"{name}_frame")


def _cents(x: str) -> str:
    """``int(round(x * 100))`` as Python rounds it (a tie to even), kept as a DOUBLE."""
    p = f"(({x}) * 100)"
    return (f"CASE WHEN {p} - floor({p}) = 0.5 THEN CASE WHEN floor({p}) % 2 = 0 THEN "
            f"floor({p}) ELSE floor({p}) + 1 END ELSE round({p}) END")


def _round2(x: str) -> str:
    """``round(x, 2)`` as Python gives it: SQL's ``round`` is the same away from half a
    cent (``tests/imports/test_import_sqlplan.py`` checks it); next to one (and for
    amounts of a billion or more) Python's own rounding is asked, row by row, for those
    rows only."""
    return (f"CASE WHEN abs({x}) < 1e9 AND abs(({x}) * 100 - floor(({x}) * 100) - 0.5) > "
            f"1e-3 THEN round({x}, 2) ELSE cb_pyround({x}) END")


# ------------------------------------------------------------------------ issues
class IssueRows(Sequence[RowIssue]):
    """Issues held as a frame, each made a :class:`~.messages.RowIssue` when it is read.

    A million-row export imported a second time has a million duplicates, and the
    report lists fifty of them. Compares equal to a list holding the same issues."""

    def __init__(self, frame: pd.DataFrame, make: Callable[[dict[str, Any]], RowIssue]) -> None:
        self._frame = frame.reset_index(drop=True)
        self._make = make

    def __len__(self) -> int:
        return len(self._frame)

    @overload
    def __getitem__(self, i: int) -> RowIssue: ...
    @overload
    def __getitem__(self, i: slice) -> list[RowIssue]: ...
    def __getitem__(self, i: int | slice) -> RowIssue | list[RowIssue]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        rec = self._frame.iloc[i].to_dict()
        return self._make({k: (None if _missing(v) else v) for k, v in rec.items()})

    def __iter__(self) -> Iterator[RowIssue]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        more = ", …" if len(self) > 3 else ""
        return f"IssueRows([{', '.join(repr(x) for x in self[:3])}{more}]: {len(self)})"


def _missing(v: Any) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


# ---------------------------------------------------------------- the plan made
@dataclass
class CsvImportPlan(ImportPlan):
    """An :class:`~.plan.ImportPlan` whose Orders rows wait in a Parquet file that DuckDB
    wrote (``rows_file``: the Orders columns, then ``_source_row``): the import into the
    source copies them from there, and :attr:`orders` reads them only when asked. The
    file lives as long as the plan does."""

    rows_file: Path | None = None
    rows: int = 0
    #: who read the export's rows: ``duckdb``, or ``python`` (and why: ``read_why``)
    read_by: str = "duckdb"
    read_why: str = ""
    folder: Any = field(default=None, repr=False)

    @property  # type: ignore[override]
    def orders(self) -> pd.DataFrame:
        frame = self.__dict__.get("_orders")
        if frame is None:
            frame = _orders_frame(self.rows_file)
            self.__dict__["_orders"] = frame
        return frame

    @orders.setter
    def orders(self, value: pd.DataFrame | None) -> None:
        self.__dict__["_orders"] = value

    @property
    def order_count(self) -> int:
        return self.rows

    @property
    def will_write(self) -> bool:
        return self.ok and (self.rows > 0 or len(self.customers) > 0)

    def rows_for_source(self) -> Path | pd.DataFrame:
        return self.rows_file if self.rows_file is not None else super().rows_for_source()


def _orders_frame(path: Path | None) -> pd.DataFrame:
    """The Orders rows of a plan's file (and their export rows beside it), typed as the
    row-by-row plan types them."""
    import duckdb  # only where a plan is made: a refresh without a source never loads it

    assert path is not None
    con = duckdb.connect()
    try:
        df = con.execute(f"SELECT * FROM read_parquet({_q(str(path))}) POSITIONAL JOIN "
                         f"read_parquet({_q(str(path.with_name('rows.parquet')))})").df()
    finally:
        con.close()
    out: dict[str, pd.Series] = {}
    for c in ORDER_COLUMNS:
        kind = ORDERS.col(c).kind
        if kind == "date":
            out[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        elif kind == "money":
            out[c] = df[c].astype(np.float64)
        else:
            out[c] = _objects(df[c])
    out["_source_row"] = df["_source_row"].astype(np.int64)
    return pd.DataFrame(out)


# ---------------------------------------------------------------------- the plan
#: what happens to a row read without a lost order number that is the first of its
#: order (``cb_s.cat``); the later rows of an order are in ``cb_follow``
CATEGORIES = ("status", "bad", "walk_in", "refund", "dup_book", "refunded", "unknown",
              "decided")


class _Planner:
    """One plan: the tables it builds on its connection, and what it reads back.

    ``cb_t`` holds every export row's values, typed; ``cb_follow`` the later rows of an
    order; ``cb_s`` what happens to every other row (``cat``); ``cb_bad`` the problems of
    the refused rows; ``cb_fpmark`` the purchases without an order number already
    bought; ``cb_refunds`` the refund lines. Every table is keyed by ``rn``, the row the
    user sees, which only grows down the export."""

    def __init__(self, con: Any, loaded: LoadedExport, lang: str) -> None:
        self.con = con
        self.ex = loaded
        self.res = loaded.resolution
        self.customers = self.orders = pd.DataFrame()  # the book: know_book
        self.new_customers, self.today = True, dt.date.today()
        self.source_sql: str | None = None
        self.lang = lang
        self.has_ln = self.res.has("LineNo")
        self.hints: dict[str, Both] = {}
        self.counts: dict[str, int] = {}
        self.odd: dict[str, bool] = {}

    def know_book(self, customers: pd.DataFrame | None, orders: pd.DataFrame | None, *,
                  new_customers: bool, today: dt.date) -> None:
        """The book the export is planned against (its values are typed without it)."""
        self.customers = customers if customers is not None else pd.DataFrame()
        self.orders = orders if orders is not None else pd.DataFrame()
        self.new_customers, self.today = new_customers, today

    def q(self, sql: str) -> Any:
        return self.con.execute(sql)

    def one(self, sql: str) -> Any:
        return self.q(sql).fetchall()[0][0]

    def header_of(self, target: str) -> str | None:
        return self.res.header_of(target)

    def mapped(self, target: str) -> bool:
        return self.res.has(target)

    def _pre(self, v: Any) -> Any:
        """An export cell as the row-by-row planner holds it (cleaned)."""
        return v if self.ex.cleaned else clean_cell(v)

    def _filled(self, i: int) -> str:
        """Whether export column ``i`` of a row is not blank (once cleaned)."""
        return f"c{i} IS NOT NULL" if self.ex.cleaned else f"cb_filled(c{i})"

    def _clean_sql(self, expr: str) -> str:
        return expr if self.ex.cleaned else f"cb_clean({expr})"

    def _raw(self, target: str) -> tuple[str, str]:
        """SQL (over ``cb_export``) for a target's cell — the first of its columns not
        blank, as the file holds it — and for the header it came from (the first
        column's when every one is blank)."""
        cols = self.res.columns.get(target, [])
        if not cols:
            return "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)"
        h = [self.res.header[i] for i in cols]
        if len(cols) == 1:
            return f"CASE WHEN {self._filled(cols[0])} THEN c{cols[0]} END", _q(h[0])
        cell = "CASE " + " ".join(f"WHEN {self._filled(i)} THEN c{i}" for i in cols) + " END"
        col = ("CASE " + " ".join(f"WHEN {self._filled(i)} THEN {_q(x)}" for i, x in
                                   zip(cols, h, strict=True)) + f" ELSE {_q(h[0])} END")
        return cell, col

    def _cells(self, *targets: str) -> list[str]:
        """The cells of the targets' columns (every column of each), for the look-ups."""
        return [f"CASE WHEN {self._filled(i)} THEN c{i} END" for t in targets
                for i in self.res.columns.get(t, [])]

    def _lookup(self, name: str, exprs: Sequence[str], source: str, fast: str | None,
                fn: Callable[[Any], tuple], types: dict[str, str]) -> bool:
        """``fn`` of each distinct value of ``exprs`` (over ``source``) not of the
        ``fast`` shape, as the table ``name`` (``v`` and the columns of ``types``).
        Whether there is any (no table is joined when there is none)."""
        values: list[Any] = []
        if exprs:
            union = " UNION ".join(f"SELECT {e} AS v FROM {source}" for e in exprs)
            where = "v IS NOT NULL" + (f" AND NOT ({fast.format('v')})" if fast else "")
            values = [r[0] for r in self.q(f"SELECT DISTINCT v FROM ({union}) WHERE {where}")
                      .fetchall()]
        rows = [fn(v) for v in values]
        data = {"v": _texts(values)}
        for j, c in enumerate(types):
            data[c] = pd.Series([r[j] for r in rows], dtype=object)
        _register(self.con, name, pd.DataFrame(data), {"v": "VARCHAR", **types})
        self.odd[name] = bool(values)
        return bool(values)

    # --------------------------------------------------------------- the export
    def values(self, with_days: bool) -> None:
        """Every export row's values, typed (``cb_t``). ``with_days``: also the first
        date cell of the row that reads (``day_first``, for the source look-up)."""
        pre = self._pre

        def ident(v: Any) -> tuple:
            return _order_id(pre(v))

        def day(v: Any) -> tuple:
            c = pre(v)
            try:
                return (_text(c), _date(c), True)
            except (ValueError, TypeError):
                return (_text(c), None, False)

        def number(v: Any) -> tuple:
            c = pre(v)
            try:
                return (_text(c), _amount(c), True)
            except (ValueError, TypeError):
                return (_text(c), None, False)

        def status(v: Any) -> tuple:
            t = _text(pre(v))
            return (t, status_class(t))

        def phone(v: Any) -> tuple:
            c = pre(v)
            p = normalise_phone(c)
            if p.key is None and p.kind == INVALID:
                p = find_phone_in_text(c) or p
            return (p.key, p.kind, p.text, bool(_SCIENTIFIC.fullmatch(p.text)))

        self._lookup("cb_lk_id", self._cells("OrderID", "CustomerID"), "cb_export", _ID_FAST,
                     ident, {"txt": "VARCHAR", "lost": "BOOLEAN"})
        self._lookup("cb_lk_date", self._cells("OrderDate"), "cb_export", _DATE_FAST, day,
                     {"txt": "VARCHAR", "d": "DATE", "ok": "BOOLEAN"})
        self._lookup("cb_lk_num", self._cells("Amount", "Refund", "Cost", "Paid"), "cb_export",
                     _NUM_FAST, number, {"txt": "VARCHAR", "x": "DOUBLE", "ok": "BOOLEAN"})
        self._lookup("cb_lk_st", self._cells("Status"), "cb_export", None, status,
                     {"txt": "VARCHAR", "cls": "VARCHAR"})
        self._lookup("cb_lk_ph", self._cells("Phone"), "cb_export", _PHONE_FAST, phone,
                     {"key": "VARCHAR", "kind": "VARCHAR", "text": "VARCHAR", "sci": "BOOLEAN"})
        # five levels, each reading the one below (a column used twice in one SELECT is
        # worked out twice): the cells, their shapes, the values read in SQL, the typed
        # values (with the looked-up ones), and what is chosen from them
        cells: list[str] = ["rn"]
        shapes: list[str] = []
        quick: list[str] = []
        typed: list[str] = ["rn"]
        top: list[str] = []
        drop: list[str] = []
        joins: list[str] = []

        def cell(target: str, name: str) -> None:
            c, k = self._raw(target)
            cells.append(f"{c} AS {name}")
            cells.append(f"{k} AS k_{name}")
            drop.append(f"k_{name}")

        def lk(table: str, alias: str, on: str) -> bool:
            if self.odd[table]:
                joins.append(f"LEFT JOIN {table} {alias} ON {alias}.v = {on}")
            return self.odd[table]

        def pick(odd: bool, fast: str, value: str, looked_up: str, default: str = "NULL"
                 ) -> str:
            return f"CASE WHEN {fast} THEN {value} ELSE {looked_up if odd else default} END"

        def day(raw: str, name: str) -> None:
            """A date cell of the usual shape, read in SQL (``q0_<name>``): DuckDB reads
            that shape as Python does (no minute past 59, no 30 February), but for the
            hour 24, which Python refuses."""
            shapes.append(f"{_DATE_FAST.format(raw)} AS f_{name}")
            quick.append(f"CASE WHEN f_{name} AND (length({raw}) = 10 OR substr({raw}, 12, 2) "
                         f"<= '23') THEN CAST(TRY_CAST({raw} AS TIMESTAMP) AS DATE) END "
                         f"AS q0_{name}")
            drop.extend([f"f_{name}", f"q0_{name}"])

        def year_ok(name: str) -> str:
            return f"CASE WHEN year(r.q0_{name}) BETWEEN 1900 AND 2200 THEN r.q0_{name} END"

        # the order number (and whether Excel lost its digits), the customer ID
        for target, name, alias in (("OrderID", "oid", "i1"), ("CustomerID", "cid", "i2")):
            if not self.mapped(target):
                typed.append(f"CAST(NULL AS VARCHAR) AS {name}")
                continue
            cell(target, f"x_{name}")
            shapes.append(f"{_ID_FAST.format('x_' + name)} AS f_{name}")
            drop += [f"x_{name}", f"f_{name}"]
            odd = lk("cb_lk_id", alias, f"r.x_{name}")
            typed.append(f"CASE WHEN r.x_{name} IS NULL THEN NULL ELSE "
                         f"{pick(odd, 'r.f_' + name, 'r.x_' + name, alias + '.txt')} END "
                         f"AS {name}")
            if name == "oid":
                typed.append(f"CASE WHEN r.x_oid IS NULL THEN FALSE ELSE "
                             f"{pick(odd, 'r.f_oid', 'FALSE', alias + '.lost', 'FALSE')} END "
                             "AS lost")
        if not self.mapped("OrderID"):
            typed.append("FALSE AS lost")
        typed.append("r.k_x_cid AS cid_col" if self.mapped("CustomerID")
                     else "CAST(NULL AS VARCHAR) AS cid_col")
        for target, name in (("LineNo", "ln"), ("Product", "prod"), ("BuyerName", "buyer_name"),
                             ("Nickname", "nickname"), ("MemberNo", "member_no"),
                             ("Email", "email")):
            if self.mapped(target):
                cell(target, f"x_{name}")
                drop.append(f"x_{name}")
                typed.append(f"{self._clean_sql('r.x_' + name)} AS {name}")
            else:
                typed.append(f"CAST(NULL AS VARCHAR) AS {name}")
        # the status; a cancelled-at date cancels the sale, unless it was refunded in full
        st0 = cls0 = "CAST(NULL AS VARCHAR)"
        if self.mapped("Status"):
            cell("Status", "x_status")
            drop.append("x_status")
            if lk("cb_lk_st", "s", "r.x_status"):
                st0, cls0 = "s.txt", "s.cls"
        typed += [f"{st0} AS st0", f"{cls0} AS cls0"]
        drop += ["st0", "cls0"]
        status_col = _q(self.header_of("Status"))
        if self.mapped("CancelledAt"):
            cell("CancelledAt", "x_ca")
            drop.append("x_ca")
            typed += [f"{self._clean_sql('r.x_ca')} AS ca_text", "r.k_x_ca AS ca_col"]
            drop += ["ca_text", "ca_col"]
            cancel = "(ca_text IS NOT NULL AND cls0 IS DISTINCT FROM 'refunded')"
            top += [f"CASE WHEN {cancel} THEN 'cancelled' ELSE cls0 END AS cls",
                    f"CASE WHEN {cancel} THEN ca_col || ': ' || ca_text ELSE st0 END AS st",
                    f"CASE WHEN {cancel} THEN ca_col ELSE {status_col} END AS st_col"]
        else:
            top += ["cls0 AS cls", "st0 AS st", f"{status_col} AS st_col"]
        # the date, and each date column's day (the first that reads: the source look-up)
        cell("OrderDate", "x_dt")
        drop.append("x_dt")
        day("x_dt", "dt")
        odd = lk("cb_lk_date", "dl", "r.x_dt")
        typed += [f"CASE WHEN r.x_dt IS NULL THEN NULL ELSE "
                  f"{pick(odd, 'r.f_dt', year_ok('dt'), 'dl.d')} END AS d",
                  "r.x_dt IS NULL AS d_blank"]
        top.append("d IS NOT NULL AS d_ok")
        if with_days:
            days = []
            for j, i in enumerate(self.res.columns.get("OrderDate", [])):
                cells.append(f"CASE WHEN {self._filled(i)} THEN c{i} END AS x_dd{j}")
                drop.append(f"x_dd{j}")
                day(f"x_dd{j}", f"dd{j}")
                o = lk("cb_lk_date", f"dd{j}", f"r.x_dd{j}")
                days.append(f"CASE WHEN r.x_dd{j} IS NULL THEN NULL ELSE "
                            f"{pick(o, f'r.f_dd{j}', year_ok(f'dd{j}'), f'dd{j}.d')} END")
            typed.append(f"coalesce({', '.join(days)}) AS day_first")
        # the amounts
        for target, p, alias in (("Amount", "a", "n1"), ("Refund", "r", "n2"),
                                 ("Cost", "c", "n3"), ("Paid", "pd", "n4")):
            if not self.mapped(target):
                typed += [f"CAST(NULL AS DOUBLE) AS {p}_x", f"FALSE AS {p}_ok",
                          f"TRUE AS {p}_blank"]
                continue
            cell(target, f"x_{p}")
            shapes.append(f"{_NUM_FAST.format('x_' + p)} AS f_{p}")
            drop += [f"x_{p}", f"f_{p}"]
            odd = lk("cb_lk_num", alias, f"r.x_{p}")
            typed += [f"CASE WHEN r.x_{p} IS NULL THEN NULL ELSE "
                      f"{pick(odd, 'r.f_' + p, f'CAST(r.x_{p} AS DOUBLE)', alias + '.x')} END "
                      f"AS {p}_x",
                      f"r.x_{p} IS NOT NULL AND "
                      + pick(odd, "r.f_" + p, "TRUE", f"coalesce({alias}.ok, FALSE)", "FALSE")
                      + f" AS {p}_ok",
                      f"r.x_{p} IS NULL AS {p}_blank"]
        # the phone: the first column with a number that can be matched, else the first
        # column not blank
        phones = self.res.columns.get("Phone", [])
        for j, i in enumerate(phones):
            cells.append(f"CASE WHEN {self._filled(i)} THEN c{i} END AS x_p{j}")
            shapes.append(f"{_PHONE_FAST.format(f'x_p{j}')} AS f_p{j}")
            odd = lk("cb_lk_ph", f"ph{j}", f"r.x_p{j}")
            f, a = f"r.f_p{j}", f"ph{j}"
            typed += [f"r.x_p{j} AS pv{j}", f"{pick(odd, f, f'r.x_p{j}', a + '.key')} AS key{j}",
                      f"{pick(odd, f, chr(39) + 'mobile' + chr(39), a + '.kind')} AS kind{j}",
                      f"{pick(odd, f, f'r.x_p{j}', a + '.text')} AS text{j}",
                      f"{pick(odd, f, 'FALSE', a + '.sci')} AS sci{j}"]
            drop += [f"x_p{j}", f"f_p{j}", f"pv{j}", f"key{j}", f"kind{j}", f"text{j}", f"sci{j}"]
        if phones:
            top.append("CASE " + " ".join(f"WHEN pv{j} IS NOT NULL AND key{j} IS NOT NULL THEN "
                                          f"{j}" for j in range(len(phones))) + " "
                       + " ".join(f"WHEN pv{j} IS NOT NULL THEN {j}" for j in range(len(phones)))
                       + " END AS p_at")
        else:
            top.append("CAST(NULL AS INTEGER) AS p_at")
        level5 = ["*"]
        if phones:
            for name, part in (("p_key", "key"), ("p_kind", "kind"), ("p_text", "text"),
                               ("p_sci", "sci")):
                level5.append("CASE p_at " + " ".join(f"WHEN {j} THEN {part}{j}" for j in
                                                      range(len(phones))) + f" END AS {name}")
            heads = [self.res.header[i] for i in phones]
            level5.append("CASE p_at " + " ".join(f"WHEN {j} THEN {_q(h)}" for j, h in
                                                  enumerate(heads))
                          + f" ELSE {_q(self.header_of('Phone'))} END AS p_col")
        else:
            level5 += ["CAST(NULL AS VARCHAR) AS p_key", "CAST(NULL AS VARCHAR) AS p_kind",
                       "CAST(NULL AS VARCHAR) AS p_text", "CAST(NULL AS BOOLEAN) AS p_sci",
                       "CAST(NULL AS VARCHAR) AS p_col"]
        sql = f"SELECT {', '.join(cells)} FROM cb_export"
        if shapes:
            sql = f"SELECT *, {', '.join(shapes)} FROM ({sql})"
        if quick:
            sql = f"SELECT *, {', '.join(quick)} FROM ({sql})"
        sql = f"SELECT r.*, {', '.join(typed[1:])} FROM ({sql}) r {' '.join(joins)}"
        sql = f"SELECT *, {', '.join(top)} FROM ({sql})"
        sql = f"SELECT {', '.join(level5)} FROM ({sql})"
        keep = ", ".join(dict.fromkeys(drop))
        self.q(f"CREATE OR REPLACE TEMP TABLE cb_t AS SELECT * EXCLUDE ({keep}) FROM ({sql})")

    def source_subset(self, typed: str) -> None:
        """The source's orders the export can collide with, picked as
        :func:`~xl_addin.sources.reading.orders_for_import` picks them: one of the
        export's order numbers (or a refund line of one), or dated from the export's
        first day to its last (the first date cell of each row that reads)."""
        first, last = self.q("SELECT min(day_first), max(day_first) FROM cb_t").fetchall()[0]
        self.q("CREATE OR REPLACE TEMP TABLE cb_wanted AS SELECT DISTINCT oid FROM cb_t "
               "WHERE oid IS NOT NULL")
        conds = ['"OrderID" IN (SELECT oid FROM cb_wanted)',
                 "regexp_replace(\"OrderID\", '-R[0-9]*$', '') IN (SELECT oid FROM cb_wanted)"]
        if first is not None and last is not None:
            conds.append(f"\"OrderDate\" BETWEEN DATE '{first.isoformat()}' AND "
                         f"DATE '{last.isoformat()}'")
        self.source_sql = (
            'SELECT CAST(_file AS BIGINT) * 4294967296 + _row AS seq, "OrderID" AS oid, '
            'nullif(cb_strip("CustomerID"), \'\') AS cid, "OrderDate" AS day, '
            'CASE WHEN isfinite("Amount") THEN "Amount" END AS amount, '
            f'nullif(cb_strip("Product"), \'\') AS prod FROM ({typed}) WHERE '
            + " OR ".join(conds))

    # ------------------------------------------------------------------ the book
    def book(self) -> None:
        """The book's customers, their phones, its orders and their refund lines."""
        cu = self.customers
        n = len(cu)
        ids = cu["CustomerID"] if "CustomerID" in cu else pd.Series([None] * n, dtype=object)
        phones = cu["Phone"] if ("Phone" in cu and "CustomerID" in cu) else \
            pd.Series([None] * n, dtype=object)
        _register(self.con, "cb_cu", pd.DataFrame({
            "pos": np.arange(n, dtype=np.int64),
            "cid": _id_texts(ids),
            "phone": _phone_texts(phones),
        }), {"pos": "BIGINT", "cid": "VARCHAR", "phone": "VARCHAR"})
        self.q("CREATE OR REPLACE TEMP TABLE cb_known AS SELECT DISTINCT cid FROM cb_cu "
               "WHERE cid IS NOT NULL")
        odd = self._lookup("cb_pk", ["phone"], "cb_cu WHERE cid IS NOT NULL", _PHONE_FAST,
                           lambda v: (_phone_keys(v),), {"keys": "VARCHAR[]"})
        keys = f"CASE WHEN {_PHONE_FAST.format('u.phone')} THEN [u.phone] ELSE " + (
            "k.keys END" if odd else "CAST([] AS VARCHAR[]) END")
        join = "LEFT JOIN cb_pk k ON k.v = u.phone" if odd else ""
        self.q("CREATE OR REPLACE TEMP TABLE cb_ph AS SELECT pos, cid, unnest(ks) AS key, "
               "unnest(range(1, len(ks) + 1)) AS idx FROM (SELECT u.pos, u.cid, "
               f"{keys} AS ks FROM cb_cu u {join} WHERE u.cid IS NOT NULL AND u.phone IS NOT "
               "NULL)")
        self.q("CREATE OR REPLACE TEMP TABLE cb_owners AS SELECT key, first(cid ORDER BY pos, "
               "idx) AS owner, count(DISTINCT cid) AS n FROM cb_ph GROUP BY key")
        self._book_orders()

    def _book_orders(self) -> None:
        parts = [self.source_sql] if self.source_sql is not None else []
        o = self.orders
        if len(o):
            n = len(o)

            def col(c: str) -> pd.Series:
                return o[c] if c in o else pd.Series([None] * n, dtype=object)

            dates, amounts = col("OrderDate"), col("Amount")
            _register(self.con, "cb_sheet", pd.DataFrame({
                "seq": np.arange(n, dtype=np.int64) + (1 << 62),
                "oid": _texts(_order_id(v)[0] for v in col("OrderID")),
                "cid": _id_texts(col("CustomerID")),
                "day": (pd.to_datetime(dates) if np.issubdtype(dates.dtype, np.datetime64)
                        else _texts(_day(v) for v in dates)),
                "amount": (amounts.astype(np.float64) if amounts.dtype.kind == "f" else
                           pd.Series([_number(v) for v in amounts], dtype=np.float64)),
                "prod": _texts(_text(v) for v in col("Product")),
            }), {"seq": "BIGINT", "oid": "VARCHAR", "cid": "VARCHAR", "day": "DATE",
                 "amount": "DOUBLE", "prod": "VARCHAR"})
            parts.append("SELECT seq, oid, cid, day, CASE WHEN isfinite(amount) THEN amount "
                         "END AS amount, prod FROM cb_sheet")
        if not parts:
            parts.append("SELECT NULL::BIGINT AS seq, NULL::VARCHAR AS oid, NULL::VARCHAR AS "
                         "cid, NULL::DATE AS day, NULL::DOUBLE AS amount, NULL::VARCHAR AS "
                         "prod WHERE FALSE")
        self.q("CREATE OR REPLACE TEMP TABLE cb_bk0 AS " + " UNION ALL ".join(parts))
        # the order numbers as the import reads them (the source's and the sheet's text)
        odd = self._lookup("cb_lk_bid", ["oid"], "cb_bk0", _ID_FAST,
                           lambda v: (_order_id(v)[0],), {"txt": "VARCHAR"})
        oid = (f"CASE WHEN b.oid IS NULL OR {_ID_FAST.format('b.oid')} THEN b.oid ELSE "
               + ("k.txt END" if odd else "NULL END"))
        self.q(f"CREATE OR REPLACE TEMP TABLE cb_bk AS SELECT *, oid IS NOT NULL AND "
               f"regexp_matches(oid, {_REFUND_RE}) AS pat, CASE WHEN oid IS NOT NULL AND "
               f"regexp_matches(oid, {_REFUND_RE}) THEN regexp_extract(oid, {_REFUND_RE}, 1) "
               "END AS base, CASE WHEN amount IS NULL OR amount = 0 THEN 0.0 ELSE amount END "
               f"AS amount0 FROM (SELECT b.seq, {oid} AS oid, b.cid, b.day, b.amount, b.prod "
               "FROM cb_bk0 b " + ("LEFT JOIN cb_lk_bid k ON k.v = b.oid" if odd else "") + ")")
        self.q("DROP TABLE cb_bk0")
        self.q("CREATE OR REPLACE TEMP TABLE cb_bo_base AS SELECT oid, list(amount0 ORDER BY "
               "seq) AS amts, first(cid ORDER BY seq) AS customer, first(day ORDER BY seq) "
               "AS day, first(prod ORDER BY seq) AS product FROM cb_bk WHERE oid IS NOT NULL "
               "AND NOT pat GROUP BY oid")
        self.q("CREATE OR REPLACE TEMP TABLE cb_bo_ref AS SELECT b.base AS oid, list(b.amount0 "
               "ORDER BY b.seq) AS amts, count(*) AS n FROM cb_bk b SEMI JOIN cb_bo_base o ON "
               "o.oid = b.base WHERE b.pat GROUP BY b.base")
        # refund lines whose order is not in the book: followed in book order (one may
        # follow another, X-R-R after X-R); there are as few as the book has
        orphans: dict[str, list[Any]] = {}
        for oid, base, amount in self.q(
                "SELECT b.oid, b.base, b.amount0 FROM cb_bk b ANTI JOIN cb_bo_base o ON "
                "o.oid = b.base WHERE b.pat ORDER BY b.seq").fetchall():
            bo = orphans.get(base)
            if bo is None:
                orphans[oid] = [float(amount), 0]
            else:
                bo[0] += float(amount)
                bo[1] += 1
        _register(self.con, "cb_bo_orph", pd.DataFrame({
            "oid": _texts(orphans),
            "total": pd.Series([v[0] for v in orphans.values()], dtype=np.float64),
            "refunds": pd.Series([v[1] for v in orphans.values()], dtype=np.int64)}),
            {"oid": "VARCHAR", "total": "DOUBLE", "refunds": "BIGINT"})
        self.q("CREATE OR REPLACE TEMP TABLE cb_bo AS "
               "SELECT b.oid, list_reduce(list_concat(b.amts, coalesce(r.amts, "
               "CAST([] AS DOUBLE[]))), lambda a, x: a + x) AS total, b.customer, b.day, "
               "b.product, coalesce(r.n, 0) AS refunds FROM cb_bo_base b LEFT JOIN cb_bo_ref r "
               "USING (oid) UNION ALL SELECT oid, total, NULL, NULL, NULL, refunds "
               "FROM cb_bo_orph")
        self.book_orders = self.one("SELECT count(*) FROM cb_bo")

    def fingerprints(self) -> None:
        """How often the book holds each purchase (day, customer, cents, product)."""
        odd = self._lookup("cb_fold_b", ["prod"], "cb_bk", None, lambda v: (fold(v),),
                           {"f": "VARCHAR"})
        f = "coalesce(f.f, '')" if odd else "''"
        join = "LEFT JOIN cb_fold_b f ON f.v = b.prod" if odd else ""
        self.q(f"CREATE OR REPLACE TEMP TABLE cb_fp_book AS SELECT b.day, b.cid, "
               f"{_cents('b.amount')} AS cents, {f} AS fprod, count(*) AS n FROM cb_bk b "
               f"{join} WHERE b.day IS NOT NULL AND b.amount IS NOT NULL AND b.cid IS NOT "
               "NULL GROUP BY ALL")

    # --------------------------------------------------------------- the rows
    def lines(self) -> None:
        """Each row: a later line of an order (``cb_follow``: merged into the order, or a
        repeat of it), or what happens to it (``cb_s``)."""
        has_ln = "TRUE" if self.has_ln else "FALSE"
        self.q("CREATE OR REPLACE TEMP TABLE cb_dup AS SELECT oid FROM cb_t WHERE oid IS NOT "
               "NULL AND NOT lost GROUP BY oid HAVING count(*) > 1")
        self.q(
            "CREATE OR REPLACE TEMP TABLE cb_follow AS SELECT *, a_blank OR new_line AS merged, "
            "new_line AND NOT a_blank AND NOT a_ok AS merge_fail FROM (SELECT *, "
            f"{has_ln} AND ln IS NOT NULL AND ln IS DISTINCT FROM first_ln AND prior = 0 AS "
            "new_line FROM (SELECT t.rn, t.oid, t.ln, t.a_blank, t.a_ok, t.a_x, t.prod, "
            "min(t.rn) OVER (PARTITION BY t.oid) AS first_rn, "
            "first(t.ln ORDER BY t.rn) OVER (PARTITION BY t.oid) AS first_ln, "
            "count(*) FILTER (WHERE NOT t.a_blank) OVER (PARTITION BY t.oid, t.ln ORDER BY "
            "t.rn ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior "
            "FROM cb_t t SEMI JOIN cb_dup d ON d.oid = t.oid WHERE NOT t.lost)) "
            "WHERE rn > first_rn")
        followers = self.one("SELECT count(*) FROM cb_follow")
        self.q("CREATE OR REPLACE TEMP TABLE cb_gagg AS SELECT oid, "
               "list(a_x ORDER BY rn) FILTER (WHERE new_line AND NOT a_blank AND a_ok) AS "
               "extras, list(prod ORDER BY rn) FILTER (WHERE merged AND prod IS NOT NULL) AS "
               "more FROM cb_follow GROUP BY oid")
        gross0 = f"CASE WHEN NOT t.a_blank AND t.a_ok AND abs(t.a_x) <= {_MAX} THEN t.a_x END"
        names = ("list_concat(CASE WHEN t.prod IS NULL THEN CAST([] AS VARCHAR[]) ELSE "
                 "[t.prod] END, g.more)")
        if followers:
            gross = (f"CASE WHEN ({gross0}) IS NULL THEN NULL WHEN g.extras IS NULL OR "
                     f"len(g.extras) = 0 THEN {gross0} ELSE list_reduce(list_prepend({gross0}, "
                     "g.extras), lambda a, x: a + x) END")  # a few rows: an order's lines
            product = ("CASE WHEN g.more IS NULL THEN left(t.prod, 250) ELSE left("
                       f"array_to_string(list_filter({names}, lambda x, i: list_position("
                       f"{names}, x) = i), ' + '), 250) END")
        else:
            gross, product = gross0, "left(t.prod, 250)"
        fut = (self.today + dt.timedelta(days=1)).isoformat()
        in_book = "bo.oid IS NOT NULL" if self.book_orders else "FALSE"
        joins = []
        if followers:
            joins += ["LEFT JOIN cb_gagg g ON g.oid = t.oid",
                      "ANTI JOIN cb_follow f ON f.rn = t.rn"]
        if self.book_orders:
            joins.append("LEFT JOIN cb_bo bo ON bo.oid = t.oid")
        known = "k.cid IS NOT NULL"
        if self.mapped("CustomerID"):
            joins.append("LEFT JOIN cb_known k ON k.cid = t.cid")
        else:
            known = "FALSE"
        owner = "o.owner"
        if self.mapped("Phone"):
            joins.append("LEFT JOIN cb_owners o ON o.key = t.p_key")
        else:
            owner = "CAST(NULL AS VARCHAR)"
        bo = (["bo.total", "bo.customer AS bo_customer", "bo.day AS bo_day",
               "bo.product AS bo_product", "bo.refunds AS bo_refunds"] if self.book_orders else
              ["CAST(NULL AS DOUBLE) AS total", "CAST(NULL AS VARCHAR) AS bo_customer",
               "CAST(NULL AS DATE) AS bo_day", "CAST(NULL AS VARCHAR) AS bo_product",
               "CAST(NULL AS BIGINT) AS bo_refunds"])
        live = "NOT in_book AND NOT status_skip"
        amount_bad = []
        for p in ("a", "r", "c", "pd"):
            blank = f"{p}_blank" if p == "a" else "FALSE"
            amount_bad.append(f"{live} AND ({blank} OR (NOT {p}_blank AND (NOT {p}_ok OR "
                              f"abs({p}_x) > {_MAX}))) AS bad_{p}")
        usable = "p_at IS NOT NULL AND p_key IS NOT NULL"
        adding = "TRUE" if self.new_customers else "FALSE"
        # three levels, each reading the one below: a column used twice in one SELECT
        # would be worked out twice
        level1 = (
            f"SELECT t.rn, t.oid, t.cid, t.cls, t.d, t.d_ok, t.d_blank, t.p_at, t.p_key, "
            "t.p_kind, t.p_sci, t.a_x, t.a_ok, t.a_blank, t.r_x, t.r_ok, t.r_blank, t.c_x, "
            "t.c_ok, t.c_blank, t.pd_x, t.pd_ok, t.pd_blank, "
            f"{in_book} AS in_book, {gross} AS gross, "
            f"CASE WHEN NOT t.r_blank AND t.r_ok AND abs(t.r_x) <= {_MAX} THEN abs(t.r_x) "
            "ELSE 0.0 END AS refund, "
            f"CASE WHEN NOT t.c_blank AND t.c_ok AND abs(t.c_x) <= {_MAX} THEN t.c_x END AS cost, "
            f"CASE WHEN NOT t.pd_blank AND t.pd_ok AND abs(t.pd_x) <= {_MAX} THEN t.pd_x END "
            f"AS paid, {product} AS product_text, {known} AS known, {owner} AS owner, "
            + ", ".join(bo) + f" FROM cb_t t {' '.join(joins)} WHERE NOT t.lost")
        level2 = (
            "SELECT *, NOT in_book AND coalesce(cls IN ('unpaid', 'cancelled', 'refunded'), "
            "FALSE) AS status_skip, CASE WHEN d_ok THEN d END AS date, "
            "CASE WHEN cls IN ('cancelled', 'refunded') THEN 0.0 WHEN gross IS NULL THEN NULL "
            "WHEN cls = 'return' THEN -abs(gross) WHEN gross >= 0 THEN CASE WHEN 0.0 > "
            "gross - refund THEN 0.0 ELSE gross - refund END ELSE gross END AS net, "
            "coalesce(cls IN ('cancelled', 'refunded'), FALSE) OR refund > 0 "
            f"AS refund_signal FROM ({level1})")
        level3 = (
            f"SELECT *, {live} AND (d_blank OR NOT d_ok OR d > DATE '{fut}') AS bad_d, "
            + ", ".join(amount_bad) + ", "
            f"CASE WHEN NOT ({live}) THEN NULL WHEN known THEN 'book_id' "
            f"WHEN cid IS NOT NULL AND NOT ({usable}) THEN 'unknown_id' "
            "WHEN p_at IS NULL THEN 'walk_in' WHEN p_kind = 'masked' THEN 'masked' "
            "WHEN p_key IS NULL THEN CASE WHEN p_sci THEN 'scientific' ELSE 'invalid' END "
            "WHEN owner IS NOT NULL THEN 'book_phone' ELSE 'new' END AS who "
            f"FROM ({level2})")
        self.q(
            "CREATE OR REPLACE TEMP TABLE cb_s AS SELECT rn, oid, in_book, status_skip, gross, "
            "refund, cost, paid, date, product_text, net, refund_signal, who, "
            "bad_d, bad_a, bad_r, bad_c, bad_pd, total, bo_customer, bo_day, bo_product, "
            "bo_refunds, "
            "CASE WHEN who IN ('book_id', 'book_phone') THEN 'book' WHEN who = 'new' THEN "
            "'new' END AS kind, "
            "CASE who WHEN 'book_id' THEN cid WHEN 'book_phone' THEN owner WHEN 'new' "
            "THEN p_key END AS ckey, "
            "CASE WHEN status_skip THEN 'status' "
            "WHEN bad_d OR bad_a OR bad_r OR bad_c OR bad_pd OR who IN ('unknown_id', "
            "'masked', 'scientific', 'invalid') THEN 'bad' "
            "WHEN who = 'walk_in' THEN 'walk_in' "
            "WHEN in_book THEN CASE WHEN coalesce(refund_signal AND net < total - 0.005, FALSE) "
            "THEN 'refund' ELSE 'dup_book' END "
            "WHEN coalesce(refund_signal AND net <= 0.005 AND coalesce(gross, 0) > 0, FALSE) "
            f"THEN 'refunded' WHEN who = 'new' AND NOT {adding} THEN 'unknown' "
            f"ELSE 'decided' END AS cat FROM ({level3})")
        self.counts = dict(self.q("SELECT cat, count(*) FROM cb_s GROUP BY cat").fetchall())
        self.counts["lost"] = self.one("SELECT count(*) FROM cb_t WHERE lost")
        self.counts["follow"] = followers
        self.counts["merge_fail"] = self.one("SELECT count(*) FROM cb_follow WHERE merge_fail")
        self.counts["shared"] = self.one(
            "SELECT count(*) FROM cb_s s JOIN cb_t t USING (rn) JOIN cb_owners o ON "
            "o.key = t.p_key WHERE s.who = 'book_phone' AND o.n > 1") \
            if self.mapped("Phone") else 0

    # ------------------------------------------------------------------ problems
    def problems(self) -> None:
        """Every refused row's problems (``cb_bad``), in the order the row-by-row planner
        finds them: the order number, then the date, the amounts, the customer. The
        cells are read again for these rows only, to say what they hold."""
        oid_col = _q(self.header_of("OrderID"))
        amt_col = _q(self.header_of("Amount"))
        parts = [f"SELECT rn, 0 AS k, {oid_col} AS col, 'id_precision_lost' AS code, "
                 "oid AS value, NULL::DATE AS day, NULL::VARCHAR AS target FROM cb_t WHERE lost"]
        if self.counts.get("bad") or self.counts["merge_fail"]:
            self._masked_hints()
            cells = ["rn"]
            for target, name in (("OrderDate", "dt"), ("Amount", "a"), ("Refund", "r"),
                                 ("Cost", "c"), ("Paid", "pd")):
                cell, col = self._raw(target)
                cells += [f"{cell} AS {name}", f"{col} AS {name}_col"]
            self.q("CREATE OR REPLACE TEMP TABLE cb_badcells AS SELECT " + ", ".join(cells)
                   + " FROM cb_export SEMI JOIN (SELECT rn FROM cb_s WHERE cat = 'bad' UNION "
                   "ALL SELECT rn FROM cb_follow WHERE merge_fail) b USING (rn)")

            def txt(name: str, table: str, fast: str) -> str:
                j = f"LEFT JOIN {table} l ON l.v = e.{name}" if self.odd[table] else ""
                val = "l.txt" if self.odd[table] else "NULL"
                return (f"(SELECT CASE WHEN {fast.format('e.' + name)} THEN e.{name} ELSE {val} "
                        f"END FROM cb_badcells e {j} WHERE e.rn = x.rn)")

            parts.append(f"SELECT x.rn, 0, {amt_col}, 'not_a_number', "
                         f"{txt('a', 'cb_lk_num', _NUM_FAST)}, NULL, NULL FROM cb_follow x "
                         "WHERE x.merge_fail")
            parts.append(
                "SELECT x.rn, 0, e.dt_col, CASE WHEN t.d_blank THEN 'required_blank' WHEN NOT "
                "t.d_ok THEN 'not_a_date' ELSE 'date_in_future' END, CASE WHEN NOT t.d_blank "
                f"AND NOT t.d_ok THEN {txt('dt', 'cb_lk_date', _DATE_FAST)} END, CASE WHEN t.d_ok "
                "THEN t.d END, CASE WHEN t.d_blank THEN 'OrderDate' END FROM cb_s x JOIN cb_t t "
                "USING (rn) JOIN cb_badcells e USING (rn) WHERE x.bad_d")
            for k, p in enumerate(("a", "r", "c", "pd"), 1):
                parts.append(
                    f"SELECT x.rn, {k}, e.{p}_col, CASE WHEN t.{p}_blank THEN 'required_blank' "
                    f"WHEN NOT t.{p}_ok THEN 'not_a_number' ELSE 'number_too_large' END, "
                    f"CASE WHEN NOT t.{p}_blank THEN {txt(p, 'cb_lk_num', _NUM_FAST)} END, "
                    f"NULL, CASE WHEN t.{p}_blank THEN 'Amount' END FROM cb_s x JOIN cb_t t "
                    f"USING (rn) JOIN cb_badcells e USING (rn) WHERE x.bad_{p}")
            parts.append(
                "SELECT x.rn, 5, CASE WHEN x.who = 'unknown_id' THEN t.cid_col ELSE t.p_col "
                "END, CASE x.who WHEN 'unknown_id' THEN 'unknown_customer_id' WHEN 'masked' "
                "THEN 'phone_masked' WHEN 'scientific' THEN 'phone_scientific' ELSE "
                "'phone_invalid' END, CASE WHEN x.who = 'unknown_id' THEN t.cid ELSE t.p_text "
                "END, NULL, NULL FROM cb_s x JOIN cb_t t USING (rn) WHERE x.who IN "
                "('unknown_id', 'masked', 'scientific', 'invalid')")
        self.q("CREATE OR REPLACE TEMP TABLE cb_bad AS " + " UNION ALL ".join(parts))

    def _masked_hints(self) -> None:
        """Which customers a masked phone could be (said in its message)."""
        masked = [v for (v,) in self.q("SELECT DISTINCT t.p_text FROM cb_s s JOIN cb_t t "
                                       "USING (rn) WHERE s.who = 'masked'").fetchall()]
        if not masked:
            return
        phones = {key: list(ids) for key, ids in self.q(
            "SELECT key, list(cid ORDER BY pos, idx) FROM cb_ph GROUP BY key "
            "ORDER BY min(pos), arg_min(idx, pos)").fetchall()}
        for text in masked:
            fits = mask_matches(text, phones)
            ids = list(dict.fromkeys(c for k in fits for c in phones[k]))
            hint = render("phone_masked_hint", "en", candidates=ids) if 0 < len(ids) <= 3 \
                else ""
            hint_zh = render("phone_masked_hint", "zh-CN", candidates=ids) if hint else ""
            self.hints[text] = Both(hint, hint_zh)

    # ---------------------------------------------------------------- decisions
    def decide(self) -> None:
        """Purchases without an order number the book has, or that the export repeats
        (``cb_fpmark``); refund lines of orders in the book (``cb_refunds``); the rows
        whose orders are added (``cb_kept``)."""
        without = self.one("SELECT count(*) FROM cb_s WHERE cat = 'decided' AND oid IS NULL") \
            if self.counts.get("decided") else 0
        if without:
            self.fingerprints()
            odd = self._lookup("cb_fold_e", ["product_text"],
                               "cb_s WHERE cat = 'decided' AND oid IS NULL", None,
                               lambda v: (fold(v),), {"f": "VARCHAR"})
            f = "coalesce(f.f, '')" if odd else "''"
            join = "LEFT JOIN cb_fold_e f ON f.v = d.product_text" if odd else ""
            number = "t.ln" if self.has_ln else "CAST(NULL AS VARCHAR)"
            key = "date, kind, ckey, cents, fprod"
            self.q(
                "CREATE OR REPLACE TEMP TABLE cb_fp0 AS SELECT d.rn, d.date, d.kind, d.ckey, "
                f"{_cents(_round2('d.net'))} AS cents, {f} AS fprod, {number} AS number "
                "FROM cb_s d "
                f"JOIN cb_t t USING (rn) {join} WHERE d.cat = 'decided' AND d.oid IS NULL")
            self.q(
                "CREATE OR REPLACE TEMP TABLE cb_fp1 AS SELECT *, row_number() OVER (PARTITION "
                f"BY {key}, number ORDER BY rn) AS rank_in, min(rn) OVER (PARTITION BY {key}, "
                "number) AS first_rn FROM cb_fp0")
            self.q(
                "CREATE OR REPLACE TEMP TABLE cb_fp AS SELECT f.*, CASE WHEN f.rank_in = 1 THEN "
                f"row_number() OVER (PARTITION BY f.{key.replace(', ', ', f.')}, f.rank_in = 1 "
                "ORDER BY f.rn) END AS d_rank, coalesce(b.n, 0) AS book_n FROM cb_fp1 f "
                "LEFT JOIN cb_fp_book b ON f.kind = 'book' AND b.day = f.date AND "
                "b.cid = f.ckey AND b.cents = f.cents AND b.fprod = f.fprod")
            self.q("CREATE OR REPLACE TEMP TABLE cb_fpmark AS SELECT rn, number, first_rn, "
                   "rank_in > 1 AS repeat FROM cb_fp WHERE rank_in > 1 OR d_rank <= book_n")
        else:
            self.q("CREATE OR REPLACE TEMP TABLE cb_fpmark AS SELECT NULL::BIGINT AS rn, "
                   "NULL::VARCHAR AS number, NULL::BIGINT AS first_rn, NULL::BOOLEAN AS "
                   "repeat WHERE FALSE")
        self.counts["fpmark"] = self.one("SELECT count(*) FROM cb_fpmark")
        kept = "SELECT * FROM cb_s WHERE cat = 'decided'"
        if self.counts["fpmark"]:
            kept = ("SELECT s.* FROM cb_s s ANTI JOIN cb_fpmark m ON m.rn = s.rn "
                    "WHERE s.cat = 'decided'")
        self.q(f"CREATE OR REPLACE TEMP VIEW cb_kept AS {kept}")
        self._refund_ids()

    def _refund_ids(self) -> None:
        """A refund line's OrderID: the order's, then -R, -R2 … not in the book yet."""
        if not self.counts.get("refund"):
            self.q("CREATE OR REPLACE TEMP TABLE cb_refunds AS SELECT rn, oid, bo_customer, "
                   "bo_day, bo_product, date, NULL::VARCHAR AS rid, NULL::DOUBLE AS amount "
                   "FROM cb_s WHERE FALSE")
            return
        digits = f"regexp_extract(b.oid, {_REFUND_RE}, 2)"
        self.q(
            "CREATE OR REPLACE TEMP TABLE cb_taken AS SELECT DISTINCT b.base, CASE WHEN "
            f"{digits} = '' THEN 1 ELSE CAST({digits} AS BIGINT) END AS n FROM cb_bk b SEMI "
            "JOIN (SELECT oid FROM cb_s WHERE cat = 'refund') i ON i.oid = b.base WHERE b.pat "
            f"AND ({digits} = '' OR (regexp_full_match({digits}, '[1-9][0-9]{{0,17}}') AND "
            f"{digits} <> '1'))")
        self.q(
            "CREATE OR REPLACE TEMP TABLE cb_rid AS SELECT c.oid, min(c.n) AS n FROM (SELECT "
            "l.oid, unnest(range(l.start, l.start + l.k + 1)) AS n FROM (SELECT i.oid, "
            "i.bo_refunds + 1 AS start, coalesce(t.k, 0) AS k FROM cb_s i LEFT JOIN "
            "(SELECT base, count(*) AS k FROM cb_taken GROUP BY base) t ON t.base = i.oid "
            "WHERE i.cat = 'refund') l) c ANTI JOIN cb_taken t ON t.base = c.oid AND t.n = c.n "
            "GROUP BY c.oid")
        self.q(
            "CREATE OR REPLACE TEMP TABLE cb_refunds AS SELECT i.rn, i.oid, i.bo_customer, "
            f"i.bo_day, i.bo_product, i.date, i.oid || '{REFUND_SUFFIX}' || CASE WHEN r.n = 1 "
            "THEN '' ELSE CAST(r.n AS VARCHAR) END AS rid, "
            f"{_round2('i.net - i.total')} AS amount FROM cb_s i JOIN cb_rid r USING (oid) "
            "WHERE i.cat = 'refund'")

    # ------------------------------------------------------------------ outputs
    def new_customer_rows(self) -> pd.DataFrame:
        """The new customers, in the order of their first order (``cb_newc`` maps each
        buyer's phone key to the CustomerID given)."""
        firsts = []
        if self.counts.get("decided") and self.new_customers:
            firsts = self.q(
                "SELECT k.ckey, min(k.rn) AS first_rn, first(t.p_text ORDER BY k.rn), "
                "first(t.buyer_name ORDER BY k.rn), first(t.nickname ORDER BY k.rn), "
                "first(t.member_no ORDER BY k.rn), first(t.email ORDER BY k.rn) FROM cb_kept k "
                "JOIN cb_t t USING (rn) WHERE k.kind = 'new' GROUP BY k.ckey "
                "ORDER BY first_rn").fetchall()
        ids: list[str] = []
        if firsts:
            ids = next_customer_ids([c for (c,) in self.q(
                "SELECT cid FROM cb_cu WHERE cid IS NOT NULL ORDER BY pos").fetchall()],
                len(firsts))
        source = render("new_customer_source", self.lang)
        rows = []
        for (key, row, text, buyer, nick, member, email), cid in zip(firsts, ids, strict=True):
            phone_text = text if text is not None else key
            name = buyer or nick or member or email or phone_text
            note = render("new_customer_note", self.lang, today=self.today, file=self.ex.file,
                          row=int(row), system=self.res.label)
            for value, code in ((nick, "new_customer_note_nickname"),
                                (member, "new_customer_note_member"),
                                (email, "new_customer_note_email")):
                if value and value != name:
                    note += render(code, self.lang, value=value)
            rows.append((key, cid, name, phone_text, source, note, int(row)))
        frame = pd.DataFrame({
            "ckey": _texts(r[0] for r in rows),
            **{c: _texts(r[j] for r in rows) for j, c in enumerate(CUSTOMER_COLUMNS, 1)},
            "_source_row": pd.Series([r[6] for r in rows], dtype=np.int64)})
        _register(self.con, "cb_newc", frame[["ckey", "CustomerID"]],
                  {"ckey": "VARCHAR", "CustomerID": "VARCHAR"})
        return frame.drop(columns="ckey")

    def order_rows_sql(self) -> str:
        """SQL giving the Orders rows to append, in export order."""
        return (
            "SELECT k.oid AS OrderID, CASE WHEN k.kind = 'new' THEN n.CustomerID ELSE k.ckey "
            f"END AS CustomerID, k.date AS OrderDate, {_round2('k.net')} AS Amount, "
            "k.cost AS Cost, k.product_text AS Product, k.paid AS Paid, k.rn AS _source_row "
            "FROM cb_kept k LEFT JOIN cb_newc n ON k.kind = 'new' AND n.ckey = k.ckey "
            "UNION ALL SELECT rid, bo_customer, coalesce(bo_day, date, DATE "
            f"'{self.today.isoformat()}'), amount, NULL, bo_product, NULL, rn FROM cb_refunds "
            "ORDER BY _source_row")

    def write_rows(self, folder: Path) -> int:
        """The Orders rows to append, in export order, into the Parquet file
        ``orders.parquet`` (the Orders columns as a source holds them) and their export
        rows into ``rows.parquet``; how many."""
        types = {c.key: _SQL_TYPES.get(c.kind, "VARCHAR") for c in ORDERS.columns}
        cols = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types.items())
        self.q(f"CREATE OR REPLACE TEMP TABLE cb_orders AS {self.order_rows_sql()}")
        self.q(f"COPY (SELECT _source_row FROM cb_orders ORDER BY _source_row) TO "
               f"{_q(str(folder / 'rows.parquet'))} (FORMAT parquet)")
        return int(self.one(f"COPY (SELECT {cols} FROM cb_orders ORDER BY _source_row) TO "
                            f"{_q(str(folder / 'orders.parquet'))} (FORMAT parquet)"))

    def issues(self) -> dict[str, IssueRows]:
        """Each list of issues the plan reports, in row order."""
        oid_col = _q(self.header_of("OrderID"))
        ln_col = _q(self.header_of("LineNo"))
        refund_col = _q(self.header_of("Refund") or self.header_of("Status"))
        n = self.counts

        def sel(src: str, where: str, *, col: str = "NULL", code: str, value: str = "NULL",
                day: str = "NULL", target: str = "NULL", first_row: str = "NULL",
                amount: str = "NULL", rid: str = "NULL", st: str = "NULL",
                refund: str = "NULL", p_text: str = "NULL", buyer: str = "NULL",
                ids: str = "NULL", chosen: str = "NULL", k: str = "0") -> str:
            return (f"SELECT rn, CAST({col} AS VARCHAR) AS col, {code} AS code, "
                    f"CAST({value} AS VARCHAR) AS value, CAST({day} AS DATE) AS day, "
                    f"CAST({target} AS VARCHAR) AS target, CAST({first_row} AS BIGINT) AS "
                    f"first_row, CAST({amount} AS DOUBLE) AS amount, CAST({rid} AS VARCHAR) AS "
                    f"rid, CAST({st} AS VARCHAR) AS st, CAST({refund} AS DOUBLE) AS refund, "
                    f"CAST({p_text} AS VARCHAR) AS p_text, CAST({buyer} AS VARCHAR) AS buyer, "
                    f"CAST({ids} AS VARCHAR[]) AS ids, CAST({chosen} AS VARCHAR) AS chosen, "
                    f"{k} AS k FROM {src} WHERE {where}")

        _register(self.con, "cb_skipped0", pd.DataFrame({
            "rn": pd.Series([i.row for i in self.ex.skipped], dtype=np.int64),
            "code": _texts(i.code for i in self.ex.skipped),
            "value": _texts(i.params.get("value") for i in self.ex.skipped)}),
            {"rn": "BIGINT", "code": "VARCHAR", "value": "VARCHAR"})
        owners = ("(SELECT list(cid ORDER BY pos, idx) FROM cb_ph h WHERE h.key = t.p_key)")
        groups: dict[str, list[tuple[bool, str]]] = {
            "refused": [(True, sel("cb_bad", "TRUE", col="col", code="code", value="value",
                                   day="day", target="target", k="k"))],
            "duplicates": [
                (n["follow"] > 0, sel("cb_follow", "NOT merged", col=oid_col,
                                      code="'duplicate_in_export'", value="oid",
                                      first_row="first_rn")),
                (n.get("dup_book", 0) > 0, sel("cb_s", "cat = 'dup_book'", col=oid_col,
                                               code="'duplicate_in_book'", value="oid")),
                (n["fpmark"] > 0, sel("cb_fpmark", "repeat", col=f"CASE WHEN number IS NOT "
                                      f"NULL THEN {ln_col} END", code="CASE WHEN number IS "
                                      "NOT NULL THEN 'repeated_line_number' ELSE "
                                      "'repeated_line' END", first_row="first_rn")),
                (n["fpmark"] > 0, sel("cb_fpmark", "NOT repeat",
                                      code="'duplicate_purchase'")),
            ],
            "skipped": [
                (n["follow"] > 0, sel("cb_follow", "merged AND NOT merge_fail",
                                      code="'merged_line'", value="oid", first_row="first_rn")),
                (n.get("status", 0) > 0, sel(
                    "cb_s JOIN cb_t t USING (rn)", "cat = 'status'", col="t.st_col",
                    code="CASE t.cls WHEN 'unpaid' THEN 'status_unpaid' WHEN 'cancelled' THEN "
                    "'status_cancelled' ELSE 'status_refunded' END", st="t.st")),
                (n.get("walk_in", 0) > 0, sel(
                    "cb_s JOIN cb_t t USING (rn)", "cat = 'walk_in'",
                    col="coalesce(t.p_col, t.cid_col)", code="'no_customer'")),
                (n.get("refunded", 0) > 0, sel(
                    "cb_s s JOIN cb_t t USING (rn)", "cat = 'refunded'", col=refund_col,
                    code="'status_refunded'", st="t.st", refund="s.refund", k="1")),
                (bool(self.ex.skipped), sel("cb_skipped0", "TRUE", code="code",
                                            value="value")),
            ],
            "unknown": [(n.get("unknown", 0) > 0, sel(
                "cb_s JOIN cb_t t USING (rn)", "cat = 'unknown'", col="t.p_col",
                code="'unknown_buyer'", p_text="t.p_text",
                buyer="coalesce(t.buyer_name, t.nickname)"))],
            "warnings": [(n["shared"] > 0, sel(
                "cb_s s JOIN cb_t t USING (rn) JOIN cb_owners o ON o.key = t.p_key",
                "s.who = 'book_phone' AND o.n > 1", col="t.p_col", code="'phone_shared'",
                value="t.p_text", ids=owners, chosen="o.owner"))],
            "refunds": [(n.get("refund", 0) > 0, sel(
                "cb_refunds", "TRUE", col=oid_col, code="'refund_line'", value="oid",
                amount="-amount", rid="rid"))],
        }
        empty = sel("cb_skipped0", "FALSE", code="code")
        out = {}
        for name, parts in groups.items():
            chosen = [sql for wanted, sql in parts if wanted] or [empty]
            frame = self.q(" UNION ALL ".join(chosen) + " ORDER BY rn, k").df()
            out[name] = IssueRows(frame, self._make)
        return out

    def _make(self, r: dict[str, Any]) -> RowIssue:
        code, v = r["code"], r["value"]
        if code in ("merged_line", "duplicate_in_export"):
            params: dict[str, Any] = {"value": v, "first_row": int(r["first_row"])}
        elif code in ("repeated_line", "repeated_line_number"):
            params = {"first_row": int(r["first_row"])}
        elif code == "required_blank":
            params = {"target": TARGETS[r["target"]].both}
        elif code == "date_in_future":
            params = {"value": pd.Timestamp(r["day"]).date(), "today": self.today}
        elif code == "phone_masked":
            params = {"value": v, "hint": self.hints[v]}
        elif code == "refund_line":
            params = {"value": v, "amount": float(r["amount"]), "refund_id": r["rid"]}
        elif code in ("status_unpaid", "status_cancelled", "status_refunded"):
            text = r["st"] or ("" if r["refund"] is None else str(float(r["refund"])))
            params = {"value": Both(text, text)}
        elif code == "unknown_buyer":
            params = {"value": " ".join(filter(None, (r["p_text"], r["buyer"])))}
        elif code == "phone_shared":
            params = {"value": v, "ids": [str(x) for x in r["ids"]], "chosen": r["chosen"]}
        elif code in ("no_customer", "duplicate_purchase"):
            params = {}
        else:  # the cell's value: not a number, not a date, an unknown ID …
            params = {"value": v}
        return RowIssue(None if r["rn"] is None else int(r["rn"]), r["col"], code, params)

    def summary(self, issues: dict[str, IssueRows], orders: int,
                customers: pd.DataFrame) -> ImportSummary:
        merged = self.one("SELECT count(*) FROM cb_follow WHERE merged AND NOT merge_fail")
        refused = self.one("SELECT count(DISTINCT rn) FROM cb_bad")
        unknown = self.one("SELECT count(DISTINCT ckey) FROM cb_s WHERE cat = 'unknown'")
        refunds = len(issues["refunds"])
        return ImportSummary(
            read=self.ex.count, new_orders=orders - refunds, refund_lines=refunds,
            duplicates=len(issues["duplicates"]), new_customers=len(customers),
            refused=int(refused), skipped=len(issues["skipped"]) - int(merged),
            merged_lines=int(merged), unknown_buyers=int(unknown))


def _id_texts(values: pd.Series) -> pd.Series:
    """A CustomerID column as the book reader's text: stripped, None when blank."""
    return _texts(None if _blank(v) else str(v).strip() for v in values)


def _phone_texts(values: pd.Series) -> pd.Series:
    """A Phone column as text the phone functions read alike (a number as its digits)."""
    return _texts(None if _blank(v) else v if isinstance(v, str) else
                  (_phone_as_text(v) or None) for v in values)


def _objects(s: pd.Series) -> pd.Series:
    """Text as the row-by-row plan holds it: objects, None where there is none."""
    values = s.to_numpy(dtype=object, na_value=None)
    return pd.Series(values, dtype=object)


def _python_round(con: Any) -> None:
    """``cb_pyround(x)``: Python's ``round(x, 2)`` (see :func:`_round2`)."""
    import duckdb

    con.create_function("cb_pyround", lambda x: None if x is None else round(x, 2),
                        [duckdb.sqltypes.DOUBLE], duckdb.sqltypes.DOUBLE,
                        null_handling="special", side_effects=False)


class CsvExport:
    """A CSV export read into DuckDB with every row's values typed: the half of planning
    that needs nothing of the book, so that it can run while the book's customers are
    read. Its arguments are those of :func:`plan_csv_import` that concern the export and
    the source; :func:`plan_csv_import` plans with it (and closes it), :meth:`close`
    lets it go unplanned."""

    def __init__(self, export: str | Path, mapping: ImportMapping | Iterable[MappingRow] |
                 None, *, source: Any = None, lang: str = "en", name: str | None = None,
                 max_bytes: int = SOURCE_MAX_BYTES, max_rows: int = SOURCE_MAX_ROWS) -> None:
        from ..errors import BookError, Reason
        from ..sources import reading

        self.mapping = ImportMapping.of(mapping)
        self.rel = None
        if source is not None and source.path.exists():
            try:  # opened only: the import looks up the few orders it can collide with
                self.rel = reading.OrdersRelation(source, None, pd.DataFrame({"CustomerID": []}),
                                                  lang, check=False, materialise=False)
            except BookError as exc:
                if exc.code != Reason.SOURCE_NO_TABLE:  # a database without orders yet
                    raise
        self.con = self.rel.con if self.rel is not None else reading.connect()
        try:
            _python_round(self.con)
            self.loaded = load_csv(self.con, export, self.mapping, name=name,
                                   max_bytes=max_bytes, max_rows=max_rows)
            self.loaded.resolution.raise_if_incomplete(self.loaded.file)
            self.planner = _Planner(self.con, self.loaded, lang)
            from_source = self.rel is not None and self.rel.typed is not None
            self.planner.values(with_days=from_source)
            if from_source:
                self.planner.source_subset(self.rel.typed)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.rel is not None:
            self.rel.close()
        else:
            self.con.close()


def plan_csv_import(
    export: str | Path,
    mapping: ImportMapping | Iterable[MappingRow] | None,
    customers: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    *,
    source: Any = None,
    new_customers: bool = True,
    today: dt.date | None = None,
    lang: str = "en",
    name: str | None = None,
    max_bytes: int = SOURCE_MAX_BYTES,
    max_rows: int = SOURCE_MAX_ROWS,
    read: CsvExport | None = None,
) -> ImportPlan:
    """Plan the import of the CSV file ``export`` in DuckDB: the plan
    :func:`~.plan.plan_import` makes of ``read_export(export)`` with the same arguments
    (:mod:`.plan` has the rules), for exports of up to ``max_rows`` rows and
    ``max_bytes``.

    ``source``: the orders source (a :class:`~xl_addin.sources.location.Source`) that
    holds the book's orders besides the sheet's ``orders``: those the export can
    collide with are looked up in it (one of the export's order numbers or a refund line
    of one, or dated within the export's days) and come before the sheet's, as
    ``--to-source`` plans. ``read``: the export already read with these arguments
    (:class:`CsvExport`). Raises :class:`~.messages.ImportFileError` as
    :func:`~.exports.read_export` and :func:`~.plan.plan_import` do.
    """
    today = today or dt.date.today()
    if read is None:
        read = CsvExport(export, mapping, source=source, lang=lang, name=name,
                         max_bytes=max_bytes, max_rows=max_rows)
    try:
        loaded, res, p = read.loaded, read.loaded.resolution, read.planner
        p.know_book(customers, orders, new_customers=new_customers, today=today)
        p.book()
        p.lines()
        p.problems()
        p.decide()
        new_customers_frame = p.new_customer_rows()
        folder = tempfile.TemporaryDirectory(prefix="cb-plan-")
        rows_file = Path(folder.name) / "orders.parquet"
        rows = p.write_rows(Path(folder.name))
        issues = p.issues()
        return CsvImportPlan(
            file=loaded.file, system=res.system, system_label=res.label, columns=res.used(),
            orders=None, customers=new_customers_frame,
            duplicates=issues["duplicates"], skipped=issues["skipped"],
            refused=issues["refused"], unknown_buyers=issues["unknown"],
            warnings=issues["warnings"], refund_lines=issues["refunds"],
            mapping_to_save=read.mapping.new_rows(res.rows(lang)),
            title_rows=list(loaded.title_rows),
            summary=p.summary(issues, rows, new_customers_frame), rows_file=rows_file,
            rows=rows, read_by=loaded.via, read_why=loaded.why, folder=folder)
    finally:
        read.close()
