"""Broken (and oddly made) workbooks, each with what CustomerBook must do with it.

    python tests/support/broken.py OUTDIR     # writes every case, prints the list

:func:`make_cases` writes each case into a folder and returns :class:`Case` records:
``refused`` cases must end with exit code 2, a message naming the place (sheet, Excel
row, column) and what was expected, in the workbook's language, and the file
byte-identical; ``works`` cases must refresh (exit 0) and give the outputs stated
(``same_as``: exactly the outputs of another case; ``values``: Analysis cells).
Nothing here is committed as a binary: the tests call :func:`make_cases` into tmp_path.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

if __package__ in (None, ""):  # run as a script: python tests/support/broken.py OUTDIR
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.books import (  # noqa: E402
    AS_OF,
    ZH_CONTACTS,
    ZH_CUSTOMERS,
    ZH_ORDERS,
    F,
    en_sheets,
    png,
    revenue,
    rezip,
    write_book,
    zh_sheets,
)
from support.books import member as _member  # noqa: E402

__all__ = ["AS_OF", "CASES", "Case", "make_cases"]

D = dt.date


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]], *, tables: bool = True,
               merges: dict[str, list[tuple[int, int, int, int]]] | None = None) -> Path:
    """The cases' books: Tables on the three input sheets (see :func:`write_book`)."""
    return write_book(path, sheets, tables="inputs" if tables else False, merges=merges)


@dataclass
class Case:
    """One input and what must happen to it."""

    name: str
    path: Path
    expect: str  # "refused" (exit 2, file untouched) or "works" (exit 0)
    lang: str = "en"  # language of the message: "en", "zh-CN", or "both" (file unreadable)
    fragments: tuple[str, ...] = ()  # text the message must contain (place + expectation)
    count: int | None = None  # number of problems one run must report
    same_as: str | None = None  # works: outputs equal to this case's outputs
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # Analysis: id -> col -> v
    logged: int | None = None  # works: contacts appended from the call list
    kept_calls: dict[str, str] = field(default_factory=dict)  # CallList id -> Message text
    as_of: str | None = None  # passed as --as-of
    bomb: bool = False  # must be refused quickly with bounded memory
    note: str = ""


def _deflate_blocks(data: bytes, repeat: int = 1, final: bool = True) -> bytes:
    """Raw deflate of ``data`` ``repeat`` times: full-flushed blocks can be repeated."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(data) + co.flush(zlib.Z_FULL_FLUSH)
    return block * repeat + (b"\x03\x00" if final else b"")  # \x03\x00: empty final block


def zip_bomb(src: Path, dst: Path, part: str, mib: int, *, declare: int | None = None) -> Path:
    """``src`` with ``part`` replaced by a valid worksheet padded with ``mib`` MiB of
    spaces (a few KB compressed). ``declare`` sets the size the headers claim."""
    xml = _member(src, part)
    head, tail = xml.split(b"</sheetData>")
    tail = b"</sheetData>" + tail
    stream = (_deflate_blocks(head, final=False) + _deflate_blocks(b" " * (1 << 20), mib, False)
              + _deflate_blocks(tail))
    size = len(head) + len(tail) + mib * (1 << 20)
    declared = size if declare is None else declare
    crc = zlib.crc32(xml) if declare is not None else 0
    if declare is None:  # the true CRC, computed over the pattern without building it
        crc = zlib.crc32(head)
        mb = b" " * (1 << 20)
        for _ in range(mib):
            crc = zlib.crc32(mb, crc)
        crc = zlib.crc32(tail, crc)
    with zipfile.ZipFile(src) as z:
        members = [(i, z.read(i)) for i in z.infolist() if i.filename != part]
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, data)
        zi = zipfile.ZipInfo(part, (2026, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.CRC, zi.file_size, zi.compress_size = crc, declared, len(stream)
        fp = z.fp
        assert fp is not None
        zi.header_offset = fp.tell()
        fp.write(zi.FileHeader(False))
        fp.write(stream)
        z.start_dir = fp.tell()
        z.filelist.append(zi)
        z.NameToInfo[part] = zi
    return dst


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (CFB v3) holding ``streams`` (each padded to 4 KiB so
    that no mini stream is needed): what Excel saves for a password-protected book."""
    sec = 512
    datas = [d + bytes(max(0, 4096 - len(d))) for d in streams.values()]
    nsec = [(len(d) + sec - 1) // sec for d in datas]
    first = 2  # sector 0: FAT, sector 1: directory
    starts = []
    for n in nsec:
        starts.append(first)
        first += n
    total = first
    assert total <= 128, "one FAT sector"
    fat = [0xFFFFFFFD, 0xFFFFFFFE]  # FAT sector, end of the directory chain
    for s, n in zip(starts, nsec, strict=True):
        fat += [s + k + 1 for k in range(n - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = 0xFFFFFFFF,
              right: int = 0xFFFFFFFF) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", 0xFFFFFFFF, right, child) + bytes(16) + bytes(4)
                + bytes(16) + struct.pack("<IIi", start, size, 0))

    names = list(streams)
    dirs = [entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1)]
    for k, (name, s, d) in enumerate(zip(names, starts, datas, strict=True)):
        right = k + 2 if k + 1 < len(names) else 0xFFFFFFFF
        dirs.append(entry(name, 2, s, len(d), right=right))
    directory = b"".join(dirs).ljust(sec, b"\x00")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0))
    header += struct.pack("<I", 0) + struct.pack("<I", 0xFFFFFFFF) * 108
    assert len(header) == sec
    body = b"".join(d.ljust(n * sec, b"\x00") for d, n in zip(datas, nsec, strict=True))
    return header + struct.pack("<128I", *fat) + directory + body


def encrypt(src: Path, dst: Path, password: str = "secret") -> Path:
    """A password-protected copy of ``src`` (msoffcrypto-tool when installed)."""
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:  # a hand-made compound file with the same streams
        dst.write_bytes(compound_file({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00",
                                       "EncryptedPackage": src.read_bytes()}))
        return dst
    with open(src, "rb") as fh, open(dst, "wb") as out:
        OOXMLFile(fh).encrypt(password, out)
    return dst


LOL = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
       + b"".join(b'<!ENTITY lol%d "%s">' % (k, (b"&lol%d;" % (k - 1) if k > 1 else b"&lol;")
                                             * 10) for k in range(1, 10))
       + b"]>")


def billion_laughs(xml: bytes, cell: bool) -> bytes:
    """``xml`` with the classic entity-expansion DTD (and a use of it in a cell)."""
    body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
    if cell:
        body = body.replace(b"</sheetData>", b'<row r="99"><c r="A99" t="inlineStr"><is><t>'
                            b"&lol9;</t></is></c></row></sheetData>")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + LOL + b"\n" + body


# --------------------------------------------------------------------------- the cases
Builder = Callable[[Path], Case]
CASES: dict[str, Builder] = {}


def case(fn: Builder) -> Builder:
    CASES[fn.__name__.removeprefix("c_")] = fn
    return fn


def _en(d: Path, name: str, **kw: Any) -> Path:
    return write_xlsx(d / f"{name}.xlsx", en_sheets(), **kw)


def _zh(d: Path, name: str, **kw: Any) -> Path:
    return write_xlsx(d / f"{name}.xlsx", zh_sheets(), **kw)


# -- the clean books the "works" cases are compared with --------------------------------
@case
def c_base_en(d: Path) -> Case:
    return Case("base_en", _en(d, "base_en"), "works",
                values={"C1": {"Revenue": revenue("C1")}, "C4": {"Revenue": revenue("C4")}})


@case
def c_base_zh(d: Path) -> Case:
    return Case("base_zh", _zh(d, "base_zh"), "works", lang="zh-CN",
                values={"K001": {"销售额": 2400.0}})


# -- sheets and columns ---------------------------------------------------------------
@case
def c_missing_sheet_en(d: Path) -> Case:
    s = en_sheets()
    del s["Orders"]
    return Case("missing_sheet_en", write_xlsx(d / "missing_sheet_en.xlsx", s), "refused",
                fragments=("Sheet 'Orders / 订单': the sheet is missing",), count=1)


@case
def c_missing_sheet_zh(d: Path) -> Case:
    s = zh_sheets()
    del s["客户"]
    return Case("missing_sheet_zh", write_xlsx(d / "missing_sheet_zh.xlsx", s), "refused",
                lang="zh-CN", fragments=("工作表「Customers / 客户」：缺少工作表",), count=1)


@case
def c_no_contacts_yet(d: Path) -> Case:
    s = zh_sheets()
    del s["联系记录"]
    return Case("no_contacts_yet", write_xlsx(d / "no_contacts_yet.xlsx", s), "works",
                lang="zh-CN", note="a shop starting out: no contact history yet")


@case
def c_missing_column_en(d: Path) -> Case:
    s = en_sheets()
    s["Orders"] = [r[:3] + r[4:] for r in s["Orders"]]  # no Amount
    return Case("missing_column_en", write_xlsx(d / "missing_column_en.xlsx", s), "refused",
                fragments=("Sheet 'Orders', row 1: required column is missing (expected one of "
                           "Amount / 金额 / Revenue",), count=1)


@case
def c_missing_column_zh(d: Path) -> Case:
    s = zh_sheets()
    s["客户"] = [[r[0]] + r[2:] for r in s["客户"]]  # no 客户名称
    return Case("missing_column_zh", write_xlsx(d / "missing_column_zh.xlsx", s), "refused",
                lang="zh-CN", fragments=("工作表「客户」第 1 行：缺少必填列（应为 Name / 客户名称",),
                count=1)


@case
def c_renamed_headers(d: Path) -> Case:
    s = en_sheets()
    s["Customers"][0][:4] = ["Customer ID", "Customer Name", "Salesperson", "Mobile"]
    s["Orders"][0][:4] = ["Order ID", "Customer ID", "Order Date", "Revenue"]
    s["Contacts"][0][:2] = ["Customer ID", "Contact Date"]
    s["Contacts"][0][4] = "Result"
    return Case("renamed_headers", write_xlsx(d / "renamed_headers.xlsx", s), "works",
                same_as="base_en")


@case
def c_chinese_headers(d: Path) -> Case:
    s = en_sheets()
    zh = {"Customers": ZH_CUSTOMERS[0], "Orders": ZH_ORDERS[0], "Contacts": ZH_CONTACTS[0]}
    for name, header in zh.items():
        s[name][0] = list(header)
    return Case("chinese_headers", write_xlsx(d / "chinese_headers.xlsx", s), "works",
                same_as="base_en")


@case
def c_odd_case_headers(d: Path) -> Case:
    s = en_sheets()
    s["Customers"][0][:3] = ["customer_id", "NAME", " owner "]
    s["Orders"][0][1:4] = ["CUSTOMER-ID", "order date", "aMoUnT"]
    s["Contacts"][0][:2] = ["Customer_ID", "CONTACTDATE"]
    s["Settings"][0] = ["KEY", "value"]
    return Case("odd_case_headers", write_xlsx(d / "odd_case_headers.xlsx", s), "works",
                same_as="base_en")


@case
def c_no_tables(d: Path) -> Case:
    return Case("no_tables", _en(d, "no_tables", tables=False), "works", same_as="base_en",
                note="plain ranges: the header is the first non-empty row")


# -- keys -------------------------------------------------------------------------------
@case
def c_duplicate_id(d: Path) -> Case:
    s = en_sheets()
    s["Customers"].append(["C2", "Beta Again", "Bob", None, None, None, None, None])
    return Case("duplicate_id", write_xlsx(d / "duplicate_id.xlsx", s), "refused",
                fragments=("Sheet 'Customers', row 8, column 'CustomerID': customer ID 'C2' "
                           "appears more than once (first at row 3)",), count=1)


@case
def c_unknown_customer(d: Path) -> Case:
    s = en_sheets()
    s["Orders"].append(["O9", "C99", D(2026, 2, 2), 75.0, None, None])
    s["Contacts"].append(["C77", D(2026, 2, 2), None, None, None, None, None])
    return Case("unknown_customer", write_xlsx(d / "unknown_customer.xlsx", s), "refused",
                fragments=("Sheet 'Orders', row 10, column 'CustomerID': customer ID 'C99' is "
                           "not on the Customers sheet",
                           "Sheet 'Contacts', row 5, column 'CustomerID': customer ID 'C77'"),
                count=2, note="orders of unknown customers are reported, never dropped")


@case
def c_unknown_customer_zh(d: Path) -> Case:
    s = zh_sheets()
    s["订单"].append(["D9", "K999", D(2026, 2, 2), 75.0, None, None])
    return Case("unknown_customer_zh", write_xlsx(d / "unknown_customer_zh.xlsx", s),
                "refused", lang="zh-CN",
                fragments=("工作表「订单」第 6 行「客户编号」列：客户编号“K999”不在客户表中",), count=1)


# -- dates ------------------------------------------------------------------------------
@case
def c_impossible_date(d: Path) -> Case:
    s = en_sheets()
    s["Orders"][3][2] = "2026-02-30"
    return Case("impossible_date", write_xlsx(d / "impossible_date.xlsx", s), "refused",
                fragments=("Sheet 'Orders', row 4, column 'OrderDate': expected a date",
                           "found '2026-02-30'"), count=1)


@case
def c_impossible_date_zh(d: Path) -> Case:
    s = zh_sheets()
    s["联系记录"][1][1] = "2026年2月30日"
    return Case("impossible_date_zh", write_xlsx(d / "impossible_date_zh.xlsx", s), "refused",
                lang="zh-CN", fragments=("工作表「联系记录」第 2 行「联系日期」列：应为日期",
                                         "实际为“2026年2月30日”"), count=1)


_TEXT_DATES: list[Callable[[D], str]] = [
    lambda x: x.isoformat(),
    lambda x: f"{x.year}/{x.month}/{x.day}",
    lambda x: f"{x.year}年{x.month}月{x.day}日",
    lambda x: f"{x.year}.{x.month:02}.{x.day:02}",
    lambda x: f"{x.isoformat()} 10:30",
    lambda x: f" {x.year} - {x.month} - {x.day} ",
]


@case
def c_dates_as_text(d: Path) -> Case:
    s = en_sheets()
    for k, row in enumerate(s["Orders"][1:]):
        row[2] = _TEXT_DATES[k % len(_TEXT_DATES)](row[2])
    for k, row in enumerate(s["Contacts"][1:]):
        row[1] = _TEXT_DATES[(k + 2) % len(_TEXT_DATES)](row[1])
    return Case("dates_as_text", write_xlsx(d / "dates_as_text.xlsx", s), "works",
                same_as="base_en")


def _serial(x: D) -> int:
    return (x - D(1899, 12, 30)).days


@case
def c_serial_dates(d: Path) -> Case:
    s = en_sheets()
    for row in s["Orders"][1:]:
        row[2] = _serial(row[2])  # a number in a General cell, as typed or pasted
    for row in s["Contacts"][1:]:
        row[1] = float(_serial(row[1]))
    s["Settings"][2][1] = _serial(AS_OF)
    return Case("serial_dates", write_xlsx(d / "serial_dates.xlsx", s), "works",
                same_as="base_en")


@case
def c_future_dates(d: Path) -> Case:
    s = en_sheets()
    s["Orders"].append(["O10", "C1", D(2026, 7, 15), 5000.0, None, "Kit"])
    s["Orders"].append(["O11", "C6", D(2026, 9, 1), 700.0, None, "Kit"])
    s["Contacts"].append(["C2", D(2026, 8, 1), "Phone", "Ann", "Complaint", None, "later"])
    s["Contacts"].append(["C4", D(2026, 7, 2), "Phone", "Bob", "Resolved", None, None])
    return Case("future_dates", write_xlsx(d / "future_dates.xlsx", s), "works",
                same_as="base_en", note="orders and contacts after the as-of date are ignored")


@case
def c_date_out_of_range(d: Path) -> Case:
    s = en_sheets()
    s["Orders"][2][2] = 9_999_999  # a serial number beyond the year 9999
    return Case("date_out_of_range", write_xlsx(d / "date_out_of_range.xlsx", s), "refused",
                fragments=("Sheet 'Orders', row 3, column 'OrderDate': the date 9999999 is "
                           "outside the years 1900-2200",), count=1)


# -- numbers ----------------------------------------------------------------------------
_TEXT_AMOUNTS = ["800", "1,200元", "¥200.00", "RMB 150", "$50", "3 000", "450.00 元", "￥99.5"]


@case
def c_amounts_as_text(d: Path) -> Case:
    s = en_sheets()
    for row, text in zip(s["Orders"][1:], _TEXT_AMOUNTS, strict=True):
        row[3] = text
    return Case("amounts_as_text", write_xlsx(d / "amounts_as_text.xlsx", s), "works",
                same_as="base_en")


@case
def c_text_in_number(d: Path) -> Case:
    s = en_sheets()
    s["Orders"][4][3] = "abc"
    return Case("text_in_number", write_xlsx(d / "text_in_number.xlsx", s), "refused",
                fragments=("Sheet 'Orders', row 5, column 'Amount': expected a number, found "
                           "'abc'",), count=1)


@case
def c_text_in_number_zh(d: Path) -> Case:
    s = zh_sheets()
    s["订单"][2][3] = "很多"
    return Case("text_in_number_zh", write_xlsx(d / "text_in_number_zh.xlsx", s), "refused",
                lang="zh-CN", fragments=("工作表「订单」第 3 行「金额」列：应为数字，实际为“很多”",),
                count=1)


@case
def c_refunds_and_zero(d: Path) -> Case:
    s = en_sheets()
    s["Orders"].append(["R1", "C1", D(2026, 3, 20), -200.0, None, "Kit refund"])
    s["Orders"].append(["R2", "C2", D(2026, 1, 5), 0.0, None, "Free sample"])
    s["Orders"].append(["R3", "C4", D(2025, 9, 1), "(450)", None, "returned"])
    return Case("refunds_and_zero", write_xlsx(d / "refunds_and_zero.xlsx", s), "works",
                values={"C1": {"Revenue": revenue("C1") - 200.0},
                        "C2": {"Revenue": revenue("C2")},
                        "C4": {"Revenue": revenue("C4") - 450.0}})


@case
def c_huge_value(d: Path) -> Case:
    s = en_sheets()
    s["Orders"][1][3] = 1e15
    return Case("huge_value", write_xlsx(d / "huge_value.xlsx", s), "refused",
                fragments=("Sheet 'Orders', row 2, column 'Amount': the number "
                           "1,000,000,000,000,000 is too large for an amount",), count=1)


# -- table layout -----------------------------------------------------------------------
@case
def c_blank_rows(d: Path) -> Case:
    s = en_sheets()
    blank_c = [None] * len(s["Customers"][0])
    blank_o = [None] * len(s["Orders"][0])
    s["Customers"][3:3] = [blank_c]
    s["Orders"][2:2] = [blank_o, blank_o]
    s["Orders"].append(blank_o)
    s["Contacts"][2:2] = [[None] * len(s["Contacts"][0])]
    return Case("blank_rows", write_xlsx(d / "blank_rows.xlsx", s), "works", same_as="base_en")


@case
def c_merged_cells(d: Path) -> Case:
    s = en_sheets()
    s["Orders"][2][1] = None  # rows 2-4 are C1's orders; someone merged B2:B4
    s["Orders"][3][1] = None
    path = write_xlsx(d / "merged_cells.xlsx", s, tables=False, merges={"Orders": [(1, 1, 3, 1)]})
    return Case("merged_cells", path, "refused",
                fragments=("Sheet 'Orders', row 2, column 'CustomerID': cells B2:B4 are merged",),
                count=1, note="one problem per merged range, not one per hidden cell")


@case
def c_merged_cells_zh(d: Path) -> Case:
    s = zh_sheets()
    s["客户"][2][4] = "华东"
    path = write_xlsx(d / "merged_cells_zh.xlsx", s, tables=False, merges={"客户": [(1, 4, 2, 4)]})
    return Case("merged_cells_zh", path, "refused", lang="zh-CN",
                fragments=("工作表「客户」第 2 行「区域」列：单元格 E2:E3 为合并单元格",), count=1)


# -- formulas and errors ----------------------------------------------------------------
@case
def c_formulas_with_values(d: Path) -> Case:
    s = en_sheets()
    for row in s["Orders"][1:]:
        row[3] = F(f"={row[3]}*1", row[3])
    s["Orders"][1][1] = F('="C"&"1"', "C1")
    s["Customers"][1][1] = F('=PROPER("alpha")&" Ltd"', "Alpha Ltd")
    return Case("formulas_with_values", write_xlsx(d / "formulas_with_values.xlsx", s), "works",
                same_as="base_en")


@case
def c_error_values(d: Path) -> Case:
    s = en_sheets()
    s["Orders"][2][3] = F("=VLOOKUP(1,X1:X2,2,FALSE)", "#N/A")
    s["Orders"][5][2] = F("=#REF!+1", "#REF!")
    s["Customers"][4][1] = F("=1/0", "#DIV/0!")
    return Case("error_values", write_xlsx(d / "error_values.xlsx", s), "refused",
                fragments=("Sheet 'Orders', row 3, column 'Amount': the cell holds the Excel "
                           "error #N/A",
                           "Sheet 'Orders', row 6, column 'OrderDate': the cell holds the Excel "
                           "error #REF!",
                           "Sheet 'Customers', row 5, column 'Name': the cell holds the Excel "
                           "error #DIV/0!"), count=3)


@case
def c_error_values_zh(d: Path) -> Case:
    s = zh_sheets()
    s["订单"][1][3] = F("=1/0", "#DIV/0!")
    return Case("error_values_zh", write_xlsx(d / "error_values_zh.xlsx", s), "refused",
                lang="zh-CN", fragments=("工作表「订单」第 2 行「金额」列：单元格含有 Excel 错误值 #DIV/0!",),
                count=1)


# -- settings ---------------------------------------------------------------------------
@case
def c_setting_wrong_type(d: Path) -> Case:
    s = en_sheets()
    s["Settings"].append(["CallsPerOwnerPerDay", "lots"])
    return Case("setting_wrong_type", write_xlsx(d / "setting_wrong_type.xlsx", s), "refused",
                fragments=("Sheet 'Settings', row 4, column 'Value': setting CallsPerOwnerPerDay "
                           "expects a whole number, found 'lots'",), count=1)


@case
def c_setting_wrong_type_zh(d: Path) -> Case:
    s = zh_sheets()
    s["设置"].append(["DormantDays", "半年"])
    return Case("setting_wrong_type_zh", write_xlsx(d / "setting_wrong_type_zh.xlsx", s),
                "refused", lang="zh-CN",
                fragments=("工作表「设置」第 4 行「值」列：设置项 DormantDays 应为 整数，"
                           "实际为“半年”",), count=1)


@case
def c_unknown_language(d: Path) -> Case:
    s = en_sheets()
    s["Settings"][1][1] = "Klingon"
    return Case("unknown_language", write_xlsx(d / "unknown_language.xlsx", s), "refused",
                fragments=("Sheet 'Settings', row 2, column 'Value': setting Language expects "
                           "zh-CN or en, found 'Klingon'",), count=1)


# -- many problems at once ----------------------------------------------------------------
@case
def c_many_problems(d: Path) -> Case:
    s = en_sheets()
    s["Customers"].append(["C1", "Alpha Twin", None, None, None, None, None, None])  # dup
    s["Customers"][2][5] = "someday"  # Birthday
    s["Orders"][1][2] = "2026-13-01"
    s["Orders"][2][3] = "abc"
    s["Orders"][3][1] = None  # required
    s["Orders"].append(["O9", "C42", D(2026, 1, 1), 10.0, None, None])
    s["Contacts"][1][1] = F("=NA()", "#N/A")
    return Case("many_problems", write_xlsx(d / "many_problems.xlsx", s), "refused",
                fragments=("7 problem(s) found; nothing was written",
                           "Sheet 'Customers', row 3, column 'Birthday': expected a date",
                           "Sheet 'Orders', row 4, column 'CustomerID': a value is required",
                           "Sheet 'Contacts', row 2, column 'ContactDate': the cell holds"),
                count=7)


@case
def c_many_problems_zh(d: Path) -> Case:
    s = zh_sheets()
    s["订单"][1][3] = "abc"
    s["订单"][2][2] = "明天"
    s["联系记录"][1][0] = "K404"
    return Case("many_problems_zh", write_xlsx(d / "many_problems_zh.xlsx", s), "refused",
                lang="zh-CN", fragments=("发现 3 处问题，未写入任何内容",
                                         "工作表「订单」第 3 行「下单日期」列：应为日期"), count=3)


# -- the call list loop -------------------------------------------------------------------
@case
def c_calllist_unknown_outcomes(d: Path) -> Case:
    from xl_addin.names import CALLLIST

    s = en_sheets()
    header = [c.key for c in CALLLIST.columns]

    def call(cid: str, outcome: Any, nxt: Any, notes: Any) -> list[Any]:
        rec = {"Owner": "Ann", "Rank": 1, "CustomerID": cid, "Outcome": outcome,
               "NextFollowUp": nxt, "Notes": notes}
        return [rec.get(k) for k in header]

    s["CallList"] = [header, call("C1", "Reached", D(2026, 7, 20), "wants the new kit"),
                     call("C2", "maybe later", None, "call after lunch"),
                     call("C4", "NoAnswer", "soon", None)]
    return Case("calllist_unknown_outcomes",
                write_xlsx(d / "calllist_unknown_outcomes.xlsx", s), "works", logged=1,
                kept_calls={"C2": "Unknown outcome 'maybe later'",
                            "C4": "NextFollowUp 'soon' is not a date"})


# -- the file itself ----------------------------------------------------------------------
@case
def c_empty_workbook(d: Path) -> Case:
    path = d / "empty_workbook.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Sheet1")
    wb.close()
    return Case("empty_workbook", path, "refused", count=2,
                fragments=("2 problem(s) found", "Sheet 'Customers / 客户': the sheet is missing",
                           "Sheet 'Orders / 订单': the sheet is missing"))


@case
def c_password_protected(d: Path) -> Case:
    plain = _en(d, "_plain")
    path = encrypt(plain, d / "password_protected.xlsx")
    plain.unlink()
    return Case("password_protected", path, "refused", lang="both",
                fragments=("is password-protected; remove the password in Excel", "设有密码保护"))


@case
def c_text_renamed(d: Path) -> Case:
    path = d / "text_renamed.xlsx"
    path.write_text("CustomerID,Name\nC1,Alpha\n", encoding="utf-8")
    return Case("text_renamed", path, "refused", lang="both",
                fragments=("is a text file of values (CSV)", "save it as an Excel workbook (.xlsx)",
                           "是文本数据文件（CSV）", "另存为 Excel 工作簿（.xlsx）"))


@case
def c_ods(d: Path) -> Case:
    path = d / "list.ods"
    with zipfile.ZipFile(path, "w") as z:  # an OpenDocument package starts with its mimetype
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    return Case("ods", path, "refused", lang="both",
                fragments=("is an OpenDocument spreadsheet (.ods)", "OpenDocument 电子表格"))


@case
def c_old_xls(d: Path) -> Case:
    path = d / "old.xls"
    path.write_bytes(compound_file({"Workbook": b"\x09\x08" + b"\x00" * 510}))
    return Case("old_xls", path, "refused", lang="both",
                fragments=("is an Excel 97-2003 workbook (.xls)", "save it as an Excel workbook",
                           "Excel 97-2003 工作簿（.xls）"))


@case
def c_png_renamed(d: Path) -> Case:
    path = d / "png_renamed.xlsm"
    path.write_bytes(png())
    return Case("png_renamed", path, "refused", lang="both",
                fragments=("is not an Excel workbook",))


@case
def c_truncated_zip(d: Path) -> Case:
    full = _en(d, "_full").read_bytes()
    path = d / "truncated_zip.xlsx"
    path.write_bytes(full[: len(full) * 2 // 3])
    (d / "_full.xlsx").unlink()
    return Case("truncated_zip", path, "refused", lang="both",
                fragments=("is damaged or incomplete", "truncated", "已损坏或不完整"))


@case
def c_no_workbook_part(d: Path) -> Case:
    good = _en(d, "_good")
    path = rezip(good, d / "no_workbook_part.xlsx", {"xl/workbook.xml": None})
    good.unlink()
    return Case("no_workbook_part", path, "refused", lang="both",
                fragments=("is not an Excel workbook",))


@case
def c_malformed_sheet_xml(d: Path) -> Case:
    good = _en(d, "_good2")
    xml = _member(good, "xl/worksheets/sheet2.xml")
    bad = xml[: xml.index(b"<sheetData>") + 200].replace(b"<c ", b"<c <", 1)
    path = rezip(good, d / "malformed_sheet_xml.xlsx", {"xl/worksheets/sheet2.xml": bad})
    good.unlink()
    return Case("malformed_sheet_xml", path, "refused", lang="en",
                fragments=("is damaged or incomplete", "Orders"))


@case
def c_billion_laughs_workbook(d: Path) -> Case:
    good = _en(d, "_good3")
    xml = _member(good, "xl/workbook.xml")
    path = rezip(good, d / "billion_laughs_workbook.xlsx",
                 {"xl/workbook.xml": billion_laughs(xml, cell=False)})
    good.unlink()
    return Case("billion_laughs_workbook", path, "refused", lang="both", bomb=True,
                fragments=("is damaged or incomplete", "xl/workbook.xml"))


@case
def c_billion_laughs_sheet(d: Path) -> Case:
    good = _en(d, "_good4")
    xml = _member(good, "xl/worksheets/sheet1.xml")
    path = rezip(good, d / "billion_laughs_sheet.xlsx",
                 {"xl/worksheets/sheet1.xml": billion_laughs(xml, cell=True)})
    good.unlink()
    return Case("billion_laughs_sheet", path, "refused", lang="en", bomb=True,
                fragments=("is damaged or incomplete", "Customers"))


@case
def c_zip_bomb_declared(d: Path) -> Case:
    good = _en(d, "_good5")
    path = zip_bomb(good, d / "zip_bomb_declared.xlsx", "xl/worksheets/sheet2.xml", 3 * 1024)
    good.unlink()
    return Case("zip_bomb_declared", path, "refused", lang="both", bomb=True,
                fragments=("is too large to read safely", "xl/worksheets/sheet2.xml",
                           "limit 2 GiB"), note="3 GiB of spaces in 3 MB")


@case
def c_zip_bomb_ratio(d: Path) -> Case:
    good = _en(d, "_good6")
    path = zip_bomb(good, d / "zip_bomb_ratio.xlsx", "xl/worksheets/sheet2.xml", 1024)
    good.unlink()
    return Case("zip_bomb_ratio", path, "refused", lang="both", bomb=True,
                fragments=("is too large to read safely", "xl/worksheets/sheet2.xml",
                           "compression ratio"), note="1 GiB under the size limits, ~1000:1")


@case
def c_zip_bomb_lying(d: Path) -> Case:
    good = _en(d, "_good7")
    xml = _member(good, "xl/worksheets/sheet2.xml")
    path = zip_bomb(good, d / "zip_bomb_lying.xlsx", "xl/worksheets/sheet2.xml", 2 * 1024,
                    declare=len(xml))
    good.unlink()
    return Case("zip_bomb_lying", path, "refused", lang="en", bomb=True,
                fragments=("is damaged or incomplete", "Orders"),
                note="headers claim a small part; the data inflates to 2 GiB")


def make_cases(folder: str | Path, names: list[str] | None = None) -> list[Case]:
    """Write every case (or those named) into ``folder``; return them in order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [CASES[n](folder) for n in (names or list(CASES))]


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "broken-workbooks")
    for c in make_cases(out):
        print(f"{c.expect:8} {c.name:28} {c.path.name}")
