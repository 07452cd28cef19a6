"""The call list: who to call today, in what order, why, and what to say.

One row per customer with at least one item due today or overdue (reasons merged).
Do-Not-Contact customers are never listed. Each owner gets at most
``CallsPerOwnerPerDay`` rows, ranked by **Priority** (0-200, documented for users)::

    Priority = reason weight            (Complaint 100 … WinBack 15; the heaviest reason)
             + min(days overdue, 60) / 2        (up to 30: the longer it waits, the higher)
             + 30 × value percentile            (CLV, or revenue when CLV is missing)
             + 20 × purchase likelihood         (P(at least one purchase in 30 days))

Customers with an open complaint come first whatever their priority (a complaint outranks
everything); ties are broken by days overdue, then CustomerID, so the list is stable. At
most ``ReactivationPerOwnerPerDay`` rows per owner whose reasons are only Dormant/WinBack,
so reactivation never floods the day. Rank runs 1, 2, 3 down each owner's page; with
``GroupByRegion`` the owner's rows come region by region (visit routing, 路序管理), the
region of the most urgent call first.

The script comes from the Scripts sheet (reason × segment × language: a row whose
Segment matches the customer's class, value tier or RFM segment wins over a row with a
blank Segment), else from the built-in :data:`DEFAULT_SCRIPTS`. Placeholders:
{Name}, {Owner}, {DaysSinceLastOrder}, {LastProduct}, {Detail}, {Class}, {Segment},
{Preferences} (the Customers column 偏好), {CardBalance} (卡余额) and {Outstanding} (the
unpaid balance, :mod:`.receivables`). A Collect or MemberIdle call says its amounts in Why.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..names import REASONS, fold, word
from ..settings import Settings
from .followups import REASON_WEIGHTS
from .schema import money_text

__all__ = ["CALL_COLUMNS", "DEFAULT_SCRIPTS", "PLACEHOLDERS", "DueCalls", "call_list",
           "due_calls", "pick_script", "render_script", "script_table"]

CALL_COLUMNS = [
    "Owner", "Rank", "CustomerID", "Name", "Phone", "Region", "Reason", "Priority",
    "PurchaseLikelihood", "Why", "Script", "Outcome", "NextFollowUp", "Notes", "Message",
]

#: (reason, language) -> script with {Name}, {DaysSinceLastOrder}, {LastProduct}, {Owner}
DEFAULT_SCRIPTS: Mapping[tuple[str, str], str] = {
    ("Complaint", "zh-CN"): "{Name}您好，我是{Owner}。关于您反映的问题，我们想了解目前的处理情况，确保您满意。",
    ("Complaint", "en"): "Hello {Name}, this is {Owner}. I'm calling about the issue you raised — "
                         "we want to make sure it is fully resolved.",
    ("Promise", "zh-CN"): "{Name}您好，我是{Owner}。之前答应您的事项（{Detail}）已经安排好了，跟您确认一下。",
    ("Promise", "en"): "Hello {Name}, this is {Owner}. Following up on what I promised you ({Detail}).",
    ("Appointment", "zh-CN"): "{Name}您好，提醒您明天（{Detail}）的预约，请问时间还方便吗？",
    ("Appointment", "en"): "Hello {Name}, a reminder of your appointment on {Detail}. Does the time still suit you?",
    ("FollowUp", "zh-CN"): "{Name}您好，我是{Owner}，按约定给您回个电话，看看还有什么需要帮忙的。",
    ("FollowUp", "en"): "Hello {Name}, this is {Owner}, calling back as we agreed.",
    ("PostSale", "zh-CN"): "{Name}您好，我是{Owner}。您前几天购买的{LastProduct}用得怎么样？有任何问题随时告诉我。",
    ("PostSale", "en"): "Hello {Name}, this is {Owner}. How are you getting on with the {LastProduct}?",
    ("Birthday", "zh-CN"): "{Name}您好，祝您生日快乐！我们为您准备了一份生日关怀。",
    ("Birthday", "en"): "Hello {Name}, happy birthday from all of us! We have a small gift for you.",
    ("Anniversary", "zh-CN"): "{Name}您好，感谢您一直以来的支持，今天是值得纪念的日子，祝一切顺利！",
    ("Anniversary", "en"): "Hello {Name}, thank you for being with us — happy anniversary!",
    ("Cadence", "zh-CN"): "{Name}您好，我是{Owner}，有段时间没联系了，想了解一下您最近的需求。",
    ("Cadence", "en"): "Hello {Name}, this is {Owner}. It's been a while — how can we help you lately?",
    ("Holiday", "zh-CN"): "{Name}您好，节日将至，{Owner}祝您节日快乐！",
    ("Holiday", "en"): "Hello {Name}, season's greetings from {Owner}!",
    ("Dormant", "zh-CN"): "{Name}您好，您已经{DaysSinceLastOrder}天没来了，我们很想念您，最近有新品和老客户专享优惠。",
    ("Dormant", "en"): "Hello {Name}, we haven't seen you for {DaysSinceLastOrder} days — "
                       "we have something new for returning customers.",
    ("WinBack", "zh-CN"): "{Name}您好，好久不见（{DaysSinceLastOrder}天）！想听听您的意见，我们哪里可以做得更好？",
    ("WinBack", "en"): "Hello {Name}, it's been {DaysSinceLastOrder} days. We'd value your opinion — "
                       "what could we do better?",
    ("Plan", "zh-CN"): "{Name}您好，我是{Owner}。按照您的{Detail}安排，想了解一下您目前的感受和效果。",
    ("Plan", "en"): "Hello {Name}, this is {Owner}. As planned ({Detail}) — how are things going?",
    ("Collect", "zh-CN"): "{Name}您好，我是{Owner}。跟您核对一下账目：目前还有 {Outstanding} 元尚未结清，"
                          "请问付款方便安排在哪一天？",
    ("Collect", "en"): "Hello {Name}, this is {Owner}. A quick check of your account: {Outstanding} "
                       "is still unpaid. When could you arrange the payment?",
    ("MemberIdle", "zh-CN"): "{Name}您好，我是{Owner}。您的会员卡里还有 {CardBalance} 元，已经"
                             "{DaysSinceLastOrder}天没来了，我们按您的喜好（{Preferences}）准备了合适的"
                             "项目，这周方便来吗？",
    ("MemberIdle", "en"): "Hello {Name}, this is {Owner}. You still have {CardBalance} on your "
                          "member card and we haven't seen you for {DaysSinceLastOrder} days. "
                          "We've kept your preferences in mind ({Preferences}) — would you like "
                          "to book a visit this week?",
}


#: the placeholders a script may use (documented on the Scripts sheet and in the README)
PLACEHOLDERS = ("Name", "Owner", "DaysSinceLastOrder", "LastProduct", "Detail", "Class",
                "Segment", "Preferences", "CardBalance", "Outstanding")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def render_script(template: str, fields: Mapping[str, object]) -> str:
    """Fill the known ``{Placeholders}`` in one pass; everything else stays as typed.

    A script is the user's text, never a format string: no attribute access, no width
    specs, and a value that itself contains ``{Owner}`` is not filled again. A known
    placeholder without a value becomes blank.
    """

    def value(m: re.Match[str]) -> str:
        v = fields.get(m[1])
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return str(v)

    return _PLACEHOLDER.sub(value, template)


_REASON_KEYS = {fold(k): k for k in REASONS} | {fold(v): k for k, v in REASONS.items()}
_REACTIVATION = {"Dormant", "WinBack"}


def script_table(scripts: pd.DataFrame | None) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(reason, language or "") -> [(folded segment or "", template)] from the Scripts sheet."""
    table: dict[tuple[str, str], list[tuple[str, str]]] = {}
    if scripts is None:
        return table
    for reason, segment, lang, text in zip(scripts["Reason"], scripts["Segment"],
                                           scripts["Language"], scripts["Script"], strict=True):
        key = _REASON_KEYS.get(fold(reason))
        if key is None or not isinstance(text, str) or not text:
            continue
        lang_key = {"zhcn": "zh-CN", "zh": "zh-CN", "中文": "zh-CN", "en": "en"}.get(
            fold(lang), "") if isinstance(lang, str) else ""
        seg = fold(segment) if isinstance(segment, str) and segment.strip() else ""
        table.setdefault((key, lang_key), []).append((seg, text))
    return table


def pick_script(table, reason: str, lang: str, segments: list[str]) -> str:
    """The best template: segment match before generic, language match before any."""
    wanted = {fold(x) for x in segments if isinstance(x, str) and x}
    for lang_key in (lang, ""):
        rows = table.get((reason, lang_key), [])
        for seg, text in rows:
            if seg and seg in wanted:
                return text
        for seg, text in rows:
            if not seg:
                return text
    return DEFAULT_SCRIPTS.get((reason, lang), "")


#: brackets a built-in script is left with when the placeholder inside them is blank
_EMPTY_BRACKETS = re.compile(r"（\s*）|\s*\(\s*\)")


def _tidy(text: str, template: str) -> str:
    """A built-in script without the empty brackets a blank placeholder leaves (a user's
    own script is left exactly as rendered)."""
    return _EMPTY_BRACKETS.sub("", text) if template in _BUILT_IN else text


_BUILT_IN = frozenset(DEFAULT_SCRIPTS.values())


def _money(v: object) -> str | None:
    """An amount as a script or a Why says it: ``1,500`` or ``1,234.50``; None if blank."""
    if v is None or isinstance(v, str) or pd.isna(v):
        return None
    return money_text(float(v))


@dataclass(frozen=True)
class DueCalls:
    """The customers to be called about something today (:func:`due_calls`)."""

    #: the items due today or overdue of the customers who may be called, each customer's
    #: heaviest first: CustomerID, Reason, Detail, DaysOverdue, Attempts, Weight
    items: pd.DataFrame
    #: one row per customer (index CustomerID, in ID order): Weight and DaysOverdue (the
    #: greatest), OnlyReactivation, TopReason, TopDetail and Attempts (the heaviest item's)
    customers: pd.DataFrame


def due_calls(items: pd.DataFrame, customers: pd.DataFrame, as_of: dt.date,
              pending: pd.DataFrame | None = None) -> DueCalls:
    """Who has something due today or overdue that a call may be about: not a customer
    marked Do-Not-Contact, nor one whose number is to be checked (CheckPhone), nor one
    kept from the last list (``pending``). Needs no value figures, so a refresh works it
    out while the purchase model is still being fitted (:func:`call_list`'s ``due``)."""
    today = pd.Timestamp(as_of)
    waiting = items["NotBefore"] > today if "NotBefore" in items else False
    due = items.loc[(items["DaysOverdue"] >= 0) & ~waiting,  # (the columns read below)
                    [c for c in ("CustomerID", "Reason", "Detail", "DaysOverdue", "Attempts")
                     if c in items]]
    dnc = customers.set_index("CustomerID")["DoNotContact"].astype(bool)
    # a wrong number is checked first (CheckPhone, on FollowUps), not dialled again
    wrong = set(items.loc[items["Reason"] == "CheckPhone", "CustomerID"])
    due = due[~due["CustomerID"].map(dnc).fillna(False).astype(bool)
              & ~due["CustomerID"].isin(wrong)]
    pending_ids = set() if pending is None else set(pending["CustomerID"])
    due = due[~due["CustomerID"].isin(pending_ids)]
    due = due.assign(Weight=due["Reason"].map(REASON_WEIGHTS).fillna(0).astype(float))
    due = due.sort_values(["CustomerID", "Weight", "DaysOverdue"], ascending=[True, False, False],
                          kind="stable")
    g = due.groupby("CustomerID", sort=False)
    per = pd.DataFrame({
        "Weight": g["Weight"].max(),
        "DaysOverdue": g["DaysOverdue"].max(),
        # customers called only to reactivate them are rate-limited per owner
        "OnlyReactivation": due["Reason"].isin(_REACTIVATION).groupby(
            due["CustomerID"], sort=False).all(),
        "TopReason": g["Reason"].first(),
        "TopDetail": g["Detail"].first(),
        "Attempts": g["Attempts"].first() if "Attempts" in due else 0,
    })
    return DueCalls(due, per)


def call_list(
    items: pd.DataFrame,
    customers: pd.DataFrame,
    analysis: pd.DataFrame,
    settings: Settings,
    as_of: dt.date,
    pending: pd.DataFrame | None = None,
    scripts: pd.DataFrame | None = None,
    *,
    due: DueCalls | None = None,
) -> pd.DataFrame:
    """The ranked call list (columns :data:`CALL_COLUMNS`).

    ``items``: :func:`~xl_addin.domain.followups.follow_ups` output. ``analysis``: one row
    per CustomerID (index) with ABCClass, CLV, Revenue, PurchaseLikelihood, RecencyDays,
    LastProduct. ``pending``: rows typed on the previous call list that could not be
    logged; they stay on the list (first for their owner) with their Message. ``due``:
    :func:`due_calls` of the same items and ``pending``, when worked out already.
    """
    lang = settings.Language
    if due is None:
        due = due_calls(items, customers, as_of, pending)
    if due.items.empty and (pending is None or pending.empty):
        return pd.DataFrame(columns=CALL_COLUMNS)
    cust = customers.set_index("CustomerID")
    per = due.customers.copy()
    a = analysis.reindex(per.index)
    value = a["CLV"].where(a["CLV"].notna(), a["Revenue"]).fillna(0.0)
    all_value = analysis["CLV"].where(analysis["CLV"].notna(), analysis["Revenue"]).fillna(0.0)
    pct = (np.searchsorted(np.sort(all_value.to_numpy()), value.to_numpy(), side="right")
           / max(len(all_value), 1))
    likelihood = a["PurchaseLikelihood"].astype(float)
    # (as numbers even when nothing is due: only rows kept from the last list remain)
    per["Priority"] = (per["Weight"].astype(float)
                       + np.minimum(per["DaysOverdue"].astype(float), 60) / 2 + 30 * pct
                       + 20 * likelihood.fillna(0.0)).round(1)
    per["PurchaseLikelihood"] = likelihood
    per["Owner"] = cust["Owner"].reindex(per.index).fillna("")
    # an open complaint outranks everything (whatever the customer's value); then priority
    per["_first"] = per["Weight"] >= REASON_WEIGHTS["Complaint"]
    # ties go by CustomerID: the rows are in CustomerID order already, which a stable
    # sort keeps (no need to sort the IDs' text again)
    per = per.reset_index().sort_values(
        ["Owner", "_first", "Priority", "DaysOverdue"],
        ascending=[True, False, False, False], kind="stable")
    only_react = per["OnlyReactivation"].astype(bool)
    react_rank = per[only_react].groupby("Owner").cumcount() + 1
    per = per[~only_react | (react_rank.reindex(per.index).fillna(0)
                             <= settings.ReactivationPerOwnerPerDay)]
    per["Rank"] = per.groupby("Owner").cumcount() + 1
    if pending is not None and len(pending):
        used = pending["Owner"].fillna("").groupby(pending["Owner"].fillna("")).size()
        per["Rank"] += per["Owner"].map(used).fillna(0).astype(int)
    per = per[per["Rank"] <= settings.CallsPerOwnerPerDay]
    per["Region"] = cust["Region"].reindex(per["CustomerID"]).to_numpy()
    listed = due.items[due.items["CustomerID"].isin(per["CustomerID"])]  # most urgent first
    reasons_of = listed.groupby("CustomerID", sort=False)["Reason"].agg(
        lambda s: list(dict.fromkeys(s)))
    table = script_table(scripts)

    rows = []
    for r in per.itertuples(index=False):
        c = cust.loc[r.CustomerID]
        info = a.loc[r.CustomerID]
        reasons = ", ".join(word(REASONS, x, lang) for x in reasons_of[r.CustomerID])
        why = _why(r, info, lang, _money_said(reasons_of[r.CustomerID], info, c, lang))
        fields = {
            "Name": c["Name"], "Owner": r.Owner or "", "Detail": r.TopDetail,
            "DaysSinceLastOrder": "" if pd.isna(info["RecencyDays"]) else int(info["RecencyDays"]),
            "LastProduct": info.get("LastProduct"), "Class": info.get("ABCClass"),
            "Segment": info.get("RFMSegment"), "Preferences": c.get("Preferences"),
            "CardBalance": _money(c.get("CardBalance")),
            "Outstanding": _money(info.get("Outstanding")),
        }
        template = pick_script(table, r.TopReason, lang, [info.get("ABCClass"),
                                                          info.get("ValueTier"),
                                                          info.get("RFMSegment")])
        rows.append({
            "Owner": r.Owner, "Rank": int(r.Rank), "CustomerID": r.CustomerID, "Name": c["Name"],
            "Phone": c["Phone"], "Region": c["Region"], "Reason": reasons,
            "Priority": float(r.Priority), "PurchaseLikelihood": r.PurchaseLikelihood,
            "Why": why, "Script": _tidy(render_script(template, fields), template),
            "Outcome": None, "NextFollowUp": None, "Notes": None, "Message": None,
        })
    out = pd.DataFrame(rows, columns=CALL_COLUMNS)
    if pending is not None and len(pending):
        out = pd.concat([pending.reindex(columns=CALL_COLUMNS), out], ignore_index=True)
    return _page_order(out, settings.GroupByRegion)


def _page_order(out: pd.DataFrame, by_region: bool) -> pd.DataFrame:
    """Each owner's rows in the order they are printed, ranked 1, 2, 3 down the page:
    the rows kept with a Message first, then by priority; with ``GroupByRegion`` the
    regions one after another (the region holding the most urgent call first), by
    priority within each."""
    out = out.assign(_o=out["Owner"].fillna(""), _p=out["Message"].isna(),
                     _r=out["Region"].fillna("").astype(str), _k=np.arange(len(out)))
    keys = ["_o", "_p"]
    if by_region:
        first = out[out["_p"]].groupby(["_o", "_r"])["_k"].transform("min")
        out["_g"] = first.reindex(out.index).fillna(-1)
        keys.append("_g")
    out = out.sort_values([*keys, "_k"], kind="stable")
    out["Rank"] = out.groupby("_o").cumcount() + 1
    return out.drop(columns=[c for c in ("_o", "_p", "_r", "_k", "_g") if c in out])\
        .reset_index(drop=True)


def _money_said(reasons: list[str], info: pd.Series, cust: pd.Series, lang: str) -> list[str]:
    """The amounts behind a Collect or MemberIdle call, as the Why column says them."""
    zh = lang == "zh-CN"
    said = []
    if "Collect" in reasons and _money(info.get("Outstanding")):
        owed, late = _money(info.get("Outstanding")), _money(info.get("PastTerms")) or "0"
        said.append(f"未回款 {owed} 元（超期 {late} 元）" if zh
                    else f"{owed} unpaid ({late} past terms)")
    if "MemberIdle" in reasons and _money(cust.get("CardBalance")):
        balance = _money(cust.get("CardBalance"))
        said.append(f"会员卡余额 {balance} 元" if zh else f"card balance {balance}")
    return said


def _why(r, info: pd.Series, lang: str, money: list[str] | None = None) -> str:
    parts = []
    top = word(REASONS, r.TopReason, lang)
    days = int(r.DaysOverdue)
    tries = int(getattr(r, "Attempts", 0) or 0)
    if lang == "zh-CN":
        parts.append(f"{top}" + (f"，逾期 {days} 天" if days > 0 else "，今日到期"))
        parts.extend(money or ())
        if tries:
            parts.append(f"已 {tries} 次未接通")
        if info.get("ABCClass"):
            parts.append(f"{info['ABCClass']} 类客户")
        if not pd.isna(info.get("PurchaseLikelihood")):
            parts.append(f"30天购买可能性 {info['PurchaseLikelihood']:.0%}")
        return "；".join(parts)
    parts.append(f"{top}" + (f", {days} day{'s' * (days != 1)} overdue" if days > 0 else ", due today"))
    parts.extend(money or ())
    if tries:
        parts.append(f"{tries} {'try' if tries == 1 else 'tries'} unanswered")
    if info.get("ABCClass"):
        parts.append(f"class {info['ABCClass']}")
    if not pd.isna(info.get("PurchaseLikelihood")):
        parts.append(f"{info['PurchaseLikelihood']:.0%} likely to buy in 30 days")
    return "; ".join(parts)
