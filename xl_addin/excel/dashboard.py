"""The Dashboard's layout: the core's :class:`~xl_addin.domain.pipeline.DashboardData`
laid out as cells (columns A:D) in fixed blocks, in the workbook's language.

The blocks keep their size whatever the data (:data:`DASHBOARD_ROWS`), so the native
charts the workbook holds over them stay valid after every refresh: a refresh rewrites
the cells and the charts follow.
"""

from __future__ import annotations

from typing import Any

from ..domain.pipeline import DashboardData
from ..names import REASONS, VALUE_TIERS, word

__all__ = ["DASHBOARD_ROWS", "WIDTH", "dashboard_rows"]

#: Fixed Dashboard blocks (1-based first data row, rows): charts point at these ranges.
DASHBOARD_ROWS = {"figures": (4, 12), "classes": (18, 4), "segments": (24, 11),
                  "pareto": (37, 20), "owners": (59, 10), "reasons": (71, len(REASONS))}
# receivables at risk by owner, safety by value tier, prepaid members: below the reasons
DASHBOARD_ROWS["receivables"] = (sum(DASHBOARD_ROWS["reasons"]) + 2, 10)
DASHBOARD_ROWS["screening"] = (sum(DASHBOARD_ROWS["receivables"]) + 2, len(VALUE_TIERS))
DASHBOARD_ROWS["members"] = (sum(DASHBOARD_ROWS["screening"]) + 2, 3)
#: columns the layout uses (A:D)
WIDTH = 4

_FIGURES = (  # key, 中文, English; shares go in column D, the rest in B
    ("customers", "客户数", "Customers"),
    ("buyers", "有购买客户", "Buyers"),
    ("revenue", "销售额合计", "Revenue"),
    ("profit", "利润合计（扣除服务成本）", "Profit after cost to serve"),
    ("clv", "预测客户终身价值合计", "Predicted CLV"),
    ("overdue", "逾期回访", "Overdue follow-ups"),
    ("due_today", "今日到期", "Due today"),
    ("calls_today", "今日呼叫", "Calls today"),
    ("revenue_80_share", "贡献 80% 销售额的客户占比", "Share of customers making 80% of revenue"),
    ("profit_80_share", "贡献 80% 利润的客户占比", "Share of customers making 80% of profit"),
    ("loss_making", "亏损客户数", "Loss-making customers"),
    ("bottom_30_profit", "利润最低 30% 客户的利润合计", "Profit of the bottom 30% of customers"),
)
_SHARES = {"revenue_80_share", "profit_80_share"}


def dashboard_rows(data: DashboardData, lang: str) -> list[list[Any]]:
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
    for key, label_zh, label_en in _FIGURES:
        value = data.figures[key]
        rows.append([t(label_zh, label_en), None, None, value] if key in _SHARES
                    else [t(label_zh, label_en), value])
    rows += [[None], [t("等级", "Class"), t("客户数", "Customers"), t("销售额", "Revenue"),
                      t("销售额占比", "Revenue share")]]
    for k, count, revenue, share in data.classes:
        rows.append([k or t("潜在客户", "Prospects"), count, revenue, share])
    rows += [[None], [t("RFM 分群", "RFM segment"), t("客户数", "Customers"),
                      t("销售额", "Revenue")]]
    slots = DASHBOARD_ROWS["segments"][1]
    segments = data.segments[:slots]
    rows += [[label, count, revenue] for label, count, revenue in segments]
    rows += [[None, None, None]] * (slots - len(segments))
    rows += [[None], [t("客户占比（按价值排序）", "Share of customers (by value)"),
                      t("累计销售额占比", "Cumulative revenue share"),
                      t("累计利润占比", "Cumulative profit share")]]
    for a, b, c in data.pareto[["CustomerShare", "RevenueShare", "ProfitShare"]].itertuples(
            index=False):
        rows.append([float(a), float(b), float(c)])
    rows += [[None], [t("负责人", "Owner"), t("今日呼叫", "Calls today"), t("逾期回访", "Overdue")]]
    slots = DASHBOARD_ROWS["owners"][1]
    shown, rest = data.owners[: slots - 1], data.owners[slots - 1:]
    if len(rest) == 1:
        shown, rest = shown + rest, []
    for owner, calls, overdue in shown:
        rows.append([owner or t("（未分配）", "(unassigned)"), calls, overdue])
    if rest:
        rows.append([t("其他", "Others"), sum(c for _o, c, _v in rest),
                     sum(v for _o, _c, v in rest)])
    rows += [[None]] * (slots - len(shown) - bool(rest))
    rows += [[None], [t("回访原因", "Reason"), t("逾期", "Overdue"), t("今日到期", "Due today")]]
    for key, overdue, due_today in data.reasons:
        rows.append([word(REASONS, key, lang), overdue, due_today])
    rows += _money_blocks(data, lang)
    rows += [[None], [t("模型说明", "Model note"), data.note]]
    if data.trust:
        rows.append([t("分数可信度", "How far to trust the scores"), data.trust])
    for k, text in enumerate(data.warnings):  # below everything the charts read
        rows.append([t("提示", "Please check") if k == 0 else None, text])
    return [list(r) + [None] * (WIDTH - len(r)) for r in rows]


_MEMBER_ROWS = {"members": ("会员", "Members"), "with_balance": ("有卡余额", "With a balance"),
                "idle": ("有余额但久未到店", "Idle with a balance")}


def _money_blocks(data: DashboardData, lang: str) -> list[list[Any]]:
    """Receivables at risk per owner (the busiest with late money first, the rest as
    "Others"), safety by value tier (key-customer screening) and the prepaid members."""
    zh = lang == "zh-CN"

    def t(a: str, b: str) -> str:
        return a if zh else b

    rows: list[list[Any]] = [[None], [t("负责人", "Owner"), t("未回款", "Outstanding"),
                                      t("超期未回款", "Past terms"),
                                      t("超期占比", "Share past terms")]]
    slots = DASHBOARD_ROWS["receivables"][1]
    shown, rest = data.receivables[: slots - 1], data.receivables[slots - 1:]
    if len(rest) == 1:
        shown, rest = shown + rest, []
    for owner, out, late, share in shown:
        rows.append([owner or t("（未分配）", "(unassigned)"), out, late, share])
    if rest:
        out, late = sum(r[1] for r in rest), sum(r[2] for r in rest)
        rows.append([t("其他", "Others"), out, late, late / out if out > 0 else 0.0])
    rows += [[None]] * (slots - len(shown) - bool(rest))
    rows += [[None], [t("价值层级（回款安全性）", "Value tier (payment safety)"),
                      t("客户数", "Customers"), t("超期未回款", "Past terms"),
                      t("回款不及时客户占比", "Share paying late")]]
    screening = {k: (n, late, share) for k, n, late, share in data.screening}
    for key in VALUE_TIERS:
        n, late, share = screening.get(key, (0, 0.0, 0.0))
        rows.append([word(VALUE_TIERS, key, lang), n, late, share])
    rows += [[None], [t("储值会员", "Prepaid members"), t("人数", "Customers"),
                      t("卡余额", "Card balance"), t("占会员比例", "Share of members")]]
    held = {k: (n, balance, share) for k, n, balance, share in data.members}
    for key, (label_zh, label_en) in _MEMBER_ROWS.items():
        n, balance, share = held.get(key, (0, 0.0, 0.0))
        rows.append([t(label_zh, label_en), n, balance, share])
    return rows
