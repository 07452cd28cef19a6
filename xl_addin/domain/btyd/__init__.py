"""Buy-'til-you-die models: BG/NBD, MBG/NBD and Pareto/NBD purchase counts, Gamma-Gamma
spend, CLV, and calibration/holdout evaluation.

Pure numpy/scipy (pandas only for :func:`summary_from_transactions` and the holdout
split); no Excel code.

Models and equations
--------------------
* **BG/NBD** -- Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting Your
  Customers' the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing
  Science* 24(2), 275-284 ("FHL 2005"). The likelihood is eq. (6) of the paper, written
  as ``A1 * A2 * (A3 + [x > 0] * A4)`` following Fader & Hardie's note "Implementing
  the BG/NBD Model for Customer Base Analysis in Excel" (2005, note 004). The
  conditional expectation is eq. (10) of the paper and P(alive) is eq. (2) of
  Fader, Hardie & Lee, "Computing P(alive) Using the BG/NBD Model" (note 021).
* **MBG/NBD** -- Batislam, Denizel & Filiztekin (2007), IJRM 24(3): see :mod:`.mbgnbd`.
* **Pareto/NBD** -- Schmittlein, Morrison & Colombo (1987), with the expressions of
  Fader, Hardie & Lee's note 009 (2005): see :mod:`.pareto_nbd`.
* **Gamma-Gamma** -- Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma Model
  of Monetary Value" (note 025): likelihood eq. (1a) and conditional expected
  average spend eq. (5). The paper's ``gamma`` is called ``v`` here.
* **CLV** -- discounted expected margin over a monthly grid, the structure of the
  ``lifetimes`` package's ``customer_lifetime_value`` with an annual discount rate
  converted to a monthly one (see :func:`clv`).

Data conventions (the BTYD / ``lifetimes`` ones): ``frequency`` (x) is the number of
*repeat* purchases, ``recency`` (t_x) the time from the first to the last purchase,
``T`` the time from the first purchase to the end of the calibration period, all in one
time unit of your choice; ``monetary_value`` is the mean value of the repeat purchases
(0 when x = 0).

Numerical choices
-----------------
* Times are divided by ``max(T)`` before fitting (alpha is rescaled afterwards) and
  spends by their median, so the optimiser sees well-scaled numbers whatever the unit.
* The data are compressed: every term that depends on x only (gammaln, digamma,
  betaln) is evaluated once per distinct x, ln A3 once per distinct T, and the only
  per-row term (the A4 mixture) runs over the distinct (x, t_x, T) repeat buyers,
  weighted by their counts. Inner products avoid BLAS (see :func:`_dot`).
* The log-likelihoods have analytic gradients and are maximised by L-BFGS-B over the
  log-parameters inside generous bounds, starting from the best of a few heuristic
  points. If the optimiser fails, the best point it evaluated is returned with
  ``converged=False`` and an explanatory ``message``; predictions stay finite.
* Eq. (10) contains ``2F1(r+x, b+x; a+b+x-1; z)``, which overflows for large x and is
  meaningless when ``a+b+x-1 <= 0`` (the ``lifetimes`` issue #302). It is evaluated
  here through Euler's transformation
  ``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)``,
  whose upper parameters do not grow with x; any value that is not finite or falls
  outside the exact bounds of the expectation is recomputed by quadrature over the
  posterior Beta distribution of the dropout probability.

Package layout
--------------
``utils`` (input checks, compression, the shared optimiser, :class:`FitFlag`),
``bgnbd``, ``mbgnbd``, ``pareto_nbd`` (one file per purchase model), ``models`` (the
``MODELS`` registry: the same ``fit`` / ``p_alive`` / ``expected_purchases`` for each),
``gamma_gamma``, ``lifetime_value`` (:func:`clv`, for any of the three purchase fits),
``summary`` (:func:`summary_from_transactions`) and ``holdout`` (calibration/holdout
evaluation and :func:`choose_model`).
"""

from __future__ import annotations

from .bgnbd import BGNBDFit, bgnbd_expected_purchases, bgnbd_p_alive, fit_bgnbd
from .gamma_gamma import GammaGammaFit, fit_gamma_gamma, gamma_gamma_expected_spend
from .holdout import (
    DEFAULT_LIKELIHOOD_DAYS,
    MAX_HOLDOUT_DAYS,
    MIN_CALIBRATION_DAYS,
    MIN_HOLDOUT_DAYS,
    MIN_REPEAT_BUYERS_TO_SPLIT,
    DecileRow,
    FrequencyRow,
    HoldoutData,
    HoldoutReport,
    ModelChoice,
    choose_model,
    choose_model_split,
    default_holdout_days,
    evaluate_holdout,
    split_calibration_holdout,
)
from .lifetime_value import clv
from .mbgnbd import MBGNBDFit, fit_mbgnbd, mbgnbd_expected_purchases, mbgnbd_p_alive
from .models import (
    DEFAULT_MODEL,
    MODELS,
    Fit,
    Model,
    PurchaseFit,
    get_model,
    model_of,
    purchase_probability,
)
from .pareto_nbd import (
    ParetoNBDFit,
    fit_pareto_nbd,
    pareto_nbd_expected_purchases,
    pareto_nbd_p_alive,
)
from .summary import (
    MONEY_DIGITS,
    CustomerSummary,
    add_units,
    money_units,
    summary_from_transactions,
)
from .utils import FEW_CUSTOMERS, FEW_REPEAT_BUYERS, BTYDInputError, FitFlag

__all__ = [
    "DEFAULT_LIKELIHOOD_DAYS",
    "DEFAULT_MODEL",
    "FEW_CUSTOMERS",
    "FEW_REPEAT_BUYERS",
    "MAX_HOLDOUT_DAYS",
    "MIN_CALIBRATION_DAYS",
    "MIN_HOLDOUT_DAYS",
    "MIN_REPEAT_BUYERS_TO_SPLIT",
    "MODELS",
    "MONEY_DIGITS",
    "BGNBDFit",
    "BTYDInputError",
    "CustomerSummary",
    "DecileRow",
    "Fit",
    "FitFlag",
    "FrequencyRow",
    "GammaGammaFit",
    "HoldoutData",
    "HoldoutReport",
    "MBGNBDFit",
    "Model",
    "ModelChoice",
    "ParetoNBDFit",
    "PurchaseFit",
    "add_units",
    "bgnbd_expected_purchases",
    "bgnbd_p_alive",
    "choose_model",
    "choose_model_split",
    "clv",
    "default_holdout_days",
    "evaluate_holdout",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_pareto_nbd",
    "gamma_gamma_expected_spend",
    "get_model",
    "mbgnbd_expected_purchases",
    "mbgnbd_p_alive",
    "model_of",
    "money_units",
    "pareto_nbd_expected_purchases",
    "pareto_nbd_p_alive",
    "purchase_probability",
    "split_calibration_holdout",
    "summary_from_transactions",
]
