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
import datetime as dt
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .domain.loop import take_call_outcomes
from .domain.pipeline import JOBS, Outputs, Progress, no_progress, run
from .domain.schema import RawTable, parse_inputs, raw_language
from .errors import CustomerBookError, Reason, render_message
from .excel import files
from .excel.sheets import OutputTable, contact_rows, output_tables
from .names import CONTACTS, step_label, step_number

__all__ = ["RefreshResult", "call_list", "classify", "follow_ups", "refresh_all",
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
) -> RefreshResult:
    """Validate, compute and shape the outputs of ``job``; nothing is written here.

    ``release_rows``: empty the raw tables' rows once they are parsed (the caller no
    longer needs them; at a million rows they are the largest thing a refresh holds).
    """
    progress("check", raw_language(raw))
    inputs = parse_inputs(raw, as_of=as_of)
    lang = inputs.settings.Language
    if release_rows:
        for table in raw.values():
            if table is not None:
                table.rows = []
    calls = None
    if "CallList" in JOBS[job]:
        day = inputs.settings.as_of(today)
        calls = take_call_outcomes(calllist, set(inputs.customers["CustomerID"]), lang, day)
    outputs = run(inputs, calls, today, progress)
    progress("shape", lang)
    tables = output_tables(outputs, job, sheet_names)
    contacts_header = (raw["Contacts"].header if raw.get("Contacts")  # no sheet yet: ours
                       else [c.label(lang) for c in CONTACTS.columns])
    rows = contact_rows(outputs.new_contacts, contacts_header, lang)
    counts = {"customers": len(outputs.analysis), "followups": len(outputs.followups),
              "calls": len(outputs.calllist), "logged": len(rows),
              "pending": int(outputs.calllist["Message"].notna().sum())}
    return RefreshResult(outputs, tables, rows, counts=counts)


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
        book = files.read_book(path)
        result = refresh_core(book.raw, book.calllist, list(book.info.sheets), job, as_of,
                              today, progress=tell, release_rows=True)
        tell("write", result.outputs.lang)
        result.report = files.write_outputs(book, target, result.tables, result.contacts_rows,
                                            result.outputs.lang)
    result.written = target
    result.seconds = time.perf_counter() - start
    return result


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
            result = refresh_core(raw, calllist, live.sheet_names, job, progress=show)
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
        err = CustomerBookError("unexpected_while_writing" if writing else "unexpected",
                                detail=f"{type(exc).__name__}: {str(exc)[:200]}")
        live.alert(f"{err.render('zh-CN')}\n\n{err.render('en')}")
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
