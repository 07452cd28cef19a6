"""SpreadsheetML packages: surgical writing of workbook files, and writing new big ones.

Loading a workbook with openpyxl and saving it again silently drops what openpyxl does
not model (shapes, form-control buttons, ribbon customisations, x14 validation and
conditional-format extensions, slicers, sparklines, threaded comments, cached values)
and needs minutes and gigabytes for a million-row sheet. This package never does that.
:func:`write_book` copies every zip member it does not need to touch *as compressed
bytes* (no inflate, no deflate), rewrites only ``<sheetData>`` (plus ``<dimension>`` and
``<autoFilter ref>``) of each output sheet by string splicing, appends rows to an input
table, and makes the few small edits that creating a sheet requires. The new package is
built in a temporary file next to the destination and moved over it atomically.

XML that has to be understood as a tree (workbook, relationships, content types, table
and style parts) is parsed with :mod:`defusedxml`; parts that are written back are edited
as text, so everything not edited stays byte-for-byte as it was.

Public API: :func:`inspect_book`, :func:`fingerprint`, :func:`write_book` and the
dataclasses :class:`TableInfo`, :class:`BookInfo`, :class:`OutputSheet`, :class:`Append`,
:class:`WriteReport`. Every problem with the file raises
:class:`~xl_addin.errors.BookError`; mistakes by the calling code raise ``ValueError`` or
``TypeError``.

One module per concern, the way the parts of a package are:

* :mod:`.refs` — Excel's limits, A1 references, day numbers, text escaping, column kinds
* :mod:`.xmltext` — editing attributes of start tags as text
* :mod:`.package` — opening a package, every guard, the structure; reading parts
* :mod:`.book` — what a book holds (sheets, Tables) and the errors about a book
* :mod:`.styles`, :mod:`.cells`, :mod:`.worksheet`, :mod:`.table`, :mod:`.parts` — the
  styles part, cells, worksheet parts, table parts, workbook/relationships/content types
* :mod:`.zipout` — the zip writer (raw member copy, the threaded deflater)
* :mod:`.replace` — temporary file, lock, fsync, atomic replace, backups
* :mod:`.changes`, :mod:`.output`, :mod:`.append`, :mod:`.writer` — one edit of a book
* :mod:`.charts` — the charts on a sheet: series pointed at a sheet, cut to their rows
* :mod:`.layout` — a created sheet gets a layout book's sheet (view, print, charts …)
* :mod:`.newbook` — a new book of Tables at Excel's row limit (the big demo books)
"""

from __future__ import annotations

from .append import Append
from .book import BookInfo, TableInfo
from .layout import LayoutBook, LayoutSheet
from .output import OutputSheet
from .package import fingerprint, inspect_book
from .refs import MAX_COLS, MAX_ROWS
from .writer import WriteReport, write_book

__all__ = [
    "MAX_COLS",
    "MAX_ROWS",
    "Append",
    "BookInfo",
    "LayoutBook",
    "LayoutSheet",
    "OutputSheet",
    "TableInfo",
    "WriteReport",
    "fingerprint",
    "inspect_book",
    "write_book",
]
