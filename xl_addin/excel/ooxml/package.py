"""Opening a workbook package: every guard against damaged and hostile files, and the
structure (sheets, their parts, Tables, date system) read without reading any sheet.

The guards come in two halves. :meth:`Package.open` refuses a package by what its zip
directory declares: too many parts, a part or a total too large to unpack, a part packed
tighter than any real sheet (a zip bomb), encryption, duplicate names. A part can still
lie about its size, so :func:`read_bounded` reads a part in blocks and refuses it as soon
as it inflates past its declared size, before it fills memory.

Errors with the file raise :class:`~xl_addin.errors.BookError`.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ...errors import BookError
from .book import BookInfo, Sheet, Table, TableInfo, corrupt, too_large
from .xmltext import local, ns, truthy

__all__ = ["CHUNK", "MAX_PART_BYTES", "NS_DOC_REL", "NS_MAIN", "WORKBOOK_TYPES", "Package",
           "fingerprint", "inspect_book", "parse", "read_bounded"]

_MAX_PARTS = 10_000
MAX_PART_BYTES = 2 * 1024**3  #: the most one part may unpack to
_MAX_TOTAL_BYTES = 6 * 1024**3
_MAX_TREE_BYTES = 256 * 1024**2  # largest part we agree to parse as a tree
# A part unpacking to more than _RATIO_FROM bytes must not be packed tighter than
# _MAX_RATIO:1. Real sheet XML packs 5-30:1 (a million styled empty rows ~30:1); a zip
# bomb packs ~1000:1 and makes a reader spend seconds and gigabytes on whitespace.
_MAX_RATIO = 200
_RATIO_FROM = 16 * 1024**2
CHUNK = 1 << 20  #: bytes read, hashed or copied at a time

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: SpreadsheetML's main namespace: transitional (what Excel writes), then strict
NS_MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: content type of the workbook part -> the file extension it goes with
WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
}


def _classify_ole(path: Path) -> BookError:
    """An OLE compound file: a password-protected OOXML package or a legacy .xls/.doc."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size <= 64 * 1024**2:
            data = fh.read()
        else:
            data = fh.read(8 * 1024**2)
            fh.seek(-8 * 1024**2, os.SEEK_END)
            data += fh.read()

    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptedPackage"):
        return BookError("encrypted", path=str(path))
    if has("Workbook") or has("Book") or has("WordDocument") or has("PowerPoint Document"):
        return BookError("not_a_workbook", path=str(path))
    return BookError("encrypted", path=str(path))


def parse(data: bytes, path: Path | str, what: str) -> Element:
    """A part's XML as a tree, with :mod:`defusedxml` (no entity expansion)."""
    try:
        return SafeET.fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise corrupt(path, f"{what} is not valid XML ({exc})", f"{what} 不是有效的 XML（{exc}）") from exc


def read_bounded(zf: zipfile.ZipFile, part: str, chunk: int = 1 << 22) -> bytearray:
    """A part's bytes, never more than the zip says it holds (a part whose data inflates
    past its declared size is a zip bomb or damage: refused before it fills memory)."""
    declared = zf.getinfo(part).file_size
    out = bytearray()
    with zf.open(part) as fh:
        while block := fh.read(chunk):
            out += block
            if len(out) > declared:
                raise zipfile.BadZipFile(f"{part} unpacks to more than the {declared:,} "
                                         "bytes its header declares")
    return out


# --------------------------------------------------------------------------- the package
class Package:
    """An open workbook zip with its structure parsed (no worksheet is read)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zf: zipfile.ZipFile | None = None

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Package:
        """Open and check a package; :class:`BookError` if it is none or cannot be used."""
        pkg = cls(Path(path))
        try:
            pkg._open()
        except BaseException:
            pkg.close()
            raise
        return pkg

    def close(self) -> None:
        """Close the zip (the package is opened as a context manager, too)."""
        if self.zf is not None:
            self.zf.close()
            self.zf = None

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        path = self.path
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise BookError("file_not_found", path=str(path)) from None
        if not path.is_file():
            raise BookError("not_a_workbook", path=str(path))
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head == _OLE_MAGIC:
            raise _classify_ole(path)
        try:
            self.zf = zipfile.ZipFile(path)
        except Exception as exc:  # BadZipFile, OSError, struct.error, ... on damage
            if head[:2] == b"PK" and st.st_size > 0:
                raise corrupt(path, "the zip directory is missing or damaged "
                                    "(the file may be truncated)",
                              "压缩目录缺失或损坏（文件可能不完整）") from None
            raise BookError("not_a_workbook", path=str(path)) from exc
        self.infos = self.zf.infolist()
        self._check_directory()
        self._read_workbook()
        self._read_tables()

    def _check_directory(self) -> None:
        """The declared half of the zip-bomb guard, and names that must be unique."""
        path, infos = self.path, self.infos
        if len(infos) > _MAX_PARTS:
            raise too_large(path, f"{len(infos):,} parts in the zip (limit {_MAX_PARTS:,})",
                            f"压缩包内有 {len(infos):,} 个部件（上限 {_MAX_PARTS:,}）")
        total = 0
        for i in infos:
            if i.file_size > MAX_PART_BYTES:
                raise too_large(path, f"part {i.filename} unpacks to {i.file_size:,} bytes "
                                      "(limit 2 GiB)",
                                f"部件 {i.filename} 解压后为 {i.file_size:,} 字节（上限 2 GiB）")
            if i.file_size > _RATIO_FROM and i.file_size > _MAX_RATIO * max(i.compress_size, 1):
                raise too_large(path, f"part {i.filename} unpacks to {i.file_size:,} bytes "
                                      f"from {i.compress_size:,}, a compression ratio above "
                                      f"{_MAX_RATIO}:1 (a zip bomb?)",
                                f"部件 {i.filename} 由 {i.compress_size:,} 字节解压为 "
                                f"{i.file_size:,} 字节，压缩比超过 {_MAX_RATIO}:1"
                                "（可能是压缩炸弹）")
            total += i.file_size
            if i.flag_bits & 0x1:
                raise BookError("encrypted", path=str(path))
        if total > _MAX_TOTAL_BYTES:
            raise too_large(path, f"the parts unpack to {total:,} bytes (limit 6 GiB)",
                            f"各部件解压后共 {total:,} 字节（上限 6 GiB）")
        self.lower: dict[str, str] = {}
        for i in infos:
            key = i.filename.lower()
            if key in self.lower:
                raise corrupt(path, f"the zip holds {i.filename} twice",
                              f"压缩包内有两个 {i.filename}")
            self.lower[key] = i.filename
        self.info_by_name = {i.filename: i for i in infos}

    def _read_workbook(self) -> None:
        """The workbook part (via the package relationships), content types, sheets."""
        path = self.path
        wb_part = None
        if self.has("_rels/.rels"):
            for rtype, target, _rid in self.rels("_rels/.rels", ""):
                if rtype.endswith("/officeDocument"):
                    wb_part = target
                    break
        if wb_part is None and self.has("xl/workbook.xml"):
            wb_part = "xl/workbook.xml"
        if wb_part is None or not self.has(wb_part):
            raise BookError("not_a_workbook", path=str(path))
        self.wb_part = self.real(wb_part)
        if not self.has("[Content_Types].xml"):
            raise corrupt(path, "[Content_Types].xml is missing", "缺少 [Content_Types].xml")
        self.ct_part = self.real("[Content_Types].xml")
        self.ct_text = self.text(self.ct_part)
        ct = self.tree(self.ct_part)
        self.ct_overrides: dict[str, str] = {}
        self.ct_defaults: dict[str, str] = {}
        for el in ct:
            if local(el.tag) == "Override":
                self.ct_overrides[(el.get("PartName") or "").lstrip("/").lower()] = (
                    el.get("ContentType") or "")
            elif local(el.tag) == "Default":
                self.ct_defaults[(el.get("Extension") or "").lower()] = (
                    el.get("ContentType") or "")
        self.main_ct = self.content_type(self.wb_part)
        if self.main_ct not in WORKBOOK_TYPES:
            raise BookError("not_a_workbook", path=str(path))

        self.wb_text = self.text(self.wb_part)
        wb = self.tree(self.wb_part)
        if local(wb.tag) != "workbook":
            raise BookError("not_a_workbook", path=str(path))
        self.main_ns = ns(wb.tag) or NS_MAIN[0]
        self.date1904 = False
        sheets_el = None
        for el in wb:
            if local(el.tag) == "workbookPr":
                self.date1904 = truthy(el.get("date1904"))
            elif local(el.tag) == "sheets":
                sheets_el = el
        if sheets_el is None:
            raise corrupt(path, f"{self.wb_part} lists no sheets", f"{self.wb_part} 中没有工作表")
        self.wb_rels_part = self.rels_part_of(self.wb_part)
        self.wb_rels: dict[str, tuple[str, str]] = {}
        self.rel_ns = NS_DOC_REL
        if self.has(self.wb_rels_part):
            self.wb_rels_part = self.real(self.wb_rels_part)
            for rtype, target, rid in self.rels(self.wb_rels_part, self.wb_part):
                self.wb_rels[rid] = (rtype, target)
        self.sheets: list[Sheet] = []
        for k, el in enumerate(s for s in sheets_el if local(s.tag) == "sheet"):
            rid = ""
            for key, val in el.attrib.items():
                if local(key) == "id" and key.startswith("{"):
                    rid = val
                    self.rel_ns = ns(key)
            rtype, target = self.wb_rels.get(rid, ("", ""))
            kind = rtype.rsplit("/", 1)[-1] or "unknown"
            part = self.real(target) if target and self.has(target) else None
            try:
                sheet_id = int(el.get("sheetId") or 0)
            except ValueError:
                sheet_id = 0
            self.sheets.append(Sheet(el.get("name") or "", sheet_id, rid, part, kind, k))
        self.styles_part = self.calc_part = None
        self.calc_rid = None
        for rid, (rtype, target) in self.wb_rels.items():
            if rtype.endswith("/styles") and self.has(target):
                self.styles_part = self.real(target)
            elif rtype.endswith("/calcChain") and self.has(target):
                self.calc_part, self.calc_rid = self.real(target), rid
        self.macro_enabled = "macroEnabled" in self.main_ct or any(
            n.endswith("vbaproject.bin") for n in self.lower)

    def _read_tables(self) -> None:
        """The Tables, via each worksheet's relationships."""
        self.tables: list[Table] = []
        for sh in self.sheets:
            if sh.part is None or sh.kind != "worksheet":
                continue
            for rtype, target, _rid in self.rels(self.rels_part_of(sh.part), sh.part):
                if not rtype.endswith("/table") or not self.has(target):
                    continue
                tpart = self.real(target)
                t = self.tree(tpart)
                try:
                    info = TableInfo(
                        name=t.get("displayName") or t.get("name") or "",
                        sheet=sh.name,
                        ref=t.get("ref") or "",
                        header_rows=int(t.get("headerRowCount") or 1),
                        totals_rows=int(t.get("totalsRowCount") or 0),
                        part=tpart,
                    )
                except ValueError:
                    raise corrupt(self.path, f"{tpart} has a bad row count",
                                  f"{tpart} 的行数有误") from None
                self.tables.append(Table(info, sh.part))

    # -- reading parts -------------------------------------------------------------
    def has(self, name: str) -> bool:
        """Whether the zip holds member ``name`` (names match case-insensitively)."""
        return name.lower() in self.lower

    def real(self, name: str) -> str:
        """The member's name as the zip spells it (names match case-insensitively)."""
        return self.lower[name.lower()]

    def content_type(self, part: str) -> str:
        """A part's content type: its override, else its extension's default."""
        ct = self.ct_overrides.get(part.lower())
        if ct is None:
            ct = self.ct_defaults.get(part.rsplit(".", 1)[-1].lower(), "")
        return ct

    def read(self, name: str, limit: int = _MAX_TREE_BYTES) -> bytes:
        """A part's bytes; ``too_large`` if it declares more than ``limit``."""
        assert self.zf is not None
        name = self.real(name)
        info = self.info_by_name[name]
        if info.file_size > limit:
            raise too_large(self.path, f"part {name} is {info.file_size:,} bytes",
                            f"部件 {name} 有 {info.file_size:,} 字节")
        try:
            return self.zf.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                RuntimeError, ValueError) as exc:
            raise corrupt(self.path, f"cannot unpack {name}: {exc}", f"无法解压 {name}：{exc}") from exc

    def text(self, name: str, limit: int = _MAX_TREE_BYTES) -> str:
        """A UTF-8 part as text (undecodable bytes kept as surrogates, written back as-is)."""
        data = self.read(name, limit)
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise corrupt(self.path, f"{name} is UTF-16; only UTF-8 parts can be edited",
                          f"{name} 是 UTF-16 编码；只能修改 UTF-8 编码的部件")
        return data.decode("utf-8", "surrogateescape")

    def tree(self, name: str) -> Element:
        """A small part parsed as a tree."""
        return parse(self.read(name), self.path, name)

    def rels_part_of(self, part: str) -> str:
        """The relationships part of ``part``: ``dir/_rels/name.rels``."""
        d, b = posixpath.split(part)
        return posixpath.join(d, "_rels", b + ".rels")

    def rels(self, rels_part: str, source: str) -> list[tuple[str, str, str]]:
        """(type, resolved target, id) of the internal relationships in ``rels_part``."""
        if not self.has(rels_part):
            return []
        out = []
        base = posixpath.dirname(source)
        for el in self.tree(rels_part):
            if local(el.tag) != "Relationship" or el.get("TargetMode") == "External":
                continue
            target = el.get("Target") or ""
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(base, target))
            out.append((el.get("Type") or "", resolved, el.get("Id") or ""))
        return out

    def sheet_by_name(self, name: str) -> Sheet | None:
        """The sheet called ``name`` (case-insensitively, as Excel compares them)."""
        key = name.casefold()
        for sh in self.sheets:
            if sh.name.casefold() == key:
                return sh
        return None

    def tables_on(self, part: str) -> list[Table]:
        """The Tables on worksheet part ``part``."""
        return [t for t in self.tables if t.sheet_part == part]

    def book_info(self) -> BookInfo:
        """What :func:`inspect_book` reports."""
        return BookInfo(
            path=self.path,
            sheets=tuple(s.name for s in self.sheets),
            sheet_parts={s.name: s.part for s in self.sheets if s.part},
            tables=tuple(t.info for t in self.tables),
            date1904=self.date1904,
            macro_enabled=self.macro_enabled,
            strict=self.main_ns == NS_MAIN[1],
        )


def inspect_book(path: str | os.PathLike[str]) -> BookInfo:
    """Sheets, their zip parts, Tables, date system and macro flag of a workbook file.

    Reads only the zip directory and the small structural parts, never a worksheet.
    Raises :class:`BookError` ``file_not_found``; ``encrypted`` (an OLE compound file,
    which is how Excel stores a password-protected workbook); ``not_a_workbook`` (not a
    zip, or a zip without a SpreadsheetML workbook part); ``corrupt`` (damaged or
    truncated zip, invalid XML; the detail says what); ``too_large`` (more than 10,000
    parts, a part unpacking to more than 2 GiB, or more than 6 GiB in all).
    """
    with Package.open(path) as pkg:
        return pkg.book_info()


def fingerprint(path: str | os.PathLike[str]) -> tuple[int, int, str]:
    """``(size, mtime_ns, sha256 hex)`` of a file, to notice that someone saved it."""
    path = Path(path)
    try:
        st = path.stat()
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
    except (FileNotFoundError, NotADirectoryError):
        raise BookError("file_not_found", path=str(path)) from None
    except IsADirectoryError:
        raise BookError("not_a_workbook", path=str(path)) from None
    return st.st_size, st.st_mtime_ns, h.hexdigest()
