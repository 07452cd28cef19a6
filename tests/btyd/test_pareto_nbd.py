"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): CDNOW estimates, lifetimes, numerics.

Published values: Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way",
Marketing Science 24(2), section 5, fit the Pareto/NBD to the same CDNOW calibration
data (weeks): r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67, LL = -9595.0.
``lifetimes`` 0.11.3 (the test extra) is the peer implementation.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from btyd_helpers import finite_non_negative
from scipy.integrate import quad

from xl_addin.domain.btyd import (
    ParetoNBDFit,
    fit_pareto_nbd,
    pareto_nbd_expected_purchases,
    pareto_nbd_p_alive,
)
from xl_addin.domain.btyd.pareto_nbd import _log_k, _log_tail, _ParetoNBDObjective

# FHL 2005, section 5 (Pareto/NBD on CDNOW, weeks), published to two decimals
PAPER_PNBD = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
PAPER_PNBD_LL = -9595.0


@pytest.fixture(scope="module")
def pnbd(cdnow: dict[str, np.ndarray]) -> ParetoNBDFit:
    return fit_pareto_nbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def lifetimes_pnbd(cdnow: dict[str, np.ndarray]):
    import lifetimes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # a fixed start (its default start is random) and a tight tolerance
        return lifetimes.ParetoNBDFitter().fit(
            cdnow["frequency"],
            cdnow["recency"],
            cdnow["T"],
            initial_params=np.ones(4),
            tol=1e-10,
            maxiter=20_000,
        )


@pytest.mark.parametrize("name", list(PAPER_PNBD), ids=list(PAPER_PNBD))
def test_cdnow_parameters_match_paper(pnbd: ParetoNBDFit, name: str) -> None:
    # FHL 2005 section 5: r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67 (2 decimals)
    assert getattr(pnbd, name) == pytest.approx(PAPER_PNBD[name], abs=0.005)
    assert pnbd.converged and pnbd.flags == ()
    assert pnbd.n == 2357 and pnbd.model == "ParetoNBD"


def test_cdnow_log_likelihood_matches_paper(pnbd: ParetoNBDFit) -> None:
    # FHL 2005 section 5: LL = -9595.0 (one decimal)
    assert pnbd.log_likelihood == pytest.approx(PAPER_PNBD_LL, abs=0.05)


def test_matches_lifetimes(pnbd: ParetoNBDFit, lifetimes_pnbd, cdnow: dict) -> None:
    """Same arrays through lifetimes' ParetoNBDFitter (Nelder-Mead)."""
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    theirs = lifetimes_pnbd.params_[["r", "alpha", "s", "beta"]].to_numpy(float)
    np.testing.assert_allclose([pnbd.r, pnbd.alpha, pnbd.s, pnbd.beta], theirs, rtol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        their_alive = np.asarray(lifetimes_pnbd.conditional_probability_alive(x, tx, age))
        their_e39 = np.asarray(
            lifetimes_pnbd.conditional_expected_number_of_purchases_up_to_time(39, x, tx, age)
        )
    np.testing.assert_allclose(pareto_nbd_p_alive(pnbd, x, tx, age), their_alive, atol=1e-5)
    np.testing.assert_allclose(
        pareto_nbd_expected_purchases(pnbd, 39, x, tx, age), their_e39, rtol=1e-5, atol=1e-4
    )
    # with lifetimes' own parameters the closed forms agree to rounding (eq. 36-37, 41)
    same = dataclasses.replace(pnbd, **dict(zip(("r", "alpha", "s", "beta"), theirs, strict=True)))
    np.testing.assert_allclose(pareto_nbd_p_alive(same, x, tx, age), their_alive, rtol=1e-9)
    np.testing.assert_allclose(
        pareto_nbd_expected_purchases(same, 39, x, tx, age), their_e39, rtol=1e-9, atol=1e-12
    )


# log K(p, q, z) = log[2F1(p, 1-q; p+1; z) / p] from mpmath at 40 digits, z = 1 - zc
LOG_K_CASES = {
    # name: (p, q, zc, expected)
    "cdnow_like": (3.16, -0.61, 0.9, -1.0225266520219277),
    "alpha_below_beta": (6.16, -4.55, 0.95, -1.5733306289374636),
    "z_near_one": (3.2, -0.6, 1e-09, 12.944770159722199),
    "large_x_near_one": (300.6, -299.5, 1e-07, 4821.6675330440928),
    "tiny_p": (0.004, 0.998, 1e-06, 5.5214740580506893),
    "tiny_s": (10.03, -0.0256, 2.6e-12, 3.5640724499016235),
    "x_3000": (3000.3, -2999.0, 5e-10, 64219.816605322814),
    "small_z": (2.0, -0.5, 0.999999999, -0.69314717955994534),
}


@pytest.mark.parametrize("case", list(LOG_K_CASES), ids=list(LOG_K_CASES))
def test_hypergeometric_term_matches_mpmath(case: str) -> None:
    # scipy.special.hyp2f1 returns NaN/inf for several of these (large x with z near 1)
    p, q, zc, expected = LOG_K_CASES[case]
    value = float(_log_k(np.array([p]), np.array([q]), np.array([1.0 - zc]), np.array([zc]))[0][0])
    assert math.isfinite(value)
    assert value == pytest.approx(expected, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize(
    "r, alpha, s, beta, x, tx, T",
    [
        (0.55, 10.58, 0.61, 11.67, 2, 30.43, 38.86),  # alpha < beta
        (0.55, 11.67, 0.61, 10.58, 2, 30.43, 38.86),  # alpha > beta
        (0.8, 3.0, 2.5, 3.0, 0, 0.0, 20.0),  # alpha == beta
        (0.3, 0.5, 0.2, 40.0, 15, 5.0, 39.0),  # z close to 1
        (1.5, 40.0, 4.0, 0.05, 7, 1.0, 30.0),
    ],
    ids=["alpha_below_beta", "alpha_above_beta", "alpha_equals_beta", "z_near_one", "small_beta"],
)
def test_tail_difference_equals_the_death_time_integral(r, alpha, s, beta, x, tx, T) -> None:
    # FHL note 009, eq. (18): s/(r+s+x) A0 = int_tx^T s (alpha+t)^-(r+x) (beta+t)^-(s+1) dt,
    # here by adaptive quadrature (scipy.integrate.quad), independent of our 2F1 evaluation
    log_f, _ = _log_tail(r, alpha, s, beta, np.array([x, x], float), np.array([tx, T]), grad=False)
    ours = math.exp(log_f[0]) - math.exp(log_f[1])
    expected, _ = quad(
        lambda t: s * (alpha + t) ** -(r + x) * (beta + t) ** -(s + 1),
        tx,
        T,
        epsabs=0,
        epsrel=1e-13,
    )
    assert ours == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    "theta",
    [(0.55, 0.27, 0.6, 0.3), (0.55, 0.5, 0.6, 0.1), (2.0, 1e-3, 0.01, 5.0), (0.1, 3.0, 5.0, 0.01)],
    ids=["near_optimum", "alpha_above_beta", "extreme_1", "extreme_2"],
)
def test_analytic_gradient_matches_finite_differences(cdnow: dict, theta) -> None:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    obj = _ParetoNBDObjective(x, tx / age.max(), age / age.max(), np.ones(x.size))
    th = np.log(np.array(theta))
    _, grad = obj(th)
    h = 1e-6
    numeric = [(obj(th + e)[0] - obj(th - e)[0]) / (2 * h) for e in np.eye(4) * h]
    np.testing.assert_allclose(grad, numeric, atol=1e-7)


def test_likelihood_is_continuous_where_alpha_crosses_beta(cdnow: dict) -> None:
    # the two 2F1 branches of eq. (19)/(20) must meet at alpha = beta
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    obj = _ParetoNBDObjective(x, tx / age.max(), age / age.max(), np.ones(x.size))
    values = [obj(np.log([0.55, 0.3 * (1 + d), 0.6, 0.3]))[0] for d in (-1e-9, 0.0, 1e-9)]
    assert max(values) - min(values) < 1e-8


def test_time_unit_invariance(cdnow: dict, pnbd: ParetoNBDFit) -> None:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    days = fit_pareto_nbd(x, tx * 7, age * 7)
    for name in ("alpha", "beta"):
        assert getattr(days, name) == pytest.approx(getattr(pnbd, name) * 7, rel=1e-5)
    for name in ("r", "s"):
        assert getattr(days, name) == pytest.approx(getattr(pnbd, name), rel=1e-5)
    assert days.log_likelihood == pytest.approx(pnbd.log_likelihood - x.sum() * np.log(7), abs=1e-5)
    np.testing.assert_allclose(
        pareto_nbd_p_alive(days, x, tx * 7, age * 7),
        pareto_nbd_p_alive(pnbd, x, tx, age),
        atol=1e-6,
    )


def test_weights_equal_repeated_rows(cdnow: dict, pnbd: ParetoNBDFit) -> None:
    rows = np.column_stack([cdnow["frequency"], cdnow["recency"], cdnow["T"]])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    fit = fit_pareto_nbd(unique[:, 0], unique[:, 1], unique[:, 2], weights=counts)
    assert fit.n == 2357
    np.testing.assert_allclose(
        [fit.r, fit.alpha, fit.s, fit.beta], [pnbd.r, pnbd.alpha, pnbd.s, pnbd.beta], rtol=1e-6
    )
    assert fit.log_likelihood == pytest.approx(pnbd.log_likelihood, abs=1e-6)


def test_expected_purchases_column_of_horizons_and_s_equal_one(pnbd: ParetoNBDFit, cdnow) -> None:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    horizons = np.array([[0.0], [1.0], [13.0], [39.0], [520.0]])
    values = pareto_nbd_expected_purchases(pnbd, horizons, x, tx, age)
    assert values.shape == (5, x.size)
    assert np.all(values[0] == 0.0) and np.all(np.diff(values, axis=0) >= 0)
    np.testing.assert_allclose(values[3], pareto_nbd_expected_purchases(pnbd, 39.0, x, tx, age))
    # eq. (41) has a removable singularity at s = 1: both sides agree with the log limit
    at_one = dataclasses.replace(pnbd, s=1.0)
    near = [dataclasses.replace(pnbd, s=1.0 + d) for d in (-1e-7, 1e-7)]
    exact = pareto_nbd_expected_purchases(at_one, 39.0, x[:50], tx[:50], age[:50])
    for fit in near:
        got = pareto_nbd_expected_purchases(fit, 39.0, x[:50], tx[:50], age[:50])
        np.testing.assert_allclose(got, exact, rtol=1e-5)
    # the limit itself: (r+x)/(alpha+T) (beta+T) ln(1 + t/(beta+T)) times P(alive)
    r, alpha, beta = pnbd.r, pnbd.alpha, pnbd.beta
    alive = pareto_nbd_p_alive(at_one, x[:50], tx[:50], age[:50])
    limit = alive * (r + x[:50]) / (alpha + age[:50]) * (beta + age[:50])
    limit = limit * np.log1p(39.0 / (beta + age[:50]))
    np.testing.assert_allclose(exact, limit, rtol=1e-12)


def test_one_time_buyers_are_not_certainly_alive(pnbd: ParetoNBDFit) -> None:
    ages = np.array([1.0, 10.0, 20.0, 39.0, 78.0])
    alive = pareto_nbd_p_alive(pnbd, np.zeros(5), np.zeros(5), ages)
    assert np.all(alive < 1.0) and np.all(np.diff(alive) < 0)


def test_all_one_time_buyers_are_flagged() -> None:
    x, tx, age = np.zeros(40), np.zeros(40), np.linspace(1, 40, 40)
    fit = fit_pareto_nbd(x, tx, age)
    assert not fit.converged and "repeat purchase" in fit.message
    codes = {flag.code for flag in fit.flags}
    assert {"no_repeat_buyers", "not_converged"} <= codes
    assert all(math.isfinite(v) and v > 0 for v in fit.params.values())
    assert finite_non_negative(pareto_nbd_expected_purchases(fit, 52, x, tx, age))


@pytest.mark.parametrize(
    "x, tx, age",
    [
        ([3], [20.0], [30.0]),
        ([0], [0.0], [10.0]),
        ([2, 0], [5.0, 0.0], [10.0, 3.0]),
        ([1, 1], [4.0, 4.0], [4.0, 4.0]),
        ([5, 7, 0], [0.5, 1.0, 0.0], [1.0, 1.0, 1.0]),
    ],
    ids=["one_repeat_buyer", "one_single_buyer", "two_mixed", "two_identical", "three"],
)
def test_tiny_populations_give_finite_flagged_fits(x: list, tx: list, age: list) -> None:
    fit = fit_pareto_nbd(x, tx, age)
    assert all(math.isfinite(v) and v > 0 for v in fit.params.values())
    assert math.isfinite(fit.log_likelihood)
    few = [flag for flag in fit.flags if flag.code == "few_customers"]
    assert few and few[0].count == len(x)
    assert f"Only {len(x)} customer(s)" in fit.message
    alive = pareto_nbd_p_alive(fit, x, tx, age)
    assert np.all((alive >= 0) & (alive <= 1))
    for horizon in (0.5, 10.0, 1000.0):
        assert finite_non_negative(pareto_nbd_expected_purchases(fit, horizon, x, tx, age))


def test_non_convergence_is_reported(cdnow: dict) -> None:
    fit = fit_pareto_nbd(cdnow["frequency"], cdnow["recency"], cdnow["T"], maxiter=1)
    assert not fit.converged and "did not converge" in fit.message
    assert [flag.code for flag in fit.flags] == ["not_converged"]
    assert fit.flags[0].detail
