"""Speed and memory of CustomerBook at Excel's limits, measured side by side.

Run from the repository root (a report, not a test)::

    python benchmarks/run.py                      # full size: ~20 minutes on 2 cores
    python benchmarks/run.py --size small         # < 2 minutes (CI-sized)
    python benchmarks/run.py --skip-openpyxl --skip-xlsxwriter --repeats 5 --out report.md

What it measures (every measured step runs in a fresh Python process, so its wall time
includes start-up and imports and its peak RSS is its own: the child writes its
``VmHWM`` as it exits (``ru_maxrss`` would carry the parent's size across the exec),
``os.wait4`` returns its CPU time; medians of ``--repeats`` runs):

* baseline: python-calamine merely reading the three input tables (what any refresh has
  to pay at least);
* ``customerbook refresh BOOK --out OUT`` (the real command line);
* the split of that refresh, in one process: every stage of ``refresh_file`` (reading,
  parsing, each pipeline stage, shaping, writing) timed by wrapping the functions the
  code calls, so nothing is re-implemented here and the figures add up to the real run;
* the core engine: ``pipeline.run`` with the inputs already in DataFrames (no I/O);
* BG/NBD and Gamma-Gamma against lifetimes (``benchmarks/bench_btyd.py``, called as is);
* growth with the number of orders (customers and contacts scale along);
* the worksheet functions over a column of 100,000 rows (Python time only);
* for comparison, openpyxl loading and saving the same book, and writing the book:
  :mod:`xl_addin.bigbook` against a plain xlsxwriter loop (normal mode + Tables).

Input books are written once by :func:`xl_addin.bigbook.write_demo_book` and cached in
``--cache`` (default ``/tmp/cb-bench``) under a name keyed by size and by the source of
the data generator and writer. The machine, its load (1-minute load average at the start
of each step) and the library versions are printed with the tables.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import hashlib
import importlib
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FULL = {"customers": 100_000, "orders": 1_048_575, "contacts": 200_000}
SIZES = {
    "full": {"book": FULL, "growth": [10_000, 100_000, 1_048_575], "udf_rows": 100_000,
             "btyd_customers": 200_000},
    "small": {"book": {"customers": 4_768, "orders": 50_000, "contacts": 9_536},
              "growth": [2_000, 10_000, 50_000], "udf_rows": 100_000,
              "btyd_customers": 20_000},
}
ENGINE_TARGET_S = 5.0  # "a few seconds"
UDF_TARGET_S = 0.5  # "well under a second"
NEAR_LINEAR_SLOPE = 1.15  # log-log growth exponent we still call near-linear


# =====================================================================================
# children: each runs in its own process and prints one JSON line last
# =====================================================================================
def _rss_mb() -> tuple[float, float]:
    """(peak so far, current) resident set size of this process in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        with open("/proc/self/status") as fh:  # this address space's own high-water mark
            peak = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:")) / 1024
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        current = float("nan")
    return peak, current


def child_calamine(book: str) -> dict[str, Any]:
    """The baseline: python-calamine reads the three input tables into Python lists."""
    t0 = time.perf_counter()
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_path(book, load_tables=True)
    counts = {}
    names = set(wb.table_names)
    for key in ("Customers", "Orders", "Contacts"):
        if key in names:
            rows = wb.get_table_by_name(key).to_python()
        else:  # a book without Tables: the sheet with the same position
            rows = wb.get_sheet_by_index(len(counts)).to_python()
        counts[key] = len(rows)
        del rows
    wb.close()
    return {"rows": counts, "inside_s": time.perf_counter() - t0}


# (module, attribute, label): functions wrapped to time the stages of one refresh. The
# refresh calls them through these module attributes, so wrapping them is enough; an
# attribute that does not exist (the code moved on) is skipped and shows as missing.
STAGES = [
    ("xl_addin.excel.files", "read_book", "read_book"),
    ("xl_addin.excel.ooxml", "inspect_book", "inspect_book (zip structure)"),
    ("xl_addin.excel.ooxml", "fingerprint", "fingerprint (sha256 of the file)"),
    ("xl_addin.excel.files", "_raw", "calamine table -> lists (_raw)"),
    ("xl_addin.macros", "parse_inputs", "parse_inputs (schema)"),
    ("xl_addin.macros", "take_call_outcomes", "take_call_outcomes"),
    ("xl_addin.macros", "run", "run (engine)"),
    ("xl_addin.domain.pipeline", "analyse", "analyse"),
    ("xl_addin.domain.pipeline", "customer_history", "history"),
    ("xl_addin.domain.pipeline", "predict_value", "predict_value"),
    ("xl_addin.domain.pipeline", "follow_ups", "follow_ups"),
    ("xl_addin.domain.pipeline", "call_list", "call_list"),
    ("xl_addin.domain.pipeline", "dashboard_data", "dashboard"),
    ("xl_addin.macros", "output_tables", "output_tables (frames -> cells)"),
    ("xl_addin.macros", "contact_rows", "contact_rows"),
    ("xl_addin.excel.files", "write_outputs", "write_outputs"),
    ("xl_addin.excel.ooxml", "write_book", "write_book (zip parts)"),
    # write_book checks the source's fingerprint again just before the move
    ("xl_addin.excel.ooxml.writer", "fingerprint", "fingerprint (sha256 of the file)"),
]


class _Recorder:
    """Nested stage timings: path of labels -> wall, CPU, calls, RSS after."""

    def __init__(self, keep: str | None = None) -> None:
        self.stack: list[str] = []
        self.stats: dict[tuple[str, ...], dict[str, float]] = {}
        self.keep, self.kept = keep, None  # the last result of the stage labelled ``keep``

    def wrap(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(label)
            path = tuple(self.stack)
            self.stats.setdefault(path, {"wall": 0.0, "cpu": 0.0, "calls": 0})  # call order
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                result = fn(*args, **kwargs)
                if label == self.keep:
                    self.kept = result
                return result
            finally:
                wall, cpu = time.perf_counter() - w0, time.process_time() - c0
                peak, cur = _rss_mb()
                s = self.stats.setdefault(path, {"wall": 0.0, "cpu": 0.0, "calls": 0})
                s["wall"] += wall
                s["cpu"] += cpu
                s["calls"] += 1
                s["peak_mb"], s["rss_mb"] = peak, cur
                self.stack.pop()

        return timed

    def install(self) -> list[str]:
        missing = []
        for mod_name, attr, label in STAGES:
            mod = importlib.import_module(mod_name)
            fn = getattr(mod, attr, None)
            if fn is None:
                missing.append(f"{mod_name}.{attr}")
                continue
            setattr(mod, attr, self.wrap(fn, label))
        return missing


def child_split(book: str, out: str, profile: str | None = None) -> dict[str, Any]:
    """One refresh_file, every stage timed; also the engine alone on the parsed inputs."""
    import gc

    t0 = time.perf_counter()
    from xl_addin import macros
    from xl_addin.domain import pipeline

    imports = time.perf_counter() - t0
    rec = _Recorder(keep="parse_inputs (schema)")
    missing = rec.install()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    w0, c0 = time.perf_counter(), time.process_time()
    result = macros.refresh_file(book, out)
    total, total_cpu = time.perf_counter() - w0, time.process_time() - c0
    peak_refresh = _rss_mb()[0]
    stages = {"/".join(k): dict(v) for k, v in rec.stats.items()}
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    # the core engine alone on the inputs that refresh parsed: no I/O, a second time (warm)
    engine = {}
    inputs = rec.kept
    result.outputs = result.tables = None  # type: ignore[assignment]  # free them
    gc.collect()
    if inputs is not None:
        rec2 = _Recorder()
        for name in ("analyse", "customer_history", "predict_value", "follow_ups", "call_list",
                     "dashboard_data"):
            if hasattr(pipeline, name):
                fn = getattr(pipeline, name)
                setattr(pipeline, name, rec2.wrap(getattr(fn, "__wrapped__", fn), name))
        run = getattr(pipeline.run, "__wrapped__", pipeline.run)
        w1, c1 = time.perf_counter(), time.process_time()
        run(inputs)
        engine = {"wall": time.perf_counter() - w1, "cpu": time.process_time() - c1,
                  "stages": {"/".join(k): v for k, v in rec2.stats.items()}}
    return {
        "imports_s": imports, "total_s": total, "total_cpu_s": total_cpu,
        "peak_refresh_mb": peak_refresh, "missing": missing, "counts": result.counts,
        "stages": stages, "engine": engine,
    }


def child_openpyxl(book: str, out: str) -> dict[str, Any]:
    import openpyxl

    t0 = time.perf_counter()
    wb = openpyxl.load_workbook(book)
    t1 = time.perf_counter()
    wb.save(out)
    return {"load_s": t1 - t0, "save_s": time.perf_counter() - t1}


def child_bigbook(out: str, customers: int, orders: int, contacts: int) -> dict[str, Any]:
    from xl_addin.bigbook import write_demo_book
    from xl_addin.demo import make_demo

    t0 = time.perf_counter()
    make_demo(customers, orders, contacts)
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    write_demo_book(out, customers, orders, contacts)
    return {"make_demo_s": gen, "make_demo_and_write_s": time.perf_counter() - t0,
            "bytes": Path(out).stat().st_size}


def child_xlsxwriter(out: str, customers: int, orders: int, contacts: int) -> dict[str, Any]:
    """The plain way: xlsxwriter (normal mode, Tables need it), one call per cell."""
    import pandas as pd
    import xlsxwriter

    from xl_addin.demo import make_demo
    from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS

    frames = make_demo(customers, orders, contacts)
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for spec in (CUSTOMERS, ORDERS, CONTACTS):
        frame = frames[spec.key]
        ws = wb.add_worksheet(spec.label("zh-CN"))
        kinds = [c.kind for c in spec.columns]
        cols = []
        for c in spec.columns:
            s = frame[c.key]
            if c.kind == "date":
                cols.append([None if pd.isna(v) else v.to_pydatetime() for v in s])
            else:
                cols.append(s.astype(object).where(s.notna(), None).tolist())
        for r, row in enumerate(zip(*cols, strict=True), start=1):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if kinds[j] == "date":
                    ws.write_datetime(r, j, v, date_fmt)
                elif isinstance(v, str):
                    ws.write_string(r, j, v)
                else:
                    ws.write_number(r, j, v)
        ws.add_table(0, 0, max(len(frame), 1), len(cols) - 1, {
            "name": spec.key, "columns": [{"header": c.label("zh-CN")} for c in spec.columns]})
    wb.close()
    return {"write_s": time.perf_counter() - t0, "bytes": Path(out).stat().st_size}


def _udf_inputs(n: int) -> dict[str, list[Any]]:
    """Column arguments as xlwings hands them to a UDF on a 1-column range: lists."""
    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_btyd import simulate

    sim = simulate(n)
    freq = sim["frequency"]
    rec_days = np.round(sim["recency"] * 7)
    age_days = np.round(sim["T"] * 7)
    spend = sim["monetary_value"]
    revenue = np.round(spend * (freq + 1), 2)
    base = dt.datetime(2026, 1, 1)
    rng = np.random.default_rng(7)
    due = [base + dt.timedelta(days=int(d)) for d in rng.integers(-200, 60, n)]
    due = [None if i % 17 == 0 else d for i, d in enumerate(due)]  # some blanks
    last = [base - dt.timedelta(days=int(d)) for d in rng.integers(0, 400, n)]
    classes = rng.choice(np.array(["A", "B", "C"], dtype=object), n, p=[0.2, 0.3, 0.5]).tolist()
    return {
        "revenue": revenue.tolist(), "recency_days": (age_days - rec_days).tolist(),
        "orders": (freq + 1).tolist(), "frequency": freq.tolist(),
        "recency": rec_days.tolist(), "age": age_days.tolist(), "spend": spend.tolist(),
        "due": due, "last": last, "classes": classes,
    }


def child_udf(rows: int, repeats: int) -> dict[str, Any]:
    from xl_addin import functions as F

    a = _udf_inputs(rows)
    as_of = dt.datetime(2026, 1, 1)
    calls: dict[str, Callable[[], Any]] = {
        "CB_ABC(revenue)": lambda: F.CB_ABC(a["revenue"]),
        "CB_RFM_SEGMENT(r, f, m)": lambda: F.CB_RFM_SEGMENT(a["recency_days"], a["orders"],
                                                              a["revenue"]),
        "CB_RFM_SEGMENT(r, f, m, \"EN11\")": lambda: F.CB_RFM_SEGMENT(
            a["recency_days"], a["orders"], a["revenue"], "EN11"),
        "CB_NEXT_FOLLOWUP(last, class)": lambda: F.CB_NEXT_FOLLOWUP(a["last"], a["classes"]),
        "CB_DAYS_OVERDUE(due, as_of)": lambda: F.CB_DAYS_OVERDUE(a["due"], as_of),
        "CB_PALIVE(f, r, T)": lambda: F.CB_PALIVE(a["frequency"], a["recency"], a["age"]),
        "CB_EXPECTED_PURCHASES(f, r, T, 365)": lambda: F.CB_EXPECTED_PURCHASES(
            a["frequency"], a["recency"], a["age"], 365),
        "CB_AVG_SPEND(f, spend)": lambda: F.CB_AVG_SPEND(a["frequency"], a["spend"]),
        "CB_CLV(f, r, T, spend)": lambda: F.CB_CLV(a["frequency"], a["recency"], a["age"],
                                                    a["spend"]),
    }
    out = {}
    for name, call in calls.items():
        walls, cpus = [], []
        result = None
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            result = call()
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        ok = isinstance(result, list) and len(result) == rows
        out[name] = {"wall": statistics.median(walls), "cpu": statistics.median(cpus),
                     "runs": walls, "ok": ok}
    return out


CHILDREN = {
    "calamine": child_calamine, "split": child_split, "openpyxl": child_openpyxl,
    "bigbook": child_bigbook, "xlsxwriter": child_xlsxwriter, "udf": child_udf,
}


def child_main(argv: Sequence[str]) -> int:
    name, args = argv[0], json.loads(argv[1])
    result = CHILDREN[name](**args)
    print("\n" + json.dumps(result, default=str))
    return 0


# =====================================================================================
# the parent: fresh processes, medians, tables
# =====================================================================================
#: runs a Python script or ``-m module`` (argv[1:]) and, as it exits, writes its own peak
#: RSS (KB) to $CB_PEAK, plus what the workers it forked grew beyond the memory they
#: shared with it, at most at one time (``xl_addin.forked.children_kb()``: an upper bound)
_PEAK_WRAPPER = ("import atexit, os, runpy, sys\n"
                 "def _peak():\n"
                 "    with open('/proc/self/status') as fh:\n"
                 "        kb = int(next(l.split()[1] for l in fh if l.startswith('VmHWM:')))\n"
                 "    kb += getattr(sys.modules.get('xl_addin.forked'), 'children_kb', int)()\n"
                 "    with open(os.environ['CB_PEAK'], 'w') as out:\n"
                 "        out.write(str(kb))\n"
                 "atexit.register(_peak)\n"
                 "if sys.argv[1] == '-m':\n"
                 "    sys.argv = sys.argv[2:]\n"
                 "    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
                 "else:\n"
                 "    sys.argv = sys.argv[1:]\n"
                 "    runpy.run_path(sys.argv[0], run_name='__main__')\n")


def measure(cmd: Sequence[str], timeout: float | None = None) -> dict[str, Any]:
    """Run ``cmd`` in a fresh process: wall, CPU, its own peak RSS, load, its JSON.

    Python (``python SCRIPT …`` or ``python -m MODULE …``) runs under a wrapper that writes the process's
    own ``VmHWM`` as it exits; for anything else the peak is ``wait4``'s ``ru_maxrss``."""
    cmd = list(cmd)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    peak_fd, peak_name = tempfile.mkstemp(suffix=".peak")
    os.close(peak_fd)
    os.unlink(peak_name)
    if cmd[0] == sys.executable and len(cmd) > 2 and (cmd[1].endswith(".py") or cmd[1] == "-m"):
        cmd = [cmd[0], "-c", _PEAK_WRAPPER, *cmd[1:]]
        env["CB_PEAK"] = peak_name
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        load = os.getloadavg()[0]
        w0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO, env=env)
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            raise
        wall = time.perf_counter() - w0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    rss_mb = ru.ru_maxrss / 1024
    if os.path.exists(peak_name):
        with open(peak_name) as fh:
            rss_mb = int(fh.read()) / 1024
        os.unlink(peak_name)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    data: Any = None
    last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    if last.startswith("{"):
        data = json.loads(last)
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": rss_mb,
            "load": load, "data": data, "stdout": stdout}


def child_cmd(name: str, **kwargs: Any) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", name, json.dumps(kwargs)]


def repeat(cmd: Sequence[str], n: int, say: Callable[[str], None], label: str,
           before: Callable[[], None] | None = None) -> dict[str, Any]:
    runs = []
    for i in range(n):
        if before:
            before()
        r = measure(cmd)
        runs.append(r)
        say(f"{label} run {i + 1}/{n}: wall {r['wall']:.2f} s, CPU {r['cpu']:.2f} s, "
            f"peak RSS {r['rss_mb']:.0f} MB, load {r['load']:.2f}")
    med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "rss_mb")}
    return {**med, "runs": runs, "load_min": min(r["load"] for r in runs),
            "load_max": max(r["load"] for r in runs), "n": n}


def _source_key() -> str:
    h = hashlib.sha256()
    writer = [f"xl_addin/excel/ooxml/{m}.py" for m in (
        "newbook", "refs", "styles", "parts", "table", "worksheet", "zipout", "xmltext",
        "package")]
    for rel in ("xl_addin/bigbook.py", "xl_addin/demo.py", *writer):
        h.update((REPO / rel).read_bytes())
    return h.hexdigest()[:10]


def book_path(cache: Path, customers: int, orders: int, contacts: int) -> Path:
    return cache / f"book-{customers}c-{orders}o-{contacts}k-zh-CN-{_source_key()}.xlsx"


def ensure_book(cache: Path, size: dict[str, int], say: Callable[[str], None]
                ) -> tuple[Path, dict[str, Any] | None]:
    path = book_path(cache, size["customers"], size["orders"], size["contacts"])
    if path.exists():
        return path, None
    cache.mkdir(parents=True, exist_ok=True)
    say(f"writing {path.name} ...")
    r = measure(child_cmd("bigbook", out=str(path), **size))
    say(f"  written in {r['wall']:.1f} s ({path.stat().st_size / 1e6:.1f} MB)")
    return path, r


def growth_size(orders: int) -> dict[str, int]:
    """Customers and contacts scale with the orders, as in the full book."""
    if orders == FULL["orders"]:
        return dict(FULL)
    customers = max(10, round(orders * FULL["customers"] / FULL["orders"]))
    return {"customers": customers, "orders": orders,
            "contacts": round(customers * FULL["contacts"] / FULL["customers"])}


# ------------------------------------------------------------------------------ formatting
def fmt_s(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.1f}"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def machine_facts() -> str:
    import importlib.metadata as md

    def ver(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "not installed"

    mem = "?"
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    libs = ", ".join(f"{n} {ver(n)}" for n in (
        "numpy", "pandas", "scipy", "python-calamine", "openpyxl", "xlsxwriter", "lifetimes"))
    return (f"- machine: {os.cpu_count()} cores ({cpu}), {mem} RAM, "
            f"{platform.system()} {platform.release()}\n"
            f"- Python {platform.python_version()}; {libs}\n"
            f"- load average (1, 5, 15 min) at start: "
            + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


def stage_rows(stages: list[dict[str, dict[str, float]]], total: float) -> list[list[str]]:
    """Median per stage path over the runs, as an indented tree in call order."""
    order: list[str] = []
    for s in stages:
        for k in s:
            if k not in order:
                order.append(k)
    rows = []
    for path in order:
        vals = [s[path] for s in stages if path in s]
        wall = statistics.median(v["wall"] for v in vals)
        cpu = statistics.median(v["cpu"] for v in vals)
        kids = [p for p in order if p.startswith(path + "/") and p.count("/") == path.count("/") + 1]
        kid_wall = sum(statistics.median(s[k]["wall"] for s in stages if k in s) for k in kids)
        depth = path.count("/")
        label = path.rsplit("/", 1)[-1]
        calls = int(statistics.median(v["calls"] for v in vals))
        rows.append(["— " * depth + label + (f" (×{calls})" if calls > 1 else ""),
                     fmt_s(wall), fmt_s(max(wall - kid_wall, 0.0)) if kids else "", fmt_s(cpu),
                     f"{100 * wall / total:.0f}%",
                     f"{statistics.median(v['peak_mb'] for v in vals):.0f}"])
    return rows


def engine_stages(engine_runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median wall per engine stage; classification = analyse minus its children."""
    out: dict[str, list[float]] = {}
    for e in engine_runs:
        st = e.get("stages", {})
        hist = sum(v["wall"] for k, v in st.items() if k.endswith("customer_history"))
        analyse = st.get("analyse", {}).get("wall", 0.0)
        inner = sum(v["wall"] for k, v in st.items() if k.startswith("analyse/"))
        per = {
            "history (all calls)": hist,
            "predict_value": sum(v["wall"] for k, v in st.items() if k.endswith("predict_value")),
            "classification (analyse itself)": analyse - inner,
            "follow_ups": st.get("follow_ups", {}).get("wall", 0.0),
            "call_list": st.get("call_list", {}).get("wall", 0.0),
            "dashboard": st.get("dashboard_data", {}).get("wall", 0.0),
        }
        tracked = analyse + sum(v["wall"] for k, v in st.items() if "/" not in k and
                                k != "analyse")
        per["run itself (glue: frames, maps)"] = e["wall"] - tracked
        for k, v in per.items():
            out.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in out.items()}


# ------------------------------------------------------------------------------ main
def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-openpyxl", action="store_true")
    parser.add_argument("--skip-xlsxwriter", action="store_true")
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--skip-btyd", action="store_true")
    parser.add_argument("--cache", default="/tmp/cb-bench")
    parser.add_argument("--profile", metavar="PSTATS",
                        help="also run the split once under cProfile and save the stats here")
    parser.add_argument("--out", help="also write the report (markdown) to this file")
    parser.add_argument("--json", help="also write the raw measurements (JSON) here")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    cache = Path(args.cache)
    work = Path(tempfile.mkdtemp(prefix="cb-bench-out-"))
    started = time.perf_counter()
    log: list[str] = []

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {msg}", file=sys.stderr, flush=True)

    def out(text: str = "") -> None:
        log.append(text)

    raw: dict[str, Any] = {"size": args.size, "repeats": args.repeats}
    n = args.repeats
    try:
        book, built = ensure_book(cache, size["book"], say)
        b = size["book"]
        out(f"# CustomerBook benchmarks ({args.size})\n")
        out(f"Command: `python benchmarks/run.py {' '.join(argv)}`".rstrip() + f" — "
            f"{dt.datetime.now().isoformat(timespec='minutes')}\n")
        out(machine_facts())
        out(f"- book: {b['customers']:,} customers, {b['orders']:,} orders, "
            f"{b['contacts']:,} contacts ({book.stat().st_size / 1e6:.1f} MB, "
            f"written by xl_addin.bigbook); medians of {n} runs, each in a fresh process\n")

        # (a) baseline and the real command line -------------------------------------
        cal = repeat(child_cmd("calamine", book=str(book)), n, say, "calamine read")
        target = work / "out.xlsx"
        ref = repeat([sys.executable, "-m", "xl_addin.cli", "refresh", str(book), "--out",
                      str(target)], n, say, "refresh (CLI)")
        split = repeat(child_cmd("split", book=str(book), out=str(work / "split.xlsx")), n,
                       say, "refresh split")
        raw.update(calamine=cal, refresh=ref, split=split)
        rows = [["python-calamine reads the 3 input tables (baseline)", fmt_s(cal["wall"]),
                 fmt_s(cal["cpu"]), f"{cal['rss_mb']:.0f}", "1.0×",
                 f"{cal['load_min']:.1f}–{cal['load_max']:.1f}"],
                ["`customerbook refresh BOOK --out OUT`", fmt_s(ref["wall"]), fmt_s(ref["cpu"]),
                 f"{ref['rss_mb']:.0f}", f"{ref['wall'] / cal['wall']:.1f}×",
                 f"{ref['load_min']:.1f}–{ref['load_max']:.1f}"]]
        wr = repeat(child_cmd("bigbook", out=str(work / "bigbook.xlsx"), **b), n, say,
                    "bigbook write")
        raw["bigbook"] = wr
        rows.append(["xl_addin.bigbook: make_demo + write the book", fmt_s(wr["wall"]),
                     fmt_s(wr["cpu"]), f"{wr['rss_mb']:.0f}",
                     f"{wr['wall'] / cal['wall']:.1f}×",
                     f"{wr['load_min']:.1f}–{wr['load_max']:.1f}"])
        if not args.skip_xlsxwriter:
            xw = repeat(child_cmd("xlsxwriter", out=str(work / "xlsxwriter.xlsx"), **b), 1, say,
                        "xlsxwriter write")
            raw["xlsxwriter"] = xw
            rows.append(["comparison: make_demo + xlsxwriter cell by cell + Tables (1 run)",
                         fmt_s(xw["wall"]), fmt_s(xw["cpu"]), f"{xw['rss_mb']:.0f}",
                         f"{xw['wall'] / cal['wall']:.1f}×", f"{xw['load_min']:.1f}"])
        if not args.skip_openpyxl:
            op = repeat(child_cmd("openpyxl", book=str(book), out=str(work / "openpyxl.xlsx")),
                        1, say, "openpyxl load+save")
            raw["openpyxl"] = op
            d = op["runs"][0]["data"]
            rows.append([f"comparison: openpyxl load ({d['load_s']:.0f} s) + save "
                         f"({d['save_s']:.0f} s) (1 run)", fmt_s(op["wall"]), fmt_s(op["cpu"]),
                         f"{op['rss_mb']:.0f}", f"{op['wall'] / cal['wall']:.1f}×",
                         f"{op['load_min']:.1f}"])
        out("## (a) Full headless refresh against reading alone\n")
        out(table(["step (fresh process each)", "wall s", "CPU s", "peak RSS MB",
                   "× calamine read", "load (1 min)"], rows))
        if built:
            out(f"\n(The cached book was first written in {built['wall']:.1f} s.)")

        # split ----------------------------------------------------------------------
        datas = [r["data"] for r in split["runs"]]
        total = statistics.median(d["total_s"] for d in datas)
        out("\n## Where a refresh spends its time (in one process, median of "
            f"{n}; imports {statistics.median(d['imports_s'] for d in datas):.2f} s not "
            "included)\n")
        out(table(["stage", "wall s", "self s", "CPU s", "share", "peak RSS after MB"],
                  [*stage_rows([d["stages"] for d in datas], total),
                   ["**refresh_file total**", fmt_s(total), "",
                    fmt_s(statistics.median(d["total_cpu_s"] for d in datas)), "100%",
                    f"{statistics.median(d['peak_refresh_mb'] for d in datas):.0f}"]]))
        miss = sorted({m for d in datas for m in d["missing"]})
        if miss:
            out(f"\n(Not found, so not timed: {', '.join(miss)}.)")

        # (b) engine -----------------------------------------------------------------
        eng_runs = [d["engine"] for d in datas if d.get("engine")]
        if eng_runs:
            per = engine_stages(eng_runs)
            eng = statistics.median(e["wall"] for e in eng_runs)
            raw["engine"] = {"wall": eng, "stages": per}
            slow = max(per, key=lambda k: per[k])
            out(f"\n## (b) Core engine: `pipeline.run` on typed inputs (no I/O), median of {n}\n")
            out(table(["stage", "wall s", "share"],
                      [[k, fmt_s(v), f"{100 * v / eng:.0f}%"] for k, v in per.items()]
                      + [["**all four jobs (`run`)**", fmt_s(eng), "100%"]]))
            out(f"\nSlowest stage: **{slow}** ({per[slow]:.2f} s).")

        # (c) BTYD -------------------------------------------------------------------
        if not args.skip_btyd:
            say("bench_btyd ...")
            bt = measure([sys.executable, str(REPO / "benchmarks" / "bench_btyd.py"),
                          "--customers", str(size["btyd_customers"]), "--repeats", str(n)])
            raw["btyd"] = bt["stdout"]
            out(f"\n## (c) BG/NBD and Gamma-Gamma against lifetimes ({size['btyd_customers']:,}"
                f" customers, `benchmarks/bench_btyd.py --customers {size['btyd_customers']} "
                f"--repeats {n}`)\n")
            out("\n".join(line for line in bt["stdout"].splitlines()
                          if line.startswith("|") or line.startswith("Synthetic")))

        # (d) growth ------------------------------------------------------------------
        if not args.skip_growth:
            grow_rows = []
            points = []
            for orders in size["growth"]:
                gs = growth_size(orders)
                if gs == size["book"]:
                    g_split = split
                else:
                    gbook, _ = ensure_book(cache, gs, say)
                    g_split = repeat(child_cmd("split", book=str(gbook),
                                               out=str(work / "gs.xlsx")), n, say,
                                     f"growth {orders:,} split")
                g_data = [r["data"] for r in g_split["runs"]]
                g_eng = statistics.median(d["engine"]["wall"] for d in g_data)
                g_in = statistics.median(d["total_s"] for d in g_data)
                g_mem = statistics.median(d["peak_refresh_mb"] for d in g_data)
                points.append((orders, g_in, g_eng, g_mem))
                grow_rows.append([f"{gs['orders']:,}", f"{gs['customers']:,}",
                                  f"{gs['contacts']:,}", fmt_s(g_in), fmt_s(g_eng),
                                  f"{g_mem:.0f}", f"{1e3 * g_in / orders:.3f}"])
            raw["growth"] = points
            out("\n## (d) Growth with the number of orders (customers and contacts scale "
                f"along; `refresh_file` in one process, imports excluded), median of {n}\n")
            out(table(["orders", "customers", "contacts", "refresh_file wall s", "engine s",
                       "peak RSS MB", "ms per 1k orders"], grow_rows))
            slopes = []
            for (o1, t1, e1, m1), (o2, t2, e2, m2) in zip(points, points[1:], strict=False):
                k = math.log(o2 / o1)
                slopes.append(f"{o1:,}→{o2:,}: time ×{t2 / t1:.1f} (exponent "
                              f"{math.log(t2 / t1) / k:.2f}), engine exponent "
                              f"{math.log(e2 / e1) / k:.2f}, memory ×{m2 / m1:.1f}")
            raw["growth_slopes"] = slopes
            out("\nGrowth exponents (1.0 = linear): " + "; ".join(slopes) + ".")

        # (e) UDFs --------------------------------------------------------------------
        say("UDFs ...")
        udf = measure(child_cmd("udf", rows=size["udf_rows"], repeats=max(n, 3)))
        raw["udf"] = udf["data"]
        out(f"\n## (e) Worksheet functions over a {size['udf_rows']:,}-row column (Python time, "
            f"median of {max(n, 3)}; arguments as xlwings passes a column: lists)\n")
        out(table(["function", "wall s", "CPU s", "one value per row"],
                  [[f"`{k}`", fmt_s(v["wall"]), fmt_s(v["cpu"]), "yes" if v["ok"] else "NO"]
                   for k, v in udf["data"].items()]))

        # targets ---------------------------------------------------------------------
        out("\n## Targets\n")
        if args.size != "full":
            out("(The targets are set for the full size; at this size they are indicative.)\n")
        trows = []
        ratio = ref["wall"] / cal["wall"]
        trows.append(["(a) refresh ≤ 3× calamine read", f"{ratio:.1f}×",
                      "met" if ratio <= 3 else "not met"])
        trows.append(["(a) refresh with Auto's model choice ≤ 2× calamine read (today's "
                      "target)", f"{ratio:.1f}×", "met" if ratio <= 2 else "not met"])
        trows.append(["(a) refresh peak RSS ≤ 2 GB", f"{ref['rss_mb']:.0f} MB",
                      "met" if ref["rss_mb"] <= 2048 else "not met"])
        if "engine" in raw:
            e = raw["engine"]["wall"]
            trows.append([f"(b) engine, all four jobs, a few seconds (≤ {ENGINE_TARGET_S:g} s)",
                          f"{e:.2f} s", "met" if e <= ENGINE_TARGET_S else "not met"])
        if "btyd" in raw:
            for line in raw["btyd"].splitlines():
                if line.startswith("| BG/NBD"):
                    cells = [c.strip() for c in line.strip("|").split("|")]
                    speed = float(cells[5].rstrip("x"))
                    trows.append(["(c) BG/NBD fit + P(alive) ≥ 5× lifetimes", f"{speed:.0f}×",
                                  "met" if speed >= 5 else "not met"])
        if raw.get("growth"):
            pts = raw["growth"]
            expo = math.log(pts[-1][1] / pts[0][1]) / math.log(pts[-1][0] / pts[0][0])
            trows.append([f"(d) near-linear growth (exponent ≤ {NEAR_LINEAR_SLOPE})",
                          f"{expo:.2f} over {pts[0][0]:,}→{pts[-1][0]:,} orders",
                          "met" if expo <= NEAR_LINEAR_SLOPE else "not met"])
        worst = max(udf["data"].items(), key=lambda kv: kv[1]["wall"])
        trows.append([f"(e) UDF over 100k rows well under 1 s (≤ {UDF_TARGET_S:g} s)",
                      f"slowest {worst[0]}: {worst[1]['wall']:.2f} s",
                      "met" if worst[1]["wall"] <= UDF_TARGET_S else "not met"])
        out(table(["target", "measured", ""], trows))
        out(f"\nLoad average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
            f"the whole report took {time.perf_counter() - started:.0f} s.")

        if args.profile:
            say("cProfile run ...")
            measure(child_cmd("split", book=str(book), out=str(work / "p.xlsx"),
                              profile=args.profile))
            import pstats

            stream = _Stream()
            pstats.Stats(args.profile, stream=stream).sort_stats("tottime").print_stats(25)
            out("\n## cProfile of one refresh (top 25 by own time)\n\n```\n"
                + stream.text.strip() + "\n```")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = "\n".join(log) + "\n"
    print(report)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, default=str, indent=1), encoding="utf-8")
    return 0


class _Stream:
    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s


if __name__ == "__main__":
    raise SystemExit(main())
