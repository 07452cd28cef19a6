"""Import orders from till and online-shop exports (CSV or .xlsx) into the book.

The pure engine behind ``customerbook import BOOK EXPORT`` and the Dashboard's import
button; it reads files and plans, and never writes a workbook:

* :func:`normalise_phone` (:mod:`.phones`) — a phone number as a matching key.

Messages are in both languages (:mod:`.messages`), keyed by code.
"""

from __future__ import annotations

from .messages import CATALOGUE, Both, ImportFileError, RowIssue, render
from .phones import Phone, find_phone_in_text, mask_matches, normalise_phone, phone_keys

__all__ = [
    "CATALOGUE",
    "Both",
    "ImportFileError",
    "Phone",
    "RowIssue",
    "find_phone_in_text",
    "mask_matches",
    "normalise_phone",
    "phone_keys",
    "render",
]
