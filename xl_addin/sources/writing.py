"""Writing orders into a source: ``customerbook import --to-source`` and ``archive``.

:func:`stage_orders` prepares the rows beside the source (nothing a reader sees changes
yet); :meth:`Staged.commit` puts them in place in one step; :meth:`Staged.undo` puts the
source back as it was. The doors commit the source first and write the workbook after:
should the workbook not be written, the source is put back, so the import (or the
archive) lands whole or not at all.

How each kind takes new rows:

* a **folder** (of Parquet or CSV files, or one that does not exist yet: a new folder of
  Parquet files): a new file ``orders-<time>.parquet`` (``.csv``) is added; committing
  is renaming it into the folder;
* a **Parquet or CSV file**: a new file with the old rows and the new ones is written
  beside it and moved over it (the old one is kept until the workbook is written);
* a **DuckDB database**: the rows are inserted into its orders table (created with the
  Orders columns when missing) in one transaction, after a copy of the file is taken;
  undoing puts the copy back.

New rows take the source's own column names (matched as the sheet matches its header);
a new file or table gets the Orders sheet's English names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import BookError, Reason
from ..names import ORDERS, fold
from .location import Source
from .reading import _ident, _quote, connect

__all__ = ["Staged", "stage_orders"]

_TYPES = {"date": "DATE", "money": "DOUBLE"}


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """The Orders columns, typed (text, dates, numbers), from a frame of them."""
    out = {}
    for c in ORDERS.columns:
        values = frame[c.key] if c.key in frame else pd.Series([None] * len(frame))
        if c.kind == "date":
            out[c.key] = pd.to_datetime(values).dt.date
        elif c.kind == "money":
            out[c.key] = pd.to_numeric(values).astype(np.float64)
        else:
            out[c.key] = pd.Series([None if v is None or (isinstance(v, float) and v != v)
                                    else str(v) for v in values], dtype=object)
    return pd.DataFrame(out).reset_index(drop=True)


def _for_sql(frame: pd.DataFrame) -> pd.DataFrame:
    """The Orders columns as DuckDB reads them from a frame (its COPY and INSERT cast each
    column to its type): text columns that hold text only are taken as they are."""
    out = {}
    for c in ORDERS.columns:
        values = frame[c.key] if c.key in frame else pd.Series([None] * len(frame))
        values = values.reset_index(drop=True)
        if c.kind == "date":
            out[c.key] = pd.to_datetime(values)
        elif c.kind == "money":
            out[c.key] = pd.to_numeric(values).astype(np.float64)
        elif pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            out[c.key] = values.astype(object).where(values.notna(), None)
        else:
            out[c.key] = _canonical(pd.DataFrame({c.key: values}))[c.key]
    return pd.DataFrame(out)


@dataclass
class _Rows:
    """The new rows: a frame of the Orders columns, or a Parquet file holding them (the
    DuckDB import plan's, read where it lies)."""

    frame: pd.DataFrame | None = None
    file: Path | None = None

    @classmethod
    def of(cls, orders: pd.DataFrame | Path) -> _Rows:
        return cls(file=Path(orders)) if isinstance(orders, str | Path) else cls(frame=orders)

    def count(self) -> int:
        if self.frame is not None:
            return len(self.frame)
        con = connect()
        try:
            return int(con.execute(f"SELECT count(*) FROM read_parquet({_quote(str(self.file))})"
                                   ).fetchall()[0][0])
        finally:
            con.close()

    def is_canonical(self) -> bool:
        """A Parquet file of exactly the Orders columns, each of its type, and no other."""
        if self.file is None:
            return False
        con = connect()
        try:
            cols = [(r[0], r[1]) for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({_quote(str(self.file))})").fetchall()]
        finally:
            con.close()
        return cols == [(c.key, _TYPES.get(c.kind, "VARCHAR")) for c in ORDERS.columns]

    def attach(self, con: Any) -> None:
        """The rows as the relation ``new_rows`` on ``con``."""
        if self.frame is not None:  # dates as dates (a day, not a time), as a file holds them
            con.register("new_rows_frame", _for_sql(self.frame))
            dates = ", ".join(f"CAST({_ident(c.key)} AS DATE) AS {_ident(c.key)}"
                              for c in ORDERS.columns if c.kind == "date")
            con.execute(f"CREATE OR REPLACE TEMP VIEW new_rows AS SELECT * REPLACE ({dates}) "
                        "FROM new_rows_frame")
        else:
            con.execute("CREATE OR REPLACE TEMP VIEW new_rows AS SELECT * FROM "
                        f"read_parquet({_quote(str(self.file))})")

    def python(self) -> pd.DataFrame:
        """The rows as Python values (for appending to a CSV file as Python writes it)."""
        if self.frame is not None:
            return _canonical(self.frame)
        con = connect()
        try:
            self.attach(con)
            return _canonical(con.execute("SELECT * FROM new_rows").df())
        finally:
            con.close()


@dataclass
class Staged:
    """Rows ready to go into a source; ``count`` of them."""

    source: Source
    count: int
    _tmp: Path | None = None
    _target: Path | None = None
    _kept: Path | None = None
    _db: dict[str, Any] = field(default_factory=dict)
    committed: bool = False

    def commit(self) -> None:
        if self.count == 0:
            return
        if self._db:
            _db_insert(self)
        else:
            assert self._tmp is not None and self._target is not None
            if self._target.exists():  # keep the old file until the workbook is written
                self._kept = self._target.with_name(f".{self._target.name}.customerbook-old")
                if self._kept.exists():
                    self._kept.unlink()
                os.link(self._target, self._kept)
            os.replace(self._tmp, self._target)
            self._tmp = None
        self.committed = True

    def undo(self) -> None:
        """Put the source back as it was (after :meth:`commit`), or drop what was staged."""
        if self._tmp is not None and self._tmp.exists():
            self._tmp.unlink()
        if not self.committed:
            return
        if self._db:  # the database as it was (its copy), or none when there was none
            path = self.source.path
            if self._kept is not None:
                os.replace(self._kept, path)
                self._kept = None
            else:
                path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        elif self._kept is not None:
            os.replace(self._kept, self._target)  # type: ignore[arg-type]
            self._kept = None
        elif self._target is not None and self._target.exists():
            self._target.unlink()
        self.committed = False

    def close(self) -> None:
        """Forget the old copy (the workbook was written)."""
        if self._tmp is not None and self._tmp.exists():
            self._tmp.unlink()
        if self._kept is not None and self._kept.exists():
            self._kept.unlink()


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def _write_file(rows: _Rows, kind: str, path: Path) -> None:
    if kind == "parquet" and rows.is_canonical():  # the file already is what goes in
        shutil.copyfile(rows.file, path)  # type: ignore[arg-type]
        return
    con = connect()
    try:
        rows.attach(con)
        types = ", ".join(f"CAST({_ident(c.key)} AS {_TYPES.get(c.kind, 'VARCHAR')}) AS "
                          f"{_ident(c.key)}" for c in ORDERS.columns)
        fmt = "(FORMAT parquet)" if kind == "parquet" else "(FORMAT csv, HEADER true)"
        con.execute(f"COPY (SELECT {types} FROM new_rows) TO {_quote(str(path))} {fmt}")
    finally:
        con.close()


def _aligned_select(columns: list[tuple[str, str]]) -> str:
    """The new rows under an existing file's or table's columns (cast to their types)."""
    keys = {}
    for name, _typ in columns:
        col = next((c for c in ORDERS.columns if fold(name) in c.names()), None)
        if col is not None and col.key not in keys.values():
            keys[name] = col.key
    parts = []
    for name, typ in columns:
        key = keys.get(name)
        expr = f"new_rows.{_ident(key)}" if key else "NULL"
        parts.append(f"CAST({expr} AS {typ}) AS {_ident(name)}")
    return ", ".join(parts)


def _csv_lines(frame: pd.DataFrame, header: list[str]) -> str:
    keys = {}
    for i, name in enumerate(header):
        col = next((c for c in ORDERS.columns if fold(name) in c.names()), None)
        if col is not None and col.key not in keys.values():
            keys[i] = col.key
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for rec in frame.to_dict("records"):
        row = []
        for i in range(len(header)):
            v = rec.get(keys[i]) if i in keys else None
            if v is None or (isinstance(v, float) and v != v):
                row.append("")
            elif isinstance(v, float):
                row.append(repr(v))
            elif isinstance(v, dt.date):
                row.append(v.isoformat())
            else:
                row.append(str(v))
        w.writerow(row)
    return buf.getvalue()


def stage_orders(source: Source, orders: pd.DataFrame | Path, lang: str = "en") -> Staged:
    """Prepare ``orders`` (the Orders columns; or a Parquet file holding them, as the
    DuckDB import plan keeps its rows) for ``source``; see the module notes."""
    rows = _Rows.of(orders)
    staged = Staged(source, rows.count())
    if not staged.count:
        return staged
    try:
        if source.kind == "duckdb":
            staged._db = {"rows": rows}
            return staged
        if source.folder:
            source.path.mkdir(parents=True, exist_ok=True)
            suffix = ".parquet" if source.kind == "parquet" else ".csv"
            target = source.path / f"orders-{_stamp()}{suffix}"
            tmp = source.path / f".{target.name}.customerbook-tmp"
            _write_file(rows, source.kind, tmp)
        else:
            target = source.path
            tmp = target.with_name(f".{target.name}.{_stamp()}.customerbook-tmp")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                _write_file(rows, source.kind, tmp)
            elif source.kind == "parquet":
                con = connect()
                try:
                    rows.attach(con)
                    old = f"read_parquet({_quote(str(target))})"
                    cols = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {old}")
                            .fetchall()]
                    con.execute(f"COPY (SELECT * FROM {old} UNION ALL SELECT "
                                f"{_aligned_select(cols)} FROM new_rows) TO "
                                f"{_quote(str(tmp))} (FORMAT parquet)")
                finally:
                    con.close()
            else:  # CSV: the old bytes as they are, then the new lines under its header
                with open(target, encoding="utf-8-sig", newline="") as fh:
                    header = next(csv.reader(fh), [])
                shutil.copyfile(target, tmp)
                with open(tmp, "rb+") as fh:
                    fh.seek(0, os.SEEK_END)
                    if fh.tell():
                        fh.seek(-1, os.SEEK_END)
                        if fh.read(1) not in (b"\n", b"\r"):
                            fh.write(b"\n")
                    fh.write(_csv_lines(rows.python(), header).encode("utf-8"))
        staged._tmp, staged._target = tmp, target
        return staged
    except BookError:
        staged.undo()
        raise
    except Exception as exc:
        staged.undo()
        raise BookError(Reason.SOURCE_UNREADABLE, lang=lang, setting=source.setting,
                        path=source.label, detail=str(exc).splitlines()[0][:300]) from exc


def _db_table(con: Any) -> str | None:
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
    return next((t for t in tables if fold(t) in ORDERS.names()), None)


def _db_insert(staged: Staged) -> None:
    import duckdb

    rows = staged._db["rows"]
    path = staged.source.path
    if path.exists():  # a copy to put back should the workbook not be written
        staged._kept = path.with_name(f".{path.name}.customerbook-old")
        shutil.copyfile(path, staged._kept)
    con = duckdb.connect(str(path))
    try:
        table = _db_table(con)
        if table is None:
            table = "Orders"
            cols = ", ".join(f"{_ident(c.key)} {_TYPES.get(c.kind, 'VARCHAR')}"
                             for c in ORDERS.columns)
            con.execute(f"CREATE TABLE {_ident(table)} ({cols})")
        cols = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {_ident(table)}").fetchall()]
        rows.attach(con)
        con.execute("BEGIN TRANSACTION")
        con.execute(f"INSERT INTO {_ident(table)} SELECT {_aligned_select(cols)} FROM new_rows")
        con.execute("COMMIT")
    finally:
        con.close()
