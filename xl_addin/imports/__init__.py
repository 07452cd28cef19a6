"""Import orders from till and online-shop exports (CSV or .xlsx) into the book.

The pure engine behind ``customerbook import BOOK EXPORT`` and the Dashboard's import
button; it reads files and plans, and never writes a workbook:

* :func:`read_export` (:mod:`.exports`) — a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or
  .xlsx export as a header and rows numbered as the user sees them;
* :mod:`.mapping` — which export column is which Orders column: built-in layouts of
  common systems, and the Mapping sheet (导入映射) that overrides them;
* :func:`normalise_phone` (:mod:`xl_addin.domain.phones`) — a phone number as a matching key;
* :func:`plan_import` (:mod:`.plan`) — the orders to append, the customers to add, the
  duplicates, the refused rows and a summary, all or nothing;
* :func:`plan_csv_import` (:mod:`.sqlplan`, reading with :mod:`.sqlread`) — the same
  plan of a CSV export made by DuckDB over the whole export at once (``--to-source``:
  exports of a million rows and more).

Messages are in both languages (:mod:`.messages`), keyed by code.
"""

from __future__ import annotations

from ..domain.phones import Phone, find_phone_in_text, mask_matches, normalise_phone, phone_keys
from .exports import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    SOURCE_MAX_BYTES,
    SOURCE_MAX_ROWS,
    ExportTable,
    read_export,
    table_from_rows,
)
from .mapping import (
    GENERIC,
    MAPPING_SHEET,
    SYSTEMS,
    TARGETS,
    ImportMapping,
    MappingRow,
    Resolution,
    System,
    builtin_rows,
    detect_system,
    mapping_sheet_rows,
    read_mapping_sheet,
)
from .messages import CATALOGUE, Both, ImportFileError, RowIssue, render
from .plan import (
    CUSTOMER_COLUMNS,
    ORDER_COLUMNS,
    ImportPlan,
    ImportSummary,
    next_customer_ids,
    plan_import,
    status_class,
)
from .sqlplan import CsvExport, plan_csv_import
from .sqlread import is_csv_export

__all__ = [
    "CATALOGUE",
    "CUSTOMER_COLUMNS",
    "GENERIC",
    "MAPPING_SHEET",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "ORDER_COLUMNS",
    "SOURCE_MAX_BYTES",
    "SOURCE_MAX_ROWS",
    "SYSTEMS",
    "TARGETS",
    "Both",
    "CsvExport",
    "ExportTable",
    "ImportFileError",
    "ImportMapping",
    "ImportPlan",
    "ImportSummary",
    "MappingRow",
    "Phone",
    "Resolution",
    "RowIssue",
    "System",
    "builtin_rows",
    "detect_system",
    "find_phone_in_text",
    "is_csv_export",
    "mask_matches",
    "mapping_sheet_rows",
    "next_customer_ids",
    "normalise_phone",
    "phone_keys",
    "plan_csv_import",
    "plan_import",
    "read_export",
    "read_mapping_sheet",
    "render",
    "status_class",
    "table_from_rows",
]
