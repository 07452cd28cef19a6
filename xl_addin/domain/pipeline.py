"""All jobs in one pure pass: Inputs in, output tables out.

:func:`run` is what every door calls (CLI, buttons, tests). It takes the typed inputs
and the rows staff typed on the previous call list, and returns the output tables in
the workbook's language with the contract's columns, plus the Contacts rows to append.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..names import (ANALYSIS, CALLLIST, DORMANCY, FOLLOWUPS, REASONS, STATUSES, VALUE_TIERS,
                     word)
from .calllist import call_list
from .classify import (abc_class, dormancy, rfm_scores, rfm_segment_cn8,
                       rfm_segment_en11, value_tier)
from .followups import follow_ups
from .loop import CallOutcomes
from .schema import Inputs
from .value import customer_history, predict_value

__all__ = ["JOBS", "Outputs", "run"]

#: which output tables each button refreshes
JOBS = {
    "refresh_all": ("Analysis", "FollowUps", "CallList", "Dashboard"),
    "classify": ("Analysis", "Dashboard"),
    "follow_ups": ("FollowUps", "Dashboard"),
    "call_list": ("FollowUps", "CallList", "Dashboard"),
}


@dataclass
class Outputs:
    """Everything a refresh writes. Frames use canonical column names."""

    as_of: dt.date
    lang: str
    analysis: pd.DataFrame
    followups: pd.DataFrame
    calllist: pd.DataFrame
    new_contacts: pd.DataFrame
    dashboard: list[list[object]]
    notes: list[str] = field(default_factory=list)


def _why_text(abc: str, override: str | None, cn8_flags: tuple[bool, bool, bool] | None,
              segment: str, settings, lang: str) -> str:
    parts = []
    a, b = settings.ABC_A_Share, settings.ABC_B_Share
    if override:
        parts.append(f"手动等级 {override}（计算为 {abc or '无'}）" if lang == "zh-CN"
                     else f"{override}: set by hand (computed {abc or 'none'})")
    elif abc:
        span = {"A": (0, a), "B": (a, b), "C": (b, 1)}[abc]
        parts.append(f"{abc} 类：累计销售额 {span[0]:.0%}–{span[1]:.0%} 区间" if lang == "zh-CN"
                     else f"{abc}: within {span[0]:.0%}–{span[1]:.0%} of cumulative revenue")
    else:
        parts.append("潜在客户：尚无销售额" if lang == "zh-CN" else "prospect: no revenue yet")
    if segment and cn8_flags is not None:
        up = [k for k, f in zip("RFM", cn8_flags, strict=True) if f]
        down = [k for k, f in zip("RFM", cn8_flags, strict=True) if not f]
        if lang == "zh-CN":
            bits = []
            if up:
                bits.append("、".join(up) + " 优于平均")
            if down:
                bits.append("、".join(down) + " 低于平均")
            parts.append(f"{segment}：" + "，".join(bits))
        else:
            bits = []
            if up:
                bits.append(" and ".join(up) + " better than average")
            if down:
                bits.append(" and ".join(down) + " below average")
            parts.append(f"{segment}: " + ", ".join(bits))
    elif segment:
        parts.append(segment)
    return "；".join(parts) if lang == "zh-CN" else "; ".join(parts)


def analyse(inputs: Inputs, contacts: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, str]:
    """The Analysis table (index CustomerID, canonical columns + helpers) and a model note."""
    s, lang = inputs.settings, inputs.settings.Language
    cust = inputs.customers
    hist = customer_history(cust, inputs.orders, contacts, s, as_of)
    value = predict_value(cust, inputs.orders, hist, s, as_of)
    buyers = hist["Orders"] > 0
    scores = rfm_scores(hist["RecencyDays"].where(buyers), hist["Orders"].where(buyers),
                        hist["Revenue"].where(buyers))
    computed = abc_class(hist["Revenue"], s.ABC_A_Share, s.ABC_B_Share)
    override = cust.set_index("CustomerID")["ClassOverride"].reindex(hist.index)
    classes = override.where(override.notna(), computed).fillna("")
    cn8, flags = rfm_segment_cn8(hist["RecencyDays"].where(buyers), hist["Orders"].where(buyers),
                                 hist["Revenue"].where(buyers), lang)
    segment = cn8 if s.rfm_scheme == "CN8" else rfm_segment_en11(scores, lang)
    v = value.frame
    tier_basis = v["CLV"].where(v["CLV"].notna() & buyers, hist["Revenue"])
    tiers = value_tier(tier_basis.where(buyers, 0.0), s.Tier_Key_Share, s.Tier_Important_Share,
                       s.Tier_Ordinary_Share)
    dorm = dormancy(hist["RecencyDays"], s.DormantDays, s.LostDays)
    info = cust.set_index("CustomerID")
    out = pd.DataFrame(index=hist.index)
    out["CustomerID"] = hist.index
    out["Name"] = info["Name"]
    out["Owner"] = info["Owner"]
    out["Revenue"] = hist["Revenue"].round(2)
    out["Orders"] = hist["Orders"]
    out["LastOrderDate"] = hist["LastOrderDate"]
    out["RecencyDays"] = hist["RecencyDays"]
    for k in "RFM":
        out[k] = scores[k]
    out["RFMSegment"] = segment
    out["ABCClass"] = classes
    out["ValueTier"] = tiers.map(lambda t: word(VALUE_TIERS, t, lang) if t else "")
    out["Profit"] = hist["Profit"].round(2)
    out["Dormant"] = dorm.map(lambda t: word(DORMANCY, t, lang))
    out["PAlive"] = v["PAlive"]
    out["ExpectedPurchases"] = v["ExpectedPurchases"]
    out["CLV"] = v["CLV"].round(2)
    out["AvgOrderValue"] = hist["AvgOrderValue"].round(2)
    out["FirstOrderDate"] = hist["FirstOrderDate"]
    is_cn8 = s.rfm_scheme == "CN8"
    out["Why"] = [
        _why_text(c, o if isinstance(o, str) and o else None,
                  (bool(fr), bool(ff), bool(fm)) if is_cn8 and seg else None, seg, s, lang)
        for c, o, seg, fr, ff, fm in zip(computed, override, segment, flags["R"], flags["F"],
                                         flags["M"], strict=True)
    ]
    # helpers for later stages (not written)
    out["_Class"] = classes
    out["_LastProduct"] = hist["LastProduct"]
    out["_Likelihood"] = v["PurchaseLikelihood"]
    out["_Margin"] = hist["Margin"]
    return out, value.note


def run(inputs: Inputs, calls: CallOutcomes | None = None, today: dt.date | None = None) -> Outputs:
    """Compute every output table. ``calls``: the outcomes taken from the old call list."""
    s, lang = inputs.settings, inputs.settings.Language
    as_of = s.as_of(today)
    new_contacts = calls.contacts if calls is not None else pd.DataFrame()
    contacts = inputs.contacts
    if len(new_contacts):
        contacts = pd.concat([contacts, new_contacts.assign(_row=0)], ignore_index=True)
    analysis, note = analyse(inputs, contacts, as_of)
    items = follow_ups(inputs.customers, contacts,
                       customer_history(inputs.customers, inputs.orders, contacts, s, as_of),
                       analysis["_Class"], s, as_of)
    info = inputs.customers.set_index("CustomerID")
    fu = pd.DataFrame({
        "CustomerID": items["CustomerID"],
        "Name": items["CustomerID"].map(info["Name"]),
        "Owner": items["CustomerID"].map(info["Owner"]),
        "Reason": items["Reason"].map(lambda r: word(REASONS, r, lang)),
        "DueDate": items["DueDate"],
        "DaysOverdue": items["DaysOverdue"].astype(int),
        "Status": items["Status"].map(lambda r: word(STATUSES, r, lang)),
        "ABCClass": items["CustomerID"].map(analysis["_Class"]),
        "Detail": items["Detail"],
    })
    ana_for_calls = pd.DataFrame({
        "ABCClass": analysis["_Class"], "CLV": analysis["CLV"], "Revenue": analysis["Revenue"],
        "PurchaseLikelihood": analysis["_Likelihood"], "RecencyDays": analysis["RecencyDays"],
        "LastProduct": analysis["_LastProduct"],
    })
    pending = calls.pending if calls is not None and len(calls.pending) else None
    calls_out = call_list(items, inputs.customers, ana_for_calls, s, as_of, pending)
    dash = dashboard(analysis, items, calls_out, s, as_of, note)
    return Outputs(
        as_of=as_of, lang=lang,
        analysis=analysis[[c.key for c in ANALYSIS.columns]].reset_index(drop=True),
        followups=fu[[c.key for c in FOLLOWUPS.columns]].reset_index(drop=True),
        calllist=calls_out[[c.key for c in CALLLIST.columns]],
        new_contacts=new_contacts, dashboard=dash, notes=[note],
    )


def dashboard(analysis: pd.DataFrame, items: pd.DataFrame, calls: pd.DataFrame, s,
              as_of: dt.date, note: str) -> list[list[object]]:
    """The Dashboard's cells, top-left first: title, headline figures, summary tables.

    Fixed layout (charts point at these ranges): rows 1-2 title and as-of date; rows 4-11
    headline figures in A:B; rows 13-17 the ABC table in A:D; rows 19+ calls per owner.
    """
    zh = s.Language == "zh-CN"
    t = (lambda a, b: a) if zh else (lambda a, b: b)
    rev = analysis["Revenue"]
    buyers = int((analysis["Orders"] > 0).sum())
    overdue = int((items["DaysOverdue"] > 0).sum())
    today = int((items["DaysOverdue"] == 0).sum())
    rows: list[list[object]] = [
        [t("CustomerBook 客户管理", "CustomerBook"), None, None, None],
        [t("基准日", "As of"), as_of, None, None],
        [None],
        [t("客户数", "Customers"), len(analysis)],
        [t("有购买客户", "Buyers"), buyers],
        [t("销售额合计", "Revenue"), float(rev.sum())],
        [t("利润合计", "Profit"), float(analysis["Profit"].sum())],
        [t("预测客户终身价值合计", "Predicted CLV"), float(np.nansum(analysis["CLV"]))],
        [t("逾期回访", "Overdue follow-ups"), overdue],
        [t("今日到期", "Due today"), today],
        [t("今日呼叫", "Calls today"), len(calls)],
        [None],
        [t("等级", "Class"), t("客户数", "Customers"), t("销售额", "Revenue"),
         t("销售额占比", "Revenue share")],
    ]
    total = float(rev[rev > 0].sum()) or 1.0
    for k in ("A", "B", "C", ""):
        mask = analysis["_Class"] == k
        rows.append([k or t("潜在", "Prospect"), int(mask.sum()), float(rev[mask].sum()),
                     float(rev[mask].clip(lower=0).sum()) / total])
    rows.append([None])
    rows.append([t("负责人", "Owner"), t("今日呼叫", "Calls today"), t("逾期回访", "Overdue")])
    owners = analysis["Owner"].fillna("")
    by_owner_over = items[items["DaysOverdue"] > 0]["CustomerID"].map(owners).value_counts()
    by_owner_calls = calls["Owner"].fillna("").value_counts()
    for owner in sorted(set(owners) | set(by_owner_calls.index)):
        rows.append([owner or t("（未分配）", "(unassigned)"), int(by_owner_calls.get(owner, 0)),
                     int(by_owner_over.get(owner, 0))])
    rows.append([None])
    rows.append([t("模型说明", "Model note"), note])
    width = max(len(r) for r in rows)
    return [r + [None] * (width - len(r)) for r in rows]

