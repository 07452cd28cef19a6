"""Customer classification: ABC, RFM scores and segments, value tiers, dormancy.

All functions are pure: Series/DataFrames in, Series/DataFrames out.

ABC boundary rule (documented for users): customers are ranked by revenue, highest
first. A customer is **A** when the customers ranked *above* it hold less than
``a_share`` of total revenue — so the customer that crosses 80% is still A, and A is the
smallest group that makes up at least 80%. **B** likewise up to ``b_share``; the rest
**C**. Customers with equal revenue always share a class (only revenue strictly above a
customer counts). Customers with no positive revenue are prospects: class ``""``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "CN8_LABELS",
    "EN11_GRID",
    "EN11_ZH",
    "abc_class",
    "dormancy",
    "en11_grid",
    "en11_label",
    "key_face",
    "pareto",
    "share_of_customers_for",
    "rfm_scores",
    "rfm_segment_cn8",
    "rfm_segment_en11",
    "SCORE_INPUTS",
    "rank_share",
    "score_drivers",
    "value_score",
    "value_tier",
]


def abc_class(revenue: pd.Series, a_share: float = 0.80, b_share: float = 0.95) -> pd.Series:
    """A/B/C per customer by cumulative revenue share; ``""`` for no revenue."""
    rev = pd.to_numeric(revenue, errors="coerce").fillna(0.0).astype(float)
    out = pd.Series("", index=rev.index, dtype=object)
    pos = rev > 0
    total = rev[pos].sum()
    if total <= 0:
        return out
    values = rev[pos].to_numpy()
    # revenue held by customers strictly above each value (ties share the same figure)
    uniq, counts = np.unique(values, return_counts=True)  # ascending
    sums = uniq * counts
    above_uniq = np.cumsum(sums[::-1])[::-1] - sums  # strictly greater
    above = above_uniq[np.searchsorted(uniq, values)]
    share_above = above / total
    cls = np.where(share_above < a_share - 1e-12, "A",
                   np.where(share_above < b_share - 1e-12, "B", "C"))
    out[pos] = cls
    return out


def _score(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """Quintile score 1-5 by percentile rank; ties get the same score."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    mask = v.notna()
    out = pd.Series(np.nan, index=v.index)
    n = int(mask.sum())
    if n == 0:
        return out
    ranks = v[mask].rank(method="average", ascending=higher_is_better)
    pct = ranks / n  # (0, 1]
    out[mask] = np.clip(np.ceil(pct * 5 - 1e-9), 1, 5)
    return out


def rfm_scores(recency_days: pd.Series, frequency: pd.Series, monetary: pd.Series) -> pd.DataFrame:
    """R, F, M scores 1-5 (5 = best: most recent, most frequent, most spend).

    Scores are quintiles of the percentile rank, with tied values sharing a rank, so
    small or tied populations are handled (e.g. every customer with one order gets the
    same F). Rows with a missing input get a missing score.
    """
    return pd.DataFrame({
        "R": _score(recency_days, higher_is_better=False),
        "F": _score(frequency),
        "M": _score(monetary),
    })


#: (R above average, F above average, M above average) -> (中文, English)
CN8_LABELS: dict[tuple[bool, bool, bool], tuple[str, str]] = {
    (True, True, True): ("重要价值客户", "Important value"),
    (True, False, True): ("重要发展客户", "Important development"),
    (False, True, True): ("重要保持客户", "Important retention"),
    (False, False, True): ("重要挽留客户", "Important win-back"),
    (True, True, False): ("一般价值客户", "General value"),
    (True, False, False): ("一般发展客户", "General development"),
    (False, True, False): ("一般保持客户", "General retention"),
    (False, False, False): ("一般挽留客户", "General win-back"),
}


def rfm_segment_cn8(
    recency_days: pd.Series, frequency: pd.Series, monetary: pd.Series, lang: str = "zh-CN"
) -> tuple[pd.Series, pd.DataFrame]:
    """The Chinese 8-class model: each of R, F, M above or below its average.

    R is "up" when recency days are *below* the average (more recent). Returns labels
    and the three flags (for the "why" text).
    """
    r = pd.to_numeric(recency_days, errors="coerce")
    f = pd.to_numeric(frequency, errors="coerce")
    m = pd.to_numeric(monetary, errors="coerce")
    mask = r.notna() & f.notna() & m.notna()
    flags = pd.DataFrame({
        "R": r < r[mask].mean(),
        "F": f > f[mask].mean(),
        "M": m > m[mask].mean(),
    })
    pick = 0 if lang == "zh-CN" else 1
    labels = [
        CN8_LABELS[(bool(a), bool(b), bool(c))][pick] if ok else ""
        for a, b, c, ok in zip(flags["R"], flags["F"], flags["M"], mask, strict=True)
    ]
    return pd.Series(labels, index=r.index, dtype=object), flags


#: The English segment map over R (rows 5..1) and FM = round-half-up((F + M) / 2)
#: (columns 1..5). Every one of the 125 (R, F, M) combinations lands in exactly one cell.
EN11_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("New", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),
    4: ("Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Champions"),
    3: ("About to Sleep", "Need Attention", "Need Attention", "Loyal", "Loyal"),
    2: ("Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
    1: ("Lost", "Lost", "Hibernating", "At Risk", "Can't Lose Them"),
}
EN11_ZH = {
    "Champions": "冠军客户", "Loyal": "忠诚客户", "Potential Loyalist": "潜力忠诚客户",
    "New": "新客户", "Promising": "有潜力客户", "Need Attention": "需要关注客户",
    "About to Sleep": "即将沉睡客户", "At Risk": "流失风险客户",
    "Can't Lose Them": "不能失去的客户", "Hibernating": "沉睡客户", "Lost": "已流失客户",
}


def en11_grid(lang: str = "en") -> dict[int, tuple[str, ...]]:
    """The built-in segment map in ``lang`` (what the RFM rules sheet starts with)."""
    return {r: tuple(EN11_ZH[x] if lang == "zh-CN" else x for x in row)
            for r, row in EN11_GRID.items()}


def en11_label(r: int, f: int, m: int, grid: dict[int, tuple[str, ...]] | None = None) -> str:
    fm = int(np.floor((f + m) / 2 + 0.5))
    return (grid or EN11_GRID)[int(r)][fm - 1]


def rfm_segment_en11(scores: pd.DataFrame, lang: str = "en",
                     grid: dict[int, tuple[str, ...]] | None = None) -> pd.Series:
    """The segment map from R, F, M scores (missing scores → ``""``).

    ``grid`` is a user's edited map (R -> labels for FM 1..5, used as typed); without
    it the built-in map in ``lang``.
    """
    table = grid or en11_grid(lang)
    out = []
    for r, f, m in zip(scores["R"], scores["F"], scores["M"], strict=True):
        if pd.isna(r) or pd.isna(f) or pd.isna(m):
            out.append("")
            continue
        out.append(en11_label(int(r), int(f), int(m), table))
    return pd.Series(out, index=scores.index, dtype=object)


def value_tier(
    value: pd.Series, key_share: float = 0.05, important_share: float = 0.20,
    ordinary_share: float = 0.70, eligible: pd.Series | None = None,
) -> pd.Series:
    """Key / Important / Ordinary / Small by rank of ``value`` among buyers (value > 0,
    or the customers ``eligible`` marks).

    The top ``key_share`` of buyers are Key, up to ``important_share`` Important, up to
    ``ordinary_share`` Ordinary, the rest Small; ties share the better tier.
    Non-buyers get ``""``.
    """
    v = pd.to_numeric(value, errors="coerce").fillna(0.0)
    out = pd.Series("", index=v.index, dtype=object)
    pos = v > 0 if eligible is None else eligible.reindex(v.index).fillna(False).astype(bool)
    n = int(pos.sum())
    if n == 0:
        return out
    # share of buyers ranked strictly above, ties sharing the better position
    above = (v[pos].rank(method="min", ascending=False) - 1) / n
    out[pos] = np.where(above < key_share, "Key",
                        np.where(above < important_share, "Important",
                                 np.where(above < ordinary_share, "Ordinary", "Small")))
    return out


#: the Score basis' inputs: (中文, English) names, as the Why column says them
SCORE_INPUTS: dict[str, tuple[str, str]] = {
    "Revenue": ("销售额", "revenue"),
    "Profit": ("利润", "profit"),
    "Loyalty": ("忠诚度", "loyalty"),
    "Referrals": ("推荐", "referrals"),
    "Responsiveness": ("响应度", "responsiveness"),
}


def rank_share(values: pd.Series, eligible: pd.Series) -> pd.Series:
    """Each eligible customer's share of the *other* eligible customers with a strictly
    lower value: 0 for the lowest, 1 for the highest, ties the same; 1 when alone.
    NaN for customers not eligible or without a value."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    mask = eligible.reindex(v.index).fillna(False).astype(bool) & v.notna()
    out = pd.Series(np.nan, index=v.index)
    n = int(mask.sum())
    if n == 0:
        return out
    below = v[mask].rank(method="min") - 1
    out[mask] = below / (n - 1) if n > 1 else 1.0
    return out


def value_score(history: pd.DataFrame, weights: dict[str, float],
                eligible: pd.Series) -> tuple[pd.Series, pd.DataFrame]:
    """The weighted value score of the sources' value variables (客户价值区间): revenue,
    profit contribution, loyalty, referrals and responsiveness.

    Each input is scored 0-1 among the ``eligible`` customers (the buyers) by
    :func:`rank_share` — the share of the other buyers with a lower value:

    * Revenue, Profit (after cost to serve), Referrals (customers they brought);
    * Loyalty — the mean of the scores of tenure (days since the first order) and of the
      repeat rate (orders after the first per year as a customer, a year at least);
    * Responsiveness — the score of the share of their contacts that were a
      conversation, among buyers who were contacted; never contacted = 0.5.

    Score = Σ weight × input score / Σ weights (0-1). Returns the score and the five
    input scores (columns :data:`SCORE_INPUTS`); both NaN for customers not eligible.
    Required columns: Revenue, Profit, TenureDays, Orders, Referrals, Contacts,
    ContactsReached.
    """
    h = history
    years = np.maximum(h["TenureDays"].fillna(0) / 365.0, 1.0)
    repeat = (h["Orders"] - 1).clip(lower=0) / years
    with np.errstate(divide="ignore", invalid="ignore"):
        reached = (h["ContactsReached"] / h["Contacts"]).where(h["Contacts"] > 0)
    parts = pd.DataFrame({
        "Revenue": rank_share(h["Revenue"], eligible),
        "Profit": rank_share(h["Profit"], eligible),
        "Loyalty": (rank_share(h["TenureDays"], eligible) + rank_share(repeat, eligible)) / 2,
        "Referrals": rank_share(h["Referrals"], eligible),
        "Responsiveness": rank_share(reached, eligible),
    }, index=h.index)
    ok = eligible.reindex(h.index).fillna(False).astype(bool)
    parts.loc[ok, "Responsiveness"] = parts.loc[ok, "Responsiveness"].fillna(0.5)
    w = pd.Series({k: max(float(weights.get(k, 0.0)), 0.0) for k in SCORE_INPUTS})
    total = float(w.sum())
    score = (parts[list(SCORE_INPUTS)] * w).sum(axis=1, min_count=1) / total if total > 0 \
        else pd.Series(np.nan, index=h.index)
    return score.where(ok), parts.where(ok, np.nan)


def score_drivers(parts: pd.Series, weights: dict[str, float], top: int = 2) -> list[str]:
    """The inputs that added most to one customer's score (weight × input score),
    largest first (ties in :data:`SCORE_INPUTS` order)."""
    gain = {k: max(float(weights.get(k, 0.0)), 0.0) * float(parts[k]) for k in SCORE_INPUTS
            if not pd.isna(parts[k])}
    ranked = sorted((k for k in gain if gain[k] > 0), key=lambda k: -round(gain[k], 9))
    return ranked[:top]


def dormancy(recency_days: pd.Series, dormant_days: int, lost_days: int) -> pd.Series:
    """Active / Dormant / Lost by days since the last purchase; Prospect without one."""
    r = pd.to_numeric(recency_days, errors="coerce")
    out = np.where(r.isna(), "Prospect",
                   np.where(r >= lost_days, "Lost",
                            np.where(r >= dormant_days, "Dormant", "Active")))
    return pd.Series(out, index=r.index, dtype=object)


def key_face(
    abc: pd.Series, margin_rate: pd.Series, orders_per_year: pd.Series, strategic: pd.Series,
    red_min_margin: float = 0.40, red_max_orders: float = 4.0, white_max_margin: float = 0.20,
) -> pd.Series:
    """Key-customer faces (红脸/白脸/黑脸); ``""`` for everyone else.

    * **Black** — marked Strategic by hand (brand or influence; profit may be thin): wins.
    * **Red** — class A or B with margin rate ≥ ``red_min_margin`` and at most
      ``red_max_orders`` orders a year: high profit per deal, occasional buyer.
    * **White** — class A with margin rate ≤ ``white_max_margin``: large volume at a thin
      margin (e.g. a big retail chain).
    """
    rate = pd.to_numeric(margin_rate, errors="coerce")
    freq = pd.to_numeric(orders_per_year, errors="coerce")
    red = abc.isin(["A", "B"]) & (rate >= red_min_margin) & (freq <= red_max_orders)
    white = (abc == "A") & (rate <= white_max_margin)
    out = np.where(strategic.astype(bool), "Black",
                   np.where(red, "Red", np.where(white, "White", "")))
    return pd.Series(out, index=abc.index, dtype=object)


def pareto(values: pd.Series, points: int = 20) -> pd.DataFrame:
    """Cumulative share of ``values`` held by the top customers, at ``points`` even steps
    of the customer share (5%, 10%, … 100% by default). Negative values count as 0 in
    the curve (refund-only customers make nothing)."""
    v = np.sort(pd.to_numeric(values, errors="coerce").fillna(0).clip(lower=0).to_numpy())[::-1]
    total = v.sum()
    n = len(v)
    share = np.arange(1, points + 1) / points
    if n == 0 or total <= 0:
        return pd.DataFrame({"CustomerShare": share, "ValueShare": np.zeros(points)})
    cum = np.concatenate([[0.0], np.cumsum(v)]) / total
    take = np.ceil(share * n - 1e-9).astype(int)
    return pd.DataFrame({"CustomerShare": share, "ValueShare": cum[take]})


def share_of_customers_for(values: pd.Series, target: float = 0.80) -> float:
    """The smallest share of customers (by value, highest first) that holds ``target`` of
    the positive total; NaN when there is no positive value."""
    v = np.sort(pd.to_numeric(values, errors="coerce").fillna(0).clip(lower=0).to_numpy())[::-1]
    total = v.sum()
    if total <= 0:
        return float("nan")
    k = int(np.searchsorted(np.cumsum(v) / total, target - 1e-12) + 1)
    return k / len(v)
