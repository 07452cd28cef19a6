"""Customer lifetime value: the discounted monthly sum it is defined as."""

from __future__ import annotations

import numpy as np

from xl_addin.domain.btyd import (
    BGNBDFit,
    GammaGammaFit,
    bgnbd_expected_purchases,
    clv,
    gamma_gamma_expected_spend,
)


def test_clv_matches_its_definition(
    cdnow: dict, cdnow_fit: BGNBDFit, cdnow_gg: GammaGammaFit
) -> None:
    x, tx, age, m = (cdnow[k][:25] for k in ("frequency", "recency", "T", "monetary_value"))
    rate, margin, months, unit = 0.10, 0.3, 12, 7
    monthly = (1 + rate) ** (1 / 12) - 1
    spend = gamma_gamma_expected_spend(cdnow_gg, x, m)
    expected = np.zeros(x.size)
    for i in range(1, months + 1):
        step = bgnbd_expected_purchases(
            cdnow_fit, 30 * i / unit, x, tx, age
        ) - bgnbd_expected_purchases(cdnow_fit, 30 * (i - 1) / unit, x, tx, age)
        expected += margin * spend * step / (1 + monthly) ** i
    got = clv(cdnow_fit, cdnow_gg, x, tx, age, m, time_unit_days=unit)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    # no discounting, full margin: CLV is spend x expected purchases over 360 days
    flat = clv(
        cdnow_fit,
        cdnow_gg,
        x,
        tx,
        age,
        m,
        time_unit_days=unit,
        discount_rate_annual=0.0,
        margin=1.0,
    )
    np.testing.assert_allclose(
        flat, spend * bgnbd_expected_purchases(cdnow_fit, 360 / 7, x, tx, age), rtol=1e-9
    )
    assert np.all(clv(cdnow_fit, cdnow_gg, x, tx, age, m, time_unit_days=7, horizon_months=0) == 0)
