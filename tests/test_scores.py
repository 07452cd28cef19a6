"""Scores a manager can trust: the model the book's history chose (Settings Model and
HoldoutDays), the ModelCheck sheet, no "lost but 100% alive", every order counted, and
small books that say why their scores are blank.

CDNOW: ``tests/data/cdnow_sample_transactions.txt`` (2,357 customers of Fader, Hardie &
Lee 2005), calibration to 1997-09-30 and holdout to 1998-06-30 (weeks 40-78: 273 days);
its 1,882 holdout purchase days are those of lifetimes' ``calibration_and_holdout_data``
(see tests/btyd/test_holdout.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.books import AS_OF, customer, order, raw_book, small_book

from xl_addin import functions as F
from xl_addin.demo import DEFAULT_ANCHOR, make_demo
from xl_addin.domain import btyd
from xl_addin.domain.pipeline import run
from xl_addin.domain.schema import RawTable, parse_inputs
from xl_addin.domain.scores import (
    LIKELIHOOD_CAP,
    MIN_BUYERS,
    ModelCheck,
    Scorer,
    score,
)
from xl_addin.domain.trust import trust_sentence
from xl_addin.errors import InputErrors, Reason
from xl_addin.excel.modelcheck import MODELCHECK_ROWS
from xl_addin.macros import refresh_file

D = dt.date
DATA = Path(__file__).parent / "data"
SETTINGS = ["Auto", "BGNBD", "MBGNBD", "ParetoNBD"]


def _run(customers, orders, lang="en", **settings):
    return run(parse_inputs(raw_book(customers, orders, (), {"Language": lang, **settings}),
                            as_of=AS_OF))


def _raw_from_frames(frames: dict[str, pd.DataFrame], settings: dict) -> dict:
    raw = {}
    for key, frame in frames.items():
        rows = frame.astype(object).where(frame.notna(), None).values.tolist()
        rows = [[v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in r]
                for r in rows]
        raw[key] = RawTable(key, 1, list(frame.columns), rows, D(1899, 12, 30))
    pairs = [[k, v] for k, v in settings.items()]
    raw["Settings"] = RawTable("Settings", 1, ["Key", "Value"], pairs, D(1899, 12, 30))
    return raw


# --------------------------------------------------------------------------- settings
@pytest.mark.parametrize(("typed", "model"), [
    ("Auto", "Auto"), ("自动", "Auto"), ("BGNBD", "BGNBD"), ("bg/nbd", "BGNBD"),
    ("MBG-NBD", "MBGNBD"), ("Pareto/NBD", "ParetoNBD"), ("paretonbd", "ParetoNBD")],
    ids=lambda v: str(v))
def test_model_setting_is_read(typed, model):
    raw = raw_book([customer("C1")], settings={"Model": typed})
    assert parse_inputs(raw).settings.Model == model


def test_defaults_are_auto_and_a_blank_holdout():
    s = parse_inputs(raw_book([customer("C1")])).settings
    assert s.Model == "Auto" and s.HoldoutDays is None


@pytest.mark.parametrize(("key", "value"), [("Model", "Weibull"), ("HoldoutDays", "a month"),
                                            ("HoldoutDays", 0), ("HoldoutDays", 30.5)])
def test_bad_model_settings_are_refused_at_their_cell(key, value):
    raw = raw_book([customer("C1")], settings={key: value})
    with pytest.raises(InputErrors) as info:
        parse_inputs(raw)
    (err,) = info.value.errors
    assert err.code == Reason.UNKNOWN_SETTING_VALUE and err.sheet == "Settings"
    assert err.row == 3 and err.column == "Value"  # row 1 header, row 2 Language
    assert key in err.render("en") and key in err.render("zh-CN")


# --------------------------------------------------------------------------- every order
def test_zero_amount_orders_are_orders_and_refunds_net_spend():
    out = _run([customer("C1"), customer("C2")],
               [order("C1", D(2026, 1, 5), 0.0), order("C1", D(2026, 3, 9), 0.0),
                order("C2", D(2026, 2, 1), 100.0), order("C2", D(2026, 4, 1), 300.0),
                order("C2", D(2026, 4, 20), -100.0)]).analysis.set_index("CustomerID")
    assert out.loc["C1", "Orders"] == 2  # free items / service visits count
    assert out.loc["C1", "LastOrderDate"] == pd.Timestamp(2026, 3, 9)
    assert out.loc["C1", "RecencyDays"] == (AS_OF - D(2026, 3, 9)).days
    assert "only orders of amount 0" in out.loc["C1", "Why"]
    assert "prospect" not in out.loc["C1", "Why"]
    # the refund is not an order, and nets the spend: (100 + 300 - 100) / 2
    assert out.loc["C2", "Orders"] == 2 and out.loc["C2", "Revenue"] == 300.0
    assert out.loc["C2", "AvgOrderValue"] == 150.0


def test_zero_amount_orders_count_as_repeat_purchases_for_the_models():
    orders = pd.DataFrame({"CustomerID": ["A", "A", "A"],
                           "OrderDate": pd.to_datetime(["2026-01-01", "2026-02-01",
                                                        "2026-03-01"]),
                           "Amount": [50.0, 0.0, 0.0]})
    _, summary = score(orders, D(2026, 6, 30))
    assert summary.frequency.tolist() == [2]  # two repeat purchase days, both at 0
    assert summary.recency.tolist() == [59.0]


# --------------------------------------------------------------------------- small books
@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("only 2 buyers", "no repeat purchases yet")),
    ("zh-CN", ("仅 2 位客户有购买", "尚无重复购买"))], ids=["en", "zh-CN"])
def test_a_two_buyer_book_leaves_the_scores_blank_and_says_why(lang, words):
    out = _run([customer("C1"), customer("C2"), customer("C3")],
               [order("C1", D(2026, 1, 10), 80.0), order("C2", D(2025, 12, 1), 150.0)], lang)
    a = out.analysis.set_index("CustomerID")
    assert a[["PAlive", "ExpectedPurchases", "CLV"]].isna().all().all()
    for w in words:
        assert w in a.loc["C1", "Why"] and w in out.dashboard.note and w in out.dashboard.trust
    assert words[0] not in a.loc["C3", "Why"]  # a prospect has no scores to explain
    assert out.calllist["PurchaseLikelihood"].isna().all()


def test_a_two_customer_book_that_bought_twice_is_not_confidently_dead():
    # the case of the issue: 9e-10 alive for someone who bought twice in six months
    out = _run([customer("C1"), customer("C2")],
               [order("C1", D(2026, 1, 10), 80.0), order("C1", D(2026, 6, 1), 80.0),
                order("C2", D(2026, 2, 1), 50.0)], "zh-CN")
    a = out.analysis.set_index("CustomerID")
    assert np.isnan(a.loc["C1", "PAlive"])
    assert "仅 2 位客户有购买" in a.loc["C1", "Why"]
    for text in (out.dashboard.note, out.dashboard.trust):
        assert "Parameter" not in text and "limit" not in text and "converge" not in text


def test_the_size_threshold_is_where_the_docs_say():
    # a BG/NBD population: purchase rates ~ Gamma(1, 1/40 per day), dropout 0.2 a purchase
    rng = np.random.default_rng(1)
    rows = []
    for i in range(MIN_BUYERS):
        day, rate = D(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 200))), rng.gamma(1) / 40
        rows.append(order(f"C{i}", day, 50.0))
        while rng.random() > 0.2:
            day += dt.timedelta(days=max(1, int(rng.exponential(1 / rate))))
            if day > AS_OF:
                break
            rows.append(order(f"C{i}", day, float(rng.integers(20, 90))))
    custs = [customer(f"C{i}") for i in range(MIN_BUYERS)]
    enough = _run(custs, rows).analysis
    assert enough["PAlive"].notna().all()
    fewer = _run(custs[1:], [r for r in rows if r[1] != "C0"]).analysis
    assert fewer["PAlive"].isna().all()


# --------------------------------------------------------------------------- no contradiction
@pytest.fixture(scope="module")
def demo_runs():
    frames = make_demo(200, anchor=DEFAULT_ANCHOR, lang="en")
    out = {}
    for model in SETTINGS:
        raw = _raw_from_frames(frames, {"Language": "en", "Model": model})
        out[model] = run(parse_inputs(raw, as_of=DEFAULT_ANCHOR))
    return out


@pytest.mark.parametrize("model", SETTINGS)
def test_no_lost_customer_shows_alive_on_the_demo(demo_runs, model):
    out = demo_runs[model]
    a = out.analysis
    lost = a[a["RecencyDays"] >= 365]  # LostDays
    assert len(lost) > 10 and lost["PAlive"].notna().all()
    assert (lost["PAlive"] < 0.9).all(), lost["PAlive"].max()
    assert out.calllist["PurchaseLikelihood"].max() <= LIKELIHOOD_CAP


def test_auto_on_the_demo_is_checked_and_said_in_words(demo_runs):
    out = demo_runs["Auto"]
    check = out.modelcheck
    assert check.setting == "Auto" and not check.too_small and not check.doubts
    assert [r.model for r in check.rows] == ["BGNBD", "MBGNBD", "ParetoNBD"]
    used = check.used
    assert abs(used.error) == min(abs(r.error) for r in check.rows)  # the most accurate
    assert sum(r.used for r in check.rows) == 1
    assert all(r.actual == check.actual_total for r in check.rows)
    assert f"{check.holdout_days} days" in out.dashboard.trust
    assert used.label in out.dashboard.note


@pytest.fixture(scope="module")
def cdnow_orders() -> pd.DataFrame:
    raw = np.loadtxt(DATA / "cdnow_sample_transactions.txt")
    ymd = raw[:, 2].astype(np.int64)
    return pd.DataFrame({
        "CustomerID": [f"{int(i):05d}" for i in raw[:, 1]],
        "OrderDate": pd.to_datetime([str(d) for d in ymd], format="%Y%m%d"),
        "Amount": raw[:, 4],
    })


@pytest.fixture(scope="module")
def cdnow_scores(cdnow_orders):
    return {m: score(cdnow_orders, D(1998, 6, 30), m, 273) for m in SETTINGS}


@pytest.mark.parametrize("model", SETTINGS)
def test_no_lost_customer_shows_alive_on_cdnow(cdnow_scores, model):
    scores, summary = cdnow_scores[model]
    days_since = summary.T - summary.recency  # days since the last purchase
    lost = days_since >= 365
    assert lost.sum() > 500
    alive = scores.frame["PAlive"].to_numpy()
    assert np.nanmax(alive[lost]) < 0.9
    assert scores.frame["PurchaseLikelihood"].max() <= LIKELIHOOD_CAP


def test_cdnow_holdout_per_model(cdnow_scores):
    check: ModelCheck = cdnow_scores["Auto"][0].check
    assert check.calibration_end == D(1997, 9, 30) and check.holdout_days == 273
    assert {r.model for r in check.rows} == {"BGNBD", "MBGNBD", "ParetoNBD"}
    for r in check.rows:
        assert r.customers == 2357 and r.actual == 1882  # lifetimes' holdout count
        assert abs(r.pct_error) < 20  # each tracks the holdout to within a fifth
    # the check table of the scores as shown adds up to the actual holdout purchases
    assert sum(f.customers * f.actual_mean for f in check.by_frequency) == pytest.approx(1882)
    assert sum(f.customers for f in check.by_frequency) == 2357
    assert check.predicted_total == pytest.approx(
        sum(f.customers * f.predicted_mean for f in check.by_frequency))
    assert 0 < check.brier < 0.25 and len(check.by_decile) == 10


def test_a_named_model_is_used_and_still_compared(cdnow_scores):
    for name in ("BGNBD", "MBGNBD", "ParetoNBD"):
        check = cdnow_scores[name][0].check
        assert check.model == name and check.used.model == name
        assert len(check.rows) == 3


# --------------------------------------------------------------------------- one-time buyers
@pytest.fixture(scope="module")
def bg_scorer(cdnow_orders):
    s = btyd.summary_from_transactions(cdnow_orders["CustomerID"].to_numpy(),
                                       cdnow_orders["OrderDate"].to_numpy(),
                                       cdnow_orders["Amount"].to_numpy(),
                                       np.datetime64("1997-09-30"))
    x = s.frequency.astype(float)
    return Scorer(btyd.fit_bgnbd(x, s.recency, s.T), btyd.fit_mbgnbd(x, s.recency, s.T))


def test_bg_scores_one_time_buyers_by_mbg(bg_scorer):
    x, tx, T = np.zeros(3), np.zeros(3), np.array([30.0, 200.0, 400.0])
    assert (btyd.bgnbd_p_alive(bg_scorer.fit, x, tx, T) == 1.0).all()  # the BG/NBD property
    shown = bg_scorer.p_alive(x, tx, T)
    np.testing.assert_allclose(shown, btyd.mbgnbd_p_alive(bg_scorer.one_time, x, tx, T))
    assert (np.diff(shown) < 0).all()
    # repeat buyers keep their BG/NBD scores
    rx, rtx, rT = np.array([2.0]), np.array([100.0]), np.array([250.0])
    assert bg_scorer.p_alive(rx, rtx, rT) == pytest.approx(
        btyd.bgnbd_p_alive(bg_scorer.fit, rx, rtx, rT))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 2000, allow_nan=False), min_size=2, max_size=20))
def test_one_time_buyers_alive_falls_with_time_since_their_purchase(bg_scorer, ages):
    T = np.sort(np.array(ages))
    shown = bg_scorer.p_alive(np.zeros(T.size), np.zeros(T.size), T)
    assert (np.diff(shown) <= 1e-15).all()
    likely = bg_scorer.likelihood(30, np.zeros(T.size), np.zeros(T.size), T)
    assert (likely < shown).all() and (likely <= LIKELIHOOD_CAP).all()


# --------------------------------------------------------------------------- the words
def _check(predicted: float, actual: int, doubts=()) -> ModelCheck:
    from xl_addin.domain.scores import Doubt, ModelRow

    row = ModelRow("BGNBD", "BG/NBD", 90, 100, actual, predicted, predicted - actual,
                   100 * (predicted - actual) / actual, 0.1, (), True)
    return ModelCheck("Auto", "BGNBD", False, AS_OF, 90, D(2026, 4, 1), 40, 300, (row,), (),
                      (), 0.1, 30, tuple(Doubt(*d) for d in doubts), True, predicted, actual)


@pytest.mark.parametrize(("predicted", "en", "zh"), [
    (105.0, "(5% too many): they can be relied on", "（多估 5%），分数可放心"),
    (80.0, "(20% too few): good for ranking customers", "（少估 20%），分数适合给客户排序"),
    (60.0, "(40% too few): use them only to rank", "（少估 40%），分数只宜用于给客户排序"),
], ids=["close", "fair", "rough"])
def test_trust_sentence_by_hand(predicted, en, zh):
    assert en in trust_sentence(_check(predicted, 100), "en")
    assert "last 90 days" in trust_sentence(_check(predicted, 100), "en")
    assert zh in trust_sentence(_check(predicted, 100), "zh-CN")


def test_trust_sentence_of_an_uncertain_book():
    text = trust_sentence(_check(10.0, 100, [("few_buyers", 4)]), "zh-CN")
    assert "仅 4 位客户有购买" in text and "未显示" in text


# --------------------------------------------------------------------------- the sheet
def test_modelcheck_sheet_is_written_by_a_refresh_and_reads_back(tmp_path):
    out = tmp_path / "out.xlsm"
    result = refresh_file(Path(__file__).parents[1] / "workbook" / "CustomerBook.xlsm", out)
    check = result.outputs.modelcheck
    ws = openpyxl.load_workbook(out, data_only=True)["模型检验"]
    assert ws["A1"].value == "模型检验"
    first, count = MODELCHECK_ROWS["models"]
    labels = [ws.cell(first + i, 1).value for i in range(count)]
    assert labels == ["BG/NBD", "MBG/NBD", "Pareto/NBD"]
    marked = [ws.cell(first + i, 1).value for i in range(count) if ws.cell(first + i, 9).value]
    assert marked == [check.used.label]
    row = first + labels.index(check.used.label)
    assert ws.cell(row, 2).value == check.holdout_days
    assert ws.cell(row, 4).value == check.actual_total
    assert ws.cell(row, 5).value == pytest.approx(check.used.predicted)
    f0, n = MODELCHECK_ROWS["frequency"]
    assert [ws.cell(f0 + i, 1).value for i in range(n)] == [*map(str, range(7)), "7+"]
    assert sum(ws.cell(f0 + i, 3).value or 0 for i in range(n)) == check.used.customers
    d0, n = MODELCHECK_ROWS["deciles"]
    assert [ws.cell(d0 + i, 1).value for i in range(n)] == [str(i) for i in range(1, 11)]
    assert ws.cell(d0 + n, 4).value == pytest.approx(check.brier)
    # the chart reads the same fixed block
    charts = openpyxl.load_workbook(
        Path(__file__).parents[1] / "workbook" / "CustomerBook.xlsm")["模型检验"]._charts
    assert len(charts) == 2 or charts == []  # openpyxl drops charts it cannot read


def test_a_book_without_the_sheet_gets_it(tmp_path):
    book = small_book(tmp_path / "book.xlsx")
    refresh_file(book, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["ModelCheck"]
    assert ws["A1"].value == "Model check"
    assert "only 3 buyers" in ws["A2"].value  # three customers: uncertain


# --------------------------------------------------------------------------- functions
def test_udf_model_argument():
    freq, rec, age = [0, 1, 3, 0, 2, 5], [0, 20, 60, 0, 30, 100], [40, 80, 90, 200, 150, 120]
    default = F.CB_PALIVE(freq, rec, age)
    assert F.CB_PALIVE(freq, rec, age, "BGNBD") == default
    mbg = F.CB_PALIVE(freq, rec, age, "MBG/NBD")
    assert mbg != default and mbg[0][0] < 1.0  # MBG/NBD: a one-time buyer may have left
    fit = btyd.fit_pareto_nbd(np.array(freq, float), np.array(rec, float), np.array(age, float))
    want = btyd.pareto_nbd_expected_purchases(fit, 30, freq, rec, age)
    got = F.CB_EXPECTED_PURCHASES(freq, rec, age, 30, "ParetoNBD")
    np.testing.assert_allclose([r[0] for r in got], want)
    assert F.CB_PALIVE(freq, rec, age, "Weibull") == "#VALUE!"
    assert F.CB_PALIVE(freq, rec, age, ["BGNBD", "MBGNBD"]) == "#VALUE!"


def test_two_parameters_about_one_thing_are_one_reason():
    """a and b of BG/NBD are both about dropout: at their bound together, the reason is
    said once, in the Why and in the trust sentence."""
    from xl_addin.domain.scores import Doubt
    from xl_addin.domain.trust import uncertain_why

    doubts = (Doubt("at_bound", model="BGNBD", parameter="a"),
              Doubt("at_bound", model="BGNBD", parameter="b"), Doubt("few_buyers", 4))
    for lang, said in (("en", "how likely customers are to drop out"),
                       ("zh-CN", "客户流失的可能性")):
        why = uncertain_why(doubts, lang)
        assert why.count(said) == 1, why
        sentence = trust_sentence(_check(10.0, 100, [(d.code, d.count, d.model, d.parameter)
                                                     for d in doubts]), lang)
        assert sentence.count(said) == 1, sentence
