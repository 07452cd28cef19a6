"""Replacing a workbook file safely: a locked temporary file next to it, fsync, one
atomic :func:`os.replace`, and dated backups of what it replaces.

A run that dies mid-write (power cut, kill -9) leaves at most a temporary file
``.<name>.<random>.customerbook-tmp``; it holds a lock while its run lives, so the next
run can tell a leftover from a file another run is still writing, and deletes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ...errors import BookError, Reason
from .package import CHUNK

__all__ = ["TempFile", "backup", "book_lock", "check_writable_in_place", "holder_of", "prune_backups"]

_TMP_SUFFIX = ".customerbook-tmp"  # documented: .<file name>.<random>.customerbook-tmp
_STAMP = "%Y%m%d-%H%M%S"
_BACKUP_FOLDER = "CustomerBook backups"  # made next to a workbook written in place


def _temp_file(folder: Path, prefix: str) -> tuple[int, Path]:
    """A new ``<prefix><random>.customerbook-tmp`` in ``folder``, open and locked while
    this process lives (so that another run can tell it from a leftover)."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=_TMP_SUFFIX, dir=folder)
    try:
        import fcntl
    except ImportError:  # Windows: an open file cannot be deleted, which is the lock
        return fd, Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass
    return fd, Path(name)


def _remove_stale_temps(folder: Path, prefix: str) -> list[Path]:
    """Delete ``<prefix>*.customerbook-tmp`` files that no running process holds: what a
    run killed mid-write (power cut, kill -9) left behind. Returns what was removed."""
    try:
        import fcntl
    except ImportError:
        fcntl = None  # type: ignore[assignment]
    gone = []
    try:
        found = [p for p in folder.iterdir()
                 if p.name.startswith(prefix) and p.name.endswith(_TMP_SUFFIX)]
    except OSError:
        return gone
    for p in found:
        try:
            if fcntl is not None:
                fd = os.open(p, os.O_RDONLY)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: a live writer
                except OSError:
                    continue
                finally:
                    os.close(fd)
            p.unlink()
            gone.append(p)
        except OSError:  # in use (Windows), gone meanwhile, or not ours to delete
            continue
    return gone


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class TempFile:
    """The temporary file a new version of ``dst`` is built in, next to ``dst``.

    Creating it deletes what interrupted runs left for ``dst`` (:attr:`stale`). Build
    into it with :meth:`fill`, then :meth:`replace` ``dst`` by it; on any error in
    either it is deleted, and ``dst`` is left as it was.
    """

    def __init__(self, dst: Path) -> None:
        self.dst = dst
        self.stale = _remove_stale_temps(dst.parent, f".{dst.name}.")
        self._fd, self.path = _temp_file(dst.parent, f".{dst.name}.")
        # POSIX: a second descriptor keeps the temp file's lock until it is moved
        self._hold = os.dup(self._fd) if os.name == "posix" else None

    def fill(self, build: Callable[[IO[bytes]], None]) -> None:
        """Write the file with ``build``, flush it and fsync it."""
        try:
            with os.fdopen(self._fd, "wb") as fh:
                build(fh)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            self.path.unlink(missing_ok=True)
            self._release()
            raise

    def replace(self, check: Callable[[], None], src: Path, backups: int = 0) -> Path | None:
        """Move the file onto ``dst`` atomically: after ``check()`` (which raises to stop
        it), with the permissions of ``dst`` (of ``src`` when there is no ``dst`` yet), and
        first a backup of ``dst`` when ``backups`` > 0. Returns the backup made, if any."""
        made = None
        try:
            check()
            try:
                shutil.copymode(self.dst if self.dst.exists() else src, self.path)
            except OSError:
                pass
            if backups > 0:
                made = backup(self.dst)
            os.replace(self.path, self.dst)
        except BaseException:
            self.path.unlink(missing_ok=True)
            raise
        finally:
            self._release()
        _fsync_dir(self.dst.parent)
        return made

    def _release(self) -> None:
        if self._hold is not None:
            os.close(self._hold)
            self._hold = None


def backup(path: Path) -> Path:
    """Copy ``path`` into the backups folder: to a temporary name first, so that a
    backup under its final name is always complete."""
    folder = path.parent / _BACKUP_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(folder, f".{path.stem}.")
    stamp = dt.datetime.now().strftime(_STAMP)
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    k = 2
    while target.exists():
        target = folder / f"{path.stem}.{stamp}-{k}{path.suffix}"
        k += 1
    fd, tmp = _temp_file(folder, f".{path.stem}.")
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(path, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def prune_backups(path: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``path``; returns what was deleted."""
    folder = path.parent / _BACKUP_FOLDER
    rx = re.compile(re.escape(path.stem) + r"\.(\d{8}-\d{6})(?:-(\d+))?" + re.escape(path.suffix)
                    + "$")
    found = []
    for f in folder.iterdir() if folder.is_dir() else []:
        m = rx.match(f.name)
        if m and f.is_file():
            found.append(((m[1], int(m[2] or 1)), f))
    found.sort()
    gone = [f for _k, f in found[:max(len(found) - keep, 0)]]
    for f in gone:
        f.unlink(missing_ok=True)
    return gone


# --------------------------------------------------------------------------- who holds a book
def holder_of(book: Path) -> str | None:
    """Who has ``book`` open in a spreadsheet program, by the lock file that program keeps
    beside it: Excel and WPS ``~$<name>`` (the user name inside), LibreOffice
    ``.~lock.<name>#`` (its first field). ``None`` when there is no such file; ``""`` when
    there is one but it names nobody."""
    folder, name = book.parent, book.name
    for lock in (folder / f"~${name}", folder / f"~${name[2:]}", folder / f".~lock.{name}#"):
        try:
            data = lock.read_bytes()[:4096]
        except OSError:
            continue
        if lock.name.startswith(".~lock."):
            first = data.decode("utf-8", "replace").split(",", 1)[0].strip()
            return first
        return _owner_name(data)
    return None


def _owner_name(data: bytes) -> str:
    """The user name in an Excel/WPS owner file: a length byte and the name in the
    system's code page, and the name again in UTF-16 from byte 54."""
    if len(data) > 56:
        n = data[54]
        text = data[56:56 + 2 * n].decode("utf-16-le", "ignore").strip("\x00 ")
        if text and text.isprintable():
            return text
    n = data[0] if data else 0
    for codec in ("utf-8", "gb18030", "cp1252"):
        try:
            text = data[1:1 + n].decode(codec).strip()
        except UnicodeDecodeError:
            continue
        if text.isprintable():
            return text
    return ""


def check_writable_in_place(book: Path) -> None:
    """Refuse to replace ``book`` in place when it is marked read-only, or when a
    spreadsheet program has it open (its next save would overwrite ours, or ours
    theirs). Writing elsewhere (``--out``) is not refused."""
    try:
        mode = book.stat().st_mode
    except OSError:
        return
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise BookError(Reason.READ_ONLY, path=str(book))
    who = holder_of(book)
    if who is not None:
        raise BookError(Reason.OPEN_ELSEWHERE if who else Reason.OPEN_ELSEWHERE_UNKNOWN,
                        path=str(book), who=who)


_LOCK_SUFFIX = ".customerbook-lock"


@contextlib.contextmanager
def book_lock(book: Path, wait: float = 10.0) -> Iterator[None]:
    """Hold CustomerBook's own lock on ``book`` (a ``.<name>.customerbook-lock`` file
    beside it, removed afterwards) for the whole of a refresh: a second refresh of the
    same book waits up to ``wait`` seconds, then refuses (:class:`BookError` ``busy``)."""
    lock = book.parent / f".{book.name}{_LOCK_SUFFIX}"
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:  # a folder we may not write to: the write itself will say so
            yield
            return
        if _try_lock(fd) and _same_inode(fd, lock):
            break  # ours (and still the file of that name: not one removed meanwhile)
        os.close(fd)
        if time.monotonic() > deadline:
            raise BookError(Reason.BUSY, path=str(book))
        time.sleep(0.1)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)  # closing releases the lock


def _same_inode(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == path.stat().st_ino
    except OSError:
        return False


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
