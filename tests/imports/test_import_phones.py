"""Phone numbers as matching keys: every way a number is written gives one key."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_addin.domain.phones import (
    BLANK,
    INTERNATIONAL,
    INVALID,
    LANDLINE,
    MASKED,
    MOBILE,
    find_phone_in_text,
    mask_matches,
    normalise_phone,
    phone_keys,
)

FULL_WIDTH = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")


@pytest.mark.parametrize("written", [
    "13800138000", "138 0013 8000", "138-0013-8000", "138.0013.8000", "+86 138 0013 8000",
    "+8613800138000", "0086 138 0013 8000", "86-13800138000", "8613800138000",
    "(+86) 138-0013-8000", "013800138000", "１３８００１３８０００", "＋８６　１３８００１３８０００",
    '="13800138000"', "'13800138000", 13800138000.0, 13800138000, "138 0013 8000 转 12",
])
def test_one_mobile_written_every_way_is_one_key(written):
    p = normalise_phone(written)
    assert (p.key, p.kind, p.text) == ("13800138000", MOBILE, "13800138000")


@pytest.mark.parametrize("written", [
    "010-65521234", "(010) 6552-1234", "010 6552 1234", "+86 10 6552 1234", "0086-10-65521234",
])
def test_a_landline_keeps_its_area_code(written):
    assert normalise_phone(written) == normalise_phone("01065521234")
    assert normalise_phone(written).kind == LANDLINE
    assert normalise_phone(written).key == "01065521234"


def test_other_kinds():
    assert normalise_phone("0755-8888-6666").key == "075588886666"
    assert normalise_phone("6552 1234").kind == LANDLINE  # local, no area code
    assert normalise_phone("+1 (415) 555-0100") == normalise_phone("+14155550100")
    assert normalise_phone("+1 (415) 555-0100").kind == INTERNATIONAL
    assert normalise_phone("400-800-1234").key == "4008001234"
    for blank in (None, "", "  ", float("nan")):
        assert normalise_phone(blank).kind == BLANK
    for bad in ("abc", "无", "12", "电话待补"):
        p = normalise_phone(bad)
        assert p.key is None and p.kind == INVALID and p.text == bad


@pytest.mark.parametrize("masked", ["138****1234", "1******6198", "138xxxx1234", "１３８＊＊＊＊１２３４"])
def test_masked_numbers_have_no_key(masked):
    p = normalise_phone(masked)
    assert p.key is None and p.kind == MASKED


def test_what_a_mask_could_be():
    keys = ["13812341234", "13800001234", "13912341234", "13600136000"]
    assert mask_matches("138****1234", keys) == ["13812341234", "13800001234"]
    assert mask_matches("136****6000", keys) == ["13600136000"]
    assert mask_matches("1******6198", keys) == []
    assert mask_matches("not a mask", keys) == []


def test_a_cell_with_several_numbers():
    assert phone_keys("13700137000, 0755-8888-6666") == ["13700137000", "075588886666"]
    assert phone_keys("138 0013 8000 / 010-65521234") == ["13800138000", "01065521234"]
    assert phone_keys("6552123/6552124") == ["6552123", "6552124"]
    assert phone_keys("+86 138 0013 8000") == ["13800138000"]
    assert phone_keys("") == []


def test_a_number_inside_an_address():
    found = find_phone_in_text("周强，86-15000150001，江苏省 扬州市 广陵区 文昌路8号")
    assert found is not None and found.key == "15000150001"
    assert find_phone_in_text("北京市朝阳区 100020") is None
    assert find_phone_in_text("13800138000 或 13900139000") is None  # two: not one buyer


# --------------------------------------------------------------- the property
mobiles = st.builds(lambda second, rest: f"1{second}{rest}",
                    st.sampled_from("3456789"),
                    st.text("0123456789", min_size=9, max_size=9))
PREFIXES = ["", "+86", "+86 ", "+86-", "(+86) ", "0086", "0086 ", "86", "86-", "0"]
SEPARATORS = ["", " ", "-", ".", "\u3000", " - "]


@st.composite
def written_mobiles(draw):
    number = draw(mobiles)
    sep = draw(st.sampled_from(SEPARATORS))
    body = sep.join((number[:3], number[3:7], number[7:]))
    text = draw(st.sampled_from(PREFIXES)) + body
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    wrap = draw(st.sampled_from(["none", "excel", "apostrophe", "spaces", "number"]))
    if wrap == "excel":
        text = f'="{text}"'
    elif wrap == "apostrophe":
        text = "'" + text
    elif wrap == "spaces":
        text = f"  {text}\t"
    elif wrap == "number" and unicodedata.normalize("NFKC", text).isdigit():
        return number, float(unicodedata.normalize("NFKC", text))
    return number, text


@settings(max_examples=300, derandomize=True, deadline=None)
@given(written_mobiles())
def test_every_way_of_writing_a_mobile_gives_its_key(case):
    number, written = case
    p = normalise_phone(written)
    assert p.key == number, (written, p)
    assert p.kind == MOBILE
    assert phone_keys(written) == [number]


AREAS = ["010", "020", "021", "0571", "0755", "0931"]


@st.composite
def written_landlines(draw):
    area = draw(st.sampled_from(AREAS))
    local = draw(st.sampled_from("2345678")) + draw(st.text("0123456789", min_size=7,
                                                            max_size=7))
    half = len(local) // 2
    forms = [f"{area}-{local}", f"({area}) {local[:half]}-{local[half:]}",
             f"{area} {local[:half]} {local[half:]}", f"+86 {area[1:]} {local}",
             f"0086-{area[1:]}-{local}", f"+86-{area[1:]}-{local[:half]}-{local[half:]}"]
    text = draw(st.sampled_from(forms))
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return area + local, text


@settings(max_examples=200, derandomize=True, deadline=None)
@given(written_landlines())
def test_every_way_of_writing_a_landline_gives_its_key(case):
    number, written = case
    p = normalise_phone(written)
    assert (p.key, p.kind) == (number, LANDLINE), written


@settings(max_examples=100, derandomize=True, deadline=None)
@given(mobiles, st.sampled_from(["****", "xxxx", "＊＊＊＊"]))
def test_a_masked_mobile_never_matches_but_fits_its_number(number, stars):
    masked = number[:3] + stars + number[7:]
    assert normalise_phone(masked).key is None
    assert number in mask_matches(masked, [number, "10000000000"])
