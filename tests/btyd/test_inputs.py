"""Bad inputs raise BTYDInputError naming the field; fits are frozen; the package is pure."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from btyd_helpers import PAPER_FIT, PAPER_GG_FIT

from xl_addin.domain import btyd
from xl_addin.domain.btyd import (
    BGNBDFit,
    BTYDInputError,
    GammaGammaFit,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    clv,
    fit_bgnbd,
    fit_gamma_gamma,
)


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: fit_bgnbd([1, np.nan], [1, 0], [2, 2]), "frequency"),
        (lambda: fit_bgnbd([1, 0], [-1, 0], [2, 2]), "recency"),
        (lambda: fit_bgnbd([1, 0], [3, 0], [2, 2]), "recency"),
        (lambda: fit_bgnbd([1.5, 0], [1, 0], [2, 2]), "frequency"),
        (lambda: fit_bgnbd([0, 0], [1, 0], [2, 2]), "recency"),
        (lambda: fit_bgnbd([1, 0], [1, 0], [2, np.inf]), "T"),
        (lambda: fit_bgnbd([1, 0, 2], [1, 0], [2, 2]), "frequency/recency/T"),
        (lambda: fit_bgnbd([], [], []), "frequency"),
        (lambda: fit_bgnbd(["a", "b"], [1, 0], [2, 2]), "frequency"),
        (lambda: fit_bgnbd([1, 0], [1, 0], [2, 2], weights=[1, -1]), "weights"),
        (lambda: fit_bgnbd([1, 0], [1, 0], [2, 2], maxiter=0), "maxiter"),
        (lambda: bgnbd_p_alive(PAPER_FIT, [-1], [0], [1]), "frequency"),
        (lambda: bgnbd_expected_purchases(PAPER_FIT, -1, [1], [0.5], [1]), "t"),
        (lambda: bgnbd_expected_purchases(PAPER_FIT, np.nan, [1], [0.5], [1]), "t"),
        (lambda: fit_gamma_gamma([1, 2], [10.0, np.nan]), "monetary_value"),
        (lambda: fit_gamma_gamma([1, -2], [10.0, 3.0]), "frequency"),
        (lambda: fit_gamma_gamma([1, 2, 3], [10.0, 3.0]), "frequency/monetary_value"),
        (
            lambda: clv(PAPER_FIT, PAPER_GG_FIT, [1], [0.5], [1], [10], time_unit_days=0),
            "time_unit_days",
        ),
        (
            lambda: clv(
                PAPER_FIT, PAPER_GG_FIT, [1], [0.5], [1], [10], time_unit_days=7, margin=1.5
            ),
            "margin",
        ),
        (
            lambda: clv(
                PAPER_FIT, PAPER_GG_FIT, [1], [0.5], [1], [10], time_unit_days=7, horizon_months=-1
            ),
            "horizon_months",
        ),
        (
            lambda: clv(
                PAPER_FIT,
                PAPER_GG_FIT,
                [1],
                [0.5],
                [1],
                [10],
                time_unit_days=7,
                discount_rate_annual=-2,
            ),
            "discount_rate_annual",
        ),
        (
            lambda: clv(PAPER_FIT, PAPER_GG_FIT, [1], [0.5], [1], [np.nan], time_unit_days=7),
            "monetary_value",
        ),
    ],
)
def test_invalid_input_raises_value_error_naming_the_problem(call, field: str) -> None:
    with pytest.raises(ValueError) as info:
        call()
    assert isinstance(info.value, BTYDInputError)
    assert info.value.field == field
    assert str(info.value).startswith(field + ":")
    assert len(info.value.problem) > 10


def test_fits_are_frozen(cdnow_fit: BGNBDFit, cdnow_gg: GammaGammaFit) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        cdnow_fit.r = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cdnow_gg.p = 1.0  # type: ignore[misc]
    assert cdnow_fit.message and cdnow_gg.message


def test_module_does_not_import_excel_or_lifetimes() -> None:
    # every file of the package, not only its __init__ (tests/test_architecture.py globs
    # xl_addin/domain/*.py, one level deep)
    files = sorted(Path(btyd.__file__).parent.glob("*.py"))
    assert len(files) >= 5
    imported: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert not imported & {"xlwings", "openpyxl", "xlsxwriter", "python_calamine", "lifetimes"}
    assert set(btyd.__all__) <= set(dir(btyd))
