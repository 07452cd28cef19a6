"""The book the import tests plan against, and where the export fixtures live.

The Customers and Orders frames are shaped as the workbook reader gives them
(canonical column names, text IDs, datetime64 dates, float amounts, ``_row``).

Customers: K0194 赵敏 and K0195 赵磊 share a phone (a household); K0199 has two numbers
in one cell; K0198 has a landline. Orders: one Youzan order, one Taobao order and one
Shopify order that the fixtures list again (closed / refunded since), and one till
purchase without an order number that the till fixture lists again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
TODAY = dt.date(2026, 3, 10)


def book_customers() -> pd.DataFrame:
    return pd.DataFrame({
        "CustomerID": ["K0194", "K0195", "K0196", "K0197", "K0198", "K0199", "K0200"],
        "Name": ["赵敏", "赵磊", "王芳", "李娜", "张伟", "陈静", "刘洋"],
        "Phone": ["13500135000", "135 0013 5000", "138-0013-8000", "+86 139 0013 9000",
                  "010-6552-1234", "13700137000, 0755-8888-6666", "13600136000"],
        "Source": [np.nan] * 7,
        "Notes": [np.nan] * 7,
        "_row": np.arange(2, 9),
    })


def book_orders() -> pd.DataFrame:
    return pd.DataFrame({
        "OrderID": ["E20260220001", "3301000000000000005", "#1003", np.nan],
        "CustomerID": ["K0196", "K0197", "K0198", "K0200"],
        "OrderDate": pd.to_datetime(["2026-02-20", "2026-02-25", "2026-02-27", "2026-03-05"]),
        "Amount": [99.0, 256.0, 89.9, 35.0],
        "Cost": [np.nan] * 4,
        "Product": ["玫瑰精华面膜", "羊绒围巾", "Silk Scarf", "美式咖啡"],
        "Paid": [np.nan] * 4,
        "_row": np.arange(2, 6),
    })


def apply(plan, customers: pd.DataFrame, orders: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                         pd.DataFrame]:
    """The book after writing ``plan`` (what the workbook writer will append)."""
    new_c = plan.customers.drop(columns="_source_row")
    new_o = plan.orders.drop(columns="_source_row")
    c = pd.concat([customers, new_c], ignore_index=True) if len(new_c) else customers
    o = pd.concat([orders, new_o], ignore_index=True) if len(new_o) else orders
    return c, o
