"""Opening a package: what is not a workbook, what is damaged, what is too large,
and what inspect_book and fingerprint report."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from decorated import OLE_MAGIC, build_book

from xl_addin.errors import BookError
from xl_addin.excel.ooxml import TableInfo, fingerprint, inspect_book
from xl_addin.excel.ooxml.package import read_bounded


# --------------------------------------------------------------------------- bad files
def _truncated(folder: Path) -> Path:
    good = build_book(folder, "good.xlsx")
    bad = folder / "cut.xlsx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return bad


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda d: d / "missing.xlsx", "file_not_found"),
        (lambda d: (d / "text.xlsx").write_text("just text") and d / "text.xlsx",
         "not_a_workbook"),
        (lambda d: (d / "empty.xlsx").write_bytes(b"") is not None and d / "empty.xlsx",
         "not_a_workbook"),
        (_truncated, "corrupt"),
        (lambda d: (d / "locked.xlsx").write_bytes(OLE_MAGIC + bytes(4088)) and d / "locked.xlsx",
         "encrypted"),
        (lambda d: d, "not_a_workbook"),
    ],
    ids=["missing", "text", "empty", "truncated", "ole-encrypted", "folder"],
)
def test_inspect_book_errors(tmp_path: Path, make, code: str) -> None:
    path = make(tmp_path)
    with pytest.raises(BookError) as err:
        inspect_book(path)
    assert err.value.code == code
    assert str(path) in str(err.value)


def test_not_a_workbook_zip_and_zip_bomb(tmp_path: Path) -> None:
    docx = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(BookError) as err:
        inspect_book(docx)
    assert err.value.code == "not_a_workbook"

    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(10_001):
            z.writestr(f"x/{i}", b"")
    with pytest.raises(BookError, match="10,001 parts") as err:
        inspect_book(many)
    assert err.value.code == "too_large"


def test_inspect_book(book: Path) -> None:
    info = inspect_book(book)
    assert info.sheets == ("Customers", "Contacts", "Analysis", "Dashboard")
    assert info.sheet_parts["Analysis"] == "xl/worksheets/sheet3.xml"
    assert info.macro_enabled and not info.date1904
    t = {t.name: t for t in info.tables}
    assert t["Contacts"] == TableInfo("Contacts", "Contacts", "A1:D3", 1, 0,
                                            "xl/tables/table2.xml")
    assert t["Customers"].sheet == "Customers"


def test_fingerprint(book: Path) -> None:
    size, mtime_ns, sha = fingerprint(book)
    assert size == book.stat().st_size and mtime_ns == book.stat().st_mtime_ns
    assert len(sha) == 64
    with pytest.raises(BookError) as err:
        fingerprint(book.parent / "nope.xlsm")
    assert err.value.code == "file_not_found"


# --------------------------------------------------------------------------- zip bombs
def test_a_part_packed_like_a_bomb_is_refused_by_its_declared_sizes(tmp_path: Path) -> None:
    from support.broken import zip_bomb

    good = build_book(tmp_path, "good.xlsx")
    bomb = zip_bomb(good, tmp_path / "bomb.xlsx", "xl/worksheets/sheet3.xml", 32)
    with pytest.raises(BookError, match="compression ratio above 200:1") as err:
        inspect_book(bomb)
    assert err.value.code == "too_large"


def test_a_part_inflating_past_its_declared_size_is_refused_while_read(tmp_path: Path) -> None:
    from support.broken import zip_bomb

    good = build_book(tmp_path, "good.xlsx")
    part = "xl/worksheets/sheet3.xml"
    with zipfile.ZipFile(good) as zf:
        xml = zf.read(part)
        assert read_bounded(zf, part) == xml  # an honest part: all of it, nothing more
    liar = zip_bomb(good, tmp_path / "liar.xlsx", part, 64, declare=len(xml))
    assert inspect_book(liar).sheets  # the directory alone looks harmless
    with zipfile.ZipFile(liar) as zf, pytest.raises(zipfile.BadZipFile):
        read_bounded(zf, part, chunk=1 << 16)
