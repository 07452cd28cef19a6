"""Reading a source with DuckDB (the embedded engine: no server): typed, checked, aggregated.

:func:`order_facts` is what a refresh does with Settings ``OrdersSource``: it puts the
source's orders and the Orders sheet's (validated by the sheet reader) into one
relation ``orders`` (:mod:`.aggregate` describes its columns; each row numbered by its
place: the source's files and rows in order, then the sheet's), checks the source's rows
as the sheet reader checks the sheet's (a required value blank, a date or number that is
not one, an amount too large, a customer not on the Customers sheet: each named with the
file, the row and the column, in the book's language; nothing is written), and runs the
one SQL definition of the per-customer aggregates on it. The engine gets
:class:`~xl_addin.domain.facts.OrderFacts`: a row per customer, and of the orders
themselves only those the follow-up plans and the receivables look at.

:func:`read_contacts` reads ``ContactsSource`` into the Contacts frame the engine
takes (contact histories are far smaller than order histories: their rows are read,
through the sheet reader's own checks). :func:`orders_for_import` gives the import the
source's orders it can collide with.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..domain import btyd
from ..domain.btyd import HoldoutData
from ..domain.facts import OrderFacts
from ..domain.schema import MAX_AMOUNT, RawTable, money_text, parse_table
from ..errors import BookError, CustomerBookError, Problems, Reason
from ..names import CONTACTS, ORDERS, SheetSpec, fold
from . import aggregate as agg
from .location import Source

__all__ = ["SHOWN_PROBLEMS", "OrdersRelation", "connect", "order_facts", "orders_for_import",
           "read_contacts", "recent_since"]

#: how many problem rows of a source are listed (the rest are counted)
SHOWN_PROBLEMS = 200
_ROW_SHIFT = 1 << 32  # seq = file number × 2³² + row in the file
_DATE_FORMATS = ["%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d",
                 "%Y年%m月%d日", "%Y-%m-%d %H:%M"]
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


#: what DuckDB may hold in memory while it aggregates a source (beyond it, it works
#: through temporary files): with the engine's own share, a refresh stays within 2 GB
MEMORY_LIMIT = "1GB"


def connect(*, spill: Path | None = None) -> Any:
    """An in-memory DuckDB connection (all cores). Without ``spill`` results and written
    files keep the rows in insertion order (what appending to a file needs). With it
    (a folder of its own) DuckDB may hand rows over in any order (every query that needs
    an order says it, ``ORDER BY``), holds at most :data:`MEMORY_LIMIT` and works
    through temporary files in ``spill`` beyond it."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET preserve_insertion_order = {'false' if spill else 'true'}")
    con.execute("SET enable_progress_bar = false")
    if spill is not None:
        con.execute(f"SET memory_limit = {_quote(MEMORY_LIMIT)}")
        con.execute(f"SET temp_directory = {_quote(str(spill))}")
    return con


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _unreadable(source: Source, exc: Exception, lang: str) -> BookError:
    detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return BookError(Reason.SOURCE_UNREADABLE, lang=lang, setting=source.setting,
                     path=source.label, detail=detail)


def _raw_select(con: Any, source: Source, spec: SheetSpec, lang: str) -> str | None:
    """SQL giving the source's rows as stored, with ``_file`` (its number) and ``_row``
    (the row as the user sees it: a CSV's line, a Parquet file's row from 1, a table's
    row from 1); ``None`` for a source without files yet."""
    if source.kind == "duckdb":
        try:
            con.execute(f"ATTACH {_quote(str(source.path))} AS src (READ_ONLY)")
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src'").fetchall()]
        except Exception as exc:
            raise _unreadable(source, exc, lang) from exc
        table = next((t for t in tables if fold(t) in spec.names()), None)
        if table is None:
            raise BookError(Reason.SOURCE_NO_TABLE, lang=lang, setting=source.setting,
                            path=source.label, expected=f"{spec.key} / {spec.zh}",
                            found=", ".join(tables) or "—")
        return f"SELECT *, 0 AS _file, rowid + 1 AS _row FROM src.main.{_ident(table)}"
    if not source.files:
        return None
    parts = []
    for i, f in enumerate(source.files):
        if source.kind == "parquet":
            parts.append(f"SELECT *, {i} AS _file, file_row_number + 1 AS _row FROM "
                         f"read_parquet({_quote(str(f))}, file_row_number = true)")
        else:
            parts.append(f"SELECT *, {i} AS _file, ordinality + 1 AS _row FROM "
                         f"read_csv({_quote(str(f))}, header = true, all_varchar = true) "
                         "WITH ORDINALITY")
    sql = "\nUNION ALL BY NAME\n".join(parts)
    if source.kind == "parquet":  # the row number the reader adds is not a column of ours
        sql = f"SELECT * EXCLUDE (file_row_number) FROM ({sql})"
    else:
        sql = f"SELECT * EXCLUDE (ordinality) FROM ({sql})"
    return sql


def _columns(con: Any, sql: str, source: Source, lang: str) -> list[tuple[str, str]]:
    try:
        return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {sql}").fetchall()]
    except Exception as exc:
        raise _unreadable(source, exc, lang) from exc


def _match(columns: Sequence[tuple[str, str]], spec: SheetSpec, source: Source,
           problems: Problems) -> dict[str, tuple[str, str]]:
    """Spec key -> (source column, its type), as the sheet reader matches a header."""
    found: dict[str, tuple[str, str]] = {}
    names = [c for c in columns if c[0] not in ("_file", "_row", "filename")]
    for i, (name, typ) in enumerate(names):
        col = next((c for c in spec.columns if fold(name) in c.names()), None)
        if col is None:
            continue
        if col.key in found:
            first = [n for n, _t in names].index(found[col.key][0]) + 1
            problems.add(source.label, None, name, Reason.DUPLICATE_COLUMN, first=first,
                         second=i + 1)
            continue
        found[col.key] = (name, typ)
    for col in spec.columns:
        if col.required and col.key not in found:
            problems.add(source.label, None, None, Reason.MISSING_COLUMN,
                         expected=" / ".join(dict.fromkeys([col.key, col.zh, *col.aliases[:1]])),
                         found=", ".join(n for n, _t in names) or "—")
    return found


def _text_expr(c: str, typ: str) -> str:
    if typ in _INT_TYPES:
        return f"CAST({c} AS VARCHAR)"
    if typ in _FLOAT_TYPES or typ.startswith("DECIMAL"):
        return (f"CASE WHEN {c} = TRUNC({c}) AND ABS({c}) < 1e15 THEN "
                f"CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END")
    return f"NULLIF(TRIM(CAST({c} AS VARCHAR)), '')"


def _date_expr(c: str, typ: str) -> str:
    if typ == "DATE":
        return c
    if typ.startswith("TIMESTAMP"):
        return f"CAST({c} AS DATE)"
    if typ == "VARCHAR":  # the text is trimmed already
        t = c
        formats = "[" + ", ".join(_quote(f) for f in _DATE_FORMATS) + "]"
        return (f"COALESCE(TRY_CAST({t} AS DATE), CAST(TRY_CAST({t} AS TIMESTAMP) AS DATE), "
                f"CAST(TRY_STRPTIME({t}, {formats}) AS DATE))")
    return "CAST(NULL AS DATE)"  # a number is not a date here: there is no date system


def _number_expr(c: str, typ: str) -> str:
    if typ in _INT_TYPES or typ in _FLOAT_TYPES or typ.startswith("DECIMAL"):
        return f"CAST({c} AS DOUBLE)"
    if typ == "VARCHAR":  # the text is trimmed already
        t = c
        return (f"COALESCE(TRY_CAST({t} AS DOUBLE), CASE WHEN regexp_full_match({t}, "
                r"'[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?') THEN "
                f"TRY_CAST(replace({t}, ',', '') AS DOUBLE) END)")
    return "CAST(NULL AS DOUBLE)"


def _typed_select(raw: str, found: dict[str, tuple[str, str]], spec: SheetSpec) -> str:
    """The source's rows typed: one column per spec key (NULL where the source has no such
    column), ``_raw_<key>`` (the cell as stored, text blank-trimmed: for the checks and the
    messages), ``_file``, ``_row``; rows where every column read is blank are left out,
    as the sheet reader leaves them. Each cell is trimmed once (the typed value is made
    from the trimmed text)."""
    inner, outer, raws = [], [], []
    for col in spec.columns:
        r = _ident("_raw_" + col.key)
        if col.key not in found:
            kind = {"date": "DATE", "money": "DOUBLE"}.get(col.kind, "VARCHAR")
            outer.append(f"CAST(NULL AS {kind}) AS {_ident(col.key)}")
            outer.append(f"CAST(NULL AS VARCHAR) AS {r}")
            continue
        name, typ = found[col.key]
        c = _ident(name)
        cell = f"NULLIF(TRIM({c}), '')" if typ == "VARCHAR" else c
        inner.append(f"{cell} AS {r}")
        if col.kind == "date":
            expr = _date_expr(r, typ)
        elif col.kind in ("money", "number", "int", "percent"):
            expr = _number_expr(r, typ)
        elif typ == "VARCHAR":
            expr = r  # already trimmed, blank as NULL
        else:
            expr = _text_expr(r, typ)
        outer.append(f"{expr} AS {_ident(col.key)}")
        outer.append(r)
        raws.append(r)
    keep = " OR ".join(f"{r} IS NOT NULL" for r in raws) or "FALSE"
    return (f"SELECT {', '.join(outer)}, _file, _row FROM (SELECT {', '.join(inner)}, _file, "
            f"_row FROM ({raw})) WHERE {keep}")


@dataclass(frozen=True)
class _Check:
    code: Reason
    column: str
    where: str
    value: str | None = None  # the column whose text is shown
    money: bool = False  # the message names the Paid and the Amount, as money


def _order_checks(found: dict[str, tuple[str, str]]) -> list[_Check]:
    checks = [
        _Check(Reason.REQUIRED_BLANK, "CustomerID", '"CustomerID" IS NULL'),
        _Check(Reason.UNKNOWN_CUSTOMER, "CustomerID",
               '"CustomerID" IS NOT NULL AND "CustomerID" NOT IN (SELECT customer_id FROM known)',
               "CustomerID"),
        _Check(Reason.REQUIRED_BLANK, "OrderDate", '"_raw_OrderDate" IS NULL'),
        _Check(Reason.NOT_A_DATE, "OrderDate",
               '"_raw_OrderDate" IS NOT NULL AND "OrderDate" IS NULL', "OrderDate"),
        _Check(Reason.DATE_OUT_OF_RANGE, "OrderDate",
               '"OrderDate" IS NOT NULL AND (year("OrderDate") < 1900 OR '
               'year("OrderDate") > 2200)', "OrderDate"),
        _Check(Reason.REQUIRED_BLANK, "Amount", '"_raw_Amount" IS NULL'),
    ]
    for key in ("Amount", "Cost", "Paid"):
        if key in found:
            checks.append(_Check(Reason.NOT_A_NUMBER, key,
                                 f'"_raw_{key}" IS NOT NULL AND ("{key}" IS NULL OR '
                                 f'NOT isfinite("{key}"))', key))
            checks.append(_Check(Reason.NUMBER_TOO_LARGE, key,
                                 f'isfinite("{key}") AND abs("{key}") > {MAX_AMOUNT!r}', key))
    if "Paid" in found:  # what was received for a sale: 0 to its Amount, as on the sheet
        big = repr(MAX_AMOUNT)  # (a number past it is refused as too large, not compared)
        sale = f'"Amount" >= 0 AND abs("Amount") <= {big} AND abs("Paid") <= {big}'
        checks.append(_Check(Reason.PAID_NEGATIVE, "Paid", f'{sale} AND "Paid" < 0',
                             money=True))
        checks.append(_Check(Reason.PAID_ABOVE_AMOUNT, "Paid",
                             f'{sale} AND "Paid" > "Amount" + 0.005', money=True))
    return checks


def _check(con: Any, typed: str, source: Source, found: dict[str, tuple[str, str]],
           checks: list[_Check], problems: Problems) -> None:
    """Every problem of the source's rows, in row order (the first :data:`SHOWN_PROBLEMS`
    named, the rest counted)."""
    any_bad = " OR ".join(f"({c.where})" for c in checks)
    bad = con.execute(f"SELECT count(*) FROM ({typed}) WHERE {any_bad}").fetchall()[0][0]
    if not bad:
        return
    parts = []
    for n, c in enumerate(checks):
        shown = f'CAST("_raw_{c.value}" AS VARCHAR)' if c.value else "CAST(NULL AS VARCHAR)"
        money = ('CAST("Paid" AS DOUBLE), CAST("Amount" AS DOUBLE)' if c.money
                 else "CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE)")
        parts.append(f"SELECT _file, _row, {n} AS _check, {shown} AS _value, {money} "
                     f"FROM ({typed}) WHERE {c.where}")
    rows = con.execute(" UNION ALL ".join(parts) + f" ORDER BY _file, _row, _check "
                       f"LIMIT {SHOWN_PROBLEMS}").fetchall()
    for file_no, row, n, value, paid, amount in rows:
        c = checks[n]
        header = found.get(c.column, (c.column,))[0]
        where = source.name_of(source.files[file_no]) if source.files else source.label
        params: dict[str, Any] = {}
        if c.code in (Reason.NOT_A_DATE, Reason.NOT_A_NUMBER, Reason.UNKNOWN_CUSTOMER,
                      Reason.DATE_OUT_OF_RANGE, Reason.NUMBER_TOO_LARGE):
            params["value"] = value
        if c.money:
            params.update(paid=money_text(paid), amount=money_text(amount))
        problems.add(where, int(row), header, c.code, **params)
    if bad > len(rows):
        problems.add(source.label, None, None, Reason.SOURCE_MORE_PROBLEMS,
                     count=f"{bad - len(rows):,}")


def _known(con: Any, customers: pd.DataFrame) -> None:
    """The Customers sheet's IDs with their place on it (``pos``, as the engine numbers
    them)."""
    ids = customers["CustomerID"]
    frame = pd.DataFrame({"customer_id": ids.to_numpy(dtype=object),
                          "pos": np.arange(len(ids), dtype=np.int32)})
    frame = frame[ids.notna().to_numpy()].reset_index(drop=True)
    con.register("known_frame", frame)
    con.execute("CREATE TEMP TABLE known AS SELECT CAST(customer_id AS VARCHAR) AS "
                "customer_id, CAST(pos AS INTEGER) AS pos FROM known_frame")
    con.unregister("known_frame")


def _sheet_orders(con: Any, orders: pd.DataFrame, file_no: int) -> str | None:
    """The Orders sheet's rows (already checked by the sheet reader) as ``orders`` rows."""
    if orders is None or not len(orders):
        return None
    days = orders["OrderDate"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    frame = pd.DataFrame({
        "customer_id": orders["CustomerID"].to_numpy(dtype=object),
        "order_day": days.astype(np.int32),
        "amount": orders["Amount"].to_numpy(dtype=np.float64),
        "cost": orders["Cost"].to_numpy(dtype=np.float64),
        "product": orders["Product"].to_numpy(dtype=object),
        "seq": np.int64(file_no) * _ROW_SHIFT + np.arange(1, len(orders) + 1, dtype=np.int64),
        "paid": (orders["Paid"].to_numpy(dtype=np.float64) if "Paid" in orders
                 else np.full(len(orders), np.nan)),
    })
    frame["product"] = frame["product"].where(frame["product"].notna(), None)
    con.register("sheet_orders", frame)
    return ("SELECT customer_id, order_day, amount, cost, CAST(product AS VARCHAR) AS product, "
            "seq, paid FROM sheet_orders")


class OrdersRelation:
    """A source's orders (and the sheet's) as the relation ``orders`` on one connection.

    The source is read once: its rows, typed and checked, and the sheet's after them go
    into one in-memory table, each customer by its place on the Customers sheet (an
    integer groups faster than a text; found by a join, which DuckDB runs on every core)
    and each product by a number (an enumeration), each row with its place in the
    source (``seq``: files in name order, rows in file order, the sheet last). The table
    holds the rows in no particular order: what depends on the order says so (``seq``).
    The relation ``orders`` that :mod:`.aggregate` reads is that table.
    ``materialise=False`` only opens the source (the import looks a few of its orders up).
    """

    def __init__(self, source: Source | None, sheet: pd.DataFrame | None,
                 customers: pd.DataFrame, lang: str, *, check: bool = True,
                 materialise: bool = True) -> None:
        #: DuckDB's folder for what it cannot hold in memory (removed on close)
        self.spill = Path(tempfile.mkdtemp(prefix="customerbook-duckdb-"))
        self.con: Any = None
        self.source = source
        self.lang = lang
        self.typed: str | None = None
        self.found: dict[str, tuple[str, str]] = {}
        self.rows = 0
        try:
            self.con = connect(spill=self.spill)
            self._open(source, sheet, customers, check, materialise)
        except BaseException:
            self.close()
            raise

    def _open(self, source: Source | None, sheet: pd.DataFrame | None,
              customers: pd.DataFrame, check: bool, materialise: bool) -> None:
        lang = self.lang
        _known(self.con, customers)
        self.ids = np.asarray(self.con.execute("SELECT customer_id FROM known ORDER BY pos")
                              .df()["customer_id"].tolist(), dtype=object)
        parts = []
        problems = Problems(lang)
        checks: list[_Check] = []
        if source is not None:
            raw = _raw_select(self.con, source, ORDERS, lang)
            if raw is not None:
                self.found = _match(_columns(self.con, raw, source, lang), ORDERS, source,
                                    problems)
                problems.raise_if_any()
                self.typed = _typed_select(raw, self.found, ORDERS)
                checks = _order_checks(self.found)
                bad = " OR ".join(f"({c.where})" for c in checks if c.code !=
                                  Reason.UNKNOWN_CUSTOMER) if check else "FALSE"
                parts.append(
                    'SELECT "CustomerID" AS customer_id, '
                    'CAST("OrderDate" - DATE \'1970-01-01\' AS INTEGER) AS order_day, '
                    '"Amount" AS amount, "Cost" AS cost, "Product" AS product, '
                    f"CAST(_file AS BIGINT) * {_ROW_SHIFT} + _row AS seq, "
                    + ('"Paid"' if "Paid" in self.found else "CAST(NULL AS DOUBLE)")
                    + f" AS paid, ({bad}) AS bad FROM ({self.typed})")
        if not materialise:
            return
        sheet_sql = _sheet_orders(self.con, sheet, len(source.files) + 1 if source else 1) \
            if sheet is not None else None
        if sheet_sql:
            parts.append(f"SELECT *, FALSE AS bad FROM ({sheet_sql})")
        if not parts:
            parts.append("SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS INTEGER) "
                         "AS order_day, CAST(NULL AS DOUBLE) AS amount, CAST(NULL AS DOUBLE) "
                         "AS cost, CAST(NULL AS VARCHAR) AS product, CAST(NULL AS BIGINT) AS "
                         "seq, CAST(NULL AS DOUBLE) AS paid, FALSE AS bad WHERE FALSE")
        body = " UNION ALL ".join(parts)
        con = self.con
        try:
            # each product by a number (an enumeration): ten million rows take far less
            # memory than as texts
            con.execute(f"CREATE TEMP TABLE cb_products AS SELECT DISTINCT product FROM "
                        f"({body}) WHERE product IS NOT NULL")
            named = con.execute("SELECT count(*) FROM cb_products").fetchall()[0][0]
            if named:
                con.execute("CREATE TYPE cb_product AS ENUM (SELECT product FROM cb_products "
                            "ORDER BY product)")
            product = "CAST(u.product AS cb_product)" if named else "u.product"
            con.execute(
                "CREATE TEMP TABLE orders_t AS SELECT k.pos AS customer_id, "
                "CAST(u.order_day AS INTEGER) AS order_day, u.amount, u.cost, "
                f"{product} AS product, u.seq, u.paid, "
                "u.bad OR (u.customer_id IS NOT NULL AND k.pos IS NULL) AS bad "
                f"FROM ({body}) AS u LEFT JOIN known AS k ON k.customer_id = u.customer_id")
            n_bad, self.rows = con.execute(
                "SELECT count(*) FILTER (WHERE bad), count(*) FROM orders_t").fetchall()[0]
            if check and n_bad and self.typed is not None and source is not None:
                _check(con, self.typed, source, self.found, checks, problems)
                problems.raise_if_any()
            con.execute("CREATE TEMP VIEW orders AS SELECT customer_id, order_day, amount, "
                        "cost, product, seq, paid FROM orders_t")
        except CustomerBookError:
            raise
        except Exception as exc:
            if source is None:
                raise
            raise _unreadable(source, exc, lang) from exc

    def names(self, positions: pd.Series) -> np.ndarray:
        """Customer IDs of the places the relation's ``customer_id`` holds."""
        return self.ids[positions.to_numpy(np.int64)]

    def query(self, sql: str) -> pd.DataFrame:
        try:
            return self.con.execute(sql).df()
        except Exception as exc:
            if self.source is None:
                raise
            raise _unreadable(self.source, exc, self.lang) from exc

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
        shutil.rmtree(self.spill, ignore_errors=True)


def recent_since(plans: pd.DataFrame | None, as_of: dt.date, drop_after_days: int
                 ) -> dt.date | None:
    """The first order date a plan call due in the follow-ups' window can come from (see
    :func:`~xl_addin.domain.followups.follow_ups`): ``None`` without plans."""
    if plans is None or plans.empty:
        return None
    p = plans.dropna(subset=["Product", "OffsetDays"])
    if p.empty:
        return None
    course = np.where(p["From"] == "End", p["CourseDays"].fillna(0), 0).astype(float)
    longest = float(np.max(p["OffsetDays"].to_numpy(dtype=float) + course))
    return as_of - dt.timedelta(days=int(drop_after_days) + int(np.ceil(longest)) + 1)


def order_facts(relation: OrdersRelation, as_of: dt.date, margin_rate: float,
                recent_from: dt.date | None, holdout_days: int | None = None) -> OrderFacts:
    """The engine's :class:`OrderFacts` for ``as_of`` from the relation's orders.

    Every figure is computed by the SQL of :mod:`.aggregate`, which hands over one row
    per customer (the orders' rows stay in DuckDB; only the follow-ups' recent orders
    and the unpaid sales come over as rows). The calibration/holdout split the model
    choice will ask for (Settings ``HoldoutDays``, blank: the engine's default from the
    history's span) is computed here, so the relation can be closed before the models
    are fitted; another split is computed on the relation while it is open."""
    cutoff = agg.day_number(as_of)
    rows = relation.query(agg.render(agg.HISTORY_SQL, cutoff=cutoff,
                                     keep=float(1.0 - margin_rate)))
    rows = rows.sort_values("customer_id", kind="stable", ignore_index=True)  # sheet order
    rows["customer_id"] = relation.names(rows["customer_id"])
    history = _history(rows)
    buys = rows["first_day"].notna()
    first = int(rows.loc[buys, "first_day"].min()) if buys.any() else None
    ready: dict[tuple[int, int], HoldoutData] = {}
    if first is None:
        empty = np.array([], dtype=np.float64)
        summary = btyd.CustomerSummary(np.array([], dtype=object),
                                       np.array([], dtype=np.int64), empty, empty, empty)
    else:  # the purchase days, grouped once for the summary and every split
        relation.query(f"CREATE TEMP TABLE purchase_days AS {agg.PURCHASE_DAYS_SQL}")
        days = holdout_days or btyd.default_holdout_days(cutoff - first)
        split_ok = cutoff - days - first >= 0  # the split the engine will make
        cal = cutoff - days if split_ok else cutoff
        part = _summary_rows(relation, cal, cutoff)
        summary = agg.summary_from_rows(part, cutoff)
        if split_ok:
            ready[(cal, cutoff)] = agg.holdout_from_rows(part, cal, cutoff, first)

    def holdout(cal_day: int, end_day: int) -> HoldoutData:
        key = (int(cal_day), int(end_day))
        if key not in ready:
            assert first is not None
            ready[key] = agg.holdout_from_rows(_summary_rows(relation, *key), *key, first)
        return ready[key]

    recent = _recent(relation, recent_from, cutoff)
    owed = relation.query(agg.render(agg.UNPAID_SQL, cutoff=cutoff))
    unpaid = pd.DataFrame({
        "CustomerID": relation.names(owed["customer_id"]),
        "OrderDate": _days(owed["order_day"]),
        "Amount": owed["amount"].to_numpy(np.float64),
        "Paid": owed["paid"].to_numpy(np.float64),
    })
    return OrderFacts(as_of=as_of, margin_rate=margin_rate, history=history, summary=summary,
                      first_purchase_day=first, holdout=holdout, recent=recent,
                      recent_from=recent_from, rows=relation.rows, unpaid=unpaid)


def _summary_rows(relation: OrdersRelation, cal_day: int, end_day: int) -> pd.DataFrame:
    part = relation.query(agg.render(agg.SUMMARY_SQL, cal=int(cal_day), end=int(end_day)))
    part["customer_id"] = relation.names(part["customer_id"])
    return part


def _days(values: pd.Series) -> np.ndarray:
    x = values.to_numpy(dtype=np.float64)
    out = np.full(len(x), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = ~np.isnan(x)
    out[ok] = x[ok].astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    return out


def _history(rows: pd.DataFrame) -> pd.DataFrame:
    ids = pd.Index(np.asarray(rows["customer_id"].tolist(), dtype=object), name="CustomerID")
    last = rows["last_product"].astype(object).to_numpy()
    last = np.where(pd.isna(last), np.nan, last).astype(object)
    return pd.DataFrame({
        "Revenue": rows["revenue"].to_numpy(np.float64),
        "Margin": rows["margin"].to_numpy(np.float64),
        "Orders": rows["orders"].to_numpy(np.int64),
        "FirstOrderDate": _days(rows["first_day"]),
        "LastOrderDate": _days(rows["last_day"]),
        "LastProduct": last,
        "Refunds": rows["refunds"].to_numpy(np.float64),
    }, index=ids)


def _recent(relation: OrdersRelation, since: dt.date | None, cutoff: int) -> pd.DataFrame:
    if since is None:
        return pd.DataFrame({"CustomerID": pd.Series([], dtype=object),
                             "OrderDate": pd.Series([], dtype="datetime64[ns]"),
                             "Amount": pd.Series([], dtype=np.float64),
                             "Product": pd.Series([], dtype=object)})
    rows = relation.query(agg.render(agg.RECENT_SQL, since=agg.day_number(since),
                                     cutoff=cutoff))
    return pd.DataFrame({
        "CustomerID": relation.names(rows["customer_id"]),
        "OrderDate": _days(rows["order_day"]),
        "Amount": rows["amount"].to_numpy(np.float64),
        "Product": np.asarray(rows["product"].tolist(), dtype=object),
    })


def orders_for_import(source: Source, customers: pd.DataFrame, order_ids: Sequence[str],
                      first: dt.date | None, last: dt.date | None, lang: str) -> pd.DataFrame:
    """The source's orders an import can collide with, as the Orders frame the import
    plan takes: those whose OrderID is one of ``order_ids`` (or a refund line of one),
    and those dated from ``first`` to ``last`` (their fingerprints)."""
    empty = pd.DataFrame({c.key: pd.Series([], dtype="datetime64[ns]" if c.kind == "date"
                                           else np.float64 if c.kind == "money" else object)
                          for c in ORDERS.columns})
    if not source.path.exists():  # a source not written yet
        return empty
    try:
        rel = OrdersRelation(source, None, customers, lang, check=False, materialise=False)
    except BookError as exc:
        if exc.code == Reason.SOURCE_NO_TABLE:  # a database without orders yet
            return empty
        raise
    try:
        if rel.typed is None:
            return empty
        rel.con.register("wanted", pd.DataFrame({"oid": pd.Series(list(order_ids),
                                                                   dtype=object)}))
        conds = ['"OrderID" IN (SELECT oid FROM wanted)',
                 "regexp_replace(\"OrderID\", '-R[0-9]*$', '') IN (SELECT oid FROM wanted)"]
        if first is not None and last is not None:
            conds.append(f"\"OrderDate\" BETWEEN DATE '{first.isoformat()}' AND "
                         f"DATE '{last.isoformat()}'")
        cols = ", ".join(_ident(c.key) for c in ORDERS.columns)
        rows = rel.query(f"SELECT {cols} FROM ({rel.typed}) WHERE {' OR '.join(conds)} "
                         "ORDER BY _file, _row")
    finally:
        rel.close()
    out = {}
    for c in ORDERS.columns:
        if c.kind == "date":
            out[c.key] = pd.to_datetime(rows[c.key]).astype("datetime64[ns]")
        elif c.kind == "money":
            out[c.key] = rows[c.key].astype(np.float64)
        else:
            out[c.key] = pd.Series(rows[c.key].tolist(), dtype=object)
    return pd.DataFrame(out)


def read_contacts(source: Source, customers: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The contact history a ``ContactsSource`` keeps, as the Contacts frame (checked by
    the sheet reader's own rules, file by file; a customer not on the Customers sheet
    is a problem as on the sheet)."""
    con = connect()
    problems = Problems(lang)
    frames = []
    try:
        raw = _raw_select(con, source, CONTACTS, lang)
        if raw is None:
            return parse_table(CONTACTS, RawTable(source.label, 1, [c.key for c in
                                                                    CONTACTS.columns], []),
                               Problems())[0]
        columns = [c for c, _t in _columns(con, raw, source, lang) if c not in ("_file",
                                                                                 "_row")]
        try:
            data = con.execute(f"SELECT * FROM ({raw}) ORDER BY _file, _row").fetchall()
        except Exception as exc:
            raise _unreadable(source, exc, lang) from exc
    finally:
        con.close()
    width = len(columns)
    by_file: dict[int, list[tuple[int, list[Any]]]] = {}
    for rec in data:
        by_file.setdefault(int(rec[width]), []).append((int(rec[width + 1]), list(rec[:width])))
    for file_no in sorted(by_file):
        recs = by_file[file_no]
        name = source.name_of(source.files[file_no]) if source.files else source.label
        first_row = recs[0][0] if recs else 2
        table = RawTable(name, first_row - 1, list(columns), [r for _n, r in recs], None)
        frame, headers = parse_table(CONTACTS, table, problems)
        known = set(customers["CustomerID"].dropna())
        bad = frame["CustomerID"].notna() & ~frame["CustomerID"].isin(known)
        for cid, row in zip(frame.loc[bad, "CustomerID"], frame.loc[bad, "_row"], strict=True):
            problems.add(name, int(row), headers.get("CustomerID", "CustomerID"),
                         Reason.UNKNOWN_CUSTOMER, value=cid)
        frames.append(frame)
    problems.raise_if_any()
    if not frames:
        return parse_table(CONTACTS, RawTable(source.label, 1, [c.key for c in
                                                                CONTACTS.columns], []),
                           Problems())[0]
    return pd.concat(frames, ignore_index=True)

