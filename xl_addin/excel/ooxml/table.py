"""Table parts (Excel Tables, ListObjects): a new one, or an existing one moved to a new
extent and renamed to new header texts, edited as text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .book import corrupt
from .package import parse
from .refs import ILLEGAL, escape_attr
from .xmltext import attr, local, root_prefix, set_attr, sub_first, to_int

__all__ = ["new_table_xml", "table_names", "update_table"]


def table_names(header: Sequence[Any]) -> list[str]:
    """Header texts made valid as table column names: non-empty and unique."""
    out: list[str] = []
    seen: set[str] = set()
    for j, v in enumerate(header):
        name = "" if v is None or (isinstance(v, float) and v != v) else str(v)
        name = ILLEGAL.sub("", name)[:255].strip() or f"Column{j + 1}"
        base, k = name, 2
        while name.casefold() in seen:
            name = f"{base}{k}"
            k += 1
        seen.add(name.casefold())
        out.append(name)
    return out


def _column(p: str, column_id: int, name: str) -> str:
    return f'<{p}tableColumn id="{column_id}" name="{escape_attr(name)}"/>'


def new_table_xml(main_ns: str, table_id: int, name: str, ref: str,
                  columns: Sequence[str]) -> str:
    """A new table part: a header row, no totals row, Excel's default table style;
    ``columns`` are column names (see :func:`table_names`)."""
    cols = "".join(_column("", j + 1, c) for j, c in enumerate(columns))
    name = escape_attr(name)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<table xmlns="{main_ns}" id="{table_id}" name="{name}" displayName="{name}" '
        f'ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
        f'<tableColumns count="{len(columns)}">{cols}</tableColumns>'
        '<tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" '
        'showRowStripes="1" showColumnStripes="0"/></table>'
    )


def update_table(text: str, ref: str, names: list[str] | None, path: Path, part: str) -> str:
    """A table part with a new ``ref`` (and autoFilter), and column names if given."""
    p = root_prefix(text, "table")
    m = re.search(rf"<{p}table(?=[\s/>])[^>]*>", text)
    if m is None:
        raise corrupt(path, f"{part} is not a table part", f"{part} 不是表格部件")
    text = text[:m.start()] + set_attr(m[0], "ref", ref) + text[m.end():]
    text = sub_first(rf"<{p}autoFilter(?=[\s/>])[^>]*>", text,
                     lambda tag: set_attr(tag, "ref", ref))
    if names is None:
        return text
    # a rewritten table: forget the last sort, drop filters on columns that are gone
    text = re.sub(rf"<{p}sortState(?=[\s/>])[^>]*?(?:/>|>.*?</{p}sortState>)", "", text,
                  flags=re.S)

    def keep_filter(fm: re.Match[str]) -> str:
        return fm[0] if to_int(attr(fm[1], "colId")) < len(names) else ""

    text = re.sub(rf"<{p}filterColumn(?=[\s/>])([^>]*?)(?:/>|>.*?</{p}filterColumn>)",
                  keep_filter, text, flags=re.S)
    bm = re.search(rf"(<{p}tableColumns(?=[\s/>])[^>]*?)(/?)>", text)
    if bm is None:
        raise corrupt(path, f"{part} has no tableColumns", f"{part} 缺少 tableColumns")
    if bm[2]:
        inner_start = inner_end = bm.end()
        close_end = bm.end()
    else:
        inner_start = bm.end()
        inner_end = text.find(f"</{p}tableColumns>", inner_start)
        if inner_end < 0:
            raise corrupt(path, f"{part}: tableColumns is not closed",
                          f"{part} 的 tableColumns 没有结束标记")
        close_end = inner_end + len(f"</{p}tableColumns>")
    items = re.findall(rf"<{p}tableColumn(?=[\s/>])[^>]*?(?:/>|>.*?</{p}tableColumn>)",
                       text[inner_start:inner_end], re.S)
    tree = parse(text.encode("utf-8", "surrogateescape"), path, part)
    old_names = [el.get("name") or "" for el in tree.iter() if local(el.tag) == "tableColumn"]
    ids = [to_int(attr(re.match(r"<[^>]*>", it)[0], "id")) for it in items]  # type: ignore[index]
    if len(old_names) != len(items):
        raise corrupt(path, f"{part}: cannot read its columns", f"{part}：无法读取其列")

    def renamed(item: str, name: str) -> str:
        tag = re.match(r"<[^>]*>", item)[0]  # type: ignore[index]
        return set_attr(tag, "name", escape_attr(name)) + item[len(tag):]

    if len(items) == len(names):
        new_items = [renamed(it, nm) for it, nm in zip(items, names, strict=True)]
    else:
        free = {nm.casefold(): k for k, nm in reversed(list(enumerate(old_names)))}
        next_id = max(ids, default=0) + 1
        new_items = []
        for nm in names:
            k = free.pop(nm.casefold(), None)
            if k is not None:
                new_items.append(renamed(items[k], nm))
            else:
                new_items.append(_column(p, next_id, nm))
                next_id += 1
    open_tag = set_attr(bm[1] + ">", "count", str(len(names)))
    return (text[:bm.start()] + open_tag + "".join(new_items) + f"</{p}tableColumns>"
            + text[close_end:])
