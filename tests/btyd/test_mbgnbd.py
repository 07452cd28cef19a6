"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): CDNOW estimates, lifetimes, numerics.

Known values: lifetimes' ``ModifiedBetaGeoFitter`` on the CDNOW calibration data
(weeks) gives r = 0.525, alpha = 6.183, a = 0.891, b = 1.614 (three decimals); the
same fitter (lifetimes 0.11.3, the test extra) is re-run here on the same arrays.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from btyd_helpers import finite_non_negative
from scipy import integrate, stats

from xl_addin.domain.btyd import (
    MBGNBDFit,
    fit_mbgnbd,
    mbgnbd_expected_purchases,
    mbgnbd_p_alive,
)
from xl_addin.domain.btyd.mbgnbd import _MBGNBDObjective

KNOWN_MBGNBD = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}


@pytest.fixture(scope="module")
def mbg(cdnow: dict[str, np.ndarray]) -> MBGNBDFit:
    return fit_mbgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def lifetimes_mbg(cdnow: dict[str, np.ndarray]):
    import lifetimes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lifetimes.ModifiedBetaGeoFitter().fit(
            cdnow["frequency"], cdnow["recency"], cdnow["T"]
        )


@pytest.mark.parametrize("name", list(KNOWN_MBGNBD), ids=list(KNOWN_MBGNBD))
def test_cdnow_parameters_match_known_values(mbg: MBGNBDFit, name: str) -> None:
    assert getattr(mbg, name) == pytest.approx(KNOWN_MBGNBD[name], abs=5e-4)
    assert mbg.converged and mbg.flags == () and mbg.model == "MBGNBD"


def test_matches_lifetimes(mbg: MBGNBDFit, lifetimes_mbg, cdnow: dict) -> None:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    theirs = lifetimes_mbg.params_[["r", "alpha", "a", "b"]].to_numpy(float)
    np.testing.assert_allclose([mbg.r, mbg.alpha, mbg.a, mbg.b], theirs, rtol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        their_alive = np.asarray(lifetimes_mbg.conditional_probability_alive(x, tx, age))
        their_e39 = np.asarray(
            lifetimes_mbg.conditional_expected_number_of_purchases_up_to_time(39, x, tx, age)
        )
        # lifetimes' own log-likelihood: its objective is the mean over customers on times
        # divided by max(T); back to a sum in weeks
        scaled = theirs * np.array([1.0, 1.0 / age.max(), 1.0, 1.0])
        their_ll = -lifetimes_mbg._negative_log_likelihood(
            np.log(scaled), x, tx / age.max(), age / age.max(), np.ones(x.size), 0.0
        ) * x.size + x.sum() * np.log(1 / age.max())
    np.testing.assert_allclose(mbgnbd_p_alive(mbg, x, tx, age), their_alive, atol=1e-5)
    np.testing.assert_allclose(mbgnbd_expected_purchases(mbg, 39, x, tx, age), their_e39, atol=1e-4)
    assert mbg.log_likelihood == pytest.approx(their_ll, abs=1e-3)
    same = dataclasses.replace(mbg, **dict(zip(("r", "alpha", "a", "b"), theirs, strict=True)))
    np.testing.assert_allclose(mbgnbd_p_alive(same, x, tx, age), their_alive, rtol=1e-12)
    np.testing.assert_allclose(
        mbgnbd_expected_purchases(same, 39, x, tx, age), their_e39, rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize(
    "r, alpha, a, b, t, x, T",
    [
        (0.525, 6.183, 0.891, 1.614, 39.0, 2, 38.86),
        (0.525, 6.183, 0.891, 1.614, 39.0, 0, 20.0),
        (1.2, 3.0, 2.5, 0.4, 10.0, 7, 30.0),
        (0.3, 10.0, 0.2, 0.05, 100.0, 40, 30.0),
    ],
    ids=["cdnow_x2", "cdnow_one_time", "a_above_1", "small_a_b"],
)
def test_alive_expectation_is_the_beta_mixture(r, alpha, a, b, t, x, T) -> None:
    # alive after x repeat purchases, p ~ Beta(a, b + x + 1) and the expected purchases in
    # (T, T+t] are E_p[(1 - (1 + p t/(alpha+T))^-(r+x)) / p] (Batislam et al. 2007, app. A)
    fit = MBGNBDFit(r, alpha, a, b, 0.0, 1, True, "")
    tx = T if x > 0 else 0.0
    alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
    got = float(mbgnbd_expected_purchases(fit, t, x, tx, T)) / alive
    sv = t / (alpha + T)
    dist = stats.beta(a, b + x + 1)

    def integrand(p: float) -> float:
        return -math.expm1(-(r + x) * math.log1p(p * sv)) / p * dist.pdf(p)

    expected, _ = integrate.quad(integrand, 0, 1, epsabs=0, epsrel=1e-11, limit=200)
    assert got == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize(
    "theta",
    [(0.5, 0.16, 0.9, 1.6), (2.0, 1e-3, 0.01, 5.0), (0.1, 3.0, 5.0, 0.01)],
    ids=["near_optimum", "extreme_1", "extreme_2"],
)
def test_analytic_gradient_matches_finite_differences(cdnow: dict, theta) -> None:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    obj = _MBGNBDObjective(x, tx / age.max(), age / age.max(), np.ones(x.size))
    th = np.log(np.array(theta))
    _, grad = obj(th)
    h = 1e-6
    numeric = [(obj(th + e)[0] - obj(th - e)[0]) / (2 * h) for e in np.eye(4) * h]
    np.testing.assert_allclose(grad, numeric, atol=1e-7)


def test_time_unit_invariance_and_weights(cdnow: dict, mbg: MBGNBDFit) -> None:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    days = fit_mbgnbd(x, tx * 7, age * 7)
    assert days.alpha == pytest.approx(mbg.alpha * 7, rel=1e-5)
    for name in ("r", "a", "b"):
        assert getattr(days, name) == pytest.approx(getattr(mbg, name), rel=1e-5)
    assert days.log_likelihood == pytest.approx(mbg.log_likelihood - x.sum() * np.log(7), abs=1e-5)
    rows = np.column_stack([x, tx, age])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    weighted = fit_mbgnbd(unique[:, 0], unique[:, 1], unique[:, 2], weights=counts)
    assert weighted.n == 2357
    assert weighted.log_likelihood == pytest.approx(mbg.log_likelihood, abs=1e-6)


def test_one_time_buyers_are_not_certainly_alive(mbg: MBGNBDFit) -> None:
    ages = np.array([1.0, 10.0, 20.0, 39.0, 78.0])
    alive = mbgnbd_p_alive(mbg, np.zeros(5), np.zeros(5), ages)
    # at most 1 / (1 + a/b): dropout is possible right after the first purchase
    assert np.all(alive < 1 / (1 + mbg.a / mbg.b) + 1e-12) and np.all(np.diff(alive) < 0)


def test_expected_purchases_column_of_horizons(mbg: MBGNBDFit, cdnow: dict) -> None:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    values = mbgnbd_expected_purchases(mbg, np.array([[0.0], [13.0], [39.0], [520.0]]), x, tx, age)
    assert values.shape == (4, x.size)
    assert np.all(values[0] == 0) and np.all(np.diff(values, axis=0) >= -1e-12)
    np.testing.assert_allclose(values[2], mbgnbd_expected_purchases(mbg, 39.0, x, tx, age))


@pytest.mark.parametrize(
    "x, tx, age",
    [([3], [20.0], [30.0]), ([0], [0.0], [10.0]), ([2, 0], [5.0, 0.0], [10.0, 3.0])],
    ids=["one_repeat_buyer", "one_single_buyer", "two_mixed"],
)
def test_tiny_populations_give_finite_flagged_fits(x: list, tx: list, age: list) -> None:
    fit = fit_mbgnbd(x, tx, age)
    assert all(math.isfinite(v) and v > 0 for v in fit.params.values())
    assert any(flag.code == "few_customers" and flag.count == len(x) for flag in fit.flags)
    alive = mbgnbd_p_alive(fit, x, tx, age)
    assert np.all((alive >= 0) & (alive <= 1))
    assert finite_non_negative(mbgnbd_expected_purchases(fit, 52.0, x, tx, age))
