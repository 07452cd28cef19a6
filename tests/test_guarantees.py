"""What CustomerBook guarantees (docs/guarantees.md), proved on real files and processes.

1. nothing lost: a richly decorated workbook keeps every part but the output sheets and
   the Contacts append byte-identical;
2. crash safety: ``customerbook refresh`` killed (SIGKILL) at random points leaves the
   old file or the complete new one, never a mix; leftovers are cleaned;
3. idempotence: refreshing twice equals refreshing once (hypothesis);
4. security: text stays text, fixed VBA entry points, safe XML, no personal data in logs;
5. Excel-side failures: the live door computes everything before writing, and shows a
   short message, never a traceback (a fake xlwings book; Excel itself: manual check).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from support import fakexl
from support.books import (
    AS_OF,
    EN_CONTACTS,
    EN_CUSTOMERS,
    EN_ORDERS,
    EN_SETTINGS,
    png,
    write_book,
)

from tools.build import BUTTONS
from tools.vba import build_vba_project, load_vba_sources
from xl_addin import macros
from xl_addin.cli import main
from xl_addin.errors import BookError
from xl_addin.excel import ooxml
from xl_addin.excel.live import excel_safe
from xl_addin.excel.ooxml import replace, writer
from xl_addin.macros import refresh_file
from xl_addin.names import ANALYSIS, CALLLIST, FOLLOWUPS, OUTCOMES

ROOT = Path(__file__).resolve().parents[1]
VBA_DIR = ROOT / "workbook" / "vba"
OUTPUTS = ("Dashboard", "CallList", "FollowUps", "Analysis", "ModelCheck")
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def values(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
    finally:
        wb.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen([sys.executable, "-m", "xl_addin.cli", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# =========================================================================== 1. nothing lost
CUSTOM_UI = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon>'
             b'<tabs><tab id="cbTab" label="CustomerBook"><group id="cbGroup" label="Refresh">'
             b'<button id="cbRefresh" label="Refresh all" size="large" onAction="CB_RefreshAll"'
             b' imageMso="Refresh"/></group></tab></tabs></ribbon></customUI>')
PERSONS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           b'<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threaded'
           b'comments" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<person displayName="Ann" id="{6D2E4A52-8B0B-4C1D-9A77-0A6B3C2D1E01}" '
           b'userId="ann@example.invalid" providerId="None"/></personList>')
THREADED = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
            b'threadedcomments" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
            b'main"><threadedComment ref="B2" dT="2026-06-01T09:00:00.00" '
            b'personId="{6D2E4A52-8B0B-4C1D-9A77-0A6B3C2D1E01}" '
            b'id="{0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0}"><text>Prefers WeChat</text>'
            b"</threadedComment></ThreadedComments>")
REL_UI = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
REL_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
REL_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"


def _add_rel(xml: bytes, rid: str, rtype: str, target: str) -> bytes:
    return xml.replace(b"</Relationships>", f'<Relationship Id="{rid}" Type="{rtype}" '
                       f'Target="{target}"/></Relationships>'.encode())


def decorated_book(folder: Path) -> Path:
    """Everything a real workbook carries that a careless writer would lose."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "decorated.xlsm"
    (folder / "logo.png").write_bytes(png())
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF"})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    red = wb.add_format({"bg_color": "#F8CBAD"})
    sheets = []

    dash = wb.add_worksheet("Dashboard")
    dash.write("A1", "CustomerBook", bold)
    dash.insert_button("D2", {"macro": "CB_RefreshAll", "caption": "Refresh all"})
    dash.insert_button("D5", {"macro": "CB_CallList", "caption": "Call list"})
    dash.insert_textbox("D8", "Press a button; the sheets below are rebuilt.",
                        {"width": 240, "height": 60, "fill": {"color": "#FFF2CC"}})
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": "=Analysis!$A$2:$A$7", "values": "=Analysis!$D$2:$D$7"})
    dash.insert_chart("H2", chart)
    sheets.append(dash)

    for spec in (CALLLIST, FOLLOWUPS, ANALYSIS):
        ws = wb.add_worksheet(spec.key)
        ws.write_row(0, 0, [c.key for c in spec.columns], bold)
        for i, c in enumerate(spec.columns):
            ws.set_column(i, i, c.width, datef if c.kind == "date" else None)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, 0, len(spec.columns) - 1)
        sheets.append(ws)
    calls, followups, analysis = sheets[1:4]
    sheets.append(wb.add_worksheet("ModelCheck"))  # an output sheet the refresh rewrites
    header = [c.key for c in CALLLIST.columns]
    for r, (cid, outcome, notes) in enumerate([("C1", "Reached", "wants the new kit"),
                                               ("C2", "maybe later", None)], start=1):
        rec = {"Owner": "Ann", "Rank": r, "CustomerID": cid, "Outcome": outcome, "Notes": notes}
        for c, key in enumerate(header):
            if rec.get(key) is not None:
                calls.write(r, c, rec[key])
    out_col = header.index("Outcome")
    calls.data_validation(1, out_col, 500, out_col, {"validate": "list",
                                                     "source": list(OUTCOMES)})
    calls.conditional_format(1, 7, 500, 7, {"type": "data_bar", "data_bar_2010": True,
                                            "bar_solid": True, "bar_direction": "left",
                                            "bar_border_color": "#1F4E78"})
    calls.conditional_format(1, 8, 500, 8, {"type": "icon_set",
                                            "icon_style": "3_traffic_lights"})
    followups.conditional_format(1, 5, 500, 5, {"type": "cell", "criteria": ">",
                                                "value": 0, "format": red})
    analysis.conditional_format(1, 3, 500, 3, {"type": "3_color_scale"})
    analysis.add_sparkline("AB2", {"range": "Analysis!D2:F2", "type": "column"})

    inputs = {"Customers": EN_CUSTOMERS, "Orders": EN_ORDERS, "Contacts": EN_CONTACTS}
    for name, rows in inputs.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows[1:], start=1):
            for c, v in enumerate(row):
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, v, datef)
                elif v is not None:
                    ws.write(r, c, v)
        ws.add_table(0, 0, len(rows) - 1, len(rows[0]) - 1, {
            "name": name, "style": "Table Style Medium 2",
            "columns": [{"header": h} for h in rows[0]]})
        ws.freeze_panes(1, 0)
        sheets.append(ws)
    cust, orders, contacts = sheets[4:7]
    cust.data_validation(1, 6, 1000, 6, {"validate": "list", "source": ["Y", "N"]})
    cust.write_comment("B2", "Key account since 2019")
    cust.insert_image("K2", str(folder / "logo.png"))
    cust.add_sparkline("K8", {"range": "Orders!D2:D9", "markers": True})
    orders.conditional_format(1, 3, 1000, 3, {"type": "data_bar", "bar_solid": True,
                                              "data_bar_2010": True, "bar_negative_color": "#C00000"})
    orders.write_comment("D3", "includes shipping")
    contacts.data_validation(1, 4, 1000, 4, {"validate": "list", "source": list(OUTCOMES)})

    st_ws = wb.add_worksheet("Settings")
    for r, row in enumerate(EN_SETTINGS):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                st_ws.write_datetime(r, c, v, datef)
            else:
                st_ws.write(r, c, v)
    st_ws.write("D1", "Reviewed")
    st_ws.insert_checkbox("D2", True)  # an Excel 365 cell checkbox (feature property bag)
    sheets.append(st_ws)

    wb.define_name("TopCustomers", "=Customers!$A$2:$A$7")
    wb.define_name("Settings!Note", '="local name"')
    wb.set_vba_name("ThisWorkbook")
    codenames = [f"Sheet{i + 1}" for i in range(len(sheets))]
    for ws, name in zip(sheets, codenames, strict=True):
        ws.set_vba_name(name)
    wb.add_vba_project(str(build_vba_project(load_vba_sources(VBA_DIR), folder / "vba.bin",
                                             sheet_codenames=codenames)))
    wb.close()

    # what xlsxwriter cannot make: a ribbon, threaded comments and their persons
    parts = members(path)
    parts["_rels/.rels"] = _add_rel(parts["_rels/.rels"], "rIdUI", REL_UI,
                                    "customUI/customUI14.xml")
    parts["customUI/customUI14.xml"] = CUSTOM_UI
    parts["xl/_rels/workbook.xml.rels"] = _add_rel(parts["xl/_rels/workbook.xml.rels"],
                                                   "rIdP1", REL_PERSON, "persons/person.xml")
    parts["xl/persons/person.xml"] = PERSONS
    rels = "xl/worksheets/_rels/sheet5.xml.rels"
    parts[rels] = _add_rel(parts[rels], "rIdT1", REL_THREADED,
                           "../threadedComments/threadedComment1.xml")
    parts["xl/threadedComments/threadedComment1.xml"] = THREADED
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/persons/person.xml" ContentType="application/vnd.ms-excel.'
        b'person+xml"/><Override PartName="/xl/threadedComments/threadedComment1.xml" '
        b'ContentType="application/vnd.ms-excel.threadedcomments+xml"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def outside_sheet_data(xml: bytes) -> bytes:
    xml = re.sub(rb'(<dimension ref=")[^"]*"', rb'\1"', xml)
    xml = re.sub(rb'(<autoFilter ref=")[^"]*"', rb'\1"', xml)
    return re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", b"<sheetData/>", xml, flags=re.S)


def test_nothing_is_lost(tmp_path: Path) -> None:
    book = decorated_book(tmp_path / "in")
    out = tmp_path / "out" / "decorated.xlsm"
    out.parent.mkdir()
    before_values = values(book)
    before = members(book)
    result = refresh_file(book, out, as_of=AS_OF)
    assert result.counts["logged"] == 1 and result.counts["pending"] == 1
    after = members(out)
    assert list(after) == list(before)  # same parts, same order: nothing added or dropped
    info = ooxml.inspect_book(out)
    sheet = info.sheet_parts
    contacts_table = next(t.part for t in info.tables if t.name == "Contacts")
    allowed = {sheet[n] for n in OUTPUTS} | {sheet["Contacts"], contacts_table}
    changed = {n for n in before if before[n] != after[n]}
    # styles.xml: the output columns here have no number format of their own, so the
    # writer appends the formats it needs (money, 0, 0%, dates) and changes nothing else
    assert changed - allowed == {"xl/styles.xml"}, changed ^ allowed
    _appended_only(before["xl/styles.xml"].decode(), after["xl/styles.xml"].decode())
    allowed.add("xl/styles.xml")
    same = [n for n in before if n not in allowed]
    for n in same:
        assert before[n] == after[n], n
    print(f"parts compared byte-identical: {len(same)} of {len(before)}")
    # the decorations are among the parts compared
    must = ["xl/vbaProject.bin", "customUI/customUI14.xml", "xl/persons/person.xml",
            "xl/threadedComments/threadedComment1.xml", "xl/workbook.xml",
            "[Content_Types].xml", "xl/sharedStrings.xml"]
    kinds = ["xl/charts/", "xl/drawings/drawing", "xl/drawings/vmlDrawing", "xl/media/",
             "xl/comments", "xl/tables/", "xl/featurePropertyBag/", "xl/worksheets/_rels/"]
    assert set(must) <= set(same)
    assert all(any(n.startswith(k) for n in same) for k in kinds), kinds
    assert len(same) >= 30
    # the output sheets keep everything around their cells: validation, x14 data bars,
    # icon sets, sparklines, drawings, buttons, column formats, filters, frozen panes
    # (the call list also gets its page breaks, one page per owner: only that element)
    breaks = re.compile(rb"<rowBreaks(?=[\s/>])(?:[^>]*/>|.*?</rowBreaks>)", re.S)
    for n in OUTPUTS:
        old_x, new_x = outside_sheet_data(before[sheet[n]]), outside_sheet_data(after[sheet[n]])
        if n == "CallList":
            assert breaks.search(new_x), "call list page breaks"
            old_x, new_x = breaks.sub(b"", old_x), breaks.sub(b"", new_x)
        assert old_x == new_x, n
    assert b"x14:dataBar" in after[sheet["CallList"]] and b"<legacyDrawing" in after[
        sheet["Dashboard"]] and b"x14:sparklineGroups" in after[sheet["Analysis"]]
    # Contacts: one row appended below the old ones, nothing else
    old_c, new_c = before[sheet["Contacts"]], after[sheet["Contacts"]]
    assert outside_sheet_data(old_c) == outside_sheet_data(new_c)
    # the input sheets' values, read back: identical (Contacts: the old rows, then one)
    after_values = values(out)
    for name in ("Customers", "Orders", "Settings"):
        assert after_values[name] == before_values[name], name
    assert after_values["Contacts"][:len(before_values["Contacts"])] == before_values["Contacts"]
    logged = after_values["Contacts"][len(before_values["Contacts"]):]
    assert len(logged) == 1 and logged[0][0] == "C1" and "wants the new kit" in logged[0]
    # the typed row that could not be logged is still on the call list
    calls = after_values["CallList"]
    kept = [r for r in calls[1:] if r[header_index("CustomerID")] == "C2"
            and r[header_index("Outcome")] == "maybe later"]
    assert kept and "Unknown outcome" in kept[0][header_index("Message")]


def _appended_only(old: str, new: str) -> None:
    """``new`` is ``old`` with elements appended to its lists (and their counts raised)."""
    lists = re.findall(r"<(\w+) count=\"\d+\">", old)
    rest_old, rest_new = old, new
    for tag in lists:
        rx = re.compile(rf'<{tag} count="(\d+)">(.*?)</{tag}>', re.S)
        mo, mn = rx.search(rest_old), rx.search(rest_new)
        assert mo and mn and mn[2].startswith(mo[2]), tag
        child = re.match(r"<([\w:]+)", mo[2] or mn[2] or "<none")
        added = len(re.findall(rf"<{child[1]}[\s/>]", mn[2][len(mo[2]):])) if child else 0
        assert int(mn[1]) - int(mo[1]) == added, tag
        rest_old, rest_new = rx.sub("", rest_old, 1), rx.sub("", rest_new, 1)
    assert rest_old == rest_new


def header_index(key: str) -> int:
    return [c.key for c in CALLLIST.columns].index(key)


# =========================================================================== 2. crash safety
@pytest.fixture(scope="module")
def big_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float, float, Path]:
    """A workbook large enough that writing takes a measurable time, and one complete,
    undisturbed in-place refresh of it: (book, seconds to the write, write seconds,
    refreshed copy)."""
    from tools.build import build_workbook

    folder = tmp_path_factory.mktemp("big")
    book = build_workbook("en", folder / "src" / "Big.xlsm", customers=3000)
    calib = folder / "calib" / "Big.xlsm"
    calib.parent.mkdir()
    calib.write_bytes(book.read_bytes())
    t0 = time.perf_counter()
    proc = cli("refresh", str(calib), "--as-of", "2026-12-01")
    t_write = None
    while proc.poll() is None:
        if t_write is None and _temps(calib.parent, calib.name):
            t_write = time.perf_counter() - t0
        time.sleep(0.001)
    t_end = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert t_write is not None, "never saw the temporary file"
    return book, t_write, t_end - t_write, calib


def _temps(folder: Path, name: str) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(f".{name}.")
            and p.name.endswith(".customerbook-tmp")]


FAULTS: list[str] = []


@pytest.mark.slow
def test_killed_at_any_moment_the_book_is_old_or_new(big_book, tmp_path: Path) -> None:
    src, t_write, write_s, done = big_book
    book = tmp_path / src.name
    book.write_bytes(src.read_bytes())
    old, new = sha(book), sha(done)
    assert old != new
    parts = {old: members(book), new: members(done)}
    rng = random.Random(20260630)
    in_write = 0
    backups = tmp_path / "CustomerBook backups"

    def wait_for(ready: Any, proc: subprocess.Popen[bytes]) -> None:
        t0 = time.perf_counter()
        while proc.poll() is None and not ready() and time.perf_counter() - t0 < 60:
            time.sleep(0.0003)

    for trial in range(10):
        proc = cli("refresh", str(book), "--as-of", "2026-12-01")
        if trial < 2:  # while reading and computing
            time.sleep(rng.uniform(0.2, t_write * 0.9))
            where = "before the write"
        elif trial < 6:  # while the new package is built in the temporary file
            wait_for(lambda: _temps(tmp_path, book.name), proc)
            time.sleep(rng.uniform(0, write_s * 0.8))
            where = "during the write"
        else:  # at the very end: the backup copy, the move over the book, the pruning
            seen = len(list(backups.iterdir())) if backups.exists() else 0
            wait_for(lambda n=seen: backups.exists() and len(list(backups.iterdir())) > n,
                     proc)
            time.sleep(rng.uniform(0, 0.03))
            where = "during the write"
        had_temp = bool(_temps(tmp_path, book.name))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        if proc.returncode == -signal.SIGKILL:
            FAULTS.append(where)
            in_write += where == "during the write" and had_temp
        # the book is the old file or the complete new one, never a mix
        now = sha(book)
        if now not in parts:  # say which parts are neither (a failure either way)
            try:
                cur = members(book)
                why = f"parts neither old nor new: {sorted(n for n in cur if cur[n] not in (parts[old].get(n), parts[new].get(n)))}"  # noqa: E501
            except zipfile.BadZipFile as exc:
                why = f"not a readable zip ({exc})"
            pytest.fail(f"trial {trial} ({where}): a half-written book, {why}")
        assert values(book)  # it opens
        assert len(_temps(tmp_path, book.name)) <= 1  # at most the one being written
        if backups.exists():  # a backup under its final name is always complete
            for b in backups.iterdir():
                if not b.name.startswith("."):
                    assert sha(b) in parts, b.name
    print(f"faults injected: {len(FAULTS)} ({FAULTS.count('during the write')} during the "
          f"write, {in_write} while the temporary file existed)")
    assert len(FAULTS) >= 8 and FAULTS.count("during the write") >= 6 and in_write >= 3, FAULTS
    # the next run cleans up what the killed ones left, and works
    proc = cli("refresh", str(book), "--as-of", "2026-12-01")
    _out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert sha(book) == new
    assert _temps(tmp_path, book.name) == []
    assert [p.name for p in backups.iterdir() if p.name.endswith(".customerbook-tmp")] == []
    assert 1 <= len(list(backups.iterdir())) <= 5


@pytest.mark.slow
def test_cli_refuses_when_the_file_changes_during_the_run(big_book, tmp_path: Path) -> None:
    src = big_book[0]
    book = tmp_path / src.name
    for _attempt in range(3):
        book.write_bytes(src.read_bytes())
        proc = cli("refresh", str(book), "--as-of", "2026-12-01")
        t0 = time.perf_counter()
        while proc.poll() is None and not _temps(tmp_path, book.name):
            if time.perf_counter() - t0 > 60:
                break
            time.sleep(0.0005)
        # someone saves the book in Excel while CustomerBook is writing
        with zipfile.ZipFile(book, "a") as z:
            z.writestr("customXml/saved-meanwhile.xml", "<x/>")
        theirs = sha(book)
        _out, err = proc.communicate()
        if proc.returncode == 0:  # the write finished before the save: try again
            continue
        assert proc.returncode == 2
        msg = err.decode("utf-8")
        assert "was changed by someone else" in msg and "Traceback" not in msg
        assert sha(book) == theirs  # their save survives
        assert _temps(tmp_path, book.name) == []
        assert not (tmp_path / "CustomerBook backups").exists()
        return
    pytest.fail("the write always finished before the file could be changed")


def test_refresh_file_refuses_a_change_on_disk(tmp_path: Path, monkeypatch) -> None:
    """The same end to end in-process: saved (same size and time, new bytes) mid-write."""
    book = write_book(tmp_path / "b.xlsx", _en_sheets())
    real = writer._assemble

    def saved_meanwhile(*args: Any) -> None:
        real(*args)
        data = bytearray(book.read_bytes())
        data[10] ^= 1  # a member's time stamp: still a valid zip
        st = book.stat()
        book.write_bytes(bytes(data))
        os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns))

    monkeypatch.setattr(writer, "_assemble", saved_meanwhile)
    with pytest.raises(BookError) as err:
        refresh_file(book)
    assert err.value.code == "changed_on_disk"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx"]


def test_cli_file_locked_by_excel_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch,
                                                               capsys) -> None:
    book = write_book(tmp_path / "b.xlsx", _en_sheets())
    before = sha(book)

    real = os.replace

    def locked(src: Any, dst: Any) -> None:  # Windows, while Excel has the book open
        if Path(dst) == book:
            raise PermissionError(13, "Permission denied", str(dst))
        real(src, dst)

    monkeypatch.setattr(replace.os, "replace", locked)
    assert main(["refresh", str(book)]) == 1
    err = capsys.readouterr().err
    assert "Permission denied; nothing was written" in err and "未写入任何内容" in err
    assert "Traceback" not in err and str(book) in err
    assert sha(book) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".customerbook-tmp")] == []


def test_backups_keep_the_newest_five(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", _en_sheets())
    previous = []
    for k in range(7):
        previous.append(book.read_bytes())
        refresh_file(book, as_of=AS_OF + dt.timedelta(days=k))
    folder = tmp_path / "CustomerBook backups"
    kept = sorted(folder.iterdir())
    assert len(kept) == 5
    assert all(re.fullmatch(r"b\.\d{8}-\d{6}(-\d+)?\.xlsx", p.name) for p in kept)
    assert sorted(p.read_bytes() for p in kept) == sorted(previous[2:])


def test_a_leftover_temp_file_is_removed_by_the_next_run(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", _en_sheets())
    stale = tmp_path / ".b.xlsx.k1ll3d.customerbook-tmp"
    stale.write_bytes(b"PK half a zip")
    stale_backup = tmp_path / "CustomerBook backups" / ".b.20260101-000000.xlsx.x.customerbook-tmp"
    stale_backup.parent.mkdir()
    stale_backup.write_bytes(b"half a backup")
    other = tmp_path / ".other.xlsx.abc.customerbook-tmp"  # another book's: not ours
    other.write_bytes(b"x")
    result = refresh_file(book, as_of=AS_OF)
    assert not stale.exists() and not stale_backup.exists() and other.exists()
    assert any("left by an interrupted run" in n for n in result.report.notes)


def test_a_temp_file_in_use_is_not_removed(tmp_path: Path) -> None:
    """Another process writing the same book holds its temporary file: it stays."""
    if os.name != "posix":
        pytest.skip("POSIX advisory locks")
    book = write_book(tmp_path / "b.xlsx", _en_sheets())
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[1]); from pathlib import Path;"
        "from xl_addin.excel.ooxml.replace import _temp_file;"
        "fd, p = _temp_file(Path(sys.argv[2]), '.b.xlsx.'); print(p, flush=True);"
        "time.sleep(30)"), str(ROOT), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        held = Path(holder.stdout.readline().strip())  # type: ignore[union-attr]
        assert held.exists()
        refresh_file(book, as_of=AS_OF)
        assert held.exists()
    finally:
        holder.kill()
        holder.wait()
    refresh_file(book, as_of=AS_OF)
    assert not held.exists()


def _en_sheets() -> dict[str, list[list[Any]]]:
    from support.books import en_sheets

    return en_sheets()


# =========================================================================== 3. idempotence
NAMES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
            min_size=1, max_size=10).filter(lambda s: s.strip()),
    st.sampled_from(["王小明", "Zoë Ørsted", "=1+1", "@SUM(A1)", "-2", "😀 emoji",
                     "a_x000D_b", "  padded  "]),
)
AMOUNTS = st.one_of(st.sampled_from([0.0, -120.0, 19.99, 1200.0, 1_000_000.0]),
                    st.floats(-500, 50_000, allow_nan=False).map(lambda f: round(f, 2)))
OUTCOME_WORDS = st.sampled_from([*OUTCOMES, *OUTCOMES.values(), None, None])


@st.composite
def small_books(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
    n = draw(st.integers(1, 6))
    ids = [f"C{i}" if draw(st.booleans()) else f"客户{i}" for i in range(n)]
    customers = [EN_CUSTOMERS[0]] + [
        [cid, draw(NAMES), draw(st.sampled_from(["Ann", "李雷", None])),
         draw(st.sampled_from(["13800000000", None])), None,
         draw(st.sampled_from([None, dt.date(1988, 7, 3)])),
         draw(st.sampled_from([None, "Y", "N"])), draw(st.sampled_from([None, "=NOTE()"]))]
        for cid in ids]
    day = st.integers(-700, 40).map(lambda k: AS_OF + dt.timedelta(days=k))
    orders = [EN_ORDERS[0]] + [
        [f"O{k}", draw(st.sampled_from(ids)), draw(day), draw(AMOUNTS), None,
         draw(st.sampled_from(["Kit", "面膜", None]))]
        for k in range(draw(st.integers(0, 12)))]
    if len(orders) > 2 and draw(st.booleans()):
        orders.insert(2, [None] * 6)  # a blank row inside the table
    contacts = [EN_CONTACTS[0]] + [
        [draw(st.sampled_from(ids)), draw(day), "Phone", None, draw(OUTCOME_WORDS),
         draw(st.sampled_from([None, AS_OF + dt.timedelta(days=5)])), None]
        for _k in range(draw(st.integers(0, 5)))]
    book = {"Customers": customers, "Orders": orders, "Contacts": contacts,
            "Settings": [["Key", "Value"], ["Language", draw(st.sampled_from(["en", "zh-CN"]))],
                         ["AsOfDate", AS_OF]]}
    if draw(st.booleans()):  # typed outcomes waiting on the call list
        header = [c.key for c in CALLLIST.columns]
        rows = []
        for cid in draw(st.lists(st.sampled_from(ids), max_size=3)):
            rec = {"Owner": "Ann", "CustomerID": cid, "Outcome": draw(OUTCOME_WORDS) or "??",
                   "Notes": draw(NAMES)}
            rows.append([rec.get(k) for k in header])
        book["CallList"] = [header, *rows]
    return book


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(small_books())
def test_refreshing_twice_equals_refreshing_once(book: dict[str, list[list[Any]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = write_book(Path(tmp) / "b.xlsx", book)
        once, twice = Path(tmp) / "once.xlsx", Path(tmp) / "twice.xlsx"
        refresh_file(src, once)
        refresh_file(once, twice)
        a, b = members(once), members(twice)
        assert list(a) == list(b)
        assert {n for n in a if a[n] != b[n]} == set()
        assert once.read_bytes() == twice.read_bytes()


# =========================================================================== 4. security
EVIL = ['=HYPERLINK("http://example.invalid","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
        "=1+1", "\t=TAB()", "＝全角"]


def test_text_from_cells_is_written_as_text_everywhere(tmp_path: Path) -> None:
    """Every text column that reaches an output (names, owners, phones, regions, notes,
    products, promises, typed call-list notes and outcomes) is stored as text."""
    header = [c.key for c in CALLLIST.columns]

    def call(cid: str, outcome: str, notes: str) -> list[Any]:
        rec = {"Owner": EVIL[0], "CustomerID": cid, "Outcome": outcome, "Notes": notes}
        return [rec.get(k) for k in header]

    customers = [EN_CUSTOMERS[0]] + [
        [f"C{i}", e, EVIL[(i + 1) % len(EVIL)], EVIL[(i + 2) % len(EVIL)],
         EVIL[(i + 3) % len(EVIL)], None, None, e] for i, e in enumerate(EVIL)]
    orders = [EN_ORDERS[0]] + [[f"O{i}", f"C{i}", dt.date(2025, 6, 1 + i), 100.0 + i, None, e]
                               for i, e in enumerate(EVIL)]
    contacts = [EN_CONTACTS[0]] + [[f"C{i}", dt.date(2026, 5, 1), e, e, "Complaint", None, e]
                                   for i, e in enumerate(EVIL)]
    book = write_book(tmp_path / "evil.xlsx", {
        "Customers": customers, "Orders": orders, "Contacts": contacts,
        "Settings": [["Key", "Value"], ["Language", "en"], ["AsOfDate", AS_OF]],
        "CallList": [header, call("C0", "Reached", "=EVIL()"),
                     call("C1", "=cmd|' /C calc'!A0", "+1")]})
    out = tmp_path / "out.xlsx"
    result = refresh_file(book, out)
    assert result.counts["logged"] == 1 and result.counts["pending"] == 1
    before, after = members(book), members(out)
    written = [n for n in after if n.startswith("xl/worksheets/") and before.get(n) != after[n]]
    assert len(written) >= 5  # four outputs created + Contacts appended
    evil_cells = 0
    for n in written:
        xml = after[n].decode("utf-8")
        assert "<f>" not in xml and "<f " not in xml, n
        for m in re.finditer(r"<c ([^>]*?)(?<!/)>(.*?)</c>", xml):
            text = re.sub(r"<[^>]+>", "", m[2])
            if text[:1] in "=+-@\t＝" and not re.fullmatch(r"-?[\d.E+-]+", text):
                assert 't="inlineStr"' in m[1], (n, m[0])
                evil_cells += 1
    assert evil_cells >= 40
    got = values(out)
    logged = got["Contacts"][-1]
    assert logged[0] == "C0" and logged[-1] == "=EVIL()"
    names = {r[0]: r[1] for r in got["Analysis"][1:]}
    assert [names[f"C{i}"] for i in range(len(EVIL))] == [e.strip() for e in EVIL]
    kept = [r for r in got["CallList"][1:] if r[header.index("CustomerID")] == "C1"]
    assert kept[0][header.index("Outcome")] == "=cmd|' /C calc'!A0"


def test_excel_safe_keeps_formula_looking_text_as_text() -> None:
    for s in ("=1+1", "+A1", "-A1", "@SUM(A1)"):
        assert excel_safe(s) == "'" + s
    for v in ("plain", "", 12, -3.5, None, dt.date(2026, 1, 1), "a=b"):
        assert excel_safe(v) == v


def test_every_macro_in_the_vba_runs_a_fixed_python_entry_point() -> None:
    sources = load_vba_sources(VBA_DIR)
    ours = {n: code for n, code in sources.items() if n != "xlwings"}  # xlwings: vendored
    assert ours
    subs = 0
    for name, code in ours.items():
        for m in re.finditer(r"^(?:Public |Private )?(Sub|Function) (\w+)\((.*?)\)(.*?)^End \1",
                             code, re.S | re.M):
            subs += 1
            body = m[4]
            calls = re.findall(r"RunPython\s*\(?\s*(.*)", body)
            for arg in calls:
                fixed = re.fullmatch(r'"import xl_addin\.macros as m; '
                                     r"m\.(\w+)\(vba='[0-9.]+'\)\"\s*\)?\s*", arg)
                assert fixed, f"{name}.{m[2]}: RunPython must get one fixed literal: {arg!r}"
                assert fixed[1] in macros.__all__ and callable(getattr(macros, fixed[1]))
            assert not re.search(r"\b(Shell|CreateObject|Evaluate|ExecuteExcel4Macro)\b", body)
    assert subs >= 5


def test_xml_is_parsed_with_defusedxml_only() -> None:
    """No tree parser that expands entities is used anywhere in the package."""
    unsafe = re.compile(r"\b(?:minidom|lxml|xml\.sax(?!\.saxutils)|expat|pulldom|xml\.dom)\b|"
                        r"(?<!Safe)ET\.(?:fromstring|parse|iterparse|XMLParser)\(|"
                        r"ElementTree\.(?:fromstring|parse|iterparse|XMLParser)\b|"
                        r"from xml\.etree\.ElementTree import [^\n]*\b(?:fromstring|parse|"
                        r"iterparse|XMLParser)\b")
    found = []
    for path in (ROOT / "xl_addin").rglob("*.py"):
        for k, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if unsafe.search(line):
                found.append(f"{path.relative_to(ROOT)}:{k}: {line.strip()}")
    assert found == []
    text = "".join(p.read_text("utf-8")
                   for p in (ROOT / "xl_addin" / "excel" / "ooxml").glob("*.py"))
    assert "from defusedxml import ElementTree as SafeET" in text
    assert text.count("SafeET.fromstring(") >= 2


def test_no_personal_data_in_logs(tmp_path: Path, caplog, capsys) -> None:
    book = write_book(tmp_path / "b.xlsx", {
        **_en_sheets(),
        "CallList": [[c.key for c in CALLLIST.columns],
                     [None, None, "C1", None, None, None, None, None, None, None, None,
                      "Reached", None, "private note 13812345678"]]})
    personal = [r[1] for r in EN_CUSTOMERS[1:]] + [r[3] for r in EN_CUSTOMERS[1:]]
    personal += ["13812345678", "late delivery", "likes email"]
    caplog.set_level(logging.DEBUG)
    for name in ("", "xl_addin", "xlwings", "python_calamine"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    refresh_file(book, as_of=AS_OF)
    with pytest.raises(BookError):
        refresh_file(tmp_path / "missing.xlsx")
    assert main(["refresh", str(book), "--as-of", "2026-07-01"]) == 0
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    for value in personal:
        assert value not in logged, value
    out = capsys.readouterr()
    for value in personal:  # the summary on screen names no customer either
        assert value not in out.out and value not in out.err
    files = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert not [f for f in files if f.endswith((".log", ".txt"))]


# =========================================================================== 5. Excel side
def _live_sheets() -> dict[str, list[list[Any]]]:
    return {k: [[v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in rows]
            for k, rows in _en_sheets().items()}


def test_live_macro_computes_everything_before_the_first_write(monkeypatch) -> None:
    sheets = _live_sheets()
    typed = {"Owner": "Ann", "Rank": 1, "CustomerID": "C1", "Outcome": "Reached",
             "Notes": "=EVIL()"}
    sheets["CallList"] = [[c.key for c in CALLLIST.columns],
                          [typed.get(c.key) for c in CALLLIST.columns]]
    book = fakexl.install(monkeypatch, sheets)
    result = macros.refresh_all()
    assert result is not None and book.app.alerts == []
    kinds = [e[0] for e in book.log]
    first_write = next(i for i, k in enumerate(kinds) if k != "read")
    assert "read" not in kinds[first_write:]  # all reading happened first
    assert ("add", "Analysis") in book.log
    writes = [e for e in book.log if e[0] == "write"]
    contacts = [e for e in writes if e[1] == "Contacts"]
    assert contacts and contacts[0][3][0][-1] == "'=EVIL()"  # formula-looking text: text
    assert any(e[0] == "resize" for e in book.log)
    assert book.app.status_bar is False


def test_live_macro_with_bad_input_shows_the_message_and_writes_nothing(monkeypatch) -> None:
    sheets = _live_sheets()
    sheets["Orders"][3][3] = "abc"
    book = fakexl.install(monkeypatch, sheets)
    assert macros.refresh_all() is None
    assert [e for e in book.log if e[0] != "read"] == []
    assert len(book.app.alerts) == 1
    assert "Sheet 'Orders', row 4, column 'Amount': expected a number" in book.app.alerts[0]
    assert "Traceback" not in book.app.alerts[0]


def test_live_macro_unexpected_error_is_a_short_message(monkeypatch) -> None:
    book = fakexl.install(monkeypatch, _live_sheets())

    def boom(*_a: Any, **_k: Any) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(macros, "refresh_core", boom)
    assert macros.refresh_all() is None  # no exception reaches xlwings (no traceback box)
    assert [e for e in book.log if e[0] != "read"] == []
    (msg,) = book.app.alerts
    assert "ZeroDivisionError: division by zero" in msg and "nothing was changed" in msg
    assert "未做任何修改" in msg and "Traceback" not in msg and len(msg) < 600


def test_live_macro_excel_failing_mid_write_is_a_short_message(monkeypatch) -> None:
    book = fakexl.install(monkeypatch, _live_sheets(), fail_on_write=3)
    assert macros.refresh_all() is None
    (msg,) = book.app.alerts
    assert "while writing" in msg and "OSError" in msg and "Traceback" not in msg
    assert book.app.status_bar is False


def test_udf_overflow_is_an_excel_error_not_an_exception() -> None:
    from xl_addin import functions as F

    assert F.CB_NEXT_FOLLOWUP(dt.datetime(2026, 1, 1), "A", 1e12) == "#NUM!"
    assert F.CB_NEXT_FOLLOWUP(dt.datetime(9999, 12, 1), "C") == "#VALUE!"
    assert F.CB_DAYS_OVERDUE(1e20, dt.datetime(2026, 1, 1)) == "#VALUE!"
    assert F.CB_CLV([1.0, 2.0], [5.0, 6.0], [10.0, 20.0], [5.0]) == "#VALUE!"
    assert F.CB_AVG_SPEND([1.0, 2.0], [5.0]) == "#VALUE!"
    assert F.CB_EXPECTED_PURCHASES([1.0, 2.0], [5.0, 6.0], [10.0, 20.0], -5) == "#VALUE!"
    assert F.CB_RFM_SEGMENT(["a"], ["b"], ["c"]) == [[""]]


@pytest.mark.excel
def test_live_macros_in_excel() -> None:
    """The manual check in Microsoft Excel described in docs/guarantees.md (Excel's own
    message boxes, status bar and ranges cannot run headless)."""
    pytest.skip("needs Microsoft Excel: manual check, see docs/guarantees.md")


def test_a_macro_says_so_when_the_workbook_and_python_run_other_xlwings_versions(monkeypatch):
    import xlwings

    book = fakexl.install(monkeypatch, _live_sheets())
    assert macros.refresh_all(vba="0.30.0") is None
    assert [e for e in book.log if e[0] != "read"] == []  # nothing written
    (msg,) = book.app.alerts
    assert f"xlwings 0.30.0, but the Python that Excel runs has xlwings {xlwings.__version__}" in msg
    assert "pip install xlwings==0.30.0" in msg and "此工作簿的宏使用 xlwings 0.30.0" in msg
    book = fakexl.install(monkeypatch, _live_sheets())
    assert macros.refresh_all(vba=xlwings.__version__) is not None  # the same: it runs


def test_the_workbook_vba_passes_its_xlwings_version_which_python_pins():
    """The buttons pass xlwings.bas's XLWINGS_VERSION; pyproject pins the same version."""
    import re as _re

    bas = (VBA_DIR / "xlwings.bas").read_text(encoding="utf-8")
    (vba_version,) = _re.findall(r'XLWINGS_VERSION As String = "([^"]+)"', bas)
    pin = _re.search(r'"xlwings==([^"]+)"', (ROOT / "pyproject.toml").read_text())[1]
    assert vba_version == pin
    ours = (VBA_DIR / "CustomerBook.bas").read_text(encoding="utf-8")
    assert ours.count(f"(vba='{vba_version}')") == len(BUTTONS) == 5
