"""Chinese phone numbers as matching keys.

The buyer's phone number is how a shop knows a customer, but every system writes it its
own way: ``138 0013 8000``, ``138-0013-8000``, ``+86 138 0013 8000``, ``0086…``,
``86-138…``, full-width ``１３８…``, ``="13800138000"``, a number cell ``13800138000.0``,
``(010) 1234-5678``, ``+86 10 1234 5678``. :func:`normalise_phone` turns each into one
key, so the same person is found whichever way the number was typed:

* **mobile** (``1[3-9]`` + 9 digits): the 11 digits; a ``+86`` / ``0086`` / ``86`` prefix
  or a trunk ``0`` in front is dropped;
* **landline** with an area code (``0`` + 9–11 digits): the digits, area code kept; after
  an explicit ``+86``/``0086`` the area code's ``0`` is put back (``+86 10 …`` =
  ``010…``); a local number without an area code (7–8 digits) keeps its digits too, so
  it only matches the same local number;
* **service** numbers (400/800) and any other 5–15 digits: the digits;
* **international** numbers (``+`` and another country code): ``+`` and the digits;
* **masked** numbers (``138****1234``, ``1******6198``): no key — they cannot identify
  anyone. :func:`mask_matches` says which known numbers fit the mask, for the message;
* anything else (words, too few digits): no key, kind ``invalid``.

An extension (``转 123``, ``ext. 12``, ``#12``) is not part of the key.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BLANK",
    "INTERNATIONAL",
    "INVALID",
    "LANDLINE",
    "MASKED",
    "MOBILE",
    "OTHER",
    "Phone",
    "find_phone_in_text",
    "mask_matches",
    "normalise_phone",
    "phone_keys",
]

MOBILE, LANDLINE, OTHER, INTERNATIONAL = "mobile", "landline", "other", "international"
MASKED, INVALID, BLANK = "masked", "invalid", "blank"

_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_LANDLINE_AREA = re.compile(r"0[1-9]\d{8,10}", re.ASCII)
_LANDLINE_LOCAL = re.compile(r"[2-9]\d{6,7}", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―.·•()\[\]{}/\\_~]+")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|extension|#)\s*\d{1,6}\s*$", re.IGNORECASE)
_MASK = re.compile(r"[*●•]|\d[xX×]{2,}\d|[xX×]{3,}\d|\d[xX×]{3,}", re.ASCII)
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)
_IN_TEXT = re.compile(r"(?<![\d*])(?:\+?86[\s\-]?|0086[\s\-]?)?(1[3-9]\d{9})(?![\d*])", re.ASCII)
#: cells that hold several numbers: "138…, 139…", "138… / 010-…", "138…；139…"
_SEVERAL = re.compile(r"[,;，；、|/]|\s或\s?|\s{2,}")


@dataclass(frozen=True)
class Phone:
    """A phone number as found, normalised.

    ``key`` is what two numbers are compared by (``None`` when the number cannot
    identify anyone: blank, masked or not a number); ``text`` is what is written to the
    Customers sheet's Phone column for a new customer; ``kind`` one of ``mobile``,
    ``landline``, ``other``, ``international``, ``masked``, ``invalid``, ``blank``.
    """

    key: str | None
    kind: str
    text: str


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return str(value)


def _clean(value: Any) -> str:
    text = unicodedata.normalize("NFKC", _as_text(value)).strip()
    m = _EXCEL_TEXT.match(text)
    if m:
        text = m.group(1).replace('""', '"').strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text


def normalise_phone(value: Any) -> Phone:
    """One phone number as a :class:`Phone` (see the module notes for the rules)."""
    text = _clean(value)
    if not text:
        return Phone(None, BLANK, "")
    if _MASK.search(text):
        return Phone(None, MASKED, text)
    body = _EXTENSION.sub("", text).strip()
    compact = _SEPARATORS.sub("", body)
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not _DIGITS.fullmatch(digits or "x"):
        return Phone(None, INVALID, text)
    explicit_cn = False
    if plus:
        if not digits.startswith("86"):
            if 7 <= len(digits) <= 15:
                return Phone("+" + digits, INTERNATIONAL, "+" + digits)
            return Phone(None, INVALID, text)
        digits, explicit_cn = digits[2:], True
    elif digits.startswith("0086"):
        digits, explicit_cn = digits[4:], True
    elif digits.startswith("86") and len(digits) == 13 and _MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    if digits.startswith("0") and _MOBILE.fullmatch(digits[1:]):
        digits = digits[1:]  # a trunk 0 dialled before a mobile
    if _MOBILE.fullmatch(digits):
        return Phone(digits, MOBILE, digits)
    if explicit_cn and not digits.startswith("0") and 9 <= len(digits) <= 11:
        digits = "0" + digits  # +86 10 … is 010 …
    if _LANDLINE_AREA.fullmatch(digits) or _LANDLINE_LOCAL.fullmatch(digits):
        return Phone(digits, LANDLINE, digits)
    if 5 <= len(digits) <= 15:
        return Phone(digits, OTHER, digits)
    return Phone(None, INVALID, text)


def phone_keys(value: Any) -> list[str]:
    """Every number's key in a cell that may hold several (``138…, 010-…``).

    For the Customers sheet, where staff type more than one number into Phone. A cell
    that is one number as a whole gives that number's key.
    """
    parts = [normalise_phone(p) for p in _SEVERAL.split(_clean(value)) if p.strip()]
    if len(parts) > 1 and all(p.key is not None for p in parts):
        return list(dict.fromkeys(p.key for p in parts if p.key is not None))
    whole = normalise_phone(value)
    if whole.key is not None:
        return [whole.key]
    return list(dict.fromkeys(p.key for p in parts if p.key is not None))


def find_phone_in_text(value: Any) -> Phone | None:
    """The one mobile number written inside a longer text, such as an address cell
    ``周强，86-13900000004，江苏省 扬州市 …``; ``None`` when there is none or several."""
    text = unicodedata.normalize("NFKC", _as_text(value))
    found = {m.group(1) for m in _IN_TEXT.finditer(text)}
    if len(found) != 1:
        return None
    number = found.pop()
    return Phone(number, MOBILE, number)


def mask_matches(masked: str, keys: Iterable[str]) -> list[str]:
    """The keys that fit a masked number (``138****1234`` fits ``13812341234``).

    Each ``*`` (or ``x``) stands for one digit when the mask is as long as the number;
    otherwise a run of them stands for any number of digits.
    """
    text = unicodedata.normalize("NFKC", masked).strip()
    text = _SEPARATORS.sub("", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not text or not re.fullmatch(r"[\d*●•xX×]+", text):
        return []
    exact = len(text) in (11, 12)
    parts = []
    for run in re.finditer(r"\d+|[*●•xX×]+", text):
        s = run.group(0)
        if s[0].isdigit():
            parts.append(s)
        else:
            parts.append(rf"\d{{{len(s)}}}" if exact else r"\d+")
    pattern = re.compile("".join(parts), re.ASCII)
    return [k for k in keys if pattern.fullmatch(k)]
