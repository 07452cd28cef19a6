"""The package's structural parts: ``workbook.xml``, relationships, ``[Content_Types].xml``,
``calcChain.xml`` and the document properties.

For an existing package these are edited as text by inserting or removing single
elements (:func:`edit_shared_parts`); for a new one they are written whole from the
same element builders (:func:`content_types_xml`, :func:`relationships_xml`,
:func:`workbook_xml`, :func:`core_props_xml`, :func:`app_props_xml`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .book import corrupt
from .changes import Changes
from .package import NS_DOC_REL
from .refs import escape_attr, escape_text
from .xmltext import attr, root_prefix, to_int

__all__ = ["CT_APP", "CT_CORE", "CT_SHEET", "CT_SST", "CT_STYLES", "CT_TABLE", "CT_WORKBOOK",
           "REL_CORE", "XML_HEAD", "SheetEntry", "app_props_xml", "content_types_xml",
           "core_props_xml", "edit_shared_parts", "new_rid", "relationship", "relationships_xml",
           "workbook_xml"]

XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_CT_ML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
CT_WORKBOOK = _CT_ML + "sheet.main+xml"
CT_SHEET = _CT_ML + "worksheet+xml"
CT_STYLES = _CT_ML + "styles+xml"
CT_SST = _CT_ML + "sharedStrings+xml"
CT_TABLE = _CT_ML + "table+xml"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
_CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
REL_CORE = _NS_PACKAGE_REL + "/metadata/core-properties"

#: a sheet an edit creates: (name, sheetId, relationship id, part)
SheetEntry = tuple[str, int, str, str]


# --------------------------------------------------------------------------- elements
def relationship(rid: str, rtype: str, target: str) -> str:
    """A ``<Relationship>`` element of a relationships part."""
    return f'<Relationship Id="{rid}" Type="{rtype}" Target="{target}"/>'


def _override(part: str, content_type: str) -> str:
    """A content-type ``<Override>`` for ``part`` (a zip member name)."""
    return f'<Override PartName="/{part}" ContentType="{content_type}"/>'


def _sheet_entry(p: str, name: str, sheet_id: int, rattr: str) -> str:
    """A ``<sheet>`` of workbook.xml; ``rattr`` is its relationship id attribute."""
    return f'<{p}sheet name="{escape_attr(name)}" sheetId="{sheet_id}" {rattr}/>'


def new_rid(existing: Iterable[str]) -> Iterator[str]:
    """Relationship ids ``rIdN`` not in ``existing``, from above the highest taken."""
    taken = set(existing)
    n = max((int(r[3:]) for r in taken if re.fullmatch(r"rId\d+", r)), default=0)
    while True:
        n += 1
        rid = f"rId{n}"
        if rid not in taken:
            taken.add(rid)
            yield rid


def _relative(target: str, source_dir: str) -> str:
    return posixpath.relpath(target, source_dir or ".")


# --------------------------------------------------------------------------- new parts
def relationships_xml(items: Iterable[str]) -> str:
    """A relationships part holding the ``<Relationship>`` elements ``items``."""
    return XML_HEAD + f'<Relationships xmlns="{_NS_PACKAGE_REL}">' + "".join(items) + (
        "</Relationships>")


def content_types_xml(overrides: Iterable[tuple[str, str]]) -> str:
    """``[Content_Types].xml``: rels and xml by extension, then (part, type) overrides."""
    return (XML_HEAD + f'<Types xmlns="{_NS_CT}">'
            f'<Default Extension="rels" ContentType="{_CT_RELS}"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(_override(part, ct) for part, ct in overrides) + "</Types>")


def workbook_xml(main_ns: str, names: Sequence[str]) -> str:
    """A workbook part listing sheets ``names`` as sheetIds and rIds 1, 2, ..."""
    return (XML_HEAD + f'<workbook xmlns="{main_ns}" xmlns:r="{NS_DOC_REL}">'
            '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(_sheet_entry("", name, i, f'r:id="rId{i}"')
                      for i, name in enumerate(names, start=1))
            + "</sheets></workbook>")


def core_props_xml(title: str, creator: str, stamp: str) -> str:
    """docProps/core.xml; ``stamp`` (W3CDTF) is the time of creation and modification."""
    return (XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
            'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/'
            '1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/'
            f'2001/XMLSchema-instance"><dc:title>{escape_text(title)}</dc:title>'
            f"<dc:creator>{escape_text(creator)}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>")


def app_props_xml(application: str) -> str:
    """docProps/app.xml naming the application that wrote the book."""
    return (XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/extended-properties"><Application>{escape_text(application)}'
            "</Application></Properties>")


# --------------------------------------------------------------------------- edits
def _filter_calc_chain(text: str, sheet_ids: set[int]) -> tuple[str, int, int]:
    """calcChain without the cells of ``sheet_ids``: (text, removed, kept)."""
    p = root_prefix(text, "calcChain")
    state = {"cur": None, "last_kept": None, "removed": 0, "kept": 0}

    def one(m: re.Match[str]) -> str:
        i = attr(m[1], "i")
        if i is not None:
            state["cur"] = to_int(i)
        cur = state["cur"]
        if cur in sheet_ids:
            state["removed"] += 1  # type: ignore[operator]
            return ""
        state["kept"] += 1  # type: ignore[operator]
        out = m[0]
        if i is None and state["last_kept"] != cur and cur is not None:
            out = f'<{p}c i="{cur}"' + out[len(p) + 2:]
        state["last_kept"] = cur
        return out

    new = re.sub(rf"<{p}c(?=[\s/>])([^>]*?)(?:/>|>\s*</{p}c>)", one, text)
    return new, int(state["removed"]), int(state["kept"])  # type: ignore[arg-type]


def _remove_elements(text: str, tag: str, name: str, values: set[str]) -> str:
    """Drop every ``<tag>`` whose attribute ``name`` (case-insensitive) is in ``values``."""

    def one(m: re.Match[str]) -> str:
        v = attr(m[1], name)
        return "" if v is not None and v.lower() in values else m[0]

    return re.sub(rf"<(?:[\w.\-]+:)?{tag}(?=[\s/>])([^>]*?)(?:/>|>.*?</(?:[\w.\-]+:)?{tag}>)",
                  one, text, flags=re.S)


def _insert_before_close(text: str, tag: str, items: str, path: Path, part: str) -> str:
    closes = list(re.finditer(rf"</(?:[\w.\-]+:)?{tag}\s*>", text))
    m = closes[-1] if closes else None
    if m is None:
        sm = re.search(rf"<((?:[\w.\-]+:)?{tag})(?=[\s/>])[^>]*?/>", text)
        if sm is None:
            raise corrupt(path, f"{part} has no <{tag}>", f"{part} 缺少 <{tag}>")
        opened = sm[0][:-2].rstrip() + ">"
        return text[:sm.start()] + opened + items + f"</{sm[1]}>" + text[sm.end():]
    return text[:m.start()] + items + text[m.start():]


def _add_defined_names(text: str, p: str, names: Sequence[tuple[str, str]], path: Path,
                       part: str) -> str:
    """workbook.xml with defined names added (a ``<definedNames>`` made if it has none,
    where the schema puts it: after sheets, functionGroups and externalReferences)."""
    items = "".join(f"<{p}definedName{attrs}>{body}</{p}definedName>" for attrs, body in names)
    if re.search(rf"<{p}definedNames(?=[\s/>])", text):
        return _insert_before_close(text, "definedNames", items, path, part)
    after = None
    for tag in ("externalReferences", "functionGroups", "sheets"):
        m = re.search(rf"</{p}{tag}\s*>|<{p}{tag}(?=[\s/>])[^>]*/>", text)
        if m:
            after = m.end()
            break
    if after is None:
        raise corrupt(path, f"{part} lists no sheets", f"{part} 中没有工作表")
    return text[:after] + f"<{p}definedNames>{items}</{p}definedNames>" + text[after:]


def edit_shared_parts(ch: Changes, rewritten: set[int], new_sheets: Sequence[SheetEntry],
                      used: set[str], rids: Iterator[str]) -> None:
    """The edits that rewritten and new sheets (and new styles) need in calcChain,
    workbook.xml, its relationships and the content types, recorded in ``ch``."""
    pkg, st = ch.pkg, ch.styles
    wb_dir = posixpath.dirname(pkg.wb_part)
    ct_text, rels_text, wb_text = pkg.ct_text, None, pkg.wb_text
    if pkg.calc_part and rewritten:
        calc, removed, kept = _filter_calc_chain(pkg.text(pkg.calc_part), rewritten)
        if removed:
            if kept:
                ch.changed[pkg.calc_part] = calc.encode("utf-8", "surrogateescape")
                ch.notes.append(f"calcChain: removed {removed} entries of rewritten sheets")
            else:
                ch.removed.add(pkg.calc_part)
                rels_text = _remove_elements(pkg.text(pkg.wb_rels_part), "Relationship",
                                             "Id", {pkg.calc_rid.lower()}
                                             if pkg.calc_rid else set())
                ct_text = _remove_elements(ct_text, "Override", "PartName",
                                           {"/" + pkg.calc_part.lower()})
                ch.notes.append(f"calcChain: all {removed} entries were on rewritten "
                               "sheets; part, relationship and content type removed")
    if new_sheets or (st.created and st.changed):
        if rels_text is None:
            rels_text = (pkg.text(pkg.wb_rels_part) if pkg.has(pkg.wb_rels_part) else
                         relationships_xml([]))
        sheet_type = next((t for t, _x in pkg.wb_rels.values() if t.endswith("/worksheet")),
                          NS_DOC_REL + "/worksheet")
        new_rels, new_ct, new_entries = [], [], []
        p = root_prefix(wb_text, "workbook")
        rel_prefix = re.search(r'xmlns:([\w.\-]+)\s*=\s*["\']' + re.escape(pkg.rel_ns)
                               + r'["\']', wb_text[:wb_text.find(">", wb_text.find(
                                   f"<{p}workbook")) + 1])
        for name, sid, rid, part in new_sheets:
            new_rels.append(relationship(rid, sheet_type, _relative(part, wb_dir)))
            new_ct.append(_override(part, CT_SHEET))
            if rel_prefix:
                rattr = f'{rel_prefix[1]}:id="{rid}"'
            else:
                rattr = f'xmlns:r="{pkg.rel_ns}" r:id="{rid}"'
            new_entries.append(_sheet_entry(p, name, sid, rattr))
        if st.created and st.changed:
            spart = posixpath.join(wb_dir, "styles.xml")
            n = 1
            while spart.lower() in used:
                spart = posixpath.join(wb_dir, f"styles{n}.xml")
                n += 1
            styles_type = sheet_type.rsplit("/", 1)[0] + "/styles"
            new_rels.append(relationship(next(rids), styles_type, _relative(spart, wb_dir)))
            new_ct.append(_override(spart, CT_STYLES))
            ch.added.append((spart, st.render().encode("utf-8")))
            ch.notes.append(f"styles: workbook had no styles part; created {spart}")
        new_ct += [_override(part, ctype) for part, ctype in ch.overrides]
        rels_text = _insert_before_close(rels_text, "Relationships", "".join(new_rels),
                                         pkg.path, pkg.wb_rels_part)
        ct_text = _insert_before_close(ct_text, "Types", "".join(new_ct), pkg.path,
                                       pkg.ct_part)
        if new_entries:
            wb_text = _insert_before_close(wb_text, "sheets", "".join(new_entries),
                                           pkg.path, pkg.wb_part)
        if ch.names:
            wb_text = _add_defined_names(wb_text, p, ch.names, pkg.path, pkg.wb_part)
    if st.changed and not st.created:
        assert pkg.styles_part is not None
        ch.changed[pkg.styles_part] = st.render().encode("utf-8", "surrogateescape")
    ch.notes.extend(st.notes)
    if ct_text != pkg.ct_text:
        ch.changed[pkg.ct_part] = ct_text.encode("utf-8", "surrogateescape")
    if wb_text != pkg.wb_text:
        ch.changed[pkg.wb_part] = wb_text.encode("utf-8", "surrogateescape")
    if rels_text is not None:
        if pkg.has(pkg.wb_rels_part):
            ch.changed[pkg.wb_rels_part] = rels_text.encode("utf-8", "surrogateescape")
        else:
            ch.added.append((pkg.wb_rels_part, rels_text.encode("utf-8")))
