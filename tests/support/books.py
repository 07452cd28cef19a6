"""The one place tests build their inputs: raw tables, real workbook files, the shared
sample data, and small file-level tools (rezip, a PNG).

Every test that needs a workbook writes it with :func:`write_book` into ``tmp_path``;
nothing here is committed as a binary.
"""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from xl_addin.domain.schema import RawTable
from xl_addin.excel.reading import EPOCH_1900
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS

__all__ = ["AS_OF", "CONTACT_HEADER", "CUSTOMER_HEADER", "EN_CONTACTS", "EN_CUSTOMERS",
           "EN_ORDERS", "EN_SETTINGS", "F", "ORDER_HEADER", "ZH_CONTACTS", "ZH_CUSTOMERS",
           "ZH_ORDERS", "ZH_SETTINGS", "contact", "customer", "en_sheets", "member", "order",
           "png", "raw_book", "revenue", "rezip", "small_book", "write_book", "zh_sheets"]

#: the as-of date of every test book (Settings AsOfDate)
AS_OF = dt.date(2026, 6, 30)
D = dt.date

CUSTOMER_HEADER = [c.key for c in CUSTOMERS.columns]
ORDER_HEADER = [c.key for c in ORDERS.columns]
CONTACT_HEADER = [c.key for c in CONTACTS.columns]


# --------------------------------------------------------------------------- raw tables
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
    day0 = EPOCH_1900  # as a workbook in Excel's 1900 date system gives them
    return {
        "Customers": RawTable("Customers", 1, list(CUSTOMER_HEADER), [list(r) for r in customers],
                              day0),
        "Orders": RawTable("Orders", 1, list(ORDER_HEADER), [list(r) for r in orders], day0),
        "Contacts": RawTable("Contacts", 1, list(CONTACT_HEADER), [list(r) for r in contacts],
                             day0),
        "Settings": RawTable("Settings", 1, ["Key", "Value"], pairs, day0),
    }


@dataclass(frozen=True)
class F:
    """A formula cell with its cached value (a value Excel computed and saved)."""

    formula: str
    cached: Any


# --------------------------------------------------------------------------- the data
EN_CUSTOMERS = [
    ["CustomerID", "Name", "Owner", "Phone", "Region", "Birthday", "DoNotContact", "Notes"],
    ["C1", "Alpha Ltd", "Ann", "13800000001", "East", D(1980, 7, 2), None, "VIP"],
    ["C2", "Beta Co", "Ann", "13800000002", "West", None, None, None],
    ["C3", "Gamma", "Bob", "13800000003", "East", None, "Y", None],
    ["C4", "Delta Trading", "Bob", "13800000004", "North", D(1975, 12, 24), None, None],
    ["C5", "Epsilon", "Ann", "13800000005", None, None, None, "likes email"],
    ["C6", "Zeta Prospect", "Bob", "13800000006", "West", None, None, None],
]
EN_ORDERS = [
    ["OrderID", "CustomerID", "OrderDate", "Amount", "Cost", "Product"],
    ["O1", "C1", D(2025, 9, 10), 800.0, 500.0, "Kit"],
    ["O2", "C1", D(2026, 1, 10), 1200.0, None, "Kit"],
    ["O3", "C1", D(2026, 3, 10), 200.0, None, "Serum"],
    ["O4", "C2", D(2025, 12, 1), 150.0, None, "Serum"],
    ["O5", "C3", D(2026, 6, 1), 50.0, None, "Mask"],
    ["O6", "C4", D(2025, 2, 3), 3000.0, 2000.0, "Device"],
    ["O7", "C4", D(2025, 8, 19), 450.0, None, "Kit"],
    ["O8", "C5", D(2026, 5, 28), 99.5, None, "Mask"],
]
EN_CONTACTS = [
    ["CustomerID", "ContactDate", "Channel", "Staff", "Outcome", "NextFollowUp", "Notes"],
    ["C1", D(2026, 4, 1), "Phone", "Ann", "Reached", None, None],
    ["C2", D(2026, 6, 1), "Phone", "Ann", "Reached", D(2026, 6, 20), "call again"],
    ["C4", D(2026, 5, 5), "Visit", "Bob", "Complaint", None, "late delivery"],
]
EN_SETTINGS = [["Key", "Value"], ["Language", "en"], ["AsOfDate", AS_OF]]

ZH_CUSTOMERS = [
    ["客户编号", "客户名称", "负责人", "电话", "区域", "生日", "免打扰", "备注"],
    ["K001", "华夏贸易", "张伟", "13900000001", "华东", D(1982, 7, 3), None, "老客户"],
    ["K002", "东方美业", "张伟", "13900000002", "华南", None, None, None],
    ["K003", "李娜", "王芳", "13900000003", "华北", None, "是", None],
    ["K004", "星辰科技", "王芳", "13900000004", "华东", None, None, None],
]
ZH_ORDERS = [
    ["订单号", "客户编号", "下单日期", "金额", "成本", "产品"],
    ["D1", "K001", D(2025, 10, 8), 1800.0, None, "礼盒"],
    ["D2", "K001", D(2026, 2, 14), 600.0, None, "面膜"],
    ["D3", "K002", D(2026, 5, 20), 320.0, None, "精华"],
    ["D4", "K004", D(2025, 6, 1), 5000.0, 3500.0, "仪器"],
]
ZH_CONTACTS = [
    ["客户编号", "联系日期", "方式", "联系人", "结果", "下次跟进", "备注"],
    ["K001", D(2026, 5, 2), "电话", "张伟", "已接通", None, None],
    ["K002", D(2026, 6, 3), "微信", "张伟", "投诉", None, "包装破损"],
]
ZH_SETTINGS = [["键", "值"], ["Language", "zh-CN"], ["AsOfDate", AS_OF]]


def en_sheets() -> dict[str, list[list[Any]]]:
    return {"Customers": _copy(EN_CUSTOMERS), "Orders": _copy(EN_ORDERS),
            "Contacts": _copy(EN_CONTACTS), "Settings": _copy(EN_SETTINGS)}


def zh_sheets() -> dict[str, list[list[Any]]]:
    return {"客户": _copy(ZH_CUSTOMERS), "订单": _copy(ZH_ORDERS), "联系记录": _copy(ZH_CONTACTS),
            "设置": _copy(ZH_SETTINGS)}


def _copy(rows: list[list[Any]]) -> list[list[Any]]:
    return [list(r) for r in rows]


def revenue(cid: str) -> float:
    return sum(r[3] for r in EN_ORDERS[1:] if r[1] == cid)


# --------------------------------------------------------------------------- workbooks
def write_book(path: Path, sheets: dict[str, list[list[Any]]], *, tables: bool | str = True,
               vba: Path | None = None,
               merges: dict[str, list[tuple[int, int, int, int]]] | None = None) -> Path:
    """A real workbook: row 0 of each sheet is its header.

    ``tables``: ``True`` puts an Excel Table on every sheet but Settings, named after the
    sheet (``T1``, ``T2`` … for non-ASCII names); ``"inputs"`` on the first three sheets
    only, named ``Input1`` … without a filter button; ``False`` none. Values: ``None``
    (no cell), dates (a ``yyyy-mm-dd`` cell), text (always text), numbers, booleans and
    :class:`F` (a formula with its cached value). ``merges`` lists merged ranges per sheet
    as (first row, first col, last row, last col), 0-based.
    """
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    for t, (name, rows) in enumerate(sheets.items()):
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                _cell(ws, r, c, v, datef)
        for (r1, c1, r2, c2) in (merges or {}).get(name, []):
            ws.merge_range(r1, c1, r2, c2, rows[r1][c1])
        if len(rows) <= 1 or not tables:
            continue
        width = max(len(r) for r in rows)
        columns = [{"header": str(h)} for h in rows[0]]
        if tables == "inputs":
            if t < 3:
                ws.add_table(0, 0, len(rows) - 1, width - 1, {
                    "name": f"Input{t + 1}", "autofilter": False, "columns": columns})
        elif name not in {"Settings", "设置"}:
            ws.add_table(0, 0, len(rows) - 1, len(rows[0]) - 1, {
                "name": name if name.isascii() else f"T{t + 1}", "columns": columns})
    if vba is not None:
        wb.add_vba_project(str(vba))
    wb.close()
    return path


def _cell(ws: Any, r: int, c: int, v: Any, datef: Any) -> None:
    if v is None:
        return
    if isinstance(v, F):
        ws.write_formula(r, c, v.formula, datef if isinstance(v.cached, D) else None,
                         v.cached)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, c, v, datef)
    elif isinstance(v, str):
        ws.write_string(r, c, v)
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v)
    else:
        ws.write_number(r, c, v)


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


# --------------------------------------------------------------------------- file tools
def rezip(src: Path, dst: Path, edit: dict[str, bytes | None] | None = None,
          add: dict[str, bytes] | None = None) -> Path:
    """Copy a zip with members replaced (bytes) or dropped (None)."""
    edit = edit or {}
    with zipfile.ZipFile(src) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename in edit:
                if edit[info.filename] is None:
                    continue
                data = edit[info.filename]  # type: ignore[assignment]
            z.writestr(info, data)
        for name, data in (add or {}).items():
            z.writestr(name, data)
    return dst


def member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00\xff\x00")) + chunk(b"IEND", b""))


