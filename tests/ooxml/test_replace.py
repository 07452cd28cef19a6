"""Atomic replace and backups: a failure anywhere leaves every file as it was, a change
on disk meanwhile is noticed, in-place writes keep pruned dated backups."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from decorated import outputs

from xl_addin.errors import BookError
from xl_addin.excel.ooxml import OutputSheet, fingerprint, replace, write_book, writer, zipout


# --------------------------------------------------------------------------- atomicity
def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_failure_midway_leaves_everything_untouched(book: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    original = book.read_bytes()
    listing = _listing(tmp_path)
    real_copy = zipout.ZipOut.copy_member
    calls = []

    def failing_copy(*args: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            tmps = [p for p in tmp_path.iterdir() if p.name.endswith(".customerbook-tmp")]
            assert len(tmps) == 1 and tmps[0].stat().st_size > 0  # the temp file exists
            raise OSError("disk full")
        real_copy(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(zipout.ZipOut, "copy_member", failing_copy)
    with pytest.raises(OSError, match="disk full"):
        write_book(book, book, outputs())
    assert book.read_bytes() == original
    assert _listing(tmp_path) == listing  # no temp file, no backup folder


def test_failure_at_replace_leaves_everything_untouched(book: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    original = book.read_bytes()
    out = tmp_path / "out.xlsm"
    out.write_bytes(b"previous output")

    def boom(*_a: object) -> None:
        raise PermissionError("the file is open in Excel")

    monkeypatch.setattr(replace.os, "replace", boom)
    with pytest.raises(PermissionError):
        write_book(book, out, outputs())
    assert book.read_bytes() == original and out.read_bytes() == b"previous output"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".customerbook-tmp")]


def test_changed_on_disk_before_the_write(book: Path) -> None:
    fp = fingerprint(book)
    st = book.stat()
    os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # "touch"
    data = book.read_bytes()
    with pytest.raises(BookError) as err:
        write_book(book, book, outputs(), expect=fp)
    assert err.value.code == "changed_on_disk"
    assert book.read_bytes() == data
    assert not (book.parent / "CustomerBook backups").exists()


def test_changed_on_disk_during_the_write(book: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone saves (same size, same mtime, new bytes) while the package is built."""
    fp = fingerprint(book)
    real = writer._assemble

    def saved_meanwhile(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        data = bytearray(book.read_bytes())
        data[10] ^= 0x01  # the first member's modification time: still a valid zip
        st = book.stat()
        book.write_bytes(bytes(data))
        os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns))

    monkeypatch.setattr(writer, "_assemble", saved_meanwhile)
    listing = _listing(tmp_path)
    with pytest.raises(BookError) as err:
        write_book(book, book, outputs(), expect=fp)
    assert err.value.code == "changed_on_disk"
    assert fingerprint(book)[2] != fp[2]  # their save survives
    assert _listing(tmp_path) == listing


def test_expect_matching_writes(book: Path) -> None:
    report = write_book(book, book, outputs(), expect=fingerprint(book))
    assert "xl/worksheets/sheet3.xml" in report.parts_changed


# --------------------------------------------------------------------------- backups
def test_in_place_writes_keep_pruned_backups(book: Path) -> None:
    folder = book.parent / "CustomerBook backups"
    previous = []
    reports = []
    for k in range(3):
        previous.append(book.read_bytes())
        rows = [["n"], [k]]
        reports.append(write_book(book, book, [OutputSheet("CallList", rows)], backups=2))
    kept = sorted(folder.iterdir())
    assert len(kept) == 2
    pattern = re.compile(r"book\.\d{8}-\d{6}(-\d+)?\.xlsm$")
    assert all(pattern.match(p.name) for p in kept)
    assert all(r.backup is not None and r.backup.parent == folder for r in reports)
    assert reports[-1].backup is not None and reports[-1].backup.read_bytes() == previous[-1]
    assert {p.read_bytes() for p in kept} == set(previous[1:])
    # other workbooks' backups are never pruned
    (folder / "other.20200101-000000.xlsm").write_bytes(b"x")
    write_book(book, book, [OutputSheet("CallList", [["n"], [9]])], backups=1)
    assert (folder / "other.20200101-000000.xlsm").exists()
    assert len([p for p in folder.iterdir() if p.name.startswith("book.")]) == 1


def test_backups_zero_and_other_destination(book: Path, tmp_path: Path) -> None:
    assert write_book(book, book, outputs(), backups=0).backup is None
    assert write_book(book, tmp_path / "copy.xlsm", outputs()).backup is None
    assert not (tmp_path / "CustomerBook backups").exists()
