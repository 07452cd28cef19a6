"""Layout books: a created output sheet gets the finished layout of the shipped one.

A layout book is a small workbook holding the output sheets as the shipped workbook lays
them out, without data: the view (frozen header), columns (widths, formats), filter,
conditional formats, data validations (the Outcome dropdown), print setup, page margins,
header and footer, the drawing with its charts, and the sheet's defined names (print
titles, print area). When :func:`~xl_addin.excel.ooxml.write_book` creates a sheet that
has an :class:`LayoutSheet`, :func:`transplant` copies that sheet's XML around its rows
into the new part:

* every cell format the sheet uses (``style``/``s``, and ``dxfId`` of conditional
  formats) is added to the target's styles part where missing, and the indexes remapped;
* the parts it relates to (drawing, charts, …) are copied under names free in the
  target, with their relationships and content types, chart series pointed at the new
  sheet's name (and cut to the rows written, see :mod:`.charts`);
* its defined names are added to the target's ``workbook.xml`` for the new sheet.

Nothing of the target book is changed beyond what creating a sheet already changes
(workbook, its relationships, content types, styles): the user's own sheets stay byte
for byte as they were. It works for any sheet of the layout book.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .changes import Changes
from .charts import cut_chart_ranges, edit_formulas, repoint
from .package import Package
from .parts import relationship, relationships_xml
from .styles import Styles
from .worksheet import SheetSplit
from .xmltext import attr, root_prefix, set_attr

__all__ = ["LayoutBook", "LayoutSheet", "transplant"]

_NAME_RX = re.compile(r"<(?:[\w.\-]+:)?definedName(?=[\s>])([^>]*)>(.*?)</(?:[\w.\-]+:)?"
                      r"definedName>", re.S)


@dataclass(frozen=True)
class _Rel:
    rid: str
    rtype: str
    target: str  #: resolved part name ('' for an external target)
    raw: str  #: the Relationship element as the part holds it


class LayoutBook:
    """A layout book held in memory: its parts, relationships, styles and names."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with Package.open(path) as pkg:
            self.main_ns = pkg.main_ns
            self.parts = {i.filename: pkg.read(i.filename) for i in pkg.infos}
            self.types = {name: pkg.content_type(name) for name in self.parts}
            self.sheets = {s.name.casefold(): (s.name, s.part, s.index) for s in pkg.sheets
                           if s.part and s.kind == "worksheet"}
            self.styles = Styles(pkg.text(pkg.styles_part) if pkg.styles_part else None,
                                 pkg.main_ns, path)
            self.names = [(m[0], attr(m[1], "localSheetId")) for m in
                          _NAME_RX.finditer(pkg.wb_text)]
            self.rels: dict[str, list[_Rel]] = {}
            for name in self.parts:
                if not name.endswith(".rels") or name == "_rels/.rels":
                    continue
                folder, base = posixpath.split(name)
                source = posixpath.join(posixpath.dirname(folder), base[:-5])
                self.rels[source] = self._read_rels(pkg, name, source)

    @staticmethod
    def _read_rels(pkg: Package, rels_part: str, source: str) -> list[_Rel]:
        text = pkg.text(rels_part)
        out = []
        for m in re.finditer(r"<(?:[\w.\-]+:)?Relationship(?=[\s/>])([^>]*?)/?>", text):
            a = m[1]
            target = attr(a, "Target") or ""
            if attr(a, "TargetMode") == "External":
                resolved = ""
            elif target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
            out.append(_Rel(attr(a, "Id") or "", attr(a, "Type") or "", resolved, m[0]))
        return out

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> LayoutBook:
        return cls(Path(path))

    def sheet(self, name: str) -> LayoutSheet | None:
        """The layout of the sheet called ``name`` (None: the book has no such sheet)."""
        found = self.sheets.get(name.casefold())
        if found is None:
            return None
        return LayoutSheet(self, found[0], found[1], found[2])

    def text(self, part: str) -> str:
        return self.parts[part].decode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class LayoutSheet:
    """One sheet of a :class:`LayoutBook`: the layout a created output sheet gets."""

    book: LayoutBook
    name: str
    part: str
    index: int  #: its place among the book's sheets (``localSheetId`` of its names)


def _free_name(part: str, used: set[str]) -> str:
    """``part`` or the first ``<stem>N<ext>`` beside it that no member is called."""
    folder, base = posixpath.split(part)
    stem, ext = posixpath.splitext(base)
    stem = stem.rstrip("0123456789") or stem
    n = 1
    while True:
        name = posixpath.join(folder, f"{stem}{n}{ext}")
        if name.lower() not in used:
            used.add(name.lower())
            return name
        n += 1


def _remap_styles(ch: Changes, src: Styles, prefix: str, head: str, suffix: str, p: str
                  ) -> tuple[str, str, str]:
    """The sheet's XML with the layout book's cell formats made formats of the target."""
    st = ch.styles

    def xf(m: re.Match[str]) -> str:
        return f'{m[1]}"{st.adopt(src, int(m[2]))}"'

    def tags(rx: str, text: str, inner: str) -> str:
        return re.sub(rx, lambda t: re.sub(inner, xf, t[0]), text)

    prefix = tags(rf"<{p}col(?=[\s/>])[^>]*>", prefix, r"((?<![\w:.\-])style\s*=\s*)\"(\d+)\"")
    head = tags(rf"<{p}(?:row|c)(?=[\s/>])[^>]*>", head, r"((?<![\w:.\-])s\s*=\s*)\"(\d+)\"")

    def dxf(m: re.Match[str]) -> str:
        return f'{m[1]}"{st.adopt_dxf(src, int(m[2]))}"'

    suffix = re.sub(r"<(?:[\w.\-]+:)?cfRule(?=[\s/>])[^>]*>",
                    lambda t: re.sub(r"((?<![\w:.\-])dxfId\s*=\s*)\"(\d+)\"", dxf, t[0]), suffix)
    return prefix, head, suffix


def _copy_part(ch: Changes, book: LayoutBook, part: str, used: set[str], copied: dict[str, str],
               old_sheet: str, new_sheet: str, chart_rows: Mapping[int, int] | None) -> str:
    """Copy ``part`` of the layout book (and what it relates to) into the target under a
    free name; its new name."""
    if part in copied:
        return copied[part]
    new = _free_name(part, used)
    copied[part] = new
    data = book.parts[part]
    ctype = book.types.get(part, "")
    if ctype.endswith("drawingml.chart+xml"):
        text = data.decode("utf-8", "surrogateescape")

        def point(f: str) -> str:
            f = repoint(f, old_sheet, new_sheet)
            return cut_chart_ranges(f, new_sheet, chart_rows) if chart_rows else f

        data = edit_formulas(text, point).encode("utf-8", "surrogateescape")
    ch.added.append((new, data))
    ch.overrides.append((new, ctype))
    rels = book.rels.get(part)
    if rels:
        ch.added.append((_rels_part(new), _rels_xml(ch, book, rels, new, used, copied, old_sheet,
                                                    new_sheet, chart_rows).encode("utf-8")))
    return new


def _rels_part(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _rels_xml(ch: Changes, book: LayoutBook, rels: list[_Rel], source: str, used: set[str],
              copied: dict[str, str], old_sheet: str, new_sheet: str,
              chart_rows: Mapping[int, int] | None) -> str:
    items = []
    for rel in rels:
        if not rel.target:  # external: as it is
            items.append(rel.raw)
            continue
        if rel.target not in book.parts or rel.rtype.endswith(("/table", "/printerSettings")):
            continue  # a table needs a name of its own; printer settings are the printer's
        new = _copy_part(ch, book, rel.target, used, copied, old_sheet, new_sheet, chart_rows)
        items.append(relationship(rel.rid, rel.rtype,
                                  posixpath.relpath(new, posixpath.dirname(source))))
    return relationships_xml(items)


def transplant(ch: Changes, layout: LayoutSheet, part: str, name: str, index: int,
               chart_rows: Mapping[int, int] | None = None) -> SheetSplit:
    """The layout sheet's XML made ready to be the new sheet ``name`` (part ``part``, the
    ``index``-th sheet of the target): its parts copied, its styles and names added. The
    rows of the layout book's sheet come back as ``head`` (for their cell formats)."""
    book = layout.book
    text = book.text(layout.part)
    p = root_prefix(text, "worksheet")
    m = re.search(rf"<{p}sheetData(?=[\s/>])[^>]*?(?:/>|>(.*?)</{p}sheetData>)", text, re.S)
    if m is None:
        raise ValueError(f"layout sheet {layout.name} has no sheetData")
    prefix, head, suffix = text[:m.start()], m[1] or "", text[m.end():]
    prefix, head, suffix = _remap_styles(ch, book.styles, prefix, head, suffix, p)
    # one selected tab per book: the user's own stays selected
    prefix = re.sub(rf"<{p}sheetView(?=[\s/>])[^>]*>",
                    lambda t: re.sub(r"\s+tabSelected\s*=\s*([\"']).*?\1", "", t[0]), prefix)
    used = set(ch.pkg.lower) | {n.lower() for n, _b in ch.added} | {part.lower()}
    rels = book.rels.get(layout.part)
    if rels:
        copied: dict[str, str] = {}
        ch.added.append((_rels_part(part), _rels_xml(ch, book, rels, part, used, copied,
                                                     layout.name, name, chart_rows
                                                     ).encode("utf-8")))
    for raw, local_id in book.names:
        if local_id is None or local_id != str(layout.index):
            continue
        tag_end = raw.index(">") + 1
        tag = set_attr(raw[:tag_end], "localSheetId", str(index))
        attrs = tag[tag.index("definedName") + len("definedName"):-1]
        body = edit_formulas(f"<f>{raw[tag_end:raw.rindex('<')]}</f>",
                             lambda f: repoint(f, layout.name, name))[3:-4]
        ch.names.append((attrs, body))
    return SheetSplit(p, prefix, "<" + p + "sheetData>", head, suffix)
