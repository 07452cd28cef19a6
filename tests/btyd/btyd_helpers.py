"""Small helpers and reference values shared by the BTYD test modules."""

from __future__ import annotations

import numpy as np

from xl_addin.domain.btyd import BGNBDFit, GammaGammaFit

# Fader, Hardie & Lee (2005), Marketing Science 24(2), section 5 (CDNOW, weeks)
PAPER_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader & Hardie, "Implementing the BG/NBD Model for Customer Base Analysis in Excel"
PAPER_BGNBD_LL = -9582.4
# Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", CDNOW repeat buyers
PAPER_GG = {"p": 6.25, "q": 3.74, "v": 15.44}

# the published estimates as fits, for tests that need a fit without fitting
PAPER_FIT = BGNBDFit(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, True, "")
PAPER_GG_FIT = GammaGammaFit(6.25, 3.74, 15.44, 0.0, 946, True, "", 15.44 * 6.25 / 2.74)


def finite_non_negative(values: np.ndarray) -> bool:
    """True when every value is finite and >= 0."""
    values = np.asarray(values)
    return bool(np.all(np.isfinite(values)) and np.all(values >= 0))
