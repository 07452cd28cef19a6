"""Work done in a forked copy of this process, beside the rest of a refresh.

At Excel's row limit a refresh spends most of its time in code that holds Python's
interpreter lock (calamine building the Orders sheet's million rows, typing their cells,
fitting the purchase models): threads cannot share that out over a machine's cores. A
forked child can. It starts with the parent's memory as it is (copy-on-write: nothing is
copied or pickled to start it), does one piece of work, pickles the result into an
unlinked temporary file and exits; the parent loads it when it needs it.

A child is only ever a shortcut. :meth:`Forked.result` returns what ``fn(*args)`` returns
in the parent: when the child fails for any reason (an error, a signal, a result that
cannot be pickled), the parent runs ``fn`` itself, so what a refresh computes and says
never depends on the child. Children are used on Linux with more than one core and not
when ``CUSTOMERBOOK_WORKERS=0`` (Windows has no fork; on macOS a forked child may not
use the system's numerical libraries); elsewhere the same calls run in a thread or
in the caller.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import tempfile
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

__all__ = ["Forked", "available", "beside", "children_kb", "pack_frame", "unpack_frame"]

T = TypeVar("T")


def available() -> bool:
    """Whether work may go to forked children here."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and (os.cpu_count() or 1) > 1
            and os.environ.get("CUSTOMERBOOK_WORKERS", "").strip() != "0")


#: how many children were started (by this process)
started = 0
#: (start, end, KB) of each child that finished: how much it grew beyond the memory it
#: shared with this process, from its start until its result was taken
_GROWN: list[tuple[float, float, int]] = []


def children_kb() -> int:
    """The most that the finished children grew at one time (KB): the largest sum over
    children alive together. With this process's own peak, an upper bound of what a run
    held at its peak."""
    times = sorted({t for a, b, _ in _GROWN for t in (a, b)})
    return max((sum(kb for a, b, kb in _GROWN if a <= t < b) for t in times), default=0)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))


def _cap(extra: int) -> None:
    """Limit this process's address space to its size now plus ``extra`` bytes."""
    import resource

    size = _status_kb("VmSize") * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    soft = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _reap(pid: int) -> None:
    """Stop and collect a child whose result is no longer wanted."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


class Forked(Generic[T]):
    """``fn(*args, **kwargs)`` running in a forked child from the moment this is made."""

    def __init__(self, fn: Callable[..., T], *args: Any,
                 here: Callable[[], T] | None = None, address_space: int | None = None,
                 **kwargs: Any) -> None:
        # ``here``: what the parent does instead when the child fails (default: ``fn``);
        # ``address_space``: bytes the child may map beyond the parent's size (an
        # allocation past them fails in the child, which then ends)
        self._call = (here, (), {}) if here is not None else (fn, args, kwargs)
        self._done = False
        self._value: Any = None
        self._pid: int | None = None
        self._fh = tempfile.TemporaryFile(prefix="customerbook-")
        sys.stdout.flush()
        sys.stderr.flush()
        self._started = time.monotonic()
        global started
        started += 1
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                start = _status_kb("VmRSS")  # pages shared with the parent, so far
                _GROWN.clear()  # from here on: this child's own children
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent says what happened
                quiet = os.open(os.devnull, os.O_WRONLY)  # e.g. a reader's own last words
                os.dup2(quiet, 1)
                os.dup2(quiet, 2)
                if address_space is not None:
                    _cap(address_space)
                value = fn(*args, **kwargs)
                grown = max(_status_kb("VmHWM") - start, 0) + children_kb()
                pickle.dump((grown, value), self._fh, protocol=pickle.HIGHEST_PROTOCOL)
                self._fh.flush()
                code = 0
            except BaseException:  # the parent does the work itself
                code = 1
            finally:
                os._exit(code)
        self._pid = pid
        self._finalizer = weakref.finalize(self, _reap, pid)

    def result(self) -> T:
        """The child's result (waiting for it), else ``fn``'s (or ``here``'s), run here."""
        if self._done:
            return self._value
        fn, args, kwargs = self._call
        got: Any = _FAILED
        if self._pid is not None:
            pid, self._pid = self._pid, None
            self._finalizer.detach()
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                status = -1
            if status == 0:
                try:
                    self._fh.seek(0)
                    grown, got = pickle.load(self._fh)
                    _GROWN.append((self._started, time.monotonic(), grown))
                except Exception:
                    got = _FAILED
        self._fh.close()
        self._value = fn(*args, **kwargs) if got is _FAILED else got
        self._done = True
        self._call = None  # type: ignore[assignment]  # let the inputs go
        return self._value

    def cancel(self) -> None:
        """Stop the child: its result is not wanted."""
        if self._pid is not None:
            pid, self._pid = self._pid, None
            self._finalizer.detach()
            _reap(pid)
        self._fh.close()
        self._done, self._value, self._call = True, None, None  # type: ignore[assignment]


_FAILED = object()


def beside(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any
           ) -> Forked[T] | Future[T]:
    """``fn(*args, **kwargs)`` started beside the caller: in a forked child where that is
    :func:`available`, else in ``pool``'s thread."""
    if available():
        return Forked(fn, *args, **kwargs)
    return pool.submit(fn, *args, **kwargs)


# -- frames through the pipe --------------------------------------------------------------
# Pickling a column of a million Python strings costs seconds; the same strings joined into
# one text (and split again) cost a fraction of that.
_SEP = "\x1f"  # unit separator: a cell's text cannot hold it (not allowed in XML 1.0)


def pack_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """``frame`` in a form that pickles fast: text columns joined into one string."""
    cols: dict[str, Any] = {}
    for name in frame.columns:
        s = frame[name]
        if not isinstance(s.dtype, np.dtype):  # pandas' own kinds (str, Int64 …): as they are
            cols[name] = ("array", s.array)
            continue
        values = s.to_numpy()
        packed = _packed_text(values) if values.dtype == object else None
        cols[name] = packed or ("array", values)
    return {"index": frame.index, "columns": cols, "order": list(frame.columns)}


def _packed_text(values: np.ndarray) -> tuple | None:
    """A column of text (NaN where blank, as text columns read) as one joined string,
    or None when it holds anything else."""
    kinds = set(map(type, values))  # (str itself: a subclass would come back a plain str)
    if kinds <= {str}:
        texts, is_text = values, None
    elif kinds == {str, float}:
        is_text = ~pd.isna(values)
        texts = values[is_text]
        if set(map(type, texts)) != {str}:  # a float that is not NaN
            return None
    else:
        return None
    joined = _SEP.join(texts.tolist())
    if joined.count(_SEP) != max(len(texts) - 1, 0):
        return None
    return ("text", joined, len(texts), is_text)


def unpack_frame(packed: dict[str, Any]) -> pd.DataFrame:
    """The frame :func:`pack_frame` packed, column for column and dtype for dtype."""
    index = packed["index"]
    data: dict[str, Any] = {}
    for name in packed["order"]:
        kind, *rest = packed["columns"][name]
        if kind == "text":
            joined, n, is_text = rest
            texts = joined.split(_SEP) if n else []
            if is_text is None:
                values = np.empty(len(texts), dtype=object)
                values[:] = texts
            else:
                values = np.full(len(is_text), np.nan, dtype=object)
                values[is_text] = texts
            data[name] = pd.Series(values, index=index, dtype=object, copy=False)
        else:
            data[name] = pd.Series(rest[0], index=index, dtype=rest[0].dtype, copy=False)
    return pd.DataFrame(data, index=index, copy=False)
