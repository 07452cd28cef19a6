"""What the scores mean, in plain words in the book's language: the model note, the one
sentence on how far to trust the scores, and why a small book's scores are blank.

Only numbers and fixed words fill these texts (never user text); model names such as
BG/NBD stay as they are in both languages.
"""

from __future__ import annotations

import math

from . import btyd
from .scores import Doubt, ModelCheck

__all__ = ["GOOD_ERROR", "ROUGH_ERROR", "doubt_text", "model_note", "trust_sentence",
           "uncertain_why"]

#: holdout error (share of the actual purchases) up to which the scores are "close"
GOOD_ERROR = 0.10
#: ... and up to which they are good for ranking customers; beyond it "rough"
ROUGH_ERROR = 0.25

#: parameter -> what it is about, (中文, English)
_ABOUT = {
    "r": ("客户购买频率的差异", "how differently often customers buy"),
    "alpha": ("客户的购买频率", "how often customers buy"),
    "a": ("客户流失的可能性", "how likely customers are to drop out"),
    "b": ("客户流失的可能性", "how likely customers are to drop out"),
    "s": ("客户流失快慢的差异", "how differently fast customers drop out"),
    "beta": ("客户流失的快慢", "how fast customers drop out"),
}


def _label(model: str) -> str:
    return btyd.MODELS[model].label


def doubt_text(doubt: Doubt, lang: str) -> str:
    """One reason the scores are uncertain, e.g. "only 2 buyers" / "仅 2 位客户有购买"."""
    zh = lang == "zh-CN"
    n = doubt.count
    if doubt.code == "few_buyers":
        return f"仅 {n} 位客户有购买" if zh else f"only {n} buyer{'s' * (n != 1)}"
    if doubt.code == "no_repeat_buyers":
        return "尚无重复购买" if zh else "no repeat purchases yet"
    if doubt.code == "few_repeat_buyers":
        return (f"仅 {n} 位客户重复购买" if zh
                else f"only {n} customer{'s' * (n != 1)} bought more than once")
    if doubt.code == "at_bound":
        about = _ABOUT.get(doubt.parameter or "", ("模型参数", "the model"))
        return (f"现有记录还不足以确定{about[0]}" if zh
                else f"the history cannot yet pin down {about[1]}")
    if doubt.code == "not_converged":
        return "模型计算未能得出稳定结果" if zh else "the model's calculation did not settle"
    return doubt.code


def _join(parts: list[str], lang: str) -> str:
    return "，".join(parts) if lang == "zh-CN" else ", ".join(parts)


def _reasons(doubts: tuple[Doubt, ...], lang: str) -> str:
    """The doubts in words, each said once (a and b are both about dropout)."""
    return _join(list(dict.fromkeys(doubt_text(d, lang) for d in doubts)), lang)


def uncertain_why(doubts: tuple[Doubt, ...], lang: str) -> str:
    """The Analysis Why text added to a buyer's row when the scores are blank."""
    reasons = _reasons(doubts, lang)
    return (f"未给出预测分数：{reasons}" if lang == "zh-CN"
            else f"no prediction scores: {reasons}")


def _how_chosen(check: ModelCheck, lang: str) -> str:
    zh, label = lang == "zh-CN", _label(check.model)
    if check.setting != "Auto":
        return f"购买预测模型：{label}（按设置指定）" if zh else f"Purchase model: {label} (set in Settings)"
    if check.too_small or check.used is None:
        return (f"购买预测模型：{label}（历史记录太少，无法留出一段检验，使用默认模型）" if zh
                else f"Purchase model: {label} (too little history to hold some back and "
                     f"compare the models, so the default is used)")
    if check.passed_over:
        other = "、".join(_label(m) for m in check.passed_over) if zh else ", ".join(
            _label(m) for m in check.passed_over)
        return (f"购买预测模型：{label}（自动选择：{other} 对最近 {check.holdout_days} 天预测更准，"
                f"但用全部记录拟合时未能得出稳定结果，因此选用次优模型）" if zh
                else f"Purchase model: {label} (chosen automatically: {other} predicted the "
                     f"last {check.holdout_days} days better but did not settle when fitted "
                     f"on the whole history, so the next best is used)")
    return (f"购买预测模型：{label}（自动选择：对最近 {check.holdout_days} 天预测最准）" if zh
            else f"Purchase model: {label} (chosen automatically: it predicted the last "
                 f"{check.holdout_days} days best)")


def model_note(check: ModelCheck | None, lang: str) -> str:
    """The Dashboard's model note: which model, how it was chosen, the one-time-buyer rule."""
    zh = lang == "zh-CN"
    if check is None:
        return "尚无购买记录，暂无预测" if zh else "No purchases yet: nothing to predict"
    parts = [_how_chosen(check, lang)]
    if check.doubts:
        parts.append(uncertain_why(check.doubts, lang))
    else:
        parts.append("单次消费金额：Gamma-Gamma 模型" if zh
                     else "spend per purchase: Gamma-Gamma")
        if check.one_time_rule:
            parts.append("只购买过一次的客户的活跃概率取自 MBG/NBD（BG/NBD 会把他们一律算作仍活跃）"
                         if zh else "customers who bought only once are scored by MBG/NBD "
                         "(BG/NBD would count them all as certainly active)")
    return "；".join(parts) + "。" if zh else "; ".join(parts) + "."


def trust_sentence(check: ModelCheck | None, lang: str) -> str:
    """One plain sentence: how far to trust the scores on this book."""
    zh = lang == "zh-CN"
    if check is None:
        return ""
    if check.doubts:
        reasons = _reasons(check.doubts, lang)
        return (f"预测分数暂不可信（{reasons}），因此未显示；记录更多订单后再看。" if zh
                else f"The scores cannot be trusted yet ({reasons}), so they are left blank; "
                     f"they will appear as the book records more orders.")
    predicted, actual = check.predicted_total, check.actual_total
    if check.used is None or actual == 0 or not math.isfinite(predicted):
        return ("预测分数尚未在本簿自己的历史上检验过（历史记录太少），请只作粗略参考。" if zh
                else "The scores could not yet be checked on this book's own history (too "
                     "little of it), so treat them as a rough guide.")
    error = predicted - actual
    err = abs(error) / actual
    pct = f"{err:.0%}"
    if zh:
        miss = f"{'多估' if error > 0 else '少估'} {pct}"
        head = (f"按本簿最近 {check.holdout_days} 天检验：预测购买 {predicted:,.0f} 次，"
                f"实际 {actual:,} 次（{miss}）")
        if err <= GOOD_ERROR:
            return head + "，分数可放心用于安排回访。"
        if err <= ROUGH_ERROR:
            return head + "，分数适合给客户排序，具体次数仅供参考。"
        return head + "，分数只宜用于给客户排序。"
    miss = f"{pct} too {'many' if error > 0 else 'few'}"
    head = (f"Checked on this book's last {check.holdout_days} days, the scores predicted "
            f"{predicted:,.0f} purchases against {actual:,} actual ({miss})")
    if err <= GOOD_ERROR:
        return head + ": they can be relied on to plan calls."
    if err <= ROUGH_ERROR:
        return head + ": good for ranking customers, rough as counts."
    return head + ": use them only to rank customers."
