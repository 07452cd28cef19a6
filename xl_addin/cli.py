"""``customerbook`` — the headless command line.

    customerbook refresh BOOK [--out OUT] [--as-of YYYY-MM-DD] [--job JOB] [--[no-]progress]
    customerbook demo OUT [--customers N] [--orders N] [--contacts N] [--lang zh-CN|en]

Exit codes: 0 done; 2 a problem with the input the user can fix (the message names the
sheet, the row as Excel numbers it and the column; nothing was written); 1 anything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    sub.add_parser("demo", add_help=False,
                   help="write a big deterministic demo workbook: customerbook demo OUT "
                        "[--customers N] [--orders N] [--contacts N] [--lang zh-CN|en]")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        from .bigbook import main as demo_main

        return demo_main(argv[1:])
    args = parser.parse_args(argv)

    try:
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


if __name__ == "__main__":
    raise SystemExit(main())
