"""The shipped workbook: built from its text sources, and what a person finds in it."""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine as pc

from tools.build import BUTTONS, WORKBOOK_DIR, build_workbook, workbook_path
from tools.vba import load_vba_sources, read_vba_modules
from xl_addin import macros

SHIPPED = workbook_path("zh-CN")


def _cells(path: Path) -> dict[str, list[list[object]]]:
    wb = pc.CalamineWorkbook.from_path(str(path))
    try:
        return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False)
                for n in wb.sheet_names}
    finally:
        wb.close()


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    return build_workbook("zh-CN", tmp_path_factory.mktemp("build") / "CustomerBook.xlsm")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_both_committed_workbooks_equal_a_fresh_build(lang, fresh, tmp_path):
    """Both workbooks ship prebuilt: a user never needs the build."""
    built = fresh if lang == "zh-CN" else build_workbook(lang, tmp_path / "en.xlsm")
    shipped = workbook_path(lang)
    old, new = _cells(shipped), _cells(built)
    assert list(old) == list(new)
    for sheet in old:
        assert len(old[sheet]) == len(new[sheet]), sheet
        for r, (ra, rb) in enumerate(zip(old[sheet], new[sheet], strict=True)):
            assert len(ra) == len(rb) and all(_same(a, b) for a, b in zip(ra, rb, strict=True)), (
                f"{sheet} row {r + 1} differs: rebuild with `python -m tools.build --lang {lang}`")
    assert read_vba_modules(shipped) == read_vba_modules(built)


def test_vba_in_the_workbook_is_the_vba_in_the_repo():
    modules = read_vba_modules(SHIPPED)
    sources = load_vba_sources(WORKBOOK_DIR / "vba")
    assert {"CustomerBook", "xlwings"} <= set(sources)
    assert {n: modules[n] for n in sources} == sources


def test_buttons_call_subs_that_reach_fixed_python_entry_points():
    with zipfile.ZipFile(SHIPPED) as zf:
        vml = "".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.endswith(".vml"))
    bound = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml)
    assert sorted(bound) == sorted(b[0] for b in BUTTONS)
    code = load_vba_sources(WORKBOOK_DIR / "vba")["CustomerBook"]
    for sub in bound:
        body = re.search(rf"Public Sub {sub}\(\)(.*?)End Sub", code, re.S)
        assert body, sub
        call = re.fullmatch(r'\s*RunPython "import xl_addin\.macros as m; '
                            r"m\.(\w+)\(vba='[0-9.]+'\)\"\s*", body.group(1))
        assert call, f"{sub} must run one fixed entry point"
        assert callable(getattr(macros, call.group(1)))


def test_layout_a_user_relies_on():
    wb = openpyxl.load_workbook(SHIPPED, keep_vba=True)
    assert wb.sheetnames == ["仪表盘", "呼叫清单", "客户档案", "回访提醒", "客户分析", "模型检验", "客户",
                             "订单", "联系记录", "设置", "RFM规则", "回访计划", "话术", "节假日",
                             "xlwings.conf"]
    assert {t for ws in wb for t in ws.tables} == {"Customers", "Orders", "Contacts",
                                                   "Settings", "RFMRules", "Plans", "Scripts",
                                                   "Holidays"}
    holidays = [r for r in wb["节假日"].iter_rows(min_row=2, values_only=True)]
    assert ("中秋节" in {r[1] for r in holidays}
            and dt.datetime(2027, 9, 15) in {r[0] for r in holidays})  # 中秋 2027
    settings = {r[0]: r[1] for r in wb["设置"].iter_rows(min_row=2, values_only=True)}
    assert settings["Language"] == "zh-CN" and settings["AsOfDate"] == dt.datetime(2026, 11, 23)
    conf = {r[0]: r[1] for r in wb["xlwings.conf"].iter_rows(values_only=True)}
    assert conf["UDF Modules"] == "xl_addin.functions"
    calls = wb["呼叫清单"]
    assert calls.freeze_panes == "A2"
    outcome_rules = [dv for dv in calls.data_validations.dataValidation if dv.type == "list"]
    assert outcome_rules and "已接通" in outcome_rules[0].formula1
    assert wb["回访提醒"].conditional_formatting
    customers = wb["客户"]
    yn = [dv for dv in customers.data_validations.dataValidation if dv.type == "list"]
    assert any('"Y,N"' == dv.formula1 for dv in yn)
    # the shipped outputs are filled (as of the demo's anchor date)
    assert wb["客户分析"].max_row == 201
    assert wb["呼叫清单"].max_row > 10


def test_english_workbook_builds_and_refreshes(tmp_path):
    book = build_workbook("en", tmp_path / "CustomerBook-en.xlsm", customers=60)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:5] == ["Dashboard", "CallList", "CustomerCard", "FollowUps",
                                 "Analysis"]
    header = [c.value for c in wb["CallList"][1]]
    assert header[:3] == ["Owner", "Rank", "Name"]
    result = macros.refresh_file(book, tmp_path / "again.xlsm", as_of=dt.date(2026, 12, 1))
    assert result.outputs.lang == "en" and result.counts["customers"] == 60


def test_dashboard_charts_point_at_the_fixed_blocks():
    from xl_addin.excel.dashboard import DASHBOARD_ROWS

    with zipfile.ZipFile(SHIPPED) as zf:
        charts = [zf.read(n).decode("utf-8") for n in sorted(zf.namelist())
                  if n.startswith("xl/charts/chart")]
    assert len(charts) == 8  # six on the Dashboard, two on ModelCheck
    from xl_addin.excel.modelcheck import MODELCHECK_ROWS

    for block, col in (("frequency", "D"), ("deciles", "E")):
        first, count = MODELCHECK_ROWS[block]
        assert f"模型检验!${col}${first}:${col}${first + count - 1}" in set(
            re.findall(r"<c:f>(.*?)</c:f>", "".join(charts)))
    refs = set(re.findall(r"<c:f>(.*?)</c:f>", "".join(charts)))
    first, count = DASHBOARD_ROWS["pareto"]
    assert f"仪表盘!$B${first}:$B${first + count - 1}" in refs
    # each series is cut to the rows its block holds: no empty category slots
    wb = openpyxl.load_workbook(SHIPPED, data_only=True)
    dash = wb["仪表盘"]
    for block in ("segments", "owners", "reasons", "receivables"):
        first, count = DASHBOARD_ROWS[block]
        used = sum(1 for i in range(count) if dash.cell(first + i, 1).value is not None
                   and (block != "reasons" or dash.cell(first + i, 2).value
                        or dash.cell(first + i, 3).value))
        assert 0 < used and f"仪表盘!$A${first}:$A${first + used - 1}" in refs, block
    assert "仪表盘!$A$59:$A$62" in refs  # the demo's four owners, of ten slots
    # the cells those ranges cover hold what the charts say after a refresh
    first, count = DASHBOARD_ROWS["classes"]
    assert [dash.cell(first + i, 1).value for i in range(count)] == ["A", "B", "C", "潜在客户"]
    first, count = DASHBOARD_ROWS["pareto"]
    shares = [dash.cell(first + i, 2).value for i in range(count)]
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)
    first, count = DASHBOARD_ROWS["receivables"]  # receivables at risk, by owner
    owners = [[dash.cell(first + i, c).value for c in (1, 2, 3)] for i in range(count)]
    owners = [r for r in owners if r[0]]
    assert {r[0] for r in owners} == {"王丽", "陈刚", "刘洋", "赵敏"}
    assert all(0 < late <= out for _o, out, late in owners)
    assert [r[2] for r in owners] == sorted((r[2] for r in owners), reverse=True)


def test_the_demo_shows_a_working_day_whenever_it_is_opened(tmp_path):
    """AsOfDate holds the demo's day, so a refresh years later still shows active customers
    and calls due (a user clears it when they type their own data)."""
    for lang in ("zh-CN", "en"):
        for today in (dt.date(2026, 12, 1), dt.date(2027, 9, 1), dt.date(2028, 11, 30)):
            result = macros.refresh_file(workbook_path(lang), tmp_path / f"{lang}.xlsm",
                                         today=today)
            out = result.outputs
            assert out.as_of.weekday() < 5  # a working day
            active = {"zh-CN": "活跃", "en": "Active"}[lang]
            assert (out.analysis["Dormant"] == active).sum() >= 50
            assert len(out.calllist) >= 20 and out.calllist["Owner"].nunique() == 4


@pytest.mark.parametrize("lang,sheet,column,says", [
    ("zh-CN", "订单", "已回款", "留空 = 已全额回款"),
    ("en", "Orders", "Paid", "Blank = paid in full"),
    ("zh-CN", "客户", "推荐人", "客户编号"),
    ("en", "Customers", "ReferredBy", "CustomerID"),
], ids=["paid-zh", "paid-en", "referrer-zh", "referrer-en"])
def test_selecting_a_paid_or_referrer_cell_says_what_it_means(lang, sheet, column, says):
    ws = openpyxl.load_workbook(workbook_path(lang))[sheet]
    header = [c.value for c in ws[1]]
    letter = openpyxl.utils.get_column_letter(header.index(column) + 1)
    (dv,) = [d for d in ws.data_validations.dataValidation
             if str(d.sqref).startswith(f"{letter}2:")]
    assert dv.showInputMessage and dv.promptTitle == column and says in dv.prompt
