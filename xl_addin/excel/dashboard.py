"""The Dashboard's layout: the core's :class:`~xl_addin.domain.pipeline.DashboardData`
laid out as cells (columns A:D) in fixed blocks, in the workbook's language.

The blocks keep their place whatever the data (:data:`DASHBOARD_ROWS`), so the native
charts the workbook holds over them stay valid after every refresh: a refresh rewrites
the cells, cuts each chart's series to the rows its block holds (no empty category
slots), and the charts follow. Every cell is formatted for what it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..domain.pipeline import DashboardData
from ..names import REASONS, VALUE_TIERS, word

__all__ = ["DASHBOARD_ROWS", "WIDTH", "DashboardLayout", "dashboard_layout", "dashboard_rows"]

#: Fixed Dashboard blocks (1-based first data row, rows): charts point at these ranges.
DASHBOARD_ROWS = {"figures": (4, 12), "classes": (18, 4), "segments": (24, 11),
                  "pareto": (37, 20), "owners": (59, 10), "reasons": (71, len(REASONS))}
# receivables at risk by owner, safety by value tier, prepaid members: below the reasons
DASHBOARD_ROWS["receivables"] = (sum(DASHBOARD_ROWS["reasons"]) + 2, 10)
DASHBOARD_ROWS["screening"] = (sum(DASHBOARD_ROWS["receivables"]) + 2, len(VALUE_TIERS))
DASHBOARD_ROWS["members"] = (sum(DASHBOARD_ROWS["screening"]) + 2, 3)
#: columns the layout uses (A:D)
WIDTH = 4

_FIGURES = (  # key, 中文, English, kind: every figure in column B, formatted for what it is
    ("customers", "客户数", "Customers", "int"),
    ("buyers", "有购买客户", "Buyers", "int"),
    ("revenue", "销售额合计", "Revenue", "money"),
    ("profit", "利润合计（扣除服务成本）", "Profit after cost to serve", "money"),
    ("clv", "预测客户终身价值合计", "Predicted CLV", "money"),
    ("overdue", "逾期回访", "Overdue follow-ups", "int"),
    ("due_today", "今日到期", "Due today", "int"),
    ("calls_today", "今日呼叫", "Calls today", "int"),
    ("revenue_80_share", "贡献 80% 销售额的客户占比", "Share of customers making 80% of revenue",
     "percent"),
    ("profit_80_share", "贡献 80% 利润的客户占比", "Share of customers making 80% of profit",
     "percent"),
    ("loss_making", "亏损客户数", "Loss-making customers", "int"),
    ("bottom_30_profit", "利润最低 30% 客户的利润合计", "Profit of the bottom 30% of customers",
     "money"),
)
#: the number format of each block's columns A:D
_BLOCK_KINDS = {"classes": (None, "int", "money", "percent"),
                "segments": (None, "int", "money", None),
                "pareto": ("percent", "percent", "percent", None),
                "owners": (None, "int", "int", None), "reasons": (None, "int", "int", None),
                "receivables": (None, "money", "money", "percent"),
                "screening": (None, "int", "money", "percent"),
                "members": (None, "int", "money", "percent")}


@dataclass
class DashboardLayout:
    """The Dashboard as cells: ``rows`` (top-left first), the kind of each cell
    (``kinds``: a number format, ``heading``, or None for the column's), and the rows
    each block holds (``chart_rows``, by the block's first row) for the charts over it."""

    rows: list[list[Any]]
    kinds: list[list[str | None]]
    chart_rows: dict[int, int]


def dashboard_rows(data: DashboardData, lang: str) -> list[list[Any]]:
    """The Dashboard's cells (see :func:`dashboard_layout`)."""
    return dashboard_layout(data, lang).rows


def dashboard_layout(data: DashboardData, lang: str) -> DashboardLayout:
    """The Dashboard's cells, top-left first: title, as-of date, headline figures, and the
    blocks by class, by RFM segment, the Pareto curve, per owner and per reason, the
    receivables per owner, payment safety per value tier and the prepaid members, then
    the model note and the sentence on how far to trust the scores."""
    zh = lang == "zh-CN"

    def t(a: str, b: str) -> str:
        return a if zh else b

    rows: list[list[Any]] = [
        [t("CustomerBook 客户管理", "CustomerBook")],
        [t("基准日", "As of"), data.as_of],
        [None],
    ]
    kinds: list[list[str | None]] = [[None], ["heading", "date"], [None]]
    used: dict[str, int] = {}

    def gap() -> None:
        rows.append([None])
        kinds.append([None])

    def heading(*labels: str) -> None:
        rows.append(list(labels))
        kinds.append(["heading"] * len(labels))

    def block(key: str, body: list[list[Any]], filled: int) -> None:
        rows.extend(body)
        kinds.extend([list(_BLOCK_KINDS[key]) for _ in body])
        used[key] = filled

    for key, label_zh, label_en, kind in _FIGURES:
        rows.append([t(label_zh, label_en), data.figures[key]])
        kinds.append([None, kind])
    gap()
    heading(t("等级", "Class"), t("客户数", "Customers"), t("销售额", "Revenue"),
            t("销售额占比", "Revenue share"))
    classes = [[k or t("潜在客户", "Prospects"), count, revenue, share]
               for k, count, revenue, share in data.classes]
    block("classes", classes, len(classes))
    gap()
    heading(t("RFM 分群", "RFM segment"), t("客户数", "Customers"), t("销售额", "Revenue"))
    slots = DASHBOARD_ROWS["segments"][1]
    segments = [[label, count, revenue] for label, count, revenue in data.segments[:slots]]
    block("segments", segments + [[None, None, None]] * (slots - len(segments)), len(segments))
    gap()
    heading(t("客户占比（按价值排序）", "Share of customers (by value)"),
            t("累计销售额占比", "Cumulative revenue share"),
            t("累计利润占比", "Cumulative profit share"))
    curve = [[float(a), float(b), float(c)] for a, b, c in
             data.pareto[["CustomerShare", "RevenueShare", "ProfitShare"]].itertuples(index=False)]
    block("pareto", curve, len(curve))
    gap()
    heading(t("负责人", "Owner"), t("今日呼叫", "Calls today"), t("逾期回访", "Overdue"))
    slots = DASHBOARD_ROWS["owners"][1]
    shown, rest = data.owners[: slots - 1], data.owners[slots - 1:]
    if len(rest) == 1:
        shown, rest = shown + rest, []
    owners = [[owner or t("（未分配）", "(unassigned)"), calls, overdue]
              for owner, calls, overdue in shown]
    if rest:
        owners.append([t("其他", "Others"), sum(c for _o, c, _v in rest),
                       sum(v for _o, _c, v in rest)])
    block("owners", owners + [[None]] * (slots - len(owners)), len(owners))
    gap()
    heading(t("回访原因", "Reason"), t("逾期", "Overdue"), t("今日到期", "Due today"))
    # the reasons with items first (the chart shows those), busiest first
    reasons = sorted(data.reasons, key=lambda r: -(r[1] + r[2]))
    block("reasons", [[word(REASONS, key, lang), overdue, due_today]
                      for key, overdue, due_today in reasons],
          sum(1 for _k, overdue, due_today in reasons if overdue + due_today))
    _money_blocks(data, lang, t, gap, heading, block)
    rows += [[None], [t("模型说明", "Model note"), data.note]]
    kinds += [[None], ["heading"]]
    if data.trust:
        rows.append([t("分数可信度", "How far to trust the scores"), data.trust])
        kinds.append(["heading"])
    for k, text in enumerate(data.warnings):  # below everything the charts read
        rows.append([t("提示", "Please check") if k == 0 else None, text])
        kinds.append(["heading" if k == 0 else None])
    chart_rows = {DASHBOARD_ROWS[key][0]: n for key, n in used.items()}
    return DashboardLayout([list(r) + [None] * (WIDTH - len(r)) for r in rows],
                           [list(k) + [None] * (WIDTH - len(k)) for k in kinds], chart_rows)


_MEMBER_ROWS = {"members": ("会员", "Members"), "with_balance": ("有卡余额", "With a balance"),
                "idle": ("有余额但久未到店", "Idle with a balance")}


def _money_blocks(data: DashboardData, lang: str, t: Callable[[str, str], str],
                  gap: Callable[[], None], heading: Callable[..., None],
                  block: Callable[[str, list, int], None]) -> None:
    """Receivables at risk per owner (the busiest with late money first, the rest as
    "Others"), safety by value tier (key-customer screening) and the prepaid members."""
    gap()
    heading(t("负责人", "Owner"), t("未回款", "Outstanding"), t("超期未回款", "Past terms"),
            t("超期占比", "Share past terms"))
    slots = DASHBOARD_ROWS["receivables"][1]
    shown, rest = data.receivables[: slots - 1], data.receivables[slots - 1:]
    if len(rest) == 1:
        shown, rest = shown + rest, []
    owed = [[owner or t("（未分配）", "(unassigned)"), out, late, share]
            for owner, out, late, share in shown]
    if rest:
        out, late = sum(r[1] for r in rest), sum(r[2] for r in rest)
        owed.append([t("其他", "Others"), out, late, late / out if out > 0 else 0.0])
    block("receivables", owed + [[None]] * (slots - len(owed)), len(owed))
    gap()
    heading(t("价值层级（回款安全性）", "Value tier (payment safety)"), t("客户数", "Customers"),
            t("超期未回款", "Past terms"), t("回款不及时客户占比", "Share paying late"))
    screening = {k: (n, late, share) for k, n, late, share in data.screening}
    tiers = [[word(VALUE_TIERS, key, lang),
              *screening.get(key, (0, 0.0, 0.0))] for key in VALUE_TIERS]
    block("screening", tiers, len(tiers))
    gap()
    heading(t("储值会员", "Prepaid members"), t("人数", "Customers"), t("卡余额", "Card balance"),
            t("占会员比例", "Share of members"))
    held = {k: (n, balance, share) for k, n, balance, share in data.members}
    members = [[t(label_zh, label_en), *held.get(key, (0, 0.0, 0.0))]
               for key, (label_zh, label_en) in _MEMBER_ROWS.items()]
    block("members", members, len(members))
