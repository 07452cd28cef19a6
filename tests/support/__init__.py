"""What the tests share: book builders and sample data (:mod:`support.books`), the
broken-workbook cases (:mod:`support.broken`) and a stand-in for the few xlwings calls
the live door makes (:mod:`support.fakexl`)."""

from .books import *  # noqa: F403
from .books import __all__ as _books_all

__all__ = list(_books_all)
