"""Deterministic, realistic demo data for CustomerBook (Customers, Orders, Contacts).

:func:`make_demo` builds the three input sheets as pandas DataFrames whose columns are
exactly the English keys of :data:`xl_addin.names.CUSTOMERS`, :data:`~xl_addin.names.ORDERS`
and :data:`~xl_addin.names.CONTACTS`, in that order. Cell *values* (names, regions,
products, outcome words, notes …) are written in the requested language, ``zh-CN`` or
``en``; contact outcomes are :data:`xl_addin.names.OUTCOMES` keys (``en``) or their
Chinese values (``zh-CN``).

Dtypes
    * dates (``Birthday``, ``Anniversary``, ``OrderDate``, ``ContactDate``,
      ``NextFollowUp``, ``PromiseDue``): ``datetime64[us]`` at midnight, ``NaT`` when blank;
    * money (``Amount``, ``Cost``, ``Paid``): ``float64`` rounded to 2 decimals, ``NaN``
      when blank;
    * everything else: ``object`` holding ``str`` or ``None`` (never ``""``).

The data are a pure function of the arguments: only ``numpy.random.default_rng(seed)``
is used, no wall clock, no hashing, no set order. Everything is vectorised (no Python
loop over customers, orders or contacts), so ``make_demo(100_000, 1_048_575, 200_000)``
(a workbook at Excel's row limit) takes a few seconds.

Shape of the data (defaults: ``orders = 6 * customers``, ``contacts = 3 * customers``):

* ~12% of customers are prospects who never ordered (no orders, but contacts);
* buyers fall into lifecycle segments — active (~62%, last order within ~5 months),
  new (~8%, first order within ~3 months), dormant (~18%, last order 120–360 days ago)
  and lost (~12%, last order 365–600 days ago). Active customers' history reaches back
  one year; dormant/lost customers' history up to two years (so ~10–18% of orders are
  older than a year);
* order counts are ``1 + multinomial`` over lognormal customer weights (σ = 1.3,
  ×3 for distributors) and amounts scale with a lognormal spend level per customer
  (σ = 0.7) × product price × order noise (σ = 0.45), so revenue is Pareto-like: the
  top 20% of buyers hold roughly 80–88% of revenue;
* ~1% of orders are refunds (negative amount, dated after an earlier order of the
  same customer), ~20% of costs are blank (others 55–80% of the amount), ~10% of
  orders are not fully paid;
* contacts: about a quarter of a buyer's contacts are after-sale check-ins just after
  the last order; ~30% carry a ``NextFollowUp`` 3–60 days later, ~8% a ``Promise`` with
  a ``PromiseDue`` 2–21 days later (~80% of past-due promises get a later
  ``PromiseKept`` contact); ~2% are complaints of which ~70% get a later ``Resolved``
  contact (the rest stay open and are recent); a few recent appointments have a
  ``NextFollowUp`` 1–5 days after ``anchor``.

Both languages consume the same random draws, so ``lang="en"`` and ``lang="zh-CN"``
with the same seed give the same customers, dates and amounts, only in other words.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS, OUTCOMES

__all__ = ["DEFAULT_ANCHOR", "DEFAULT_SEED", "make_demo"]

DEFAULT_ANCHOR = datetime.date(2026, 11, 23)
DEFAULT_SEED = 20261123

_DATE_DTYPE = "datetime64[us]"

# ---------------------------------------------------------------------------- words
# Every table is (zh-CN, en) so both languages share the same random draws.

_OWNERS = (("王丽", "陈刚", "刘洋", "赵敏"), ("Alice Wang", "Gang Chen", "Yang Liu", "Min Zhao"))
_OWNER_P = (0.30, 0.27, 0.23, 0.20)

_REGIONS = (
    ("华东", "华北", "华南", "西南", "华中"),
    ("East", "North", "South", "Southwest", "Central"),
)
_REGION_P = (0.32, 0.20, 0.22, 0.13, 0.13)

#: four cities per region (same order as ``_REGIONS``)
_CITIES = (
    (
        ("上海", "杭州", "南京", "苏州"),
        ("北京", "天津", "石家庄", "太原"),
        ("广州", "深圳", "佛山", "东莞"),
        ("成都", "重庆", "昆明", "贵阳"),
        ("武汉", "长沙", "郑州", "南昌"),
    ),
    (
        ("Shanghai", "Hangzhou", "Nanjing", "Suzhou"),
        ("Beijing", "Tianjin", "Shijiazhuang", "Taiyuan"),
        ("Guangzhou", "Shenzhen", "Foshan", "Dongguan"),
        ("Chengdu", "Chongqing", "Kunming", "Guiyang"),
        ("Wuhan", "Changsha", "Zhengzhou", "Nanchang"),
    ),
)

_SOURCES = (
    ("自主开发", "广告", "老客户推荐", "展会"),
    ("Direct", "Advertising", "Referral", "Trade show"),
)
_SOURCE_P = (0.35, 0.25, 0.28, 0.12)

_TYPES = (("直接客户", "分销商", "合作伙伴"), ("Direct", "Distributor", "Partner"))
_TYPE_P = (0.78, 0.14, 0.08)

_SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
    "曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
_SURNAME_W = (
    7.1, 7.0, 6.8, 5.4, 4.6, 3.1, 2.3, 2.3, 2.0, 1.9, 1.5, 1.4, 1.3, 1.2, 1.2, 1.1, 1.0,
    1.0, 1.0, 0.9, 0.8, 0.8, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4,
    0.4, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3,
)  # fmt: skip
_GIVEN_M = tuple("伟强磊军勇杰涛明超刚平辉鹏华飞斌宇浩凯健俊帆峰鑫波建国志文博")
_GIVEN_F = tuple("芳娜敏静丽艳娟霞秀玲桂燕萍红婷雪琳晶颖慧佳欣怡倩梅莉洁琴云月")
_FIRST_M = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
    "Thomas", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul",
    "Andrew", "Kevin", "Brian", "George", "Eric", "Jason", "Ryan", "Peter",
)  # fmt: skip
_FIRST_F = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Emily", "Emma", "Olivia", "Sophia", "Grace",
    "Chloe", "Hannah", "Amy", "Laura", "Rachel", "Helen", "Anna",
)  # fmt: skip
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
    "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Allen", "Young",
    "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell",
    "Mitchell", "Roberts", "Carter", "Wang", "Li", "Zhang", "Chen", "Liu", "Huang", "Wu",
)  # fmt: skip

_BRAND_ZH = tuple("华泰鑫恒盛金宏瑞佳永新东天嘉博德万富隆兴源达丰安康美锦汇诚信和润")
_INDUSTRY = (
    ("贸易", "商贸", "美容", "健康管理", "生物科技", "医药", "化妆品", "日化用品",
     "健康科技", "美业"),
    ("Trading", "Commerce", "Beauty", "Health Management", "Biotech", "Pharma",
     "Cosmetics", "Supplies", "Wellness", "Care"),
)  # fmt: skip
_BRAND_EN = (
    "Evergreen", "Summit", "Golden", "Pacific", "Harmony", "Sunrise", "Bright", "Lotus",
    "Jade", "Silverline", "Crown", "Oriental", "Northstar", "Bluesky", "Prosper",
    "Unity", "Phoenix", "Pearl", "Lucky", "Grand",
)  # fmt: skip
_SUFFIX = (
    ("有限公司", "有限责任公司", "商行", "连锁店"),
    ("Co., Ltd.", "Ltd.", "Trading House", "Group"),
)
_SUFFIX_P = (0.68, 0.17, 0.08, 0.07)

_CUSTOMER_NOTES = (
    ("喜欢绿茶", "偏好微信联系", "工作日晚上方便接电话", "对价格敏感", "需要开发票",
     "周末不接电话", "喜欢新品", "过敏体质，注意成分", "只在上午联系", "老客户介绍来的",
     "生日前一周送祝福", "不喜欢推销电话"),
    ("Likes green tea", "Prefers WeChat", "Call on weekday evenings", "Price sensitive",
     "Needs invoices", "No calls at weekends", "Likes new products",
     "Sensitive skin, check ingredients", "Mornings only", "Referred by a regular",
     "Send wishes a week before birthday", "Dislikes sales calls"),
)  # fmt: skip

_PRODUCTS = (
    ("基础护理疗程", "深度护理疗程", "年度会员卡", "护肤套装", "体检套餐"),
    ("Basic Care Course", "Deep Care Course", "Annual Membership", "Skincare Set",
     "Health Check Package"),
)  # fmt: skip
#: relative price of each product (× the customer's spend level)
_PRODUCT_PRICE = np.array([0.5, 1.2, 3.5, 0.8, 1.5])
#: product mix per customer type (Direct, Distributor, Partner)
_PRODUCT_P = np.array(
    [
        [0.35, 0.20, 0.07, 0.25, 0.13],
        [0.10, 0.10, 0.05, 0.60, 0.15],
        [0.20, 0.20, 0.10, 0.30, 0.20],
    ]
)
#: median spend level per customer type (Direct, Distributor, Partner)
_TYPE_LEVEL = np.array([600.0, 3000.0, 1500.0])
#: order-frequency weight per customer type
_TYPE_FREQ = np.array([1.0, 3.0, 1.5])

_CHANNELS = (("电话", "微信", "拜访", "短信", "邮件"), ("Phone", "WeChat", "Visit", "SMS", "Email"))
_CHANNEL_P = (0.45, 0.30, 0.10, 0.10, 0.05)

_OUTCOME_KEYS = tuple(OUTCOMES)
_O = {k: i for i, k in enumerate(_OUTCOME_KEYS)}
#: base outcome mix (Complaint, Resolved and PromiseKept are placed explicitly, never drawn)
_OUTCOME_BASE = {
    "Reached": 0.38,
    "NoAnswer": 0.20,
    "Appointment": 0.08,
    "Order": 0.08,
    "Callback": 0.09,
    "NotInterested": 0.08,
    "WrongNumber": 0.02,
}
#: chance of a NextFollowUp per outcome
_FOLLOW_P = {
    "Reached": 0.25,
    "NoAnswer": 0.35,
    "Appointment": 0.90,
    "Order": 0.20,
    "Complaint": 0.60,
    "Resolved": 0.10,
    "PromiseKept": 0.05,
    "Callback": 0.85,
    "NotInterested": 0.03,
    "WrongNumber": 0.0,
}

_PROMISES = (
    ("寄送新品试用装", "发送报价单", "安排上门服务", "赠送护理体验券", "确认会员权益",
     "回电说明处理进度", "补开发票"),
    ("Send samples", "Send a quote", "Arrange a home visit", "Send a care voucher",
     "Confirm membership benefits", "Call back with progress", "Reissue the invoice"),
)  # fmt: skip
_CONTACT_NOTES = (
    ("询问新品价格", "对上次服务满意", "要求下周再联系", "已发送产品资料", "客户出差中",
     "考虑续卡", "介绍了朋友", "询问会员优惠", "近期预算紧张", "想了解体检套餐"),
    ("Asked about new prices", "Happy with last service", "Call again next week",
     "Sent brochure", "Customer travelling", "Thinking about renewing",
     "Referred a friend", "Asked about member discounts", "Tight budget lately",
     "Interested in health check"),
)  # fmt: skip
_COMPLAINT_NOTES = (
    ("反映等待时间太长", "对收费有异议", "使用后皮肤过敏", "预约时间被改动不满", "产品包装破损"),
    ("Waited too long", "Disputes the charge", "Skin reaction after use",
     "Unhappy that appointment moved", "Package arrived damaged"),
)  # fmt: skip
_RESOLVED_NOTES = (
    ("已退款处理", "已安排免费补做", "已道歉并赠送护理券", "客户表示满意", "已更换产品"),
    ("Refunded", "Free redo arranged", "Apologised, gave a voucher", "Customer satisfied",
     "Product replaced"),
)  # fmt: skip

# lifecycle segments of buyers: active, new, dormant, lost
_SEG_P = (0.62, 0.08, 0.18, 0.12)
_SEG_FREQ = np.array([1.0, 0.35, 0.6, 0.3])
_HORIZON = 729  # oldest possible order, days before the anchor


# -------------------------------------------------------------------------- helpers
def _lang_index(lang: str) -> int:
    """0 for Chinese, 1 for English."""
    folded = str(lang).strip().lower().replace("_", "-")
    if folded in ("zh-cn", "zh", "cn", "zh-hans"):
        return 0
    if folded == "en" or folded.startswith("en-"):
        return 1
    raise ValueError(f"unsupported language {lang!r} (expected 'zh-CN' or 'en')")


def _pick(words: tuple[str, ...], idx: np.ndarray, blank: np.ndarray | None = None) -> np.ndarray:
    """``words[idx]`` as an object array of shared ``str`` (``None`` where ``blank``)."""
    out = np.array(words, dtype=object)[idx]
    if blank is not None:
        out[blank] = None
    return out


def _choice(rng: np.random.Generator, p: tuple[float, ...] | np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probabilities ``p`` (normalised)."""
    w = np.asarray(p, dtype=float)
    return rng.choice(len(w), size=size, p=w / w.sum())


def _idx(u: np.ndarray, words: tuple[str, ...]) -> np.ndarray:
    """Uniform ``u`` in [0, 1) -> an index into ``words``."""
    return np.minimum((u * len(words)).astype(np.int64), len(words) - 1)


def _by_weight(u: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    """Uniform ``u`` in [0, 1) -> an index drawn with relative ``weights``."""
    cdf = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(weights) - 1)


def _codes(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` + zero-padded ``numbers`` as an object array of ``str``, vectorised."""
    n = len(numbers)
    p = prefix.encode("ascii")
    if n == 0:
        return np.empty(0, dtype=object)
    buf = np.empty((n, len(p) + width), dtype=np.uint8)
    buf[:, : len(p)] = np.frombuffer(p, dtype=np.uint8)
    rest = np.asarray(numbers, dtype=np.int64).copy()
    for k in range(width):
        buf[:, len(p) + width - 1 - k] = (rest % 10).astype(np.uint8) + 48
        rest //= 10
    size = len(p) + width
    return buf.view(f"S{size}").ravel().astype(f"U{size}").astype(object)


def _join(*parts: np.ndarray) -> np.ndarray:
    """Element-wise concatenation of ``str`` arrays, as an object array."""
    out = np.asarray(parts[0]).astype(str)
    for part in parts[1:]:
        out = np.strings.add(out, np.asarray(part).astype(str))
    return out.astype(object)


def _ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` from year/month/day arrays; day clipped to the month's length."""
    months = ((np.asarray(year) - 1970) * 12 + np.asarray(month) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first + (np.minimum(np.asarray(day), length) - 1)


def _dates(
    anchor: np.datetime64, offset: np.ndarray, missing: np.ndarray | None = None
) -> pd.Series:
    """``anchor - offset`` days as a midnight ``datetime64`` Series (``NaT`` where missing)."""
    d = (anchor - np.asarray(offset, dtype=np.int64)).astype(_DATE_DTYPE)
    if missing is not None:
        d[missing] = np.datetime64("NaT")
    return pd.Series(d)


def _obj(values: np.ndarray) -> pd.Series:
    """A text column: ``object`` dtype (pandas 3 would otherwise infer ``str``)."""
    return pd.Series(values, dtype=object)


def _frame(spec_keys: list[str], columns: dict[str, pd.Series]) -> pd.DataFrame:
    df = pd.DataFrame({k: columns[k] for k in spec_keys})
    return df.reset_index(drop=True)


# ----------------------------------------------------------------------------- main
def make_demo(
    customers: int = 200,
    orders: int | None = None,
    contacts: int | None = None,
    *,
    anchor: datetime.date = DEFAULT_ANCHOR,
    seed: int = DEFAULT_SEED,
    lang: str = "zh-CN",
) -> dict[str, pd.DataFrame]:
    """Demo ``{"Customers": df, "Orders": df, "Contacts": df}`` for a CustomerBook.

    Args:
        customers: number of customer rows (``>= 0``).
        orders: number of order rows; ``6 * customers`` when ``None``. Row counts are
            exact: ``len(result["Orders"]) == orders``.
        contacts: number of contact rows; ``3 * customers`` when ``None``.
        anchor: "today" — no order or contact is dated after it (``NextFollowUp`` and
            ``PromiseDue`` may be). A ``datetime.datetime``/``Timestamp`` is cut to its date.
        seed: seed for ``numpy.random.default_rng``; same arguments, same data.
        lang: ``"zh-CN"`` (default) or ``"en"`` — language of the cell values. Column
            names are always the canonical English keys of :mod:`xl_addin.names`.

    Returns:
        Three DataFrames with exactly the columns of ``CUSTOMERS``, ``ORDERS`` and
        ``CONTACTS`` in spec order. Dates are ``datetime64[us]`` at midnight with
        ``NaT`` for blanks; money is ``float64`` (``NaN`` blank); text is ``object``
        with ``None`` blanks. Orders are sorted by ``OrderDate`` then ``OrderID``;
        contacts by ``ContactDate`` then customer.

    Raises:
        ValueError: negative counts, orders or contacts without customers, or an
            unsupported ``lang``.
    """
    li = _lang_index(lang)
    n_cust = int(customers)
    n_ord = 6 * n_cust if orders is None else int(orders)
    n_con = 3 * n_cust if contacts is None else int(contacts)
    if min(n_cust, n_ord, n_con) < 0:
        raise ValueError("customers, orders and contacts must be >= 0")
    if n_cust == 0 and (n_ord or n_con):
        raise ValueError("orders and contacts need at least one customer")
    day = datetime.date(anchor.year, anchor.month, anchor.day)
    a = np.datetime64(day, "D")
    rng = np.random.default_rng(seed)

    cust = _customer_latents(rng, n_cust, n_ord)
    orders_df, first_off = _orders(rng, cust, n_ord, a, li)
    cust["prospect"] = first_off < 0  # incl. buyers left out when orders < buyers
    customers_df = _customers(rng, cust, first_off, a, li)
    _members_and_referrals(np.random.default_rng([seed, 2]), customers_df, cust, li)
    contacts_df = _contacts(rng, cust, n_con, a, li)
    return {"Customers": customers_df, "Orders": orders_df, "Contacts": contacts_df}


# -------------------------------------------------------------------- customer latents
def _customer_latents(rng: np.random.Generator, n: int, n_ord: int) -> dict[str, np.ndarray]:
    """Hidden per-customer traits that drive orders and contacts."""
    typ = _choice(rng, _TYPE_P, n)
    owner = _choice(rng, _OWNER_P, n)
    region = _choice(rng, _REGION_P, n)

    # prospects: ~12% (at least one buyer when there are orders)
    n_pros = round(0.12 * n)
    if n_ord > 0:
        n_pros = min(n_pros, n - 1)
    prospect = np.zeros(n, dtype=bool)
    prospect[rng.permutation(n)[:n_pros]] = True

    seg = _choice(rng, _SEG_P, n)
    # window of buying activity, in days before the anchor: [end, start]
    u1, u2 = rng.random(n), rng.random(n)
    end = np.select(
        [seg == 0, seg == 1, seg == 2],
        [np.minimum(rng.exponential(25.0, n), 150.0), 30.0 * u1, 120.0 + 240.0 * u1],
        365.0 + 235.0 * u1,
    ).astype(np.int64)
    span = np.select(
        [seg == 0, seg == 1, seg == 2], [60.0 + 305.0 * u2, 60.0 * u2, 300.0 * u2], 200.0 * u2
    ).astype(np.int64)
    cap = np.select([seg == 0, seg == 1, seg == 2], [364, 90, 540], _HORIZON)
    start = np.minimum(end + span, cap)

    weight = rng.lognormal(0.0, 1.3, n) * _TYPE_FREQ[typ] * _SEG_FREQ[seg]
    level = _TYPE_LEVEL[typ] * rng.lognormal(0.0, 0.7, n)
    return {
        "ids": _codes("C", np.arange(1, n + 1), max(4, len(str(n)))),
        "type": typ,
        "owner": owner,
        "region": region,
        "prospect": prospect,
        "seg": seg,
        "end": end,
        "start": start,
        "weight": weight,
        "level": level,
    }


# ------------------------------------------------------------------------------ orders
def _orders(
    rng: np.random.Generator, cust: dict[str, np.ndarray], n: int, a: np.datetime64, li: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """The Orders sheet, and each customer's first-order offset (-1 = never ordered)."""
    n_cust = len(cust["type"])
    buyers = np.flatnonzero(~cust["prospect"])
    if n < len(buyers):  # fewer orders than buyers: only some buyers ever ordered
        buyers = np.sort(rng.permutation(buyers)[:n])
    counts = np.zeros(len(buyers), dtype=np.int64)
    if len(buyers):
        w = cust["weight"][buyers]
        counts = 1 + rng.multinomial(n - len(buyers), w / w.sum())

    c = np.repeat(buyers, counts)  # customer index of each order, grouped by customer
    e, s = cust["end"][c], cust["start"][c]
    off = e + np.floor(rng.random(n) * (s - e + 1)).astype(np.int64)
    stops = np.cumsum(counts)
    starts = stops - counts
    off[stops[counts > 0] - 1] = cust["end"][buyers[counts > 0]]  # last order at "end"
    multi = counts >= 2
    off[starts[multi]] = cust["start"][buyers[multi]]  # first order at "start"

    # chronological within each customer (oldest first); one stable int64 sort key
    order = np.argsort(c * (_HORIZON + 1) + (_HORIZON - off), kind="stable")
    c, off = c[order], off[order]
    first_off = np.full(n_cust, -1, dtype=np.int64)
    first_off[c[starts[counts > 0]]] = off[starts[counts > 0]]

    typ = cust["type"][c]
    k_prod = _PRODUCT_P.shape[1]
    cdf = (np.cumsum(_PRODUCT_P, axis=1) + np.arange(len(_PRODUCT_P))[:, None]).ravel()
    cdf[k_prod - 1 :: k_prod] = np.arange(1, len(_PRODUCT_P) + 1)  # exact row ends
    product = np.searchsorted(cdf, typ + rng.random(n), side="right") - typ * k_prod
    amount = np.round(
        np.maximum(cust["level"][c] * _PRODUCT_PRICE[product] * rng.lognormal(0.0, 0.45, n), 1.0),
        2,
    )
    cost = np.round(amount * rng.uniform(0.55, 0.80, n), 2)
    cost[rng.random(n) < 0.20] = np.nan
    paid = amount.copy()
    # not fully paid (one draw per order, as ever): distributors and partners buy on
    # credit and pay within weeks; store customers pay at the till (a few deposits)
    credit = typ > 0
    p_unpaid = np.select(
        [off <= 30, off <= 120], [np.where(credit, 0.45, 0.10), np.where(credit, 0.12, 0.03)],
        np.where(credit, 0.015, 0.004))
    partial = rng.random(n) < p_unpaid
    paid_share = np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0.2, 0.9, n))
    paid[partial] = np.round(amount[partial] * paid_share[partial], 2)

    # ~1% refunds: a later row of the same customer refunding its previous order
    if n > 1:
        cand = np.flatnonzero((c[1:] == c[:-1]) & (off[:-1] >= 1)) + 1
        k = min(len(cand), round(0.01 * n))
        picks = np.sort(rng.choice(cand, size=k, replace=False)) if k else cand[:0]
        is_ref = np.zeros(n, dtype=bool)
        is_ref[picks] = True
        picks = picks[~is_ref[picks - 1]]  # never refund a refund
        prev = picks - 1
        m = len(picks)
        ratio = np.where(rng.random(m) < 0.4, 1.0, rng.uniform(0.1, 0.6, m))
        amount[picks] = -np.round(amount[prev] * ratio, 2)
        cost[picks] = np.where(rng.random(m) < 0.3, np.nan, -np.round(cost[prev] * ratio, 2))
        paid[picks] = amount[picks]
        product[picks] = product[prev]
        off[picks] = np.maximum(off[prev] - rng.integers(1, 31, m), 0)

    # final order: by date, then customer; IDs follow that order
    order = np.argsort((_HORIZON - off) * (n_cust + 1) + c, kind="stable")
    c, off, product = c[order], off[order], product[order]
    amount, cost, paid = amount[order], cost[order], paid[order]

    width = max(6, len(str(n)))
    df = _frame(
        [col.key for col in ORDERS.columns],
        {
            "OrderID": _obj(_codes("O", np.arange(1, n + 1), width)),
            "CustomerID": _obj(cust["ids"][c]),
            "OrderDate": _dates(a, off),
            "Amount": pd.Series(amount, dtype=float),
            "Cost": pd.Series(cost, dtype=float),
            "Product": _obj(_pick(_PRODUCTS[li], product)),
            "Paid": pd.Series(paid, dtype=float),
        },
    )
    return df, first_off


# --------------------------------------------------------------------------- customers
def _customers(
    rng: np.random.Generator,
    cust: dict[str, np.ndarray],
    first_off: np.ndarray,
    a: np.datetime64,
    li: int,
) -> pd.DataFrame:
    n = len(cust["type"])
    typ, region = cust["type"], cust["region"]
    company = (typ > 0) | (rng.random(n) < 0.06)

    # names: one shared block of uniforms, so both languages consume the same draws
    female = rng.random(n) < 0.55
    u = rng.random((7, n))
    if li == 0:
        sur = _pick(_SURNAMES, _by_weight(u[0], _SURNAME_W))
        g1 = np.where(
            female, _pick(_GIVEN_F, _idx(u[1], _GIVEN_F)), _pick(_GIVEN_M, _idx(u[1], _GIVEN_M))
        )
        g2 = np.where(
            female, _pick(_GIVEN_F, _idx(u[2], _GIVEN_F)), _pick(_GIVEN_M, _idx(u[2], _GIVEN_M))
        )
        g2[u[3] < 0.3] = ""  # 30% single-character given names
        person = _join(sur, g1, g2)
    else:
        first = np.where(
            female, _pick(_FIRST_F, _idx(u[1], _FIRST_F)), _pick(_FIRST_M, _idx(u[1], _FIRST_M))
        )
        person = _join(first, " ", _pick(_LAST, _idx(u[0], _LAST)))

    # company names: [city] + brand + industry + suffix
    city_tbl = np.array(_CITIES[li], dtype=object)
    city = city_tbl[region, rng.integers(0, city_tbl.shape[1], n)]
    no_city = rng.random(n) < 0.5
    industry = _pick(_INDUSTRY[li], _idx(u[5], _INDUSTRY[li]))
    suffix = _pick(_SUFFIX[li], _by_weight(u[6], _SUFFIX_P))
    if li == 0:
        i1 = _idx(u[4], _BRAND_ZH)
        i2 = (i1 + 1 + _idx(u[3], _BRAND_ZH[1:])) % len(_BRAND_ZH)  # two distinct characters
        city[no_city] = ""
        firm = _join(city, _pick(_BRAND_ZH, i1), _pick(_BRAND_ZH, i2), industry, suffix)
    else:
        city = np.where(no_city, "", _join(city, " "))
        firm = _join(city, _pick(_BRAND_EN, _idx(u[4], _BRAND_EN)), " ", industry, " ", suffix)
    name = np.where(company, firm, person)

    # phones: 13x/15x/18x/17x/19x + 8 digits
    second = np.array([3, 5, 8, 7, 9])[_choice(rng, (0.40, 0.25, 0.20, 0.08, 0.07), n)]
    head = 100 + second * 10 + rng.integers(0, 10, n)
    phone = _codes("", head * 100_000_000 + rng.integers(0, 100_000_000, n), 11)

    pros = cust["prospect"]
    src_p = np.array(_SOURCE_P)
    source = _choice(rng, src_p, n)
    source[pros] = _choice(rng, (0.30, 0.40, 0.10, 0.20), int(pros.sum()))

    # birthdays (~70%), lunar for ~20% of them (month <= 12, day <= 29)
    has_bd = rng.random(n) < 0.70
    lunar = has_bd & (rng.random(n) < 0.20)
    year = rng.integers(1960, 2001, n)
    jan1 = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    days_in_year = ((year - 1969).astype("datetime64[Y]").astype("datetime64[D]") - jan1).astype(
        np.int64
    )
    greg = jan1 + np.floor(rng.random(n) * days_in_year).astype(np.int64)
    lunar_date = _ymd(year, rng.integers(1, 13, n), rng.integers(1, 30, n))
    bd = np.where(lunar, lunar_date, greg).astype(_DATE_DTYPE)
    bd[~has_bd] = np.datetime64("NaT")

    # first-deal anniversaries (~30% of all customers, buyers only)
    bought = first_off >= 0
    share = min(1.0, 0.30 * n / max(int(bought.sum()), 1))
    has_ann = bought & (rng.random(n) < share)
    fd = a - np.maximum(first_off, 0)
    years_back = _choice(rng, (0.30, 0.20, 0.15, 0.15, 0.10, 0.10), n)
    fy = fd.astype("datetime64[Y]").astype(np.int64) + 1970
    fm = fd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    fday = (fd - fd.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    ann = _ymd(fy - years_back, fm, fday).astype(_DATE_DTYPE)
    ann[~has_ann] = np.datetime64("NaT")

    strategic = rng.random(n) < 0.03
    dnc = rng.random(n) < 0.04
    override = rng.random(n) < 0.03
    cls = _pick(("A", "B", "C"), _choice(rng, (0.4, 0.3, 0.3), n), ~override)
    notes = _pick(
        _CUSTOMER_NOTES[li], rng.integers(0, len(_CUSTOMER_NOTES[li]), n), rng.random(n) >= 0.15
    )
    yes = np.array(["Y"], dtype=object)

    return _frame(
        [col.key for col in CUSTOMERS.columns],
        {
            "CustomerID": _obj(cust["ids"]),
            "Name": _obj(name),
            "Owner": _obj(_pick(_OWNERS[li], cust["owner"])),
            "Phone": _obj(phone),
            "Region": _obj(_pick(_REGIONS[li], region)),
            "Source": _obj(_pick(_SOURCES[li], source)),
            "Type": _obj(_pick(_TYPES[li], typ)),
            "Birthday": pd.Series(bd),
            "LunarBirthday": _obj(_pick(("Y",), np.zeros(n, dtype=np.int64), ~lunar)),
            "Anniversary": pd.Series(ann),
            "Strategic": _obj(np.where(strategic, yes, None)),
            "DoNotContact": _obj(np.where(dnc, yes, None)),
            "ClassOverride": _obj(cls),
            "Notes": _obj(notes),
            "Member": _obj(np.full(n, None, dtype=object)),
            "CardBalance": pd.Series(np.full(n, np.nan)),
            "Preferences": _obj(np.full(n, None, dtype=object)),
            "ReferredBy": _obj(np.full(n, None, dtype=object)),
        },
    )


_LEVELS = (("普通会员", "银卡会员", "金卡会员"), ("Standard", "Silver", "Gold"))
_PREFERENCES = (
    ("喜欢绿茶", "偏好天然成分", "喜欢周末上午预约", "对香味敏感", "喜欢新品试用",
     "偏好女美容师", "要求安静的房间", "喜欢套餐优惠", "关注抗衰老项目", "需要停车位",
     "喜欢微信预约", "只用无香型产品"),
    ("Likes green tea", "Prefers natural ingredients", "Saturday mornings",
     "Sensitive to fragrance", "Likes to try new products", "Prefers a female therapist",
     "Wants a quiet room", "Likes bundle offers", "Interested in anti-ageing",
     "Needs parking", "Books on WeChat", "Fragrance-free products only"),
)  # fmt: skip


def _members_and_referrals(
    rng: np.random.Generator, df: pd.DataFrame, cust: dict[str, np.ndarray], li: int
) -> None:
    """Fill Member, CardBalance, Preferences and ReferredBy in place, from their own
    random stream (so every other column stays as it was drawn).

    * members: ~45% of store customers who bought, fewer distributors and partners;
      a level for ~80% of them (gold for the big spenders), ``Y`` for the rest;
    * card balance: most active members hold one, fewer of the dormant, fewer still of
      the lost (the card used up); lognormal around 800, whole tens;
    * preferences for ~40% (more for members);
    * ReferredBy for ~80% of the customers whose Source is a referral: an earlier
      customer who bought, a few "ambassadors" bringing several.
    """
    n = len(df)
    if n == 0:
        return
    typ, seg, pros = cust["type"], cust["seg"], cust["prospect"]
    share = np.array([0.45, 0.05, 0.15])[typ]
    member = ~pros & (rng.random(n) < share)
    spend = np.log(np.maximum(cust["level"], 1.0))
    rank = (np.argsort(np.argsort(spend)) + 0.5) / n  # 0..1 by spend level
    level = np.minimum((rank * 3 + rng.normal(0, 0.5, n)).astype(np.int64).clip(0, 2), 2)
    named = rng.random(n) < 0.8
    words = np.where(named, _pick(_LEVELS[li], level), "Y").astype(object)
    df["Member"] = _obj(np.where(member, words, None))
    p_balance = np.select([seg == 0, seg == 1, seg == 2], [0.80, 0.85, 0.60], 0.35)
    holds = member & (rng.random(n) < p_balance)
    amount = np.round(rng.lognormal(np.log(800.0), 0.9, n) / 10.0) * 10.0
    balance = np.where(holds, np.maximum(amount, 10.0), np.where(member, 0.0, np.nan))
    df["CardBalance"] = pd.Series(balance, dtype=float)
    likes = rng.random(n) < np.where(member, 0.6, 0.3)
    pick = rng.integers(0, len(_PREFERENCES[li]), n)
    df["Preferences"] = _obj(_pick(_PREFERENCES[li], pick, ~likes))
    # referrals: an earlier buyer, weighted so that a few bring several
    referral = np.array(_SOURCES[li], dtype=object)[2]
    referred = (df["Source"] == referral).to_numpy() & (rng.random(n) < 0.8)
    weight = np.where(pros, 0.0, rng.lognormal(0.0, 1.2, n))
    cum = np.concatenate([[0.0], np.cumsum(weight)])  # cum[i] = weight of customers < i
    u = rng.random(n)
    referred &= cum[:-1] > 0
    at = np.flatnonzero(referred)
    who = np.searchsorted(cum, u[at] * cum[at], side="right") - 1
    out = np.full(n, None, dtype=object)
    out[at] = cust["ids"][np.minimum(who, at - 1)]
    df["ReferredBy"] = _obj(out)


# ---------------------------------------------------------------------------- contacts
def _contacts(
    rng: np.random.Generator, cust: dict[str, np.ndarray], n: int, a: np.datetime64, li: int
) -> pd.DataFrame:
    n_cust = len(cust["type"])
    pros = cust["prospect"]
    w = cust["weight"]
    per = np.zeros(0, dtype=np.int64)
    if n_cust:
        cw = np.where(pros, 1.0, 1.0 + np.sqrt(w / max(float(w.mean()), 1e-12)))
        per = rng.multinomial(n, cw / cw.sum())
    c = np.repeat(np.arange(n_cust), per)

    # dates: mostly around each buyer's active window, else anywhere in the last year
    lo = np.maximum(cust["end"][c] - 45, 0)
    hi = np.minimum(cust["start"][c] + 30, _HORIZON)
    in_window = (~pros[c]) & (rng.random(n) < 0.75)
    off = np.where(
        in_window,
        lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64),
        rng.integers(0, 365, n),
    )
    # ~25% of a buyer's in-window contacts are after-sale check-ins 1-10 days after the last order
    post = in_window & (rng.random(n) < 0.25)
    off[post] = np.maximum(cust["end"][c[post]] - rng.integers(1, 11, int(post.sum())), 0)

    out_w = np.zeros(len(_OUTCOME_KEYS))
    for key, p in _OUTCOME_BASE.items():
        out_w[_O[key]] = p
    outcome = _choice(rng, out_w, n)
    outcome[(outcome == _O["Order"]) & pros[c]] = _O["Reached"]

    # staff: mostly the customer's owner
    staff = np.where(rng.random(n) < 0.85, cust["owner"][c], _choice(rng, _OWNER_P, n))
    channel = _choice(rng, _CHANNEL_P, n)

    # reserved rows: complaints, their resolutions, near-future appointments
    perm = rng.permutation(n)
    k_comp = max(round(0.02 * n), min(3, n // 20))  # ~2%, at least 3 from 60 contacts
    k_res = min(max(k_comp - 1, 0), round(0.7 * k_comp))  # ~70% resolved, >= 1 open
    k_app = min(n - k_comp - k_res, max(round(0.002 * n), min(2, n // 20)))
    comp = perm[:k_comp]
    res = perm[k_comp : k_comp + k_res]
    app = perm[k_comp + k_res : k_comp + k_res + k_app]
    solved, open_ = comp[:k_res], comp[k_res:]

    outcome[comp] = _O["Complaint"]
    off[open_] = rng.integers(0, 41, len(open_))  # open complaints are recent
    off[solved] = np.maximum(off[solved], 1)
    outcome[res] = _O["Resolved"]
    c[res] = c[solved]
    off[res] = np.maximum(off[solved] - rng.integers(1, 15, k_res), 0)  # strictly later
    staff[res] = cust["owner"][c[res]]
    channel[res] = np.where(rng.random(k_res) < 0.7, 0, 2)  # phone or visit

    follow_p = np.array([_FOLLOW_P[k] for k in _OUTCOME_KEYS])
    has_follow = rng.random(n) < follow_p[outcome]
    follow_gap = rng.integers(3, 61, n)

    after = rng.integers(1, 6, k_app)  # appointment due 1-5 days after the anchor
    outcome[app] = _O["Appointment"]
    off[app] = np.maximum(3 - after, 0) + rng.integers(0, 6, k_app)
    has_follow[app] = True
    follow_gap[app] = off[app] + after

    has_promise = rng.random(n) < 0.08
    promise = rng.integers(0, len(_PROMISES[li]), n)
    promise_gap = rng.integers(2, 22, n)

    # kept promises: a later PromiseKept contact of the same customer for ~80% of the
    # promises already due (~20% of those not yet due), taken from unreserved rows
    pool = perm[k_comp + k_res + k_app :]
    pool = pool[~has_promise[pool]]
    due_past = off - promise_gap > 0
    keep = has_promise & (off >= 1) & (rng.random(n) < np.where(due_past, 0.8, 0.2))
    kept = np.flatnonzero(keep)[: len(pool)]
    rows = pool[: len(kept)]
    c[rows] = c[kept]
    outcome[rows] = _O["PromiseKept"]
    off[rows] = np.maximum(off[kept] - rng.integers(1, promise_gap[kept] + 4), 0)  # later
    staff[rows] = cust["owner"][c[rows]]
    has_follow[rows] = False

    note_kind = np.where(rng.random(n) < 0.25, 0, -1)
    note_kind[outcome == _O["Complaint"]] = 1
    note_kind[outcome == _O["Resolved"]] = 2
    gen = _pick(_CONTACT_NOTES[li], rng.integers(0, len(_CONTACT_NOTES[li]), n))
    cmp_note = _pick(_COMPLAINT_NOTES[li], rng.integers(0, len(_COMPLAINT_NOTES[li]), n))
    res_note = _pick(_RESOLVED_NOTES[li], rng.integers(0, len(_RESOLVED_NOTES[li]), n))
    notes = np.select(
        [note_kind == 0, note_kind == 1, note_kind == 2], [gen, cmp_note, res_note], None
    )

    # sort by date (oldest first), then customer, then generation order
    order = np.argsort((_HORIZON - off) * (n_cust + 1) + c, kind="stable")
    c, off, outcome, staff, channel = (
        c[order],
        off[order],
        outcome[order],
        staff[order],
        channel[order],
    )
    has_follow, follow_gap = has_follow[order], follow_gap[order]
    has_promise, promise, promise_gap = has_promise[order], promise[order], promise_gap[order]
    notes = notes[order]

    outcome_words = _OUTCOME_KEYS if li == 1 else tuple(OUTCOMES[k] for k in _OUTCOME_KEYS)
    return _frame(
        [col.key for col in CONTACTS.columns],
        {
            "CustomerID": _obj(cust["ids"][c]),
            "ContactDate": _dates(a, off),
            "Channel": _obj(_pick(_CHANNELS[li], channel)),
            "Staff": _obj(_pick(_OWNERS[li], staff)),
            "Outcome": _obj(_pick(outcome_words, outcome)),
            "NextFollowUp": _dates(a, off - follow_gap, ~has_follow),
            "Promise": _obj(_pick(_PROMISES[li], promise, ~has_promise)),
            "PromiseDue": _dates(a, off - promise_gap, ~has_promise),
            "Notes": _obj(notes),
        },
    )
