"""The book on disk: links, read-only files, books open in a spreadsheet program, two
refreshes at once. Each through the real command line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from support.books import small_book

from xl_addin.cli import main

ROOT = Path(__file__).resolve().parents[1]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_linked_book_is_refreshed_where_it_lives_and_the_link_stays(tmp_path):
    real = small_book(tmp_path / "real.xlsx")
    link = tmp_path / "shortcut.xlsx"
    link.symlink_to(real)
    before = sha(real)
    assert main(["refresh", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert sha(real) != before  # the real book got the results
    assert "CallList" in openpyxl.load_workbook(real, read_only=True).sheetnames


def test_a_read_only_book_is_not_replaced(tmp_path, capsys):
    book = small_book(tmp_path / "ro.xlsx")
    book.chmod(0o444)
    before = sha(book)
    try:
        assert main(["refresh", str(book)]) == 2
        err = capsys.readouterr().err
        assert "ro.xlsx is read-only, so it was not changed" in err
        assert sha(book) == before and os.stat(book).st_mode & 0o777 == 0o444
        assert main(["refresh", str(book), "--out", str(tmp_path / "copy.xlsx")]) == 0
    finally:
        book.chmod(0o644)


def _excel_owner_file(name: str) -> bytes:
    """An owner file as Excel writes it: a length byte and the name (code page), padded
    to 54 bytes, then the length and the name in UTF-16, padded to 165 bytes."""
    ansi = name.encode("cp1252", "replace")
    head = bytes([len(ansi)]) + ansi
    head += b" " * (54 - len(head))
    wide = bytes([len(name), 0]) + name.encode("utf-16-le")
    return (head + wide).ljust(165, b" ")


@pytest.mark.parametrize("lock,content,who", [
    ("~${name}", _excel_owner_file("Wang Li"), "Wang Li"),
    ("~${name}", _excel_owner_file("张伟"), "张伟"),
    (".~lock.{name}#", b"Anna Chen,shop-pc,anna,01.12.2026 09:12,file:///home/anna;",
     "Anna Chen"),
], ids=["excel", "excel-chinese-name", "libreoffice"])
def test_a_book_open_elsewhere_is_not_refreshed_in_place(tmp_path, capsys, lock, content, who):
    book = small_book(tmp_path / "open.xlsx")
    (tmp_path / lock.format(name=book.name)).write_bytes(content)
    before = sha(book)
    assert main(["refresh", str(book)]) == 2
    err = capsys.readouterr().err
    assert f"open.xlsx is open in a spreadsheet program ({who} has it open)" in err
    assert sha(book) == before
    assert main(["refresh", str(book), "--out", str(tmp_path / "copy.xlsx")]) == 0


def test_two_refreshes_of_one_book_take_turns_and_lose_nothing(tmp_path):
    book = small_book(tmp_path / "two.xlsx")
    assert main(["refresh", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["CallList"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Outcome") + 1, "Reached")
    ws.cell(2, header.index("Notes") + 1, "typed once")
    wb.save(book)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "xl_addin.cli", "refresh", str(book)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    codes = [p.wait(timeout=300) for p in procs]
    errs = [p.stderr.read().decode() for p in procs]
    assert sorted(codes) in ([0, 0], [0, 2]), errs
    if 2 in codes:
        assert "another CustomerBook refresh of" in errs[codes.index(2)]
    contacts = [r for r in openpyxl.load_workbook(book).worksheets[2].iter_rows(values_only=True)]
    assert [r[-1] for r in contacts].count("typed once") == 1  # logged exactly once
    with zipfile.ZipFile(book) as z:
        assert z.testzip() is None
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith("customerbook-lock")]


# ------------------------------------------------------------------ messages that say what it is
def test_a_strict_open_xml_book_is_told_to_be_saved_as_a_workbook(tmp_path, capsys):
    src = small_book(tmp_path / "plain.xlsx")
    dst = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():  # the namespaces Excel's "Strict Open XML" format uses
            data = zi.read(info)
            if info.filename.endswith((".xml", ".rels")):
                data = (data.decode()
                        .replace("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                 "http://purl.oclc.org/ooxml/spreadsheetml/main")
                        .replace("http://schemas.openxmlformats.org/officeDocument/2006/"
                                 "relationships", "http://purl.oclc.org/ooxml/officeDocument/"
                                 "relationships").encode())
            zo.writestr(info, data)
    before = sha(dst)
    assert main(["refresh", str(dst), "--out", str(tmp_path / "o.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "strict.xlsx is a workbook saved as Strict Open XML" in err
    assert "save it as an Excel workbook (.xlsx)" in err and "damaged" not in err
    assert sha(dst) == before


def test_contacts_with_no_room_left_says_so(tmp_path, capsys):
    from support.books import en_sheets, member, rezip, write_book

    book = write_book(tmp_path / "full.xlsx", en_sheets(), tables=False)
    assert main(["refresh", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["CallList"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Outcome") + 1, "Reached")
    wb.save(book)
    # a contact on Excel's very last row: nothing can go below it
    part = "xl/worksheets/sheet3.xml"
    xml = member(book, part).decode()
    xml = xml.replace("</sheetData>", '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>'
                      'C1</t></is></c><c r="B1048576"><v>46100</v></c></row></sheetData>')
    full = rezip(book, tmp_path / "full2.xlsx", {part: xml.encode()})
    before = sha(full)
    assert main(["refresh", str(full)]) == 2
    err = capsys.readouterr().err
    assert "sheet Contacts has room for 0 more rows below its data, and 1 are to be added" in err
    assert "too large" not in err and sha(full) == before


def test_an_output_table_with_a_totals_row_says_what_to_switch_off(tmp_path, capsys):
    import xlsxwriter
    from support.books import en_sheets

    path = tmp_path / "totals.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in {**en_sheets(), "CallList": [["Owner", "Rank"], ["Ann", 1]]}.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write_datetime(r, c, v) if hasattr(v, "year") else ws.write(r, c, v)
        if name == "CallList":
            ws.add_table(0, 0, 2, 1, {"name": "Calls", "total_row": True,
                                      "columns": [{"header": "Owner"}, {"header": "Rank"}]})
    wb.close()
    before = sha(path)
    assert main(["refresh", str(path)]) == 2
    err = capsys.readouterr().err
    assert "the table Calls on sheet CallList has a totals row" in err
    assert "Total Row" in err and "append" not in err and sha(path) == before
