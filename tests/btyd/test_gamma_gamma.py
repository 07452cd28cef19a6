"""Gamma-Gamma spend model (Fader & Hardie 2013): known values on CDNOW, refunds, q <= 1."""

from __future__ import annotations

import numpy as np
import pytest
from btyd_helpers import PAPER_GG, finite_non_negative

from xl_addin.domain.btyd import (
    BGNBDFit,
    GammaGammaFit,
    clv,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)


def test_gamma_gamma_cdnow_parameters_match_note(cdnow_gg: GammaGammaFit) -> None:
    # Fader & Hardie (2013) "The Gamma-Gamma Model of Monetary Value": p = 6.25, q = 3.74,
    # gamma = 15.44 on the 946 repeat buyers. Tolerance as in lifetimes'
    # test_params_out_is_close_to_Hardie_paper (numpy decimal=2, i.e. 1.5e-2).
    assert cdnow_gg.n == 946
    assert cdnow_gg.converged
    for name, value in PAPER_GG.items():
        assert getattr(cdnow_gg, name) == pytest.approx(value, abs=1.5e-2), name


def test_gamma_gamma_expected_spend_matches_hardie_sheet(
    cdnow: dict, cdnow_gg: GammaGammaFit
) -> None:
    # Fader & Hardie (2013) eq. 5; values for the first ten CDNOW customers from Hardie's
    # spreadsheet as quoted in lifetimes' test_conditional_expected_average_profit
    expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    x, m = cdnow["frequency"][:10], cdnow["monetary_value"][:10]
    np.testing.assert_allclose(gamma_gamma_expected_spend(cdnow_gg, x, m), expected, atol=0.01)
    published = GammaGammaFit(6.25, 3.74, 15.44, 0.0, 946, True, "", 15.44 * 6.25 / 2.74)
    np.testing.assert_allclose(gamma_gamma_expected_spend(published, x, m), expected, atol=0.1)
    assert cdnow_gg.population_mean == pytest.approx(35.17, abs=0.01)


def test_refunds_are_left_out_and_worth_zero(
    cdnow: dict, cdnow_gg: GammaGammaFit, cdnow_fit: BGNBDFit
) -> None:
    x = np.concatenate([cdnow["frequency"], [2.0, 3.0, 1.0]])
    m = np.concatenate([cdnow["monetary_value"], [-15.0, 0.0, -1.0]])
    tx = np.concatenate([cdnow["recency"], [10.0, 20.0, 5.0]])
    age = np.concatenate([cdnow["T"], [30.0, 30.0, 30.0]])
    gg = fit_gamma_gamma(x, m)
    assert gg.n == 946
    assert "3 repeat buyer(s)" in gg.message and "refund" in gg.message
    for name in ("p", "q", "v"):
        assert getattr(gg, name) == pytest.approx(getattr(cdnow_gg, name), rel=1e-9)
    spend = gamma_gamma_expected_spend(gg, x, m)
    assert np.all(spend[-3:] == 0.0)
    values = clv(cdnow_fit, gg, x, tx, age, m, time_unit_days=7)
    assert np.all(values[-3:] == 0.0) and finite_non_negative(values)


def test_gamma_gamma_infinite_mean_falls_back_to_observed() -> None:
    # spend heterogeneity with q < 1: the model's mean spend E[v p/(q-1)] does not exist
    rng = np.random.default_rng(7)
    n = 3000
    x = rng.integers(1, 6, size=n).astype(float)
    nu = rng.gamma(0.6, 1.0 / 5.0, size=n)
    m = rng.gamma(4.0 * x, 1.0 / (nu * x))
    gg = fit_gamma_gamma(x, m)
    assert gg.q <= 1.0
    assert "not above 1" in gg.message
    assert gg.population_mean == pytest.approx(m.mean())
    spend = gamma_gamma_expected_spend(gg, np.r_[x[:5], 0.0], np.r_[m[:5], 0.0])
    np.testing.assert_allclose(spend[:5], m[:5])
    assert spend[5] == pytest.approx(m.mean())
    explicit = GammaGammaFit(2.0, 0.8, 10.0, 0.0, 10, True, "", population_mean=12.5)
    np.testing.assert_allclose(
        gamma_gamma_expected_spend(explicit, [0, 3, 2], [0.0, 40.0, -5.0]), [12.5, 40.0, 0.0]
    )


def test_gamma_gamma_flags_say_why_with_counts(cdnow: dict) -> None:
    x = np.concatenate([cdnow["frequency"], [2.0, 3.0, 1.0]])
    m = np.concatenate([cdnow["monetary_value"], [-15.0, 0.0, -1.0]])
    flags = {flag.code: flag for flag in fit_gamma_gamma(x, m).flags}
    assert flags["refunds_left_out"].count == 3 and set(flags) == {"refunds_left_out"}
    nobody = fit_gamma_gamma(np.zeros(5), np.zeros(5))
    assert {flag.code for flag in nobody.flags} == {"no_repeat_buyers", "not_converged"}
    few = fit_gamma_gamma([1, 2, 0], [10.0, 12.0, 0.0])
    assert [flag.count for flag in few.flags if flag.code == "few_repeat_buyers"] == [2]
    assert "Only 2 repeat buyer(s)" in few.message
