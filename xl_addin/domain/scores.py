"""Purchase scores a manager can trust: the model the book's own history chose, checked on
that history, and left blank when the book is too small to say.

Rules (each number is a constant below, documented in the README):

* **Purchases.** Every order with Amount >= 0 is a purchase (free items and service
  visits count); a refund (negative amount) is not a purchase, it nets spend.
* **Auto** (Settings ``Model`` = ``Auto``): the history up to the as-of date is split at
  AsOfDate - ``HoldoutDays`` (blank: a third of the span, 30-365 days); each model is
  fitted on the calibration part and predicts each customer's purchases in the holdout;
  the model whose total is nearest the actual total wins (ties: BG/NBD), leaving out
  models whose calibration fit did not converge or ran into a bound (as for small
  books, below) while another did neither. The winner is refitted on the whole history; should that refit
  not settle (not converged, or at a bound), the next most accurate model is used. A book
  too small to split (< 30 repeat buyers before the holdout, or < 60 days of history before it) uses
  BG/NBD. A named model (``BGNBD`` / ``MBGNBD`` / ``ParetoNBD``) is used as named; the
  holdout comparison is still made, for the ModelCheck sheet.
* **One-time buyers under BG/NBD.** BG/NBD lets a customer drop out only after a repeat
  purchase, so everyone who bought once is alive with probability 1, however long ago.
  When the scores come from BG/NBD, customers without a repeat purchase are scored by
  MBG/NBD fitted on the same history (it allows dropout at the first purchase): their
  P(alive) falls with the time since that purchase.
* **Purchase likelihood** (next 30 days): the model's chance of at least one purchase,
  :func:`~xl_addin.domain.btyd.purchase_probability`, shown at most 99%
  (:data:`LIKELIHOOD_CAP`): no forecast of a person is certain.
* **Small books.** Fewer than :data:`MIN_BUYERS` buyers, fewer than
  :data:`MIN_REPEAT_BUYERS` repeat buyers, or a final fit that did not converge or ran
  into a bound (except both parameters of one mixing distribution together, e.g. r and
  alpha: the limit where customers do not differ in that respect, whose predictions are
  well defined): the estimates are uncertain, PAlive, ExpectedPurchases, CLV and the
  purchase likelihood are left blank and the reasons (:class:`Doubt`) are said in words.
* **Large books.** Pareto/NBD needs a numerical integral per distinct customer history;
  above :data:`PARETO_FIT_CUSTOMERS` customers it is fitted on that many customers spread
  evenly over the book (in CustomerID order). Every customer is still scored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from . import btyd
from .btyd.holdout import (
    DecileRow,
    FrequencyRow,
    ModelChoice,
    decile_table,
    frequency_table,
    pick_model,
)
from .facts import OrderFacts

__all__ = ["LIKELIHOOD_CAP", "MIN_BUYERS", "MIN_REPEAT_BUYERS", "PARETO_FIT_CUSTOMERS",
           "Doubt", "ModelCheck", "ModelRow", "Scorer", "Scores", "fit_model", "score"]

#: below this many buyers the scores are uncertain (left blank)
MIN_BUYERS = 30
#: ... and below this many customers with a repeat purchase
MIN_REPEAT_BUYERS = btyd.FEW_REPEAT_BUYERS
#: Pareto/NBD is fitted on at most this many customers (spread evenly over the book)
PARETO_FIT_CUSTOMERS = 5_000
#: the purchase likelihood shown never says more than this
LIKELIHOOD_CAP = 0.99
#: flags that make a fit's numbers untrustworthy
SHAKY = ("at_bound", "not_converged")
MODELS = ("BGNBD", "MBGNBD", "ParetoNBD")


@dataclass(frozen=True)
class Doubt:
    """Why the scores are uncertain: ``few_buyers`` (count), ``few_repeat_buyers``
    (count), ``no_repeat_buyers``, ``at_bound`` (model, parameter), ``not_converged``
    (model)."""

    code: str
    count: int | None = None
    model: str | None = None
    parameter: str | None = None


def fit_model(name: str, x: np.ndarray, tx: np.ndarray, T: np.ndarray,
              start: Any = None) -> Any:
    """Fit model ``name`` (a key of ``MODELS``), Pareto/NBD on at most
    :data:`PARETO_FIT_CUSTOMERS` customers spread evenly over the rows, its search begun
    also from ``start`` (the same model's fit on the calibration period) when given."""
    spec = btyd.get_model(name)
    if spec.name != "ParetoNBD":
        return spec.fit(x, tx, T)
    if x.size > PARETO_FIT_CUSTOMERS:
        pick = np.unique(np.linspace(0, x.size - 1, PARETO_FIT_CUSTOMERS).round().astype(int))
        x, tx, T = x[pick], tx[pick], T[pick]
    return btyd.fit_pareto_nbd(x, tx, T, start=start)


@dataclass(frozen=True)
class Scorer:
    """Scores from one fit; customers without a repeat purchase from ``one_time`` when
    it is given (MBG/NBD beside a BG/NBD fit)."""

    fit: Any
    one_time: Any = None

    def _each(self, what: str, x: np.ndarray, *args: Any) -> np.ndarray:
        values = np.asarray(getattr(self, "_" + what)(self.fit, x, *args), dtype=float)
        if self.one_time is not None:
            once = x == 0
            if once.any():
                other = np.asarray(getattr(self, "_" + what)(self.one_time, x, *args), float)
                values = np.where(once, other, values)
        return values

    @staticmethod
    def _p_alive(fit: Any, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        return btyd.model_of(fit).p_alive(fit, x, tx, T)

    @staticmethod
    def _expected(fit: Any, x: np.ndarray, t: float, tx: np.ndarray, T: np.ndarray
                  ) -> np.ndarray:
        return btyd.model_of(fit).expected_purchases(fit, t, x, tx, T)

    @staticmethod
    def _likelihood(fit: Any, x: np.ndarray, t: float, tx: np.ndarray, T: np.ndarray
                    ) -> np.ndarray:
        return btyd.purchase_probability(fit, t, x, tx, T)

    @staticmethod
    def _clv(fit: Any, x: np.ndarray, gg: Any, tx: np.ndarray, T: np.ndarray, m: np.ndarray,
             kw: dict[str, Any]) -> np.ndarray:
        return btyd.clv(fit, gg, x, tx, T, m, **kw)

    def p_alive(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        return self._each("p_alive", x, tx, T)

    def expected(self, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        return self._each("expected", x, t, tx, T)

    def likelihood(self, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        """The chance of at least one purchase in the next ``t`` days, at most 99%."""
        return np.minimum(self._each("likelihood", x, t, tx, T), LIKELIHOOD_CAP)

    def clv(self, gg: Any, x: np.ndarray, tx: np.ndarray, T: np.ndarray, m: np.ndarray,
            **kw: Any) -> np.ndarray:
        return self._each("clv", x, gg, tx, T, m, kw)


@dataclass(frozen=True)
class ModelRow:
    """One model's holdout forecast, as the ModelCheck sheet shows it."""

    model: str
    label: str
    holdout_days: int
    customers: int
    actual: int
    predicted: float
    error: float
    pct_error: float
    brier: float
    flags: tuple[str, ...]
    used: bool


@dataclass(frozen=True)
class ModelCheck:
    """How well the purchase models predicted the book's own holdout period.

    ``rows`` per model (empty when the book is too small to split); ``by_frequency``,
    ``by_decile`` and ``brier`` check the scores as shown (the model used, with the
    one-time-buyer rule), fitted on the calibration period only.
    """

    setting: str
    model: str
    too_small: bool
    as_of: dt.date
    holdout_days: int | None
    calibration_end: dt.date | None
    repeat_buyers: int
    calibration_days: int
    rows: tuple[ModelRow, ...]
    by_frequency: tuple[FrequencyRow, ...]
    by_decile: tuple[DecileRow, ...]
    brier: float
    likelihood_days: int
    doubts: tuple[Doubt, ...]
    one_time_rule: bool
    #: the scores as shown (fitted on the calibration period): total holdout purchases
    predicted_total: float = float("nan")
    actual_total: int = 0
    #: Auto's better models whose refit on the whole history did not settle
    passed_over: tuple[str, ...] = ()

    @property
    def used(self) -> ModelRow | None:
        return next((r for r in self.rows if r.used), None)


@dataclass(frozen=True)
class Scores:
    """Per-customer purchase scores (index: CustomerID of every buyer; blank when
    uncertain) and how they came about."""

    frame: pd.DataFrame  # PAlive, ExpectedPurchases, PurchaseLikelihood
    scorer: Scorer | None
    check: ModelCheck

    @property
    def uncertain(self) -> bool:
        return bool(self.check.doubts)


def _date(day: np.datetime64 | None) -> dt.date | None:
    return None if day is None else pd.Timestamp(day).date()


def _shaky(fit: Any) -> bool:
    hit = {f.parameter for f in fit.flags if f.code == "at_bound"}
    return any(f.code == "not_converged" or (f.code == "at_bound"
                                             and _PARTNER.get(f.parameter or "") not in hit)
               for f in fit.flags)


def _ranked(choice: ModelChoice, setting: str) -> list[str]:
    """The models to try, best first: the named one, or Auto's order (winner first, then
    the other clean calibration fits by absolute error, then the rest)."""
    if setting != "Auto":
        return [setting]
    if choice.too_small or not choice.reports:
        return [btyd.DEFAULT_MODEL]
    left = {k: r.abs_error for k, r in choice.reports.items()}
    order: list[str] = []
    while left:
        clean = {k: e for k, e in left.items() if not _shaky(choice.reports[k].fit)}
        best = pick_model(clean or left)
        order.append(best)
        del left[best]
    return order


def _scorer(model: str, fits: dict[str, Any]) -> Scorer:
    return Scorer(fits[model], fits.get("MBGNBD") if model == "BGNBD" else None)


def _check(choice: ModelChoice, used: str, setting: str, as_of: dt.date,
           likelihood_days: int, doubts: tuple[Doubt, ...],
           passed_over: tuple[str, ...] = ()) -> ModelCheck:
    rows: list[ModelRow] = []
    freq: tuple[FrequencyRow, ...] = ()
    deciles: tuple[DecileRow, ...] = ()
    brier, d_days, total, actual = float("nan"), likelihood_days, float("nan"), 0
    if choice.reports and choice.data is not None:
        data = choice.data
        s = data.calibration
        x, tx, T = s.frequency.astype(float), s.recency, s.T
        shown = _scorer(used, {k: r.fit for k, r in choice.reports.items()})
        predicted = shown.expected(data.holdout_days / data.unit_days, x, tx, T)
        d_days = int(min(max(likelihood_days, 1), data.holdout_days))
        likely = shown.likelihood(d_days / data.unit_days, x, tx, T)
        first = data.first_holdout_day
        bought = ((first >= 1) & (first <= d_days)).astype(float)
        freq = frequency_table(x, data.holdout_purchases.astype(float), predicted)
        deciles = decile_table(likely, bought)
        brier = float(np.mean((likely - bought) ** 2))
        total, actual = float(predicted.sum()), int(data.holdout_purchases.sum())
        for name, rep in choice.reports.items():
            rows.append(ModelRow(name, rep.label, rep.holdout_days, rep.customers,
                                 rep.actual_total, rep.predicted_total, rep.error,
                                 rep.pct_error, rep.brier,
                                 tuple(dict.fromkeys(f.code for f in rep.fit.flags)),
                                 name == used))
    return ModelCheck(
        setting=setting, model=used, too_small=choice.too_small, as_of=as_of,
        holdout_days=choice.holdout_days, calibration_end=_date(choice.calibration_end),
        repeat_buyers=choice.repeat_buyers, calibration_days=choice.calibration_days,
        rows=tuple(rows), by_frequency=freq, by_decile=deciles, brier=brier,
        likelihood_days=d_days, doubts=doubts, one_time_rule=used == "BGNBD",
        predicted_total=total, actual_total=actual, passed_over=passed_over)


def _doubts(x: np.ndarray, fits: list[Any]) -> tuple[Doubt, ...]:
    out: list[Doubt] = []
    buyers, repeat = int(x.size), int(np.count_nonzero(x))
    if buyers < MIN_BUYERS:
        out.append(Doubt("few_buyers", buyers))
    if repeat == 0:
        out.append(Doubt("no_repeat_buyers", 0))
    elif repeat < MIN_REPEAT_BUYERS:
        out.append(Doubt("few_repeat_buyers", repeat))
    if repeat:
        for fit in fits:
            hit = {f.parameter for f in fit.flags if f.code == "at_bound"}
            for f in fit.flags:
                # a pair at the bound together is the limit of equal customers (no spread
                # in rates or dropout): well-defined predictions, no doubt
                if f.code == "at_bound" and _PARTNER.get(f.parameter or "") in hit:
                    continue
                if f.code in SHAKY:
                    out.append(Doubt(f.code, model=fit.model, parameter=f.parameter))
    return tuple(dict.fromkeys(out))


#: shape and scale of one gamma or beta mixing distribution
_PARTNER = {"r": "alpha", "alpha": "r", "a": "b", "b": "a", "s": "beta", "beta": "s"}


def score(purchases: pd.DataFrame | OrderFacts, as_of: dt.date, setting: str = "Auto",
          holdout_days: int | None = None, *, horizon_days: float = 360,
          likelihood_days: int = btyd.DEFAULT_LIKELIHOOD_DAYS) -> tuple[Scores, Any]:
    """Choose, check and fit the purchase model on ``purchases`` and score every buyer.

    ``purchases``: CustomerID, OrderDate, Amount, the orders up to ``as_of`` that count
    as purchases (Amount >= 0), or their :class:`~.facts.OrderFacts`. Returns the :class:`Scores` and the whole-history
    summary (:class:`~xl_addin.domain.btyd.CustomerSummary`, in days) they were made from.
    """
    end = np.datetime64(as_of, "D")
    if isinstance(purchases, OrderFacts):  # aggregated where the orders live
        facts = purchases
        summary = facts.summary

        def choose() -> ModelChoice:
            return btyd.choose_model_split(
                int(end.astype(np.int64)), facts.first_purchase_day, facts.holdout,
                holdout_days, MODELS, likelihood_days=likelihood_days, fitter=fit_model)
    else:
        # the text ids numbered once, in their sorted order (the order a summary sorts
        # them in), so that the summaries and the holdout split group on whole numbers
        text = purchases["CustomerID"].to_numpy()
        codes, uniques = pd.factorize(text, sort=True)
        ids = codes if (codes >= 0).all() else text  # a missing id: the summary says so
        dates = purchases["OrderDate"].to_numpy()
        amounts = purchases["Amount"].to_numpy(dtype=float)
        summary = btyd.summary_from_transactions(ids, dates, amounts, end, unit_days=1,
                                                 money_digits=btyd.MONEY_DIGITS)
        if ids is codes:
            summary = replace(summary, customer_id=uniques[summary.customer_id])

        def choose() -> ModelChoice:
            return btyd.choose_model(ids, dates, amounts, end, holdout_days, MODELS,
                                     likelihood_days=likelihood_days, fitter=fit_model)
    try:
        choice = choose()
    except btyd.BTYDInputError:  # e.g. the holdout reaches back before the first purchase
        choice = ModelChoice(btyd.DEFAULT_MODEL, "", {}, True, holdout_days, None, 0, 0)
    x, tx, T = summary.frequency.astype(float), summary.recency, summary.T
    ranked = _ranked(choice, setting)
    for used in ranked:  # a refit that does not settle gives way to the next best model
        earlier = choice.reports.get(used)
        fits = {used: fit_model(used, x, tx, T, earlier.fit if earlier else None)}
        if not _shaky(fits[used]):
            break
    else:
        used = ranked[0]
        fits = {used: fit_model(used, x, tx, T)}
    if used == "BGNBD" and (x == 0).any():
        fits["MBGNBD"] = fit_model("MBGNBD", x, tx, T)
    doubts = _doubts(x, list(fits.values()))
    passed = tuple(ranked[:ranked.index(used)])
    check = _check(choice, used, setting, as_of, likelihood_days, doubts, passed)
    scorer = _scorer(used, fits)
    frame = pd.DataFrame(index=pd.Index(summary.customer_id, name="CustomerID"),
                         columns=["PAlive", "ExpectedPurchases", "PurchaseLikelihood"],
                         dtype=float)
    if not doubts:
        frame["PAlive"] = scorer.p_alive(x, tx, T)
        frame["ExpectedPurchases"] = scorer.expected(horizon_days, x, tx, T)
        frame["PurchaseLikelihood"] = scorer.likelihood(likelihood_days, x, tx, T)
    return Scores(frame, None if doubts else scorer, check), summary
