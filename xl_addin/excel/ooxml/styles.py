"""The styles part: what each cell format (``s`` index) shows, and adding the few plain
formats a writer needs (a number format, a date format, a bold header).

:class:`Styles` reads ``cellXfs``, ``numFmts`` and ``fonts`` of an existing styles part,
or starts from a minimal one for a book that has none (or a new book). What it adds is
inserted at the end of each list as text, so every existing index keeps its meaning and
the rest of the part stays byte for byte as it was.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from .book import corrupt
from .refs import escape_attr
from .xmltext import attr, local, root_prefix, set_attr, to_int, truthy

__all__ = ["Styles"]

_MIN_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="{ns}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
    "<border><left/><right/><top/><bottom/><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>'
)
_BUILTIN_DATE_FMTS = frozenset(
    [*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)]
)
_FIRST_CUSTOM_NUMFMT = 164  # ids below are Excel's built-in formats
#: the element each list of the styles part holds
_CHILD = {"fonts": "font", "fills": "fill", "borders": "border", "cellXfs": "xf", "dxfs": "dxf",
          "cellStyleXfs": "xf"}


def _is_date_code(code: str) -> bool:
    """Whether a custom number format shows a date or time."""
    c = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    if re.search(r"\[(?:h+|m+|s+)\]", c, re.I):
        return True
    c = re.sub(r"\[[^\]]*\]", "", c).split(";")[0]
    c = re.sub(r"(?i)general|e[+-]", "", c)
    return bool(re.search(r"[dmyhs]", c, re.I))


class Styles:
    """cellXfs of styles.xml: what each ``s`` index shows, and appending plain xfs."""

    def __init__(self, text: str | None, main_ns: str, path: Path) -> None:
        self.original = text
        self.created = text is None
        self.text = text if text is not None else _MIN_STYLES.format(ns=main_ns)
        self.path = path
        try:
            root = SafeET.fromstring(self.text.encode("utf-8", "surrogateescape"))
        except (ParseError, DefusedXmlException, ValueError) as exc:
            raise corrupt(path, f"styles are not valid XML ({exc})",
                          f"样式部件不是有效的 XML（{exc}）") from exc
        self.p = root_prefix(self.text, "styleSheet")
        self.numfmts: dict[int, str] = {}
        self.xfs: list[tuple[int, int, int, int, str | None, bool]] = []
        fonts: list[Element] = []
        for sect in root:
            name = local(sect.tag)
            if name == "numFmts":
                for nf in sect:
                    try:
                        self.numfmts[int(nf.get("numFmtId") or -1)] = nf.get("formatCode") or ""
                    except ValueError:
                        pass
            elif name == "fonts":
                fonts = list(sect)
            elif name == "cellXfs":
                for xf in sect:
                    self.xfs.append((
                        to_int(xf.get("numFmtId")), to_int(xf.get("fontId")),
                        to_int(xf.get("fillId")), to_int(xf.get("borderId")),
                        xf.get("xfId"), len(xf) > 0,
                    ))
        self.n_fonts = len(fonts)
        self.n_numfmts = len(self.numfmts)

        def sig(el: Element) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
            return sorted((local(c.tag), tuple(sorted(c.attrib.items())))
                          for c in el if local(c.tag) != "b")

        base = sig(fonts[0]) if fonts else []
        self.bold_fonts = [
            k for k, f in enumerate(fonts)
            if any(local(c.tag) == "b" and (c.get("val") is None or truthy(c.get("val")))
                   for c in f) and sig(f) == base
        ]
        self.new_numfmts: list[str] = []
        self.new_fonts: list[str] = []
        self.new_xfs: list[str] = []
        self.new_fills: list[str] = []
        self.new_borders: list[str] = []
        self.new_dxfs: list[str] = []
        self._raw: dict[str, list[str]] = {}
        self._adopted: dict[tuple[int, str, int], int] = {}
        self.notes: list[str] = []
        self._date_cache: dict[int, bool] = {}

    def is_date(self, s: int) -> bool:
        """Whether cell format ``s`` shows a date (or time)."""
        r = self._date_cache.get(s)
        if r is None:
            r = False
            if 0 <= s < len(self.xfs):
                nf = self.xfs[s][0]
                r = nf in _BUILTIN_DATE_FMTS or (
                    nf in self.numfmts and _is_date_code(self.numfmts[nf]))
            self._date_cache[s] = r
        return r

    def _plain(self, k: int, numfmt: int, font: int) -> bool:
        nf, fo, fi, bo, xfid, kids = self.xfs[k]
        return (nf, fo, fi, bo) == (numfmt, font, 0, 0) and xfid in (None, "0") and not kids

    def numfmt(self, code: str) -> int:
        """The id of a custom number format showing ``code``; added (164 on) if absent."""
        for k, have in self.numfmts.items():
            if k >= _FIRST_CUSTOM_NUMFMT and have == code:
                return k
        n = max([_FIRST_CUSTOM_NUMFMT - 1, *self.numfmts]) + 1
        self.numfmts[n] = code
        self.new_numfmts.append(f'<{self.p}numFmt numFmtId="{n}" '
                                f'formatCode="{escape_attr(code)}"/>')
        self.notes.append(f"styles: added number format {n} ({code})")
        return n

    def xf_for(self, numfmt: int) -> int:
        """A cellXfs index with this number format and the default look; added if absent."""
        for k in range(len(self.xfs)):
            if self._plain(k, numfmt, 0):
                return k
        self.xfs.append((numfmt, 0, 0, 0, "0", False))
        self.new_xfs.append(f'<{self.p}xf numFmtId="{numfmt}" fontId="0" fillId="0" '
                            f'borderId="0" xfId="0" applyNumberFormat="1"/>')
        self.notes.append(f"styles: added cell format {len(self.xfs) - 1} "
                          f"(number format {numfmt})")
        return len(self.xfs) - 1

    def bold(self) -> int:
        """A cellXfs index showing the default font in bold; font and xf added if absent."""
        for font in self.bold_fonts:
            for k in range(len(self.xfs)):
                if self._plain(k, 0, font):
                    return k
        if self.bold_fonts:
            font = self.bold_fonts[0]
        else:
            p = self.p
            m = re.search(rf"<{p}fonts(?=[\s/>])[^>]*>\s*(<{p}font(?=[\s/>])[^>]*?"
                          rf"(?:/>|>.*?</{p}font>))", self.text, re.S)
            if m is None:
                raw = f"<{p}font/>"
            else:
                raw = m[1]
            if raw.endswith("/>"):
                new = raw[:-2] + f"><{p}b/></{p}font>"
            else:
                i = raw.index(">") + 1
                new = raw[:i] + f"<{p}b/>" + raw[i:]
            self.new_fonts.append(new)
            font = self.n_fonts + len(self.new_fonts) - 1
            self.bold_fonts.append(font)
            self.notes.append(f"styles: added bold font {font}")
        self.xfs.append((0, font, 0, 0, "0", False))
        self.new_xfs.append(f'<{self.p}xf numFmtId="0" fontId="{font}" fillId="0" '
                            f'borderId="0" xfId="0" applyFont="1"/>')
        self.notes.append(f"styles: added bold cell format {len(self.xfs) - 1}")
        return len(self.xfs) - 1

    # -- formats from another styles part (a layout book's) ------------------------
    def raw(self, section: str) -> list[str]:
        """The elements of a list (``fonts``, ``fills``, ``borders``, ``cellXfs``,
        ``dxfs``) as the part holds them, as text."""
        got = self._raw.get(section)
        if got is None:
            p = self.p
            child = _CHILD[section]
            m = re.search(rf"<{p}{section}(?=[\s/>])[^>]*?(?:/>|>(.*?)</{p}{section}>)",
                          self.text, re.S)
            inner = (m[1] or "") if m else ""
            got = [c[0] for c in re.finditer(
                rf"<{p}{child}(?=[\s/>])[^>]*?(?:/>|>.*?</{p}{child}>)", inner, re.S)]
            self._raw[section] = got
        return got

    def _adopt_item(self, section: str, item: str, new: list[str]) -> int:
        """The index of ``item`` in the list ``section``: an equal one, or ``item`` added."""
        have = self.raw(section)
        for k, x in enumerate(have + new):
            if x == item:
                return k
        new.append(item)
        return len(have) + len(new) - 1

    def _foreign(self, src: Styles, item: str) -> str:
        """An element of ``src`` in this part's namespace prefix."""
        if src.p == self.p:
            return item
        return re.sub(rf"(</?){re.escape(src.p)}" if src.p else r"(</?)(?=[A-Za-z])",
                      lambda m: m[1] + self.p, item)

    def adopt(self, src: Styles, k: int) -> int:
        """A cellXfs index here that shows what ``src``'s cell format ``k`` shows: its
        number format, font, fill, border and alignment added here where missing."""
        key = (id(src), "xf", k)
        if key in self._adopted:
            return self._adopted[key]
        xfs = src.raw("cellXfs")
        if not 0 <= k < len(xfs):
            return 0
        xf = self._foreign(src, xfs[k])
        tag_end = xf.index(">") + 1
        tag = xf[:tag_end]
        nf = to_int(attr(tag, "numFmtId"))
        if nf >= _FIRST_CUSTOM_NUMFMT and nf in src.numfmts:
            nf = self.numfmt(src.numfmts[nf])
        ids = {}
        for name, section, new in (("fontId", "fonts", self.new_fonts),
                                   ("fillId", "fills", self.new_fills),
                                   ("borderId", "borders", self.new_borders)):
            items = src.raw(section)
            j = to_int(attr(tag, name))
            ids[name] = (self._adopt_item(section, self._foreign(src, items[j]), new)
                         if 0 <= j < len(items) else 0)
        for name, value in (("numFmtId", nf), *ids.items(), ("xfId", 0)):
            tag = set_attr(tag, name, str(value))
        xf = tag + xf[tag_end:]
        have = self.raw("cellXfs")
        for i, x in enumerate(have + self.new_xfs):
            if x == xf:
                self._adopted[key] = i
                return i
        self.xfs.append((nf, ids["fontId"], ids["fillId"], ids["borderId"], "0",
                         not xf.endswith("/>")))
        self.new_xfs.append(xf)
        self._raw["cellXfs"] = have  # the list as the part holds it, new ones apart
        index = len(self.xfs) - 1
        self.notes.append(f"styles: added cell format {index} from the layout book")
        self._adopted[key] = index
        return index

    def adopt_dxf(self, src: Styles, k: int) -> int:
        """A dxfs index here (the format a conditional format applies) equal to ``src``'s
        ``k``; added if missing."""
        key = (id(src), "dxf", k)
        if key not in self._adopted:
            items = src.raw("dxfs")
            self._adopted[key] = (self._adopt_item("dxfs", self._foreign(src, items[k]),
                                                   self.new_dxfs)
                                  if 0 <= k < len(items) else 0)
        return self._adopted[key]

    def changes(self) -> tuple[int, ...]:
        """How many of each thing were added (to tell whether anything was, since)."""
        return (len(self.new_numfmts), len(self.new_fonts), len(self.new_xfs),
                len(self.new_fills), len(self.new_borders), len(self.new_dxfs))

    @property
    def changed(self) -> bool:
        """Whether anything was added."""
        return bool(self.new_numfmts or self.new_fonts or self.new_xfs or self.new_fills
                    or self.new_borders or self.new_dxfs)

    def render(self) -> str:
        """The styles part with what was added."""
        text = self.text
        if self.new_numfmts:
            text = self._add_numfmts(text)
        if self.new_fonts:
            text = self._append_children(text, "fonts", self.new_fonts,
                                         self.n_fonts + len(self.new_fonts))
        if self.new_fills:
            text = self._append_children(text, "fills", self.new_fills,
                                         len(self.raw("fills")) + len(self.new_fills))
        if self.new_borders:
            text = self._append_children(text, "borders", self.new_borders,
                                         len(self.raw("borders")) + len(self.new_borders))
        if self.new_xfs:
            text = self._append_children(text, "cellXfs", self.new_xfs, len(self.xfs))
        if self.new_dxfs:
            count = len(self.raw("dxfs")) + len(self.new_dxfs)
            p = self.p
            if re.search(rf"<{p}dxfs(?=[\s/>])", text):
                text = self._append_children(text, "dxfs", self.new_dxfs, count)
            else:  # dxfs come after cellStyles, before tableStyles, colors and extLst
                m = re.search(rf"<{p}(?:tableStyles|colors|extLst)(?=[\s/>])|</{p}styleSheet>",
                              text)
                if m is None:
                    raise corrupt(self.path, "styles have no end", "样式部件没有结束标记")
                text = (text[:m.start()] + f'<{p}dxfs count="{count}">'
                        + "".join(self.new_dxfs) + f"</{p}dxfs>" + text[m.start():])
        return text

    def _add_numfmts(self, text: str) -> str:
        p, count = self.p, self.n_numfmts + len(self.new_numfmts)
        if re.search(rf"<{p}numFmts(?=[\s/>])", text):
            return self._append_children(text, "numFmts", self.new_numfmts, count)
        m = re.search(rf"<{p}(?:fonts|fills|borders|cellStyleXfs|cellXfs)(?=[\s/>])", text)
        if m is None:
            raise corrupt(self.path, "styles have no <fonts> list", "样式部件缺少 <fonts> 列表")
        return (text[:m.start()] + f'<{p}numFmts count="{count}">' + "".join(self.new_numfmts)
                + f"</{p}numFmts>" + text[m.start():])

    def _append_children(self, text: str, tag: str, items: list[str], count: int) -> str:
        """Insert ``items`` at the end of the first ``<tag>`` and set its ``count``."""
        p = self.p
        m = re.search(rf"<{p}{tag}(?=[\s/>])[^>]*>", text)
        if m is None:
            raise corrupt(self.path, f"styles have no <{tag}> list", f"样式部件缺少 <{tag}> 列表")
        open_tag = set_attr(m[0], "count", str(count))
        if open_tag.endswith("/>"):
            return (text[:m.start()] + open_tag[:-2].rstrip() + ">" + "".join(items)
                    + f"</{p}{tag}>" + text[m.end():])
        close = text.find(f"</{p}{tag}>", m.end())
        if close < 0:
            raise corrupt(self.path, f"styles: <{tag}> is not closed",
                          f"样式部件的 <{tag}> 没有结束标记")
        return (text[:m.start()] + open_tag + text[m.end():close] + "".join(items)
                + text[close:])
