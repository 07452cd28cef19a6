"""The headless door: workbook files on disk.

Reading uses python-calamine (fast, read-only). Writing uses :mod:`.ooxml`, which
rewrites only the output worksheet parts inside the zip (and appends logged calls to
Contacts), so VBA, buttons, charts, pictures, validation and every input sheet stay
byte-identical, and the file is replaced atomically.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import python_calamine as pc

from .. import forked
from ..domain.schema import RawTable, blank, parse_table
from ..errors import BookError, Problems, Reason, Said
from ..imports.mapping import MAPPING_SHEET
from ..names import CALLLIST, CONTACTS, CUSTOMERS, ORDERS, OUTPUT_SHEETS, SheetSpec, fold
from ..settings import book_language
from . import arrowread, ooxml
from .ooxml.refs import parse_ref
from .ooxml.replace import book_lock, check_writable_in_place
from .ooxml.scan import SheetScan, read_sheet, scan_bounds, scan_facts, trimmed_copy
from .reading import epoch, header_at, mark_unreadable
from .sheets import aligned_rows, find_sheet, follow_header, input_candidates

__all__ = ["BookData", "book_lock", "check_in_place", "import_appends", "layout_book",
           "read_book", "write_import", "write_outputs"]

#: the layout books shipped with the package, one per language (built by tools/build.py)
_LAYOUT_DIR = Path(__file__).with_name("layout")

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
    #: the Mapping sheet (导入映射), read only when asked for (the import reads it)
    mapping: RawTable | None = None


def _table_for(info: ooxml.BookInfo, sheet: str, names: set[str]) -> ooxml.TableInfo | None:
    on_sheet = [t for t in info.tables if t.sheet == sheet]
    for t in on_sheet:
        if fold(t.name) in names:
            return t
    return on_sheet[0] if len(on_sheet) == 1 else None


def _raw(wb: pc.CalamineWorkbook, info: ooxml.BookInfo, sheet: str, spec: SheetSpec,
         scan: SheetScan | None, mark: bool = True) -> tuple[RawTable, int, str | None]:
    """The sheet as the core reads it: its Table (which may end above the data it should
    hold: the contiguous rows below are read too), else its header and the rows below
    (title rows above the header left out); cells the reader shows as blanks but that
    are errors, formulas without a saved value or hidden by a merge marked as such."""
    day0 = epoch(info.date1904)
    table = _table_for(info, sheet, spec.names())
    ref = parse_ref(table.ref) if table is not None and table.header_rows else None
    if ref is not None and (scan is None or scan.last_row <= ref[3]):  # the usual Table
        t = wb.get_table_by_name(table.name)
        rows = t.to_python()
        if table.totals_rows and rows:
            rows = rows[:-1]
        raw = RawTable(sheet, t.start[0], list(t.columns), rows, day0)
        first_col = t.start[1]
        _mark(raw, scan, first_col, mark)
        return raw, first_col, table.name
    s = wb.get_sheet_by_name(sheet)
    cells = s.to_python(skip_empty_area=True)
    r0, c0 = s.start or (0, 0)  # the block's first cell (0-based row and column)
    if ref is not None:  # cells below the Table: read the sheet, then cut the Table out
        c1, r1, c2, r2 = ref
        first_col, hi = c1 - 1, r1 - 1 - r0
        a, b = c1 - 1 - c0, c2 - c0
        rows = [r[a:b] for r in cells[max(hi + 1, 0):]] if (a, b) != (0, len(cells[0])) else (
            cells[max(hi + 1, 0):])
        header = list(cells[hi][a:b]) if 0 <= hi < len(cells) else []
        raw = RawTable(sheet, r1, header, [], day0)
        last = r2 - table.totals_rows - r1  # data rows the Table holds
        raw.rows = rows[:last] if table.totals_rows else _with_rows_below(raw, rows, last,
                                                                         table.name)
    elif not cells:
        return RawTable(sheet, 1, [], [], day0), 0, None
    else:
        first_col = c0
        h = header_at(cells, spec)  # title or note rows above the header are left out
        raw = RawTable(sheet, r0 + 1 + h, list(cells[h]), cells[h + 1:], day0)
    _mark(raw, scan, first_col, mark)
    return raw, first_col, table.name if ref is not None else None


def _mark(raw: RawTable, scan: SheetScan | None, first_col: int, mark: bool) -> None:
    if scan is not None and mark:
        mark_unreadable(raw, {(r, c - 1 - first_col): e for (r, c), e in scan.errors.items()},
                        [(ref, a1, b1 - 1 - first_col, a2, b2 - 1 - first_col)
                         for ref, a1, b1, a2, b2 in scan.merged],
                        [(r, c - 1 - first_col) for r, c in scan.uncached])


def _with_rows_below(raw: RawTable, rows: list[list[Any]], last: int, name: str) -> list:
    """A Table's rows, and the rows right below it that continue its data (a Table whose
    range was not grown when rows were added). Data further down, after a blank row, is
    not read as the Table's: it is named (``raw.problems``) for the user to fix."""
    end = last
    while end < len(rows) and any(not blank(v) for v in rows[end]):
        end += 1
    gap = next((i for i in range(end, len(rows)) if any(not blank(v) for v in rows[i])), None)
    if gap is not None:
        raw.problems.append((raw.header_row + 1 + gap, Reason.DATA_BELOW_TABLE,
                             {"table": name}))
    return rows[:end]


def check_in_place(path: Path) -> None:
    """Refuse to refresh ``path`` in place when it is read-only or open in a spreadsheet
    program (said in the book's language when the book can be opened)."""
    try:
        check_writable_in_place(path.resolve() if path.is_symlink() else path)
    except BookError as exc:
        try:
            exc.localise(book_language(ooxml.inspect_book(path).sheets))
        except BookError:
            pass
        raise


def read_book(path: str | Path, *, mapping: bool = False, orders_ahead: bool = False,
              typed: bool = False, sheets: Collection[str] | None = None,
              meanwhile: tuple[Collection[str], Callable[[dict[str, RawTable | None]], None]]
              | None = None) -> BookData:
    """Read every input sheet (and the old call list) of a workbook file; with
    ``mapping``, also the Mapping sheet (导入映射) when the book has one. ``sheets``:
    only these (by key: ``"Customers"``, ``"Settings"`` …); the others read as missing.
    ``meanwhile = (keys, start)``: ``start`` is called with the sheets read so far as
    soon as those of ``keys`` are (the sheets are read smallest first), so that work
    needing only them starts while the big ones are read (an import reads its export).

    ``orders_ahead`` (a refresh): a large Orders sheet is read and typed in a forked
    child (:mod:`xl_addin.forked`) while the other sheets are read here; its RawTable
    comes back empty, with ``ahead`` set, and :func:`~xl_addin.domain.schema.parse_table`
    takes the child's typed table from it (or reads and types the sheet itself when the
    child found a problem or failed: the messages are the same either way).

    ``typed`` (a refresh, an import): the input sheets are only typed, their rows not
    needed otherwise, so a Table whose columns each hold one kind of cell is typed
    straight from the file (:mod:`.arrowread`); its RawTable comes back without rows,
    with ``ahead`` set (or its rows are read when typing it has anything to say)."""
    path = Path(path)
    try:
        info = ooxml.inspect_book(path)
    except BookError as exc:
        if exc.code == Reason.NOT_A_WORKBOOK:  # say what it is, and what to do with it
            kind = other_format(path)
            if kind is not None:
                code = Reason.OTHER_FORMAT_CSV if kind == "csv" else Reason.OTHER_FORMAT
                raise BookError(code, path=str(path), kind=kind) from exc
        raise
    if info.strict:  # the reader knows the usual (transitional) format only
        raise BookError(Reason.OTHER_FORMAT, path=str(path), kind="strict",
                        lang=book_language(info.sheets))
    try:
        return _read(path, info, mapping, orders_ahead, sheets, meanwhile, typed)
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


#: an Orders sheet part at least this large (uncompressed XML) is read in a child
#: (about 40,000 rows): below it, starting the child costs more than it saves
AHEAD_BYTES = 4 << 20


def _read(path: Path, info: ooxml.BookInfo, with_mapping: bool = False,
          orders_ahead: bool = False, only: Collection[str] | None = None,
          meanwhile: tuple[Collection[str], Callable[[dict[str, RawTable | None]], None]]
          | None = None, typed: bool = False) -> BookData:
    fp = ooxml.fingerprint(path)
    from ..names import INPUT_SHEETS

    specs = {s.key: s for s in (*INPUT_SHEETS, CALLLIST)}
    raw: dict[str, RawTable | None] = {}
    first_col: dict[str, int] = {}
    tables: dict[str, str | None] = {}
    sheet = ""
    candidates = input_candidates(info.sheets)
    found = {k: v[0] if v else None for k, v in candidates.items()}
    found["CallList"] = find_sheet(info.sheets, CALLLIST)
    if with_mapping:
        specs["Mapping"] = MAPPING_SHEET
        found["Mapping"] = find_sheet(info.sheets, MAPPING_SHEET)
    if only is not None:
        found = {k: v if k in only or k == "Mapping" else None for k, v in found.items()}
    # each sheet is scanned before the reader reads it (bounding what it may allocate);
    # smallest first, so that scanning a big one runs beside reading the small ones
    with zipfile.ZipFile(path) as zf:
        sizes = {k: zf.getinfo(info.sheet_parts[v]).file_size for k, v in found.items()
                 if v is not None and v in info.sheet_parts}
    order = sorted(sizes, key=sizes.__getitem__)
    ahead = None  # forked before any thread starts here
    if orders_ahead and sizes.get("Orders", 0) >= AHEAD_BYTES and forked.available():
        # read and typed in a child from now on, while the scan here (of every sheet, as
        # always) says whether that reading stands: when the scan finds anything the
        # reader must be told (a far stray cell, error cells, merged cells, rows below
        # the Table), the child is stopped and the sheet read here. Its memory is capped:
        # a block that a far cell would make it allocate ends the child, not the machine.
        ahead = forked.Forked(_read_typed, path, info, found["Orders"], specs["Orders"],
                              address_space=AHEAD_MEMORY)
    try:  # opened after the fork: the child opens the book for itself meanwhile
        wb = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
    except Exception as exc:  # calamine raises its own family for damaged parts
        if ahead is not None:
            ahead.cancel()
        raise BookError(Reason.CORRUPT, path=str(path), detail=damaged()) from exc
    bounds = {k: Future() for k in order}
    facts = {k: Future() for k in order}
    arrow = arrowread.Reader(path)
    orders_scan = SheetScan()
    pool = ThreadPoolExecutor(max_workers=1)
    pool.submit(_scanner, path, [(k, info.sheet_parts[found[k]]) for k in order], bounds, facts)
    spare: list[Any] = []
    try:
        with tempfile.TemporaryDirectory(prefix="cb-read-") as tmp:
            for key in [*order, *(k for k in found if k not in sizes)]:
                if meanwhile is not None and all(k in raw or k not in sizes
                                                 for k in meanwhile[0]):
                    meanwhile[1](dict(raw))
                    meanwhile = None
                sheet = found[key]
                if sheet is None or key not in sizes:
                    raw[key] = None
                    continue
                scan = bounds[key].result()
                if key == "Orders" and ahead is not None:
                    if scan.bound() is None and _reads_alike(facts[key].result(), info, sheet,
                                                             specs[key]):
                        orders_scan = facts[key].result()
                        continue  # the child's reading stands
                    ahead.cancel()
                    ahead = None
                reader, bound = wb, scan.bound()
                if typed and bound is None and key in TYPED_HERE and (
                        sizes[key] >= STRAIGHT_BYTES):  # typed straight from the file
                    cells = arrowread.read_table(arrow, info, sheet, specs[key],
                                                 _table_for(info, sheet, specs[key].names()))
                    if cells is not None and _reads_straight(facts[key].result(), info, sheet,
                                                             specs[key]):
                        table = cells.raw
                        table.also = candidates.get(key, [])[1:]
                        table.ahead = partial(_typed_here, cells, specs[key], path, info, table)
                        raw[key], first_col[key], tables[key] = table, cells.first_col, cells.name
                        continue
                if bound is not None:  # a stray cell far away: read a copy without it
                    copy = trimmed_copy(path, info.sheet_parts[sheet], *bound,
                                        Path(tmp) / f"{key}.xlsx")
                    reader = pc.CalamineWorkbook.from_path(str(copy), load_tables=True)
                    spare.append(reader)
                # the call list is read by the outcome loop as typed: no marks there
                table, col0, tname = _raw(reader, info, sheet, specs[key], facts[key].result(),
                                          mark=key not in ("CallList", "Mapping"))
                table.also = candidates.get(key, [])[1:]
                raw[key], first_col[key], tables[key] = table, col0, tname
    except BookError:
        if ahead is not None:
            ahead.cancel()
        raise
    except BaseException as exc:
        if ahead is not None:
            ahead.cancel()
        if not isinstance(exc, Exception):
            raise
        raise BookError(Reason.CORRUPT, path=str(path), detail=_where(info, sheet)) from exc
    finally:
        for f in (*bounds.values(), *facts.values()):
            f.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        for reader in spare:
            reader.close()
        wb.close()
    if ahead is not None:
        sheet = found["Orders"]
        raw["Orders"] = RawTable(sheet, 1, [], [], epoch(info.date1904),
                                 also=candidates.get("Orders", [])[1:])
        raw["Orders"].ahead = partial(_take_typed, ahead, "Orders", raw["Orders"], path,
                                      info, first_col, tables, orders_scan)
    call_raw = raw.pop("CallList")
    mapping_raw = raw.pop("Mapping", None)
    return BookData(path, info, fp, raw, call_raw, first_col, tables, mapping_raw)


def _where(info: ooxml.BookInfo, sheet: str) -> Said:
    return damaged(f"{sheet} ({info.sheet_parts.get(sheet, '?')})" if sheet else "")


#: what a child reading the Orders sheet may allocate beyond the parent's size
AHEAD_MEMORY = 6 << 30


def _reads_alike(scan: SheetScan, info: ooxml.BookInfo, sheet: str, spec: SheetSpec) -> bool:
    """Whether reading ``sheet`` knowing ``scan`` (bounded already) gives what reading
    it without the scan gives: nothing to mark, no rows below its Table."""
    if scan.errors or scan.uncached or scan.merged:
        return False
    table = _table_for(info, sheet, spec.names())
    ref = parse_ref(table.ref) if table is not None and table.header_rows else None
    return ref is None or scan.last_row <= ref[3]


def _reads_straight(scan: SheetScan, info: ooxml.BookInfo, sheet: str, spec: SheetSpec
                    ) -> bool:
    """Whether typing ``sheet`` straight from the file (:mod:`.arrowread`) reads what
    the usual reading reads: as :func:`_reads_alike`, and no huge number (which a date
    format may make a day that reader reads as a blank)."""
    return _reads_alike(scan, info, sheet, spec) and not scan.huge


def _read_typed(path: Path, info: ooxml.BookInfo, sheet: str, spec: SheetSpec
                ) -> tuple[RawTable, int, str | None, tuple | None]:
    """One input sheet read on its own, without its scan (:func:`_reads_alike` says
    when that is the same reading), and typed: ``(raw, first column, Table name,
    (packed frame, headers))``, the rows left out when the typing found nothing wrong;
    else ``(raw, …, None)`` with the rows, for the caller to type and tell. A Table whose
    columns hold only what they read is typed straight from the file
    (:func:`.arrowread.typed_table`)."""
    fast = arrowread.typed_table(path, info, sheet, spec,
                                 _table_for(info, sheet, spec.names()))
    if fast is not None:
        raw, col0, tname, (frame, headers) = fast
        return raw, col0, tname, (forked.pack_frame(frame), headers, True)
    wb = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
    try:
        table, col0, tname = _raw(wb, info, sheet, spec, None)
    finally:
        wb.close()
    typed = _typed(spec, table)
    if typed is None:
        return table, col0, tname, None
    table.rows = []
    return table, col0, tname, (forked.pack_frame(typed[0]), typed[1], False)


def _typed(spec: SheetSpec, raw: RawTable) -> tuple[Any, dict[str, str]] | None:
    """``parse_table`` of ``raw``, or None when it found anything to say."""
    problems = Problems("en")
    frame, headers = parse_table(spec, raw, problems)
    return None if len(problems) or problems.warnings else (frame, headers)


#: the input sheets a refresh or an import reads typed straight from the file when their
#: Table holds one kind of cell per column (:mod:`.arrowread`) ...
TYPED_HERE = frozenset({"Customers", "Orders", "Contacts"})
#: ... and their part is at least this large (uncompressed XML, about 40,000 rows; the
#: Orders child reads its sheet so from the start): a small book is read the usual way,
#: without loading fastexcel and DuckDB, which hands their columns over
STRAIGHT_BYTES = 4 << 20


def _typed_here(cells: arrowread.TableCells, spec: SheetSpec, path: Path,
                info: ooxml.BookInfo, into: RawTable, read: Collection[str] | None = None
                ) -> tuple[Any, dict[str, str]] | None:
    """The Table typed from its cells, or None after reading its rows into ``into`` the
    usual way (for :func:`~xl_addin.domain.schema.parse_table` to type and tell)."""
    typed = cells.typed(spec, read)
    if typed is not None:
        return typed
    _read_rows_into(into, spec, path, info)
    return None


def _read_rows_into(into: RawTable, spec: SheetSpec, path: Path, info: ooxml.BookInfo) -> None:
    """``into``'s sheet read the usual way after all (its scan found nothing to mark)."""
    wb = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
    try:
        table, _col0, _name = _raw(wb, info, into.sheet, spec, None)
    finally:
        wb.close()
    into.header_row, into.header, into.rows = table.header_row, table.header, table.rows
    into.problems = table.problems


def _take_typed(ahead: forked.Forked, key: str, into: RawTable, path: Path,
                info: ooxml.BookInfo, first_col: dict[str, int], tables: dict[str, str | None],
                scan: SheetScan, read: Collection[str] | None = None
                ) -> tuple[Any, dict[str, str]] | None:
    """The child's typed sheet (``into`` filled in as if read here), or None when the
    rows are in ``into`` for the caller to type (the child typed it straight from the
    file, and ``scan`` says that reading may differ: read here the usual way)."""
    try:
        table, col0, tname, typed = ahead.result()
    except BookError as exc:
        exc.localise(book_language(info.sheets))
        raise
    except Exception as exc:
        raise BookError(Reason.CORRUPT, path=str(path), detail=_where(info, into.sheet),
                        lang=book_language(info.sheets)) from exc
    into.header_row, into.header, into.rows = table.header_row, table.header, table.rows
    into.problems = table.problems
    first_col[key], tables[key] = col0, tname
    if typed is None:
        return None
    if typed[2] and not _reads_straight(scan, info, into.sheet, ORDERS):
        _read_rows_into(into, ORDERS, path, info)
        return None
    return forked.unpack_frame(typed[0]), typed[1]


def damaged(where: str = "") -> Said:
    """What a damaged part is called in the message (never a library's own exception text)."""
    if not where:
        return Said("a part of the file cannot be read", "文件的某个部分无法读取")
    return Said(f"a part of the file cannot be read: {where}", f"文件的某个部分无法读取：{where}")


def _scanner(path: Path, parts: list[tuple[str, str]], bounds: dict[str, Future],
             facts: dict[str, Future]) -> None:
    """Scan the parts in order: each one's bounds as soon as they are known, then the
    rest of its facts (which the reader needs only after reading it)."""
    with zipfile.ZipFile(path) as zf:
        for key, part in parts:
            try:
                data = read_sheet(zf, part)
                scan = scan_bounds(data)
                if not bounds[key].set_running_or_notify_cancel():
                    return
                bounds[key].set_result(scan)
                facts[key].set_running_or_notify_cancel()
                facts[key].set_result(scan_facts(data, scan))
                del data
            except BaseException as exc:  # said where the reader waits for it
                for f in (bounds[key], facts[key]):
                    if not f.done():
                        if f.set_running_or_notify_cancel():
                            f.set_exception(exc)
                return


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
        raise BookError("unsupported_extension", path=str(out), lang=lang)
    try:
        return _write(book, out, tables, contacts_rows, lang)
    except BookError as exc:  # the book's language is known by now: say it in that
        exc.localise(lang)
        raise


def _write(book: BookData, out: Path, tables: list[Any], contacts_rows: list[list[Any]],
           lang: str) -> ooxml.WriteReport:
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


def import_appends(book: BookData, orders: Any, customers: Any, mapping_rows: list[list[Any]],
                   lang: str) -> tuple[list[ooxml.OutputSheet], list[ooxml.Append]]:
    """What writing an import changes: the new Orders and Customers rows appended below
    each sheet's data (aligned to its own header and first column, inside its Table),
    and the Mapping rows appended to the Mapping sheet (created with its header in the
    book's language when the book has none). ``orders`` / ``customers``: frames with the
    canonical column names; ``mapping_rows``: Mapping sheet rows without the header."""
    sheets: list[ooxml.OutputSheet] = []
    appends: list[ooxml.Append] = []
    for key, spec, frame in (("Customers", CUSTOMERS, customers), ("Orders", ORDERS, orders)):
        if frame is None or not len(frame):
            continue
        raw = book.raw.get(key)
        if raw is None:
            raise BookError(Reason.UNSUPPORTED_LAYOUT, path=str(book.path),
                            detail=f"no {spec.key} / {spec.zh} sheet")
        lead = [None] * (0 if book.tables.get(key) else book.first_col.get(key, 0))
        appends.append(ooxml.Append(raw.sheet, [lead + r for r in aligned_rows(raw.header, spec,
                                                                           frame)],
                                    table=book.tables.get(key)))
    if mapping_rows:
        raw = book.mapping
        if raw is None:
            header = [c.label(lang) for c in MAPPING_SHEET.columns]
            sheets.append(ooxml.OutputSheet(MAPPING_SHEET.label(lang), [header, *mapping_rows],
                                            ["text"] * len(header), [18, 24, 16]))
        else:
            import pandas as pd

            frame = pd.DataFrame(mapping_rows, columns=[c.key for c in MAPPING_SHEET.columns])
            lead = [None] * (0 if book.tables.get("Mapping") else book.first_col.get("Mapping", 0))
            appends.append(ooxml.Append(raw.sheet, [lead + r for r in aligned_rows(
                raw.header, MAPPING_SHEET, frame)], table=book.tables.get("Mapping")))
    return sheets, appends


def write_import(book: BookData, out: str | Path, orders: Any, customers: Any,
                 mapping_rows: list[list[Any]], lang: str = "en") -> ooxml.WriteReport:
    """Write an import into the workbook atomically, through the refresh's byte-safe
    writer: every part it does not append to stays byte-identical (in place, the old file
    is kept in the backups folder first)."""
    out = Path(out)
    if out.suffix.lower() not in {".xlsx", ".xlsm"} or (
        out.suffix.lower() != book.path.suffix.lower()
    ):
        raise BookError("unsupported_extension", path=str(out))
    sheets, appends = import_appends(book, orders, customers, mapping_rows, lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    return ooxml.write_book(book.path, out, sheets, appends, expect=book.fingerprint)


def today() -> dt.date:
    return dt.date.today()


def check_rewritable(book: BookData, key: str, lang: str) -> None:
    """Refuse (``archive_layout``) an input sheet that rewriting its rows from A1 would
    change beyond its rows: formulas (they would become values), title rows above the
    header, a table that does not start in column A."""
    raw = book.raw.get(key)
    if raw is None:
        return
    sheet = raw.sheet
    problem = None
    if raw.header_row != 1:
        problem = (f"其标题行在第 {raw.header_row} 行，不在第 1 行" if lang == "zh-CN"
                   else f"its header is on row {raw.header_row}, not row 1")
    elif book.first_col.get(key, 0):
        problem = ("其表格不从 A 列开始" if lang == "zh-CN"
                   else "its table does not start in column A")
    else:
        with zipfile.ZipFile(book.path) as zf:
            data = zf.read(book.info.sheet_parts[sheet])
        if b"<f>" in data or b"<f " in data or b":f>" in data or b":f " in data:
            problem = ("其中有公式，重写后会变成数值" if lang == "zh-CN"
                       else "it holds formulas, which would become values")
    if problem is not None:
        raise BookError(Reason.ARCHIVE_LAYOUT, lang=lang, path=str(book.path), sheet=sheet,
                        detail=problem)


def write_sheet_rows(book: BookData, out: str | Path, key: str, rows: list[list[Any]]
                     ) -> ooxml.WriteReport:
    """Rewrite an input sheet's rows (header first) atomically, keeping its styles, its
    Table (resized) and every other part as it was."""
    out = Path(out)
    if out.suffix.lower() not in {".xlsx", ".xlsm"} or (
        out.suffix.lower() != book.path.suffix.lower()
    ):
        raise BookError("unsupported_extension", path=str(out))
    raw = book.raw[key]
    assert raw is not None
    from ..names import INPUT_SHEETS

    spec = next(s for s in INPUT_SHEETS if s.key == key)
    kinds = []
    for h in raw.header:
        col = next((c for c in spec.columns if fold(h) in c.names()), None)
        kinds.append(col.kind if col is not None and col.kind in ("date", "money", "id", "text")
                     else "text" if col is not None else "number")
    from .sheets import _cell

    cells = [[_cell(v) for v in r] for r in rows]
    sheet = ooxml.OutputSheet(raw.sheet, cells, [k if k != "money" else "money" for k in kinds])
    out.parent.mkdir(parents=True, exist_ok=True)
    return ooxml.write_book(book.path, out, [sheet], [], expect=book.fingerprint)
