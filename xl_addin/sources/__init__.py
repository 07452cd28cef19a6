"""Orders (and contacts) kept outside the workbook: Settings ``OrdersSource`` /
``ContactsSource``.

A shop keeps years of orders, more than Excel's 1,048,576 rows. A book whose Settings
name a source — a CSV or Parquet file or folder, or a DuckDB database, relative to the
workbook's folder (:mod:`.location`) — keeps its order history there; the refresh reads
it with DuckDB, the embedded engine (no server), beside the Orders sheet's rows, and
pushes the per-customer aggregation into SQL (:mod:`.aggregate`: one definition, which
runs unchanged on Spark SQL through sqlglot); the engine gets the orders' facts
(:class:`~xl_addin.domain.facts.OrderFacts`), never millions of rows (:mod:`.reading`).
``customerbook import --to-source`` and ``customerbook archive`` write into a source
(:mod:`.writing`).

The domain stays pure: nothing in :mod:`xl_addin.domain` imports DuckDB.
"""

from __future__ import annotations

from .location import Source, locate
from .reading import OrdersRelation, order_facts, orders_for_import, read_contacts, recent_since
from .writing import Staged, stage_orders

__all__ = ["OrdersRelation", "Source", "Staged", "locate", "order_facts", "orders_for_import",
           "read_contacts", "recent_since", "stage_orders"]
