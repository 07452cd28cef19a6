"""Writing a workbook: plan the request, let each part's module make its edits, assemble
the new zip in a temporary file and move it over the destination.

Every zip member that does not change is copied as its compressed bytes; a part that was
regenerated but came out identical is copied too, so that writing twice is writing once.
"""

from __future__ import annotations

import os
import posixpath
import re
import tempfile
import time
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ...errors import BookError, InputError
from .append import Append, append_rows
from .book import Sheet, unsupported_layout
from .changes import Changes
from .output import OutputSheet, write_output
from .package import MAX_PART_BYTES, WORKBOOK_TYPES, Package, fingerprint
from .parts import SheetEntry, edit_shared_parts, new_rid
from .replace import TempFile, check_writable_in_place, prune_backups
from .zipout import ZipOut, clone_info, deflate

#: sheet kinds other than a worksheet, as a Chinese message names them
_KIND_ZH = {"chartsheet": "图表工作表", "dialogsheet": "对话框工作表",
            "macrosheet": "宏表", "sheet": "工作表"}

__all__ = ["WriteReport", "write_book"]

_BAD_SHEET_CHARS = re.compile(r"[\\/?*\[\]:]")


@dataclass
class WriteReport:
    """What :func:`write_book` did to the package.

    ``parts_changed`` lists members whose bytes differ from the source (a regenerated
    sheet that came out identical is copied instead and not listed); ``parts_copied``
    counts members copied unchanged. ``notes`` says in words what was done to shared
    parts (styles added, calcChain entries removed, tables resized, ...).
    """

    path: Path
    parts_changed: list[str] = field(default_factory=list)
    parts_added: list[str] = field(default_factory=list)
    parts_removed: list[str] = field(default_factory=list)
    parts_copied: int = 0
    backup: Path | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _check_sheet_name(name: str) -> None:
    if (not name or len(name) > 31 or _BAD_SHEET_CHARS.search(name)
            or name.startswith("'") or name.endswith("'") or name.casefold() == "history"):
        raise ValueError(f"{name!r} cannot be an Excel sheet name")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def write_book(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    outputs: Sequence[OutputSheet],
    appends: Sequence[Append] = (),
    *,
    expect: tuple[int, int, str] | None = None,
    backups: int = 5,
) -> WriteReport:
    """Write ``outputs`` (and ``appends``) into a copy of ``src`` and move it onto ``dst``.

    Only the parts that must change are rewritten; every other zip member is copied
    verbatim (same name, same order, same compressed bytes). An existing output sheet
    keeps everything except the contents of ``<sheetData>``, its ``<dimension ref>`` and
    its ``<autoFilter ref>``; a missing one is created at the end of the workbook (that
    edits ``workbook.xml``, its relationships and ``[Content_Types].xml`` by inserting
    one element each), with the layout of its ``layout`` sheet when it has one (view,
    columns, print setup, validations, conditional formats, charts and their parts, print
    titles as defined names: see :mod:`.layout`). The charts on an output sheet follow
    its ``chart_rows``. ``styles.xml`` changes only when a default cell format (a number
    format for a column kind, a date format, a bold header) is not there yet. calcChain
    entries of rewritten sheets are removed (the part goes when it becomes empty). An
    Excel Table on an output sheet is resized to the new rows and its column names set
    to the header texts.

    The package is built in a temporary file in ``dst``'s folder
    (``.<name>.<random>.customerbook-tmp``, locked while this run lives; one that a
    killed run left behind is deleted by the next write to ``dst``), flushed and fsynced,
    then moved over ``dst`` with :func:`os.replace`; on any error the temporary file is
    deleted and ``src``/``dst`` are left as they were. When ``expect`` (a
    :func:`fingerprint` of ``src``) is given and ``src`` no longer matches it just before
    the move, :class:`BookError` ``changed_on_disk`` is raised and nothing is written.

    When ``dst`` is ``src`` the current file is first copied to
    ``<folder>/CustomerBook backups/<stem>.<YYYYmmdd-HHMMSS><suffix>`` (``-2``, ``-3`` …
    added before the suffix if that name exists) and only the newest ``backups`` copies
    of that workbook are kept; ``backups=0`` disables this.

    Raises :class:`BookError` (``file_not_found``, ``not_a_workbook``, ``encrypted``,
    ``corrupt``, ``too_large``, ``changed_on_disk``, ``table_has_totals``,
    ``unsupported_extension``); :class:`~xl_addin.errors.InputError` ``missing_sheet``
    for an append to a sheet that does not exist; ``ValueError``/``TypeError`` for
    calls that cannot be right (duplicate or invalid sheet names, unknown kinds, rows
    wider than the table).
    """
    t0 = time.perf_counter()
    src, dst = Path(src), Path(dst)
    if dst.is_symlink():  # a link to the book: refresh the book it points at, keep the link
        dst = dst.resolve()
    outputs, appends = list(outputs), list(appends)
    if backups < 0:
        raise ValueError("backups must be 0 or more")
    if not dst.parent.is_dir():
        raise BookError("file_not_found", path=str(dst.parent))
    in_place = dst.exists() and _same_file(src, dst)
    if in_place:
        check_writable_in_place(dst)
    report = WriteReport(path=dst)
    with Package.open(src) as pkg:
        if expect is not None:
            st = src.stat()
            if (st.st_size, st.st_mtime_ns) != tuple(expect)[:2]:
                raise BookError("changed_on_disk", path=str(src))
        if not in_place and dst.suffix.lower() != src.suffix.lower() and (
                WORKBOOK_TYPES.get(pkg.main_ct) != dst.suffix.lower()):
            raise BookError("unsupported_extension", path=str(dst))
        tmp = TempFile(dst)
        for stale in tmp.stale:
            report.notes.append(f"removed {stale.name}, left by an interrupted run")
        tmp.fill(lambda fh: _build(pkg, fh, dst.parent, outputs, appends, report))

    def unchanged() -> None:
        if expect is not None and fingerprint(src) != tuple(expect):
            raise BookError("changed_on_disk", path=str(src))

    report.backup = tmp.replace(unchanged, src, backups if in_place else 0)
    if report.backup is not None:
        for gone in prune_backups(dst, backups):
            report.notes.append(f"backup pruned: {gone.name}")
    report.seconds = time.perf_counter() - t0
    return report


def _plan(pkg: Package, outputs: list[OutputSheet], appends: list[Append]
          ) -> tuple[list[tuple[OutputSheet, Sheet | None]], dict[str, list[Append]]]:
    """The request checked: each output with its existing sheet (None: new), and the
    appends by sheet."""
    seen: set[str] = set()
    plan: list[tuple[OutputSheet, Sheet | None]] = []
    for o in outputs:
        key = o.name.casefold()
        if key in seen:
            raise ValueError(f"sheet {o.name!r} is written twice")
        seen.add(key)
        sheet = pkg.sheet_by_name(o.name)
        if sheet is None:
            _check_sheet_name(o.name)
        elif sheet.kind != "worksheet" or sheet.part is None:
            raise unsupported_layout(pkg.path, f"sheet {sheet.name} is a {sheet.kind}, "
                                               "not a worksheet",
                                     f"{sheet.name} 是{_KIND_ZH.get(sheet.kind, sheet.kind)}，"
                                     "不是普通工作表")
        plan.append((o, sheet))
    by_sheet: dict[str, list[Append]] = {}
    for ap in appends:
        sheet = pkg.sheet_by_name(ap.sheet)
        if sheet is None:
            raise InputError(ap.sheet, None, None, "missing_sheet", expected=ap.sheet)
        if sheet.kind != "worksheet" or sheet.part is None:
            raise unsupported_layout(pkg.path, f"sheet {sheet.name} is a {sheet.kind}, "
                                               "not a worksheet",
                                     f"{sheet.name} 是{_KIND_ZH.get(sheet.kind, sheet.kind)}，"
                                     "不是普通工作表")
        if sheet.name.casefold() in seen:
            raise ValueError(f"sheet {sheet.name!r} is both rewritten and appended to")
        by_sheet.setdefault(sheet.name, []).append(ap)
    return plan, by_sheet


def _build(pkg: Package, out_fh: IO[bytes], side_dir: Path, outputs: list[OutputSheet],
           appends: list[Append], report: WriteReport) -> None:
    plan, by_sheet = _plan(pkg, outputs, appends)
    with tempfile.TemporaryFile(dir=side_dir) as side:
        ch = Changes.start(pkg, side)
        # -- output sheets; new ones get names, ids and parts --------------------------
        sheet_dir = next((posixpath.dirname(s.part) for s in pkg.sheets
                          if s.part and s.kind == "worksheet"),
                         posixpath.join(posixpath.dirname(pkg.wb_part), "worksheets"))
        used = set(pkg.lower)
        next_id = max((s.sheet_id for s in pkg.sheets), default=0) + 1
        rids = new_rid(pkg.wb_rels)
        new_sheets: list[SheetEntry] = []
        for o, sheet in plan:
            if sheet is not None:
                write_output(ch, o, sheet, None)
                continue
            n = 1
            while posixpath.join(sheet_dir, f"sheet{n}.xml").lower() in used:
                n += 1
            part = posixpath.join(sheet_dir, f"sheet{n}.xml")
            used.add(part.lower())
            index = len(pkg.sheets) + len(new_sheets)
            new_sheets.append((o.name, next_id, next(rids), part))
            next_id += 1
            write_output(ch, o, None, part, index)
            ch.notes.append(f"sheet {o.name} created as {part}")
        # -- appends -------------------------------------------------------------------
        for name, aps in by_sheet.items():
            sheet = pkg.sheet_by_name(name)
            assert sheet is not None and sheet.part is not None
            text = pkg.text(sheet.part, limit=MAX_PART_BYTES)
            for ap in aps:
                text = append_rows(ch, text, ap, sheet)
            ch.changed[sheet.part] = text.encode("utf-8", "surrogateescape")
        # -- shared parts -----------------------------------------------------------------
        for part, text in ch.tables.items():
            ch.changed[part] = text.encode("utf-8", "surrogateescape")
        rewritten = {s.sheet_id for o, s in plan if s is not None}
        edit_shared_parts(ch, rewritten, new_sheets, used, rids)
        _assemble(pkg, out_fh, ch, report)


def _assemble(pkg: Package, out_fh: IO[bytes], ch: Changes, report: WriteReport) -> None:
    """Write the new zip: every source member in order, then the added ones."""
    out = ZipOut(out_fh, pkg.zf.comment if pkg.zf is not None else b"")
    try:
        _assemble_into(pkg, out, ch, report)
    except BaseException:
        out.abort()
        raise
    out.close()
    if out.recompressed:
        report.notes.append(f"{out.recompressed} part(s) were recompressed (raw copy "
                            "unavailable in this Python)")
    report.notes[:0] = ch.notes


def _assemble_into(pkg: Package, out: ZipOut, ch: Changes, report: WriteReport) -> None:
    with open(pkg.path, "rb") as src:
        for info in pkg.infos:
            name = info.filename
            if name in ch.removed:
                report.parts_removed.append(name)
                continue
            new = ch.changed.get(name)
            regen = ch.sheets.get(name)
            if regen is not None:
                if (regen.crc, regen.size) == (info.CRC, info.file_size):
                    out.copy_member(src, info, pkg.path)
                    report.parts_copied += 1
                    report.notes.append(f"{name}: regenerated identical; original kept")
                else:
                    out.put_blob(clone_info(info), regen)
                    report.parts_changed.append(name)
                continue
            if new is not None:
                data = new if isinstance(new, bytes) else None
                if data is not None and zlib.crc32(data) == info.CRC and len(data) == (
                        info.file_size) and data == pkg.read(name, limit=MAX_PART_BYTES):
                    out.copy_member(src, info, pkg.path)
                    report.parts_copied += 1
                    continue
                out.put_blob(clone_info(info), deflate(data) if data is not None else new)
                report.parts_changed.append(name)
                continue
            out.copy_member(src, info, pkg.path)
            report.parts_copied += 1
        now = time.localtime()[:6]
        for name, blob in ch.added:
            zi = zipfile.ZipInfo(name, now)
            zi.external_attr = 0o644 << 16
            out.put_blob(zi, deflate(blob) if isinstance(blob, bytes) else blob)
            report.parts_added.append(name)
