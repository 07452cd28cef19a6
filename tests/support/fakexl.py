"""A stand-in for the few xlwings calls the live door makes (``Book.caller()``, sheets,
tables, ranges, the status bar, message boxes), so that the door's own logic is tested
headless. It is NOT Excel: what only Excel can show is a manual check (docs/excel.md).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FakeBook", "install"]


class FakeRange:
    def __init__(self, sheet: FakeSheet, r1: int, c1: int, r2: int | None = None,
                 c2: int | None = None) -> None:
        self.sheet, self.row, self.column = sheet, r1, c1
        self.r2 = r2 if r2 is not None else r1
        self.c2 = c2 if c2 is not None else c1

    def options(self, **_kw: Any) -> FakeRange:
        return self

    @property
    def value(self) -> list[list[Any]]:
        self.sheet.book.log.append(("read", self.sheet.name))
        return [row[self.column - 1:self.c2] for row in
                self.sheet.cells[self.row - 1:self.r2]]

    @value.setter
    def value(self, rows: list[list[Any]]) -> None:
        self.sheet.book.write(("write", self.sheet.name, self.row, rows))

    @property
    def rows(self) -> Any:
        return type("N", (), {"count": self.r2 - self.row + 1})()

    @property
    def columns(self) -> Any:
        return type("N", (), {"count": self.c2 - self.column + 1})()

    def clear_contents(self) -> None:
        self.sheet.book.write(("clear", self.sheet.name))


class FakeTable:
    def __init__(self, sheet: FakeSheet, name: str) -> None:
        self.sheet, self.name = sheet, name

    @property
    def range(self) -> FakeRange:
        return FakeRange(self.sheet, 1, 1, len(self.sheet.cells), len(self.sheet.cells[0]))

    def resize(self, rng: FakeRange) -> None:
        self.sheet.book.write(("resize", self.sheet.name, rng.r2))


class FakeSheet:
    def __init__(self, book: FakeBook, name: str, cells: list[list[Any]], table: bool) -> None:
        self.book, self.name = book, name
        width = max((len(r) for r in cells), default=0)
        self.cells = [list(r) + [None] * (width - len(r)) for r in cells]
        self.tables = [FakeTable(self, name)] if table else []

    @property
    def used_range(self) -> FakeRange:
        return FakeRange(self, 1, 1, max(len(self.cells), 1), max(len(self.cells[0]), 1)
                         if self.cells else 1)

    def range(self, a: Any, b: Any = None) -> FakeRange:
        if a == "A1":
            return FakeRange(self, 1, 1)
        if b is None:
            return FakeRange(self, a[0], a[1])
        return FakeRange(self, a[0], a[1], b[0], b[1])


class FakeSheets(list):
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return super().__getitem__(key)

    def add(self, name: str, after: Any = None) -> FakeSheet:
        sheet = FakeSheet(self.book, name, [], False)
        self.book.write(("add", name))
        self.append(sheet)
        return sheet


class FakeExcelApi:
    """``app.api``: Excel's Open dialog (``GetOpenFilename``) answers ``picked`` (False:
    the user closed it)."""

    def __init__(self) -> None:
        self.picked: Any = False
        self.asked: list[tuple] = []

    def GetOpenFilename(self, *args: Any) -> Any:  # noqa: N802 (Excel's own name)
        self.asked.append(args)
        return self.picked


class FakeApp:
    def __init__(self) -> None:
        self.alerts: list[str] = []
        self.status_bar: Any = False
        self.api = FakeExcelApi()
        self.answer = "ok"  # what an OK / Cancel message box answers

    def alert(self, text: str, title: str = "", buttons: str = "ok") -> str:
        self.alerts.append(text)
        return self.answer if buttons == "ok_cancel" else "ok"


class FakeBook:
    """The few xlwings calls the live door makes (NOT Excel: a unit test of our adapter)."""

    def __init__(self, sheets: dict[str, list[list[Any]]], fail_on_write: int = 0) -> None:
        self.log: list[tuple] = []
        self.name = "CustomerBook.xlsm"
        self.app = FakeApp()
        self.fail_on_write = fail_on_write
        self.sheets = FakeSheets()
        self.sheets.book = self  # type: ignore[attr-defined]
        for name, cells in sheets.items():
            self.sheets.append(FakeSheet(self, name, cells, name != "Settings"))

    def write(self, entry: tuple) -> None:
        self.log.append(entry)
        if self.fail_on_write and sum(e[0] != "read" for e in self.log) >= self.fail_on_write:
            raise OSError("Excel is busy (the user is editing a cell)")


def install(monkeypatch: Any, sheets: dict[str, list[list[Any]]], **kw: Any) -> FakeBook:
    """A FakeBook that ``xlwings.Book.caller()`` returns for the rest of the test."""
    import xlwings

    book = FakeBook(sheets, **kw)
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: book))
    return book
