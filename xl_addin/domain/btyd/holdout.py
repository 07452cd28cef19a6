"""Calibration/holdout evaluation of the purchase models, and choosing one from the data.

Split a transaction log at a calibration end date, fit each model on the calibration
summary, forecast each customer's purchases over the holdout, and compare with what the
customers actually did -- the validation of Fader, Hardie & Lee (2005, section 5 and
Fig. 2-4: total holdout transactions, and mean holdout transactions by calibration
frequency 0, 1, ..., 7+).

Conventions (those of :func:`summary_from_transactions`): purchases are counted in
*purchase days* (several transactions of a customer on one day are one purchase); the
calibration summary covers purchases on or before the calibration end; a customer's
holdout purchases are their purchase days strictly after the calibration end and on or
before the holdout end, counted only for customers first seen in the calibration
period (the models say nothing about customers not yet acquired).

Reported per model (:class:`HoldoutReport`): holdout days, customers, actual and
predicted total holdout purchases, the error ``predicted - actual`` (absolute and in %
of actual), the frequency check table, and for the likelihood of buying within the
next ``D`` days after the calibration end
(:func:`~xl_addin.domain.btyd.models.purchase_probability`: P(alive) times the chance
that an alive customer's purchase process is not silent for ``D`` days), its
calibration by decile and its Brier score (mean squared difference to the 0/1 outcome).

:func:`choose_model` picks the model with the smallest absolute error of the total
holdout purchases (see its docstring for the defaults, ties and the "too small to split"
rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .models import DEFAULT_MODEL, MODELS, Fit, get_model, purchase_probability
from .summary import CustomerSummary, _day_numbers, summary_from_transactions
from .utils import BTYDInputError, FloatArray, _numeric

__all__ = [
    "DEFAULT_LIKELIHOOD_DAYS",
    "MAX_HOLDOUT_DAYS",
    "MIN_CALIBRATION_DAYS",
    "MIN_HOLDOUT_DAYS",
    "MIN_REPEAT_BUYERS_TO_SPLIT",
    "DecileRow",
    "FrequencyRow",
    "HoldoutData",
    "HoldoutReport",
    "ModelChoice",
    "choose_model",
    "choose_model_split",
    "decile_table",
    "default_holdout_days",
    "evaluate_holdout",
    "frequency_table",
    "pick_model",
    "split_calibration_holdout",
]

#: Days ahead for the "bought within the next D days" likelihood.
DEFAULT_LIKELIHOOD_DAYS = 30
#: The default holdout is a third of the data's span, clamped to these limits (days).
MIN_HOLDOUT_DAYS = 30
MAX_HOLDOUT_DAYS = 365
#: Below this many customers with a repeat purchase in the calibration period the data
#: are too small to split: the models cannot be told apart, and ``choose_model`` returns
#: :data:`~xl_addin.domain.btyd.models.DEFAULT_MODEL` (BG/NBD).
MIN_REPEAT_BUYERS_TO_SPLIT = 30
#: ... and likewise when the calibration period (first purchase to calibration end) is
#: shorter than this many days.
MIN_CALIBRATION_DAYS = 60
#: Calibration frequencies of the check table: 0, 1, ..., 6 and "7+".
_CHECK_TOP = 7


@dataclass(frozen=True)
class HoldoutData:
    """A transaction log split at ``calibration_end``.

    ``calibration`` is the RFM summary at the calibration end (times in units of
    ``unit_days`` days); ``holdout_purchases`` and ``first_holdout_day`` are aligned with
    its customers: the number of holdout purchase days and the days from the calibration
    end to the first of them (``-1`` when none).
    """

    calibration: CustomerSummary
    holdout_purchases: NDArray[np.int64]
    first_holdout_day: NDArray[np.int64]
    calibration_end: np.datetime64
    holdout_end: np.datetime64
    holdout_days: int
    unit_days: float
    first_purchase: np.datetime64


@dataclass(frozen=True)
class FrequencyRow:
    """One row of the check table: customers with this calibration frequency."""

    frequency: str
    customers: int
    actual_mean: float
    predicted_mean: float


@dataclass(frozen=True)
class DecileRow:
    """One decile of the "bought within D days" likelihood (1 = lowest likelihoods)."""

    decile: int
    customers: int
    predicted_share: float
    observed_share: float


@dataclass(frozen=True)
class HoldoutReport:
    """How one model, fitted on the calibration period, forecast the holdout period."""

    model: str
    label: str
    fit: Fit
    calibration_end: np.datetime64
    holdout_end: np.datetime64
    holdout_days: int
    customers: int
    actual_total: int
    predicted_total: float
    error: float
    abs_error: float
    pct_error: float
    by_frequency: tuple[FrequencyRow, ...]
    likelihood_days: int
    brier: float
    by_decile: tuple[DecileRow, ...]


@dataclass(frozen=True)
class ModelChoice:
    """The result of :func:`choose_model`.

    ``chosen`` is a key of ``MODELS``; ``reports`` holds one :class:`HoldoutReport` per
    model evaluated (empty when ``too_small``); ``reason`` explains the choice in
    English; ``repeat_buyers`` and ``calibration_days`` are the counts the "too small"
    rule looked at.
    """

    chosen: str
    reason: str
    reports: Mapping[str, HoldoutReport]
    too_small: bool
    holdout_days: int | None
    calibration_end: np.datetime64 | None
    repeat_buyers: int
    calibration_days: int
    #: the split the reports were computed on (None when there was none to make)
    data: HoldoutData | None = None


def _day(name: str, value: Any) -> int:
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise BTYDInputError(name, "must be a single date")
    return int(_day_numbers(name, arr.reshape(1))[0])


def _as_date(day: int) -> np.datetime64:
    return np.datetime64(int(day), "D")


def default_holdout_days(span_days: int) -> int:
    """A third of the data's span (days), clamped to [MIN_HOLDOUT_DAYS, MAX_HOLDOUT_DAYS]."""
    return int(min(max(round(span_days / 3), MIN_HOLDOUT_DAYS), MAX_HOLDOUT_DAYS))


def split_calibration_holdout(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    calibration_end: Any,
    holdout_end: Any,
    *,
    unit_days: float = 1,
) -> HoldoutData:
    """Calibration summary and holdout purchase days (see the module docstring).

    ``calibration_end`` and ``holdout_end`` are dates (or day numbers, like ``dates``);
    the holdout is ``(calibration_end, holdout_end]``.
    """
    cal_day = _day("calibration_end", calibration_end)
    end_day = _day("holdout_end", holdout_end)
    if end_day <= cal_day:
        raise BTYDInputError(
            "holdout_end", "must be after the calibration end (the holdout would be empty)"
        )
    summary = summary_from_transactions(
        customer_ids, dates, amounts, _as_date(cal_day), unit_days=unit_days
    )
    if len(summary) == 0:
        raise BTYDInputError(
            "calibration_end", "no customer made a purchase on or before the calibration end"
        )
    ids = np.asarray(customer_ids)
    days = _day_numbers("dates", dates)
    later = (days > cal_day) & (days <= end_day)
    counts = np.zeros(len(summary), dtype=np.int64)
    first = np.full(len(summary), -1, dtype=np.int64)
    if later.any():
        import pandas as pd

        position = pd.Index(summary.customer_id).get_indexer(ids[later])
        known = position >= 0  # customers first seen in the holdout are left out
        frame = pd.DataFrame({"pos": position[known], "day": days[later][known]})
        frame = frame.drop_duplicates()
        grouped = frame.groupby("pos", sort=True)["day"]
        where = grouped.size().index.to_numpy()
        counts[where] = grouped.size().to_numpy(np.int64)
        first[where] = grouped.min().to_numpy(np.int64) - cal_day
    all_days = days[days <= cal_day]
    return HoldoutData(
        calibration=summary,
        holdout_purchases=counts,
        first_holdout_day=first,
        calibration_end=_as_date(cal_day),
        holdout_end=_as_date(end_day),
        holdout_days=end_day - cal_day,
        unit_days=float(_numeric("unit_days", unit_days)),
        first_purchase=_as_date(int(all_days.min())),
    )


def frequency_table(
    x: FloatArray, actual: FloatArray, predicted: FloatArray
) -> tuple[FrequencyRow, ...]:
    """Mean actual and predicted holdout purchases by calibration frequency 0, 1, ..., 7+."""
    rows = []
    for k in range(_CHECK_TOP + 1):
        sel = x >= k if k == _CHECK_TOP else x == k
        n = int(sel.sum())
        rows.append(
            FrequencyRow(
                frequency=f"{k}+" if k == _CHECK_TOP else str(k),
                customers=n,
                actual_mean=float(actual[sel].mean()) if n else float("nan"),
                predicted_mean=float(predicted[sel].mean()) if n else float("nan"),
            )
        )
    return tuple(rows)


def decile_table(likelihood: FloatArray, bought: FloatArray) -> tuple[DecileRow, ...]:
    """Predicted and observed share that bought, by decile of the predicted likelihood."""
    order = np.argsort(likelihood, kind="stable")
    rows = []
    for i, part in enumerate(np.array_split(order, 10), start=1):
        if part.size == 0:
            rows.append(DecileRow(i, 0, float("nan"), float("nan")))
            continue
        rows.append(
            DecileRow(
                decile=i,
                customers=int(part.size),
                predicted_share=float(likelihood[part].mean()),
                observed_share=float(bought[part].mean()),
            )
        )
    return tuple(rows)


def evaluate_holdout(
    data: HoldoutData,
    model: str = DEFAULT_MODEL,
    *,
    likelihood_days: int = DEFAULT_LIKELIHOOD_DAYS,
    fit: Fit | None = None,
) -> HoldoutReport:
    """Fit ``model`` on ``data.calibration`` (or use ``fit``) and score its holdout forecast.

    ``likelihood_days`` (D) is clamped to the holdout length, since a purchase can only be
    observed inside the holdout.
    """
    spec = get_model(model)
    s = data.calibration
    x, tx, age = s.frequency.astype(np.float64), s.recency, s.T
    if fit is None:
        fit = spec.fit(x, tx, age)
    unit = data.unit_days
    horizon = data.holdout_days / unit
    d_days = int(min(max(int(likelihood_days), 1), data.holdout_days))
    predicted = spec.expected_purchases(fit, horizon, x, tx, age)
    actual = data.holdout_purchases.astype(np.float64)
    actual_total = int(data.holdout_purchases.sum())
    predicted_total = float(predicted.sum())
    error = predicted_total - actual_total
    likelihood = purchase_probability(fit, d_days / unit, x, tx, age)
    bought = ((data.first_holdout_day >= 1) & (data.first_holdout_day <= d_days)).astype(float)
    return HoldoutReport(
        model=spec.name,
        label=spec.label,
        fit=fit,
        calibration_end=data.calibration_end,
        holdout_end=data.holdout_end,
        holdout_days=data.holdout_days,
        customers=int(x.size),
        actual_total=actual_total,
        predicted_total=predicted_total,
        error=error,
        abs_error=abs(error),
        pct_error=100.0 * error / actual_total if actual_total else float("nan"),
        by_frequency=frequency_table(x, actual, predicted),
        likelihood_days=d_days,
        brier=float(np.mean((likelihood - bought) ** 2)),
        by_decile=decile_table(likelihood, bought),
    )


def pick_model(abs_errors: Mapping[str, float]) -> str:
    """The model with the smallest absolute error; errors within 1e-9 (relative to the
    largest, at least 1 purchase) count as ties, won by BG/NBD, then by the given order."""
    best = min(abs_errors.values())
    tol = 1e-9 * max(1.0, max(abs_errors.values()))
    tied = [name for name, err in abs_errors.items() if err - best <= tol]
    return DEFAULT_MODEL if DEFAULT_MODEL in tied else tied[0]


def choose_model(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    as_of: Any,
    holdout_days: int | None = None,
    models: Sequence[str] = ("BGNBD", "MBGNBD", "ParetoNBD"),
    *,
    likelihood_days: int = DEFAULT_LIKELIHOOD_DAYS,
    unit_days: float = 1,
    fitter: Callable[[str, FloatArray, FloatArray, FloatArray], Fit] | None = None,
) -> ModelChoice:
    """Pick the purchase model that best forecast a holdout at the end of the data.

    The data up to ``as_of`` are split into a calibration period and a holdout of
    ``holdout_days`` days ending at ``as_of`` (default: :func:`default_holdout_days` of
    the span from the first purchase to ``as_of``, i.e. a third of it clamped to
    [30, 365] days). Each model in ``models`` is fitted on the calibration period and
    scored by :func:`evaluate_holdout`.

    Rule: the smallest absolute error of the total holdout purchases wins; ties (equal
    within 1e-9 relative) go to BG/NBD, then to the earlier model in ``models``.

    Too small to split: when fewer than :data:`MIN_REPEAT_BUYERS_TO_SPLIT` (30) customers
    made a repeat purchase in the calibration period, or the calibration period is
    shorter than :data:`MIN_CALIBRATION_DAYS` (60) days, no model is fitted and the
    default model, BG/NBD, is returned with ``too_small=True`` and the counts.

    ``fitter(model, frequency, recency, T)`` fits a model on the calibration summary
    (default: the model's own ``fit`` on every customer).
    """
    names = [get_model(m).name for m in models]
    if not names:
        raise BTYDInputError("models", "name at least one model to compare")
    end_day = _day("as_of", as_of)
    days = _day_numbers("dates", dates)
    seen = days[days <= end_day]
    if seen.size == 0:
        raise BTYDInputError("as_of", "no purchase on or before this date")

    def split(cal_day: int, last_day: int) -> HoldoutData:
        return split_calibration_holdout(customer_ids, dates, amounts, _as_date(cal_day),
                                         _as_date(last_day), unit_days=unit_days)

    return choose_model_split(end_day, int(seen.min()), split, holdout_days, names,
                              likelihood_days=likelihood_days, fitter=fitter)


def choose_model_split(
    end_day: int,
    first_day: int | None,
    split: Callable[[int, int], HoldoutData],
    holdout_days: int | None = None,
    models: Sequence[str] = ("BGNBD", "MBGNBD", "ParetoNBD"),
    *,
    likelihood_days: int = DEFAULT_LIKELIHOOD_DAYS,
    fitter: Callable[[str, FloatArray, FloatArray, FloatArray], Fit] | None = None,
) -> ModelChoice:
    """:func:`choose_model` on purchases known by their facts, not their rows: the
    as-of day and the first purchase day (days since 1970-01-01), and ``split(cal_day,
    end_day)``, which gives the :class:`HoldoutData` that
    :func:`split_calibration_holdout` would (e.g. computed where the orders are kept).
    """
    names = [get_model(m).name for m in models]
    if not names:
        raise BTYDInputError("models", "name at least one model to compare")
    if first_day is None or first_day > end_day:
        raise BTYDInputError("as_of", "no purchase on or before this date")
    span = end_day - int(first_day)
    if holdout_days is None:
        holdout = default_holdout_days(span)
    else:
        try:
            holdout = int(holdout_days)
            whole = holdout == float(holdout_days) and holdout >= 1
        except (TypeError, ValueError, OverflowError):
            whole = False
        if not whole:
            raise BTYDInputError(
                "holdout_days", f"must be a whole number of days >= 1, got {holdout_days!r}"
            )
    cal_day = end_day - holdout
    calibration_days = cal_day - int(first_day)
    repeat_buyers = 0
    data: HoldoutData | None = None
    if calibration_days >= 0:
        data = split(cal_day, end_day)
        repeat_buyers = int(np.count_nonzero(data.calibration.frequency))
    if (
        data is None
        or calibration_days < MIN_CALIBRATION_DAYS
        or (repeat_buyers < MIN_REPEAT_BUYERS_TO_SPLIT)
    ):
        label = MODELS[DEFAULT_MODEL].label
        reason = (
            f"Too little history to compare models: {repeat_buyers} customer(s) with a repeat "
            f"purchase before {_as_date(cal_day)} (at least {MIN_REPEAT_BUYERS_TO_SPLIT} "
            f"needed) and {max(calibration_days, 0)} day(s) of history before the "
            f"{holdout}-day holdout (at least {MIN_CALIBRATION_DAYS} needed); using the "
            f"default model, {label}."
        )
        return ModelChoice(
            chosen=DEFAULT_MODEL,
            reason=reason,
            reports=MappingProxyType({}),
            too_small=True,
            holdout_days=holdout,
            calibration_end=_as_date(cal_day),
            repeat_buyers=repeat_buyers,
            calibration_days=max(calibration_days, 0),
        )
    cal = data.calibration
    cal_x = cal.frequency.astype(np.float64)
    reports = {
        name: evaluate_holdout(
            data,
            name,
            likelihood_days=likelihood_days,
            fit=None if fitter is None else fitter(name, cal_x, cal.recency, cal.T),
        )
        for name in names
    }
    chosen = pick_model({name: rep.abs_error for name, rep in reports.items()})
    best = reports[chosen]
    others = "; ".join(
        f"{rep.label} {rep.predicted_total:.1f} ({rep.pct_error:+.1f}%)"
        for name, rep in reports.items()
        if name != chosen
    )
    reason = (
        f"{best.label} forecast the {best.holdout_days}-day holdout best: "
        f"{best.predicted_total:.1f} purchases predicted against {best.actual_total} actual "
        f"({best.pct_error:+.1f}%)" + (f"; {others}." if others else ".")
    )
    if best.fit.flags:
        reason += " Its fit is flagged: " + ", ".join(f.code for f in best.fit.flags) + "."
    return ModelChoice(
        chosen=chosen,
        reason=reason,
        reports=MappingProxyType(reports),
        too_small=False,
        holdout_days=holdout,
        calibration_end=data.calibration_end,
        repeat_buyers=repeat_buyers,
        calibration_days=calibration_days,
        data=data,
    )
