"""Small builders shared by the tests: raw tables and real workbook files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from xl_addin.domain.schema import RawTable
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS

AS_OF = dt.date(2026, 6, 30)

CUSTOMER_HEADER = [c.key for c in CUSTOMERS.columns]
ORDER_HEADER = [c.key for c in ORDERS.columns]
CONTACT_HEADER = [c.key for c in CONTACTS.columns]


def customer(cid: str, name: str = "", owner: str = "Ann", **kw: Any) -> list[Any]:
    rec = {"CustomerID": cid, "Name": name or f"Name {cid}", "Owner": owner, **kw}
    return [rec.get(k) for k in CUSTOMER_HEADER]


def order(cid: str, date: dt.date, amount: float, **kw: Any) -> list[Any]:
    rec = {"CustomerID": cid, "OrderDate": date, "Amount": amount, **kw}
    return [rec.get(k) for k in ORDER_HEADER]


def contact(cid: str, date: dt.date, **kw: Any) -> list[Any]:
    rec = {"CustomerID": cid, "ContactDate": date, **kw}
    return [rec.get(k) for k in CONTACT_HEADER]


def raw_book(customers: Sequence[list[Any]], orders: Sequence[list[Any]] = (),
             contacts: Sequence[list[Any]] = (), settings: dict[str, Any] | None = None
             ) -> dict[str, RawTable | None]:
    pairs = [["Language", "en"], *([k, v] for k, v in (settings or {}).items())]
    return {
        "Customers": RawTable("Customers", 1, list(CUSTOMER_HEADER), [list(r) for r in customers]),
        "Orders": RawTable("Orders", 1, list(ORDER_HEADER), [list(r) for r in orders]),
        "Contacts": RawTable("Contacts", 1, list(CONTACT_HEADER), [list(r) for r in contacts]),
        "Settings": RawTable("Settings", 1, ["Key", "Value"], pairs),
    }


def write_book(path: Path, sheets: dict[str, list[list[Any]]], *, tables: bool = True,
               vba: Path | None = None) -> Path:
    """A real workbook: each sheet's first row is its header; Excel Tables optional."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, v, date_fmt)
                elif isinstance(v, str):
                    ws.write_string(r, c, v)
                else:
                    ws.write(r, c, v)
        if tables and rows and len(rows) > 1 and name not in {"Settings", "设置"}:
            ws.add_table(0, 0, len(rows) - 1, len(rows[0]) - 1, {
                "name": name if name.isascii() else f"T{abs(hash(name)) % 10000}",
                "columns": [{"header": str(h)} for h in rows[0]],
            })
    if vba is not None:
        wb.add_vba_project(str(vba))
    wb.close()
    return path


def small_book(path: Path, *, extra_contacts: Sequence[list[Any]] = (),
               settings: dict[str, Any] | None = None) -> Path:
    """Three customers, a few orders and contacts, English."""
    d = dt.date
    customers = [CUSTOMER_HEADER,
                 customer("C1", "Alpha Ltd", "Ann", Phone="13800000001", Region="East"),
                 customer("C2", "Beta Co", "Ann", Phone="13800000002", Region="West"),
                 customer("C3", "Gamma", "Bob", Phone="13800000003", DoNotContact="Y")]
    orders = [ORDER_HEADER,
              order("C1", d(2026, 1, 10), 800.0, Cost=500.0, Product="Kit"),
              order("C1", d(2026, 3, 10), 200.0, Product="Kit"),
              order("C2", d(2025, 12, 1), 150.0, Product="Serum"),
              order("C3", d(2026, 6, 1), 50.0)]
    contacts = [CONTACT_HEADER,
                contact("C1", d(2026, 4, 1), Outcome="Reached"),
                *extra_contacts]
    pairs = [["Key", "Value"], ["Language", "en"], ["AsOfDate", AS_OF],
             *([k, v] for k, v in (settings or {}).items())]
    return write_book(path, {"Customers": customers, "Orders": orders, "Contacts": contacts,
                             "Settings": pairs})
