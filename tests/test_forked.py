"""Work in forked children (xl_addin.forked): a shortcut that never changes an answer.

A refresh reads and types a large Orders sheet, fits the purchase models and renders big
output sheets in forked children. These tests hold the children to three rules: a child's
result is what the parent would have computed; a child that fails in any way (an error,
a signal, a memory cap, a result that cannot be pickled) is replaced by the parent doing
the work itself; a child whose work is no longer wanted is stopped and collected. And,
on books of every kind (the hostile generator's, books with problems on the Orders
sheet), a refresh with children forced on everything gives the same file, or the same
refusal word for word, as a refresh without them.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.books import (
    CONTACT_HEADER,
    CUSTOMER_HEADER,
    ORDER_HEADER,
    contact,
    customer,
    order,
    write_book,
)
from test_hostile import _write as write_hostile
from test_hostile import hostile_book

from xl_addin import forked, macros
from xl_addin.domain.schema import parse_inputs
from xl_addin.errors import CustomerBookError
from xl_addin.excel import files
from xl_addin.excel.ooxml import output

PARENT = os.getpid()


def in_child() -> bool:
    return os.getpid() != PARENT


# ------------------------------------------------------------------ the shortcut's rules
def test_a_child_returns_what_the_function_returns():
    job = forked.Forked(lambda a, b=0: {"sum": a + b, "pid": os.getpid()}, 40, b=2)
    got = job.result()
    assert got["sum"] == 42
    assert got["pid"] != PARENT  # it was computed in the child
    assert job.result() is got  # asked twice: the same answer, no second run


def _fails_in_child(x: int) -> int:
    if in_child():
        raise RuntimeError("only the child fails")
    return x * 2


def _killed_in_child(x: int) -> int:
    if in_child():
        os.kill(os.getpid(), signal.SIGKILL)
    return x + 1


def _unpicklable_in_child() -> object:
    return (lambda: None) if in_child() else "here"


@pytest.mark.parametrize("fn, args, expected", [
    (_fails_in_child, (21,), 42),
    (_killed_in_child, (41,), 42),
    (_unpicklable_in_child, (), "here"),
])
def test_a_child_that_fails_in_any_way_is_replaced_by_the_parent(fn, args, expected):
    assert forked.Forked(fn, *args).result() == expected


def test_the_parent_may_do_something_else_when_the_child_fails():
    job = forked.Forked(_fails_in_child, 1, here=lambda: "the parent's own way")
    assert job.result() == "the parent's own way"


def _allocate(gb: int) -> str:
    block = np.ones(gb << 27)  # gb × 2^30 bytes of float64
    return f"allocated {block.nbytes >> 30} GB"


def test_a_child_over_its_memory_cap_ends_and_the_parent_is_told():
    job = forked.Forked(_allocate, 4, address_space=1 << 30, here=lambda: "capped")
    assert job.result() == "capped"
    # without the cap the same child can allocate it (the cap is what stopped it)
    assert forked.Forked(_allocate, 1, here=lambda: "capped").result() == "allocated 1 GB"


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def test_a_child_no_longer_wanted_is_stopped_and_collected():
    job = forked.Forked(_sleep, 60)
    pid = job._pid
    t0 = time.monotonic()
    job.cancel()
    assert time.monotonic() - t0 < 5
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_child_forgotten_by_its_caller_is_stopped_too():
    job = forked.Forked(_sleep, 60)
    pid = job._pid
    del job  # e.g. an error unwound the caller before it asked for the result
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def _grow(mb: int, hold: float) -> int:
    block = np.ones(mb << 17)  # mb × 2^20 bytes, touched
    time.sleep(hold)
    return int(block[-1])


def test_what_children_grow_at_one_time_is_counted():
    before = forked.children_kb()
    a, b = forked.Forked(_grow, 200, 1.0), forked.Forked(_grow, 200, 1.0)  # together
    a.result(), b.result()
    assert forked.children_kb() >= max(before, 2 * 190 * 1024)


# ------------------------------------------------------------- frames through the pipe
TEXTS = st.one_of(st.text(max_size=8), st.sampled_from(["", " ", "a\x1fb", "客户", "\x1f"]))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 40), data=st.data())
def test_a_packed_frame_comes_back_column_for_column(n, data):
    cols = {
        "text": data.draw(st.lists(TEXTS, min_size=n, max_size=n)),
        "gappy": data.draw(st.lists(st.one_of(TEXTS, st.just(np.nan)), min_size=n, max_size=n)),
        "nones": [None] * n,
        "mixed": data.draw(st.lists(st.one_of(TEXTS, st.floats(), st.none()), min_size=n,
                                    max_size=n)),
        "amount": data.draw(st.lists(st.floats(allow_nan=True), min_size=n, max_size=n)),
        "day": pd.to_datetime(data.draw(st.lists(
            st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)), st.none()),
            min_size=n, max_size=n))),
        "flag": data.draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "_row": np.arange(n, dtype=np.int64) + 2,
        "str": pd.array(data.draw(st.lists(TEXTS, min_size=n, max_size=n)), dtype="string"),
    }
    frame = pd.DataFrame({k: pd.Series(v, dtype=object if k in ("text", "gappy", "nones",
                                                                   "mixed") else None)
                          for k, v in cols.items()})
    back = forked.unpack_frame(forked.pack_frame(frame))
    pd.testing.assert_frame_equal(back, frame)
    for name in ("text", "gappy", "nones", "mixed"):  # None stays None, NaN stays NaN
        assert [type(v) for v in back[name]] == [type(v) for v in frame[name]]


# ---------------------------------------------------- a refresh with and without children
def outcome(book: Path, out: Path) -> tuple:
    """What a refresh of ``book`` gives: every part of the written file, or the refusal
    in both languages."""
    out.unlink(missing_ok=True)
    try:
        macros.refresh_file(book, out)
    except CustomerBookError as exc:
        return ("refused", type(exc).__name__, exc.render("en"), exc.render("zh-CN"))
    with zipfile.ZipFile(out) as zf:
        return ("written", {i.filename: zf.read(i) for i in zf.infolist()})


def both_ways(book: Path, folder: Path) -> tuple[tuple, tuple, int]:
    """The refresh without children, with children for everything they can take, and
    how many children that made."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(forked, "available", lambda: False)
        alone = outcome(book, folder / "alone.xlsx")
    with pytest.MonkeyPatch.context() as mp:  # on any machine, however many cores
        mp.setattr(forked, "available", lambda: True)
        mp.setattr(files, "AHEAD_BYTES", 0)
        mp.setattr(output, "APART_ROWS", 1)
        before = forked.started
        helped = outcome(book, folder / "helped.xlsx")
    return alone, helped, forked.started - before


def orders_book(path: Path, n: int, *, bad: dict[int, tuple[str, object]] | None = None,
                contact_date: object = dt.date(2026, 4, 1)) -> Path:
    """A book of ``n`` orders of 30 customers; ``bad`` puts values into order rows."""
    rng = np.random.default_rng(n)
    customers = [CUSTOMER_HEADER] + [customer(f"C{i}", f"Name {i}", ["Ann", "Bob"][i % 2],
                                              Phone=f"1380000{i:04d}") for i in range(30)]
    rows = [ORDER_HEADER]
    for k in range(n):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 900)))
        rows.append(order(f"C{int(rng.integers(0, 30))}", day, float(rng.integers(0, 900)),
                          OrderID=f"O{k}", Product=["Kit", "Serum", ""][k % 3]))
    for k, (column, value) in (bad or {}).items():
        rows[k][ORDER_HEADER.index(column)] = value
    contacts = [CONTACT_HEADER, contact("C1", contact_date, Outcome="Reached")]
    pairs = [["Key", "Value"], ["Language", "en"], ["AsOfDate", dt.date(2026, 6, 30)]]
    return write_book(path, {"Customers": customers, "Orders": rows, "Contacts": contacts,
                             "Settings": pairs})


@pytest.mark.parametrize("bad, said", [
    ({}, "written"),
    ({5: ("Amount", "twelve")}, "refused"),  # the child's typing finds it: the parent tells
    ({3: ("OrderDate", "2026-02-30"), 9: ("CustomerID", "C999")}, "refused"),
    ({4: ("Cost", None), 7: ("Product", None)}, "written"),
    # a column blank in part of its rows, or in all of them: None and NaN as read here
    ({k: ("Product", None) for k in range(1, 201)}, "written"),
    ({k: ("Product", "") for k in range(150, 401)}, "written"),
    ({k: ("Cost", None) for k in range(1, 401)}, "written"),
    ({k: ("Product", None) for k in range(1, 401)}, "written"),
    ({350: ("Amount", "x")}, "refused"),  # a problem near the end only
], ids=["clean", "bad-amount", "bad-date-unknown-customer", "blanks", "first-half-blank",
        "second-half-empty-text", "no-cost", "no-product", "late-problem"])
def test_children_change_nothing_a_refresh_writes_or_says(tmp_path, bad, said):
    book = orders_book(tmp_path / "book.xlsx", 400, bad=bad)
    alone, helped, children = both_ways(book, tmp_path)
    assert alone[0] == said
    assert helped == alone
    # the Orders sheet read and typed in a child; when written, also the model fit and
    # the big sheets' second halves
    assert children >= (1 if said == "refused" else 3)
    if said == "written":  # and the typed orders are the same, value for value
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(forked, "available", lambda: False)
            one = parse_inputs(files.read_book(book, orders_ahead=True).raw).orders
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(forked, "available", lambda: True)
            mp.setattr(files, "AHEAD_BYTES", 0)
            two = parse_inputs(files.read_book(book, orders_ahead=True).raw).orders
        pd.testing.assert_frame_equal(two, one)
        for name in one.columns:  # None stays None, NaN stays NaN
            assert [type(v) for v in two[name]] == [type(v) for v in one[name]], name


def test_problems_on_the_orders_and_the_contacts_sheets_are_told_in_the_same_order(tmp_path):
    book = orders_book(tmp_path / "book.xlsx", 300, bad={7: ("Amount", "lots")},
                       contact_date="yesterday")
    alone, helped, children = both_ways(book, tmp_path)
    assert alone[0] == "refused" and "lots" in alone[2] and "yesterday" in alone[2]
    assert alone[2].index("lots") < alone[2].index("yesterday")  # Orders before Contacts
    assert helped == alone
    assert children >= 1


def test_a_far_stray_cell_on_the_orders_sheet_is_refused_or_bounded_the_same(tmp_path):
    book = orders_book(tmp_path / "book.xlsx", 50)
    import openpyxl  # a book edited by hand: one value at the sheet's far corner

    wb = openpyxl.load_workbook(book)
    wb["Orders"].cell(1_048_576, 16_384, "stray")
    wb.save(book)
    alone, helped, children = both_ways(book, tmp_path)
    assert helped == alone
    assert children >= 1


@settings(max_examples=int(os.environ.get("CB_HOSTILE_EXAMPLES", "30")), deadline=None,
          derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.data_too_large,
                                                   HealthCheck.function_scoped_fixture])
@given(case=hostile_book())
def test_a_hostile_book_gives_the_same_with_children(tmp_path_factory, case):
    sheets, plan = case
    folder = tmp_path_factory.mktemp("forked")
    book = write_hostile(folder / "book.xlsx", sheets, plan)
    alone, helped, _ = both_ways(book, folder)
    assert helped == alone


def test_the_model_is_fitted_from_the_moment_the_orders_are_typed(tmp_path):
    """The purchase model's child starts while the other inputs are still checked, and
    the engine takes its fit rather than fitting again; the written book is the same."""
    from xl_addin.domain import pipeline, value

    book = orders_book(tmp_path / "book.xlsx", 300)
    started, beside = [], []
    real_init = forked.Forked.__init__

    def init(self, fn, *args, **kwargs):
        started.append(getattr(fn, "__name__", ""))
        real_init(self, fn, *args, **kwargs)

    def spy_beside(pool, fn, *args, **kwargs):
        beside.append(fn.__name__)
        return forked.Forked(fn, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(forked, "available", lambda: True)
        mp.setattr(forked.Forked, "__init__", init)
        mp.setattr(pipeline.forked, "beside", spy_beside)
        helped = outcome(book, tmp_path / "helped.xlsx")
    assert started.count(value.score_purchases.__name__) == 1
    assert value.score_purchases.__name__ not in beside  # the engine took the early fit
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(forked, "available", lambda: False)
        alone = outcome(book, tmp_path / "alone.xlsx")
    assert helped == alone and helped[0] == "written"


def test_an_early_fit_is_stopped_when_the_checks_refuse_the_book(tmp_path):
    """The unknown customer is found after the orders are typed: the fit already under
    way is stopped and its child collected, and the refusal is the one told without it."""
    from xl_addin.domain import value

    book = orders_book(tmp_path / "book.xlsx", 300, bad={9: ("CustomerID", "C999")})
    made = []
    real_init = forked.Forked.__init__

    def init(self, fn, *args, **kwargs):
        made.append((getattr(fn, "__name__", ""), self))
        real_init(self, fn, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(forked, "available", lambda: True)
        mp.setattr(forked.Forked, "__init__", init)
        said = outcome(book, tmp_path / "out.xlsx")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(forked, "available", lambda: False)
        alone = outcome(book, tmp_path / "alone.xlsx")
    assert said == alone and said[0] == "refused" and "C999" in said[2]
    fits = [f for name, f in made if name == value.score_purchases.__name__]
    assert len(fits) == 1  # started early, on the typed orders
    assert fits[0]._pid is None and fits[0]._done  # stopped, its child collected
