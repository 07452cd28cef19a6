"""Headless refresh on real files: outputs, preservation, the outcome loop, the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from support.books import (
    AS_OF,
    CONTACT_HEADER,
    CUSTOMER_HEADER,
    ORDER_HEADER,
    contact,
    customer,
    order,
    small_book,
    write_book,
)

from xl_addin.cli import main
from xl_addin.macros import refresh_file

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook" / "CustomerBook.xlsm"


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return [r for r in wb[sheet].iter_rows(values_only=True)]


def test_refresh_creates_missing_output_sheets_in_an_xlsx(tmp_path):
    book = small_book(tmp_path / "book.xlsx")
    before = sha(book)
    result = refresh_file(book, tmp_path / "out.xlsx")
    assert sha(book) == before  # --out leaves the source alone
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert wb.sheetnames[-5:] == ["Analysis", "FollowUps", "CallList", "Dashboard", "ModelCheck"]
    # the customer card is the shipped workbook's page: a user's book does not get one
    assert "CustomerCard" not in wb.sheetnames and "客户档案" not in wb.sheetnames
    analysis = rows(tmp_path / "out.xlsx", "Analysis")
    assert analysis[0][:4] == ("CustomerID", "Name", "Owner", "Revenue")
    by_id = {r[0]: r for r in analysis[1:]}
    assert by_id["C1"][3] == 1000.0 and by_id["C1"][4] == 2
    assert by_id["C1"][5] == dt.datetime(2026, 3, 10)  # LastOrderDate is a real date
    # profit: (800-500) + 200*0.30 = 360
    assert by_id["C1"][13] == pytest.approx(360.0)
    calls = rows(tmp_path / "out.xlsx", "CallList")
    assert "C3" not in [r[2] for r in calls[1:]]  # Do-Not-Contact
    assert result.counts["customers"] == 3


def test_shipped_workbook_refresh_changes_only_output_sheets(tmp_path):
    out = tmp_path / "CustomerBook.xlsm"
    result = refresh_file(WORKBOOK, out, as_of=dt.date(2026, 12, 1))
    old, new = members(WORKBOOK), members(out)
    assert list(old) == list(new)  # same parts, same order
    changed = sorted(n for n in old if old[n] != new[n])
    wb = openpyxl.load_workbook(WORKBOOK)
    sheet_parts = _sheet_parts(WORKBOOK)
    outputs = {sheet_parts[n] for n in ("仪表盘", "呼叫清单", "回访提醒", "客户分析", "模型检验")}
    assert set(changed) <= outputs
    assert len(changed) >= 3
    for name in ("客户", "订单", "联系记录", "设置", "xlwings.conf", "客户档案"):
        assert old[sheet_parts[name]] == new[sheet_parts[name]]
    assert old["xl/vbaProject.bin"] == new["xl/vbaProject.bin"]
    assert result.report is not None and wb is not None


def _sheet_parts(path: Path) -> dict[str, str]:
    from xl_addin.excel.ooxml import inspect_book

    return dict(inspect_book(path).sheet_parts)


def test_a_sheet_the_user_named_like_the_card_is_left_as_typed(tmp_path):
    """The refresh never writes the card: a user's own CustomerCard sheet keeps its cells
    (here a typed formula-looking text and a number), and the refresh succeeds."""
    book = write_book(tmp_path / "own.xlsx", {
        "Customers": [CUSTOMER_HEADER, customer("C1", "Alpha")],
        "Orders": [ORDER_HEADER, order("C1", dt.date(2026, 3, 1), 100.0)],
        "Contacts": [CONTACT_HEADER],
        "Settings": [["Key", "Value"], ["Language", "en"], ["AsOfDate", AS_OF]],
        "CustomerCard": [["My own notes", "=1+1"], ["C1", 42]],
    }, tables=False)
    out = tmp_path / "out.xlsx"
    refresh_file(book, out)
    assert members(out)[_sheet_parts(out)["CustomerCard"]] == members(book)[
        _sheet_parts(book)["CustomerCard"]]
    assert rows(out, "CustomerCard")[:2] == [("My own notes", "=1+1"), ("C1", 42)]


def test_refresh_twice_gives_identical_parts(tmp_path):
    a, b = tmp_path / "a.xlsm", tmp_path / "b.xlsm"
    refresh_file(WORKBOOK, a, as_of=dt.date(2026, 12, 1))
    refresh_file(a, b, as_of=dt.date(2026, 12, 1))
    assert members(a) == members(b)


def _type_outcomes(path: Path, typed: dict[int, tuple]) -> None:
    """A user fills in Outcome / NextFollowUp / Notes on CallList rows (openpyxl as 'any tool')."""
    wb = openpyxl.load_workbook(path)
    ws = wb["CallList"]
    header = [c.value for c in ws[1]]
    for row, (outcome, nxt, notes) in typed.items():
        ws.cell(row, header.index("Outcome") + 1, outcome)
        ws.cell(row, header.index("NextFollowUp") + 1, nxt)
        ws.cell(row, header.index("Notes") + 1, notes)
    wb.save(path)


def test_the_whole_day_loop(tmp_path):
    book = small_book(tmp_path / "day.xlsx", extra_contacts=[
        contact("C2", dt.date(2026, 6, 1), NextFollowUp=dt.date(2026, 6, 20))])
    refresh_file(book)  # morning: the list is made
    calls = rows(book, "CallList")
    header = calls[0]
    listed = [r[header.index("CustomerID")] for r in calls[1:]]
    assert listed[:2] == ["C2", "C1"] or set(listed) >= {"C1", "C2"}
    row_of = {cid: i + 2 for i, cid in enumerate(listed)}
    _type_outcomes(book, {
        row_of["C1"]: ("Reached", dt.datetime(2026, 7, 15), "wants the new kit"),
        row_of["C2"]: ("maybe later", None, None),  # not an outcome word: must not vanish
    })
    result = refresh_file(book)  # noon: outcomes logged
    assert result.counts["logged"] == 1 and result.counts["pending"] == 1
    contacts = rows(book, "Contacts")
    assert len(contacts) == 1 + 2 + 1  # header, two original contacts, one logged call
    logged = contacts[-1]
    assert logged[:2] == ("C1", dt.datetime.combine(AS_OF, dt.time()))
    assert logged[4] == "Reached" and logged[5] == dt.datetime(2026, 7, 15)
    assert logged[3] == "Ann" and logged[8] == "wants the new kit"
    calls = rows(book, "CallList")
    header = calls[0]
    kept = [r for r in calls[1:] if r[header.index("CustomerID")] == "C2"]
    assert kept and kept[0][header.index("Outcome")] == "maybe later"
    assert "Unknown outcome" in kept[0][header.index("Message")]
    # C1 was reached today: its follow-up clock restarted, it is no longer due
    assert "C1" not in [r[header.index("CustomerID")] for r in calls[1:]]
    before = members(book)
    refresh_file(book)  # evening: nothing new to log, nothing duplicated
    assert len(rows(book, "Contacts")) == 4
    after = members(book)
    assert {n for n in before if before[n] != after[n]} <= {
        n for n in before if n.startswith("xl/worksheets/")}


def test_in_place_refresh_keeps_a_backup(tmp_path):
    book = small_book(tmp_path / "b.xlsx")
    original = book.read_bytes()
    result = refresh_file(book)
    backups = list((tmp_path / "CustomerBook backups").glob("b.*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == original
    assert result.written == book


def test_cli_refresh_and_exit_codes(tmp_path, capsys):
    book = small_book(tmp_path / "c.xlsx")
    assert main(["refresh", str(book), "--out", str(tmp_path / "o.xlsx"),
                 "--as-of", "2026-07-01"]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert main(["refresh", str(book), "--as-of", "July"]) == 2
    assert "--as-of" in capsys.readouterr().err
    assert main(["refresh", str(tmp_path / "missing.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "不存在" in err


def test_cli_bad_input_names_sheet_row_column_and_leaves_file_untouched(tmp_path, capsys):
    book = small_book(tmp_path / "bad.xlsx", extra_contacts=[contact("C9", "yesterday")])
    before = sha(book)
    assert main(["refresh", str(book)]) == 2
    err = capsys.readouterr().err
    assert "Sheet 'Contacts', row 3, column 'ContactDate': expected a date" in err
    assert "Sheet 'Contacts', row 3, column 'CustomerID': customer ID 'C9'" in err
    assert "Traceback" not in err
    assert sha(book) == before
    assert not (tmp_path / "CustomerBook backups").exists()


def test_chinese_workbook_messages_are_chinese(tmp_path, capsys):
    book = tmp_path / "zh.xlsm"
    shutil.copy(WORKBOOK, book)
    wb = openpyxl.load_workbook(book, keep_vba=True)
    wb["订单"]["D2"] = "很多"
    wb.save(book)
    assert main(["refresh", str(book)]) == 2
    err = capsys.readouterr().err
    assert "工作表「订单」第 2 行「金额」列：应为数字，实际为“很多”" in err


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    from support.books import CUSTOMER_HEADER, customer, order, write_book

    evil = ['=HYPERLINK("http://example.invalid","click")', "+cmd|' /C calc'!A0", "@SUM(A1)",
            "-2+3"]
    book = write_book(tmp_path / "evil.xlsx", {
        "Customers": [CUSTOMER_HEADER, *(customer(f"C{i}", name) for i, name in enumerate(evil))],
        "Orders": [["CustomerID", "OrderDate", "Amount"],
                   *(order(f"C{i}", dt.date(2026, 1, 1), 10.0)[1:4] for i in range(4))],
        "Contacts": [["CustomerID", "ContactDate"]],
        "Settings": [["Key", "Value"], ["Language", "en"], ["AsOfDate", AS_OF]],
    })
    refresh_file(book, tmp_path / "out.xlsx")
    parts = members(tmp_path / "out.xlsx")
    sheets = {n: v for n, v in parts.items() if n.startswith("xl/worksheets/sheet")}
    assert not any(b"<f>" in v or b"<f " in v for v in sheets.values())
    names = [r[1] for r in rows(tmp_path / "out.xlsx", "Analysis")[1:]]
    assert names == evil
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert {c.data_type for c in wb["Analysis"]["B"][1:]} == {"s"}


def test_call_list_page_breaks_follow_the_owners(tmp_path):
    import re

    out = tmp_path / "o.xlsm"
    refresh_file(WORKBOOK, out, as_of=dt.date(2026, 12, 1))
    owners = [r[0] for r in rows(out, "呼叫清单")[1:]]
    expected = [i + 2 for i in range(len(owners) - 1) if owners[i] != owners[i + 1]]
    xml = members(out)[_sheet_parts(out)["呼叫清单"]].decode("utf-8")
    assert [int(x) for x in re.findall(r'<brk id="(\d+)"', xml)] == expected
    assert len(expected) == len(set(owners)) - 1


def test_cli_demo_writes_a_workbook_that_refreshes(tmp_path, capsys):
    out = tmp_path / "demo.xlsx"
    assert main(["demo", str(out), "--customers", "50", "--orders", "300", "--contacts",
                 "80", "--lang", "en", "-q"]) == 0
    assert main(["refresh", str(out), "--out", str(tmp_path / "done.xlsx")]) == 0
    assert "Analysis 50 customers" in capsys.readouterr().out


def test_progress_names_every_step_in_order_and_changes_nothing(tmp_path, capsys):
    quiet, shown = tmp_path / "quiet.xlsm", tmp_path / "shown.xlsm"
    assert main(["refresh", str(WORKBOOK), "--out", str(quiet), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["refresh", str(WORKBOOK), "--out", str(shown), "--progress"]) == 0
    err = capsys.readouterr().err.splitlines()
    # not a terminal: one line per step, numbered, in the workbook's language once known
    assert [line.split("] ")[1].split(" ")[0] for line in err] == [
        f"{n}/7" for n in range(1, 8)]
    assert "读取工作簿 / Reading the workbook" in err[0]  # the language is not known yet
    for line, label in zip(err[1:], ["检查输入", "客户分类与价值", "回访提醒", "呼叫清单",
                                     "整理输出表", "写入工作簿"], strict=True):
        assert label in line and "Reading" not in line and " / " not in line
    assert members(quiet) == members(shown)


def test_refresh_file_reports_steps_and_leaves_garbage_collection_as_it_was(tmp_path):
    import gc

    seen: list[tuple[str, str | None]] = []
    gc.disable()
    try:
        refresh_file(WORKBOOK, tmp_path / "a.xlsm", progress=lambda s, lang: seen.append(
            (s, lang, gc.isenabled())))
        assert not gc.isenabled()
    finally:
        gc.enable()
    refresh_file(WORKBOOK, tmp_path / "b.xlsm", progress=lambda s, lang: seen.append(
        (s, lang, gc.isenabled())))
    assert gc.isenabled()  # switched off while working, back on afterwards
    steps = [s for s, _lang, _gc in seen]
    assert steps == ["read", "check", "analyse", "followups", "calllist", "shape", "write"] * 2
    assert all(not on for _s, _lang, on in seen)
    assert {lang for s, lang, _gc in seen if s != "read"} == {"zh-CN"}


def test_unknown_and_repeated_settings_are_named_not_silently_ignored(tmp_path, capsys):
    book = small_book(tmp_path / "b.xlsx", settings={"CallsPerOwnerPerDy": 5,
                                                     "DormantDays": 120,
                                                     "dormant days": 150,
                                                     "MyOwnNote": "keep"})
    assert main(["refresh", str(book), "--out", str(tmp_path / "o.xlsx")]) == 0
    err = capsys.readouterr().err
    assert ("'CallsPerOwnerPerDy' is not a setting CustomerBook knows, so it is ignored; "
            "did you mean CallsPerOwnerPerDay?") in err
    assert "setting DormantDays is given twice (rows 5 and 6); the value in row 6 is used" in err
    assert "'MyOwnNote' is not a setting" in err
    dash = openpyxl.load_workbook(tmp_path / "o.xlsx", read_only=True)["Dashboard"]
    cells = [c for row in dash.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("did you mean CallsPerOwnerPerDay?" in c for c in cells)


def test_typed_calls_survive_a_deleted_id_column_until_they_can_be_logged(tmp_path):
    book = small_book(tmp_path / "loop.xlsx")
    refresh_file(book)
    wb = openpyxl.load_workbook(book)
    ws = wb["CallList"]
    header = [c.value for c in ws[1]]
    notes = header.index("Notes") + 1
    ws.cell(2, header.index("Outcome") + 1, "Reached")
    ws.cell(2, notes, "asked for the price list")
    name = ws.cell(2, header.index("Name") + 1).value
    ws.delete_cols(header.index("CustomerID") + 1)  # a user deletes the ID column
    wb.save(book)
    for _ in range(2):  # kept, and kept again: never lost, never logged twice
        result = refresh_file(book)
        assert result.counts["logged"] == 0 and result.counts["pending"] == 1
        calls = rows(book, "CallList")
        kept = [r for r in calls[1:] if r[calls[0].index("Message")]]
        assert [(r[calls[0].index("Name")], r[calls[0].index("Notes")]) for r in kept] == [
            (name, "asked for the price list")]
    # staff type the ID on the kept row: now it is logged, once
    wb = openpyxl.load_workbook(book)
    ws = wb["CallList"]
    header = [c.value for c in ws[1]]
    at = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, header.index("Message") + 1).value)
    cid = {"Alpha Ltd": "C1", "Beta Co": "C2"}[name]
    ws.cell(at, header.index("CustomerID") + 1, cid)
    wb.save(book)
    result = refresh_file(book)
    assert result.counts["logged"] == 1 and result.counts["pending"] == 0
    assert rows(book, "Contacts")[-1][0] == cid


@pytest.mark.parametrize("typed,day", [("2026/3/5", dt.date(2026, 3, 5)),
                                       ("2026年3月5日", dt.date(2026, 3, 5)),
                                       ("2026-03-05", dt.date(2026, 3, 5)),
                                       ("1900-01-15", dt.date(1900, 1, 15)),
                                       ("2200-12-31", dt.date(2200, 12, 31))])
def test_as_of_takes_every_date_form_a_cell_takes_across_the_documented_years(
        tmp_path, typed, day):
    book = small_book(tmp_path / "b.xlsx")
    out = tmp_path / "o.xlsx"
    assert main(["refresh", str(book), "--out", str(out), "--as-of", typed]) == 0
    assert rows(out, "Dashboard")[1][1] == dt.datetime.combine(day, dt.time())


@pytest.mark.parametrize("typed", ["2300-01-01", "1899-12-31", "next monday", "2026-02-30"])
def test_as_of_outside_the_years_or_not_a_date_is_a_message(tmp_path, capsys, typed):
    book = small_book(tmp_path / "b.xlsx")
    assert main(["refresh", str(book), "--out", str(tmp_path / "o.xlsx"), "--as-of", typed]) == 2
    err = capsys.readouterr().err
    assert "--as-of expects a date of the years 1900-2200" in err and "Traceback" not in err
    assert not (tmp_path / "o.xlsx").exists()


def test_two_sheets_that_could_be_one_input_are_refused_not_guessed(tmp_path, capsys):
    from support.books import EN_CUSTOMERS, en_sheets, write_book

    sheets = en_sheets()
    sheets["客户"] = [list(r) for r in EN_CUSTOMERS]
    book = write_book(tmp_path / "two.xlsx", sheets, tables="inputs")
    before = sha(book)
    assert main(["refresh", str(book)]) == 2
    err = capsys.readouterr().err
    assert ("both sheet 'Customers' and sheet '客户' could be the Customers / 客户 sheet; "
            "rename or remove one of them") in err
    assert sha(book) == before


def test_a_shop_starting_out_needs_no_contacts_sheet_and_gets_one_with_its_first_call(tmp_path):
    from support.books import en_sheets, write_book

    sheets = en_sheets()
    del sheets["Contacts"]
    book = write_book(tmp_path / "new.xlsx", sheets)
    result = refresh_file(book)
    assert result.counts["logged"] == 0
    assert "Contacts" not in openpyxl.load_workbook(book).sheetnames
    wb = openpyxl.load_workbook(book)
    ws = wb["CallList"]
    header = [c.value for c in ws[1]]
    cid = ws.cell(2, header.index("CustomerID") + 1).value
    ws.cell(2, header.index("Outcome") + 1, "Reached")
    ws.cell(2, header.index("Notes") + 1, "first call ever")
    wb.save(book)
    assert refresh_file(book).counts["logged"] == 1
    contacts = rows(book, "Contacts")
    assert contacts[0][:2] == ("CustomerID", "ContactDate")
    assert contacts[1][0] == cid and contacts[1][-1] == "first call ever"
    # the sheet it made is read and appended to like any other
    wb = openpyxl.load_workbook(book)
    ws = wb["CallList"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Outcome") + 1, "NoAnswer")
    wb.save(book)
    assert refresh_file(book).counts["logged"] == 1
    assert len(rows(book, "Contacts")) == 3


def test_title_and_note_rows_above_the_header_are_left_out(tmp_path):
    from support.books import en_sheets, write_book

    sheets = en_sheets()
    clean = write_book(tmp_path / "clean.xlsx", en_sheets(), tables=False)
    for name in ("Customers", "Orders"):
        sheets[name] = [["My customer list 2026"], [None], ["exported by the till", None, "x"],
                        *sheets[name]]
    titled = write_book(tmp_path / "titled.xlsx", sheets, tables=False)
    a = refresh_file(clean, tmp_path / "a.xlsx").outputs.analysis
    b = refresh_file(titled, tmp_path / "b.xlsx").outputs.analysis
    pd.testing.assert_frame_equal(a, b)


def test_the_program_exits_with_its_code_and_leaves_nothing_behind(tmp_path):
    """``customerbook`` leaves without taking its heap apart (cli.entry), yet says all it
    said, with the same exit codes, and its temporary folders and children are gone."""
    import os
    import subprocess
    import sys

    from test_forked import orders_book

    book = orders_book(tmp_path / "book.xlsx", 60)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    done = subprocess.run([sys.executable, "-m", "xl_addin.cli", "refresh", str(book),
                           "--out", str(tmp_path / "out.xlsx")], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote") or "out.xlsx" in done.stdout
    assert (tmp_path / "out.xlsx").exists()
    assert list(scratch.iterdir()) == []
    bad = orders_book(tmp_path / "bad.xlsx", 60, bad={5: ("Amount", "twelve")})
    refused = subprocess.run([sys.executable, "-m", "xl_addin.cli", "refresh", str(bad)],
                             capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and "twelve" in refused.stderr + refused.stdout
    assert list(scratch.iterdir()) == []
