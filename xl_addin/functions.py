"""Worksheet functions (UDFs) — set ``UDF Modules`` = ``xl_addin.functions`` in the
``xlwings.conf`` sheet and import them with xlwings' add-in.

Each function takes single cells or whole columns (a column arrives as a list; blanks
as None), converts them with :func:`_column`, calls the pure core, and returns one value
per row as a column (a single value for a single cell). Bad arguments give an
Excel-style error string (``#VALUE!``, ``#NUM!``) instead of an exception.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from .domain import btyd
from .domain.classify import abc_class, rfm_scores, rfm_segment_cn8, rfm_segment_en11
from .domain.schema import parse_date
from .domain.vector import FLOAT, INT, NONE, object_array, type_codes
from .excel.reading import EPOCH_1900

__all__ = ["CB_ABC", "CB_AVG_SPEND", "CB_CLV", "CB_DAYS_OVERDUE", "CB_EXPECTED_PURCHASES",
           "CB_NEXT_FOLLOWUP", "CB_PALIVE", "CB_RFM_SEGMENT"]

VALUE, NUM, NA = "#VALUE!", "#NUM!", "#N/A"


class _BadArgument(ValueError):
    pass


def _column(x: Any) -> tuple[list[Any], bool]:
    """Flatten a cell, a row, a column or a 2-D block into one list; True if scalar."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if not isinstance(x, list | tuple):
        return [x], True
    kinds = set(map(type, x))
    if not kinds & {list, tuple}:  # a column of cells: what a 1-column range sends
        return list(x), False
    out: list[Any] = []
    for v in x:
        if isinstance(v, list | tuple):
            out.extend(v)
        else:
            out.append(v)
    return out, False


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (
        isinstance(v, float) and math.isnan(v))


def _num(v: Any) -> float:
    if isinstance(v, bool) or _blank(v):
        raise _BadArgument(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise _BadArgument(v) from None
    if not math.isfinite(f):
        raise _BadArgument(v)
    return f


def _numbers(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN where blank or not a number) and a mask of the usable rows."""
    n = len(values)
    kinds = type_codes(values)
    arr = np.full(n, np.nan)
    plain = (kinds == FLOAT) | (kinds == INT)  # not bool: the whole column at once
    if plain.any():
        with np.errstate(invalid="ignore", over="ignore"):
            arr[plain] = object_array(values)[plain].astype(np.float64)
    for i in np.flatnonzero(~plain & (kinds != NONE)):  # text, dates, numpy scalars …
        try:
            arr[i] = _num(values[i])
        except _BadArgument:
            pass
    arr[~np.isfinite(arr)] = np.nan
    return arr, ~np.isnan(arr)


def _shape(values: list[Any], scalar: bool) -> Any:
    clean = ["" if v is None or (isinstance(v, float) and not math.isfinite(v)) else v
             for v in values]
    return clean[0] if scalar else [[v] for v in clean]


def _udf(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn argument problems into Excel-style error strings, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (_BadArgument, btyd.BTYDInputError, ValueError, TypeError):
            return VALUE
        except ArithmeticError:  # e.g. a cadence of 1e12 days: no such date
            return NUM

    return wrapper


def _option(v: Any, default: float, low: float = 0.0, high: float = math.inf) -> float:
    if _blank(v):
        return default
    f = _num(v)
    if not low <= f <= high:
        raise _BadArgument(v)
    return f


@xw.func
@xw.arg("revenue", doc="收入列 / revenue per customer (a column)")
@xw.arg("a_share", doc="A 类累计占比，默认 0.8 / A share of revenue, default 0.80")
@xw.arg("b_share", doc="B 类累计占比，默认 0.95 / B cumulative share, default 0.95")
@_udf
def CB_ABC(revenue: Any, a_share: Any = None, b_share: Any = None) -> Any:
    """ABC 分级（按累计销售额占比）/ ABC class by cumulative revenue share: A, B, C; blank for no revenue."""
    values, scalar = _column(revenue)
    a, b = _option(a_share, 0.80, 0, 1), _option(b_share, 0.95, 0, 1)
    if a > b:
        raise _BadArgument((a, b))
    arr, _ = _numbers(values)
    return _shape(abc_class(pd.Series(arr), a, b).tolist(), scalar)


@xw.func
@xw.arg("recency_days", doc="距最近购买天数 / days since last purchase")
@xw.arg("frequency", doc="购买次数 / purchases")
@xw.arg("monetary", doc="消费金额 / spend")
@xw.arg("scheme", doc="CN8（八类，中文）或 EN11（英文）/ CN8 or EN11; add _EN or _ZH for the other language")
@_udf
def CB_RFM_SEGMENT(recency_days: Any, frequency: Any, monetary: Any, scheme: Any = None) -> Any:
    """RFM 客户分群 / RFM segment: the Chinese 8-class model (CN8) or the English map (EN11)."""
    r, scalar = _column(recency_days)
    f, _ = _column(frequency)
    m, _ = _column(monetary)
    if not len(r) == len(f) == len(m):
        raise _BadArgument("lengths")
    key = (str(scheme).strip().upper() if not _blank(scheme) else "CN8").replace("-", "_")
    base, _, lang_part = key.partition("_")
    if base not in {"CN8", "EN11"}:
        raise _BadArgument(scheme)
    lang = {"EN": "en", "ZH": "zh-CN"}.get(lang_part, "zh-CN" if base == "CN8" else "en")
    rs, ok_r = _numbers(r)
    fs, ok_f = _numbers(f)
    ms, ok_m = _numbers(m)
    ok = ok_r & ok_f & ok_m
    R, F, M = (pd.Series(np.where(ok, a, np.nan)) for a in (rs, fs, ms))
    if base == "CN8":
        labels, _ = rfm_segment_cn8(R, F, M, lang)
    else:
        labels = rfm_segment_en11(rfm_scores(R, F, M), lang)
    return _shape(labels.tolist(), scalar)


def _date_or_none(v: Any) -> dt.date | None:
    if _blank(v):
        return None
    return parse_date(v, EPOCH_1900)  # a number in a cell: Excel's day number


@xw.func
@xw.arg("last_contact", doc="最近联系日期 / last contact date")
@xw.arg("abc_class", doc="A / B / C")
@xw.arg("cadence_a", doc="A 类周期天数，默认 30 / days, default 30")
@xw.arg("cadence_b", doc="B 类周期天数，默认 90 / days, default 90")
@xw.arg("cadence_c", doc="C 类周期天数，默认 180 / days, default 180")
@_udf
def CB_NEXT_FOLLOWUP(last_contact: Any, abc_class: Any, cadence_a: Any = None,
                     cadence_b: Any = None, cadence_c: Any = None) -> Any:
    """下次回访日期（按等级周期）/ next follow-up date: last contact + the class cadence."""
    dates, scalar = _column(last_contact)
    classes, _ = _column(abc_class)
    if len(classes) == 1 and len(dates) > 1:
        classes = classes * len(dates)
    if len(classes) != len(dates):
        raise _BadArgument("lengths")
    days = {"A": _option(cadence_a, 30), "B": _option(cadence_b, 90), "C": _option(cadence_c, 180)}
    out: list[Any] = []
    for d, c in zip(dates, classes, strict=True):
        try:
            day = _date_or_none(d)
        except ValueError:
            out.append(VALUE)
            continue
        k = "C" if _blank(c) else str(c).strip().upper()
        if day is None:
            out.append(None)
        elif k not in days:
            out.append(VALUE)
        else:
            out.append(dt.datetime.combine(day + dt.timedelta(days=int(days[k])), dt.time()))
    return _shape(out, scalar)


@xw.func
@xw.arg("due_date", doc="到期日期 / due date")
@xw.arg("as_of", doc="基准日，默认今天 / as-of date, default today")
@_udf
def CB_DAYS_OVERDUE(due_date: Any, as_of: Any = None) -> Any:
    """逾期天数（负数表示未到期）/ days past due; negative when not yet due."""
    dates, scalar = _column(due_date)
    day = _date_or_none(as_of) or dt.date.today()
    out: list[Any] = []
    for d in dates:
        try:
            due = _date_or_none(d)
        except ValueError:
            out.append(VALUE)
            continue
        out.append(None if due is None else (day - due).days)
    return _shape(out, scalar)


def _history(frequency: Any, recency_days: Any, age_days: Any):
    f, scalar = _column(frequency)
    r, _ = _column(recency_days)
    t, _ = _column(age_days)
    if not len(f) == len(r) == len(t):
        raise _BadArgument("lengths")
    fa, ok_f = _numbers(f)
    ra, ok_r = _numbers(r)
    ta, ok_t = _numbers(t)
    ok = ok_f & ok_r & ok_t & (fa >= 0) & (ra >= 0) & (ra <= ta)
    if not ok.any():
        raise _BadArgument("no usable rows")
    return fa, ra, ta, ok, scalar


def _spread(values: np.ndarray, ok: np.ndarray, scalar: bool) -> Any:
    out = np.full(len(ok), VALUE, dtype=object)
    out[ok] = np.asarray(values, dtype=np.float64).tolist()
    return _shape(out.tolist(), scalar)


@xw.func
@xw.arg("frequency", doc="重复购买天数 / repeat purchase days")
@xw.arg("recency_days", doc="首购到末购天数 / days from first to last purchase")
@xw.arg("age_days", doc="首购到基准日天数 / days from first purchase to the as-of date")
@_udf
def CB_PALIVE(frequency: Any, recency_days: Any, age_days: Any) -> Any:
    """客户仍活跃的概率（BG/NBD，按所给行拟合）/ P(alive), BG/NBD fitted on the rows given."""
    f, r, t, ok, scalar = _history(frequency, recency_days, age_days)
    fit = btyd.fit_bgnbd(f[ok], r[ok], t[ok])
    return _spread(btyd.bgnbd_p_alive(fit, f[ok], r[ok], t[ok]), ok, scalar)


@xw.func
@xw.arg("frequency", doc="重复购买天数 / repeat purchase days")
@xw.arg("recency_days", doc="首购到末购天数 / days from first to last purchase")
@xw.arg("age_days", doc="首购到基准日天数 / days from first purchase to the as-of date")
@xw.arg("horizon_days", doc="预测天数 / days ahead")
@_udf
def CB_EXPECTED_PURCHASES(frequency: Any, recency_days: Any, age_days: Any,
                          horizon_days: Any) -> Any:
    """未来 N 天预计购买次数（BG/NBD）/ expected purchases in the next horizon_days days."""
    f, r, t, ok, scalar = _history(frequency, recency_days, age_days)
    horizon = _option(horizon_days, 0.0)
    fit = btyd.fit_bgnbd(f[ok], r[ok], t[ok])
    return _spread(btyd.bgnbd_expected_purchases(fit, horizon, f[ok], r[ok], t[ok]), ok, scalar)


@xw.func
@xw.arg("frequency", doc="重复购买天数 / repeat purchase days")
@xw.arg("avg_repeat_spend", doc="重复购买平均金额 / average spend of repeat purchases")
@_udf
def CB_AVG_SPEND(frequency: Any, avg_repeat_spend: Any) -> Any:
    """预期单次消费金额（Gamma-Gamma）/ expected spend per purchase, Gamma-Gamma fitted on the rows."""
    f, scalar = _column(frequency)
    m, _ = _column(avg_repeat_spend)
    if len(f) != len(m):
        raise _BadArgument("lengths")
    fa, ok_f = _numbers(f)
    ma, ok_m = _numbers(m)
    ok = ok_f & ok_m & (fa >= 0)
    if not ok.any():
        raise _BadArgument("no usable rows")
    fit = btyd.fit_gamma_gamma(fa[ok], ma[ok])
    return _spread(btyd.gamma_gamma_expected_spend(fit, fa[ok], ma[ok]), ok, scalar)


@xw.func
@xw.arg("frequency", doc="重复购买天数 / repeat purchase days")
@xw.arg("recency_days", doc="首购到末购天数 / days from first to last purchase")
@xw.arg("age_days", doc="首购到基准日天数 / days from first purchase to the as-of date")
@xw.arg("avg_repeat_spend", doc="重复购买平均金额 / average spend of repeat purchases")
@xw.arg("horizon_months", doc="预测月数，默认 12 / months, default 12")
@xw.arg("discount_rate_annual", doc="年折现率，默认 0.10 / annual discount rate, default 0.10")
@xw.arg("margin", doc="毛利率，默认 0.30 / margin rate, default 0.30")
@_udf
def CB_CLV(frequency: Any, recency_days: Any, age_days: Any, avg_repeat_spend: Any,
           horizon_months: Any = None, discount_rate_annual: Any = None,
           margin: Any = None) -> Any:
    """客户终身价值（折现毛利）/ discounted CLV on margin: BG/NBD × Gamma-Gamma over the horizon."""
    f, r, t, ok, scalar = _history(frequency, recency_days, age_days)
    m, _ = _column(avg_repeat_spend)
    if len(m) != len(f):
        raise _BadArgument("lengths")
    ma, ok_m = _numbers(m)
    ok = ok & ok_m
    ma = np.where(ok, ma, 0.0)
    months = int(_option(horizon_months, 12, 0, 1200))
    rate = _option(discount_rate_annual, 0.10, 0, 10)
    mr = _option(margin, 0.30, 0, 1)
    bg = btyd.fit_bgnbd(f[ok], r[ok], t[ok])
    gg = btyd.fit_gamma_gamma(f[ok], ma[ok])
    values = btyd.clv(bg, gg, f[ok], r[ok], t[ok], ma[ok], time_unit_days=1,
                      horizon_months=months, discount_rate_annual=rate, margin=mr)
    return _spread(values, ok, scalar)
