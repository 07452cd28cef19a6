"""Each book speaks one language: what a refresh writes is English in an English book
(no Chinese, no full-width punctuation) and Chinese in a Chinese one (no English prose;
the only Latin words are the names of the models and measures, which have no Chinese
name in the sources either).

Checked on the shipped workbooks as they are and a year and a half later (when other
reasons, statuses and model notes appear), and on the small test books, through the
real refresh.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from support.books import en_sheets, write_book, zh_sheets

from tools.card import MARKER as CARD_MARKER  # the card's hidden marker cell (J1)
from xl_addin.macros import refresh_file
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS, OUTPUT_SHEETS

ROOT = Path(__file__).resolve().parents[1]
#: CJK ideographs, CJK punctuation (、。「」…) and the full-width forms (：，（）％ …)
NOT_ENGLISH = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
#: Latin words a Chinese book may show: model and measure names, the product's name
NAMES = {"BG", "NBD", "MBG", "Pareto", "Gamma", "Brier", "RFM", "ABC", "CLV", "CustomerBook",
         "MAE", "LL", "Auto", "Python"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _texts(path: Path, lang: str) -> dict[tuple[str, int, int], str]:
    """Every text cell of the output sheets: (sheet, row, column as Excel shows) -> text."""
    wb = CalamineWorkbook.from_path(str(path))
    names = {s.label(lang) for s in OUTPUT_SHEETS}
    out = {}
    for sheet in wb.sheet_names:
        if sheet not in names:
            continue
        for r, row in enumerate(wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)):
            for c, v in enumerate(row):
                if isinstance(v, str) and v.strip() and v != CARD_MARKER:
                    out[(sheet, r + 1, c + 1)] = v
    return out


def _check(path: Path, lang: str, data_words: set[str]) -> int:
    texts = _texts(path, lang)
    assert len(texts) > 50, "the outputs were written"
    if lang == "en":
        bad = {k: v for k, v in texts.items() if NOT_ENGLISH.search(v)}
    else:
        bad = {k: v for k, v in texts.items()
               if set(LATIN_WORD.findall(v)) - NAMES - data_words}
    assert bad == {}, list(bad.items())[:10]
    return len(texts)


def _data_words(path: Path, lang: str) -> set[str]:
    """Latin words the user's own data holds (names, products, notes): theirs to show."""
    wb = CalamineWorkbook.from_path(str(path))
    words: set[str] = set()
    for sheet in {s.label(lang) for s in (CUSTOMERS, ORDERS, CONTACTS)} & set(wb.sheet_names):
        for row in wb.get_sheet_by_name(sheet).to_python():
            for v in row:
                if isinstance(v, str):
                    words |= set(LATIN_WORD.findall(v))
    return words


@pytest.mark.parametrize("book,lang", [("CustomerBook.xlsm", "zh-CN"),
                                       ("CustomerBook-en.xlsm", "en")])
@pytest.mark.parametrize("later", [0, 540])
def test_the_shipped_books_speak_one_language(tmp_path, book, lang, later):
    src = ROOT / "workbook" / book
    out = tmp_path / book
    as_of = None
    if later:
        first = refresh_file(src, tmp_path / "first.xlsm")
        as_of = first.outputs.as_of + dt.timedelta(days=later)
    refresh_file(src, out, as_of=as_of)
    # the shipped books' data is in the book's language too: no word is excused
    if lang == "zh-CN":
        assert _data_words(src, lang) == set()
    assert _check(out, lang, set()) > 500


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_small_book_speaks_its_language(tmp_path, lang):
    sheets = zh_sheets() if lang == "zh-CN" else en_sheets()
    book = write_book(tmp_path / "b.xlsx", sheets)
    out = tmp_path / "o.xlsx"
    refresh_file(book, out)
    _check(out, lang, _data_words(book, lang) if lang == "zh-CN" else set())


def test_the_checks_see_a_mixed_book(tmp_path):
    """The check itself fails on a book whose outputs mix the languages."""
    book = write_book(tmp_path / "b.xlsx", en_sheets())
    out = tmp_path / "o.xlsx"
    refresh_file(book, out)
    texts = _texts(out, "en")
    assert not any(NOT_ENGLISH.search(v) for v in texts.values())
    assert NOT_ENGLISH.search("Overdue：2 days") and NOT_ENGLISH.search("逾期")
    assert set(LATIN_WORD.findall("逾期 2 天，call again")) - NAMES == {"call", "again"}
