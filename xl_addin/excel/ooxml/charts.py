"""Charts over a sheet's cells: finding the charts drawn on a worksheet, pointing their
series at another sheet name, and cutting a series to the rows a refresh filled.

A chart part holds its series as formulas (``<c:f>仪表盘!$A$59:$A$68</c:f>``); they are
edited as text, everything else in the part stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .package import Package
from .refs import escape_text

__all__ = ["chart_parts", "cut_chart_ranges", "edit_formulas", "repoint", "sheet_ref"]

_FORMULA = re.compile(r"(<(?:[\w.\-]+:)?f(?:\s[^>]*)?>)([^<]*)(</(?:[\w.\-]+:)?f>)")
_RANGE = re.compile(r"(?P<sheet>'(?:[^']|'')+'|[^'!:$]+)!\$(?P<c1>[A-Z]{1,3})\$(?P<r1>\d+)"
                    r"(?::\$(?P<c2>[A-Z]{1,3})\$(?P<r2>\d+))?")
_SHEET_BANG = re.compile(r"('(?:[^']|'')+'|[^\s'!:$,()=+\-*/&^<>;{}\"]+)!")
_PLAIN_NAME = re.compile(r"[A-Za-z_\u0080-\uffff][\w.\u0080-\uffff]*")
_A1_LIKE = re.compile(r"(?i)[A-Z]{1,3}\d+|R\d*C\d*")


def sheet_ref(name: str) -> str:
    """A sheet name as a formula writes it: quoted unless it is a plain word."""
    if _PLAIN_NAME.fullmatch(name) and not _A1_LIKE.fullmatch(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _unquote(ref: str) -> str:
    return ref[1:-1].replace("''", "'") if ref.startswith("'") else ref


def _unescape(text: str) -> str:
    return (text.replace("&apos;", "'").replace("&quot;", '"').replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))


def edit_formulas(xml: str, edit: Callable[[str], str]) -> str:
    """``xml`` with ``edit`` applied to the text of every ``<f>`` element."""

    def one(m: re.Match[str]) -> str:
        old = _unescape(m[2])
        new = edit(old)
        return m[0] if new == old else m[1] + escape_text(new) + m[3]

    return _FORMULA.sub(one, xml)


def repoint(formula: str, old: str, new: str) -> str:
    """A formula with its references to sheet ``old`` made references to sheet ``new``."""
    if old == new:
        return formula

    def one(m: re.Match[str]) -> str:
        if _unquote(m[1]).casefold() != old.casefold():
            return m[0]
        return sheet_ref(new) + "!"

    return _SHEET_BANG.sub(one, formula)


def cut_chart_ranges(formula: str, sheet: str, rows: Mapping[int, int]) -> str:
    """A series formula over one column of ``sheet`` from a block's first row, cut to the
    rows the block holds now (``rows``: first row -> rows, at least one)."""

    def one(m: re.Match[str]) -> str:
        if m["r2"] is None or m["c1"] != m["c2"] or _unquote(m["sheet"]).casefold() != (
                sheet.casefold()):
            return m[0]
        first = int(m["r1"])
        if first not in rows:
            return m[0]
        last = first + max(int(rows[first]), 1) - 1
        return f"{m['sheet']}!${m['c1']}${first}:${m['c2']}${last}"

    return _RANGE.sub(one, formula)


def chart_parts(pkg: Package, sheet_part: str) -> list[str]:
    """The chart parts drawn on a worksheet (through its drawing parts)."""
    out = []
    for rtype, target, _rid in pkg.rels(pkg.rels_part_of(sheet_part), sheet_part):
        if not rtype.endswith("/drawing") or not pkg.has(target):
            continue
        drawing = pkg.real(target)
        for ctype, chart, _cid in pkg.rels(pkg.rels_part_of(drawing), drawing):
            if ctype.endswith("/chart") and pkg.has(chart):
                out.append(pkg.real(chart))
    return out
