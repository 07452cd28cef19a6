"""Invariants of the three purchase models (hypothesis).

* One-time buyers: BG/NBD says every customer without a repeat purchase is alive
  (FHL 2005: dropout can only follow a repeat purchase); Pareto/NBD and MBG/NBD let
  them drop out, so their P(alive) is below 1 and falls with the time T since their
  only purchase.
* Honest small books: every fit says in ``flags`` why it may be uncertain, with the
  counts (see :class:`xl_addin.domain.btyd.FitFlag`).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_addin.domain.btyd import (
    FEW_CUSTOMERS,
    FEW_REPEAT_BUYERS,
    MODELS,
    BGNBDFit,
    MBGNBDFit,
    ParetoNBDFit,
    bgnbd_p_alive,
    mbgnbd_p_alive,
    pareto_nbd_p_alive,
)

_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
_param = st.floats(-4.0, 4.0).map(math.exp)
_ages = st.lists(st.floats(0.1, 500.0), min_size=2, max_size=12)


@_SETTINGS
@given(_param, _param, _param, _param, _ages)
def test_one_time_buyers_alive_under_bgnbd_only(r, alpha, a_or_s, b_or_beta, ages) -> None:
    ages = np.sort(np.array(ages))
    zeros = np.zeros(ages.size)
    bg = BGNBDFit(r, alpha, a_or_s, b_or_beta, 0.0, 1, True, "")
    assert np.all(bgnbd_p_alive(bg, zeros, zeros, ages) == 1.0)
    for alive in (
        pareto_nbd_p_alive(
            ParetoNBDFit(r, alpha, a_or_s, b_or_beta, 0.0, 1, True, ""), zeros, zeros, ages
        ),
        mbgnbd_p_alive(
            MBGNBDFit(r, alpha, a_or_s, b_or_beta, 0.0, 1, True, ""), zeros, zeros, ages
        ),
    ):
        assert np.all((alive > 0) & (alive < 1))
        # the longer since their only purchase, the less likely they are still customers
        assert np.all(np.diff(alive) <= 1e-12)


@st.composite
def small_books(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 25))
    x = np.array(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)), dtype=float)
    if draw(st.booleans()):
        x[: draw(st.integers(0, n))] = 0.0  # many one-time buyers, sometimes all of them
    age = np.array(draw(st.lists(st.floats(1.0, 100.0), min_size=n, max_size=n)))
    frac = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    return x, np.where(x > 0, age * frac, 0.0), age


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(small_books())
def test_fits_flag_small_books_with_counts(book) -> None:
    x, tx, age = book
    n, buyers = x.size, int(np.count_nonzero(x))
    for name, model in MODELS.items():
        fit = model.fit(x, tx, age)
        codes = [flag.code for flag in fit.flags]
        by_code = {flag.code: flag for flag in fit.flags}
        assert ("few_customers" in codes) == (n < FEW_CUSTOMERS), name
        if "few_customers" in by_code:
            assert by_code["few_customers"].count == n
            assert f"Only {n} customer(s)" in fit.message
        assert ("no_repeat_buyers" in codes) == (buyers == 0), name
        assert ("few_repeat_buyers" in codes) == (0 < buyers < FEW_REPEAT_BUYERS), name
        if "few_repeat_buyers" in by_code:
            assert by_code["few_repeat_buyers"].count == buyers
        bound = {flag.parameter for flag in fit.flags if flag.code == "at_bound"}
        assert bound <= set(fit.params)
        if bound or "not_converged" in codes or buyers == 0:
            assert not fit.converged
        if fit.converged:
            assert fit.message.startswith("Converged.")
        assert all(math.isfinite(v) and v > 0 for v in fit.params.values())
        alive = model.p_alive(fit, x, tx, age)
        assert np.all((alive >= 0) & (alive <= 1))
