"""Shared pytest setup: the as-of date every test book uses, as a fixture."""

from __future__ import annotations

import datetime as dt

import pytest
from support.books import AS_OF


@pytest.fixture
def as_of() -> dt.date:
    """The Settings AsOfDate of every test book."""
    return AS_OF
