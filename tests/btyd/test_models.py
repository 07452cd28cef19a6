"""The common model interface: MODELS, model_of/get_model, and clv() on every model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from xl_addin.domain.btyd import (
    DEFAULT_MODEL,
    MODELS,
    BTYDInputError,
    Fit,
    GammaGammaFit,
    clv,
    gamma_gamma_expected_spend,
    get_model,
    model_of,
)

NAMES = ["BGNBD", "MBGNBD", "ParetoNBD"]


@pytest.fixture(scope="module")
def fits(cdnow: dict[str, np.ndarray]) -> dict[str, Fit]:
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    return {name: MODELS[name].fit(x, tx, age) for name in NAMES}


def test_registry_lists_the_three_models() -> None:
    assert list(MODELS) == NAMES
    assert DEFAULT_MODEL == "BGNBD"
    with pytest.raises(TypeError):
        MODELS["other"] = MODELS["BGNBD"]  # type: ignore[index]


@pytest.mark.parametrize("name", NAMES, ids=NAMES)
def test_every_fit_has_the_common_fields(fits: dict, name: str) -> None:
    fit = fits[name]
    model = MODELS[name]
    assert isinstance(fit, Fit)
    assert fit.model == name and model_of(fit) is model
    assert tuple(fit.params) == model.param_names
    assert fit.n == 2357 and fit.converged and fit.message.startswith("Converged.")
    assert fit.flags == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.n = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", NAMES, ids=NAMES)
def test_a_column_of_horizons_gives_one_row_each(fits: dict, cdnow: dict, name: str) -> None:
    model, fit = MODELS[name], fits[name]
    x, tx, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    horizons = np.array([[0.0], [4.0], [13.0], [39.0]])
    table = model.expected_purchases(fit, horizons, x, tx, age)
    assert table.shape == (4, x.size)
    for row, h in zip(table, horizons[:, 0], strict=True):
        np.testing.assert_allclose(row, model.expected_purchases(fit, h, x, tx, age), rtol=1e-12)
    # E[Y(t) | x, t_x, T] = P(alive) * E[Y(t) | alive, x, T]
    alive = model.p_alive(fit, x, tx, age)
    np.testing.assert_allclose(
        table[3], alive * model.alive_expectation(fit, np.full(x.size, 39.0), x, age), rtol=1e-12
    )


@pytest.mark.parametrize(
    "alias, name",
    [
        ("BG/NBD", "BGNBD"),
        ("mbg/nbd", "MBGNBD"),
        ("Pareto/NBD", "ParetoNBD"),
        ("paretonbd", "ParetoNBD"),
    ],
    ids=["bg_label", "mbg_lower", "pareto_label", "pareto_plain"],
)
def test_get_model_accepts_labels(alias: str, name: str) -> None:
    assert get_model(alias) is MODELS[name]


def test_unknown_model_and_foreign_fit_raise_input_errors() -> None:
    with pytest.raises(BTYDInputError) as info:
        get_model("NBD")
    assert info.value.field == "model"
    gg = GammaGammaFit(6.25, 3.74, 15.44, 0.0, 946, True, "", 35.2)
    with pytest.raises(BTYDInputError) as info:
        clv(gg, gg, [1], [0.5], [1], [10], time_unit_days=7)
    assert info.value.field == "fit"


@pytest.mark.parametrize("name", NAMES, ids=NAMES)
def test_clv_is_the_discounted_monthly_sum_for_every_model(
    fits: dict, cdnow: dict, cdnow_gg, name: str
) -> None:
    model, fit = MODELS[name], fits[name]
    x, tx, age, m = (cdnow[k][:40] for k in ("frequency", "recency", "T", "monetary_value"))
    rate, margin, months, unit = 0.10, 0.3, 12, 7
    monthly = (1 + rate) ** (1 / 12) - 1
    spend = gamma_gamma_expected_spend(cdnow_gg, x, m)
    horizons = 30 * np.arange(months + 1)[:, None] / unit
    cumulative = model.expected_purchases(fit, horizons, x, tx, age)
    discount = (1 + monthly) ** -np.arange(1, months + 1)
    expected = margin * spend * (discount @ np.diff(cumulative, axis=0))
    got = clv(fit, cdnow_gg, x, tx, age, m, time_unit_days=unit)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@pytest.mark.parametrize(
    ("x", "tx", "T", "expected"),
    [
        # one-time buyer: P(alive) = 1 in BG/NBD, so 1 - (30/60)^0.5
        (0.0, 0.0, 20.0, 1 - 0.5**0.5),
        # P(alive) = 1 / (1 + 0.8/3 * (30/20)^2.5) times 1 - (30/60)^2.5
        (2.0, 10.0, 20.0, (1 - 0.5**2.5) / (1 + 0.8 / 3 * 1.5**2.5)),
    ],
    ids=["one-time", "repeat"],
)
def test_purchase_probability_by_hand(x, tx, T, expected) -> None:
    from xl_addin.domain.btyd import BGNBDFit, purchase_probability

    fit = BGNBDFit(0.5, 10.0, 0.8, 2.0, 0.0, 1, True, "")
    assert purchase_probability(fit, 30.0, x, tx, T) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["BGNBD", "MBGNBD", "ParetoNBD"])
def test_purchase_probability_stays_below_p_alive_and_one(name) -> None:
    from xl_addin.domain.btyd import MODELS, purchase_probability

    model = MODELS[name]
    x = np.array([0.0, 1.0, 5.0, 80.0])
    tx = np.array([0.0, 30.0, 300.0, 364.0])
    T = np.array([10.0, 200.0, 365.0, 365.0])
    fit = model.fit(np.r_[x, 1, 2, 0, 3], np.r_[tx, 50, 90, 0, 120], np.r_[T, 300, 300, 300, 300])
    p = purchase_probability(fit, 30.0, x, tx, T)
    alive = model.p_alive(fit, x, tx, T)
    assert np.all(p < alive) and np.all(p < 1) and np.all(p > 0)
