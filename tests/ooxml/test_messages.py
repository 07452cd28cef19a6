"""A problem found inside the file is said in the workbook's language, down to the
detail in brackets: every place the writer refuses a file names what it found in
English and in Chinese, and the message picks the book's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import openpyxl
from openpyxl.worksheet.table import Table
from support.books import write_book, zh_sheets

from xl_addin.cli import main
from xl_addin.errors import BookError, Said
from xl_addin.names import CALLLIST

PACKAGE = Path(__file__).resolve().parents[2] / "xl_addin"
CJK = re.compile(r"[\u4e00-\u9fff]")
HELPERS = {"corrupt", "too_large", "unsupported_layout"}


def _calls() -> list[tuple[str, int, ast.Call]]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in HELPERS):
                found.append((path.name, node.lineno, node))
    return found


def test_every_refusal_inside_a_file_has_its_chinese_detail():
    calls = _calls()
    assert len(calls) >= 40  # the writer and the package refuse in many places
    for name, line, call in calls:
        assert len(call.args) == 3, f"{name}:{line} names its detail in one language only"
        zh = ast.unparse(call.args[2])
        assert CJK.search(zh), f"{name}:{line}: the Chinese detail is not Chinese: {zh}"


def test_a_detail_is_rendered_in_the_language_asked():
    exc = BookError("corrupt", path="b.xlsx", detail=Said("styles have no <fonts> list",
                                                           "样式部件缺少 <fonts> 列表"))
    assert exc.render("en") == "b.xlsx is damaged or incomplete (styles have no <fonts> list)"
    assert exc.render("zh-CN") == "b.xlsx 已损坏或不完整（样式部件缺少 <fonts> 列表）"
    assert "fonts> list" in str(exc)  # a log line without a language is English


def test_a_chinese_book_with_two_tables_on_its_call_list_is_refused_in_chinese(
        tmp_path, capsys):
    book = write_book(tmp_path / "两个表格.xlsx", zh_sheets())
    wb = openpyxl.load_workbook(book)
    ws = wb.create_sheet(CALLLIST.label("zh-CN"))
    for r in range(1, 4):
        ws.append([f"a{r}", f"b{r}", None, f"c{r}", f"d{r}"])
    ws.add_table(Table(displayName="T1", ref="A1:B3"))
    ws.add_table(Table(displayName="T2", ref="D1:E3"))
    wb.save(book)
    before = book.read_bytes()
    assert main(["refresh", str(book)]) == 2
    err = capsys.readouterr().err
    assert "含有 2 个表格" in err and "结果表最多只能有一个" in err, err
    assert "holds 2 tables" not in err
    assert book.read_bytes() == before
