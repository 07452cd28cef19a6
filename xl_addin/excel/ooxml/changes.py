"""What one write does to a package, collected part by part before the new zip is
assembled: members changed, added and removed, edited tables, regenerated sheets, and
notes in words for the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from .package import Package
from .styles import Styles
from .zipout import Blob, SideWriter

__all__ = ["Changes"]


@dataclass
class Changes:
    """The edits of one write. Generated sheets are deflated into the side file at once;
    small parts are kept as bytes (or text, for tables edited more than once)."""

    pkg: Package
    side: SideWriter
    styles: Styles
    changed: dict[str, Blob | bytes] = field(default_factory=dict)  #: member -> new data
    added: list[tuple[str, Blob | bytes]] = field(default_factory=list)  #: after the rest
    removed: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)  #: table part -> edited XML
    sheets: dict[str, Blob] = field(default_factory=dict)  #: sheet part -> regenerated
    #: content types of added parts other than sheets: (part, content type)
    overrides: list[tuple[str, str]] = field(default_factory=list)
    #: defined names of created sheets: (attributes of the start tag, formula as XML text)
    names: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def start(cls, pkg: Package, side: IO[bytes]) -> Changes:
        """No changes yet to ``pkg``; generated parts go to the file ``side``."""
        styles = Styles(pkg.text(pkg.styles_part) if pkg.styles_part else None,
                        pkg.main_ns, pkg.path)
        return cls(pkg, SideWriter(side), styles)

    def table_xml(self, part: str) -> str:
        """A table part as edited so far."""
        if part not in self.tables:
            self.tables[part] = self.pkg.text(part)
        return self.tables[part]
