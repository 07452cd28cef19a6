"""The LibreOffice harness against a real .xlsm carrying our whole VBA project.

One workbook is built for the module (xlsxwriter + build_vba_project with BOTH vendored
modules, xlwings.bas and CustomerBook.bas; Dashboard buttons bound to the macros; a
sheet with a Chinese name and Chinese text) and every harness call opens a copy of it.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
import xlsxwriter

from tools.libreoffice import (
    LibreOfficeError,
    convert,
    find_soffice,
    list_buttons,
    list_vba_modules,
    recalculate_and_read,
    render,
    run_vba_sub,
    vba_compile_report,
    vba_module_sources,
)
from tools.vba import build_vba_project, load_vba_sources

pytestmark = [
    pytest.mark.skipif(
        find_soffice() is None,
        reason="LibreOffice (soffice) is not installed; .ci/run installs libreoffice-calc-nogui",
    ),
    pytest.mark.libreoffice,
]

VBA_DIR = Path(__file__).resolve().parents[1] / "workbook" / "vba"
CALLS = "呼叫清单"
#: sheet name -> VBA code name, in workbook order
SHEETS = {"Dashboard": "Sheet1", "Customers": "Sheet2", CALLS: "Sheet3"}
BUTTONS = {
    "CB_RefreshAll": "Refresh all",
    "CB_Classify": "Classify",
    "CB_FollowUps": "Follow-ups",
    "CB_CallList": "Call list",
}
SCRIPT = "vnd.sun.star.script:VBAProject.CustomerBook.{}?language=Basic&location=document"


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lo")
    vba = build_vba_project(
        load_vba_sources(VBA_DIR), folder / "vbaProject.bin", sheet_codenames=list(SHEETS.values())
    )
    path = folder / "CustomerBook.xlsm"
    workbook = xlsxwriter.Workbook(path)
    workbook.set_vba_name("ThisWorkbook")
    workbook.add_vba_project(str(vba))
    sheets = {}
    for name, codename in SHEETS.items():
        sheets[name] = workbook.add_worksheet(name)
        sheets[name].set_vba_name(codename)
    dashboard = sheets["Dashboard"]
    dashboard.write("A1", "CustomerBook")
    for row, (macro, caption) in enumerate(BUTTONS.items()):
        dashboard.insert_button(
            2 + 3 * row, 1, {"macro": macro, "caption": caption, "width": 120, "height": 30}
        )
    customers = sheets["Customers"]
    customers.write_row(0, 0, ["Name", "Value", "Times 21", "Calls", "Broken"])
    customers.write_row(1, 0, ["Ann", 2])
    customers.write_formula("C2", "=B2*21")  # xlsxwriter caches 0: only a recalc gives 42
    customers.write_formula("D2", f"=COUNTA('{CALLS}'!A2:A10)")
    customers.write_formula("E2", "=1/0")
    calls = sheets[CALLS]
    calls.set_column(0, 2, 22)
    calls.write_row(0, 0, ["客户", "电话", "备注"], workbook.add_format({"bold": True}))
    calls.write_row(1, 0, ["张三", "13800000000", "请回电——下周一上午"])
    calls.write_row(2, 0, ["李四", "13900000000", "已联系，等待报价"])
    calls.write_row(3, 0, ["王五", "13700000000", "新客户"])
    workbook.close()
    return path


def test_libreoffice_lists_every_module(book):
    assert list_vba_modules(book) == sorted(
        ["CustomerBook", "xlwings", "ThisWorkbook", *SHEETS.values()]
    )


def test_libreoffice_imports_our_code_in_vba_mode(book):
    sources = vba_module_sources(book)
    ours = sources["CustomerBook"].splitlines()
    # LibreOffice prepends these two lines to every imported module, then our code
    assert ours[:2] == ["Rem Attribute VBA_ModuleType=VBAModule", "Option VBASupport 1"]
    expected = load_vba_sources(VBA_DIR)["CustomerBook"]
    assert "\n".join(line.rstrip() for line in ours[2:]).strip() == expected.strip()
    assert sources["ThisWorkbook"].startswith("Rem Attribute VBA_ModuleType=VBADocumentModule")


def test_xlwings_module_does_not_compile_in_libreoffice(book):
    # LibreOffice Basic ignores #If/#Else/#End If (it compiles both branches of xlwings'
    # Declare blocks) and has no 'Declare PtrSafe': the module fails, and with it the
    # whole VBAProject library. Our own module compiles.
    report = vba_compile_report(book)
    assert report.library is False
    assert report.modules == {
        "CustomerBook": True,
        "xlwings": False,
        "ThisWorkbook": True,
        **dict.fromkeys(SHEETS.values(), True),
    }


def test_smoke_with_the_whole_project_says_which_module_to_leave_out(book):
    with pytest.raises(LibreOfficeError, match=r"do not compile on their own: xlwings"):
        run_vba_sub(book, "CustomerBook.CB_Smoke", [("Dashboard", "Z1")])


def test_smoke_runs_without_the_xlwings_module(book):
    before = hashlib.sha256(book.read_bytes()).hexdigest()
    cells = run_vba_sub(
        book,
        "CustomerBook.CB_Smoke",
        [("Dashboard", "Z1"), ("Customers", "Z1"), ("Dashboard", "A1")],
        skip_modules=["xlwings"],
    )
    assert cells == {
        ("Dashboard", "Z1"): "CB_SMOKE_OK",
        ("Customers", "Z1"): None,
        ("Dashboard", "A1"): "CustomerBook",
    }
    # the document itself is untouched and no lock file is left beside it
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in book.parent.iterdir()) == ["CustomerBook.xlsm", "vbaProject.bin"]


def test_a_button_sub_runs_until_it_needs_xlwings(book):
    # CB_RefreshAll really runs in LibreOffice, and its Basic error comes back to us
    with pytest.raises(
        LibreOfficeError, match=r"(?s)CB_RefreshAll raised a Basic error.*RunPython"
    ):
        run_vba_sub(book, "CustomerBook.CB_RefreshAll", skip_modules=["xlwings"])


def test_buttons_are_bound_to_the_customerbook_macros(book):
    buttons = list_buttons(book)
    assert [(b["sheet"], b["kind"], b["label"]) for b in buttons] == [
        ("Dashboard", "control", caption) for caption in BUTTONS.values()
    ]
    for button, macro in zip(buttons, BUTTONS, strict=True):
        assert button["control"] == "com.sun.star.form.component.CommandButton"
        assert button["macros"] == [
            {
                "event": "XActionListener::actionPerformed",
                "script_type": "Script",
                "script": SCRIPT.format(macro),
            }
        ]


def test_recalculate_and_read(book):
    values = recalculate_and_read(
        book,
        [
            ("Customers", "C2"),
            ("Customers", "D2"),
            ("Customers", "E2"),
            (CALLS, "A2"),
            (CALLS, "Z9"),
        ],
    )
    assert values == {
        ("Customers", "C2"): 42.0,
        ("Customers", "D2"): 3.0,
        ("Customers", "E2"): "#DIV/0!",
        (CALLS, "A2"): "张三",
        (CALLS, "Z9"): None,
    }


def test_render_a_chinese_sheet_to_png(book, tmp_path):
    files = render(book, tmp_path, [CALLS, "Dashboard"], dpi=110)
    assert files == [tmp_path / f"{CALLS}.png", tmp_path / "Dashboard.png"]
    width, height, pixels = _png_gray(files[0])
    # one printed page at 110 dpi: A4 (910 x 1286) or US Letter (935 x 1210)
    assert 880 <= width <= 960 and 1180 <= height <= 1320
    assert files[0].stat().st_size > 5_000
    ink = pixels < 128
    assert 0.0005 < ink.mean() < 0.2, "the page is blank or nearly all dark"
    # the text sits in the top rows of the page, nothing below them
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows.min() < height * 0.15 and rows.max() < height * 0.25
    # the Dashboard page only holds "CustomerBook" (its buttons do not print, as in Excel)
    _, _, dashboard = _png_gray(files[1])
    assert 0 < (dashboard < 128).mean() < ink.mean()


def test_render_pdf_embeds_a_cjk_font(book, tmp_path):
    (pdf,) = render(book, tmp_path, [CALLS], fmt="pdf")
    assert pdf == tmp_path / f"{CALLS}.pdf"
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    assert "CJK" in fonts.stdout, (
        "no CJK font in the printout: Chinese would show as boxes; "
        f"install fonts-noto-cjk\n{fonts.stdout}"
    )
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
    if text.returncode == 0:
        assert "张三" in text.stdout and "已联系" in text.stdout
        assert "CustomerBook" not in text.stdout  # only this sheet was printed


def test_convert_to_csv_and_xlsx(book, tmp_path):
    csv = convert(book, tmp_path / "first.csv")
    assert csv.read_text(encoding="utf-8").splitlines()[0] == "CustomerBook"
    xlsx = convert(book, tmp_path / "copy.xlsx")
    assert xlsx.read_bytes()[:2] == b"PK"
    with pytest.raises(ValueError, match="cannot convert"):
        convert(book, tmp_path / "copy.docx")


def test_a_call_that_overruns_its_timeout_is_stopped(book):
    with pytest.raises(LibreOfficeError, match="did not finish within"):
        list_vba_modules(book, timeout=0.5)


def test_errors_are_clear(tmp_path):
    with pytest.raises(LibreOfficeError, match="no such document"):
        list_vba_modules(tmp_path / "missing.xlsm")
    with pytest.raises(ValueError, match="Module.Sub"):
        run_vba_sub(tmp_path / "missing.xlsm", "CB_Smoke")


# --- a small PNG reader (no Pillow): 8-bit grey or RGB(A), not interlaced ---------------


def _png_gray(path: Path) -> tuple[int, int, np.ndarray]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    assert depth == 8 and interlace == 0, header
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8)
    stride = width * channels
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 1:  # Sub: a running sum per channel
            current = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) % 256
        elif kind == 2:  # Up
            current = (line + previous) % 256
        else:  # Average (3) and Paeth (4) depend on the byte just decoded
            current = np.zeros(stride, dtype=np.int32)
            for i in range(stride):
                a = int(current[i - channels]) if i >= channels else 0
                b = int(previous[i])
                if kind == 3:
                    current[i] = (int(line[i]) + (a + b) // 2) % 256
                else:
                    c = int(previous[i - channels]) if i >= channels else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    current[i] = (int(line[i]) + pred) % 256
        out[y] = current
        previous = current
    pixels = out.reshape(height, width, channels)[:, :, : 3 if channels >= 3 else 1]
    return width, height, pixels.mean(axis=2)
