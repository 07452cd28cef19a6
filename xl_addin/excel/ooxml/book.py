"""A book as its package stores it: the sheets, their parts and the Tables, and the
errors that say what is wrong with a book (as opposed to with the calling code)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import BookError, Said

__all__ = ["BookInfo", "Sheet", "Table", "TableInfo", "corrupt", "too_large",
           "unsupported_layout"]


@dataclass(frozen=True)
class TableInfo:
    """An Excel Table (ListObject) as stored in the file."""

    name: str  #: displayName (what Excel shows)
    sheet: str  #: the sheet it lives on
    ref: str  #: e.g. ``"A1:N201"`` (header and totals rows included)
    header_rows: int  #: 0 or 1 (``headerRowCount``)
    totals_rows: int  #: 0 or 1 (``totalsRowCount``)
    part: str  #: zip member, e.g. ``"xl/tables/table1.xml"``


@dataclass(frozen=True)
class BookInfo:
    """What :func:`inspect_book` learnt about a workbook without reading any sheet."""

    path: Path
    sheets: tuple[str, ...]  #: in workbook (tab) order
    sheet_parts: dict[str, str]  #: sheet name -> zip member
    tables: tuple[TableInfo, ...]
    date1904: bool
    macro_enabled: bool  #: has a VBA project / macro-enabled content type
    strict: bool = False  #: saved as "Strict Open XML" (ISO 29500 strict namespaces)


@dataclass
class Sheet:
    """A sheet as the workbook lists it."""

    name: str
    sheet_id: int
    rid: str
    part: str | None
    kind: str  #: worksheet, chartsheet, dialogsheet, macrosheet, ...
    index: int


@dataclass
class Table:
    """A Table and the worksheet part it lives on."""

    info: TableInfo
    sheet_part: str


def corrupt(path: Path | str, detail: str, zh: str) -> BookError:
    """The file is damaged: ``detail`` (and ``zh``, the same in Chinese) says where."""
    return BookError("corrupt", path=str(path), detail=Said(detail, zh))


def too_large(path: Path | str, detail: str, zh: str) -> BookError:
    """The file (or what would be written) passes a limit: ``detail``/``zh`` says which."""
    return BookError("too_large", path=str(path), detail=Said(detail, zh))


def unsupported_layout(path: Path, detail: str, zh: str) -> BookError:
    """A sheet laid out in a way CustomerBook cannot write into (not a damaged file)."""
    return BookError("unsupported_layout", path=str(path), detail=Said(detail, zh))
