"""The bad-input matrix: every case of tests/support/broken.py through the real CLI.

Each workbook is written into tmp_path and refreshed by ``python -m xl_addin.cli`` in
its own process (two at a time). A refused case runs in place and must exit 2 with a
message naming sheet, row and column in the workbook's language, no traceback, the file
byte-identical and nothing new in its folder (no backup, no temp file). A case that
works must exit 0 and give the outputs stated, most of them exactly the outputs of the
clean book the case was derived from.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from support import peak
from support.broken import CASES, Case, make_cases

from xl_addin.names import ANALYSIS, CALLLIST, CONTACTS, DASHBOARD, FOLLOWUPS

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
OUTPUT_SHEETS = {lang: [s.label(lang) for s in (ANALYSIS, FOLLOWUPS, CALLLIST, DASHBOARD)]
                 for lang in ("en", "zh-CN")}


@dataclass
class Run:
    case: Case
    rc: int
    out: str
    err: str
    seconds: float
    max_rss_mb: float
    sha_before: str
    sha_after: str
    listing_before: list[str]
    listing_after: list[str]
    written: Path | None


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(case: Case, outdir: Path) -> Run:
    folder = case.path.parent
    written = outdir / case.path.name if case.expect == "works" else None
    cmd = [sys.executable, "-c", peak.CLI, "refresh", str(case.path)]
    if written is not None:
        cmd += ["--out", str(written)]
    if case.as_of:
        cmd += ["--as-of", case.as_of]
    before, listing = sha(case.path), sorted(p.name for p in folder.iterdir())
    log_out, log_err = outdir / f"{case.name}.out", outdir / f"{case.name}.err"
    peak_file = outdir / f"{case.name}.peak"  # the child's own peak (support.peak)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8",
           "CB_PEAK": str(peak_file)}
    t0 = time.perf_counter()
    with open(log_out, "wb") as o, open(log_err, "wb") as e:
        proc = subprocess.Popen(cmd, stdout=o, stderr=e, env=env, cwd=outdir)
        proc.wait()
    seconds = time.perf_counter() - t0
    max_rss_mb = int(peak_file.read_text()) / 1024 if peak_file.exists() else 0.0
    return Run(case, proc.returncode, log_out.read_text("utf-8"), log_err.read_text("utf-8"),
               seconds, max_rss_mb, before, sha(case.path), listing,
               sorted(p.name for p in folder.iterdir()), written)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    base = tmp_path_factory.mktemp("broken")
    cases = make_cases(base / "in")
    outdir = base / "out"
    outdir.mkdir()
    # the in-place runs must not see each other's files: one folder per refused case
    for c in cases:
        if c.expect == "refused":
            own = base / "in" / c.name
            own.mkdir()
            c.path = c.path.rename(own / c.path.name)
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda c: _cli(c, outdir), cases))
    return {r.case.name: r for r in done}


def sheets(path: Path) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
    finally:
        wb.close()


def table(rows: list[list[object]]) -> list[dict[str, object]]:
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def test_the_matrix_is_big_and_covers_both_languages(runs: dict[str, Run]) -> None:
    assert len(runs) >= 30
    expects = Counter(r.case.expect for r in runs.values())
    assert expects["refused"] >= 25 and expects["works"] >= 12
    langs = Counter(r.case.lang for r in runs.values())
    assert langs["zh-CN"] >= 8 and langs["en"] >= 20


@pytest.mark.parametrize("name", list(CASES))
def test_case(runs: dict[str, Run], name: str) -> None:
    r = runs[name]
    c = r.case
    assert "Traceback" not in r.err and "Traceback" not in r.out, r.err
    assert r.sha_after == r.sha_before, "the input file was changed"
    if c.expect == "refused":
        _refused(r)
    else:
        _works(r, runs)


def _refused(r: Run) -> None:
    c = r.case
    assert r.rc == 2, (r.rc, r.out, r.err)
    assert r.out == ""
    assert r.listing_after == r.listing_before, "a backup or temp file was left"
    msg = r.err
    for fragment in c.fragments:
        assert fragment in msg, f"{fragment!r} not in:\n{msg}"
    if c.lang == "zh-CN":
        assert "工作表" in msg or "已损坏" in msg or "过大" in msg, msg
        assert "Sheet '" not in msg and "problem(s)" not in msg and "damaged" not in msg
    elif c.lang == "en":
        assert "Sheet '" in msg or "damaged" in msg or "too large" in msg, msg
        assert not re.search("工作表|发现|已损坏|过大|不是", msg), msg
    else:  # the file cannot be read: its language is unknown, so both are shown
        assert CJK.search(msg) and re.search("[A-Za-z]{4} ", msg), msg
    if c.count is not None:
        listed = [ln for ln in msg.splitlines() if ln.startswith("  - ")]
        assert len(listed) == c.count, msg
        assert (f"{c.count} problem(s) found" in msg) or (f"发现 {c.count} 处问题" in msg)
    if c.bomb:  # refused by the limits before anything big is unpacked or parsed
        assert r.seconds < 15, r.seconds
        assert 0 < r.max_rss_mb < 800, r.max_rss_mb


def _works(r: Run, runs: dict[str, Run]) -> None:
    c = r.case
    assert r.rc == 0, (r.rc, r.out, r.err)
    assert r.err == ""
    assert r.written is not None and r.written.exists()
    got = sheets(r.written)
    lang = "zh-CN" if CJK.search(r.out[:8]) else "en"
    outputs = OUTPUT_SHEETS[lang]
    assert all(name in got for name in outputs)
    if c.same_as:
        ref = runs[c.same_as]
        assert ref.rc == 0 and ref.written is not None
        want = sheets(ref.written)
        for name in outputs:
            assert got[name] == want[name], f"{name} differs from {c.same_as}"
    analysis = {next(iter(row.values())): row for row in table(got[outputs[0]])}
    for cid, expected in c.values.items():
        for col, value in expected.items():
            assert analysis[cid][col] == pytest.approx(value), (cid, col)
    contacts_name = CONTACTS.label(lang) if CONTACTS.label(lang) in got else "Contacts"
    if c.logged is not None:
        src = sheets(c.path)
        assert len(got[contacts_name]) == len(src[contacts_name]) + c.logged
    if c.kept_calls:
        calls = {row["CustomerID"]: row for row in table(got[outputs[2]])}
        for cid, message in c.kept_calls.items():
            assert cid in calls, f"{cid}'s typed row vanished"
            assert message in str(calls[cid]["Message"])


def test_future_dates_really_are_in_the_file(runs: dict[str, Run]) -> None:
    """The future-dated case is only meaningful if the future rows are there and the
    as-of date is before them."""
    src = sheets(runs["future_dates"].case.path)
    assert len(src["Orders"]) == len(sheets(runs["base_en"].case.path)["Orders"]) + 2
    assert runs["future_dates"].written is not None


def test_one_run_reports_every_problem(runs: dict[str, Run]) -> None:
    err = runs["many_problems"].err
    places = re.findall(r"Sheet '(\w+)', row (\d+), column '(\w+)'", err)
    assert len(places) == len(set(places)) == 7
    assert {p[0] for p in places} == {"Customers", "Orders", "Contacts"}
