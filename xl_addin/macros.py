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

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from .domain.loop import take_call_outcomes
from .domain.pipeline import JOBS, Outputs, run
from .domain.schema import RawTable, parse_inputs
from .errors import CustomerBookError
from .excel import files
from .excel.sheets import OutputTable, contact_rows, output_tables

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


def refresh_core(
    raw: dict[str, RawTable | None],
    calllist: RawTable | None,
    sheet_names: list[str],
    job: str = "refresh_all",
    as_of: dt.date | None = None,
    today: dt.date | None = None,
) -> RefreshResult:
    """Validate, compute and shape the outputs of ``job``; nothing is written here."""
    inputs = parse_inputs(raw, as_of=as_of)
    lang = inputs.settings.Language
    calls = None
    if "CallList" in JOBS[job]:
        day = inputs.settings.as_of(today)
        calls = take_call_outcomes(calllist, set(inputs.customers["CustomerID"]), lang, day)
    outputs = run(inputs, calls, today)
    tables = output_tables(outputs, job, sheet_names)
    contacts_header = raw["Contacts"].header if raw.get("Contacts") else []
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
) -> RefreshResult:
    """Headless refresh of a workbook file (in place when ``out`` is None)."""
    start = time.perf_counter()
    book = files.read_book(path)
    result = refresh_core(book.raw, book.calllist, list(book.info.sheets), job, as_of, today)
    target = Path(out) if out else book.path
    result.report = files.write_outputs(book, target, result.tables, result.contacts_rows)
    result.written = target
    result.seconds = time.perf_counter() - start
    return result


def _live(job: str) -> RefreshResult | None:
    import xlwings as xw

    from .excel.live import LiveBook

    live = LiveBook(xw.Book.caller())
    writing = False
    try:
        live.status("CustomerBook …")
        # everything is read, validated and computed before the first cell is written
        raw, calllist, contacts_table = live.read()
        result = refresh_core(raw, calllist, live.sheet_names, job)
        writing = True
        if result.contacts_rows and raw.get("Contacts") is not None:
            live.append_contacts(raw["Contacts"], contacts_table, result.contacts_rows)
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
           as_of: dt.date | None) -> RefreshResult | None:
    if path is None:
        return _live(job)
    return refresh_file(path, out, job=job, as_of=as_of)


def refresh_all(path: str | Path | None = None, out: str | Path | None = None,
                as_of: dt.date | None = None) -> RefreshResult | None:
    """Refresh all: log typed call outcomes, then Analysis, FollowUps, CallList, Dashboard."""
    return _entry("refresh_all", path, out, as_of)


def classify(path: str | Path | None = None, out: str | Path | None = None,
             as_of: dt.date | None = None) -> RefreshResult | None:
    """Classify: Analysis (ABC, RFM, tiers, value) and the Dashboard."""
    return _entry("classify", path, out, as_of)


def follow_ups(path: str | Path | None = None, out: str | Path | None = None,
               as_of: dt.date | None = None) -> RefreshResult | None:
    """Follow-ups: the FollowUps sheet and the Dashboard."""
    return _entry("follow_ups", path, out, as_of)


def call_list(path: str | Path | None = None, out: str | Path | None = None,
              as_of: dt.date | None = None) -> RefreshResult | None:
    """Call list: log typed outcomes, then FollowUps, CallList and the Dashboard."""
    return _entry("call_list", path, out, as_of)
