"""``customerbook`` — the headless command line.

    customerbook refresh BOOK [--out OUT] [--as-of YYYY-MM-DD] [--job JOB] [--[no-]progress]
    customerbook import BOOK EXPORT [--out OUT] [--dry-run] [--to-source] [--no-new-customers]
    customerbook archive BOOK --before YYYY-MM-DD [--out OUT] [--dry-run]
    customerbook demo OUT [--customers N] [--orders N] [--contacts N] [--lang zh-CN|en]

Exit codes: 0 done; 2 a problem with the input the user can fix (the message names the
sheet, the row as Excel numbers it and the column; nothing was written; for an import:
a refused row, listed with its row number); 1 anything else.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from .domain.pipeline import JOBS
from .domain.schema import parse_date
from .errors import BookError, CustomerBookError
from .names import step_label, step_number

__all__ = ["main"]


def _as_of(text: str) -> dt.date:
    """``--as-of`` in any form a date cell accepts (2026-03-05, 2026/3/5, 2026年3月5日 …),
    within the years 1900-2200."""
    try:
        return parse_date(text)
    except ValueError:
        raise BookError("bad_as_of", value=text) from None


def _message(exc: CustomerBookError) -> str:
    lang = getattr(exc, "lang", None)
    if lang:
        return exc.render(lang)
    # the workbook's language is not known yet (e.g. the file cannot be opened): both
    return f"{exc.render('zh-CN')}\n{exc.render('en')}"


def _summary(result, lang: str) -> str:
    c = result.counts
    if lang == "zh-CN":
        text = (f"已写入 {result.written}：客户分析 {c['customers']} 位客户，回访提醒 {c['followups']} 项，"
                f"呼叫清单 {c['calls']} 行；联系记录新增 {c['logged']} 条")
        if c["pending"]:
            text += f"；{c['pending']} 行未能记录，见呼叫清单“提示”列"
        return text + f"（{result.seconds:.1f} 秒）"
    text = (f"Wrote {result.written}: Analysis {c['customers']} customers, FollowUps "
            f"{c['followups']} items, CallList {c['calls']} rows; {c['logged']} contacts logged")
    if c["pending"]:
        text += f"; {c['pending']} rows could not be logged (see the CallList Message column)"
    return text + f" ({result.seconds:.1f} s)"


class _ProgressBar:
    """The refresh's steps on stderr: a bar redrawn in place on a terminal, one line per
    step otherwise (logs, CI)."""

    WIDTH = 24

    def __init__(self, stream: TextIO, in_place: bool) -> None:
        self.stream, self.in_place = stream, in_place
        self.start = time.perf_counter()
        self.drawn = False

    def __call__(self, step: str, lang: str | None) -> None:
        n, total = step_number(step)
        done = self.WIDTH * (n - 1) // total
        elapsed = time.perf_counter() - self.start
        text = (f"[{'#' * done}{'-' * (self.WIDTH - done)}] {n}/{total} "
                f"{step_label(step, lang)} … {elapsed:.1f}s")
        if self.in_place:
            self.stream.write("\r\x1b[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.in_place and self.drawn:  # leave the terminal line clean for the summary
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="customerbook", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ref = sub.add_parser("refresh", help="refresh the output sheets of a workbook")
    ref.add_argument("book", help="the .xlsm or .xlsx workbook")
    ref.add_argument("--out", help="write here instead of replacing BOOK")
    ref.add_argument("--as-of", dest="as_of", help="analysis date YYYY-MM-DD (default: "
                     "Settings AsOfDate, else today)")
    ref.add_argument("--job", choices=sorted(JOBS), default="refresh_all")
    ref.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="show the steps on stderr (default: when stderr is a terminal)")
    imp = sub.add_parser("import", help="append the orders of a till or online-shop export "
                         "(CSV in UTF-8 or GBK, or .xlsx) to the workbook, all or nothing")
    imp.add_argument("book", help="the .xlsm or .xlsx workbook")
    imp.add_argument("export", help="the export file (.csv or .xlsx)")
    imp.add_argument("--out", help="write here instead of replacing BOOK")
    imp.add_argument("--dry-run", dest="dry_run", action="store_true",
                     help="say what the import would do, write nothing")
    imp.add_argument("--to-source", dest="to_source", action="store_true",
                     help="append the orders to Settings OrdersSource instead of the Orders "
                          "sheet (new customers still go to Customers)")
    imp.add_argument("--no-new-customers", dest="new_customers", action="store_false",
                     help="list buyers who are not on the Customers sheet instead of adding "
                          "them (their orders are not imported)")
    arc = sub.add_parser("archive", help="move the Orders sheet's rows dated before DATE "
                         "into Settings OrdersSource, all or nothing")
    arc.add_argument("book", help="the .xlsm or .xlsx workbook")
    arc.add_argument("--before", required=True, help="orders dated before this day move "
                     "(YYYY-MM-DD)")
    arc.add_argument("--out", help="write the workbook here instead of replacing BOOK")
    arc.add_argument("--dry-run", dest="dry_run", action="store_true",
                     help="say what would move, write nothing")
    sub.add_parser("demo", add_help=False,
                   help="write a big deterministic demo workbook: customerbook demo OUT "
                        "[--customers N] [--orders N] [--contacts N] [--lang zh-CN|en]")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        from .bigbook import main as demo_main

        return demo_main(argv[1:])
    args = parser.parse_args(argv)
    if args.command == "import":
        return _guarded(args, _import)
    if args.command == "archive":
        return _guarded(args, _archive)
    return _guarded(args, _refresh)


def _import(args: argparse.Namespace) -> int:
    from .macros import import_file

    result = import_file(args.book, args.export, args.out, dry_run=args.dry_run,
                         to_source=args.to_source, new_customers=args.new_customers)
    print(result.report)
    return 0 if result.ok else 2


def _archive(args: argparse.Namespace) -> int:
    from .macros import archive_file

    before = _as_of(args.before)
    result = archive_file(args.book, before, args.out, dry_run=args.dry_run)
    print(result.report)
    return 0


def _guarded(args: argparse.Namespace, command) -> int:
    """Run a command; a problem the user can fix is a message and exit 2, never a
    traceback."""
    try:
        return command(args)
    except CustomerBookError as exc:
        print(_message(exc), file=sys.stderr)
        return 2
    except OSError as exc:  # the file is locked (open in Excel), the disk is full …
        err = BookError("io_error", path=exc.filename or getattr(args, "book", ""),
                        detail=exc.strerror or type(exc).__name__)
        print(_message(err), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


def _refresh(args: argparse.Namespace) -> int:
    from .macros import refresh_file

    as_of = _as_of(args.as_of) if args.as_of else None
    tty = sys.stderr.isatty()
    bar = _ProgressBar(sys.stderr, tty) if (args.progress or (
        args.progress is None and tty)) else None
    try:
        result = refresh_file(args.book, args.out, job=args.job, as_of=as_of, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    print(_summary(result, result.outputs.lang))
    head = "提示：" if result.outputs.lang == "zh-CN" else "Please check: "
    for text in result.outputs.warnings:
        print(head + text, file=sys.stderr)
    return 0


def entry() -> None:
    """The program (``customerbook``, ``python -m xl_addin.cli``): :func:`main`, then out
    without taking the heap apart object by object. A refresh at Excel's row limit
    leaves millions of objects, and freeing them one by one costs about a second after
    the book is written and the summary shown; the system frees the process at once.
    What must happen at exit still does: the output is flushed and every exit handler
    runs (children collected, temporary folders removed)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 1)


if __name__ == "__main__":
    entry()
