"""``customerbook import`` through the real command line on real workbooks: the export's
orders land whole or not at all, a second import of the same export adds nothing and
leaves the file byte for byte as it was, the mapping is remembered on the Mapping sheet,
and --to-source writes into Settings OrdersSource (a CSV export planned by DuckDB, as large
as the source takes)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import python_calamine as pc
from import_book import EXPORTS, book_customers, book_orders
from support.books import write_book

from xl_addin.imports import MAX_ROWS, ImportFileError
from xl_addin.macros import import_file, refresh_file
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS

SHIPPED = Path(__file__).resolve().parents[2] / "workbook"


def _rows(spec, frame: pd.DataFrame, lang: str) -> list[list]:
    cols = [c for c in spec.columns if c.key in frame]
    out = [[c.label(lang) for c in cols]]
    for rec in frame.to_dict("records"):
        row = []
        for c in cols:
            v = rec[c.key]
            if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
                v = None
            elif isinstance(v, pd.Timestamp):
                v = v.date()
            row.append(v)
        out.append(row)
    return out


def make_book(path: Path, lang: str = "zh-CN", mapping: list[list[str]] | None = None,
              **settings: str) -> Path:
    """The import tests' book (import_book.py) as a real workbook with Tables."""
    names = {"zh-CN": ("客户", "订单", "设置", "导入映射"),
             "en": ("Customers", "Orders", "Settings", "Mapping")}[lang]
    head = ["键", "值"] if lang == "zh-CN" else ["Key", "Value"]
    sheets = {names[0]: _rows(CUSTOMERS, book_customers(), lang),
              names[1]: _rows(ORDERS, book_orders(), lang),
              names[2]: [head, ["Language", lang], *([k, v] for k, v in settings.items())]}
    if mapping:
        sheets[names[3]] = mapping
    return write_book(path, sheets)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xl_addin.cli", *map(str, args)],
                          capture_output=True, text=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sheet(path: Path, name: str) -> list[list]:
    wb = pc.CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(name).to_python()
    finally:
        wb.close()


# ------------------------------------------------------------------ idempotence
def test_importing_the_same_export_twice_adds_nothing_the_second_time(tmp_path):
    path = make_book(tmp_path / "门店.xlsx")
    first = cli("import", path, EXPORTS / "youzan_orders_gbk.csv")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == (
        "youzan_orders_gbk.csv（有赞）：读取 17 行，新订单 12 笔，跳过重复 2 行，新客户 3 位，拒绝 0 行")
    assert "已写入 门店.xlsx：「订单」新增 12 行订单，「客户」新增 3 位客户；列对应关系已保存到「导入映射」" \
        in first.stdout
    orders, customers = sheet(path, "订单"), sheet(path, "客户")
    assert len(orders) == 1 + 4 + 12 and len(customers) == 1 + 7 + 3
    assert [r[0] for r in customers[-3:]] == ["K0201", "K0202", "K0203"]
    assert customers[-1][3] == "导入"  # Source: staff can find the new customers
    mapping = sheet(path, "导入映射")
    assert mapping[0] == ["来源系统", "导出列", "订单列"]
    assert ["有赞", "订单实付金额", "金额"] in mapping
    assert len(list((tmp_path / "CustomerBook backups").iterdir())) == 1  # in place: a backup
    after_first = digest(path)

    second = cli("import", path, EXPORTS / "youzan_orders_gbk.csv")
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[0] == (
        "youzan_orders_gbk.csv（有赞）：读取 17 行，新订单 0 笔，跳过重复 14 行，新客户 0 位，拒绝 0 行")
    assert "没有需要导入的新内容。" in second.stdout
    assert digest(path) == after_first  # not a byte changed
    assert len(list((tmp_path / "CustomerBook backups").iterdir())) == 1


def test_an_english_book_is_told_in_english(tmp_path):
    path = make_book(tmp_path / "shop.xlsx", lang="en")
    run = cli("import", path, EXPORTS / "shopify_orders.csv")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == (
        "shopify_orders.csv (Shopify): rows read 11; new orders 4; duplicates skipped 0; "
        "new customers 2; refused 0")
    assert "Written to shop.xlsx: 5 order row(s) appended to Orders, 2 customer(s) added to " \
        "Customers; the column mapping was saved on Mapping." in run.stdout
    again = digest(path)
    second = cli("import", path, EXPORTS / "shopify_orders.csv")
    assert second.returncode == 0 and "new orders 0" in second.stdout
    assert "Nothing new to import." in second.stdout and digest(path) == again


def test_the_shipped_workbook_takes_an_import_and_keeps_everything_else(tmp_path):
    """The real .xlsm (VBA, buttons, charts): only the appended sheets' parts change."""
    path = tmp_path / "CustomerBook.xlsm"
    shutil.copy(SHIPPED / "CustomerBook.xlsm", path)
    run = cli("import", path, EXPORTS / "taobao_orders_bom.csv", "--out", tmp_path / "out.xlsm")
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out.xlsm"
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(out) as b:
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
        added = set(b.namelist()) - set(a.namelist())
    assert "xl/vbaProject.bin" not in changed
    assert all(n.startswith(("xl/worksheets/", "xl/tables/", "xl/sharedStrings", "xl/styles",
                             "[Content_Types]", "xl/workbook.xml", "xl/_rels/", "docProps/"))
               for n in changed | added), changed | added
    second = cli("import", out, EXPORTS / "taobao_orders_bom.csv")
    assert second.returncode == 0 and "新订单 0 笔" in second.stdout
    refreshed = refresh_file(out, tmp_path / "refreshed.xlsm")
    assert refreshed.counts["customers"] > 200  # the buyers are customers now


# --------------------------------------------------------------- all or nothing
def test_a_refused_row_leaves_the_book_byte_identical(tmp_path):
    path = make_book(tmp_path / "book.xlsx")
    before = digest(path)
    run = cli("import", path, EXPORTS / "jd_orders.xlsx")
    assert run.returncode == 2
    assert "拒绝 5 行" in run.stdout.splitlines()[0]
    assert "不会写入任何内容" in run.stdout
    assert "文件「jd_orders.xlsx」第 8 行「订单号」列" in run.stdout  # row and column named
    assert digest(path) == before
    assert not (tmp_path / "CustomerBook backups").exists()


def test_an_unmapped_column_lists_the_exports_headers(tmp_path):
    path = make_book(tmp_path / "book.xlsx")
    before = digest(path)
    run = cli("import", path, EXPORTS / "unknown_layout.csv")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "导出文件的列为：日期, 金额, 备注" in run.stderr
    assert digest(path) == before


def test_the_mapping_sheet_makes_a_new_layout_importable(tmp_path):
    export = tmp_path / "till.csv"
    export.write_text("Datum,Betrag,Handy\n2026-03-01,100,13600136000\n"
                      "2026-03-02,80.5,13900139000\n", encoding="utf-8")
    plain = make_book(tmp_path / "plain.xlsx")
    assert cli("import", plain, export).returncode == 2
    path = make_book(tmp_path / "mapped.xlsx", mapping=[
        ["来源系统", "导出列", "订单列"], ["我的收银", "Datum", "下单日期"],
        ["我的收银", "Betrag", "金额"], ["我的收银", "Handy", "电话"]])
    run = cli("import", path, export)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == (
        "till.csv（我的收银）：读取 2 行，新订单 2 笔，跳过重复 0 行，新客户 0 位，拒绝 0 行")
    orders = sheet(path, "订单")
    assert [r[1] for r in orders[-2:]] == ["K0200", "K0197"]  # matched by phone
    assert len(sheet(path, "导入映射")) == 4  # the user's rows were enough: none added


def test_dry_run_writes_nothing(tmp_path):
    path = make_book(tmp_path / "book.xlsx")
    before = digest(path)
    run = cli("import", path, EXPORTS / "youzan_orders_gbk.csv", "--dry-run")
    assert run.returncode == 0
    assert "新订单 12 笔" in run.stdout and "试运行：未写入任何内容。" in run.stdout
    assert digest(path) == before


def test_no_new_customers_lists_the_unknown_buyers(tmp_path):
    path = make_book(tmp_path / "book.xlsx")
    run = cli("import", path, EXPORTS / "youzan_orders_gbk.csv", "--no-new-customers")
    assert run.returncode == 0, run.stderr
    assert "新订单 7 笔" in run.stdout and "新客户 0 位" in run.stdout  # 5 orders of 3 buyers
    assert "不在客户表中的买家 3 位" in run.stdout
    assert len(sheet(path, "客户")) == 8 and len(sheet(path, "订单")) == 1 + 4 + 7


def test_out_leaves_the_book_as_it_was(tmp_path):
    path = make_book(tmp_path / "book.xlsx")
    before = digest(path)
    run = cli("import", path, EXPORTS / "till_sales_tab.csv", "--out", tmp_path / "new.xlsx")
    assert run.returncode == 0, run.stderr
    assert digest(path) == before and (tmp_path / "new.xlsx").exists()


# ------------------------------------------------------------------ --to-source
def test_to_source_writes_the_orders_beside_the_workbook(tmp_path):
    path = make_book(tmp_path / "book.xlsx", OrdersSource="订单历史")
    orders_before = sheet(path, "订单")
    run = cli("import", path, EXPORTS / "youzan_orders_gbk.csv", "--to-source")
    assert run.returncode == 0, run.stderr
    assert "已写入：订单历史 新增 12 行订单" in run.stdout
    parts = list((tmp_path / "订单历史").glob("*.parquet"))
    assert len(parts) == 1
    assert sheet(path, "订单") == orders_before  # the sheet is as it was
    assert len(sheet(path, "客户")) == 1 + 7 + 3  # the new customers are on the sheet
    book_after = digest(path)
    again = cli("import", path, EXPORTS / "youzan_orders_gbk.csv", "--to-source")
    assert again.returncode == 0 and "新订单 0 笔" in again.stdout
    assert len(list((tmp_path / "订单历史").glob("*.parquet"))) == 1
    assert digest(path) == book_after
    # the sheet and the source together are the book's orders: importing into the sheet
    # now finds every order already there
    into_sheet = cli("import", path, EXPORTS / "youzan_orders_gbk.csv")
    assert into_sheet.returncode == 0 and "新订单 0 笔" in into_sheet.stdout
    result = refresh_file(path, tmp_path / "out.xlsx")
    analysis = {r[0]: r for r in sheet(tmp_path / "out.xlsx", "客户分析")[1:]}
    assert analysis["K0196"][3] == 99.0 + 199.0 and result.counts["customers"] == 10


def test_to_source_without_the_setting_says_what_to_do(tmp_path):
    path = make_book(tmp_path / "book.xlsx", lang="en")
    run = cli("import", path, EXPORTS / "shopify_orders.csv", "--to-source")
    assert run.returncode == 2
    assert "Importing into the orders source needs Settings OrdersSource" in run.stderr


@pytest.mark.parametrize("where", ["history", "orders.parquet", "orders.csv", "shop.duckdb"])
def test_a_failed_workbook_write_puts_the_source_back(tmp_path, monkeypatch, where):
    path = make_book(tmp_path / "book.xlsx", OrdersSource=where)
    import_file(path, EXPORTS / "till_sales_tab.csv", to_source=True)  # the source exists
    state = {p.name: digest(p) for p in tmp_path.rglob("*") if p.is_file()
             and "backups" not in str(p)}
    from xl_addin.excel import files

    def broken(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_import", broken)
    with pytest.raises(OSError):
        import_file(path, EXPORTS / "youzan_orders_gbk.csv", to_source=True)
    after = {p.name: digest(p) for p in tmp_path.rglob("*") if p.is_file()
             and "backups" not in str(p)}
    assert after == state  # the source as it was, no file left behind


# ------------------------------------------------- --to-source: a CSV planned by DuckDB
def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (but the backups) and its digest."""
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and "backups" not in p.parts[len(folder.parts):][0]}


def big_export(path: Path, rows: int) -> Path:
    """A Youzan export of ``rows`` orders, all K0196's (138 0013 8000), written by DuckDB."""
    duckdb.sql(f"""COPY (SELECT 'B' || lpad(CAST(range AS VARCHAR), 9, '0') AS "订单号",
                         '交易成功' AS "订单状态", '2026-03-01 10:00:00' AS "订单创建时间",
                         '面膜' AS "全部商品名称", '99.00' AS "订单实付金额",
                         '13800138000' AS "买家手机号" FROM range({rows}))
                   TO '{path}' (HEADER)""")
    return path


def test_into_the_source_an_export_may_be_bigger_than_into_the_sheet(tmp_path):
    export = big_export(tmp_path / "big.csv", MAX_ROWS + 1)
    path = make_book(tmp_path / "book.xlsx", lang="en", OrdersSource="orders.parquet")
    before = digest(path)
    with pytest.raises(ImportFileError, match="more than 200,000 rows"):
        import_file(path, export)  # the sheet: Excel's row limit is not far
    assert digest(path) == before
    result = import_file(path, export, to_source=True)
    plan = result.plan
    assert result.ok and plan.read_by == "duckdb"
    assert (plan.summary.read, plan.summary.new_orders) == (MAX_ROWS + 1, MAX_ROWS + 1)
    source = tmp_path / "orders.parquet"
    assert duckdb.sql(f"SELECT count(*), count(DISTINCT OrderID), min(CustomerID), "
                      f"max(CustomerID), sum(Amount) FROM '{source}'").fetchall() == [
        (MAX_ROWS + 1, MAX_ROWS + 1, "K0196", "K0196", 99.0 * (MAX_ROWS + 1))]
    state = tree(tmp_path)
    again = import_file(path, export, to_source=True)
    assert (again.plan.summary.new_orders, again.plan.summary.duplicates) == (0, MAX_ROWS + 1)
    assert "Nothing new to import." in again.report and "… and 199951 more" in again.report
    assert tree(tmp_path) == state  # neither the book nor the source changed


def test_a_dry_run_into_the_source_writes_nothing(tmp_path):
    path = make_book(tmp_path / "book.xlsx", OrdersSource="history")
    import_file(path, EXPORTS / "till_sales_tab.csv", to_source=True)  # the source exists
    state = tree(tmp_path)
    run = cli("import", path, EXPORTS / "youzan_orders_gbk.csv", "--to-source", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "新订单 12 笔" in run.stdout and "试运行：未写入任何内容。" in run.stdout
    assert tree(tmp_path) == state


def test_a_refused_row_leaves_the_book_and_the_source_byte_identical(tmp_path):
    path = make_book(tmp_path / "book.xlsx", OrdersSource="orders.csv")
    import_file(path, EXPORTS / "till_sales_tab.csv", to_source=True)  # the source exists
    export = tmp_path / "youzan.csv"
    export.write_text("订单号,订单创建时间,订单实付金额,买家手机号\n"
                      "E1,2026-03-01 10:00:00,99.00,13800138000\n"
                      "E2,2026-02-30 10:00:00,5.00,13800138000\n"
                      "E3,2026-03-02 10:00:00,abc,138****6000\n", encoding="utf-8")
    state = tree(tmp_path)
    run = cli("import", path, export, "--to-source")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "拒绝 2 行" in run.stdout.splitlines()[0] and "不会写入任何内容" in run.stdout
    assert "文件「youzan.csv」第 3 行「订单创建时间」列" in run.stdout  # the row and column named
    assert "第 4 行「订单实付金额」列：应为数字，实际为“abc”" in run.stdout
    assert "第 4 行「买家手机号」列：手机号“138****6000”已打码" in run.stdout
    assert tree(tmp_path) == state


def test_no_new_customers_into_the_source_lists_the_buyers(tmp_path):
    path = make_book(tmp_path / "book.xlsx", OrdersSource="history")
    run = cli("import", path, EXPORTS / "youzan_orders_gbk.csv", "--to-source",
              "--no-new-customers")
    assert run.returncode == 0, run.stderr
    assert "新订单 7 笔" in run.stdout and "新客户 0 位" in run.stdout
    assert "不在客户表中的买家 3 位" in run.stdout
    assert len(sheet(path, "客户")) == 8  # the Customers sheet as it was
    parts = list((tmp_path / "history").glob("*.parquet"))
    assert len(parts) == 1 and duckdb.sql(f"SELECT count(*) FROM '{parts[0]}'").fetchall() == [
        (7,)]


# ------------------------------------------------------- what an import reads of the book
def _with_contacts(path: Path, lang: str = "zh-CN", **settings: str) -> Path:
    """The import tests' book with a Contacts sheet whose date does not read and a
    customer whose birthday does not: what an import never uses."""
    make_book(path, lang, **settings)
    wb = pc.CalamineWorkbook.from_path(str(path))
    sheets = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    wb.close()
    customers = sheets["客户" if lang == "zh-CN" else "Customers"]
    customers[0].append(next(c for c in CUSTOMERS.columns if c.key == "Birthday").label(lang))
    for n, row in enumerate(customers[1:]):
        row.append("三月三十二" if n == 2 else None)
    contacts = [[c.label(lang) for c in CONTACTS.columns[:3]], ["K0196", "昨天下午", "电话"]]
    sheets[CONTACTS.label(lang)] = contacts
    path.unlink()
    return write_book(path, sheets)


@pytest.mark.parametrize("to_source", [False, True], ids=["sheet", "source"])
def test_an_import_checks_only_what_it_uses_of_the_book(tmp_path, to_source):
    """A birthday or a contact date that does not read stops the refresh, which uses
    them, not an import, which does not; what the import uses is checked as ever."""
    path = _with_contacts(tmp_path / "book.xlsx", **({"OrdersSource": "history"}
                                                      if to_source else {}))
    result = import_file(path, EXPORTS / "youzan_orders_gbk.csv", to_source=to_source)
    assert result.ok and result.plan.summary.new_orders == 12
    refresh = cli("refresh", path, "--out", tmp_path / "out.xlsx")
    assert refresh.returncode == 2
    assert "生日" in refresh.stderr and "联系日期" in refresh.stderr


def test_the_books_problems_are_told_before_the_exports(tmp_path):
    """The export is read while the book is (into the source): a book that is refused is
    told first, as when the export was read after it, and nothing is written."""
    path = make_book(tmp_path / "book.xlsx", OrdersSource="history")
    wb = pc.CalamineWorkbook.from_path(str(path))
    sheets = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    wb.close()
    sheets["客户"][3][0] = sheets["客户"][2][0]  # one ID twice
    path.unlink()
    write_book(path, sheets)
    before = tree(tmp_path)
    for export in (EXPORTS / "unknown_layout.csv", EXPORTS / "youzan_orders_gbk.csv"):
        run = cli("import", path, export, "--to-source")
        assert run.returncode == 2 and "Traceback" not in run.stderr
        assert "客户编号" in run.stderr and "重复" in run.stderr, run.stderr
        assert "导出文件的列为" not in run.stderr
    assert tree(tmp_path) == before


def _source_rows(path: Path) -> list[tuple]:
    """Every order row in a source (a file, a folder of files, a DuckDB database)."""
    if path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = [t for (t,) in con.sql("SELECT table_name FROM information_schema.tables "
                                            "ORDER BY 1").fetchall()]
            return [(t, *r) for t in tables
                    for r in con.sql(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall()]
        finally:
            con.close()
    files = sorted(path.rglob("*.*")) if path.is_dir() else [path]
    reader = "read_csv" if path.suffix == ".csv" else "read_parquet"
    return [r for f in files for r in duckdb.sql(
        f"SELECT * FROM {reader}('{f}', all_varchar = true)" if reader == "read_csv"
        else f"SELECT * FROM {reader}('{f}')").fetchall()]  # files by name: by time


@pytest.mark.parametrize("source,export", [
    *(("history", p.name) for p in sorted(EXPORTS.glob("*.csv"))),
    *((s, e) for s in ("orders.parquet", "orders.csv", "shop.duckdb")
      for e in ("youzan_orders_gbk.csv", "unknown_layout.csv", "till_lines_semicolon.csv"))])
def test_an_export_read_beside_the_book_is_planned_as_one_read_after_it(tmp_path, monkeypatch,
                                                                       export, source):
    """The same report, summary and written files whether the export is read while the
    book's customers are read or after them: into a source not there yet, and into one
    that holds orders already."""
    from xl_addin import macros

    results = {}
    for ahead in (True, False):
        folder = tmp_path / str(ahead)
        folder.mkdir()
        path = make_book(folder / "book.xlsx", OrdersSource=source)
        import_file(path, EXPORTS / "till_sales_tab.csv", to_source=True)  # orders there
        if not ahead:
            monkeypatch.setattr(macros._ExportAhead, "start", lambda self, raw: None)
        runs = []
        for _ in range(2):  # the second: everything a duplicate
            try:
                r = import_file(path, EXPORTS / export, to_source=True)
                runs.append((r.report, r.plan.summary))
            except ImportFileError as exc:
                runs.append(exc.render("zh-CN"))
        wb = pc.CalamineWorkbook.from_path(str(path))
        book = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
        wb.close()
        results[ahead] = runs, book, _source_rows(folder / source)

        monkeypatch.undo()
    assert results[True] == results[False]
