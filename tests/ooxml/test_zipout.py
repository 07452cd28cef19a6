"""The zip writer: raw member copy, members deflated in the worker thread exactly as
zipfile's own writer would, and the same content when raw copy is unavailable."""

from __future__ import annotations

import io
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from decorated import members, outputs
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_addin.excel.ooxml import write_book, zipout
from xl_addin.excel.ooxml.zipout import SideWriter, crc32_combine, deflate_piece

STAMP = (2026, 3, 5, 0, 0, 0)
PARTS = {"a.xml": b"<a/>" * 10_000, "empty.xml": b"", "b/c.xml": bytes(range(256)) * 999}


def _info(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, STAMP)
    zi.external_attr = 0o600 << 16
    return zi


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for k in range(0, len(data), size):
        yield data[k:k + size]


def test_streamed_members_are_what_zipfile_would_write(tmp_path: Path) -> None:
    ours, theirs = io.BytesIO(), io.BytesIO()
    out = zipout.ZipOut(ours)
    for name, data in PARTS.items():
        if name == "empty.xml":  # a ready blob between streamed members waits its turn
            out.put_blob(_info(name), zipout.deflate(data, level=6))
        else:
            out.write(_info(name), _chunks(data, 7_000), level=6)
    out.close()
    with zipfile.ZipFile(theirs, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in PARTS.items():
            zi = _info(name)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data, compresslevel=6)
    assert ours.getvalue() == theirs.getvalue()
    with zipfile.ZipFile(ours) as zf:
        assert zf.testzip() is None
        assert {n: zf.read(n) for n in zf.namelist()} == PARTS


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

    out = zipout.ZipOut(io.BytesIO())
    with pytest.raises(ValueError, match="no more rows"):
        out.write(_info("x.xml"), broken())
    out.abort()
    out = zipout.ZipOut(io.BytesIO())
    out.write(_info("y.xml"), ["text, not bytes"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        out.close()
    out.abort()
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


# -- pieces deflated elsewhere, spliced into a stream -------------------------------------
@settings(max_examples=200, deadline=None)
@given(a=st.binary(max_size=3000), b=st.binary(max_size=3000))
def test_crc32_combine_is_zlibs(a, b):
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.tuples(st.booleans(), st.lists(st.binary(max_size=5000), max_size=4)),
                      max_size=6),
       level=st.sampled_from([1, 3, 9]))
def test_a_stream_with_pieces_spliced_in_inflates_to_the_whole(parts, level):
    """Chunks deflated here and pieces deflated elsewhere, in any order: the member is
    the concatenation, with the CRC and size of the whole (what a sheet rendered half in
    a forked child is)."""
    whole = b"".join(b"".join(chunks) for _, chunks in parts)
    stream: list = []
    for apart, chunks in parts:
        if apart:
            piece = deflate_piece(chunks, level)
            stream.append(lambda piece=piece: piece)
        else:
            stream.extend(chunks)
    with tempfile.TemporaryFile() as fh:
        blob = SideWriter(fh, level).write(stream)
        fh.seek(blob.offset)
        data = fh.read(blob.csize)
    assert (blob.crc, blob.size) == (zlib.crc32(whole), len(whole))
    assert zlib.decompress(data, -15) == whole
