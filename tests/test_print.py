"""The printed pages, as LibreOffice prints them (A4): the call list staff work from every
day, the follow-ups and the analysis, in the shipped workbooks and in a user's own book.

Each check reads LibreOffice's PDF: the size of every piece of text (pymupdf spans), and
the text of each printed column on each page, cut at the printed gridlines, so that a
cell's wrapped lines read in order and a line the row is too short for is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import python_calamine as pc

from tools.build import workbook_path
from tools.docs import own_book
from tools.libreoffice import find_soffice, render
from xl_addin.macros import refresh_file
from xl_addin.names import ANALYSIS, CALLLIST, FOLLOWUPS, PRINTED_COLUMNS

pymupdf = pytest.importorskip("pymupdf")

pytestmark = [
    pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) is not installed; "
                       ".ci/run installs libreoffice-calc-nogui"),
    pytest.mark.libreoffice,
]

A4_LANDSCAPE = (841.9, 595.3)
MIN_PT = 9.0
LANGS = ["zh-CN", "en"]


def _squeeze(text: object) -> str:
    return re.sub(r"\s+", "", str(text or ""))


def _sheet(book: Path, name: str) -> list[dict[str, object]]:
    wb = pc.CalamineWorkbook.from_path(str(book))
    try:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        wb.close()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v != "" for v in r)]


class Page:
    """One printed page: its size, its text sizes, and the text of each printed column."""

    def __init__(self, page) -> None:
        self.width, self.height = page.rect.width, page.rect.height
        self.sizes = [span["size"] for block in page.get_text("dict")["blocks"]
                      for line in block.get("lines", []) for span in line["spans"]
                      if span["text"].strip()]
        xs: list[float] = []
        top, bottom = self.height, 0.0
        for drawing in page.get_drawings():
            for item in drawing["items"]:
                if item[0] == "l":
                    a, b = item[1], item[2]
                    if abs(a.x - b.x) < 0.5 and abs(a.y - b.y) > 5:
                        xs.append(a.x)
                        top, bottom = min(top, a.y, b.y), max(bottom, a.y, b.y)
                elif item[0] == "re" and item[1].width < 1.5 and item[1].height > 5:
                    xs.append(item[1].x0)
                    top, bottom = min(top, item[1].y0), max(bottom, item[1].y1)
        edges: list[float] = []
        for x in sorted(xs):  # the printed gridlines: one edge per column boundary
            if not edges or x - edges[-1] > 1.0:
                edges.append(x)
        self.edges = edges
        columns: list[list[tuple[float, float, str]]] = [[] for _ in range(max(len(edges) - 1, 0))]
        for x0, y0, _x1, _y1, text, *_ in page.get_text("words"):
            if not top - 1 <= y0 <= bottom:
                continue  # the footer
            for j in range(len(columns)):
                if edges[j] - 1 <= x0 < edges[j + 1]:
                    columns[j].append((round(y0, 0), x0, text))
                    break
        self.columns = ["".join(t for _y, _x, t in sorted(c)) for c in columns]
        self.lines = [[t for _y, _x, t in sorted(c)] for c in columns]


def _pages(pdf: Path) -> list[Page]:
    with pymupdf.open(pdf) as doc:
        return [Page(p) for p in doc]


@pytest.fixture(scope="module")
def own_book_out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("own")
    out = folder / "own-out.xlsx"
    refresh_file(own_book(folder / "own.xlsx"), out)
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory, own_book_out):
    """(book, sheet) -> the PDF LibreOffice prints, for each book and sheet checked."""
    folder = tmp_path_factory.mktemp("pdf")
    out = {}
    books = {lang: workbook_path(lang) for lang in LANGS} | {"own": own_book_out}
    for key, book in books.items():
        lang = "en" if key == "en" else "zh-CN"
        sheets = [s.label(lang) for s in (CALLLIST, FOLLOWUPS, ANALYSIS)]
        for sheet, pdf in zip(sheets, render(book, folder / key, sheets, fmt="pdf"),
                              strict=True):
            out[key, sheet] = (book, pdf)
    return out


def _calllist(printed, key: str):
    lang = "en" if key == "en" else "zh-CN"
    book, pdf = printed[key, CALLLIST.label(lang)]
    return lang, _sheet(book, CALLLIST.label(lang)), _pages(pdf)


@pytest.mark.parametrize("key", [*LANGS, "own"])
def test_call_list_prints_readable_on_a4_landscape(printed, key):
    lang, rows, pages = _calllist(printed, key)
    assert rows and pages
    for page in pages:
        assert (round(page.width, 0), round(page.height, 0)) == (842, 595)  # A4 landscape
        assert min(page.sizes) >= MIN_PT, f"text at {min(page.sizes):.1f} pt"
        # the working columns, and only those, on the page
        assert len(page.columns) == PRINTED_COLUMNS["CallList"]


@pytest.mark.parametrize("key", [*LANGS, "own"])
def test_each_owner_starts_a_new_page_in_rank_order_with_the_header(printed, key):
    lang, rows, pages = _calllist(printed, key)
    header = [c.label(lang) for c in CALLLIST.columns[:PRINTED_COLUMNS["CallList"]]]
    owner_col, rank_col = 0, 1
    owners = list(dict.fromkeys(str(r[header[owner_col]]) for r in rows))
    seen: list[str] = []
    next_rank: dict[str, int] = {}
    for page in pages:
        for j, label in enumerate(header):  # the header row, repeated on every page
            assert page.columns[j].startswith(_squeeze(label)), (label, page.lines[j][:2])
        on_page = {o for o in owners if _squeeze(o) in page.columns[owner_col]}
        assert len(on_page) == 1, f"owners on one page: {on_page}"
        owner = on_page.pop()
        if not seen or seen[-1] != owner:
            assert owner not in seen, f"{owner} comes back on a later page"
            seen.append(owner)
        ranks = [int(w) for w in page.lines[rank_col] if w.isdigit()]
        first = next_rank.get(owner, 1)
        assert ranks == list(range(first, first + len(ranks))), (owner, ranks)
        next_rank[owner] = first + len(ranks)
    assert seen == owners
    assert sum(next_rank.values()) - len(next_rank) == len(rows)


@pytest.mark.parametrize("key", [*LANGS, "own"])
def test_no_call_list_text_is_cut_off(printed, key):
    """Every row's name, reason, why and script appear whole on the page of its rank."""
    lang, rows, pages = _calllist(printed, key)
    cols = [c.key for c in CALLLIST.columns[:PRINTED_COLUMNS["CallList"]]]
    label = {c.key: c.label(lang) for c in CALLLIST.columns}
    by_place = {(str(r[label["Owner"]]), int(r[label["Rank"]])): r for r in rows}
    checked = 0
    for page in pages:
        owner = next(o for o, _rank in by_place if _squeeze(o) in page.columns[0])
        ranks = [int(w) for w in page.lines[1] if w.isdigit()]
        for rank in ranks:
            row = by_place[owner, rank]
            for key_ in ("Name", "Reason", "Why", "Script"):
                text = _squeeze(row[label[key_]])
                assert text in page.columns[cols.index(key_)], (owner, rank, key_, text)
                checked += 1
    assert checked == 4 * len(rows)


@pytest.mark.parametrize("key", [*LANGS, "own"])
@pytest.mark.parametrize("spec", [FOLLOWUPS, ANALYSIS], ids=["FollowUps", "Analysis"])
def test_follow_ups_and_analysis_print_one_page_wide_with_the_header(printed, key, spec):
    lang = "en" if key == "en" else "zh-CN"
    book, pdf = printed[key, spec.label(lang)]
    pages = _pages(pdf)
    rows = _sheet(book, spec.label(lang))
    printed_cols = PRINTED_COLUMNS.get(spec.key, len(spec.columns))
    first_label = spec.columns[0].label(lang)
    last_label = spec.columns[printed_cols - 1].label(lang)
    ids = [str(r[first_label]) for r in rows]
    found = []
    for page in pages:
        assert (round(page.width, 0), round(page.height, 0)) == (842, 595)
        assert min(page.sizes) >= MIN_PT, f"text at {min(page.sizes):.1f} pt"
        with pymupdf.open(pdf) as doc:
            text = _squeeze(doc[pages.index(page)].get_text())
        # one page wide: the first and the last printed column on every page, header too
        assert _squeeze(first_label) in text and _squeeze(last_label) in text
        found += [w for w in ids if w in text]
    assert set(found) == set(ids)  # every row printed, none on a second page across
