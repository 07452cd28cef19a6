"""One interface over the three purchase-count models: BG/NBD, MBG/NBD and Pareto/NBD.

``MODELS`` maps a model name to a :class:`Model` whose ``fit``, ``p_alive`` and
``expected_purchases`` have the same signatures for every model::

    model = MODELS["ParetoNBD"]
    fit = model.fit(frequency, recency, T)                 # -> a frozen fit dataclass
    alive = model.p_alive(fit, frequency, recency, T)
    e = model.expected_purchases(fit, [[13], [26], [52]], frequency, recency, T)  # (3, n)

``purchase_probability(fit, t, frequency, recency, T)`` is the chance of at least one
purchase in the next ``t``, for any of the three fits.

Every fit has ``params`` (dict), ``log_likelihood``, ``n``, ``converged``, ``message``,
``flags`` and ``model`` (its key in ``MODELS``); :func:`model_of` finds a fit's model.
The log-likelihoods are comparable across models on the same data (same time unit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from . import bgnbd, mbgnbd, pareto_nbd
from .bgnbd import BGNBDFit
from .mbgnbd import MBGNBDFit
from .pareto_nbd import ParetoNBDFit
from .utils import BTYDInputError, FitFlag, FloatArray

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "Fit",
    "Model",
    "PurchaseFit",
    "get_model",
    "model_of",
    "purchase_probability",
]

#: Any fitted purchase-count model.
PurchaseFit = BGNBDFit | MBGNBDFit | ParetoNBDFit


@runtime_checkable
class Fit(Protocol):
    """What every purchase-count fit offers (the three fit dataclasses satisfy it)."""

    @property
    def model(self) -> str: ...

    @property
    def params(self) -> dict[str, float]: ...

    log_likelihood: float
    n: int
    converged: bool
    message: str
    flags: tuple[FitFlag, ...]


@dataclass(frozen=True)
class Model:
    """A purchase-count model: its name, reference and three functions.

    ``alive_expectation(fit, t, x, T)`` is E[purchases in (T, T+t] | alive at T], which
    depends on (x, T) only; ``expected_purchases = p_alive * alive_expectation``.
    """

    name: str
    label: str
    reference: str
    param_names: tuple[str, ...]
    fit_type: type
    fit: Callable[..., Any]
    p_alive: Callable[[Any, ArrayLike, ArrayLike, ArrayLike], FloatArray]
    expected_purchases: Callable[[Any, ArrayLike, ArrayLike, ArrayLike, ArrayLike], FloatArray]
    alive_expectation: Callable[[Any, FloatArray, FloatArray, FloatArray], FloatArray]
    check: Callable[[Any], tuple[float, ...]]


def _bg_alive(fit: BGNBDFit, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
    r, alpha, a, b = bgnbd._params(fit)
    return bgnbd._alive_expectation(r, alpha, a, b, t, x, age)


def _mbg_alive(fit: MBGNBDFit, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
    r, alpha, a, b = mbgnbd._params(fit)
    return bgnbd._alive_expectation(r, alpha, a, b + 1.0, t, x, age)


def _pnbd_alive(fit: ParetoNBDFit, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
    r, alpha, s, beta = pareto_nbd._params(fit)
    return pareto_nbd._alive_expectation(r, alpha, s, beta, t, x, age)


MODELS: Mapping[str, Model] = MappingProxyType(
    {
        "BGNBD": Model(
            name="BGNBD",
            label="BG/NBD",
            reference="Fader, Hardie & Lee (2005), Marketing Science 24(2)",
            param_names=("r", "alpha", "a", "b"),
            fit_type=BGNBDFit,
            fit=bgnbd.fit_bgnbd,
            p_alive=bgnbd.bgnbd_p_alive,
            expected_purchases=bgnbd.bgnbd_expected_purchases,
            alive_expectation=_bg_alive,
            check=bgnbd._params,
        ),
        "MBGNBD": Model(
            name="MBGNBD",
            label="MBG/NBD",
            reference="Batislam, Denizel & Filiztekin (2007), IJRM 24(3)",
            param_names=("r", "alpha", "a", "b"),
            fit_type=MBGNBDFit,
            fit=mbgnbd.fit_mbgnbd,
            p_alive=mbgnbd.mbgnbd_p_alive,
            expected_purchases=mbgnbd.mbgnbd_expected_purchases,
            alive_expectation=_mbg_alive,
            check=mbgnbd._params,
        ),
        "ParetoNBD": Model(
            name="ParetoNBD",
            label="Pareto/NBD",
            reference="Schmittlein, Morrison & Colombo (1987), Management Science 33(1)",
            param_names=("r", "alpha", "s", "beta"),
            fit_type=ParetoNBDFit,
            fit=pareto_nbd.fit_pareto_nbd,
            p_alive=pareto_nbd.pareto_nbd_p_alive,
            expected_purchases=pareto_nbd.pareto_nbd_expected_purchases,
            alive_expectation=_pnbd_alive,
            check=pareto_nbd._params,
        ),
    }
)

#: The model used when no other is chosen (and the tie-break of ``choose_model``).
DEFAULT_MODEL = "BGNBD"

_ALIASES = {
    key.lower(): name
    for name, m in MODELS.items()
    for key in (name, m.label, m.label.replace("/", ""), m.label.replace("/", "_"))
}


def get_model(name: str) -> Model:
    """The :class:`Model` called ``name`` ("BGNBD", "BG/NBD", "pareto/nbd"...; any case)."""
    key = _ALIASES.get(str(name).strip().lower())
    if key is None:
        raise BTYDInputError("model", f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[key]


def model_of(fit: Any) -> Model:
    """The :class:`Model` that produced ``fit``."""
    for model in MODELS.values():
        if isinstance(fit, model.fit_type):
            return model
    raise BTYDInputError(
        "fit",
        f"must be a BG/NBD, MBG/NBD or Pareto/NBD fit, got {type(fit).__name__}",
    )


def purchase_probability(
    fit: Any, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(at least one purchase in (T, T+t] | x, t_x, T) for a BG/NBD, MBG/NBD or Pareto/NBD fit.

    ``P(alive) * (1 - ((alpha+T)/(alpha+T+t))^(r+x))``: a customer alive at T buys in the
    window unless their Poisson purchase process is silent for ``t``; given alive, the
    purchase rate is Gamma(r+x, alpha+T) a posteriori in all three models (FHL 2005,
    eq. 2 and note 009, section 4), and E[exp(-lambda t)] under that Gamma is the ratio
    above. For BG/NBD and MBG/NBD this is exact (dropout happens only at a purchase);
    for Pareto/NBD it ignores dropout inside the window, an upper bound whose error is
    of the order of (t / expected lifetime). Always below P(alive), so never 1 for a
    customer the model cannot be sure of. ``t`` broadcasts like the expectations'.
    """
    from .utils import _horizon, _rft

    spec = model_of(fit)
    r, alpha = float(fit.r), float(fit.alpha)
    spec.check(fit)
    horizon = _horizon(t)
    x, tx, age = _rft(frequency, recency, T)
    alive = spec.p_alive(fit, x, tx, age)
    horizon, x, age, alive = np.broadcast_arrays(horizon, x, age, alive)
    with np.errstate(all="ignore"):
        log_silent = (r + x) * (np.log(alpha + age) - np.log(alpha + age + horizon))
    return np.asarray(alive * -np.expm1(log_silent), dtype=np.float64)
