"""Tests for :mod:`xl_addin.demo` (deterministic demo data)."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from xl_addin.demo import DEFAULT_ANCHOR, make_demo
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS, OUTCOMES

ANCHOR = pd.Timestamp(DEFAULT_ANCHOR)
SHEETS = ("Customers", "Orders", "Contacts")
SPECS = {"Customers": CUSTOMERS, "Orders": ORDERS, "Contacts": CONTACTS}
DATE_COLS = {
    "Customers": ("Birthday", "Anniversary"),
    "Orders": ("OrderDate",),
    "Contacts": ("ContactDate", "NextFollowUp", "PromiseDue"),
}
MONEY_COLS = {"Orders": ("Amount", "Cost", "Paid"), "Customers": ("CardBalance",)}


@pytest.fixture(scope="module")
def zh() -> dict[str, pd.DataFrame]:
    return make_demo()


@pytest.fixture(scope="module")
def en() -> dict[str, pd.DataFrame]:
    return make_demo(lang="en")


@pytest.fixture(scope="module", params=["zh", "en"])
def demo(request: pytest.FixtureRequest) -> dict[str, pd.DataFrame]:
    return request.getfixturevalue(request.param)


# ------------------------------------------------------------------- shape and types
def test_deterministic(zh: dict[str, pd.DataFrame]) -> None:
    again = make_demo()
    for sheet in SHEETS:
        pdt.assert_frame_equal(zh[sheet], again[sheet])
    pdt.assert_frame_equal(
        make_demo(30, lang="en")["Contacts"], make_demo(30, lang="en")["Contacts"]
    )


def test_same_across_processes() -> None:
    """No hash randomisation or other process state leaks into the data."""
    code = (
        "import pandas as pd; from xl_addin.demo import make_demo; "
        "d = make_demo(40); "
        "print([int(pd.util.hash_pandas_object(d[k]).sum()) for k in sorted(d)])"
    )
    root = Path(__file__).resolve().parents[1]
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root
        )
        assert run.returncode == 0, run.stderr
        outs.append(run.stdout)
    assert outs[0] == outs[1]


def test_other_seed_differs(zh: dict[str, pd.DataFrame]) -> None:
    other = make_demo(seed=7)
    for sheet in SHEETS:
        assert not zh[sheet].equals(other[sheet])


def test_default_counts(demo: dict[str, pd.DataFrame]) -> None:
    assert set(demo) == set(SHEETS)
    assert (len(demo["Customers"]), len(demo["Orders"]), len(demo["Contacts"])) == (200, 1200, 600)


def test_columns_follow_names_spec(demo: dict[str, pd.DataFrame]) -> None:
    for sheet in SHEETS:
        assert list(demo[sheet].columns) == [c.key for c in SPECS[sheet].columns]


def test_dtypes_and_blanks(demo: dict[str, pd.DataFrame]) -> None:
    for sheet in SHEETS:
        df = demo[sheet]
        assert df.index.equals(pd.RangeIndex(len(df)))
        for col in df.columns:
            s = df[col]
            if col in DATE_COLS[sheet]:
                assert pd.api.types.is_datetime64_dtype(s.dtype), (sheet, col)
                assert (s.dropna() == s.dropna().dt.normalize()).all(), (sheet, col)
            elif col in MONEY_COLS.get(sheet, ()):
                assert s.dtype == np.float64, (sheet, col)
                assert (s.dropna() == s.dropna().round(2)).all(), (sheet, col)
            else:
                assert s.dtype == object, (sheet, col)
                assert s.map(lambda v: v is None or (isinstance(v, str) and v != "")).all(), (
                    sheet,
                    col,
                )


def test_ids(demo: dict[str, pd.DataFrame]) -> None:
    cust, orders = demo["Customers"], demo["Orders"]
    assert cust["CustomerID"].is_unique
    assert cust["CustomerID"].str.fullmatch(r"C\d{4}").all()
    assert cust["CustomerID"].iloc[0] == "C0001"
    assert orders["OrderID"].is_unique
    assert orders["OrderID"].str.fullmatch(r"O\d{6}").all()
    assert cust["CustomerID"].notna().all() and cust["Name"].notna().all()


def test_id_width_grows() -> None:
    demo = make_demo(12_345, 1_234, 10)
    assert demo["Customers"]["CustomerID"].iloc[-1] == "C12345"
    assert demo["Orders"]["OrderID"].iloc[0] == "O000001"


def test_sorted(demo: dict[str, pd.DataFrame]) -> None:
    orders = demo["Orders"]
    key = orders[["OrderDate", "OrderID"]]
    assert key.equals(key.sort_values(["OrderDate", "OrderID"]).reset_index(drop=True))
    assert demo["Contacts"]["ContactDate"].is_monotonic_increasing


# -------------------------------------------------------------------------- integrity
def test_references_exist(demo: dict[str, pd.DataFrame]) -> None:
    ids = set(demo["Customers"]["CustomerID"])
    assert demo["Orders"]["CustomerID"].isin(ids).all()
    assert demo["Contacts"]["CustomerID"].isin(ids).all()


def test_no_date_after_anchor(demo: dict[str, pd.DataFrame]) -> None:
    cust, orders, contacts = demo["Customers"], demo["Orders"], demo["Contacts"]
    for s in (cust["Birthday"], cust["Anniversary"], orders["OrderDate"], contacts["ContactDate"]):
        assert (s.dropna() <= ANCHOR).all()
    assert orders["OrderDate"].notna().all() and contacts["ContactDate"].notna().all()
    # about a year of history: most orders and contacts are within the last year
    year_ago = ANCHOR - pd.Timedelta(days=365)
    assert (orders["OrderDate"] > year_ago).mean() > 0.75
    assert (contacts["ContactDate"] > year_ago).mean() > 0.75
    assert orders["OrderDate"].min() >= ANCHOR - pd.Timedelta(days=730)


def test_follow_ups_and_promises(demo: dict[str, pd.DataFrame]) -> None:
    c = demo["Contacts"]
    has_fu = c["NextFollowUp"].notna()
    assert 0.2 < has_fu.mean() < 0.45
    gap = (c["NextFollowUp"] - c["ContactDate"]).dt.days[has_fu]
    assert gap.between(3, 60).all()
    assert (c["NextFollowUp"] < ANCHOR).any()  # overdue ones
    assert (c["NextFollowUp"] > ANCHOR).any()
    has_promise = c["Promise"].notna()
    assert 0.04 < has_promise.mean() < 0.13
    assert (c["PromiseDue"].notna() == has_promise).all()
    assert ((c["PromiseDue"] - c["ContactDate"]).dt.days[has_promise].between(2, 21)).all()


# ---------------------------------------------------------------------- distributions
def test_prospects_have_no_orders(demo: dict[str, pd.DataFrame]) -> None:
    cust, orders = demo["Customers"], demo["Orders"]
    prospects = ~cust["CustomerID"].isin(orders["CustomerID"])
    assert 0.10 <= prospects.mean() <= 0.15
    # prospects still get contacted, but never with an "Order" outcome
    contacts = demo["Contacts"]
    of_prospects = contacts[contacts["CustomerID"].isin(cust.loc[prospects, "CustomerID"])]
    assert len(of_prospects) > 0
    assert not of_prospects["Outcome"].isin(["Order", OUTCOMES["Order"]]).any()


def test_recency_mix(demo: dict[str, pd.DataFrame]) -> None:
    orders = demo["Orders"]
    last = orders[orders["Amount"] > 0].groupby("CustomerID")["OrderDate"].max()
    days = (ANCHOR - last).dt.days
    assert (days <= 90).mean() > 0.5  # mostly active
    assert ((days >= 200) & (days <= 365)).sum() >= 5  # dormant
    assert (days > 365).sum() >= 5  # lost
    assert (days > 400).any()


def test_pareto(demo: dict[str, pd.DataFrame]) -> None:
    revenue = demo["Orders"].groupby("CustomerID")["Amount"].sum().sort_values(ascending=False)
    top = int(np.ceil(0.2 * len(revenue)))
    assert revenue.iloc[:top].sum() >= 0.6 * revenue.sum()
    counts = demo["Orders"]["CustomerID"].value_counts()
    assert counts.max() >= 5 * counts.median()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pareto_other_seeds(seed: int) -> None:
    orders = make_demo(seed=seed)["Orders"]
    revenue = orders.groupby("CustomerID")["Amount"].sum().sort_values(ascending=False)
    top = int(np.ceil(0.2 * len(revenue)))
    assert revenue.iloc[:top].sum() >= 0.6 * revenue.sum()


def test_refunds_reference_earlier_orders(demo: dict[str, pd.DataFrame]) -> None:
    orders = demo["Orders"]
    refunds = orders[orders["Amount"] < 0]
    assert 5 <= len(refunds) <= 0.02 * len(orders)
    sales = orders[orders["Amount"] > 0]
    first_sale = sales.groupby("CustomerID")["OrderDate"].min()
    assert (
        refunds["OrderDate"].to_numpy() > first_sale.reindex(refunds["CustomerID"]).to_numpy()
    ).all()
    assert (refunds["Paid"] == refunds["Amount"]).all()
    assert (refunds["Cost"].dropna() <= 0).all()


def test_amount_cost_paid(demo: dict[str, pd.DataFrame]) -> None:
    orders = demo["Orders"]
    assert (orders["Amount"] != 0).all()
    sales = orders[orders["Amount"] > 0]
    assert 0.12 < orders["Cost"].isna().mean() < 0.30
    ratio = (sales["Cost"] / sales["Amount"]).dropna()
    assert ratio.between(0.54, 0.81).all()
    assert (sales["Paid"] <= sales["Amount"]).all() and (sales["Paid"] >= 0).all()
    # unpaid orders are few, mostly recent and mostly sold on credit (distributors and
    # partners); store customers pay at the till
    owed = sales["Paid"] < sales["Amount"]
    assert 0.02 < owed.mean() < 0.10
    age = (ANCHOR - sales["OrderDate"]).dt.days
    assert owed[age <= 30].mean() > 4 * owed[age > 120].mean()
    types = demo["Customers"].set_index("CustomerID")["Type"]
    credit = sales["CustomerID"].map(types).isin(["分销商", "合作伙伴", "Distributor", "Partner"])
    assert owed[credit].mean() > 2 * owed[~credit].mean()
    assert sales["Amount"].max() > 10 * sales["Amount"].median()


def test_customer_fields(demo: dict[str, pd.DataFrame]) -> None:
    c = demo["Customers"]
    assert c["Phone"].map(lambda v: isinstance(v, str)).all()
    assert c["Phone"].str.fullmatch(r"1[35789]\d{9}").all()
    assert 0.6 < c["Birthday"].notna().mean() < 0.8
    assert set(c["LunarBirthday"].dropna()) == {"Y"}
    lunar = c["LunarBirthday"].eq("Y")
    assert c.loc[lunar, "Birthday"].notna().all()
    assert (c.loc[lunar, "Birthday"].dt.day <= 29).all()
    assert (c.loc[lunar, "Birthday"].dt.month <= 12).all()
    assert 0.1 < lunar.sum() / c["Birthday"].notna().sum() < 0.3
    assert c["Birthday"].dt.year.dropna().between(1960, 2000).all()
    assert 0.2 < c["Anniversary"].notna().mean() < 0.4
    # anniversaries are first deals: only customers who ordered
    buyers = c["CustomerID"].isin(demo["Orders"]["CustomerID"])
    assert not c.loc[~buyers, "Anniversary"].notna().any()
    for col, lo, hi in (("Strategic", 0.005, 0.08), ("DoNotContact", 0.01, 0.09)):
        assert set(c[col].dropna()) == {"Y"}
        assert lo < c[col].notna().mean() < hi
    assert set(c["ClassOverride"].dropna()) <= {"A", "B", "C"}
    assert 0.005 < c["ClassOverride"].notna().mean() < 0.08
    assert 0.05 < c["Notes"].notna().mean() < 0.3


def test_members_preferences_and_referrals(demo: dict[str, pd.DataFrame]) -> None:
    c = demo["Customers"]
    buyers = c["CustomerID"].isin(demo["Orders"]["CustomerID"])
    member = c["Member"].notna()
    assert 0.25 < member.mean() < 0.45 and not (member & ~buyers).any()
    assert c.loc[~member, "CardBalance"].isna().all()  # a balance only on a member's card
    balance = c.loc[member, "CardBalance"]
    assert (balance >= 0).all() and 0.5 < (balance > 0).mean() < 0.8
    assert (balance % 10 == 0).all()  # whole tens
    assert 0.3 < c["Preferences"].notna().mean() < 0.55
    referred = c[c["ReferredBy"].notna()]
    assert 0.1 < len(referred) / len(c) < 0.3
    assert (referred["ReferredBy"] < referred["CustomerID"]).all()  # an earlier customer
    assert referred["ReferredBy"].isin(c.loc[buyers, "CustomerID"]).all()  # who bought
    assert referred["Source"].isin(["老客户推荐", "Referral"]).all()
    assert referred["ReferredBy"].value_counts().max() >= 3  # a few bring several


def test_chinese_values(zh: dict[str, pd.DataFrame]) -> None:
    c = zh["Customers"]
    assert set(c["Owner"]) == {"王丽", "陈刚", "刘洋", "赵敏"}
    assert set(c["Region"]) == {"华东", "华北", "华南", "西南", "华中"}
    assert set(c["Source"]) <= {"自主开发", "广告", "老客户推荐", "展会"}
    assert set(c["Type"]) == {"直接客户", "分销商", "合作伙伴"}
    persons = c["Name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}")
    firms = c["Name"].str.contains(r"(?:公司|商行|店)$")
    assert (persons | firms).all()
    assert persons.mean() > 0.6 and firms.sum() >= 10
    assert c.loc[c["Type"] == "分销商", "Name"].str.contains(r"(?:公司|商行|店)$").all()
    surnames = c.loc[persons, "Name"].str[0]
    assert surnames.isin(list("王李张刘陈")).mean() > 0.2
    k = zh["Contacts"]
    assert set(k["Outcome"]) <= set(OUTCOMES.values())
    assert set(k["Channel"]) <= {"电话", "微信", "拜访", "短信", "邮件"}
    assert set(k["Staff"]) <= set(c["Owner"])
    assert set(zh["Orders"]["Product"]) <= {
        "基础护理疗程",
        "深度护理疗程",
        "年度会员卡",
        "护肤套装",
        "体检套餐",
    }


def test_english_values(en: dict[str, pd.DataFrame]) -> None:
    c = en["Customers"]
    assert set(c["Owner"]) == {"Alice Wang", "Gang Chen", "Yang Liu", "Min Zhao"}
    assert set(c["Region"]) == {"East", "North", "South", "Southwest", "Central"}
    assert set(c["Type"]) == {"Direct", "Distributor", "Partner"}
    assert set(c["Source"]) <= {"Direct", "Advertising", "Referral", "Trade show"}
    for sheet in SHEETS:
        for col in en[sheet].columns:
            text = en[sheet][col]
            if text.dtype == object:
                assert text.dropna().map(str.isascii).all(), (sheet, col)
    assert c["Name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").mean() > 0.6
    assert set(en["Contacts"]["Outcome"]) <= set(OUTCOMES)
    assert set(en["Contacts"]["Channel"]) <= {"Phone", "WeChat", "Visit", "SMS", "Email"}


def test_languages_share_the_numbers(
    zh: dict[str, pd.DataFrame], en: dict[str, pd.DataFrame]
) -> None:
    for sheet in SHEETS:
        for col in zh[sheet].columns:
            if zh[sheet][col].dtype != object or col in ("CustomerID", "OrderID", "Phone"):
                pdt.assert_series_equal(zh[sheet][col], en[sheet][col])
    to_en = {v: k for k, v in OUTCOMES.items()}
    assert zh["Contacts"]["Outcome"].map(to_en).tolist() == en["Contacts"]["Outcome"].tolist()


def test_staff_mostly_owner(demo: dict[str, pd.DataFrame]) -> None:
    owner = demo["Customers"].set_index("CustomerID")["Owner"]
    contacts = demo["Contacts"]
    same = contacts["Staff"].to_numpy() == owner.reindex(contacts["CustomerID"]).to_numpy()
    assert 0.75 < same.mean() < 0.97


def _canon(outcome: pd.Series) -> pd.Series:
    to_en = {v: k for k, v in OUTCOMES.items()}
    return outcome.map(lambda v: to_en.get(v, v))


def test_complaints_open_and_resolved(demo: dict[str, pd.DataFrame]) -> None:
    c = demo["Contacts"].assign(Outcome=lambda d: _canon(d["Outcome"]))
    complaints = c[c["Outcome"] == "Complaint"]
    resolved = c[c["Outcome"] == "Resolved"]
    last_resolved = resolved.groupby("CustomerID")["ContactDate"].max()
    later = (
        complaints["ContactDate"].to_numpy()
        < last_resolved.reindex(complaints["CustomerID"]).to_numpy()
    )
    assert len(complaints) >= 3
    assert (~later).sum() >= 1  # some complaints are still open
    assert later.sum() >= 1  # and some were resolved afterwards
    assert complaints["Notes"].notna().all()


def test_most_past_promises_kept(demo: dict[str, pd.DataFrame]) -> None:
    c = demo["Contacts"].assign(Outcome=lambda d: _canon(d["Outcome"]))
    kept = c[c["Outcome"] == "PromiseKept"].groupby("CustomerID")["ContactDate"].max()
    due = c[c["Promise"].notna() & (c["PromiseDue"] < ANCHOR)]
    later = due["ContactDate"].to_numpy() < kept.reindex(due["CustomerID"]).to_numpy()
    assert later.mean() > 0.6
    assert (~later).any()  # a few broken promises remain


def test_upcoming_appointments(demo: dict[str, pd.DataFrame]) -> None:
    c = demo["Contacts"].assign(Outcome=lambda d: _canon(d["Outcome"]))
    appt = c[(c["Outcome"] == "Appointment") & c["NextFollowUp"].notna()]
    ahead = (appt["NextFollowUp"] - ANCHOR).dt.days
    assert ahead.between(1, 7).sum() >= 2


# ------------------------------------------------------------------- arguments, scale
def test_anchor_moves_dates() -> None:
    anchor = datetime.date(2024, 2, 29)
    demo = make_demo(50, anchor=anchor)
    assert demo["Orders"]["OrderDate"].max() <= pd.Timestamp(anchor)
    assert demo["Contacts"]["ContactDate"].max() <= pd.Timestamp(anchor)
    same = make_demo(50, anchor=datetime.datetime(2024, 2, 29, 17, 45))
    pdt.assert_frame_equal(demo["Orders"], same["Orders"])
    base = make_demo(50)
    shift = pd.Timestamp(DEFAULT_ANCHOR) - pd.Timestamp(anchor)
    pdt.assert_series_equal(demo["Orders"]["OrderDate"] + shift, base["Orders"]["OrderDate"])


@pytest.mark.parametrize(
    ("customers", "orders", "contacts"),
    [(0, 0, 0), (1, None, None), (1, 1, 1), (5, 3, 2), (10, 2, 50), (3, 100, 0), (3, 0, 60)],
)
def test_small_sizes(customers: int, orders: int | None, contacts: int | None) -> None:
    demo = make_demo(customers, orders, contacts)
    n_ord = 6 * customers if orders is None else orders
    n_con = 3 * customers if contacts is None else contacts
    assert (len(demo["Customers"]), len(demo["Orders"]), len(demo["Contacts"])) == (
        customers,
        n_ord,
        n_con,
    )
    for sheet in SHEETS:
        assert list(demo[sheet].columns) == [c.key for c in SPECS[sheet].columns]
    if orders == 0:
        assert not _canon(demo["Contacts"]["Outcome"]).eq("Order").any()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"customers": -1},
        {"customers": 5, "orders": -1},
        {"customers": 0, "orders": 3},
        {"lang": "fr"},
    ],
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_demo(**kwargs)  # type: ignore[arg-type]


def test_scale_smoke() -> None:
    demo = make_demo(20_000, 200_000, 60_000, lang="en")
    assert len(demo["Customers"]) == 20_000
    assert len(demo["Orders"]) == 200_000
    assert len(demo["Contacts"]) == 60_000
    orders = demo["Orders"]
    assert orders["OrderID"].is_unique and orders["OrderID"].iloc[-1] == "O200000"
    assert demo["Customers"]["CustomerID"].iloc[-1] == "C20000"
    assert orders["CustomerID"].isin(demo["Customers"]["CustomerID"]).all()
    assert (orders["OrderDate"] <= ANCHOR).all()
    assert re.fullmatch(r"1[35789]\d{9}", demo["Customers"]["Phone"].iloc[-1])
    revenue = orders.groupby("CustomerID")["Amount"].sum().sort_values(ascending=False)
    assert revenue.iloc[: len(revenue) // 5].sum() >= 0.6 * revenue.sum()
