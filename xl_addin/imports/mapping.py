"""Which export column is which Orders column: built-in layouts and the Mapping sheet.

An export's columns are matched to **targets**: the Orders columns (OrderID, CustomerID,
OrderDate, Amount, Cost, Product, Paid), the buyer's identity (Phone, BuyerName,
Nickname, MemberNo, Email) and what says an order did not stand (Status, Refund,
CancelledAt) or tells its lines apart (LineNo). Required: **OrderDate**, **Amount** and a
customer key, **CustomerID or Phone**.

Built-in layouts (:data:`SYSTEMS`) know the headers of common exports; where a layout
comes from is in each one's ``source``. The Mapping sheet (导入映射: SourceSystem 来源系统,
ExportColumn 导出列, OrdersColumn 订单列) holds the user's own rows, read back with
:func:`read_mapping_sheet` and written out with :func:`mapping_sheet_rows`:

* rows whose SourceSystem names a built-in system (its key, English or Chinese name) come
  before that system's own headers; an OrdersColumn ``Ignore`` (忽略) keeps that export
  column out;
* rows under any other SourceSystem describe a system of the user's own, recognised by
  its export columns;
* rows under ``*`` (全部, All) apply to every export.

How a header is found (:meth:`ImportMapping.resolve`): the system is detected from the
headers (a user system whose export columns are present best, else the built-in whose
distinctive headers are present best, else the generic words); then, per target, every
present export column is listed in priority order — the user's rows, the system's
headers, the generic words — each export column serving one target only. A row takes the
first of its target's columns that is not blank in that row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..names import ORDERS, Col, SheetSpec, fold
from .messages import Both, ImportFileError

__all__ = [
    "CUSTOMER_KEYS",
    "GENERIC",
    "IGNORE",
    "MAPPING_SHEET",
    "REQUIRED",
    "SYSTEMS",
    "TARGETS",
    "ImportMapping",
    "MappingRow",
    "Resolution",
    "System",
    "Target",
    "builtin_rows",
    "detect_system",
    "mapping_sheet_rows",
    "read_mapping_sheet",
    "system_for",
    "target_for",
]


@dataclass(frozen=True)
class Target:
    """What an export column can be mapped to."""

    key: str
    zh: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.key

    @property
    def both(self) -> Both:
        return Both(self.key, self.zh)

    def names(self) -> set[str]:
        return {fold(n) for n in (self.key, self.zh, *self.aliases)}


def _orders_target(key: str, *extra: str) -> Target:
    col = ORDERS.col(key)
    return Target(col.key, col.zh, (*col.aliases, *extra))


IGNORE = "Ignore"

#: every target, in the order columns are claimed
TARGETS: Mapping[str, Target] = {t.key: t for t in (
    _orders_target("OrderID"),
    _orders_target("CustomerID"),
    _orders_target("OrderDate"),
    _orders_target("Amount"),
    _orders_target("Cost"),
    _orders_target("Product"),
    _orders_target("Paid"),
    Target("Phone", "电话", ("手机", "手机号", "Mobile", "买家手机号", "会员手机号")),
    Target("BuyerName", "买家姓名", ("Buyer Name", "收货人", "姓名", "客户名称", "Name")),
    Target("Nickname", "买家昵称", ("Buyer Nickname", "昵称", "买家会员名")),
    Target("MemberNo", "会员编号", ("Member No", "Member Number", "会员卡号", "会员号")),
    Target("Email", "邮箱", ("E-mail", "电子邮箱")),
    Target("Status", "订单状态", ("Order Status", "状态")),
    Target("Refund", "退款金额", ("Refunded", "Refund Amount", "退款")),
    Target("CancelledAt", "取消时间", ("Cancelled At", "Cancelled", "Canceled At")),
    Target("LineNo", "行号", ("Line No", "Line Number", "Line", "子订单编号")),
    Target(IGNORE, "忽略", ("Skip", "不导入", "跳过")),
)}

#: required targets; a customer key is one of :data:`CUSTOMER_KEYS`
REQUIRED: tuple[str, ...] = ("OrderDate", "Amount")
CUSTOMER_KEYS: tuple[str, ...] = ("CustomerID", "Phone")
_CUSTOMER = Both("CustomerID or Phone", "客户编号或电话")


@dataclass(frozen=True)
class System:
    """A built-in export layout.

    ``columns`` lists, per target, the system's headers in priority order;
    ``signature`` the headers only this system writes, by which it is recognised.
    """

    key: str
    en: str
    zh: str
    columns: Mapping[str, tuple[str, ...]]
    signature: tuple[str, ...] = ()
    source: str = ""

    @property
    def both(self) -> Both:
        return Both(self.en, self.zh)

    def names(self) -> set[str]:
        return {fold(self.key), fold(self.en), fold(self.zh)}


TAOBAO = System(
    "taobao", "Taobao/Tmall", "淘宝/天猫",
    {
        "OrderID": ("订单编号",),
        "OrderDate": ("订单创建时间", "订单付款时间"),
        "Amount": ("买家实际支付金额", "总金额"),
        "Product": ("宝贝标题", "商品标题"),
        "Phone": ("联系手机", "联系电话", "收货地址"),
        "BuyerName": ("收货人姓名",),
        "Nickname": ("买家会员名",),
        "Status": ("订单状态",),
        "Refund": ("退款金额",),
    },
    ("买家会员名", "买家支付宝账号", "买家应付货款", "买家实际支付金额", "宝贝标题",
     "宝贝种类", "宝贝总数量", "订单关闭原因"),
    "the 订单报表 (order report) of the Taobao/Tmall seller centre: 订单编号, 买家会员名, "
    "买家支付宝账号, 买家应付货款, 买家应付邮费, 买家支付积分, 总金额, 返点积分, 买家实际支付金额, "
    "买家实际支付积分, 订单状态, 买家留言, 收货人姓名, 收货地址, 运送方式, 联系电话, 联系手机, "
    "订单创建时间, 订单付款时间, 宝贝标题, 宝贝种类, 物流单号, 物流公司, 订单备注, 宝贝总数量, … "
    "订单关闭原因 … (the header shop systems reproduce to export 'in Taobao's format'), and the "
    "Tmall order report data set (订单编号, 总金额, 买家实际支付金额, 收货地址, 订单创建时间, "
    "订单付款时间, 退款金额); newer exports hide the phone and write it inside 收货地址 "
    "('周强，86-139…，江苏省 …'), which is read as the phone's last resort",
)

YOUZAN = System(
    "youzan", "Youzan", "有赞",
    {
        "OrderID": ("订单号",),
        "OrderDate": ("订单创建时间", "买家付款时间"),
        "Amount": ("订单实付金额",),
        "Product": ("全部商品名称", "商品名称"),
        "Phone": ("买家手机号", "收货人手机号/提货人手机号"),
        "BuyerName": ("收货人/提货人",),
        "Nickname": ("买家昵称",),
        "Status": ("订单状态",),
        "Refund": ("退款金额", "订单退款金额"),
    },
    ("订单实付金额", "全部商品名称", "收货人手机号/提货人手机号", "收货人/提货人",
     "详细收货地址/提货地址", "买家付款时间", "商品种类数", "分销员", "优惠券码名称"),
    "the Youzan (有赞) order export: 订单号, 订单状态, 订单创建时间, 买家付款时间, 全部商品名称, "
    "商品种类数, 订单实付金额, 收货人/提货人, 收货人手机号/提货人手机号, 收货人省份, 收货人城市, "
    "收货人地区, 详细收货地址/提货地址, 买家昵称, 买家手机号, 优惠券码名称, 分销员 (as importers "
    "of raw Youzan exports in public code read them)",
)

JD = System(
    "jd", "JD.com", "京东",
    {
        "OrderID": ("订单号",),
        "OrderDate": ("下单时间", "付款确认时间"),
        "Amount": ("订单金额", "应付金额", "商家应收"),
        "Product": ("商品名称",),
        "Phone": ("联系电话",),
        "BuyerName": ("客户姓名",),
        "Nickname": ("下单帐号", "下单账号"),
        "Status": ("订单状态",),
    },
    ("商家应收", "京东价", "订购数量", "客户地址", "客户姓名", "下单帐号"),
    "the JD.com (京东) merchant order export: 订单号, 商品名称, 订购数量, 下单时间, 订单金额, "
    "商家应收, 订单状态, 客户姓名, 客户地址, 联系电话, 京东价 (as importers of raw JD exports in "
    "public code read them); 联系电话 is often masked (1******6198), and 商家应收 carries a note "
    "('499.00（系统计算中，该值仅供参考）')",
)

SHOPIFY = System(
    "shopify", "Shopify", "Shopify",
    {
        "OrderID": ("Name",),
        "OrderDate": ("Created at", "Paid at"),
        "Amount": ("Total",),
        "Product": ("Lineitem name",),
        "Phone": ("Phone", "Billing Phone", "Shipping Phone"),
        "BuyerName": ("Billing Name", "Shipping Name"),
        "Email": ("Email",),
        "Status": ("Financial Status",),
        "Refund": ("Refunded Amount",),
        "CancelledAt": ("Cancelled at",),
    },
    ("Financial Status", "Fulfillment Status", "Lineitem name", "Lineitem quantity",
     "Lineitem price", "Billing Name", "Paid at", "Refunded Amount"),
    "Shopify's orders export (help.shopify.com, 'Exporting orders'; Name, Email, Financial "
    "Status, Paid at, Fulfillment Status, Fulfilled at, Accepts Marketing, Currency, Subtotal, "
    "Shipping, Taxes, Total, Discount Code, Discount Amount, Shipping Method, Created at, "
    "Lineitem quantity, Lineitem name, Lineitem price, …, Billing Name, …, Billing Phone, "
    "Shipping Name, …, Shipping Phone, Notes, Note Attributes, Cancelled at, Payment Method, "
    "Payment Reference, Refunded Amount, Vendor, Outstanding Balance, Employee, Location, "
    "Device ID, Id, Tags, Risk Level, Source, …, Phone, …): one row per line item, the order's "
    "own columns (Total, Financial Status, Created at …) on its first line only",
)

TILL = System(
    "till", "Till/POS", "收银系统",
    {
        "OrderID": ("单据号", "销售单号", "流水号", "小票号", "单号"),
        "OrderDate": ("销售时间", "交易时间", "结账时间", "开单时间", "下单时间", "销售日期"),
        "Amount": ("实收金额", "实付金额", "实收", "应收金额", "销售金额", "消费金额"),
        "Product": ("商品名称", "菜品名称", "项目名称"),
        "Phone": ("会员手机号", "会员电话", "会员手机", "顾客手机号"),
        "BuyerName": ("会员姓名", "会员名称", "顾客姓名"),
        "MemberNo": ("会员卡号", "会员编号", "会员号"),
        "Status": ("单据状态", "单据类型", "状态"),
        "Refund": ("退款金额", "退货金额", "退单金额"),
        "LineNo": ("明细序号", "行号"),
    },
    ("会员手机号", "会员卡号", "实收金额", "单据号", "流水号", "小票号", "收银员", "销售时间"),
    "the column words of Chinese till systems (客如云, 哗啦啦, 银豹, 美团收银, 二维火), as the "
    "POS field alias tables in public code list them (实收金额, 实付金额, 下单时间, 开单时间, "
    "会员卡号, 会员编号, 退款金额, 商品名称, 菜品名称 …): a vocabulary rather than one vendor's "
    "layout",
)


def _generic_columns() -> dict[str, tuple[str, ...]]:
    """CustomerBook's own Orders names, then the words most exports use."""
    own = {c.key: (c.key, c.zh, *c.aliases) for c in ORDERS.columns}
    common = {
        "OrderID": ("订单编号", "订单号", "Order Number", "Order No"),
        "OrderDate": ("下单时间", "付款时间", "支付时间", "订单时间", "创建时间", "成交时间",
                      "Order Time", "Created"),
        "Amount": ("实付金额", "订单金额", "支付金额", "实收金额", "Total", "Amount Paid"),
        "Product": ("商品名称", "商品标题", "Product Name", "Item Name"),
        "Phone": ("买家手机号", "会员手机号", "手机号", "手机号码", "手机", "电话", "联系电话",
                  "联系手机", "Phone", "Mobile", "Tel", "Customer Phone"),
        "BuyerName": ("买家姓名", "收货人", "收货人姓名", "顾客姓名", "客户姓名", "Customer Name",
                      "Buyer Name"),
        "Nickname": ("买家昵称", "买家会员名", "昵称"),
        "MemberNo": ("会员编号", "会员卡号", "会员号"),
        "Email": ("Email", "邮箱"),
        "Status": ("订单状态", "交易状态", "Status", "Order Status"),
        "Refund": ("退款金额", "Refunded Amount", "Refund"),
        "CancelledAt": ("取消时间", "Cancelled at"),
        "LineNo": ("行号", "Line No", "Line Number"),
    }
    out: dict[str, tuple[str, ...]] = {}
    for key in TARGETS:
        names = (*own.get(key, ()), *common.get(key, ()))
        if names:
            out[key] = tuple(dict.fromkeys(names))
    return out


GENERIC = System(
    "generic", "Generic", "通用", _generic_columns(), (),
    "CustomerBook's own Orders column names and aliases, and the words the issue and most "
    "Chinese exports use (订单编号, 下单时间 / 付款时间, 买家手机号 / 会员手机号, 实付金额 / 订单金额, "
    "商品名称 …)",
)

#: the built-in layouts, in the order they are tried
SYSTEMS: tuple[System, ...] = (TAOBAO, YOUZAN, JD, SHOPIFY, TILL)
_ALL_SYSTEMS = (*SYSTEMS, GENERIC)
_EVERY = {fold(w) for w in ("*", "全部", "All", "所有")}

#: the Mapping sheet (导入映射)
MAPPING_SHEET = SheetSpec(
    "Mapping",
    "导入映射",
    (
        Col("SourceSystem", "来源系统", "text", True, ("Source System", "System", "系统", "来源")),
        Col("ExportColumn", "导出列", "text", True, ("Export Column", "导出列名", "源列", "Column")),
        Col("OrdersColumn", "订单列", "text", True, ("Orders Column", "目标列", "Target")),
    ),
    ("Import Mapping", "导入映射表", "映射"),
    required=False,
)


@dataclass(frozen=True)
class MappingRow:
    """One row of the Mapping sheet: this export column of this system is that target.

    ``row`` is the sheet row it came from (``None`` for a built-in or a new row).
    """

    system: str
    export_column: str
    target: str
    row: int | None = None

    def same(self, other: MappingRow) -> bool:
        return (_system_key(self.system) == _system_key(other.system)
                and fold(self.export_column) == fold(other.export_column)
                and self.target == other.target)


_TARGET_WORDS = {name: t.key for t in TARGETS.values() for name in t.names()}


def target_for(word: Any) -> str | None:
    """The target a Mapping sheet OrdersColumn cell names (English, Chinese, alias)."""
    return _TARGET_WORDS.get(fold(word))


def system_for(name: Any) -> System | None:
    """The built-in system (or :data:`GENERIC`) a SourceSystem cell names."""
    key = fold(name)
    for s in _ALL_SYSTEMS:
        if key in s.names():
            return s
    return None


def _system_key(name: str) -> str:
    s = system_for(name)
    if s is not None:
        return s.key
    return "*" if fold(name) in _EVERY else fold(name)


def builtin_rows(lang: str = "zh-CN") -> list[MappingRow]:
    """The built-in layouts as Mapping sheet rows (for showing or seeding the sheet)."""
    return [MappingRow(s.zh if lang == "zh-CN" else s.en, col, target)
            for s in _ALL_SYSTEMS for target, cols in s.columns.items() for col in cols]


@dataclass
class Resolution:
    """How one export's header maps to the targets.

    ``columns`` maps each found target to the indexes of its export columns (in
    priority order); ``system`` is the detected system's key (a user system: its name
    folded), ``label`` its name in both languages.
    """

    header: list[str]
    system: str
    label: Both
    columns: dict[str, list[int]]
    user_system: bool = False

    def has(self, target: str) -> bool:
        return bool(self.columns.get(target))

    @property
    def missing(self) -> list[str]:
        """Required targets with no column (``"Customer"`` for CustomerID-or-Phone)."""
        out = [t for t in REQUIRED if not self.has(t)]
        if not any(self.has(t) for t in CUSTOMER_KEYS):
            out.append("Customer")
        return out

    @property
    def complete(self) -> bool:
        return not self.missing

    def header_of(self, target: str) -> str | None:
        """The first export header mapped to ``target``."""
        cols = self.columns.get(target)
        return self.header[cols[0]] if cols else None

    def used(self) -> dict[str, list[str]]:
        """Target -> the export headers it reads, for reports."""
        return {t: [self.header[i] for i in cols] for t, cols in self.columns.items() if cols}

    def rows(self, lang: str = "zh-CN") -> list[MappingRow]:
        """The mapping used, as Mapping sheet rows (to remember it for the next import)."""
        name = self.label.pick(lang)
        return [MappingRow(name, self.header[i], t)
                for t, cols in self.columns.items() for i in cols]

    def raise_if_incomplete(self, file: str) -> None:
        """:class:`ImportFileError` ``unmapped_column`` naming the first missing target."""
        if self.complete:
            return
        first = self.missing[0]
        shown = [h for h in self.header if h] or ["—"]
        if first == "Customer":
            target, key = _CUSTOMER, Both("Phone (or CustomerID)", "电话（或客户编号）")
        else:
            target = TARGETS[first].both
            key = Both(first, target.zh)
        raise ImportFileError("unmapped_column", file, target=target, target_key=key,
                              headers=", ".join(shown), system=self.label)


def _present(header: Sequence[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        if h:
            found.setdefault(fold(h), []).append(i)
    return found


@dataclass
class ImportMapping:
    """The Mapping sheet's rows (none: the built-in layouts alone)."""

    rows: list[MappingRow] = field(default_factory=list)

    @classmethod
    def of(cls, mapping: ImportMapping | Iterable[MappingRow] | None) -> ImportMapping:
        if mapping is None:
            return cls()
        if isinstance(mapping, ImportMapping):
            return mapping
        return cls(list(mapping))

    def _user_rows(self, key: str) -> list[MappingRow]:
        return [r for r in self.rows if _system_key(r.system) == key]

    def _user_systems(self) -> dict[str, str]:
        """key -> name as typed, of systems that are not built-in."""
        out: dict[str, str] = {}
        for r in self.rows:
            k = _system_key(r.system)
            if k != "*" and system_for(r.system) is None:
                out.setdefault(k, r.system)
        return out

    def _resolve_as(self, header: Sequence[str], present: dict[str, list[int]],
                    system: System | None, user_key: str | None) -> dict[str, list[int]]:
        claimed: set[int] = set()
        out: dict[str, list[int]] = {t: [] for t in TARGETS if t != IGNORE}

        def claim(target: str, col: str) -> None:
            for i in present.get(fold(col), ()):
                if i not in claimed:
                    claimed.add(i)
                    if target != IGNORE:
                        out[target].append(i)

        user = self._user_rows(user_key or (system.key if system else ""))
        for r in (*user, *self._user_rows("*")):
            claim(r.target, r.export_column)
        for layer in ((system,) if system else ()) + (GENERIC,):
            for target, cols in layer.columns.items():
                for col in cols:
                    claim(target, col)
        return {t: cols for t, cols in out.items() if cols}

    def resolve(self, header: Sequence[Any]) -> Resolution:
        """Detect the system of ``header`` and map its columns (see the module notes)."""
        head = ["" if h is None else str(h).strip() for h in header]
        present = _present(head)
        # 1. a system of the user's own, by how many of its export columns are present
        best: tuple[int, Resolution] | None = None
        for key, name in self._user_systems().items():
            hits = sum(fold(r.export_column) in present for r in self._user_rows(key))
            if hits < 2:
                continue
            res = Resolution(head, key, Both(name, name),
                             self._resolve_as(head, present, None, key), user_system=True)
            if res.complete and (best is None or hits > best[0]):
                best = (hits, res)
        if best is not None:
            return best[1]
        # 2. a built-in layout, by its distinctive headers, then by all of its headers
        ranked: list[tuple[int, int, int, System]] = []
        for n, s in enumerate(SYSTEMS):
            sig = sum(fold(h) in present for h in s.signature)
            if sig:
                hits = sum(fold(h) in present for cols in s.columns.values() for h in cols)
                ranked.append((sig, hits, -n, s))
        for *_, s in sorted(ranked, reverse=True):
            res = Resolution(head, s.key, s.both, self._resolve_as(head, present, s, None))
            if res.complete:
                return res
        # 3. the generic words
        return Resolution(head, GENERIC.key, GENERIC.both,
                          self._resolve_as(head, present, None, GENERIC.key))

    def is_header(self, row: Sequence[Any]) -> bool:
        """Whether a row of the export names a date, an amount and a customer key."""
        cells = [c for c in row if isinstance(c, str) and c.strip()]
        return len(cells) >= 3 and self.resolve(row).complete

    def new_rows(self, used: Iterable[MappingRow]) -> list[MappingRow]:
        """The rows of ``used`` the Mapping sheet does not hold yet."""
        return [r for r in used if not any(r.same(x) for x in self.rows)]


def detect_system(header: Sequence[Any],
                  mapping: ImportMapping | Iterable[MappingRow] | None = None) -> Resolution:
    """The detected system and column map of an export's header."""
    return ImportMapping.of(mapping).resolve(header)


def read_mapping_sheet(raw: Any) -> tuple[ImportMapping, list[InputError]]:
    """The Mapping sheet's rows, and the problems of the rows that cannot be used.

    ``raw`` is the sheet as the workbook reader gives it (an object with ``sheet``,
    ``header_row``, ``header`` and ``rows``: a :class:`~xl_addin.domain.schema.RawTable`),
    or a list of rows whose first row is the header, or ``None`` (a book without a
    Mapping sheet: nothing mapped, nothing wrong). Required columns: SourceSystem
    (来源系统), ExportColumn (导出列), OrdersColumn (订单列), matched as the workbook
    matches its columns (any of their names, case and spaces ignored). Problems are
    :class:`~xl_addin.errors.InputError` at the sheet row: a missing column
    (``missing_column``), a blank cell (``required_blank``), an OrdersColumn that names no
    target (``not_in_choices``); such rows are left out, blank rows skipped.
    """
    if raw is None:
        return ImportMapping(), []
    if hasattr(raw, "header") and hasattr(raw, "rows"):
        sheet, header_row = str(raw.sheet), int(raw.header_row)
        header, body = list(raw.header), [list(r) for r in raw.rows]
    else:
        rows = [list(r) for r in raw]
        sheet, header_row = MAPPING_SHEET.zh, 1
        header, body = (rows[0] if rows else []), rows[1:]
    errors: list[InputError] = []
    at: dict[str, int] = {}
    for i, h in enumerate(header):
        for col in MAPPING_SHEET.columns:
            if fold(h) in col.names() and col.key not in at:
                at[col.key] = i
    for col in MAPPING_SHEET.columns:
        if col.key not in at:
            found = ", ".join(str(h) for h in header if h not in (None, "")) or "—"
            errors.append(InputError(sheet, header_row, None, "missing_column",
                                     expected=f"{col.key} / {col.zh}", found=found))
    if errors:
        return ImportMapping(), errors
    out: list[MappingRow] = []
    choices = " / ".join(f"{t.key} ({t.zh})" for t in TARGETS.values())
    for n, cells in enumerate(body, start=header_row + 1):
        values = {k: (str(cells[i]).strip() if i < len(cells) and cells[i] is not None
                      else "") for k, i in at.items()}
        values = {k: ("" if v.lower() == "nan" else v) for k, v in values.items()}
        if not any(values.values()):
            continue
        blank = next((k for k in ("SourceSystem", "ExportColumn", "OrdersColumn")
                      if not values[k]), None)
        if blank is not None:
            errors.append(InputError(sheet, n, str(header[at[blank]]), "required_blank"))
            continue
        target = target_for(values["OrdersColumn"])
        if target is None:
            errors.append(InputError(sheet, n, str(header[at["OrdersColumn"]]),
                                     "not_in_choices", choices=choices,
                                     value=values["OrdersColumn"]))
            continue
        out.append(MappingRow(values["SourceSystem"], values["ExportColumn"], target, n))
    return ImportMapping(out), errors


def mapping_sheet_rows(rows: Iterable[MappingRow], lang: str = "zh-CN",
                       header: bool = True) -> list[list[str]]:
    """Mapping rows as the Mapping sheet's cells (the header first, in ``lang``)."""
    body = [[r.system, r.export_column, TARGETS[r.target].label(lang)] for r in rows]
    if not header:
        return body
    return [[c.label(lang) for c in MAPPING_SHEET.columns], *body]
