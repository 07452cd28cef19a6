"""Fixtures of the import tests: the book (see import_book.py) and the export files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from import_book import EXPORTS, TODAY, book_customers, book_orders


@pytest.fixture
def exports() -> Path:
    return EXPORTS


@pytest.fixture
def customers() -> pd.DataFrame:
    return book_customers()


@pytest.fixture
def orders() -> pd.DataFrame:
    return book_orders()


@pytest.fixture
def today() -> dt.date:
    return TODAY
