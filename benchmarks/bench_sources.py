"""Orders beside the workbook (Settings ``OrdersSource``) and shop-export imports, timed.

Run from the repository root (a report, not a test)::

    python benchmarks/bench_sources.py                    # full size: 10,000,000 orders
    python benchmarks/bench_sources.py --size small       # a minute (CI-sized)
    python benchmarks/bench_sources.py --split            # where one Parquet refresh's time goes
    python benchmarks/bench_sources.py --steps csv_read,import   # the import only

What it measures, each step in a fresh Python process (wall time from the parent, so
start-up and imports count; the child's CPU time, all its threads, from the parent's
``RUSAGE_CHILDREN``; peak memory read by the child itself from ``/proc/self/status``
``VmHWM`` — not ``ru_maxrss``, which a child started by exec inherits from its parent's
size); medians of ``--repeats`` runs:

* (f) ``refresh_file`` of a book with 100,000 customers (and 200,000 contacts) whose
  10,000,000 orders live in a Parquet file named by Settings ``OrdersSource``, against
  the same refresh of the row-limit book (the same customers and contacts, 1,048,575
  orders on the Orders sheet: benchmarks/run.py's book), and DuckDB's bare group-by of
  the Parquet orders (count, sum, first and last day per customer) as the floor;
* (g) ``customerbook import BOOK EXPORT --to-source`` of a CSV export (UTF-8, Youzan's
  headers, every buyer on the Customers sheet by phone) against DuckDB's own read of
  that CSV (``read_csv`` into a table); then one more import with every stage timed
  where it runs (reading the workbook, checking its sheets, each step of the plan in
  DuckDB, writing).

Inputs are written once into ``--cache`` (default ``/tmp/cb-bench-src``). The machine
and its 1-minute load average at each step are printed with the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SIZES = {
    "full": {"customers": 100_000, "contacts": 200_000, "sheet_orders": 1_048_575,
             "source_orders": 10_000_000, "csv_rows": 1_000_000},
    "small": {"customers": 4_768, "contacts": 9_536, "sheet_orders": 50_000,
              "source_orders": 500_000, "csv_rows": 50_000},
}
PEAK_TARGET_MB = 2048
IMPORT_TARGET = 3.0  # import ≤ 3× DuckDB's own read of the CSV


def vm_hwm_mb() -> float:
    """This process's own peak resident set (``VmHWM``), in MB, with what the workers it
    forked grew at most at one time beyond the memory they shared with it
    (``xl_addin.forked.children_kb()``: an upper bound of the run's peak)."""
    children = getattr(sys.modules.get("xl_addin.forked"), "children_kb", int)()
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return (int(line.split()[1]) + children) / 1024
    return float("nan")


# =====================================================================================
# children: each prints one JSON line last
# =====================================================================================
def child_refresh(book: str, out: str) -> dict[str, Any]:
    from xl_addin.macros import refresh_file

    t0 = time.perf_counter()
    result = refresh_file(book, out)
    return {"inner": time.perf_counter() - t0, "peak_mb": vm_hwm_mb(),
            "customers": int(result.counts.get("customers", 0))}


def child_floor(parquet: str) -> dict[str, Any]:
    import duckdb

    from xl_addin.sources import aggregate as agg

    t0 = time.perf_counter()
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE VIEW orders AS SELECT CustomerID AS customer_id, Amount AS amount, "
                "CAST(OrderDate - DATE '1970-01-01' AS INTEGER) AS order_day "
                f"FROM read_parquet('{parquet}')")
    rows = con.execute(agg.FLOOR_SQL).fetchnumpy()
    return {"inner": time.perf_counter() - t0, "peak_mb": vm_hwm_mb(),
            "customers": len(rows["customer_id"])}


def child_duckdb_csv(csv: str) -> dict[str, Any]:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE TABLE export AS SELECT * FROM read_csv('{csv}', header = true, "
                "all_varchar = true)")
    n = con.execute("SELECT count(*) FROM export").fetchall()[0][0]
    return {"inner": time.perf_counter() - t0, "peak_mb": vm_hwm_mb(), "rows": int(n)}


def child_import(book: str, csv: str, out: str) -> dict[str, Any]:
    from xl_addin.errors import CustomerBookError
    from xl_addin.macros import import_file

    t0 = time.perf_counter()
    try:
        result = import_file(book, csv, out, to_source=True)
    except CustomerBookError as exc:  # e.g. an export larger than an import takes
        return {"inner": time.perf_counter() - t0, "peak_mb": vm_hwm_mb(),
                "refused": exc.render("en")[:300]}
    s = result.plan.summary  # type: ignore[attr-defined]
    return {"inner": time.perf_counter() - t0, "peak_mb": vm_hwm_mb(),
            "first_line": result.report.splitlines()[0], "ok": bool(result.ok),
            "new_orders": int(getattr(s, "new_orders", -1))}


# (module, attribute, label): what the stage breakdown of a Parquet refresh times. The
# refresh calls them through these module attributes, so wrapping them is enough; one
# that does not exist (the code moved on) is listed as missing.
SPLIT_STAGES = [
    ("xl_addin.excel.files", "read_book", "read_book"),
    ("xl_addin.macros", "parse_inputs", "parse_inputs"),
    ("xl_addin.macros", "with_sources", "with_sources"),
    ("xl_addin.sources", "OrdersRelation", "OrdersRelation (read, type, check)"),
    ("xl_addin.sources", "order_facts", "order_facts"),
    ("xl_addin.sources.reading", "_summary_rows", "purchase summary and split"),
    ("xl_addin.sources.reading", "_recent", "recent orders"),
    ("xl_addin.macros", "run", "run (engine)"),
    ("xl_addin.domain.pipeline", "customer_history", "customer_history"),
    ("xl_addin.domain.pipeline", "score_purchases", "score_purchases (beside)"),
    ("xl_addin.domain.scores", "fit_model", "fit_model"),
    ("xl_addin.domain.pipeline", "follow_ups", "follow_ups"),
    ("xl_addin.domain.pipeline", "analyse", "analyse"),
    ("xl_addin.domain.pipeline", "call_list", "call_list"),
    ("xl_addin.domain.pipeline", "dashboard_data", "dashboard_data"),
    ("xl_addin.macros", "output_tables", "output_tables"),
    ("xl_addin.excel.files", "write_outputs", "write_outputs"),
]


class _Stages:
    """Stage timings by path of labels (one stack per thread: the purchase model is
    fitted beside the rest), with the process's peak (VmHWM) and resident size after."""

    def __init__(self) -> None:
        import threading

        self.local = threading.local()
        self.stats: dict[str, dict[str, float]] = {}

    def _stack(self) -> list[str]:
        import threading

        if not hasattr(self.local, "stack"):
            main = threading.current_thread() is threading.main_thread()
            self.local.stack = [] if main else [f"[{threading.current_thread().name}]"]
        return self.local.stack

    def timed(self, label: str, fn, *args: Any, **kwargs: Any) -> Any:
        stack = self._stack()
        stack.append(label)
        path = " / ".join(stack)
        s = self.stats.setdefault(path, {"wall": 0.0, "calls": 0})  # kept in call order
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            s["wall"] += time.perf_counter() - t0
            s["calls"] += 1
            s["peak_mb"], s["rss_mb"] = vm_hwm_mb(), _rss_now_mb()
            stack.pop()

    def wrap(self, fn, label: str):
        import functools

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            return self.timed(label, fn, *args, **kwargs)

        return timed


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _TimedConnection:
    """A DuckDB connection whose statements (and the fetch of their results) are timed,
    each labelled by the start of its SQL."""

    def __init__(self, con: Any, rec: _Stages) -> None:
        self._con, self._rec = con, rec

    def execute(self, sql: str, *args: Any) -> Any:
        label = "sql: " + " ".join(sql.split())[:70]
        return _TimedResult(self._rec.timed(label, self._con.execute, sql, *args), self._rec,
                            label)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


class _TimedResult:
    def __init__(self, res: Any, rec: _Stages, label: str) -> None:
        self._res, self._rec, self._label = res, rec, label

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._res, name)
        if name in ("fetchall", "fetchnumpy", "df", "fetchdf", "arrow", "fetch_arrow_table"):
            return lambda *a, **k: self._rec.timed(f"{name}: {self._label[5:]}", attr, *a, **k)
        return attr


def child_split(book: str, out: str) -> dict[str, Any]:
    """One refresh of the Parquet book, every stage timed (the functions the refresh
    calls wrapped where it calls them, and each DuckDB statement of the source's
    connection), so the figures add up to the real run."""
    import importlib

    t0 = time.perf_counter()
    from xl_addin import macros
    from xl_addin.sources import reading

    imports = time.perf_counter() - t0
    rec = _Stages()
    missing = []
    for mod_name, attr, label in SPLIT_STAGES:
        mod = importlib.import_module(mod_name)
        fn = getattr(mod, attr, None)
        if fn is None:
            missing.append(f"{mod_name}.{attr}")
            continue
        setattr(mod, attr, rec.wrap(fn, label))
    connect = reading.connect
    reading.connect = lambda **kw: _TimedConnection(connect(**kw), rec)
    t0 = time.perf_counter()
    result = macros.refresh_file(book, out)
    total = time.perf_counter() - t0
    return {"imports_s": imports, "total_s": total, "peak_mb": vm_hwm_mb(),
            "inner": total, "missing": missing, "customers": result.counts.get("customers"),
            "stages": rec.stats}


def child_import_stages(book: str, csv: str, out: str) -> dict[str, Any]:
    """One import with each stage timed where it runs (wall seconds, in call order)."""
    import functools

    t0 = time.perf_counter()
    from xl_addin import imports, macros, sources
    from xl_addin.excel import files
    from xl_addin.imports import sqlplan

    stages: list[tuple[float, str, float]] = [
        (t0, "Python imports (pandas, DuckDB, calamine, the add-in)", time.perf_counter() - t0)]

    def timed(owner: Any, name: str, label: str) -> None:
        f = getattr(owner, name)

        @functools.wraps(f)
        def run(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                stages.append((start, label, time.perf_counter() - start))

        setattr(owner, name, run)

    timed(files, "read_book", "read the workbook (calamine: the sheets an import uses)")
    timed(macros, "parse_inputs", "check and type what it uses (customers' IDs and phones …)")
    timed(imports, "CsvExport", "[beside them, in a thread] read the export in DuckDB")
    timed(sqlplan, "load_csv", "— read the CSV into DuckDB (encoding, header, totals)")
    timed(imports, "plan_csv_import", "plan it against the book in DuckDB")
    for step, label in (("values", "type every row's values"),
                        ("book", "the book: customers, phones, orders"),
                        ("lines", "orders' lines, customers, what happens to each row"),
                        ("problems", "refused rows' problems"),
                        ("decide", "duplicates without order numbers, refund lines"),
                        ("new_customer_rows", "new customers"),
                        ("write_rows", "the new orders into a Parquet file"),
                        ("issues", "the issues the report lists")):
        timed(sqlplan._Planner, step, f"— {label}")
    timed(sources, "stage_orders", "stage the new orders beside the source")
    timed(files, "write_import", "write the workbook (new customers, the mapping)")
    t1 = time.perf_counter()
    result = macros.import_file(book, csv, out, to_source=True)
    return {"inner": time.perf_counter() - t1, "peak_mb": vm_hwm_mb(),
            "stages": [(label, sec) for _t, label, sec in sorted(stages)],
            "read_by": getattr(result.plan, "read_by", "python")}


CHILDREN = {"refresh": child_refresh, "floor": child_floor, "duckdb_csv": child_duckdb_csv,
            "import": child_import, "import_stages": child_import_stages,
            "split": child_split}
STEPS = ("source", "sheet", "floor", "csv_read", "import")


# =====================================================================================
# inputs
# =====================================================================================
def write_inputs(cache: Path, size: dict[str, int], say) -> dict[str, Path]:
    """The row-limit book, the source book and its Parquet orders, the CSV export."""
    import duckdb

    from xl_addin.bigbook import write_input_book
    from xl_addin.demo import DEFAULT_ANCHOR, make_demo

    tag = f"{size['customers']}c-{size['source_orders']}o"
    paths = {"sheet_book": cache / f"sheet-{size['customers']}c-{size['sheet_orders']}o.xlsx",
             "source_dir": cache / f"source-{tag}",
             "csv": cache / f"export-{size['csv_rows']}.csv"}
    paths["source_book"] = paths["source_dir"] / "book.xlsx"
    paths["parquet"] = paths["source_dir"] / "orders.parquet"
    cache.mkdir(parents=True, exist_ok=True)
    people_file = cache / f"people-{size['customers']}c.parquet"
    if not (paths["sheet_book"].exists() and paths["source_book"].exists()
            and people_file.exists()):
        say("make_demo ...")
        frames = make_demo(size["customers"], size["sheet_orders"], size["contacts"])
        people = frames["Customers"][["CustomerID", "Phone"]]  # noqa: F841 (read by DuckDB)
        duckdb.sql(f"COPY people TO '{people_file}' (FORMAT parquet)")
        if not paths["sheet_book"].exists():
            say(f"writing {paths['sheet_book'].name} ...")
            write_input_book(paths["sheet_book"], frames, as_of=DEFAULT_ANCHOR)
        if not paths["source_book"].exists():
            say(f"writing {paths['source_book'].name} ...")
            paths["source_dir"].mkdir(parents=True, exist_ok=True)
            empty = {**frames, "Orders": frames["Orders"].iloc[0:0]}
            write_input_book(paths["source_book"], empty, as_of=DEFAULT_ANCHOR,
                             settings={"OrdersSource": "orders.parquet"})
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE p AS SELECT row_number() OVER () - 1 AS i, CustomerID, Phone "
                f"FROM read_parquet('{people_file}')")
    anchor = DEFAULT_ANCHOR.isoformat()
    n = size["customers"]
    if not paths["parquet"].exists():
        say(f"writing {paths['parquet'].name} ({size['source_orders']:,} orders) ...")
        con.execute(f"""
            COPY (
              SELECT 'S' || lpad(CAST(g.range AS VARCHAR), 9, '0') AS OrderID,
                     p.CustomerID,
                     DATE '{anchor}' - CAST(floor(random() * 1460) AS INTEGER) AS OrderDate,
                     round(20 + random() * 980, 2) AS Amount,
                     CASE WHEN random() < 0.3 THEN NULL ELSE round(10 + random() * 500, 2)
                          END AS Cost,
                     ['护肤套装', '基础护理疗程', '年卡', '体验课'][1 + CAST(floor(random() * 4)
                         AS INTEGER)] AS Product
              FROM (SELECT range, CAST(floor(pow(random(), 1.6) * {n}) AS BIGINT) AS k
                    FROM range({size['source_orders']})) AS g
              JOIN p ON p.i = g.k
              ORDER BY OrderDate, OrderID
            ) TO '{paths['parquet']}' (FORMAT parquet)""")
    if not paths["csv"].exists():
        say(f"writing {paths['csv'].name} ({size['csv_rows']:,} rows, Youzan's headers) ...")
        con.execute(f"""
            COPY (
              SELECT 'E' || lpad(CAST(g.range AS VARCHAR), 12, '0') AS "订单号",
                     '交易成功' AS "订单状态",
                     strftime(DATE '{anchor}' - CAST(floor(random() * 60) AS INTEGER)
                              + INTERVAL (CAST(floor(random() * 86400) AS INTEGER)) SECOND,
                              '%Y-%m-%d %H:%M:%S') AS "订单创建时间",
                     '体验课' AS "全部商品名称",
                     round(20 + random() * 980, 2) AS "订单实付金额",
                     p.Phone AS "买家手机号"
              FROM (SELECT range, CAST(floor(random() * {n}) AS BIGINT) AS k
                    FROM range({size['csv_rows']})) AS g
              JOIN p ON p.i = g.k
              ORDER BY g.range
            ) TO '{paths['csv']}' (HEADER, DELIMITER ',')""")
    return paths


# =====================================================================================
# the parent
# =====================================================================================
def measure(name: str, **kwargs: Any) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, json.dumps(kwargs)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{run.stderr[-3000:]}")
    data = json.loads(run.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "cpu": cpu, "load": load, **data}


def repeat(n: int, say, label: str, before=None, name: str = "", **kwargs: Any
           ) -> dict[str, Any]:
    runs = []
    for i in range(n):
        if before:
            before()
        r = measure(name, **kwargs)
        runs.append(r)
        say(f"{label} {i + 1}/{n}: wall {r['wall']:.2f} s (inside {r['inner']:.2f} s, CPU "
            f"{r['cpu']:.2f} s), "
            f"peak {r['peak_mb']:.0f} MB, load {r['load']:.2f}")
    med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "inner", "cpu",
                                                              "peak_mb")}
    return {**runs[-1], **med, "n": n, "loads": [round(r["load"], 2) for r in runs]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="full")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/cb-bench-src"))
    ap.add_argument("--out", type=Path, help="also write the report here (Markdown)")
    ap.add_argument("--skip-sheet", action="store_true",
                    help="leave out the row-limit sheet book's refresh")
    ap.add_argument("--split", action="store_true",
                    help="only the stage breakdown of one refresh of the Parquet book")
    ap.add_argument("--steps", default=",".join(STEPS),
                    help=f"which steps to run, comma-separated (of {', '.join(STEPS)}); "
                         "e.g. --steps csv_read,import for the import against DuckDB's read")
    a = ap.parse_args(argv)
    size = SIZES[a.size]
    steps = {x.strip() for x in a.steps.split(",") if x.strip()}
    if steps - set(STEPS):
        ap.error(f"unknown steps: {', '.join(sorted(steps - set(STEPS)))}")
    if a.skip_sheet:
        steps.discard("sheet")

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    paths = write_inputs(a.cache / a.size, size, say)
    work = a.cache / a.size / "work"
    if a.split:
        text = split_report(measure("split", book=str(paths["source_book"]),
                                    out=str(work / "source-out.xlsx")), size)
        print(text)
        if a.out:
            a.out.write_text(text, encoding="utf-8")
        return 0
    r = a.repeats
    res: dict[str, dict[str, Any]] = {}
    if "source" in steps:
        res["source"] = repeat(r, say, "refresh, orders in Parquet", name="refresh",
                               book=str(paths["source_book"]),
                               out=str(work / "source-out.xlsx"))
    if "sheet" in steps:
        res["sheet"] = repeat(r, say, "refresh, orders on the sheet", name="refresh",
                              book=str(paths["sheet_book"]), out=str(work / "sheet-out.xlsx"))
    if "floor" in steps:
        res["floor"] = repeat(r, say, "DuckDB group-by floor", name="floor",
                              parquet=str(paths["parquet"]))
    if "csv_read" in steps:
        res["csv_read"] = repeat(r, say, "DuckDB reads the CSV", name="duckdb_csv",
                                 csv=str(paths["csv"]))
    target = work / "import"

    def fresh_import_book() -> None:  # every run imports into an empty source
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        shutil.copy(paths["source_book"], target / "book.xlsx")

    stages: dict[str, Any] | None = None
    if "import" in steps:
        res["import"] = repeat(r, say, "import --to-source", before=fresh_import_book,
                               name="import", book=str(target / "book.xlsx"),
                               csv=str(paths["csv"]), out=str(target / "out.xlsx"))
        fresh_import_book()
        stages = measure("import_stages", book=str(target / "book.xlsx"),
                         csv=str(paths["csv"]), out=str(target / "out.xlsx"))
        say(f"import, stage by stage: wall {stages['wall']:.2f} s (inside "
            f"{stages['inner']:.2f} s), load {stages['load']:.2f}")

    lines = [f"### CustomerBook sources and imports ({a.size}: {size['customers']:,} customers, "
             f"{size['source_orders']:,} orders in Parquet, {size['csv_rows']:,}-row CSV)", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, DuckDB {_ver('duckdb')}, pandas {_ver('pandas')}. "
             f"Median of {r}; wall from the parent (start-up included); CPU = the child's user + "
             "system time (all its threads: less swayed by other work on the machine than "
             "wall); peak = the child's "
             "VmHWM. 1-minute load average at each run in brackets.", "",
             "| step | wall | inside | CPU | peak | load |", "|---|---:|---:|---:|---:|---|"]
    names = {"source": f"refresh, {size['source_orders']:,} orders in Parquet (OrdersSource)",
             "sheet": f"refresh, {size['sheet_orders']:,} orders on the sheet (row limit)",
             "floor": "DuckDB bare group-by of the Parquet orders (floor)",
             "csv_read": f"DuckDB reads the {size['csv_rows']:,}-row CSV",
             "import": "`customerbook import --to-source` of that CSV"}
    for k, label in names.items():
        if k in res:
            x = res[k]
            lines.append(f"| {label} | {x['wall']:.2f} s | {x['inner']:.2f} s | "
                         f"{x['cpu']:.2f} s | {x['peak_mb']:,.0f} MB | {x['loads']} |")
    imp = res.get("import")
    if imp is not None:
        lines += ["", f"Import: {imp.get('first_line') or imp.get('refused')}"]
    if stages is not None:
        lines += ["", f"Where one import spends its time (one run, read by "
                  f"{stages['read_by']}; wall {stages['wall']:.2f} s, inside "
                  f"{stages['inner']:.2f} s, load {stages['load']:.2f}):", "",
                  "| stage | wall s |", "|---|---:|"]
        lines += [f"| {label} | {sec:.2f} |" for label, sec in stages["stages"]]
    lines += ["", "| target | figure | |", "|---|---|---|"]

    def row(what: str, figure: str, ok: bool) -> None:
        lines.append(f"| {what} | {figure} | {'met' if ok else 'not met'} |")

    if "sheet" in res and "source" in res:
        row("(f) Parquet book refreshes faster than the row-limit sheet book",
            f"{res['source']['wall']:.1f} s vs {res['sheet']['wall']:.1f} s",
            res["source"]["wall"] < res["sheet"]["wall"])
    if "source" in res:
        row("(f) peak memory ≤ 2 GB", f"{res['source']['peak_mb']:,.0f} MB",
            res["source"]["peak_mb"] <= PEAK_TARGET_MB)
    if imp is not None and "csv_read" in res:
        read = res["csv_read"]
        ratio = imp["inner"] / read["inner"]
        row("(g) import ≤ 3× DuckDB's read (inside the process)",
            "the export was refused, so not imported" if "refused" in imp else
            f"{ratio:.1f}× ({imp['inner']:.2f} s vs {read['inner']:.2f} s; with start-up "
            f"{imp['wall'] / read['wall']:.1f}×, {imp['wall']:.2f} s vs {read['wall']:.2f} s)",
            ratio <= IMPORT_TARGET and "refused" not in imp)
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    return 0


def split_report(x: dict[str, Any], size: dict[str, int]) -> str:
    """The stage breakdown as a Markdown table (nested stages indented)."""
    lines = [f"### Stage breakdown: refresh of {size['customers']:,} customers, "
             f"{size['source_orders']:,} orders in Parquet", "",
             f"Wall {x['wall']:.2f} s from the parent, {x['total_s']:.2f} s inside "
             f"(imports {x['imports_s']:.2f} s); peak (VmHWM) {x['peak_mb']:,.0f} MB; load "
             f"{x['load']:.2f}. Peak and resident size are the process's as each stage ends; "
             "the purchase model's fit runs beside the rest (its thread in brackets).", "",
             "| stage | calls | wall | peak after | resident after |",
             "|---|---:|---:|---:|---:|"]
    for path, s in x["stages"].items():
        parts = path.split(" / ")
        label = "&nbsp;&nbsp;" * (len(parts) - 1) + parts[-1].replace("|", "\\|")
        if parts[0].startswith("["):  # another thread: its stages named with it
            label = parts[0] + " " + label
        lines.append(f"| {label} | {s['calls']} | {s['wall']:.2f} s | {s['peak_mb']:,.0f} MB "
                     f"| {s['rss_mb']:,.0f} MB |")
    if x["missing"]:
        lines += ["", "Not found (the code moved on): " + ", ".join(x["missing"])]
    return "\n".join(lines) + "\n"


def _ver(name: str) -> str:
    try:
        return __import__(name).__version__
    except Exception:
        return "?"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print("\n" + json.dumps(CHILDREN[sys.argv[2]](**json.loads(sys.argv[3])),
                                default=str))
        sys.exit(0)
    sys.exit(main())
