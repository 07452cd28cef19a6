"""A1 references, column letters, Excel day numbers in both date systems, text escaping."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from xl_addin.excel.ooxml import refs

D = dt.date


# --------------------------------------------------------------------------- columns and refs
@pytest.mark.parametrize(("n", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"),
                                            (53, "BA"), (702, "ZZ"), (703, "AAA"),
                                            (16_384, "XFD")])
def test_column_letters(n: int, letters: str) -> None:
    assert refs.col_letter(n) == letters
    assert refs.col_number(letters) == n
    assert refs.col_number(letters.lower()) == n
    assert refs.col_number(letters.encode()) == n  # as found in sheet XML


def test_every_column_round_trips() -> None:
    assert all(refs.col_number(refs.col_letter(n)) == n for n in range(1, refs.MAX_COLS + 1))
    assert refs.col_letter(refs.MAX_COLS) == "XFD"


@pytest.mark.parametrize(("text", "corners", "back"), [
    ("B2:D9", (2, 2, 4, 9), "B2:D9"),
    ("A1", (1, 1, 1, 1), "A1"),
    ("$A$1:$XFD$1048576", (1, 1, 16_384, 1_048_576), "A1:XFD1048576"),
    (" c3 ", (3, 3, 3, 3), "C3"),
])
def test_a1_references_round_trip(text: str, corners: tuple[int, int, int, int],
                                  back: str) -> None:
    assert refs.parse_ref(text) == corners
    assert refs.ref(*corners) == back
    assert refs.parse_ref(refs.ref(*corners)) == corners


def test_a_single_cell_as_a_range_and_what_is_no_reference() -> None:
    assert refs.ref(2, 3, 2, 3, single=False) == "B3:B3"
    for bad in ("", "A", "1", "A1:B", "ABCD1", "R1C1", "Sheet1!A1"):
        assert refs.parse_ref(bad) is None, bad
    m = refs.CELL_REF.match("$AB$12")
    assert m is not None and (m[1], m[2]) == ("AB", "12")


# --------------------------------------------------------------------------- day numbers
KNOWN_1900 = [(D(1900, 1, 1), 1), (D(1900, 2, 28), 59), (D(1900, 3, 1), 61),
              (D(1970, 1, 1), 25_569), (D(2000, 1, 1), 36_526), (D(2026, 3, 5), 46_086),
              (D(9999, 12, 31), 2_958_465)]
KNOWN_1904 = [(D(1904, 1, 1), 0), (D(1904, 1, 2), 1), (D(2026, 3, 5), 44_624),
              (D(9999, 12, 31), 2_957_003)]


@pytest.mark.parametrize(("day", "serial"), KNOWN_1900, ids=[str(d) for d, _s in KNOWN_1900])
def test_serials_1900(day: dt.date, serial: int) -> None:
    assert refs.date_serial(day) == serial
    assert refs.date_serial(day, date1904=False) == serial
    assert refs.serial_date(serial) == day
    assert refs.serial_date(serial + 0.75) == day  # the time of day is dropped


@pytest.mark.parametrize(("day", "serial"), KNOWN_1904, ids=[str(d) for d, _s in KNOWN_1904])
def test_serials_1904(day: dt.date, serial: int) -> None:
    assert refs.date_serial(day, date1904=True) == serial
    assert refs.serial_date(serial, date1904=True) == day


def test_the_1900_leap_year_quirk_and_days_excel_cannot_show() -> None:
    assert refs.serial_date(60) is None  # 1900-02-29 never was
    assert refs.date_serial(D(1899, 12, 31)) is None
    assert refs.date_serial(D(1903, 12, 31), date1904=True) is None
    assert refs.date_serial(dt.datetime(2026, 3, 5, 18, 30)) == 46_086
    for bad in (0, -1, 2_958_466, float("nan"), float("inf")):
        assert refs.serial_date(bad) is None, bad
    assert refs.serial_date(-1, date1904=True) is None


def test_days_round_trip_in_both_systems() -> None:
    for date1904, first in ((False, D(1900, 1, 1)), (True, D(1904, 1, 1))):
        day = first
        while day.year < 2101:
            serial = refs.date_serial(day, date1904)
            assert serial is not None and refs.serial_date(serial, date1904) == day, day
            day += dt.timedelta(days=37)


def test_serials_of_an_array_match_one_by_one() -> None:
    days = [D(1900, 1, 1), D(1900, 2, 28), D(1900, 3, 1), D(2026, 3, 5), D(1899, 12, 31)]
    unix = np.array([(d - D(1970, 1, 1)).days for d in days], dtype=np.int64)
    got = refs.date_serials(unix).tolist()
    assert got[:4] == [refs.date_serial(d) for d in days[:4]]
    assert got[4] < 1  # no such Excel date


# --------------------------------------------------------------------------- text
@pytest.mark.parametrize(("text", "content", "attribute"), [
    ("plain", "plain", "plain"),
    ('a & b < c > "d"', "a &amp; b &lt; c &gt; &quot;d&quot;",
     "a &amp; b &lt; c &gt; &quot;d&quot;"),
    ("bell\x07nul\x00", "bellnul", "bellnul"),
    ("cr\r\nlf\ttab", "cr&#13;\nlf\ttab", "cr&#13;&#10;lf&#9;tab"),
    ("a_x000D_b", "a_x005F_x000D_b", "a_x005F_x000D_b"),
    ("lone \ud800 surrogate", "lone  surrogate", "lone  surrogate"),
])
def test_escaping(text: str, content: str, attribute: str) -> None:
    assert refs.escape_text(text) == content
    assert refs.escape_attr(text) == attribute
    assert (refs.NEEDS_ESCAPE(text) is None) == (text == content)


def test_text_is_cut_at_excels_limit() -> None:
    assert len(refs.escape_text("x" * 40_000)) == refs.MAX_TEXT == 32_767
    assert refs.ILLEGAL.sub("", "a\x0bb\uffff") == "ab"


def test_each_kind_has_a_number_format() -> None:
    assert refs.KIND_NUMFMT["date"] == refs.NUMFMT_DATE == 14
    assert refs.KIND_NUMFMT["money"] == 4 and refs.KIND_NUMFMT["text"] == 0
    assert all(k in refs.KINDS_HELP for k in refs.KIND_NUMFMT)
