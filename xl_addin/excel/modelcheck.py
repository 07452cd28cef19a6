"""The ModelCheck sheet's layout: the core's :class:`~xl_addin.domain.scores.ModelCheck`
laid out as cells (columns A:I) in fixed blocks, in the workbook's language.

Blocks (:data:`MODELCHECK_ROWS`) keep their place and size whatever the data, so the
native charts the workbook holds over them (actual vs predicted holdout purchases by
calibration frequency, as in Fader, Hardie & Lee 2005, Fig. 4; the likelihood's
calibration by decile) stay valid after every refresh.
"""

from __future__ import annotations

import math
from typing import Any

from ..domain.btyd import MODELS
from ..domain.scores import ModelCheck
from ..domain.trust import model_note, trust_sentence

__all__ = ["KINDS", "MODELCHECK_ROWS", "WIDTH", "WIDTHS", "modelcheck_rows"]

#: Fixed blocks (1-based first data row, rows); each block's header is the row above.
MODELCHECK_ROWS = {"models": (8, len(MODELS)), "frequency": (14, 8), "deciles": (25, 10)}
#: columns the layout uses (A:I), their kinds (number formats) and widths
WIDTH = 9
KINDS = ["text", "int", "int", "number", "number", "number", "percent", "number", "text"]
WIDTHS = [30, 12, 12, 18, 20, 12, 10, 12, 10]


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def modelcheck_rows(check: ModelCheck | None, lang: str) -> list[list[Any]]:
    """The ModelCheck cells, top-left first: title, how the model was chosen, the trust
    sentence, the per-model holdout table, the check table by calibration frequency,
    the likelihood deciles and the Brier score, then how to read them."""
    zh = lang == "zh-CN"

    def t(a: str, b: str) -> str:
        return a if zh else b

    rows: list[list[Any]] = [[t("模型检验", "Model check")]]
    if check is None:
        rows += [[t("尚无购买记录，暂无预测", "No purchases yet: nothing to predict")]]
    else:
        period = (t(f"检验期：{check.calibration_end:%Y-%m-%d} 之后至 {check.as_of:%Y-%m-%d}"
                    f"（{check.holdout_days} 天）；此前的记录用于拟合",
                    f"Holdout: after {check.calibration_end:%Y-%m-%d} to {check.as_of:%Y-%m-%d}"
                    f" ({check.holdout_days} days); the history before it fits the models")
                  if check.rows and check.calibration_end else
                  t("历史记录太少，无法留出检验期（需至少 30 位重复购买客户和 60 天记录）",
                    "Too little history to hold a period back (needs at least 30 repeat "
                    "buyers and 60 days before it)"))
        rows += [[model_note(check, lang)], [trust_sentence(check, lang)], [period]]
    while len(rows) < MODELCHECK_ROWS["models"][0] - 3:
        rows.append([None])
    rows += [[t("每个模型在检验期的预测", "Each model's forecast of the holdout")],
             [t("模型", "Model"), t("检验天数", "Holdout days"), t("客户数", "Customers"),
              t("实际购买次数", "Actual purchases"), t("预测购买次数", "Predicted purchases"),
              t("误差（次）", "Error"), t("误差 %", "Error %"), t("Brier 分数", "Brier score"),
              t("选用", "Used")]]
    by_model = {r.model: r for r in check.rows} if check else {}
    for name, spec in MODELS.items():
        r = by_model.get(name)
        if r is None:
            rows.append([spec.label])
            continue
        rows.append([spec.label, r.holdout_days, r.customers, r.actual, _num(r.predicted),
                     _num(r.error), _num(r.pct_error / 100), _num(r.brier),
                     t("✓ 选用", "✓ used") if r.used else None])
    rows += [[None], [t("检验表：按检验期前的重复购买次数", "Check table: by repeat purchases "
                        "before the holdout")],
             [t("重复购买次数", "Repeat purchases"), None, t("客户数", "Customers"),
              t("实际（人均）", "Actual (per customer)"),
              t("预测（人均）", "Predicted (per customer)")]]
    freq = check.by_frequency if check else ()
    for k in range(MODELCHECK_ROWS["frequency"][1]):
        label = f"{k}+" if k == MODELCHECK_ROWS["frequency"][1] - 1 else str(k)
        f = freq[k] if k < len(freq) else None
        rows.append([label, None, f.customers if f else None,
                     _num(f.actual_mean) if f else None, _num(f.predicted_mean) if f else None])
    days = check.likelihood_days if check else 30
    rows += [[None], [t(f"{days} 天购买可能性：按预测值十等分", f"{days}-day purchase likelihood "
                        "by decile of the prediction")],
             [t("十分位（1 = 最低）", "Decile (1 = lowest)"), None, t("客户数", "Customers"),
              t("预测购买比例 %", "Predicted % who buy"), t("实际购买比例 %", "Actual % who bought")]]
    deciles = check.by_decile if check else ()
    for k in range(MODELCHECK_ROWS["deciles"][1]):
        d = deciles[k] if k < len(deciles) and deciles[k].customers else None
        rows.append([str(k + 1), None, d.customers if d else None,
                     _num(100 * d.predicted_share) if d else None,
                     _num(100 * d.observed_share) if d else None])
    rows += [[t("Brier 分数（越小越好，0 = 完美）", "Brier score (lower is better, 0 = perfect)"),
              None, None, _num(check.brier) if check else None]]
    rows += [[None], [t(
        "读法：每个模型只用检验期之前的记录拟合，再预测检验期内每位老客户的购买次数，与实际对比。"
        "检验表和十等分表检验的是实际显示的分数。",
        "How to read: each model is fitted on the history before the holdout only, then "
        "predicts each existing customer's purchases in the holdout, compared with what "
        "they did. The check table and the deciles check the scores as shown.")]]
    return [list(r) + [None] * (WIDTH - len(r)) for r in rows]
