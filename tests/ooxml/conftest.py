"""Fixtures of the ooxml tests: the decorated workbook, with a calcChain."""

from __future__ import annotations

from pathlib import Path

import pytest
from decorated import build_book


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return build_book(tmp_path, calc='<c r="D2" i="3"/><c r="A1" i="4"/>')
