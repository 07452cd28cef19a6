"""What importing an export would do to the book: :func:`plan_import`.

Pure: reads an :class:`~.exports.ExportTable`, the Mapping sheet's rows and the book's
Customers and Orders frames, writes nothing, and returns an :class:`ImportPlan` — the
Orders rows to append, the Customers rows to add, the rows skipped as duplicates, the
rows skipped on purpose, the refused rows and a summary. The caller (the CLI, the
Dashboard button) writes the plan only when :attr:`ImportPlan.ok`: **either the whole
export lands or nothing does**.

Required export columns: a date (OrderDate), an amount (Amount) and a customer key
(CustomerID or Phone); see :mod:`.mapping` for how they are found.

The rules
---------
Customers
    A row's customer is its CustomerID when that is on the Customers sheet, else the
    customer whose Phone has the same key (:func:`~xl_addin.domain.phones.normalise_phone`: spaces,
    dashes, ``+86`` … do not matter; a Customers cell may hold several numbers). A phone
    on several customers goes to the first of them on the sheet, with a warning. A phone
    nobody has is a **new customer**: one per distinct number, with the next CustomerID
    in the book's own pattern (the prefix most IDs share and one more than its highest
    number, zero-padded as they are: K0201 after K0200; an empty book starts at
    :data:`DEFAULT_ID_PREFIX` ``C0001``), Name from the buyer's name, else nickname,
    else member number, else the phone; Phone as normalised digits (text); Source
    ``导入`` / ``Import`` and a Notes line saying when, from which file and row and
    system — so staff can spot them. With ``new_customers=False`` such buyers are only
    listed (``unknown_buyers``) and their orders are not imported (this does not make
    the import fail).
Duplicates
    With an order number: a row whose OrderID is already on the Orders sheet, or that
    appeared earlier in this export, adds nothing. A later row of an order already seen
    whose amount is blank (Shopify's further line items) is merged into that order: its
    product is added to the order's Product (names joined with `` + ``). When the export
    has line numbers (LineNo), rows of the same order with different line numbers are
    its lines: their amounts are added up into one order.
    Without an order number: a row's fingerprint is (date, customer, amount to the cent as
    it is written, product folded). A purchase is new only as many times as the export holds it more
    often than the Orders sheet does. Identical rows inside one export count as
    separate purchases only when the export has line numbers that differ; otherwise
    the repeats are reported as repeated lines. Either way importing the same file a
    second time adds nothing.
Refunds and cancellations
    A status (订单状态, Financial Status …) of not paid yet (等待买家付款, 待付款,
    pending …), cancelled or closed (交易关闭, 已取消, voided, a Cancelled at date …) or
    refunded in full (已退款, 退款成功, refunded …) means the sale does not stand: a new
    order is skipped and reported. A refund amount (退款金额, Refunded Amount) is taken
    off the amount: a new order is imported at what was kept (skipped when nothing
    was). A return slip (退货单, 退款单) is imported with a negative amount. When the
    order is already on the Orders sheet, the book follows the export: if what was kept
    is less than the order's total in the book (its rows and its refund lines), a
    refund line ``<OrderID>-R`` (then ``-R2`` …) with the difference as a negative
    amount is appended, dated as the order; so a second import adds nothing.
Refused
    A row is refused (with its row number, the export column and why) when: its date or
    amount is blank or not a date / number; the date is after ``today``; an amount is
    too large; its order number was stored as a number and lost digits (≥ 16 digits or
    ``1.23E+18``); the phone is masked (it cannot be matched), was turned into
    ``1.38001E+10`` by Excel, or is not a phone number; its
    CustomerID is not on the Customers sheet and it has no phone to go by. Rows already
    on the Orders sheet are never refused. A row with neither a phone nor a CustomerID
    is a sale to nobody known (a till's walk-in sale): skipped and listed, not refused.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..domain.phones import (
    INVALID,
    MASKED,
    Phone,
    find_phone_in_text,
    mask_matches,
    normalise_phone,
)
from ..domain.phones import phone_keys as _phone_keys
from ..domain.schema import MAX_AMOUNT, parse_date, parse_number
from ..names import ORDERS, fold
from .exports import ExportTable
from .mapping import TARGETS, ImportMapping, MappingRow, Resolution
from .messages import Both, RowIssue, lines, render

__all__ = [
    "CUSTOMER_COLUMNS",
    "DEFAULT_ID_PREFIX",
    "DEFAULT_ID_WIDTH",
    "ORDER_COLUMNS",
    "REFUND_SUFFIX",
    "ImportPlan",
    "ImportSummary",
    "next_customer_ids",
    "plan_import",
    "status_class",
]

#: the Orders columns of :attr:`ImportPlan.orders` (then ``_source_row``)
ORDER_COLUMNS: tuple[str, ...] = tuple(c.key for c in ORDERS.columns)
#: the Customers columns of :attr:`ImportPlan.customers` (then ``_source_row``)
CUSTOMER_COLUMNS: tuple[str, ...] = ("CustomerID", "Name", "Phone", "Source", "Notes")
#: the first CustomerID of a book without numbered IDs is C0001
DEFAULT_ID_PREFIX = "C"
DEFAULT_ID_WIDTH = 4
#: a refund line's OrderID is the order's, then -R, -R2, -R3 …
REFUND_SUFFIX = "-R"
#: how many issues of each kind :meth:`ImportPlan.report` lists
REPORT_LIMIT = 50

UNPAID, CANCELLED, REFUNDED, PARTIAL, RETURN = "unpaid", "cancelled", "refunded", "partial", \
    "return"
_EXACT = {
    UNPAID: ("等待买家付款", "待付款", "未付款", "待支付", "未支付", "等待付款", "pending",
             "unpaid", "authorized", "awaiting payment", "payment pending"),
    CANCELLED: ("交易关闭", "已关闭", "关闭", "订单关闭", "已取消", "取消", "订单取消", "交易取消",
                "已作废", "作废", "cancelled", "canceled", "voided", "void", "closed",
                "expired"),
    REFUNDED: ("已退款", "退款成功", "全额退款", "全部退款", "退款完成", "已退货", "退货完成",
               "refunded", "returned", "fully refunded"),
    PARTIAL: ("部分退款", "partially_refunded", "partially refunded", "partial refund"),
    RETURN: ("退货单", "退款单", "退货", "退单", "return", "refund slip"),
}
_EXACT_WORDS = {fold(w): cls for cls, words in _EXACT.items() for w in words}
_CONTAINS = (("交易关闭", CANCELLED), ("订单关闭", CANCELLED), ("订单取消", CANCELLED),
             ("交易取消", CANCELLED), ("等待买家付款", UNPAID), ("退款成功", REFUNDED),
             ("全额退款", REFUNDED), ("部分退款", PARTIAL))
_TZ_SUFFIX = re.compile(r"\s*(?:Z|UTC|GMT|CST|[+-]\d{2}:?\d{2})\s*$", re.IGNORECASE)
_AMOUNT_NOTE = re.compile(r"^\s*([-+]?[\d,.\s¥￥$]+元?)\s*[（(]([^）)]*)[）)]\s*$")
_SCIENTIFIC = re.compile(r"[-+]?\d(?:\.\d+)?[eE][+]?\d+")
_ID_PATTERN = re.compile(r"^(.*?)(\d+)$")
_REFUND_ID = re.compile(r"^(.*)" + re.escape(REFUND_SUFFIX) + r"(\d*)$")


def status_class(text: Any) -> str | None:
    """What a status cell says about the sale, or ``None`` when it stands.

    ``unpaid`` (not paid yet), ``cancelled`` (cancelled or closed), ``refunded``
    (refunded in full), ``partial`` (partly refunded: the refund column says how much),
    ``return`` (a return slip: a negative amount). Other words (交易成功, 已发货, paid …)
    are a sale that stands.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    raw = str(text).strip()
    if not raw:
        return None
    hit = _EXACT_WORDS.get(fold(raw))
    if hit:
        return hit
    for word, cls in _CONTAINS:
        if word in raw:
            return cls
    return None


# ------------------------------------------------------------------------ values
def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, str):
        return not v.strip()
    return v is pd.NaT or v is pd.NA


def _text(v: Any) -> str | None:
    if _blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def _order_id(v: Any) -> tuple[str | None, bool]:
    """An order number as text, and whether it lost digits as a number."""
    if _blank(v):
        return None, False
    if isinstance(v, bool):
        return str(v), False
    if isinstance(v, float | np.floating):
        f = float(v)
        if not f.is_integer():
            return repr(f), False
        return str(int(f)), abs(f) >= 1e15
    if isinstance(v, int | np.integer):
        return str(int(v)), False
    s = str(v).strip()
    if _SCIENTIFIC.fullmatch(s):
        return s, True
    if re.fullmatch(r"\d+\.0", s):
        s = s[:-2]
    return s, False


def _date(v: Any) -> dt.date:
    if isinstance(v, str):
        v = _TZ_SUFFIX.sub("", v.strip())
    return parse_date(v)


def _amount(v: Any) -> float:
    """An amount cell; a trailing note in brackets (``499.00（仅供参考）``) is ignored."""
    try:
        return parse_number(v)
    except (ValueError, TypeError):
        if isinstance(v, str):
            m = _AMOUNT_NOTE.match(v)
            if m and not re.fullmatch(r"[\d.,\s]*", m.group(2)):
                return parse_number(m.group(1))
        raise


def next_customer_ids(existing: Iterable[Any], count: int) -> list[str]:
    """``count`` new CustomerIDs in the pattern most of ``existing`` share.

    The prefix shared by the most numbered IDs (ties: the prefix of the last such ID),
    one more than its highest number, zero-padded to the widest of them (K0200 →
    K0201). Without numbered IDs: :data:`DEFAULT_ID_PREFIX` and
    :data:`DEFAULT_ID_WIDTH` digits (C0001). Never an ID that exists.
    """
    ids = [str(v).strip() for v in existing if not _blank(v)]
    taken = set(ids)
    groups: dict[str, list[tuple[int, int]]] = {}
    last: dict[str, int] = {}
    for n, cid in enumerate(ids):
        m = _ID_PATTERN.match(cid)
        if m:
            groups.setdefault(m[1], []).append((int(m[2]), len(m[2])))
            last[m[1]] = n
    if groups:
        prefix = max(groups, key=lambda p: (len(groups[p]), last[p]))
        number = max(x for x, _w in groups[prefix])
        width = max(w for _x, w in groups[prefix])
    else:
        prefix, number, width = DEFAULT_ID_PREFIX, 0, DEFAULT_ID_WIDTH
    out: list[str] = []
    while len(out) < count:
        number += 1
        cid = f"{prefix}{number:0{width}d}"
        if cid not in taken:
            out.append(cid)
            taken.add(cid)
    return out


# -------------------------------------------------------------------------- the book
@dataclass
class _BookOrder:
    total: float
    customer: str | None
    date: dt.date | None
    product: str | None
    refunds: int = 0


def _day(v: Any) -> dt.date | None:
    if _blank(v):
        return None
    try:
        return pd.Timestamp(v).date()
    except (ValueError, TypeError):
        return None


def _cents(x: float) -> int:
    return int(round(x * 100))


def _number(v: Any) -> float | None:
    """A book cell as a number, ``None`` when it is blank or not one."""
    if _blank(v):
        return None
    try:
        f = parse_number(v)
    except (ValueError, TypeError):
        return None
    return f


class _Book:
    """What the plan needs to know of the book: its customers, phones and orders."""

    def __init__(self, customers: pd.DataFrame | None, orders: pd.DataFrame | None) -> None:
        customers = customers if customers is not None else pd.DataFrame()
        orders = orders if orders is not None else pd.DataFrame()
        ids = customers["CustomerID"].tolist() if "CustomerID" in customers else []
        self.customer_ids: list[str] = [str(c).strip() for c in ids if not _blank(c)]
        self.known = set(self.customer_ids)
        self.phones: dict[str, list[str]] = {}
        if "Phone" in customers and "CustomerID" in customers:
            for cid, phone in zip(customers["CustomerID"], customers["Phone"], strict=True):
                if _blank(cid) or _blank(phone):
                    continue
                for key in _phone_keys(phone):
                    self.phones.setdefault(key, []).append(str(cid).strip())
        self.orders: dict[str, _BookOrder] = {}
        self.order_ids: set[str] = set()
        self.fingerprints: Counter[tuple[Any, ...]] = Counter()
        if orders.empty:
            return
        get = {c: (orders[c].tolist() if c in orders else [None] * len(orders))
               for c in ("OrderID", "CustomerID", "OrderDate", "Amount", "Product")}
        records = list(zip(*get.values(), strict=True))
        refund_lines = []
        for oid_raw, cid, date, amount, product in records:
            oid = _order_id(oid_raw)[0]
            amount = _number(amount)
            day = _day(date)
            cid = None if _blank(cid) else str(cid).strip()
            if oid is not None:
                self.order_ids.add(oid)
                m = _REFUND_ID.match(oid)
                if m:
                    refund_lines.append((m[1], oid, amount))
                    continue
                bo = self.orders.get(oid)
                if bo is None:
                    self.orders[oid] = _BookOrder(amount or 0.0, cid, day, _text(product))
                else:
                    bo.total += amount or 0.0
            if day is not None and amount is not None and cid is not None:
                # a blank product as the book reader gives it (NaN) is no product
                self.fingerprints[(day, cid, _cents(amount), fold(_text(product) or ""))] += 1
        for base, oid, amount in refund_lines:
            bo = self.orders.get(base)
            if bo is None:  # not a refund line after all: an order whose ID ends in -R
                self.orders[oid] = _BookOrder(amount or 0.0, None, None, None)
                continue
            bo.total += amount or 0.0
            bo.refunds += 1

    def refund_id(self, oid: str) -> str:
        n = self.orders[oid].refunds + 1
        while True:
            rid = oid + REFUND_SUFFIX + ("" if n == 1 else str(n))
            if rid not in self.order_ids:
                self.order_ids.add(rid)
                self.orders[oid].refunds = n
                return rid
            n += 1


# ------------------------------------------------------------------------ the rows
@dataclass
class _Line:
    row: int
    oid: str | None = None
    line_no: str | None = None
    status: str | None = None
    status_text: str | None = None
    date: dt.date | None = None
    gross: float | None = None
    refund: float = 0.0
    cost: float | None = None
    paid: float | None = None
    product: str | None = None
    products: list[str] = field(default_factory=list)
    line_nos: set[str] = field(default_factory=set)
    in_book: bool = False
    walk_in: bool = False
    customer: tuple[str, str] | None = None
    phone: Phone | None = None
    phone_column: str | None = None
    buyer: dict[str, str] = field(default_factory=dict)
    problems: list[RowIssue] = field(default_factory=list)

    @property
    def refund_signal(self) -> bool:
        return self.status in (CANCELLED, REFUNDED) or self.refund > 0

    @property
    def net(self) -> float | None:
        if self.status in (CANCELLED, REFUNDED):
            return 0.0
        if self.gross is None:
            return None
        if self.status == RETURN:
            return -abs(self.gross)
        return max(self.gross - self.refund, 0.0) if self.gross >= 0 else self.gross

    def product_text(self) -> str | None:
        names = list(dict.fromkeys(p for p in self.products if p))
        return " + ".join(names)[:250] if names else None


class _Reader:
    """One export's cells read through the resolved mapping."""

    def __init__(self, export: ExportTable, res: Resolution) -> None:
        self.res = res
        self.header = export.header

    def value(self, cells: Sequence[Any], target: str) -> tuple[Any, str | None]:
        cols = self.res.columns.get(target, [])
        for i in cols:
            if not _blank(cells[i]):
                return cells[i], self.header[i]
        return None, (self.header[cols[0]] if cols else None)

    def phone(self, cells: Sequence[Any]) -> tuple[Phone | None, str | None]:
        """The first phone column that gives a usable number (or the first non-blank)."""
        first: tuple[Phone, str] | None = None
        for i in self.res.columns.get("Phone", []):
            v = cells[i]
            if _blank(v):
                continue
            p = normalise_phone(v)
            if p.key is None and p.kind == INVALID:
                p = find_phone_in_text(v) or p
            if p.key is not None:
                return p, self.header[i]
            if first is None:
                first = (p, self.header[i])
        if first is not None:
            return first
        return None, self.res.header_of("Phone")


# ------------------------------------------------------------------------- the plan
@dataclass
class ImportSummary:
    """The counts an import reports."""

    read: int = 0
    new_orders: int = 0
    refund_lines: int = 0
    duplicates: int = 0
    new_customers: int = 0
    refused: int = 0
    skipped: int = 0
    merged_lines: int = 0
    unknown_buyers: int = 0

    def render(self, lang: str, file: str, system: Both) -> str:
        text = render("summary", lang, file=file, system=system, read=self.read,
                      new_orders=self.new_orders, duplicates=self.duplicates,
                      new_customers=self.new_customers, refused=self.refused)
        parts = [render(code, lang, count=n) for code, n in (
            ("more_refund_lines", self.refund_lines), ("more_merged", self.merged_lines),
            ("more_skipped", self.skipped), ("more_unknown", self.unknown_buyers)) if n]
        if parts:
            text += "\n" + render("summary_more", lang,
                                  parts=("，" if lang == "zh-CN" else "; ").join(parts))
        return text


@dataclass
class ImportPlan:
    """What importing one export would do; nothing is written by making it.

    ``orders``: rows to append to Orders — the canonical Orders columns (OrderID,
    CustomerID, OrderDate as datetime64 dates, Amount, Cost and Paid as floats,
    Product), then ``_source_row``, the export row it came from (not a sheet column).
    ``customers``: rows to add to Customers (CustomerID, Name, Phone, Source, Notes,
    then ``_source_row``). ``mapping_to_save``: the Mapping sheet rows this import used
    that the sheet does not hold yet (append them so the mapping is remembered and can
    be edited). The issue lists are sequences of :class:`~.messages.RowIssue` in row
    order (lists here; :func:`~.sqlplan.plan_csv_import` makes each issue as it is read).
    """

    file: str
    system: str
    system_label: Both
    columns: dict[str, list[str]]
    orders: pd.DataFrame
    customers: pd.DataFrame
    duplicates: Sequence[RowIssue]
    skipped: Sequence[RowIssue]
    refused: Sequence[RowIssue]
    unknown_buyers: Sequence[RowIssue]
    warnings: Sequence[RowIssue]
    refund_lines: Sequence[RowIssue]
    mapping_to_save: list[MappingRow]
    title_rows: list[int]
    summary: ImportSummary

    @property
    def ok(self) -> bool:
        """No row is refused: the plan may be written."""
        return not self.refused

    @property
    def will_write(self) -> bool:
        """Whether writing the plan changes the book (no refusals, something to add)."""
        return self.ok and (len(self.orders) > 0 or len(self.customers) > 0)

    @property
    def order_count(self) -> int:
        """How many Orders rows the plan appends (refund lines included)."""
        return len(self.orders)

    def rows_for_source(self) -> Any:
        """The Orders rows to append, as :func:`~xl_addin.sources.stage_orders` takes them."""
        return self.orders.drop(columns="_source_row")

    def report(self, lang: str = "en") -> str:
        """The summary and every refused, warned, skipped and duplicate row, in ``lang``."""
        out = [self.summary.render(lang, self.file, self.system_label)]
        if self.title_rows:
            out.append(render("title_rows", lang, rows=self.title_rows))
        if self.refused:
            out.append(render("nothing_written", lang))
        elif not self.will_write:
            out.append(render("nothing_new", lang))
        sections = (("heading_refused", self.refused), ("heading_warnings", self.warnings),
                    ("heading_unknown", self.unknown_buyers),
                    ("heading_refunds", self.refund_lines),
                    ("heading_duplicates", self.duplicates), ("heading_skipped", self.skipped))
        for heading, issues in sections:
            if issues:
                out.append(render(heading, lang))
                out.extend(lines(lang, self.file, issues[:REPORT_LIMIT]))
                if len(issues) > REPORT_LIMIT:
                    out.append(render("and_more", lang, count=len(issues) - REPORT_LIMIT))
        if self.ok and len(self.customers):
            out.append(render("heading_new_customers", lang))
            out.extend(f"  - {cid} {name} {phone}".rstrip() for cid, name, phone in zip(
                self.customers["CustomerID"], self.customers["Name"].fillna(""),
                self.customers["Phone"].fillna(""), strict=True))
        return "\n".join(out)


def _frame(records: list[dict[str, Any]], columns: Sequence[str], *, dates: Sequence[str] = (),
           numbers: Sequence[str] = ()) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for c in (*columns, "_source_row"):
        values = [r.get(c) for r in records]
        if c in dates:
            data[c] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif c in numbers:
            data[c] = pd.Series([np.nan if v is None else float(v) for v in values],
                                dtype=np.float64)
        elif c == "_source_row":
            data[c] = pd.Series(values, dtype=np.int64)
        else:
            data[c] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


def _parse_line(line: _Line, cells: Sequence[Any], rd: _Reader, today: dt.date,
                lenient: bool) -> None:
    """Dates, amounts and the other values of a row; problems noted unless ``lenient``."""
    def problem(column: str | None, code: str, **params: Any) -> None:
        if not lenient:
            line.problems.append(RowIssue(line.row, column, code, params))

    v, col = rd.value(cells, "OrderDate")
    if _blank(v):
        problem(col, "required_blank", target=TARGETS["OrderDate"].both)
    else:
        try:
            line.date = _date(v)
            if line.date > today + dt.timedelta(days=1):
                problem(col, "date_in_future", value=line.date, today=today)
        except (ValueError, TypeError):
            problem(col, "not_a_date", value=_text(v))
    for target in ("Amount", "Refund", "Cost", "Paid"):
        v, col = rd.value(cells, target)
        if _blank(v):
            if target == "Amount":
                problem(col, "required_blank", target=TARGETS["Amount"].both)
            continue
        try:
            x = _amount(v)
        except (ValueError, TypeError):
            problem(col, "not_a_number", value=_text(v))
            continue
        if abs(x) > MAX_AMOUNT:
            problem(col, "number_too_large", value=_text(v))
            continue
        if target == "Amount":
            line.gross = x
        elif target == "Refund":
            line.refund = abs(x)
        elif target == "Cost":
            line.cost = x
        else:
            line.paid = x
    line.product = _text(rd.value(cells, "Product")[0])
    line.products = [line.product] if line.product else []
    for target in ("BuyerName", "Nickname", "MemberNo", "Email"):
        t = _text(rd.value(cells, target)[0])
        if t:
            line.buyer[target] = t


def _find_customer(line: _Line, cells: Sequence[Any], rd: _Reader, book: _Book,
                   warnings: list[RowIssue]) -> None:
    cid_raw, cid_col = rd.value(cells, "CustomerID")
    cid = _order_id(cid_raw)[0]
    phone, phone_col = rd.phone(cells)
    line.phone, line.phone_column = phone, phone_col
    usable = phone is not None and phone.key is not None
    if cid is not None:
        if cid in book.known:
            line.customer = ("book", cid)
            return
        if not usable:
            line.problems.append(RowIssue(line.row, cid_col, "unknown_customer_id",
                                          {"value": cid}))
            return
    if phone is None:
        line.walk_in = True
        line.phone_column = phone_col or cid_col
        return
    if phone.kind == MASKED:
        fits = mask_matches(phone.text, book.phones)
        ids = list(dict.fromkeys(c for k in fits for c in book.phones[k]))
        hint = render("phone_masked_hint", "en", candidates=ids) if 0 < len(ids) <= 3 else ""
        hint_zh = render("phone_masked_hint", "zh-CN", candidates=ids) if hint else ""
        line.problems.append(RowIssue(line.row, phone_col, "phone_masked",
                                      {"value": phone.text, "hint": Both(hint, hint_zh)}))
        return
    if phone.key is None:
        code = "phone_scientific" if _SCIENTIFIC.fullmatch(phone.text) else "phone_invalid"
        line.problems.append(RowIssue(line.row, phone_col, code, {"value": phone.text}))
        return
    owners = list(dict.fromkeys(book.phones.get(phone.key, [])))
    if owners:
        line.customer = ("book", owners[0])
        if len(owners) > 1:
            warnings.append(RowIssue(line.row, phone_col, "phone_shared",
                                     {"value": phone.text, "ids": owners, "chosen": owners[0]}))
    else:
        line.customer = ("new", phone.key)


def plan_import(
    export: ExportTable,
    mapping: ImportMapping | Iterable[MappingRow] | None,
    customers: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    *,
    new_customers: bool = True,
    today: dt.date | None = None,
    lang: str = "en",
) -> ImportPlan:
    """Plan the import of ``export`` into a book (see the module notes for the rules).

    ``mapping``: the Mapping sheet's rows (:func:`~.mapping.read_mapping_sheet`), or
    ``None`` for the built-in layouts. ``customers`` / ``orders``: the book's Customers
    and Orders frames with the canonical column names (as
    :func:`~xl_addin.domain.schema.parse_inputs` gives them: CustomerID, Phone …;
    OrderID, CustomerID, OrderDate, Amount, Product …); either may be ``None`` or
    empty. ``new_customers``: add unknown buyers (``False``: only list them).
    ``today``: later dates are refused (default: the computer's date). ``lang``: the
    book's language, for the new customers' Source and Notes.

    Raises :class:`~.messages.ImportFileError` ``unmapped_column`` (listing the export's
    headers) when the export has no date, amount or customer key column.
    """
    today = today or dt.date.today()
    user = ImportMapping.of(mapping)
    res = user.resolve(export.header)
    res.raise_if_incomplete(export.file)
    rd = _Reader(export, res)
    book = _Book(customers, orders)
    has_line_numbers = res.has("LineNo")

    duplicates: list[RowIssue] = []
    skipped: list[RowIssue] = list(export.skipped)
    warnings: list[RowIssue] = []
    merged = 0
    seen: dict[str, _Line] = {}
    parsed: list[_Line] = []

    # ---- pass 1: read every row
    for row, cells in zip(export.row_numbers, export.rows, strict=True):
        line = _Line(row)
        oid, lost = _order_id(rd.value(cells, "OrderID")[0])
        if lost:
            line.problems.append(RowIssue(row, res.header_of("OrderID"), "id_precision_lost",
                                          {"value": oid}))
            parsed.append(line)
            continue
        line.oid = oid
        line.line_no = _text(rd.value(cells, "LineNo")[0])
        status_text = _text(rd.value(cells, "Status")[0])
        status_column = res.header_of("Status")
        line.status_text, line.status = status_text, status_class(status_text)
        cancelled_at, cancelled_column = rd.value(cells, "CancelledAt")
        if not _blank(cancelled_at) and line.status != REFUNDED:
            status_text = f"{cancelled_column}: {_text(cancelled_at)}"
            status_column = cancelled_column
            line.status_text, line.status = status_text, CANCELLED
        amount_raw = rd.value(cells, "Amount")[0]
        first = seen.get(oid) if oid is not None else None
        if first is not None:
            new_line = (has_line_numbers and line.line_no is not None
                        and line.line_no not in first.line_nos)
            if _blank(amount_raw) or new_line:
                product = _text(rd.value(cells, "Product")[0])
                if product:
                    first.products.append(product)
                if new_line and not _blank(amount_raw):
                    first.line_nos.add(line.line_no or "")
                    try:
                        extra = _amount(amount_raw)
                        if first.gross is not None:
                            first.gross += extra
                    except (ValueError, TypeError):
                        line.problems.append(RowIssue(row, res.header_of("Amount"),
                                                      "not_a_number",
                                                      {"value": _text(amount_raw)}))
                        parsed.append(line)
                        continue
                skipped.append(RowIssue(row, None, "merged_line",
                                        {"value": oid, "first_row": first.row}))
                merged += 1
            else:
                duplicates.append(RowIssue(row, res.header_of("OrderID"), "duplicate_in_export",
                                           {"value": oid, "first_row": first.row}))
            continue
        if oid is not None:
            seen[oid] = line
            if line.line_no is not None:
                line.line_nos.add(line.line_no)
        line.in_book = oid is not None and oid in book.orders
        shown = Both(status_text or "", status_text or "")
        if not line.in_book and line.status in (UNPAID, CANCELLED, REFUNDED):
            code = {UNPAID: "status_unpaid", CANCELLED: "status_cancelled",
                    REFUNDED: "status_refunded"}[line.status]
            skipped.append(RowIssue(row, status_column, code, {"value": shown}))
            continue
        _parse_line(line, cells, rd, today, lenient=line.in_book)
        if not line.in_book:
            _find_customer(line, cells, rd, book, warnings)
        parsed.append(line)

    # ---- pass 2: decide
    refused: list[RowIssue] = []
    unknown: list[RowIssue] = []
    refund_notes: list[RowIssue] = []
    new_orders: list[dict[str, Any]] = []
    new_customers_rows: dict[str, dict[str, Any]] = {}
    pending_new: dict[str, _Line] = {}
    unknown_keys: set[str] = set()
    fp_lines: dict[tuple[Any, ...], list[_Line]] = {}
    decided: list[tuple[_Line, float]] = []

    for line in parsed:
        if line.problems:
            refused.extend(line.problems)
            continue
        if line.walk_in:
            skipped.append(RowIssue(line.row, line.phone_column, "no_customer"))
            continue
        if line.in_book and line.oid is not None:
            bo = book.orders[line.oid]
            net = line.net
            if line.refund_signal and net is not None and net < bo.total - 0.005:
                rid = book.refund_id(line.oid)
                amount = round(net - bo.total, 2)
                new_orders.append({
                    "OrderID": rid, "CustomerID": bo.customer,
                    "OrderDate": bo.date or line.date or today, "Amount": amount,
                    "Product": bo.product, "_source_row": line.row})
                refund_notes.append(RowIssue(line.row, res.header_of("OrderID"), "refund_line",
                                             {"value": line.oid, "amount": -amount,
                                              "refund_id": rid}))
                bo.total = net
            else:
                duplicates.append(RowIssue(line.row, res.header_of("OrderID"),
                                           "duplicate_in_book", {"value": line.oid}))
            continue
        net = line.net
        assert net is not None and line.customer is not None
        if line.refund_signal and net <= 0.005 and (line.gross or 0) > 0:
            skipped.append(RowIssue(line.row, res.header_of("Refund") or res.header_of("Status"),
                                    "status_refunded",
                                    {"value": Both(line.status_text or str(line.refund),
                                                   line.status_text or str(line.refund))}))
            continue
        kind, key = line.customer
        if kind == "new" and not new_customers:
            unknown.append(RowIssue(line.row, line.phone_column, "unknown_buyer",
                                    {"value": " ".join(filter(None, (
                                        line.phone.text if line.phone else None,
                                        line.buyer.get("BuyerName")
                                        or line.buyer.get("Nickname"))))}))
            unknown_keys.add(key)
            continue
        if line.oid is None:
            # the amount as the book will hold it (to the cent), as the next import reads it
            fp = (line.date, line.customer, _cents(round(net, 2)),
                  fold(line.product_text() or ""))
            fp_lines.setdefault(fp, []).append(line)
        decided.append((line, net))

    # purchases without an order number: new only as often as the book lacks them
    repeats: set[int] = set()
    book_dupes: set[int] = set()
    for fp, group in fp_lines.items():
        distinct: list[_Line] = []
        first_of: dict[str | None, int] = {}
        for line in group:
            number = line.line_no if has_line_numbers else None
            if number not in first_of:
                first_of[number] = line.row
                distinct.append(line)
                continue
            repeats.add(id(line))
            code = "repeated_line_number" if number is not None else "repeated_line"
            duplicates.append(RowIssue(line.row, res.header_of("LineNo") if number else None,
                                       code, {"first_row": first_of[number]}))
        kind, key = fp[1]
        in_book = book.fingerprints[(fp[0], key, fp[2], fp[3])] if kind == "book" else 0
        for line in distinct[:in_book]:
            book_dupes.add(id(line))
            duplicates.append(RowIssue(line.row, None, "duplicate_purchase"))

    for line, net in decided:
        if id(line) in repeats or id(line) in book_dupes:
            continue
        assert line.customer is not None
        kind, key = line.customer
        if kind == "new":
            pending_new.setdefault(key, line)
            cid = key  # replaced by the new CustomerID below
        else:
            cid = key
        new_orders.append({
            "OrderID": line.oid, "CustomerID": cid, "_new": kind == "new",
            "OrderDate": line.date, "Amount": round(net, 2), "Cost": line.cost,
            "Product": line.product_text(), "Paid": line.paid, "_source_row": line.row})

    # new customers, in the order their first order appears
    new_ids = next_customer_ids(book.customer_ids, len(pending_new))
    assigned = dict(zip(pending_new, new_ids, strict=True))
    for key, line in pending_new.items():
        cid = assigned[key]
        phone_text = line.phone.text if line.phone else key
        name = (line.buyer.get("BuyerName") or line.buyer.get("Nickname")
                or line.buyer.get("MemberNo") or line.buyer.get("Email") or phone_text)
        note = render("new_customer_note", lang, today=today, file=export.file,
                      row=line.row, system=res.label)
        for target, code in (("Nickname", "new_customer_note_nickname"),
                             ("MemberNo", "new_customer_note_member"),
                             ("Email", "new_customer_note_email")):
            value = line.buyer.get(target)
            if value and value != name:
                note += render(code, lang, value=value)
        new_customers_rows[key] = {
            "CustomerID": cid, "Name": name, "Phone": phone_text,
            "Source": render("new_customer_source", lang), "Notes": note,
            "_source_row": line.row}
    for rec in new_orders:
        if rec.pop("_new", False):
            rec["CustomerID"] = assigned[rec["CustomerID"]]

    new_orders.sort(key=lambda r: r["_source_row"])
    orders_frame = _frame(new_orders, ORDER_COLUMNS, dates=("OrderDate",),
                          numbers=("Amount", "Cost", "Paid"))
    customers_frame = _frame(list(new_customers_rows.values()), CUSTOMER_COLUMNS)
    duplicates.sort(key=lambda i: i.row or 0)
    skipped.sort(key=lambda i: i.row or 0)
    refused_rows = {i.row for i in refused}
    summary = ImportSummary(
        read=len(export.rows),
        new_orders=len(new_orders) - len(refund_notes),
        refund_lines=len(refund_notes),
        duplicates=len(duplicates),
        new_customers=len(customers_frame),
        refused=len(refused_rows),
        skipped=sum(i.code != "merged_line" for i in skipped),
        merged_lines=merged,
        unknown_buyers=len(unknown_keys),
    )
    return ImportPlan(
        file=export.file, system=res.system, system_label=res.label, columns=res.used(),
        orders=orders_frame, customers=customers_frame, duplicates=duplicates,
        skipped=skipped, refused=refused, unknown_buyers=unknown, warnings=warnings,
        refund_lines=refund_notes, mapping_to_save=user.new_rows(res.rows(lang)),
        title_rows=list(export.title_rows), summary=summary)
