"""The headless door: workbook files on disk.

Reading uses python-calamine (fast, read-only). Writing uses :mod:`.ooxml`, which
rewrites only the output worksheet parts inside the zip (and appends logged calls to
Contacts), so VBA, buttons, charts, pictures, validation and every input sheet stay
byte-identical, and the file is replaced atomically.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_calamine as pc

from ..domain.schema import RawTable
from ..errors import BookError, Reason
from ..names import CALLLIST, CONTACTS, OUTPUT_SHEETS, SheetSpec, fold
from ..settings import book_language
from . import ooxml
from .ooxml.package import read_bounded
from .ooxml.refs import col_number
from .reading import epoch, header_at, mark_unreadable
from .sheets import find_sheet, follow_header, input_candidates

__all__ = ["BookData", "layout_book", "read_book", "write_outputs"]

#: the layout books shipped with the package, one per language (built by tools/build.py)
_LAYOUT_DIR = Path(__file__).with_name("layout")

_ERROR_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"[^>]*?t="e"[^>]*>(?:<f[^>]*?(?:/>|>.*?</f>))?<v>([^<]*)</v>'
)
_MERGE = re.compile(rb'<(?:[\w.\-]+:)?mergeCell\s[^>]*?(?<![\w:])ref="(\$?([A-Z]{1,3})\$?(\d+):'
                    rb'\$?([A-Z]{1,3})\$?(\d+))"')


@dataclass
class BookData:
    """What a refresh read: the raw input tables, the old call list, and the file facts."""

    path: Path
    info: ooxml.BookInfo
    fingerprint: tuple
    raw: dict[str, RawTable | None]
    calllist: RawTable | None
    first_col: dict[str, int]
    tables: dict[str, str | None]


def _cell_facts(path: Path, part: str, first_col: int
                ) -> tuple[dict[tuple[int, int], str], list[tuple[str, int, int, int, int]]]:
    """Cells holding Excel errors (#N/A, #REF! …: calamine shows them as blanks) and
    merged ranges (calamine shows their hidden cells as blanks) of one sheet part."""
    with zipfile.ZipFile(path) as zf:
        data = read_bounded(zf, part)
    errors = {}
    if b't="e"' in data:
        errors = {(int(m[2]), col_number(m[1]) - 1 - first_col): m[3].decode("utf-8", "replace")
                  for m in _ERROR_CELL.finditer(data)}
    merged = []
    tail = data.rfind(b"</sheetData>")
    for m in _MERGE.finditer(data, max(tail, 0)):
        merged.append((m[1].decode("ascii").replace("$", ""), int(m[3]),
                       col_number(m[2]) - 1 - first_col, int(m[5]),
                       col_number(m[4]) - 1 - first_col))
    return errors, merged


def _table_for(info: ooxml.BookInfo, sheet: str, names: set[str]) -> ooxml.TableInfo | None:
    on_sheet = [t for t in info.tables if t.sheet == sheet]
    for t in on_sheet:
        if fold(t.name) in names:
            return t
    return on_sheet[0] if len(on_sheet) == 1 else None


def _raw(wb: pc.CalamineWorkbook, info: ooxml.BookInfo, sheet: str,
         spec: SheetSpec) -> tuple[RawTable, int, str | None]:
    day0 = epoch(info.date1904)
    table = _table_for(info, sheet, spec.names())
    if table is not None and table.header_rows:
        t = wb.get_table_by_name(table.name)
        rows = t.to_python()
        if table.totals_rows and rows:
            rows = rows[:-1]
        first_col = t.start[1]
        raw = RawTable(sheet, t.start[0], list(t.columns), rows, day0)
        return raw, first_col, table.name
    s = wb.get_sheet_by_name(sheet)
    cells = s.to_python(skip_empty_area=True)
    if not cells:
        return RawTable(sheet, 1, [], [], day0), 0, None
    start = s.start or (0, 0)
    h = header_at(cells, spec)  # title or note rows above the header are left out
    return (RawTable(sheet, start[0] + 1 + h, list(cells[h]), cells[h + 1:], day0), start[1],
            None)


def read_book(path: str | Path) -> BookData:
    """Read every input sheet (and the old call list) of a workbook file."""
    path = Path(path)
    try:
        info = ooxml.inspect_book(path)
    except BookError as exc:
        if exc.code == Reason.NOT_A_WORKBOOK:  # say what it is, and what to do with it
            kind = other_format(path)
            if kind is not None:
                raise BookError(Reason.OTHER_FORMAT, path=str(path), kind=kind) from exc
        raise
    try:
        return _read(path, info)
    except BookError as exc:  # the sheets are known: say it in the workbook's language
        exc.localise(book_language(info.sheets))
        raise


#: formats people save customer lists in that are not workbooks CustomerBook reads
_FORMATS = {".xls": "xls", ".xlt": "xls", ".ods": "ods", ".numbers": "numbers", ".csv": "csv",
            ".txt": "csv", ".tsv": "csv", ".et": "et", ".xlsb": "xlsb"}


def other_format(path: Path) -> str | None:
    """What a file that is not a .xlsx/.xlsm workbook is, when it is something a person
    might save a customer list in: by its content, else by its name."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # Excel 97-2003, WPS .et
        return "et" if path.suffix.lower() == ".et" else "xls"
    if head.startswith(b"PK") and b"opendocument.spreadsheet" in head:
        return "ods"
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None and head and b"\x00" not in head[:1024]:
        text = head.decode("utf-8", "ignore")
        kind = "csv" if text.count(",") + text.count("\t") >= 2 and "\n" in text else None
    return kind


def _read(path: Path, info: ooxml.BookInfo) -> BookData:
    fp = ooxml.fingerprint(path)
    try:
        wb = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
    except Exception as exc:  # calamine raises its own family for damaged parts
        raise BookError("corrupt", path=str(path),
                        detail=f"{type(exc).__name__}: {exc}") from exc
    from ..names import INPUT_SHEETS

    specs = {s.key: s for s in INPUT_SHEETS}
    raw: dict[str, RawTable | None] = {}
    first_col: dict[str, int] = {}
    tables: dict[str, str | None] = {}
    sheet = ""
    candidates = input_candidates(info.sheets)
    found = {k: v[0] if v else None for k, v in candidates.items()}
    # the error/merge scan inflates each sheet part again: do it beside calamine's read
    pool = ThreadPoolExecutor(max_workers=1)
    facts = {k: pool.submit(_cell_facts, path, info.sheet_parts[v], 0)
             for k, v in found.items() if v is not None}
    try:
        for key, sheet in found.items():
            if sheet is None:
                raw[key] = None
                continue
            table, col0, tname = _raw(wb, info, sheet, specs[key])
            errs, merged = facts[key].result()
            mark_unreadable(table, {(r, c - col0): e for (r, c), e in errs.items()},
                            [(ref, r1, c1 - col0, r2, c2 - col0)
                             for ref, r1, c1, r2, c2 in merged])
            table.also = candidates[key][1:]
            raw[key], first_col[key], tables[key] = table, col0, tname
        sheet = find_sheet(info.sheets, CALLLIST) or ""
        call_raw = _raw(wb, info, sheet, CALLLIST)[0] if sheet else None
    except BookError:
        raise
    except Exception as exc:
        where = f"sheet {sheet} ({info.sheet_parts.get(sheet, '?')}): " if sheet else ""
        raise BookError("corrupt", path=str(path),
                        detail=f"{where}{type(exc).__name__}: {exc}") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        wb.close()
    return BookData(path, info, fp, raw, call_raw, first_col, tables)


def layout_book(lang: str) -> Path:
    """The layout book of the output sheets in ``lang`` (zh-CN or en)."""
    return _LAYOUT_DIR / f"CustomerBook-layout.{'zh-CN' if lang == 'zh-CN' else 'en'}.xlsx"


def _layouts(book: BookData, tables: list[Any], lang: str) -> dict[str, ooxml.LayoutSheet]:
    """The layout of each output sheet the write will create (by sheet name)."""
    have = {name.casefold() for name in book.info.sheets}
    created = [t for t in tables if t.name.casefold() not in have]
    path = layout_book(lang)
    if not created or not path.is_file():
        return {}
    layout = ooxml.LayoutBook.open(path)
    specs = {s.key: s for s in OUTPUT_SHEETS}
    out = {}
    for t in created:
        spec = specs.get(t.key)
        sheet = layout.sheet(spec.label(lang)) if spec is not None else None
        if sheet is not None:
            out[t.name] = sheet
    return out


def write_outputs(
    book: BookData,
    out: str | Path,
    tables: list[Any],
    contacts_rows: list[list[Any]],
    lang: str = "en",
) -> ooxml.WriteReport:
    """Write the output tables (and append logged calls to Contacts, creating the sheet
    with the first logged call when the book has none yet) atomically."""
    out = Path(out)
    if out.suffix.lower() not in {".xlsx", ".xlsm"} or (
        out.suffix.lower() != book.path.suffix.lower()
    ):
        raise BookError("unsupported_extension", path=str(out))
    # an existing call list keeps its own column order; a sheet the write creates gets
    # the shipped layout
    tables = [follow_header(t, book.calllist.header) if t.key == "CallList" and book.calllist
              else t for t in tables]
    layouts = _layouts(book, tables, lang)
    sheets = [ooxml.OutputSheet(t.name, t.rows, t.kinds, t.widths, t.header, t.row_breaks,
                                t.row_height, t.row_heights, t.cell_kinds, t.chart_rows,
                                layouts.get(t.name)) for t in tables]
    appends = []
    if contacts_rows and book.raw.get("Contacts") is None:  # no contact history yet
        header = [c.label(lang) for c in CONTACTS.columns]
        sheets.append(ooxml.OutputSheet(CONTACTS.label(lang), [header, *contacts_rows],
                                        [c.kind if c.kind != "outcome" else "text"
                                         for c in CONTACTS.columns],
                                        [max(c.width, 12) for c in CONTACTS.columns]))
    elif contacts_rows:
        sheet = book.raw["Contacts"].sheet  # type: ignore[union-attr]
        lead = [None] * (0 if book.tables.get("Contacts") else book.first_col.get("Contacts", 0))
        appends.append(ooxml.Append(sheet, [lead + r for r in contacts_rows],
                                    table=book.tables.get("Contacts")))
    out.parent.mkdir(parents=True, exist_ok=True)
    return ooxml.write_book(book.path, out, sheets, appends, expect=book.fingerprint)


def today() -> dt.date:
    return dt.date.today()
