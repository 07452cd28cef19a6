"""Output sheets within Excel's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from xl_addin.errors import BookError
from xl_addin.excel.ooxml import MAX_COLS, MAX_ROWS, OutputSheet, write_book


def test_too_many_rows_or_columns(book: Path) -> None:
    with pytest.raises(BookError, match="1,048,577 rows") as err:
        write_book(book, book, [OutputSheet("Analysis", [[1]] * (MAX_ROWS + 1))])
    assert err.value.code == "too_large"
    with pytest.raises(BookError, match="column XFD"):
        write_book(book, book, [OutputSheet("Analysis", [[None] * (MAX_COLS + 1)])])
