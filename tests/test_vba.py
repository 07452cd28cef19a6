"""The VBA project: reproducible build, olevba round trip, and safe button macros."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest
import xlsxwriter
from oletools.olevba import decompress_stream

from tools.vba import (
    build_vba_project,
    load_vba_sources,
    normalize_vba_source,
    ovba_compress,
    read_vba_modules,
)

VBA_DIR = Path(__file__).resolve().parents[1] / "workbook" / "vba"
SHEETS = ("Sheet1", "Sheet2", "Sheet3")

#: Dashboard button Sub -> the one xl_addin.macros function it may call.
ENTRY_POINTS = {
    "CB_RefreshAll": "refresh_all",
    "CB_Classify": "classify",
    "CB_FollowUps": "follow_ups",
    "CB_CallList": "call_list",
    "CB_ImportOrders": "import_orders",
}
ALLOWED_FUNCTIONS = {"refresh_all", "classify", "follow_ups", "call_list", "import_orders"}


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return load_vba_sources(VBA_DIR)


@pytest.fixture(scope="module")
def project(tmp_path_factory, sources) -> Path:
    out = tmp_path_factory.mktemp("vba") / "vbaProject.bin"
    return build_vba_project(sources, out, sheet_codenames=SHEETS)


def test_sources_are_the_two_vendored_modules(sources):
    assert set(sources) == {"CustomerBook", "xlwings"}
    assert "Attribute VB_Name" not in sources["CustomerBook"]
    assert "\r" not in sources["xlwings"]


def test_build_is_deterministic(tmp_path, sources, project):
    again = build_vba_project(sources, tmp_path / "again.bin", sheet_codenames=SHEETS)
    assert again.read_bytes() == project.read_bytes()
    other = build_vba_project(sources, tmp_path / "other.bin", sheet_codenames=("Sheet1",))
    assert other.read_bytes() != project.read_bytes()


def test_olevba_lists_back_every_module_with_the_same_code(sources, project):
    modules = read_vba_modules(project)
    assert set(modules) == set(sources) | {"ThisWorkbook", *SHEETS}
    for name, code in sources.items():
        assert modules[name] == code, name
    # the document modules are empty (only attributes, which normalisation drops)
    assert all(modules[name] == "" for name in ("ThisWorkbook", *SHEETS))


def test_committed_style_comparison_through_an_xlsm(tmp_path, sources, project):
    book = tmp_path / "book.xlsm"
    workbook = xlsxwriter.Workbook(book)
    workbook.set_vba_name("ThisWorkbook")
    workbook.add_vba_project(str(project))
    for index, codename in enumerate(SHEETS, start=1):
        workbook.add_worksheet(f"S{index}").set_vba_name(codename)
    workbook.close()
    in_book = read_vba_modules(book)
    assert {name: in_book[name] for name in sources} == sources


def test_raw_module_streams_carry_the_vb_name_and_crlf(sources, project):
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(project))
    try:
        raw = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()
    assert raw["CustomerBook"].startswith('Attribute VB_Name = "CustomerBook"\r\n')
    assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in raw["Sheet1"]
    assert 'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"' in raw["ThisWorkbook"]
    assert "\n" not in raw["xlwings"].replace("\r\n", "")


def test_read_of_a_workbook_without_vba_is_empty(tmp_path):
    path = tmp_path / "plain.xlsx"
    workbook = xlsxwriter.Workbook(path)
    workbook.add_worksheet().write("A1", 1)
    workbook.close()
    assert read_vba_modules(path) == {}


def test_build_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="module name"):
        build_vba_project({"Bad Name": "Sub X()\nEnd Sub"}, tmp_path / "a.bin")
    with pytest.raises(ValueError, match="twice"):
        build_vba_project({"Sheet1": ""}, tmp_path / "b.bin")
    with pytest.raises(ValueError, match="cp1252"):
        build_vba_project({"M": 'MsgBox "呼叫清单"'}, tmp_path / "c.bin")


def test_normalize_vba_source():
    text = 'Attribute VB_Name = "M"\r\nSub A()  \r\n  x = 1\t\r\nEnd Sub\r\n\r\n\r\n'
    assert normalize_vba_source(text) == "Sub A()\n  x = 1\nEnd Sub\n"
    assert normalize_vba_source('Attribute VB_Name = "M"\r\n') == ""
    # procedure attributes (Attribute Foo.VB_Description) are code, not module attributes
    assert "Attribute A.VB_Description" in normalize_vba_source(
        'Sub A()\nAttribute A.VB_Description = "d"\nEnd Sub\n'
    )


def test_load_vba_sources_takes_the_name_from_vb_name(tmp_path):
    (tmp_path / "file_stem.bas").write_bytes(
        b'Attribute VB_Name = "Real"\r\nSub A()\r\nEnd Sub\r\n'
    )
    (tmp_path / "NoAttr.bas").write_text("Sub B()\nEnd Sub\n", encoding="utf-8")
    assert load_vba_sources(tmp_path) == {
        "NoAttr": "Sub B()\nEnd Sub\n",
        "Real": "Sub A()\nEnd Sub\n",
    }
    assert load_vba_sources(tmp_path, normalize=False)["Real"].startswith("Attribute VB_Name")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        b"abcabcabcabcabc" * 700,  # several chunks, long matches
        os.urandom(4096 * 2 + 17),  # incompressible: raw chunks
        os.urandom(3700) + b"x" * 900,
        (VBA_DIR / "xlwings.bas").read_bytes(),
    ],
    ids=["empty", "one", "repeats", "random", "mixed", "xlwings"],
)
def test_ovba_compress_round_trips_through_olevba(data):
    assert decompress_stream(bytearray(ovba_compress(data))) == data


def test_vendored_xlwings_bas_is_xlwings_0_37_8_unmodified():
    import xlwings

    vendored = (VBA_DIR / "xlwings.bas").read_bytes()
    text = vendored.decode("ascii")
    assert "'Version: 0.37.8" in text
    assert "'xlwings is distributed under a BSD 3-clause license." in text
    assert "'Copyright (C) 2014-present, Zoomer Analytics LLC." in text
    if xlwings.__version__ == "0.37.8":
        shipped = Path(xlwings.__file__).with_name("xlwings.bas").read_bytes()
        assert vendored == shipped


# --- the button Subs call fixed Python entry points only ------------------------------


def _subs(source: str) -> dict[str, list[str]]:
    subs: dict[str, list[str]] = {}
    current: str | None = None
    for line in source.splitlines():
        code = line.strip()
        start = re.match(r"(?i)^(Public\s+|Private\s+)?Sub\s+(\w+)\s*\(", code)
        if start:
            current = start.group(2)
            subs[current] = []
        elif re.match(r"(?i)^End\s+Sub\b", code):
            current = None
        elif current is not None and code and not code.startswith("'"):
            subs[current].append(code)
    return subs


def _python_call(command: str) -> str:
    """The function name of ``import xl_addin.macros as m; m.NAME(vba='X.Y.Z')``, else fail:
    the only argument is the VBA's xlwings version, a literal equal to xlwings.bas's."""
    tree = ast.parse(command)
    assert len(tree.body) == 2, command
    imp, call = tree.body
    assert isinstance(imp, ast.Import), command
    assert [(a.name, a.asname) for a in imp.names] == [("xl_addin.macros", "m")], command
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call), command
    func = call.value.func
    assert isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name), command
    assert func.value.id == "m", command
    assert call.value.args == [], command
    (kw,) = call.value.keywords
    assert kw.arg == "vba" and isinstance(kw.value, ast.Constant), command
    bas = (VBA_DIR / "xlwings.bas").read_text(encoding="utf-8")
    assert f'XLWINGS_VERSION As String = "{kw.value.value}"' in bas, command
    return func.attr


def test_customerbook_subs_call_only_the_fixed_entry_points():
    source = (VBA_DIR / "CustomerBook.bas").read_text(encoding="ascii")
    subs = _subs(source)
    assert set(subs) == {*ENTRY_POINTS, "CB_Smoke", "CB_ShowCard"}
    # the card opens without Python: CB_ShowCard calls CB_OpenCard, which writes one cell
    assert subs["CB_ShowCard"] == ["CB_OpenCard ActiveSheet, ActiveCell.Row"]
    for sub, expected in ENTRY_POINTS.items():
        assert len(subs[sub]) == 1, subs[sub]
        # one string literal and nothing else: no '&' concatenation, no variable, no cell
        literal = re.fullmatch(r'RunPython\s+"([^"]*)"', subs[sub][0])
        assert literal, f"{sub}: RunPython must get one fixed string literal: {subs[sub][0]!r}"
        name = _python_call(literal.group(1))
        assert name == expected
        assert name in ALLOWED_FUNCTIONS
    assert not any("RunPython" in line for line in subs["CB_Smoke"])
    assert subs["CB_Smoke"] == ['ThisWorkbook.Worksheets(1).Range("Z1").Value = "CB_SMOKE_OK"']
    # nothing outside the Subs calls Python either
    code_lines = [
        line
        for line in source.splitlines()
        if "RunPython" in line and not line.lstrip().startswith("'")
    ]
    assert len(code_lines) == len(ENTRY_POINTS)


def test_customerbook_module_is_plain_ascii_with_a_header_and_option_explicit():
    raw = (VBA_DIR / "CustomerBook.bas").read_bytes()
    raw.decode("ascii")
    text = raw.decode("ascii")
    assert text.startswith('Attribute VB_Name = "CustomerBook"\r\n')
    assert "Option Explicit" in text
    assert all(sub in text.split("Option Explicit")[0] for sub in (*ENTRY_POINTS, "CB_Smoke"))


MACROS = Path(__file__).resolve().parents[1] / "xl_addin" / "macros.py"


@pytest.mark.skipif(not MACROS.is_file(), reason="xl_addin/macros.py is not written yet")
def test_the_entry_points_exist_in_xl_addin_macros():
    # read, not imported: the check is about names, whatever macros.py imports
    tree = ast.parse(MACROS.read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert ALLOWED_FUNCTIONS <= defined
