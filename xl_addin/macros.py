"""Button macros: the same code whether Excel calls them or a command line does.

Excel's buttons run (through xlwings' ``RunPython``)::

    import xl_addin.macros as m; m.refresh_all()

With no ``path`` a macro works on the calling workbook (``xw.Book.caller()``); with a
``path`` it works on the file (headless, what the CLI and the tests run). Both paths
read the inputs into the same raw tables, call :func:`refresh_core`, and write the
returned tables. Problems a user can fix come back as a :class:`CustomerBookError`,
shown in a message box in Excel and as a message + exit 2 on the command line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .domain.loop import take_call_outcomes
from .domain.pipeline import JOBS, Outputs, Progress, no_progress, run
from .domain.schema import IMPORT_READS, Inputs, RawTable, parse_inputs, raw_language
from .errors import CustomerBookError, InputErrors, Reason, render_message
from .excel import files
from .excel.sheets import OutputTable, contact_rows, output_tables
from .names import CONTACTS, ORDERS, fold, step_label, step_number

if TYPE_CHECKING:  # xlwings only where Excel runs
    from .excel.live import LiveBook

__all__ = ["ArchiveResult", "ImportResult", "RefreshResult", "archive_file", "call_list",
           "classify", "follow_ups", "import_file", "import_orders", "refresh_all",
           "refresh_core", "refresh_file"]


@dataclass
class RefreshResult:
    outputs: Outputs
    tables: list[OutputTable]
    contacts_rows: list[list[object]]
    seconds: float = 0.0
    report: object = None
    written: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while a refresh builds millions of cell objects.

    Reading a full sheet creates a Python object per cell and none of them form cycles;
    the collector would walk them all again and again (a fifth of the reading time at a
    million rows). It is switched back on (if it was on) when the refresh ends.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def refresh_core(
    raw: dict[str, RawTable | None],
    calllist: RawTable | None,
    sheet_names: list[str],
    job: str = "refresh_all",
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    *,
    progress: Progress = no_progress,
    release_rows: bool = False,
    base: Path | None = None,
) -> RefreshResult:
    """Validate, compute and shape the outputs of ``job``; nothing is written here.

    ``release_rows``: empty the raw tables' rows once they are parsed (the caller no
    longer needs them; at a million rows they are the largest thing a refresh holds).
    ``base``: the workbook's folder, which Settings ``OrdersSource`` / ``ContactsSource``
    are relative to.
    """
    progress("check", raw_language(raw))
    early = _EarlyFit(today)
    try:
        inputs = parse_inputs(_orders_optional(raw), as_of=as_of, orders_typed=early.start)
    except BaseException:
        early.cancel()
        raise
    lang = inputs.settings.Language
    if release_rows:
        for table in raw.values():
            if table is not None:
                table.rows = []
    with contextlib.ExitStack() as held:
        held.callback(early.cancel)
        inputs = with_sources(inputs, base, today, held)
        calls = None
        if "CallList" in JOBS[job]:
            day = inputs.settings.as_of(today)
            calls = take_call_outcomes(calllist, set(inputs.customers["CustomerID"]), lang, day)
        outputs = run(inputs, calls, today, progress, scored=early.take(inputs))
    progress("shape", lang)
    tables = output_tables(outputs, job, sheet_names)
    contacts_header = (raw["Contacts"].header if raw.get("Contacts")  # no sheet yet: ours
                       else [c.label(lang) for c in CONTACTS.columns])
    rows = contact_rows(outputs.new_contacts, contacts_header, lang)
    counts = {"customers": len(outputs.analysis), "followups": len(outputs.followups),
              "calls": len(outputs.calllist), "logged": len(rows),
              "pending": int(outputs.calllist["Message"].notna().sum())}
    return RefreshResult(outputs, tables, rows, counts=counts)


class _EarlyFit:
    """The purchase model fitted from the moment the orders are typed, in a forked child,
    while the other inputs are checked (it needs the orders, the settings and the as-of
    day only). Taken by the engine only for those very orders and settings, with no
    orders kept outside the sheet; else stopped, and the engine fits as always."""

    def __init__(self, today: dt.date | None) -> None:
        self.today = today
        self.job: tuple[pd.DataFrame, Any, Any] | None = None

    def start(self, orders: pd.DataFrame, settings: Any) -> None:
        from . import forked
        from .domain.value import score_purchases

        if self.job is None and not settings.OrdersSource and forked.available():
            fit = forked.Forked(score_purchases, orders, settings, settings.as_of(self.today))
            self.job = (orders, settings, fit)

    def take(self, inputs: Inputs) -> Any:
        """The fit under way for ``inputs``, or None (the engine fits)."""
        job, self.job = self.job, None
        if job is None:
            return None
        orders, settings, fit = job
        if inputs.orders is orders and inputs.settings is settings and (
                inputs.order_facts is None):
            return fit
        fit.cancel()
        return None

    def cancel(self) -> None:
        if self.job is not None:
            self.job[2].cancel()
            self.job = None


def _setting_text(raw: dict[str, RawTable | None], key: str) -> str:
    """A Settings value as typed (before the Settings are validated), "" when blank."""
    table = raw.get("Settings")
    for row in (table.rows if table is not None else ()):
        if len(row) >= 2 and fold(row[0]) == fold(key) and row[1] not in (None, ""):
            return str(row[1]).strip()
    return ""


def _orders_optional(raw: dict[str, RawTable | None]) -> dict[str, RawTable | None]:
    """A book that keeps its orders in an OrdersSource needs no Orders sheet."""
    if raw.get("Orders") is not None or not _setting_text(raw, "OrdersSource"):
        return raw
    lang = raw_language(raw)
    empty = RawTable(ORDERS.label(lang), 1, [c.label(lang) for c in ORDERS.columns], [])
    return {**raw, "Orders": empty}


def with_sources(inputs: Inputs, base: Path | None, today: dt.date | None,
                 held: contextlib.ExitStack) -> Inputs:
    """``inputs`` with the orders' facts (Settings ``OrdersSource``) and the contact
    history (``ContactsSource``) kept outside the workbook; unchanged without them.
    ``held`` keeps what must stay open while the engine runs (nothing, today: the source
    is read and closed here)."""
    s = inputs.settings
    if not (s.OrdersSource or s.ContactsSource):
        return inputs
    from . import sources

    lang = s.Language
    if base is None:
        base = Path.cwd()
    day = s.as_of(today)
    contacts, facts = inputs.contacts, None
    if s.ContactsSource:
        src = sources.locate(base, s.ContactsSource, "ContactsSource", lang=lang)
        kept = sources.read_contacts(src, inputs.customers, lang)
        if len(kept):
            contacts = pd.concat([kept, inputs.contacts], ignore_index=True)
    if s.OrdersSource:
        src = sources.locate(base, s.OrdersSource, "OrdersSource", lang=lang)
        rel = sources.OrdersRelation(src, inputs.orders, inputs.customers, lang)
        try:
            facts = sources.order_facts(rel, day, s.DefaultMarginRate,
                                        sources.recent_since(inputs.plans, day,
                                                             s.DropAfterDays), s.HoldoutDays)
        finally:  # the facts hold what the engine needs: the rows go before the models run
            rel.close()
    return dataclasses.replace(inputs, contacts=contacts, order_facts=facts)


def refresh_file(
    path: str | Path,
    out: str | Path | None = None,
    *,
    job: str = "refresh_all",
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> RefreshResult:
    """Headless refresh of a workbook file (in place when ``out`` is None).

    ``progress(step, lang)`` is told as each step starts (:data:`~xl_addin.names.STEPS`).
    """
    start = time.perf_counter()
    tell = progress or no_progress
    target = Path(out) if out else Path(path)
    if out is None:  # read-only, or open in Excel/WPS/LibreOffice: refused before any work
        files.check_in_place(target)
    with _bulk(), files.book_lock(target):  # one refresh of a book at a time
        tell("read", None)
        book = files.read_book(path, orders_ahead=True, typed=True)
        result = refresh_core(book.raw, book.calllist, list(book.info.sheets), job, as_of,
                              today, progress=tell, release_rows=True, base=book.path.parent)
        tell("write", result.outputs.lang)
        result.report = files.write_outputs(book, target, result.tables, result.contacts_rows,
                                            result.outputs.lang)
    result.written = target
    result.seconds = time.perf_counter() - start
    return result


def _alert_unexpected(live: LiveBook, exc: Exception, writing: bool) -> None:
    """A bug or Excel itself, in Excel: a short message in both languages (the book's
    language may not be known yet), never a traceback."""
    err = CustomerBookError("unexpected_while_writing" if writing else "unexpected",
                            detail=f"{type(exc).__name__}: {str(exc)[:200]}")
    live.alert(f"{err.render('zh-CN')}\n\n{err.render('en')}")


def _live(job: str, vba: str | None = None) -> RefreshResult | None:
    import xlwings as xw

    from .excel.live import LiveBook

    live = LiveBook(xw.Book.caller())
    if vba and vba != xw.__version__:  # the workbook's VBA and this Python disagree
        both = [render_message(Reason.XLWINGS_MISMATCH, lang, vba=vba, python=xw.__version__)
                for lang in ("zh-CN", "en")]
        live.alert("\n\n".join(both))
        return None
    writing = False

    def show(step: str, lang: str | None) -> None:  # Excel's status bar: "3/7 …"
        n, total = step_number(step)
        live.status(f"CustomerBook {n}/{total}: {step_label(step, lang)} …")

    try:
        # everything is read, validated and computed before the first cell is written
        with _bulk():
            show("read", None)
            raw, calllist, contacts_table = live.read()
            result = refresh_core(raw, calllist, live.sheet_names, job, progress=show,
                                  base=live.folder)
        show("write", result.outputs.lang)
        writing = True
        if result.contacts_rows and raw.get("Contacts") is not None:
            live.append_contacts(raw["Contacts"], contacts_table, result.contacts_rows)
        elif result.contacts_rows:  # the first logged call makes the contact history
            lang = result.outputs.lang
            live.write_table(CONTACTS.label(lang), [[c.label(lang) for c in CONTACTS.columns],
                                                    *result.contacts_rows])
        for t in result.tables:
            live.write_table(t.name, t.rows)
        return result
    except CustomerBookError as exc:
        lang = getattr(exc, "lang", None) or "zh-CN"
        live.alert(exc.render(lang))
        return None
    except Exception as exc:  # a bug or Excel itself: a short message, never a traceback
        _alert_unexpected(live, exc, writing)
        return None
    finally:
        try:
            live.status(None)
        except Exception:  # Excel went away: nothing left to reset
            pass


def _entry(job: str, path: str | Path | None, out: str | Path | None,
           as_of: dt.date | None, vba: str | None) -> RefreshResult | None:
    if path is None:
        return _live(job, vba)
    return refresh_file(path, out, job=job, as_of=as_of)


def refresh_all(path: str | Path | None = None, out: str | Path | None = None,
                as_of: dt.date | None = None, vba: str | None = None) -> RefreshResult | None:
    """Refresh all: log typed call outcomes, then Analysis, FollowUps, CallList, Dashboard."""
    return _entry("refresh_all", path, out, as_of, vba)


def classify(path: str | Path | None = None, out: str | Path | None = None,
             as_of: dt.date | None = None, vba: str | None = None) -> RefreshResult | None:
    """Classify: Analysis (ABC, RFM, tiers, value) and the Dashboard."""
    return _entry("classify", path, out, as_of, vba)


def follow_ups(path: str | Path | None = None, out: str | Path | None = None,
               as_of: dt.date | None = None, vba: str | None = None) -> RefreshResult | None:
    """Follow-ups: the FollowUps sheet and the Dashboard."""
    return _entry("follow_ups", path, out, as_of, vba)


def call_list(path: str | Path | None = None, out: str | Path | None = None,
              as_of: dt.date | None = None, vba: str | None = None) -> RefreshResult | None:
    """Call list: log typed outcomes, then FollowUps, CallList and the Dashboard."""
    return _entry("call_list", path, out, as_of, vba)


# ------------------------------------------------------------------------ importing
@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    plan: object
    lang: str
    report: str
    written: Path | None = None
    source: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.plan.ok)  # type: ignore[attr-defined]


def _export_keys(export, mapping) -> tuple[list[str], dt.date | None, dt.date | None]:
    """The order numbers and the date range an export holds (to look up in a source)."""
    from .imports.plan import _date, _order_id

    res = mapping.resolve(export.header)
    ids: list[str] = []
    days: list[dt.date] = []
    for cells in export.rows:
        for i in res.columns.get("OrderID", []):
            oid = _order_id(cells[i])[0]
            if oid is not None:
                ids.append(oid)
                break
        for i in res.columns.get("OrderDate", []):
            try:
                days.append(_date(cells[i]))
                break
            except (ValueError, TypeError):
                continue
    return sorted(set(ids)), (min(days) if days else None), (max(days) if days else None)


@dataclass
class _Prepared:
    """An import planned against a book's tables, before anything is written."""

    result: ImportResult
    mapping_rows: list[list[object]]
    source: object | None  # the OrdersSource written into (``to_source``), else None


class _ExportAhead:
    """A CSV export being read into an orders source's DuckDB in a thread, started as
    soon as the book's Settings and Mapping sheets are read (``read_book``'s
    ``meanwhile``), while its customers are read and checked: an import ``--to-source``
    of a million rows spends its first seconds on both at once. The planning takes it
    only when the Settings read in full name the same source and language; an export
    that cannot be read raises where the planning would have read it, so the messages
    and their order are those of reading it then."""

    def __init__(self, export: str | Path, base: Path) -> None:
        self.export, self.base = export, base
        self.key: tuple | None = None
        self.future: Future | None = None

    def start(self, raw: dict[str, RawTable | None]) -> None:
        from . import imports, sources

        text = _setting_text(raw, "OrdersSource")
        if not text or not imports.is_csv_export(self.export):
            return
        mapping_raw = raw.get("Mapping")
        mapping, problems = imports.read_mapping_sheet(mapping_raw)
        if problems:  # told when the planning reads the sheet
            return
        lang = raw_language(raw)
        try:
            source = sources.locate(self.base, text, "OrdersSource", lang=lang, create=True)
        except CustomerBookError:  # said when the planning locates it
            return
        self.key = (source, lang, mapping_raw)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="customerbook-export")
        self.future = pool.submit(imports.CsvExport, self.export, mapping, source=source,
                                  lang=lang)
        pool.shutdown(wait=False)

    def take(self, source: object, lang: str, mapping_raw: RawTable | None) -> object:
        """The export read (raising what reading it raised), if it was read for this
        source, language and Mapping sheet; else ``None``."""
        if self.future is None or self.key != (source, lang, mapping_raw):
            self.close()
            return None
        future, self.future = self.future, None
        return future.result()

    def close(self) -> None:
        """Let an export read and not planned go (when the book was refused)."""
        future, self.future = self.future, None
        if future is None:
            return
        try:
            future.result().close()
        except Exception:  # noqa: BLE001 - unplanned: what it found is not the user's concern
            pass


def _prepare_import(raw: dict[str, RawTable | None], mapping_raw: RawTable | None,
                    base: Path | None, export: str | Path, *, dry_run: bool, to_source: bool,
                    new_customers: bool, today: dt.date | None,
                    ahead: _ExportAhead | None = None) -> _Prepared:
    """Read ``export`` with the book's Mapping sheet and plan it against the book's
    Customers and Orders (and the orders of Settings ``OrdersSource``); both doors call
    this before they write anything. ``ahead``: the export, when it is being read
    already."""
    from . import imports, sources

    start = time.perf_counter()
    inputs = parse_inputs(_orders_optional(raw), reads=IMPORT_READS)
    s = inputs.settings
    lang = s.Language
    mapping, problems = imports.read_mapping_sheet(mapping_raw)
    if problems:
        raise InputErrors(problems, lang)
    orders = inputs.orders
    source = None
    if base is None:  # a workbook not saved yet: as the refresh reads its sources
        base = Path.cwd()
    today = today or files.today()
    if to_source:
        if not s.OrdersSource:
            raise CustomerBookError(Reason.SOURCE_NOT_SET, lang=lang, setting="OrdersSource",
                                    what=("导入到外部订单源" if lang == "zh-CN"
                                          else "Importing into the orders source"))
        source = sources.locate(base, s.OrdersSource, "OrdersSource", lang=lang,
                                create=True)
    try:
        if source is not None and imports.is_csv_export(export):
            # into the source, a CSV export: read and planned by DuckDB, a million rows
            # and more, against the source's orders where they are
            read = ahead.take(source, lang, mapping_raw) if ahead is not None else None
            plan = imports.plan_csv_import(export, mapping, inputs.customers, orders,
                                           source=source, new_customers=new_customers,
                                           today=today, lang=lang, read=read)
        else:
            table = imports.read_export(export, mapping=mapping)
            if source is not None or s.OrdersSource:  # the book's orders are in both
                src = source or sources.locate(base, s.OrdersSource, "OrdersSource",
                                               lang=lang)
                ids, first, last = _export_keys(table, mapping)
                kept = sources.orders_for_import(src, inputs.customers, ids, first, last,
                                                 lang)
                if source is not None and not len(orders):
                    orders = kept
                elif len(kept):
                    orders = pd.concat([kept, orders[kept.columns]], ignore_index=True)
            plan = imports.plan_import(table, mapping, inputs.customers, orders,
                                       new_customers=new_customers, today=today, lang=lang)
    except imports.ImportFileError as exc:
        raise exc.localise(lang) from None
    result = ImportResult(plan, lang, plan.report(lang),
                          source=source.label if source else None)  # type: ignore[attr-defined]
    if dry_run:
        result.report += "\n" + imports.render("dry_run", lang)
    result.seconds = time.perf_counter() - start
    return _Prepared(result, imports.mapping_sheet_rows(plan.mapping_to_save, lang,
                                                        header=False), source)


def _writes(prepared: _Prepared, dry_run: bool) -> bool:
    plan = prepared.result.plan
    return not dry_run and plan.ok and (plan.will_write or bool(prepared.mapping_rows))  # type: ignore[attr-defined]


def _written_text(result: ImportResult, book: str, sheets: dict[str, str], orders: int,
                  customers: int, mapping_sheet: str | None) -> str:
    from . import imports

    lang = result.lang
    saved = imports.render("written_mapping", lang, sheet=mapping_sheet) if mapping_sheet \
        else ""
    if result.source is None:
        return imports.render("written", lang, book=book, orders=orders,
                              orders_sheet=sheets["Orders"], customers=customers,
                              customers_sheet=sheets["Customers"], mapping=saved)
    return imports.render("written_source", lang, book=book, orders=orders,
                          source=result.source, customers=customers,
                          customers_sheet=sheets["Customers"], mapping=saved)


def import_file(
    path: str | Path,
    export: str | Path,
    out: str | Path | None = None,
    *,
    dry_run: bool = False,
    to_source: bool = False,
    new_customers: bool = True,
    today: dt.date | None = None,
) -> ImportResult:
    """Import a till / online-shop export into a workbook file (in place when ``out`` is
    None; the old file is kept in the backups folder, as a refresh keeps it).

    Reads the export (:func:`~xl_addin.imports.read_export`) with the book's Mapping
    sheet, plans it against the book's Customers and Orders (and, with ``to_source``,
    the orders of Settings ``OrdersSource``: :func:`~xl_addin.imports.plan_import`), and
    — unless ``dry_run`` or a row is refused — appends the new orders to the Orders
    sheet (or to the source), the new customers to Customers and the mapping used to
    the Mapping sheet, all or nothing.
    """
    from . import imports, sources

    start = time.perf_counter()
    ahead = _ExportAhead(export, Path(path).parent) if to_source else None
    try:
        book = files.read_book(path, mapping=True, typed=True,
                               sheets=(*IMPORT_READS, "Settings"),
                               meanwhile=(("Settings", "Mapping"), ahead.start)
                               if ahead is not None else None)
        prepared = _prepare_import(book.raw, book.mapping, book.path.parent, export,
                                   dry_run=dry_run, to_source=to_source,
                                   new_customers=new_customers, today=today, ahead=ahead)
    finally:
        if ahead is not None:
            ahead.close()
    result, mapping_rows, source = prepared.result, prepared.mapping_rows, prepared.source
    if not _writes(prepared, dry_run):
        result.seconds = time.perf_counter() - start
        return result
    plan = result.plan
    lang = result.lang
    target = Path(out) if out else book.path
    count = plan.order_count  # type: ignore[attr-defined]
    new_customers_frame = plan.customers.drop(columns="_source_row")  # type: ignore[attr-defined]
    staged = None
    if source is not None and count:
        staged = sources.stage_orders(source, plan.rows_for_source(), lang)  # type: ignore[attr-defined]
        staged.commit()
    try:
        if source is None:
            new_orders = plan.orders.drop(columns="_source_row")  # type: ignore[attr-defined]
            files.write_import(book, target, new_orders, new_customers_frame, mapping_rows, lang)
        elif len(new_customers_frame) or mapping_rows:
            files.write_import(book, target, None, new_customers_frame, mapping_rows, lang)
        else:  # the workbook itself does not change
            target = book.path
    except BaseException:
        if staged is not None:
            staged.undo()
        raise
    finally:
        if staged is not None:
            staged.close()
    result.written = target
    sheets = {k: (book.raw[k].sheet if book.raw.get(k) is not None else k)
              for k in ("Orders", "Customers")}
    mapping_sheet = (book.mapping.sheet if book.mapping is not None
                     else imports.MAPPING_SHEET.label(lang)) if mapping_rows else None
    result.report += "\n" + _written_text(result, target.name, sheets, count,
                                          len(new_customers_frame), mapping_sheet)
    result.seconds = time.perf_counter() - start
    return result


def import_orders(path: str | Path | None = None, export: str | Path | None = None, *,
                  dry_run: bool = False, vba: str | None = None) -> ImportResult | None:
    """Import orders (the Dashboard's 导入订单 / Import orders button).

    In Excel (no ``path``): the user picks the export in Excel's file dialog (or it is
    ``export``); the import is planned against the open workbook's own tables, its
    summary shown for the user to confirm, and only then are the new customers, orders
    and mapping rows appended to their tables — nothing is written when a row is
    refused, or the user cancels. With ``path`` (and ``export``): :func:`import_file`.
    """
    if path is not None:
        if export is None:
            raise TypeError("import_orders(path, export): the export to import")
        return import_file(path, export, dry_run=dry_run)
    return _live_import(export, dry_run, vba)


def _live_import(export: str | Path | None, dry_run: bool, vba: str | None
                 ) -> ImportResult | None:
    import xlwings as xw

    from . import imports
    from .excel.live import LiveBook

    live = LiveBook(xw.Book.caller())
    if vba and vba != xw.__version__:
        both = [render_message(Reason.XLWINGS_MISMATCH, lang, vba=vba, python=xw.__version__)
                for lang in ("zh-CN", "en")]
        live.alert("\n\n".join(both))
        return None
    writing = False
    lang = "zh-CN"
    try:
        raw, _calls, _contacts = live.read()
        lang = raw_language(raw)
        if export is None:
            export = live.pick_file(imports.render("pick_export", lang),
                                    imports.render("export_kinds", lang))
            if export is None:  # the user closed the dialog
                return None
        mapping_raw = live.read_mapping()
        prepared = _prepare_import(raw, mapping_raw, live.folder, export, dry_run=dry_run,
                                   to_source=False, new_customers=True, today=None)
        result = prepared.result
        lang = result.lang
        if not _writes(prepared, dry_run):
            live.alert(result.report)
            return result
        if not live.confirm(result.report + "\n\n" + imports.render("confirm_import", lang)):
            return None
        plan = result.plan
        orders = plan.orders.drop(columns="_source_row")  # type: ignore[attr-defined]
        customers = plan.customers.drop(columns="_source_row")  # type: ignore[attr-defined]
        writing = True
        mapping_sheet = live.append_import(raw, mapping_raw, orders, customers,
                                           prepared.mapping_rows, lang)
        sheets = {k: (raw[k].sheet if raw.get(k) is not None else k)  # type: ignore[union-attr]
                  for k in ("Orders", "Customers")}
        result.report += "\n" + _written_text(result, live.name, sheets, len(orders),
                                              len(customers), mapping_sheet)
        live.alert(result.report)
        return result
    except CustomerBookError as exc:
        live.alert(exc.render(getattr(exc, "lang", None) or lang))
        return None
    except Exception as exc:  # a bug or Excel itself: a short message, never a traceback
        _alert_unexpected(live, exc, writing)
        return None


@dataclass
class ArchiveResult:
    """What an archive moved (or, with ``dry_run``, would move)."""

    moved: int
    kept: int
    lang: str
    report: str
    source: str
    written: Path | None = None
    seconds: float = 0.0


def _archive_text(lang: str, moved: int, kept: int, before: dt.date, sheet: str, source: str,
                  dry_run: bool) -> str:
    if lang == "zh-CN":
        verb = "将移动" if dry_run else "已移动"
        text = (f"{sheet}中 {before.isoformat()} 之前的订单 {moved:,} 行{verb}到 {source}；"
                f"留在{sheet}中 {kept:,} 行。")
        return text + ("试运行：未写入任何内容。" if dry_run else "")
    verb = "would move" if dry_run else "moved"
    text = (f"{moved:,} order row(s) of {sheet} dated before {before.isoformat()} {verb} "
            f"to {source}; {kept:,} row(s) stay on {sheet}.")
    return text + (" Dry run: nothing was written." if dry_run else "")


def archive_file(path: str | Path, before: dt.date, out: str | Path | None = None, *,
                 dry_run: bool = False) -> ArchiveResult:
    """Move the Orders sheet's rows dated before ``before`` into Settings
    ``OrdersSource`` (created when it does not exist yet), all or nothing: the source
    takes them first, then the workbook is written without them; should the workbook
    not be written, the source is put back. The refresh reads both, so its outputs do
    not change. The Orders sheet is rewritten row by row (the writer cannot delete rows
    in place), so a sheet with formulas, title rows above its header or a table that
    does not start in column A is refused, before anything is written.
    """
    from . import sources

    start = time.perf_counter()
    book = files.read_book(path)
    inputs = parse_inputs(_orders_optional(book.raw))
    s = inputs.settings
    lang = s.Language
    if not s.OrdersSource:
        raise CustomerBookError(Reason.SOURCE_NOT_SET, lang=lang, setting="OrdersSource",
                                what="归档订单" if lang == "zh-CN" else "Archiving orders")
    source = sources.locate(book.path.parent, s.OrdersSource, "OrdersSource", lang=lang,
                            create=True)
    raw = book.raw.get("Orders")
    orders = inputs.orders
    move = orders["OrderDate"] < pd.Timestamp(before)
    moved_rows = set(orders.loc[move, "_row"].astype(int))
    sheet = raw.sheet if raw is not None else ORDERS.label(lang)
    result = ArchiveResult(len(moved_rows), len(orders) - len(moved_rows), lang, "",
                           source.label)
    result.report = _archive_text(lang, result.moved, result.kept, before, sheet,
                                  source.label, dry_run or not moved_rows)
    if dry_run or not moved_rows or raw is None:
        result.seconds = time.perf_counter() - start
        return result
    files.check_rewritable(book, "Orders", lang)
    kept = [r for i, r in enumerate(raw.rows) if raw.header_row + 1 + i not in moved_rows]
    while kept and all(v in (None, "") for v in kept[-1]):
        kept.pop()
    frame = orders.loc[move].drop(columns="_row")
    staged = sources.stage_orders(source, frame, lang)
    staged.commit()
    target = Path(out) if out else book.path
    try:
        files.write_sheet_rows(book, target, "Orders", [list(raw.header), *kept])
    except BaseException:
        staged.undo()
        raise
    finally:
        staged.close()
    result.written = target
    result.seconds = time.perf_counter() - start
    return result
