"""The shipped workbook in a real spreadsheet client (LibreOffice Calc, headless)."""

from __future__ import annotations

import pytest

from tools.build import BUTTONS, workbook_path
from tools.libreoffice import (
    find_soffice,
    list_buttons,
    list_vba_modules,
    render,
    run_vba_sub,
)

pytestmark = [
    pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) is not installed; "
                       ".ci/run installs libreoffice-calc-nogui"),
    pytest.mark.libreoffice,
]
SHIPPED = workbook_path("zh-CN")


def test_libreoffice_lists_our_vba_modules():
    modules = list_vba_modules(SHIPPED)
    assert {"CustomerBook", "xlwings", "ThisWorkbook", "Sheet1"} <= set(modules)


def test_smoke_sub_runs_in_libreoffice():
    # LibreOffice Basic cannot compile xlwings' Windows-API module, which would stop the
    # whole library; the smoke Sub runs with that module left out of the loaded copy.
    got = run_vba_sub(SHIPPED, "CustomerBook.CB_Smoke", [("仪表盘", "Z1")],
                      skip_modules=["xlwings"])
    assert got[("仪表盘", "Z1")] == "CB_SMOKE_OK"


def test_dashboard_buttons_are_bound_to_the_macros():
    buttons = [b for b in list_buttons(SHIPPED) if b["sheet"] == "仪表盘"]
    captions = {b["label"] for b in buttons}
    assert captions == {zh for _, zh, _ in BUTTONS}
    scripts = {m["script"] for b in buttons for m in b["macros"]}
    for sub, _, _ in BUTTONS:
        assert any(f"CustomerBook.{sub}?" in s for s in scripts), sub


def test_dashboard_and_call_list_render(tmp_path):
    pngs = render(SHIPPED, tmp_path, ["仪表盘", "呼叫清单"], fmt="png", dpi=60)
    assert len(pngs) == 2
    for p in pngs:
        assert p.stat().st_size > 10_000  # a page with text on it, not a blank sheet


def test_call_list_prints_each_owner_on_pages_of_their_own_with_the_header_repeated(tmp_path):
    import shutil
    import subprocess

    import openpyxl

    owners = [r[0] for r in openpyxl.load_workbook(SHIPPED, read_only=True)["呼叫清单"]
              .iter_rows(min_row=2, values_only=True) if r[0]]
    distinct = list(dict.fromkeys(owners))
    [pdf] = render(SHIPPED, tmp_path, ["呼叫清单"], fmt="pdf")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= len(distinct) >= 2
    order = []
    for page in pages:
        assert "负责人" in page and "建议话术" in page  # header on every page
        [owner] = [o for o in distinct if o in page]  # one owner a page
        if not order or order[-1] != owner:
            order.append(owner)
    assert order == distinct  # each owner's pages together, in the sheet's order
