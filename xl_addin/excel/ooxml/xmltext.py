"""Editing XML as text: read and set attributes of one start tag, find a root's prefix.

Parts that are written back are edited as text, never re-serialised from a tree, so that
everything not edited stays byte for byte as it was. These helpers work on the text of
start tags (``<c r="A1" s="3">``) and on whole parts, with regular expressions that
respect attribute boundaries (``r`` never matches ``ref``) and either quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["attr", "drop_attr", "local", "ns", "root_prefix", "set_attr", "sub_first",
           "to_int", "truthy"]

_ATTR_RX: dict[str, re.Pattern[str]] = {}


def _attr_rx(name: str) -> re.Pattern[str]:
    rx = _ATTR_RX.get(name)
    if rx is None:
        rx = re.compile(r"(?<![\w:.\-])" + re.escape(name) + r"\s*=\s*([\"'])(.*?)\1", re.S)
        _ATTR_RX[name] = rx
    return rx


def attr(attrs: str, name: str) -> str | None:
    """The raw value of attribute ``name`` in the text of a start tag (or None)."""
    m = _attr_rx(name).search(attrs)
    return m[2] if m else None


def set_attr(tag: str, name: str, value: str) -> str:
    """Set attribute ``name`` in the text of one start tag, keeping everything else."""
    rx = _attr_rx(name)
    m = rx.search(tag)
    if m:
        return f"{tag[:m.start(2)]}{value}{tag[m.end(2):]}"
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end]} {name}="{value}"{tag[end:]}'


def drop_attr(tag: str, name: str) -> str:
    """The start tag without attribute ``name``."""
    return re.sub(r"\s+(?<![\w:.\-])" + re.escape(name) + r"\s*=\s*([\"']).*?\1", "", tag,
                  count=1, flags=re.S)


def local(tag: str) -> str:
    """An ElementTree tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def ns(tag: str) -> str:
    """The namespace of an ElementTree tag (``""`` when it has none)."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def truthy(v: str | None) -> bool:
    """An XML boolean attribute's value: ``1``, ``true`` or ``on``."""
    return (v or "").strip().lower() in {"1", "true", "on"}


def to_int(v: str | None) -> int:
    """An integer attribute's value: 0 when absent, -1 when it is not a number."""
    try:
        return int(v or 0)
    except ValueError:
        return -1


def root_prefix(text: str, name: str) -> str:
    """``"x:"`` when the root element is written ``<x:name``, else ``""``."""
    m = re.search(r"<(?:([A-Za-z_][\w.\-]*):)?" + name + r"(?=[\s>/])", text)
    return f"{m[1]}:" if m and m[1] else ""


def sub_first(pattern: str, text: str, repl: Callable[[str], str],
              stop: int | None = None) -> str:
    """Replace the first start tag matching ``pattern`` (before ``stop``) via ``repl``."""
    m = re.compile(pattern, re.S).search(text, 0, len(text) if stop is None else stop)
    if not m:
        return text
    return text[:m.start()] + repl(m[0]) + text[m.end():]
