"""Shared fixtures of the BTYD tests: the CDNOW sample and its fits.

The data are ``tests/data/cdnow_summary.csv`` (see ``tests/data/README_cdnow.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xl_addin.domain.btyd import BGNBDFit, GammaGammaFit, fit_bgnbd, fit_gamma_gamma

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    table = np.genfromtxt(DATA / "cdnow_summary.csv", delimiter=",", names=True)
    return {name: np.asarray(table[name], dtype=float) for name in table.dtype.names}


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: dict[str, np.ndarray]) -> BGNBDFit:
    return fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def cdnow_gg(cdnow: dict[str, np.ndarray]) -> GammaGammaFit:
    return fit_gamma_gamma(cdnow["frequency"], cdnow["monetary_value"])
