"""Writing zip packages: members copied as their compressed bytes, members deflated
while the next chunks are made, and a central directory at the end.

:class:`ZipOut` is the one zip writer. It copies a member of another zip without
inflating it (:meth:`ZipOut.copy_member`), writes ready-deflated data (:meth:`put_blob`)
and deflates a stream of chunks straight into a member in a second thread
(:meth:`ZipOut.write`). :class:`SideWriter` deflates generated parts into a side file
first, for a writer that decides later whether a part is written or its original kept.
zlib releases the GIL, so deflating in the worker thread overlaps with the caller
rendering the next chunk: the two cores of a small machine both work.
"""

from __future__ import annotations

import io
import os
import queue
import struct
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from .book import corrupt
from .package import CHUNK

__all__ = ["LEVEL", "Blob", "Piece", "SideWriter", "ZipOut", "clone_info", "crc32_combine",
           "deflate", "deflate_piece"]

LEVEL = 3  #: deflate level for parts an edit writes: ~10% larger than 6, half the time


@dataclass
class Blob:
    """Deflated member data: in memory (``data``) or in a file (``fh`` at ``offset``)."""

    crc: int
    size: int
    csize: int
    data: bytes | None = None
    fh: IO[bytes] | None = None
    offset: int = 0


def deflate(data: bytes, level: int = LEVEL) -> Blob:
    """``data`` deflated in memory."""
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    c = co.compress(data) + co.flush()
    return Blob(zlib.crc32(data), len(data), len(c), data=c)


@dataclass
class Piece:
    """Data deflated elsewhere (another process), to be spliced into a stream: a raw
    deflate stream of its own, ended by a sync flush (byte-aligned, no final block)."""

    crc: int
    size: int
    data: bytes


def deflate_piece(chunks: Iterable[bytes], level: int = LEVEL) -> Piece:
    """``chunks`` deflated as a :class:`Piece`."""
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    crc = size = 0
    out: list[bytes] = []
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        out.append(co.compress(chunk))
    out.append(co.flush(zlib.Z_SYNC_FLUSH))
    return Piece(crc, size, b"".join(out))


def _gf2_times(mat: list[int], vec: int) -> int:
    total, i = 0, 0
    while vec:
        if vec & 1:
            total ^= mat[i]
        vec >>= 1
        i += 1
    return total


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``a + b`` from ``crc32(a)``, ``crc32(b)`` and ``len(b)`` (zlib's
    ``crc32_combine``, which Python's zlib does not offer): the effect of ``len2`` zero
    bytes on ``crc1`` as powers of a GF(2) matrix."""
    if len2 <= 0:
        return crc1
    op = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    for _ in range(3):  # eight: one zero byte
        op = _gf2_square(op)
    while len2:  # then 2, 4, 8 … zero bytes, for each bit of len2
        if len2 & 1:
            crc1 = _gf2_times(op, crc1)
        len2 >>= 1
        if len2:
            op = _gf2_square(op)
    return crc1 ^ crc2


class _Stream:
    """One raw deflate stream written onto ``fh``, counting CRC and sizes as it goes;
    :meth:`splice` puts a :class:`Piece` made elsewhere in the middle of it."""

    def __init__(self, fh: IO[bytes], level: int) -> None:
        self.fh = fh
        self.level = level
        self._co = zlib.compressobj(level, zlib.DEFLATED, -15)
        self.crc = self.size = 0
        self.offset = fh.tell()

    def feed(self, chunk: bytes) -> None:
        self.crc = zlib.crc32(chunk, self.crc)
        self.size += len(chunk)
        self.fh.write(self._co.compress(chunk))

    def splice(self, piece: Piece) -> None:
        # what was fed so far ends byte-aligned; what follows is a new stream, which never
        # refers back past its own start
        self.fh.write(self._co.flush(zlib.Z_SYNC_FLUSH))
        self.fh.write(piece.data)
        self.crc = crc32_combine(self.crc, piece.crc, piece.size)
        self.size += piece.size
        self._co = zlib.compressobj(self.level, zlib.DEFLATED, -15)

    def end(self) -> Blob:
        self.fh.write(self._co.flush())
        return Blob(self.crc, self.size, self.fh.tell() - self.offset, fh=self.fh,
                    offset=self.offset)


class _Worker:
    """A thread running queued calls in order; the first error stops the rest and is
    raised in the caller (on its next :meth:`submit`, or by :meth:`check`)."""

    def __init__(self, name: str, depth: int) -> None:
        self._q: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._q.get()) is not None:
            if self.error is None:  # after an error: drain, so the producer never blocks
                try:
                    job()
                except BaseException as exc:  # re-raised in the calling thread
                    self.error = exc

    def submit(self, job: Callable[[], object]) -> None:
        """Queue ``job`` (waits while the queue is full)."""
        self.check()
        self._q.put(job)

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Run what is queued, then end the thread (errors stay for :meth:`check`)."""
        self._q.put(None)
        self._thread.join()


class SideWriter:
    """Deflates generated parts into a (temporary) side file, remembering CRC and sizes."""

    def __init__(self, fh: IO[bytes], level: int = LEVEL) -> None:
        self.fh = fh
        self.level = level

    def write(self, chunks: Iterable[bytes | Callable[[], Piece]]) -> Blob:
        """Deflate ``chunks`` in a worker thread while the caller's generator builds the
        next ones. A callable among them gives a :class:`Piece` (deflated elsewhere
        meanwhile) to splice in at that point."""
        self.fh.seek(0, os.SEEK_END)
        stream = _Stream(self.fh, self.level)
        worker = _Worker("ooxml-deflate", depth=8)
        done: list[Blob] = []
        try:
            for chunk in chunks:
                if callable(chunk):
                    piece = chunk()
                    worker.submit(partial(stream.splice, piece))
                    continue
                worker.submit(partial(stream.feed, chunk))
            worker.submit(lambda: done.append(stream.end()))
        finally:
            worker.stop()
        worker.check()
        return done[0]


def _strip_zip64_extra(extra: bytes) -> bytes:
    out = []
    i = 0
    while i + 4 <= len(extra):
        hid, n = struct.unpack("<HH", extra[i:i + 4])
        if hid != 1:
            out.append(extra[i:i + 4 + n])
        i += 4 + n
    return b"".join(out)


def clone_info(src: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A new entry for a member of another zip: same name, time, attributes and options."""
    zi = zipfile.ZipInfo(src.filename, src.date_time)
    zi.compress_type = src.compress_type
    zi.comment = src.comment
    zi.extra = _strip_zip64_extra(src.extra)
    zi.create_system = src.create_system
    zi.create_version = src.create_version
    zi.extract_version = src.extract_version
    zi.flag_bits = src.flag_bits & 0x06  # keep the deflate option bits only
    zi.internal_attr = src.internal_attr
    zi.external_attr = src.external_attr
    return zi


def _data_offset(fh: IO[bytes], info: zipfile.ZipInfo, path: Path) -> int:
    """Where a member's compressed bytes start (after its local header)."""
    fh.seek(info.header_offset)
    h = fh.read(30)
    if len(h) != 30 or h[:4] != b"PK\x03\x04":
        raise corrupt(path, f"bad local header for {info.filename}",
                      f"{info.filename} 的压缩头已损坏")
    n, m = struct.unpack("<HH", h[26:30])
    return info.header_offset + 30 + n + m


class ZipOut:
    """Writes members as ready-made compressed bytes (no inflate/deflate on the way).

    Uses ZipFile for the central directory. Raw writing relies on ZipFile's writer
    attributes (stable since Python 3.6); if they are absent, members are inflated and
    written through ``ZipFile.open(..., "w")`` instead (slower, same content).
    """

    def __init__(self, fh: IO[bytes], comment: bytes = b"") -> None:
        self.zf = zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.zf.comment = comment
        self.raw_ok = all(hasattr(self.zf, a) for a in
                          ("fp", "start_dir", "filelist", "NameToInfo", "_didModify"))
        self.recompressed = 0
        self._worker: _Worker | None = None

    def put(self, zi: zipfile.ZipInfo, src: IO[bytes], offset: int, crc: int, size: int,
            csize: int) -> None:
        """Member ``zi``: ``csize`` compressed bytes of ``src`` from ``offset``."""
        self._settle()
        zi.CRC, zi.file_size, zi.compress_size = crc, size, csize
        if self.raw_ok:
            fp = self.zf.fp
            assert fp is not None
            zip64 = size > zipfile.ZIP64_LIMIT or csize > zipfile.ZIP64_LIMIT
            fp.seek(self.zf.start_dir)
            zi.header_offset = fp.tell()
            fp.write(zi.FileHeader(zip64))
            src.seek(offset)
            left = csize
            while left:
                chunk = src.read(min(left, CHUNK))
                if not chunk:
                    raise EOFError(f"{zi.filename}: compressed data ends early")
                fp.write(chunk)
                left -= len(chunk)
            self._add(zi, fp.tell())
            return
        self.recompressed += 1
        src.seek(offset)
        with self.zf.open(zi, "w", force_zip64=size > zipfile.ZIP64_LIMIT * 0.9) as w:
            if zi.compress_type == zipfile.ZIP_STORED:
                left = csize
                while left:
                    chunk = src.read(min(left, CHUNK))
                    w.write(chunk)
                    left -= len(chunk)
            else:
                d = zlib.decompressobj(-15)
                left = csize
                while left:
                    chunk = src.read(min(left, CHUNK))
                    left -= len(chunk)
                    w.write(d.decompress(chunk))
                w.write(d.flush())

    def put_blob(self, zi: zipfile.ZipInfo, blob: Blob) -> None:
        """Member ``zi`` holding deflated ``blob``."""
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.flag_bits = 0
        if blob.data is not None:
            self.put(zi, io.BytesIO(blob.data), 0, blob.crc, blob.size, blob.csize)
        else:
            assert blob.fh is not None
            self.put(zi, blob.fh, blob.offset, blob.crc, blob.size, blob.csize)

    def copy_member(self, fh: IO[bytes], info: zipfile.ZipInfo, path: Path) -> None:
        """Copy member ``info`` of the zip open as ``fh`` unchanged: its compressed bytes,
        verbatim."""
        offset = _data_offset(fh, info, path)
        self.put(clone_info(info), fh, offset, info.CRC, info.file_size, info.compress_size)

    def write(self, zi: zipfile.ZipInfo, chunks: Iterable[bytes], level: int = LEVEL) -> None:
        """Member ``zi`` holding ``chunks``, deflated at ``level`` straight into the zip by
        the worker thread; returns once the last chunk is queued (members written this way
        follow each other without a pause; :meth:`close` waits for the last one)."""
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.flag_bits = 0
        if not self.raw_ok:
            with tempfile.TemporaryFile() as side:
                self.put_blob(zi, SideWriter(side, level).write(chunks))
            return
        if self._worker is None:
            self._worker = _Worker("zip-deflate", depth=4)
        member = _Member(self, zi, level)
        self._worker.submit(member.begin)
        for chunk in chunks:
            self._worker.submit(partial(member.feed, chunk))
        self._worker.submit(member.end)

    def _add(self, zi: zipfile.ZipInfo, end: int) -> None:
        """List a member written up to ``end`` in the central directory."""
        zf = self.zf
        zf.start_dir = end
        zf.filelist.append(zi)
        zf.NameToInfo[zi.filename] = zi
        zf._didModify = True

    def _settle(self) -> None:
        """Wait for the members the worker is writing (and raise its error)."""
        if self._worker is not None:
            worker, self._worker = self._worker, None
            worker.stop()
            worker.check()

    def close(self) -> None:
        """Wait for the worker, then write the central directory."""
        self._settle()
        self.zf.close()

    def abort(self) -> None:
        """Forget the half-written zip without writing a central directory."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        try:
            self.zf._didModify = False
            self.zf._writing = False
            self.zf.close()
        except Exception:  # the file is being deleted anyway
            pass


class _Member:
    """A member deflated straight into the zip the way ``ZipFile.open(zi, "w")`` writes
    one to a seekable file: a local header, the data, the header again with CRC and sizes.
    Its calls run in the worker thread, in order."""

    def __init__(self, out: ZipOut, zi: zipfile.ZipInfo, level: int) -> None:
        self.out, self.zi, self.level = out, zi, level
        self.stream: _Stream | None = None

    def begin(self) -> None:
        zf, zi = self.out.zf, self.zi
        assert zf.fp is not None
        zf.fp.seek(zf.start_dir)
        zi.header_offset = zf.fp.tell()
        zi.CRC = zi.file_size = zi.compress_size = 0
        zf.fp.write(zi.FileHeader(False))
        self.stream = _Stream(zf.fp, self.level)

    def feed(self, chunk: bytes) -> None:
        assert self.stream is not None
        self.stream.feed(chunk)

    def end(self) -> None:
        assert self.stream is not None
        blob, zi, fp = self.stream.end(), self.zi, self.stream.fh
        if blob.size > zipfile.ZIP64_LIMIT or blob.csize > zipfile.ZIP64_LIMIT:
            raise RuntimeError(f"{zi.filename}: over 4 GiB, too large to write in one pass")
        zi.CRC, zi.file_size, zi.compress_size = blob.crc, blob.size, blob.csize
        end = fp.tell()
        fp.seek(zi.header_offset)
        fp.write(zi.FileHeader(False))
        fp.seek(end)
        self.out._add(zi, end)
