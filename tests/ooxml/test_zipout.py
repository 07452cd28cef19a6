"""The zip writer: raw member copy, parts deflated in the worker thread, and the same
content when raw copy is unavailable."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from decorated import members, outputs

from xl_addin.excel.ooxml import write_book, zipout

STAMP = (2026, 3, 5, 0, 0, 0)
PARTS = {"a.xml": b"<a/>" * 10_000}


def _info(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, STAMP)
    zi.external_attr = 0o600 << 16
    return zi


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for k in range(0, len(data), size):
        yield data[k:k + size]


def test_blobs_and_raw_copies_keep_the_bytes(tmp_path: Path) -> None:
    data = PARTS["a.xml"]
    blob = zipout.deflate(data)
    assert (blob.crc, blob.size) == (zlib.crc32(data), len(data))
    assert zlib.decompress(blob.data or b"", -15) == data
    first = io.BytesIO()
    with open(tmp_path / "side", "w+b") as side:
        streamed = zipout.SideWriter(side).write(_chunks(data, 1_000))
        side.seek(streamed.offset)
        assert zlib.decompress(side.read(streamed.csize), -15) == data
        out = zipout.ZipOut(first)
        out.put_blob(_info("a.xml"), blob)
        out.put_blob(_info("s.xml"), streamed)
        out.close()
    copy = io.BytesIO()
    out = zipout.ZipOut(copy)
    with zipfile.ZipFile(first) as zf:
        for info in zf.infolist():
            out.copy_member(first, info, tmp_path / "first.zip")
    out.close()
    assert copy.getvalue() == first.getvalue()


def test_a_failing_stream_raises_in_the_caller() -> None:
    def broken() -> Iterator[bytes]:
        yield b"<x>"
        raise ValueError("no more rows")

    with pytest.raises(ValueError, match="no more rows"):
        zipout.SideWriter(io.BytesIO()).write(broken())
    with pytest.raises(TypeError):
        zipout.SideWriter(io.BytesIO()).write(iter([b"<x>", "text"]))  # type: ignore[list-item]


def test_raw_copy_fallback_gives_the_same_content(book: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = tmp_path / "fast.xlsm", tmp_path / "slow.xlsm"
    write_book(book, fast, outputs())
    real_init = zipout.ZipOut.__init__

    def no_raw(self, *a, **k):  # type: ignore[no-untyped-def]
        real_init(self, *a, **k)
        self.raw_ok = False

    monkeypatch.setattr(zipout.ZipOut, "__init__", no_raw)
    report = write_book(book, slow, outputs())
    assert any("recompressed" in n for n in report.notes)
    assert members(fast) == members(slow)
