"""The per-customer aggregation of the orders as SQL: one definition, two engines.

Everything the engine needs of the orders (:class:`~xl_addin.domain.facts.OrderFacts`)
is written here once, in the SQL that DuckDB runs on the machine; :func:`for_spark` turns
the very same text into Spark SQL through the SQL transpiler (sqlglot), so a shop whose
history outgrows one machine runs it unchanged on a cluster (tests/sources prove both
give the same figures). Each query hands over one row per customer: the orders' rows
stay where they are.

Money is added up in whole millionths (each amount to the nearest 0.000001, summed as
whole numbers), as the engine adds it up for the sheet's orders
(:func:`~xl_addin.domain.btyd.money_units`): a total is the same to the last bit in
any row order, on any number of threads, on either engine, and the same as the sheet's.

Every query reads the relation ``orders`` (:data:`SUMMARY_SQL` its purchase days,
:data:`PURCHASE_DAYS_SQL`), whose rows come in no particular order, with these columns
(the door makes it from a source and from the Orders sheet):

``customer_id`` (a key: the door gives each customer's place on the Customers sheet, an
INTEGER, which groups faster than text; Spark is given the IDs) · ``order_day`` INTEGER
(days since 1970-01-01) · ``amount`` DOUBLE · ``cost`` DOUBLE (NULL: blank) ·
``product`` text (NULL: blank) · ``seq`` BIGINT (the row's place: files in name order,
rows in file order, the sheet last; what depends on the order orders by it).

The rules are the engine's (:func:`~xl_addin.domain.value.customer_history`,
:func:`~xl_addin.domain.btyd.summary_from_transactions`,
:func:`~xl_addin.domain.btyd.split_calibration_holdout`): orders after the as-of day do
not count; a purchase is an order with Amount >= 0; purchases are counted in purchase
days; a blank Cost is Amount × (1 − DefaultMarginRate); the last product is that of the
customer's last purchase that names one, and of two on one day the later row's.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..domain.btyd import CustomerSummary, HoldoutData

__all__ = ["FLOOR_SQL", "HISTORY_SQL", "PURCHASE_DAYS_SQL", "RECENT_SQL", "SUMMARY_SQL",
           "UNPAID_SQL", "day_number",
           "for_spark", "holdout_from_rows", "render", "summary_from_rows"]

_EPOCH = dt.date(1970, 1, 1)
#: money is added up in whole millionths, as the engine adds it up
#: (:func:`~xl_addin.domain.value.exact_sum`): the same total in any order, on any engine
_SCALE = "CAST(1000000 AS DOUBLE)"


def _units(expr: str) -> str:
    return f"CAST(FLOOR(({expr}) * {_SCALE} + CAST(0.5 AS DOUBLE)) AS BIGINT)"


def _money(sql: str) -> str:
    """The ``{units(x)}`` and ``{scale}`` of the definitions below, written out."""
    import re

    out = sql.replace("{scale}", _SCALE)
    while "{units(" in out:
        start = out.index("{units(")
        depth, i = 0, start + len("{units(")
        while True:  # the matching bracket of units(
            ch = out[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    break
                depth -= 1
            i += 1
        expr = out[start + len("{units("):i]
        assert out[i:i + 2] == ")}", out[start:i + 2]
        out = out[:start] + _units(expr) + out[i + 2:]
    assert not re.search(r"\{units", out)
    return out

#: per customer: money, orders, first and last purchase, the last product (orders up to
#: ``{cutoff}``)
HISTORY_SQL = _money("""
WITH money AS (
    SELECT customer_id,
           CAST(SUM({units(amount)}) AS DOUBLE) / {scale} AS revenue,
           CAST(SUM({units(amount - COALESCE(cost, amount * CAST({keep} AS DOUBLE)))}) AS DOUBLE)
               / {scale} AS margin,
           CAST(SUM(CASE WHEN amount < 0 THEN {units(amount)} ELSE 0 END) AS DOUBLE) / {scale}
               AS refunds,
           SUM(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) AS orders,
           MIN(CASE WHEN amount >= 0 THEN order_day END) AS first_day,
           MAX(CASE WHEN amount >= 0 THEN order_day END) AS last_day
    FROM orders
    WHERE order_day <= {cutoff}
    GROUP BY customer_id
),
named AS (
    SELECT customer_id, MAX(order_day) AS last_named_day
    FROM orders
    WHERE order_day <= {cutoff} AND amount >= 0 AND product IS NOT NULL
    GROUP BY customer_id
),
last_product AS (
    SELECT o.customer_id, ARG_MAX(o.product, o.seq) AS last_product
    FROM orders AS o
    JOIN named ON o.customer_id = named.customer_id AND o.order_day = named.last_named_day
    WHERE o.amount >= 0 AND o.product IS NOT NULL
    GROUP BY o.customer_id
)
SELECT m.customer_id, m.revenue, m.margin, m.refunds, m.orders, m.first_day, m.last_day,
       p.last_product
FROM money AS m
LEFT JOIN last_product AS p ON m.customer_id = p.customer_id
""")

#: per customer and purchase day (an order with Amount >= 0): the day's total in whole
#: millionths. :data:`SUMMARY_SQL` reads these rows as the relation ``purchase_days``
#: (on one machine a table made once, on a cluster a view)
PURCHASE_DAYS_SQL = _money("""
SELECT customer_id, order_day, SUM({units(amount)}) AS day_units
FROM orders
WHERE amount >= 0
GROUP BY customer_id, order_day
""")

#: per customer with a purchase up to ``{end}``, from ``purchase_days``: the BTYD summary
#: at ``{end}`` (frequency = purchase days - 1, recency = last - first day, T = end -
#: first day, monetary value = (total - first day's total) / frequency) and, in the same
#: pass, the model check's calibration/holdout split at ``{cal}``: the calibration
#: summary at ``{cal}`` (``cal_*``; the first day and its total are the same) and the
#: purchase days in the holdout ``({cal}, {end}]``. ``{cal}`` = ``{end}``: no split.
SUMMARY_SQL = _money("""
SELECT customer_id,
       COUNT(*) AS purchase_days,
       MIN(order_day) AS first_day,
       MAX(order_day) AS last_day,
       CAST(SUM(day_units) AS DOUBLE) / {scale} AS total,
       CAST(ARG_MIN(day_units, order_day) AS DOUBLE) / {scale} AS first_total,
       SUM(CASE WHEN order_day <= {cal} THEN 1 ELSE 0 END) AS cal_purchase_days,
       MAX(CASE WHEN order_day <= {cal} THEN order_day END) AS cal_last_day,
       CAST(SUM(CASE WHEN order_day <= {cal} THEN day_units ELSE 0 END) AS DOUBLE) / {scale}
           AS cal_total,
       SUM(CASE WHEN order_day > {cal} THEN 1 ELSE 0 END) AS holdout_purchases,
       MIN(CASE WHEN order_day > {cal} THEN order_day END) AS first_holdout_day
FROM purchase_days
WHERE order_day <= {end}
GROUP BY customer_id
""")

#: the orders the follow-up plans look at, in row order
RECENT_SQL = """
SELECT customer_id, order_day, amount, product
FROM orders
WHERE order_day >= {since} AND order_day <= {cutoff} AND amount > 0 AND product IS NOT NULL
ORDER BY seq
"""

#: the orders not paid in full (a Paid below the Amount of a sale) up to the cutoff, in
#: row order: the receivables (:mod:`xl_addin.domain.receivables`) are computed from them
UNPAID_SQL = """
SELECT customer_id, order_day, amount, paid
FROM orders
WHERE order_day <= {cutoff} AND amount > 0 AND paid IS NOT NULL AND paid < amount
ORDER BY seq
"""

#: the bare group-by (the benchmarks' floor): count, sum, first and last day per customer
FLOOR_SQL = """
SELECT customer_id, COUNT(*) AS orders, SUM(amount) AS revenue,
       MIN(order_day) AS first_day, MAX(order_day) AS last_day
FROM orders
GROUP BY customer_id
"""


def day_number(day: dt.date) -> int:
    """A date as days since 1970-01-01 (``order_day``)."""
    return (day - _EPOCH).days


def render(sql: str, **values: int | float) -> str:
    """``sql`` with its ``{name}`` placeholders filled by numbers (written as SQL literals;
    nothing a user typed is ever put into the text)."""
    out = sql
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer
                                                     | np.floating):
            raise TypeError(f"{name}: a number, not {value!r}")
        out = out.replace("{" + name + "}", repr(float(value)) if isinstance(
            value, float | np.floating) else str(int(value)))
    return out


def for_spark(sql: str) -> str:
    """The same query in Spark SQL (sqlglot: ARG_MAX → MAX_BY, ARG_MIN → MIN_BY …)."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark", pretty=True)[0]


def _ids(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Customer ids as the engine's summary holds them (Python strings, sorted as
    ``pandas.factorize(sort=True)`` sorts them) and the order that sorts the rows."""
    ids = np.asarray(frame["customer_id"].tolist(), dtype=object)
    order = np.argsort(ids, kind="stable")
    return ids[order], order


def _summary(ids: np.ndarray, count: np.ndarray, first_day: np.ndarray,
             last_day: np.ndarray, total: np.ndarray, first_total: np.ndarray,
             end_day: int) -> CustomerSummary:
    frequency = count - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (total - first_total) / np.maximum(frequency, 1), 0.0)
    return CustomerSummary(
        customer_id=ids,
        frequency=frequency,
        recency=(last_day - first_day) / 1.0,
        T=(end_day - first_day) / 1.0,
        monetary_value=monetary.astype(np.float64),
    )


def summary_from_rows(frame: pd.DataFrame, end_day: int) -> CustomerSummary:
    """The BTYD summary (days) at ``end_day`` from :data:`SUMMARY_SQL`'s rows, as
    :func:`~xl_addin.domain.btyd.summary_from_transactions` computes it with
    ``money_digits`` (money exact to a millionth)."""
    ids, order = _ids(frame)
    column = {k: frame[k].to_numpy(np.float64 if k.endswith("total") else np.int64)[order]
              for k in ("purchase_days", "first_day", "last_day", "total", "first_total")}
    return _summary(ids, column["purchase_days"], column["first_day"], column["last_day"],
                    column["total"], column["first_total"], end_day)


def holdout_from_rows(frame: pd.DataFrame, cal_day: int, end_day: int,
                      first_purchase_day: int) -> HoldoutData:
    """:class:`HoldoutData` from :data:`SUMMARY_SQL`'s rows at ``{cal}`` = ``cal_day``,
    ``{end}`` = ``end_day``, as :func:`~xl_addin.domain.btyd.split_calibration_holdout`
    gives it (days)."""
    rows = frame[frame["cal_purchase_days"].to_numpy(np.int64) > 0]
    ids, order = _ids(rows)

    def column(name: str, kind: type = np.int64) -> np.ndarray:
        return rows[name].to_numpy(kind)[order]

    calibration = _summary(ids, column("cal_purchase_days"), column("first_day"),
                           column("cal_last_day"), column("cal_total", np.float64),
                           column("first_total", np.float64), cal_day)
    first = column("first_holdout_day", np.float64)
    return HoldoutData(
        calibration=calibration,
        holdout_purchases=column("holdout_purchases"),
        first_holdout_day=np.where(np.isnan(first), -1, first - cal_day).astype(np.int64),
        calibration_end=np.datetime64(int(cal_day), "D"),
        holdout_end=np.datetime64(int(end_day), "D"),
        holdout_days=end_day - cal_day,
        unit_days=1.0,
        first_purchase=np.datetime64(int(first_purchase_day), "D"),
    )
