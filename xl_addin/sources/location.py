"""Where Settings ``OrdersSource`` / ``ContactsSource`` point: a file, a folder, a database.

The value is a path relative to the workbook's folder (an absolute path works too):

* a **CSV file** (``.csv``, ``.txt``, ``.tsv``; UTF-8 with a header row) or a **Parquet
  file** (``.parquet``, ``.pq``);
* a **folder** of such files (all CSV or all Parquet, read in the order of their paths,
  sub-folders included — a folder per year works);
* a **DuckDB database** (``.duckdb``, ``.ddb``, ``.db``) holding a table named like the
  sheet (``Orders`` / ``订单``, ``Contacts`` / ``联系记录``, or an alias).

Columns are matched as the sheet's are: by any of their names, case, spaces and ``_``
ignored. A missing path, an unknown kind or a folder that mixes kinds is refused in
the book's language (:class:`~xl_addin.errors.BookError`), before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import BookError, Reason

__all__ = ["CSV_SUFFIXES", "DUCKDB_SUFFIXES", "PARQUET_SUFFIXES", "Source", "locate"]

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
DUCKDB_SUFFIXES = frozenset({".duckdb", ".ddb", ".db"})


@dataclass(frozen=True)
class Source:
    """One resolved source: ``kind`` ``csv`` / ``parquet`` / ``duckdb``; ``files`` the data
    files in reading order (none for a database or a new folder)."""

    setting: str
    text: str
    path: Path
    kind: str
    folder: bool
    files: tuple[Path, ...] = ()

    @property
    def label(self) -> str:
        """How messages name it: as typed in Settings."""
        return self.text

    def name_of(self, file: Path) -> str:
        """How messages name one of its files (the folder as typed, then the file)."""
        if not self.folder:
            return self.text
        return f"{self.text.rstrip('/')}/{file.relative_to(self.path).as_posix()}"


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in DUCKDB_SUFFIXES:
        return "duckdb"
    return None


def locate(book_dir: Path, text: str, setting: str = "OrdersSource", *, lang: str = "en",
           create: bool = False) -> Source:
    """The source a setting names. ``create``: it may not exist yet (it will be written:
    a path without a known suffix is then a new folder of Parquet files)."""
    text = str(text).strip()
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (book_dir / path).resolve()
    where = {"setting": setting, "path": text, "folder": str(book_dir)}
    if not path.exists():
        if not create:
            raise BookError(Reason.SOURCE_NOT_FOUND, lang=lang, **where)
        kind = _kind(path)
        if kind is None:
            return Source(setting, text, path, "parquet", True)
        return Source(setting, text, path, kind, False)
    if path.is_dir():
        files = sorted((p for p in path.rglob("*") if p.is_file() and _kind(p) in
                        ("csv", "parquet") and not p.name.startswith(".")),
                       key=lambda p: p.relative_to(path).as_posix())
        kinds = {_kind(p) for p in files}
        if len(kinds) > 1:
            raise BookError(Reason.SOURCE_MIXED, lang=lang, **where)
        kind = kinds.pop() if kinds else "parquet"
        return Source(setting, text, path, kind, True, tuple(files))
    kind = _kind(path)
    if kind is None:
        raise BookError(Reason.SOURCE_KIND, lang=lang, **where)
    return Source(setting, text, path, kind, False, () if kind == "duckdb" else (path,))
