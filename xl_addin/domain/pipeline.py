"""All jobs in one pure pass: Inputs in, output tables out.

:func:`run` is what every door calls (CLI, buttons, tests). It takes the typed inputs
and the rows staff typed on the previous call list, and returns the output tables in
the workbook's language with the contract's columns, plus the Contacts rows to append.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import forked
from ..errors import Reason, render_message
from ..names import (
    ANALYSIS,
    CALLLIST,
    DORMANCY,
    FACES,
    FOLLOWUPS,
    REASONS,
    STATUSES,
    VALUE_TIERS,
    word,
)
from .calendar import LUNAR_YEARS
from .calllist import call_list, due_calls
from .classify import (
    CN8_LABELS,
    EN11_ZH,
    SCORE_INPUTS,
    abc_class,
    dormancy,
    key_face,
    pareto,
    rfm_scores,
    rfm_segment_cn8,
    rfm_segment_en11,
    score_drivers,
    share_of_customers_for,
    value_score,
    value_tier,
)
from .followups import ROUTINE, follow_ups
from .loop import CallOutcomes
from .members import members
from .schema import Inputs
from .scores import ModelCheck
from .trust import model_note, trust_sentence, uncertain_why
from .value import customer_history, predict_value, score_purchases
from .vector import map_distinct

__all__ = ["JOBS", "DashboardData", "Outputs", "Progress", "dashboard_data", "no_progress",
           "run"]

#: which output tables each button refreshes
JOBS = {
    "refresh_all": ("Analysis", "FollowUps", "CallList", "Dashboard", "ModelCheck"),
    "classify": ("Analysis", "Dashboard", "ModelCheck"),
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
    dashboard: DashboardData
    notes: list[str] = field(default_factory=list)
    #: how the purchase models did on the book's own holdout (None: no purchases)
    modelcheck: ModelCheck | None = None
    #: what the user should know but that did not stop the run, in the book's language
    warnings: list[str] = field(default_factory=list)


def _why_text(abc: str, override: str | None, cn8_flags: tuple[bool, bool, bool] | None,
              segment: str, settings, lang: str, face: str = "", loss: bool = False,
              bought: bool = False) -> str:
    parts = []
    a, b = settings.ABC_A_Share, settings.ABC_B_Share
    if override:
        parts.append(f"手动等级 {override}（计算为 {abc or '无'}）" if lang == "zh-CN"
                     else f"{override}: set by hand (computed {abc or 'none'})")
    elif abc:
        span = {"A": (0, a), "B": (a, b), "C": (b, 1)}[abc]
        parts.append(f"{abc} 类：累计销售额 {span[0]:.0%}–{span[1]:.0%} 区间" if lang == "zh-CN"
                     else f"{abc}: within {span[0]:.0%}–{span[1]:.0%} of cumulative revenue")
    elif bought:
        parts.append("尚无销售额：仅有零金额订单" if lang == "zh-CN"
                     else "no revenue yet: only orders of amount 0")
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
    if face:
        s = settings
        text = {
            "Black": ("黑脸：战略客户（手动标记）", "black face: strategic (set by hand)"),
            "Red": (f"红脸：毛利率≥{s.Face_Red_MinMarginRate:.0%}，每年≤{s.Face_Red_MaxOrdersPerYear:g} 单",
                    f"red face: margin ≥ {s.Face_Red_MinMarginRate:.0%}, "
                    f"≤ {s.Face_Red_MaxOrdersPerYear:g} orders a year"),
            "White": (f"白脸：A 类，毛利率≤{s.Face_White_MaxMarginRate:.0%}",
                      f"white face: class A, margin ≤ {s.Face_White_MaxMarginRate:.0%}"),
        }[face]
        parts.append(text[0] if lang == "zh-CN" else text[1])
    if loss:
        parts.append("亏损：利润为负（含服务成本）" if lang == "zh-CN"
                     else "loss-making after cost to serve")
    return "；".join(parts) if lang == "zh-CN" else "; ".join(parts)


def customer_classes(customers: pd.DataFrame, hist: pd.DataFrame, s
                     ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(class shown, ABC class computed, the user's override) per customer (index
    CustomerID): the override wins where there is one."""
    computed = abc_class(hist["Revenue"], s.ABC_A_Share, s.ABC_B_Share)
    override = customers.set_index("CustomerID")["ClassOverride"].reindex(hist.index)
    return override.where(override.notna(), computed).fillna(""), computed, override


def analyse(inputs: Inputs, hist: pd.DataFrame, as_of: dt.date,
            scored: Future | None = None) -> tuple[pd.DataFrame, str, ModelCheck | None]:
    """The Analysis table (index CustomerID, canonical columns + helpers) from the
    customer history, the fitted parameters (a log note) and the model check.
    ``scored``: :func:`~.value.score_purchases` of the orders, under way beside this."""
    s, lang = inputs.settings, inputs.settings.Language
    cust = inputs.customers
    buyers = hist["Orders"] > 0
    scores = rfm_scores(hist["RecencyDays"].where(buyers), hist["Orders"].where(buyers),
                        hist["Revenue"].where(buyers))
    classes, computed, override = customer_classes(cust, hist, s)
    cn8, flags = rfm_segment_cn8(hist["RecencyDays"].where(buyers), hist["Orders"].where(buyers),
                                 hist["Revenue"].where(buyers), lang)
    segment = cn8 if s.rfm_scheme == "CN8" else rfm_segment_en11(scores, lang, inputs.rfm_rules)
    dorm = dormancy(hist["RecencyDays"], s.DormantDays, s.LostDays)
    info = cust.set_index("CustomerID")
    years = np.maximum(hist["TenureDays"].fillna(0) / 365.0, 1.0)
    faces = key_face(classes, hist["MarginRate"].where(buyers), hist["Orders"] / years,
                     info["Strategic"].reindex(hist.index).fillna(False),
                     s.Face_Red_MinMarginRate, s.Face_Red_MaxOrdersPerYear,
                     s.Face_White_MaxMarginRate)
    loss = (hist["Profit"] < 0) & (buyers | (hist["CostToServe"] > 0))
    tiers: pd.Series | None = None  # (on the score: known before the model is fitted)
    tier_score: pd.Series | None = None
    tier_parts: pd.DataFrame | None = None
    if s.TierBasis == "Score":  # the sources' value variables, weighted (Settings)
        tier_score, tier_parts = value_score(hist, s.tier_weights, buyers)
        tiers = value_tier(tier_score.fillna(0.0), s.Tier_Key_Share, s.Tier_Important_Share,
                           s.Tier_Ordinary_Share, eligible=buyers)
    adds = _why_adds(hist, tiers, tier_score, tier_parts, s, lang)
    # all of the above is the history's alone: worked out while the model is still fitted
    value = predict_value(cust, inputs.orders, hist, s, as_of, scored=scored,
                          facts=inputs.order_facts)
    v = value.frame
    if tiers is None:  # on CLV (revenue where there is none)
        tier_basis = v["CLV"].where(v["CLV"].notna() & buyers, hist["Revenue"])
        tiers = value_tier(tier_basis.where(buyers, 0.0), s.Tier_Key_Share,
                           s.Tier_Important_Share, s.Tier_Ordinary_Share)
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
    out["ValueTier"] = map_distinct(tiers, lambda t: word(VALUE_TIERS, t, lang) if t else "")
    out["Profit"] = hist["Profit"].round(2)
    out["Dormant"] = map_distinct(dorm, lambda t: word(DORMANCY, t, lang))
    out["PAlive"] = v["PAlive"]
    out["ExpectedPurchases"] = v["ExpectedPurchases"]
    out["CLV"] = v["CLV"].round(2)
    out["AvgOrderValue"] = hist["AvgOrderValue"].round(2)
    out["FirstOrderDate"] = hist["FirstOrderDate"]
    out["TenureDays"] = hist["TenureDays"]
    out["Margin"] = hist["Margin"].round(2)
    out["CostToServe"] = hist["CostToServe"].round(2)
    out["LossMaking"] = np.where(loss, "是" if lang == "zh-CN" else "Y", "")
    out["KeyFace"] = map_distinct(faces, lambda f: word(FACES, f, lang) if f else "")
    is_cn8 = s.rfm_scheme == "CN8"
    why: dict[tuple, str] = {}  # a few hundred distinct explanations for any number of rows

    doubt = (uncertain_why(value.check.doubts, lang)
             if value.check is not None and value.check.doubts else "")

    def explain(c, o, seg, fr, ff, fm, face, lo, b) -> str:
        key = (c, o if isinstance(o, str) and o else None,
               (bool(fr), bool(ff), bool(fm)) if is_cn8 and seg else None, seg, face, bool(lo),
               bool(b))
        text = why.get(key)
        if text is None:
            text = _why_text(key[0], key[1], key[2], seg, s, lang, face, key[5], key[6])
            if doubt and b:  # a buyer whose scores are blank is told why
                text += ("；" if lang == "zh-CN" else "; ") + doubt
            why[key] = text
        return text

    out["Why"] = list(map(explain, computed, override, segment, flags["R"], flags["F"],
                          flags["M"], faces, loss, buyers))
    if adds:
        sep = "；" if lang == "zh-CN" else "; "
        out["Why"] = pd.Series([w + sep + sep.join(adds[c]) if c in adds else w
                                for c, w in zip(out.index, out["Why"], strict=True)],
                               index=out.index)
    out["Outstanding"] = hist["Outstanding"].round(2)
    out["OverdueDays"] = hist["OverdueDays"]
    out["Referrals"] = hist["Referrals"].astype(int)
    # helpers for later stages (not written)
    out["_Class"] = classes
    out["_LastProduct"] = hist["LastProduct"]
    out["_Likelihood"] = v["PurchaseLikelihood"]
    out["_Margin"] = hist["Margin"]
    out["_PastTerms"] = hist["PastTerms"]
    out["_Tier"] = tiers
    return out, value.note, value.check


def _why_adds(hist: pd.DataFrame, tiers: pd.Series | None, score: pd.Series | None,
              parts: pd.DataFrame | None, s, lang: str) -> dict[object, list[str]]:
    """What screening adds to the Why of each customer (by CustomerID): the value tier's
    score and the inputs that drove it (TierBasis Score: ``tiers``, ``score`` and
    ``parts``), and receivables past the terms (safety, 回款及时)."""
    zh = lang == "zh-CN"
    adds: dict[object, list[str]] = {}
    if tiers is not None and score is not None and parts is not None:
        weights = s.tier_weights
        for cid in score.index[score.notna()]:
            tier = tiers[cid]
            drivers = score_drivers(parts.loc[cid], weights)
            label = word(VALUE_TIERS, tier, lang) if tier else ""
            if zh:
                said = "、".join(f"{SCORE_INPUTS[k][0]}（高于 {parts.at[cid, k]:.0%} 的其他买家）"
                                for k in drivers)
                text = f"{label}：综合得分 {score[cid]:.2f}" + (f"，主要来自{said}" if said else "")
            else:
                said = " and ".join(f"{SCORE_INPUTS[k][1]} (above {parts.at[cid, k]:.0%} of "
                                    "the other buyers)" for k in drivers)
                text = f"{label}: score {score[cid]:.2f}" + (f", mostly {said}" if said else "")
            adds.setdefault(cid, []).append(text)
    late = hist["PastTerms"] > 0
    for cid, amount in hist.loc[late, "PastTerms"].items():
        adds.setdefault(cid, []).append(
            f"回款：超过 {s.PaymentTermsDays} 天未回款 {amount:,.2f} 元" if zh
            else f"receivables: {amount:,.2f} unpaid past the {s.PaymentTermsDays}-day terms")
    return adds


#: ``progress(step, lang)`` is told when each step starts (see :data:`~xl_addin.names.STEPS`)
Progress = Callable[[str, str | None], None]


def no_progress(step: str, lang: str | None) -> None:
    """The default ``progress``: say nothing."""


def run(inputs: Inputs, calls: CallOutcomes | None = None, today: dt.date | None = None,
        progress: Progress = no_progress, scored: Any = None) -> Outputs:
    """Compute every output table. ``calls``: the outcomes taken from the old call list;
    ``scored``: :func:`~.value.score_purchases` of these inputs' orders, settings and
    as-of day already under way (a :class:`~xl_addin.forked.Forked`)."""
    s, lang = inputs.settings, inputs.settings.Language
    as_of = s.as_of(today)
    new_contacts = calls.contacts if calls is not None else pd.DataFrame()
    contacts = inputs.contacts
    if len(new_contacts):
        contacts = pd.concat([contacts, new_contacts.assign(_row=0)], ignore_index=True)
    progress("analyse", lang)
    # the purchase model needs the orders only: it is fitted beside the customer history
    # and the follow-ups, in a forked child where there is one (else in a thread: the
    # fits spend part of their time in numpy, which leaves Python free)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="customerbook-scores") as pool:
        facts = inputs.order_facts  # orders kept outside the sheet: aggregated where they are
        if scored is None:
            scored = forked.beside(pool, score_purchases, inputs.orders, s, as_of, facts=facts)
        hist = customer_history(inputs.customers, inputs.orders, contacts, s, as_of, facts=facts,
                                order_at=inputs.order_at)
        classes = customer_classes(inputs.customers, hist, s)[0]
        held = members(inputs.customers, hist["LastOrderDate"], as_of, s.MemberIdleDays)
        items = follow_ups(inputs.customers, contacts, hist, classes, s, as_of,
                           orders=inputs.orders if facts is None else facts.recent,
                           plans=inputs.plans, holidays=inputs.holidays, held=held)
        # what needs the history and the items only is worked out while the model is fitted
        fu = _followups_table(items, inputs.customers, classes, s, as_of)
        pending = calls.pending if calls is not None and len(calls.pending) else None
        due = due_calls(items, inputs.customers, as_of, pending)
        analysis, note, check = analyse(inputs, hist, as_of, scored)
    progress("followups", lang)
    ana_for_calls = pd.DataFrame({
        "ABCClass": analysis["_Class"], "CLV": analysis["CLV"], "Revenue": analysis["Revenue"],
        "PurchaseLikelihood": analysis["_Likelihood"], "RecencyDays": analysis["RecencyDays"],
        "LastProduct": analysis["_LastProduct"], "ValueTier": analysis["ValueTier"],
        "RFMSegment": analysis["RFMSegment"],
        "Outstanding": analysis["Outstanding"], "PastTerms": analysis["_PastTerms"],
    })
    progress("calllist", lang)
    calls_out = call_list(items, inputs.customers, ana_for_calls, s, as_of, pending,
                          inputs.scripts, due=due)
    warnings = [w.render(lang) for w in inputs.warnings]
    if as_of.year + 1 > LUNAR_YEARS[-1] or as_of.year - 1 < LUNAR_YEARS[0]:
        warnings.append(render_message(Reason.LUNAR_OUT_OF_RANGE, lang, first=LUNAR_YEARS[0],
                                       last=LUNAR_YEARS[-1]))
    dash = dashboard_data(analysis, items, calls_out, s, as_of, model_note(check, lang),
                          inputs.rfm_rules, warnings, trust_sentence(check, lang), held)
    return Outputs(
        as_of=as_of, lang=lang,
        analysis=analysis[[c.key for c in ANALYSIS.columns]].reset_index(drop=True),
        followups=fu[[c.key for c in FOLLOWUPS.columns]].reset_index(drop=True),
        calllist=calls_out[[c.key for c in CALLLIST.columns]],
        new_contacts=new_contacts, dashboard=dash, notes=[note], warnings=dash.warnings,
        modelcheck=check,
    )


def _followups_table(items: pd.DataFrame, customers: pd.DataFrame, classes: pd.Series, s,
                     as_of: dt.date) -> pd.DataFrame:
    """The FollowUps table (canonical columns) of the items: each item's customer looked
    up once on Customers for the name, the owner and the class shown."""
    lang = s.Language
    at = pd.Index(customers["CustomerID"]).get_indexer(items["CustomerID"])

    def of_customer(column: pd.Series) -> pd.Series:  # missing where not a customer
        values = column.reset_index(drop=True).reindex(at).to_numpy()
        return pd.Series(values, index=items.index)  # typed from its values, as map does

    return pd.DataFrame({
        "CustomerID": items["CustomerID"],
        "Name": of_customer(customers["Name"]),
        "Owner": of_customer(customers["Owner"]),
        "Reason": map_distinct(items["Reason"], lambda r: word(REASONS, r, lang)),
        "DueDate": items["DueDate"],
        "DaysOverdue": items["DaysOverdue"].astype(int),
        "Status": map_distinct(items["Status"], lambda r: word(STATUSES, r, lang)),
        "ABCClass": of_customer(classes),
        "Detail": _details(items, s, as_of),
    })


def _details(items: pd.DataFrame, s, as_of: dt.date) -> pd.Series:
    """FollowUps' Detail: what the item is about, and what the calls since said."""
    zh = s.Language == "zh-CN"
    today = pd.Timestamp(as_of)
    detail = items["Detail"].fillna("").astype(str)
    tries = items["Attempts"].astype(int)
    pushed = items["NotBefore"] > items["DueDate"].clip(lower=today)  # later than due
    said = (tries > 0) | pushed
    if not said.any():
        return detail
    n = tries[said].astype(str).to_numpy(dtype=object)
    day = items.loc[said, "NotBefore"].dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    resting, later = items.loc[said, "Resting"].to_numpy(bool), pushed[said].to_numpy(bool)
    routine = items.loc[said, "Reason"].isin(ROUTINE).to_numpy()
    one = (tries[said] == 1).to_numpy()
    if zh:
        note = np.select(
            [resting, (n != "0") & later, n != "0", later & routine, later],
            ["已 " + n + " 次未接通，暂停至 " + day, "已 " + n + " 次未接通，" + day + " 再拨",
             "已 " + n + " 次未接通", "客户表示无意向，" + day + " 前不做例行回访",
             day + " 再联系"], "")
    else:
        noun = np.where(one, " try unanswered", " tries unanswered")
        note = np.select(
            [resting, (n != "0") & later, n != "0", later & routine, later],
            [n + noun + ": resting until " + day, n + noun + "; call again on " + day, n + noun,
             "not interested: no routine call before " + day, "call again on " + day], "")
    sep = "；" if zh else "; "
    head = detail[said].to_numpy(dtype=object)
    out = detail.to_numpy(dtype=object)
    out[said.to_numpy()] = np.where(head == "", note, head + sep + note)
    return pd.Series(out, index=items.index, dtype=object)


def _segment_order(s, rules: dict[int, tuple[str, ...]] | None) -> list[str]:
    """The RFM segment labels of the scheme in use, in the order a person reads them."""
    lang = s.Language
    if s.rfm_scheme == "CN8":
        return [zh if lang == "zh-CN" else en for zh, en in CN8_LABELS.values()]
    if rules:
        labels = [x for r in (5, 4, 3, 2, 1) for x in rules[r]]
        return list(dict.fromkeys(labels))
    return [EN11_ZH[k] if lang == "zh-CN" else k for k in EN11_ZH]


@dataclass
class DashboardData:
    """What the Dashboard shows, as data (the doors lay it out; see
    :mod:`xl_addin.excel.dashboard`). Counts are ints, money and shares floats."""

    as_of: dt.date
    #: headline figures by key: customers, buyers, revenue, profit, clv, overdue,
    #: due_today, calls_today, revenue_80_share, profit_80_share, loss_making,
    #: bottom_30_profit; outstanding, past_terms (receivables); members, card_balance,
    #: idle_members (prepaid members, when the book has any)
    figures: dict[str, float | int]
    #: one row per class "A", "B", "C" and "" (prospects): customers, revenue, share
    classes: list[tuple[str, int, float, float]]
    #: one row per RFM segment of the scheme in use, in reading order: customers, revenue
    segments: list[tuple[str, int, float]]
    #: cumulative revenue and profit share held by the top customers, by customer share
    pareto: pd.DataFrame  # CustomerShare, RevenueShare, ProfitShare
    #: per owner ("" = unassigned), busiest first: calls today, overdue follow-ups
    owners: list[tuple[str, int, int]]
    #: per reason word (canonical): overdue, due today
    reasons: list[tuple[str, int, int]]
    #: how the purchase models went, in plain words in the book's language
    note: str
    #: what the user should know (e.g. an unknown setting), in the book's language
    warnings: list[str] = field(default_factory=list)
    #: one plain sentence: how far to trust the scores (see :mod:`.trust`)
    trust: str = ""
    #: per owner ("" = unassigned), most at risk first: outstanding, past the payment
    #: terms, the share of the outstanding that is past them (receivables at risk)
    receivables: list[tuple[str, float, float, float]] = field(default_factory=list)
    #: key-customer screening on safety, per value tier (canonical word): customers,
    #: receivables past the terms, share of the tier's customers paying late
    screening: list[tuple[str, int, float, float]] = field(default_factory=list)
    #: prepaid members: ("members" | "with_balance" | "idle", customers, card balance,
    #: share of the members)
    members: list[tuple[str, int, float, float]] = field(default_factory=list)


def dashboard_data(analysis: pd.DataFrame, items: pd.DataFrame, calls: pd.DataFrame, s,
                   as_of: dt.date, note: str,
                   rules: dict[int, tuple[str, ...]] | None = None,
                   warnings: list[str] | None = None, trust: str = "",
                   members: pd.DataFrame | None = None) -> DashboardData:
    """The Dashboard's figures and tables: headline figures, customers and revenue by
    class and by RFM segment, the Pareto curve (cumulative revenue and profit share by
    customer rank), calls and overdue items per owner and per reason, the model note."""
    rev, profit = analysis["Revenue"], analysis["Profit"]
    n = len(analysis)
    bottom = profit.sort_values().iloc[: int(round(0.3 * n))]
    figures: dict[str, float | int] = {
        "customers": n,
        "buyers": int((analysis["Orders"] > 0).sum()),
        "revenue": float(rev.sum()),
        "profit": float(profit.sum()),
        "clv": float(np.nansum(analysis["CLV"])),
        "overdue": int((items["DaysOverdue"] > 0).sum()),
        "due_today": int((items["DaysOverdue"] == 0).sum()),
        "calls_today": len(calls),
        "revenue_80_share": share_of_customers_for(rev),
        "profit_80_share": share_of_customers_for(profit),
        "loss_making": int((analysis["LossMaking"] != "").sum()),
        "bottom_30_profit": float(bottom.sum()),
    }
    total = float(rev.clip(lower=0).sum()) or 1.0
    classes = []
    for k, mask in _rows_of(analysis["_Class"], ("A", "B", "C", "")):
        classes.append((k, int(mask.sum()), float(rev[mask].sum()),
                        float(rev[mask].clip(lower=0).sum()) / total))
    segments = []
    for label, mask in _rows_of(analysis["RFMSegment"], _segment_order(s, rules)):
        segments.append((label, int(mask.sum()), float(rev[mask].sum())))
    pr, pp = pareto(rev), pareto(profit)
    curve = pd.DataFrame({"CustomerShare": pr["CustomerShare"], "RevenueShare": pr["ValueShare"],
                          "ProfitShare": pp["ValueShare"]})
    owners = analysis["Owner"].fillna("")
    item_owner = items["CustomerID"].map(owners).fillna("")
    over = item_owner[items["DaysOverdue"] > 0].value_counts()
    calls_by = calls["Owner"].fillna("").value_counts()
    names = sorted(set(owners) | set(calls_by.index),
                   key=lambda o: (-int(calls_by.get(o, 0)), -int(over.get(o, 0)), o))
    per_owner = [(o, int(calls_by.get(o, 0)), int(over.get(o, 0))) for o in names]
    overdue = items.loc[items["DaysOverdue"] > 0, "Reason"].value_counts()
    today = items.loc[items["DaysOverdue"] == 0, "Reason"].value_counts()
    reasons = [(key, int(overdue.get(key, 0)), int(today.get(key, 0))) for key in REASONS]
    money = _receivables_by_owner(analysis, owners)
    figures["outstanding"] = float(analysis["Outstanding"].sum())
    figures["past_terms"] = float(analysis["_PastTerms"].sum()) if "_PastTerms" in analysis \
        else 0.0
    screening = _screening(analysis)
    held = _member_rows(members, s.MemberIdleDays)
    if held:
        figures["members"], figures["card_balance"] = held[0][1], held[0][2]
        figures["idle_members"] = held[2][1]
    return DashboardData(as_of, figures, classes, segments, curve, per_owner, reasons, note,
                         list(warnings or []), trust, money, screening, held)


def _rows_of(values: pd.Series, keys) -> list[tuple[object, np.ndarray]]:
    """(key, the rows where ``values == key``) for each of ``keys``: the column's text
    compared once, not once per key."""
    codes, seen = pd.factorize(values)
    code = {v: i for i, v in enumerate(seen)}
    return [(k, codes == code.get(k, -2)) for k in keys]


def _receivables_by_owner(analysis: pd.DataFrame, owners: pd.Series
                          ) -> list[tuple[str, float, float, float]]:
    """Outstanding and past-terms receivables per owner, most past the terms first."""
    late = analysis["_PastTerms"] if "_PastTerms" in analysis else analysis["Outstanding"] * 0
    frame = pd.DataFrame({"o": owners, "out": analysis["Outstanding"].fillna(0.0),
                          "late": late.fillna(0.0)})
    g = frame.groupby("o", sort=False)[["out", "late"]].sum()
    g = g.reindex(sorted(g.index, key=lambda o: (-g.at[o, "late"], -g.at[o, "out"], o)))
    return [(o, float(r.out), float(r.late), float(r.late / r.out) if r.out > 0 else 0.0)
            for o, r in g.iterrows()]


def _screening(analysis: pd.DataFrame) -> list[tuple[str, int, float, float]]:
    """Safety (回款及时) by value tier: how many of each tier's customers pay late."""
    tiers = analysis["_Tier"] if "_Tier" in analysis else pd.Series("", index=analysis.index)
    late = analysis["_PastTerms"] if "_PastTerms" in analysis else analysis["Outstanding"] * 0
    rows = []
    for key in VALUE_TIERS:
        mine = tiers == key
        n = int(mine.sum())
        payers = int((late[mine] > 0).sum())
        rows.append((key, n, float(late[mine].sum()), payers / n if n else 0.0))
    return rows


def _member_rows(members: pd.DataFrame | None, idle_days: int
                 ) -> list[tuple[str, int, float, float]]:
    """Members, those holding a balance, and those idle for ``idle_days`` with one."""
    if members is None or not members["IsMember"].any():
        return []
    m = members[members["IsMember"]]
    n = len(m)
    held = m[m["CardBalance"] > 0]
    idle = held[held["IdleDays"] >= idle_days]
    return [(key, len(part), float(part["CardBalance"].sum()), len(part) / n)
            for key, part in (("members", m), ("with_balance", held), ("idle", idle))]
