"""Worksheet functions (UDFs) — set ``UDF Modules`` = ``xl_addin.functions`` in the
``xlwings.conf`` sheet and import them with xlwings' add-in (Excel for Windows).

Each function takes single cells or whole columns and returns one value per row (a
column; a single value for a single cell). In Excel, xlwings' converters hand each
argument over as a 1-D list (``@xw.arg(..., ndim=1)``); headless (xlwings' decorators
do nothing outside Excel) :func:`_rows` does the same to whatever arrives. A column
comes back as a list of one-value rows, which Excel shows as a column. A bad row gives ``#VALUE!`` in its own
cell and the other rows are computed; an argument that makes every row meaningless
(columns of different lengths, an impossible option) gives one ``#VALUE!``. Options take
one cell or a column as long as the data; their defaults are the Settings defaults.
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
from .settings import Settings

__all__ = ["CB_ABC", "CB_AVG_SPEND", "CB_CLV", "CB_DAYS_OVERDUE", "CB_EXPECTED_PURCHASES",
           "CB_NEXT_FOLLOWUP", "CB_PALIVE", "CB_RFM_SEGMENT"]

VALUE, NUM = "#VALUE!", "#NUM!"
DEFAULTS = Settings()  # every default below is a Settings default


class _BadArgument(ValueError):
    """An argument that makes the whole call meaningless: one #VALUE!."""


# --------------------------------------------------------------------------- arguments
def _rows(x: Any) -> tuple[list[Any], bool]:
    """A cell, a row, a column or a block as one list of values; True for a single cell.
    (In Excel xlwings' ``ndim=1`` converter has already done this.)"""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if not isinstance(x, list | tuple):
        return [x], True
    if not any(isinstance(v, list | tuple) for v in x):
        return list(x), False
    return [w for v in x for w in (v if isinstance(v, list | tuple) else [v])], False


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (
        isinstance(v, float) and math.isnan(v))


def _num(v: Any) -> float:
    """A finite number, or ValueError (text numbers are numbers; blanks and bools are not)."""
    if isinstance(v, bool) or _blank(v):
        raise ValueError(v)
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(v)
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
        except (TypeError, ValueError, OverflowError):
            pass
    arr[~np.isfinite(arr)] = np.nan
    return arr, ~np.isnan(arr)


def _same_length(*columns: list[Any]) -> int:
    n = len(columns[0])
    if any(len(c) != n for c in columns):
        raise _BadArgument("columns of different lengths")
    return n


def _option(v: Any, n: int, default: float, low: float = 0.0,
            high: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
    """An option given as one cell or a column of ``n``: (values, usable rows). A single
    cell out of range spoils every row (one #VALUE!); a column spoils only its rows."""
    values, scalar = _rows(v)
    if scalar or len(values) == 1:
        f = default if _blank(values[0]) else _num_or_bad(values[0])
        if not low <= f <= high:
            raise _BadArgument(v)
        return np.full(n, f), np.ones(n, dtype=bool)
    if len(values) != n:
        raise _BadArgument("an option column of another length")
    arr, ok = _numbers([default if _blank(x) else x for x in values])
    ok &= (arr >= low) & (arr <= high)
    return np.where(ok, arr, default), ok


def _num_or_bad(v: Any) -> float:
    try:
        return _num(v)
    except (TypeError, ValueError, OverflowError):
        raise _BadArgument(v) from None


def _one(v: Any, n: int, default: float, low: float = 0.0, high: float = math.inf) -> float:
    """An option that applies to the whole column (e.g. ABC shares): one value, or a
    column holding that one value."""
    values, ok = _option(v, n, default, low, high)
    if not ok.all() or len(set(values.tolist())) > 1:
        raise _BadArgument(v)
    return float(values[0]) if n else default


def _out(values: list[Any], scalar: bool) -> Any:
    clean = ["" if v is None or (isinstance(v, float) and not math.isfinite(v)) else v
             for v in values]
    return clean[0] if scalar else [[v] for v in clean]


def _udf(func: Callable[..., Any]) -> Callable[..., Any]:
    """Argument problems become an Excel-style error string, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (_BadArgument, btyd.BTYDInputError, ValueError, TypeError):
            return VALUE
        except ArithmeticError:  # e.g. a cadence of 1e12 days: no such date
            return NUM

    return wrapper


def _date_or_none(v: Any) -> dt.date | None:
    return None if _blank(v) else parse_date(v, EPOCH_1900)  # a number: Excel's day number


# --------------------------------------------------------------------------- classify
@xw.func
@xw.arg("revenue", ndim=1, doc="收入列 / revenue per customer (a column)")
@xw.arg("a_share", ndim=1, doc="A 类累计占比，默认 0.8 / A share of revenue, default 0.80")
@xw.arg("b_share", ndim=1, doc="B 类累计占比，默认 0.95 / B cumulative share, default 0.95")
@_udf
def CB_ABC(revenue: Any, a_share: Any = None, b_share: Any = None) -> Any:
    """ABC 分级（按累计销售额占比）/ ABC class by cumulative revenue share: A, B, C; blank for no revenue."""
    values, scalar = _rows(revenue)
    n = len(values)
    a = _one(a_share, n, DEFAULTS.ABC_A_Share, 0, 1)
    b = _one(b_share, n, DEFAULTS.ABC_B_Share, 0, 1)
    if a > b:
        raise _BadArgument((a, b))
    arr, _ = _numbers(values)
    return _out(abc_class(pd.Series(arr), a, b).tolist(), scalar)


@xw.func
@xw.arg("recency_days", ndim=1, doc="距最近购买天数 / days since last purchase")
@xw.arg("frequency", ndim=1, doc="购买次数 / purchases")
@xw.arg("monetary", ndim=1, doc="消费金额 / spend")
@xw.arg("scheme", doc="CN8（八类，中文）或 EN11（英文）/ CN8 or EN11; add _EN or _ZH for the other language")
@_udf
def CB_RFM_SEGMENT(recency_days: Any, frequency: Any, monetary: Any, scheme: Any = None) -> Any:
    """RFM 客户分群 / RFM segment: the Chinese 8-class model (CN8) or the English map (EN11)."""
    r, scalar = _rows(recency_days)
    f, m = _rows(frequency)[0], _rows(monetary)[0]
    _same_length(r, f, m)
    key = (str(scheme).strip().upper() if not _blank(scheme) else "CN8").replace("-", "_")
    base, _, lang_part = key.partition("_")
    if base not in {"CN8", "EN11"}:
        raise _BadArgument(scheme)
    lang = {"EN": "en", "ZH": "zh-CN"}.get(lang_part, "zh-CN" if base == "CN8" else "en")
    (rs, ok_r), (fs, ok_f), (ms, ok_m) = _numbers(r), _numbers(f), _numbers(m)
    ok = ok_r & ok_f & ok_m
    R, F, M = (pd.Series(np.where(ok, a, np.nan)) for a in (rs, fs, ms))
    if base == "CN8":
        labels, _ = rfm_segment_cn8(R, F, M, lang)
    else:
        labels = rfm_segment_en11(rfm_scores(R, F, M), lang)
    return _out(labels.tolist(), scalar)


# --------------------------------------------------------------------------- follow-ups
@xw.func
@xw.arg("last_contact", ndim=1, doc="最近联系日期 / last contact date")
@xw.arg("abc_class", ndim=1, doc="A / B / C")
@xw.arg("cadence_a", ndim=1, doc="A 类周期天数，默认 30 / days, default 30")
@xw.arg("cadence_b", ndim=1, doc="B 类周期天数，默认 90 / days, default 90")
@xw.arg("cadence_c", ndim=1, doc="C 类周期天数，默认 180 / days, default 180")
@_udf
def CB_NEXT_FOLLOWUP(last_contact: Any, abc_class: Any, cadence_a: Any = None,
                     cadence_b: Any = None, cadence_c: Any = None) -> Any:
    """下次回访日期（按等级周期）/ next follow-up date: last contact + the class cadence."""
    dates, scalar = _rows(last_contact)
    classes = _rows(abc_class)[0]
    n = len(dates)
    if len(classes) == 1 and n > 1:
        classes = classes * n
    _same_length(dates, classes)
    days = {k: _option(v, n, d) for k, v, d in (
        ("A", cadence_a, DEFAULTS.Cadence_A_Days), ("B", cadence_b, DEFAULTS.Cadence_B_Days),
        ("C", cadence_c, DEFAULTS.Cadence_C_Days))}
    out: list[Any] = []
    for i, (d, c) in enumerate(zip(dates, classes, strict=True)):
        try:
            day = _date_or_none(d)
        except ValueError:
            out.append(VALUE)
            continue
        k = "C" if _blank(c) else str(c).strip().upper()
        if day is None:
            out.append(None)
        elif k not in days or not days[k][1][i]:
            out.append(VALUE)
        else:
            due = day + dt.timedelta(days=int(days[k][0][i]))
            out.append(dt.datetime.combine(due, dt.time()))
    return _out(out, scalar)


@xw.func
@xw.arg("due_date", ndim=1, doc="到期日期 / due date")
@xw.arg("as_of", ndim=1, doc="基准日，默认今天 / as-of date, default today")
@_udf
def CB_DAYS_OVERDUE(due_date: Any, as_of: Any = None) -> Any:
    """逾期天数（负数表示未到期）/ days past due; negative when not yet due."""
    dates, scalar = _rows(due_date)
    days, one = _rows(as_of)
    if one or len(days) == 1:  # one as-of date for every row (blank: today)
        days = [_date_or_none(days[0]) or dt.date.today()] * len(dates)
    _same_length(dates, days)
    out: list[Any] = []
    for d, day in zip(dates, days, strict=True):
        try:
            due, base = _date_or_none(d), _date_or_none(day) or dt.date.today()
        except ValueError:
            out.append(VALUE)
            continue
        out.append(None if due is None else (base - due).days)
    return _out(out, scalar)


# --------------------------------------------------------------------------- value
def _history(frequency: Any, recency_days: Any, age_days: Any
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """(x, t_x, T, usable rows, single cell): a row is usable when it is a customer
    history the models accept (whole repeat purchases, 0 <= recency <= age, recency 0
    without a repeat purchase)."""
    f, scalar = _rows(frequency)
    r, t = _rows(recency_days)[0], _rows(age_days)[0]
    _same_length(f, r, t)
    (fa, ok_f), (ra, ok_r), (ta, ok_t) = _numbers(f), _numbers(r), _numbers(t)
    with np.errstate(invalid="ignore"):
        ok = (ok_f & ok_r & ok_t & (fa >= 0) & (fa == np.round(fa)) & (ra >= 0) & (ra <= ta)
              & ((fa > 0) | (ra == 0)))
    if not ok.any():
        raise _BadArgument("no usable rows")
    return fa, ra, ta, ok, scalar


def _model(v: Any) -> Any:
    """The purchase model named in one cell (BGNBD, MBGNBD or ParetoNBD; blank: BG/NBD)."""
    values, scalar = _rows(v)
    if not scalar and len(values) != 1:
        raise _BadArgument("the model is one cell")
    if _blank(values[0]):
        return btyd.MODELS[btyd.DEFAULT_MODEL]
    return btyd.get_model(str(values[0]))  # an unknown name: BTYDInputError -> #VALUE!


def _spread(values: np.ndarray, ok: np.ndarray, scalar: bool) -> Any:
    """The computed values in their rows, #VALUE! in the rows that could not be used."""
    out = np.full(len(ok), VALUE, dtype=object)
    out[ok] = np.asarray(values, dtype=np.float64).tolist()
    return _out(out.tolist(), scalar)


@xw.func
@xw.arg("frequency", ndim=1, doc="重复购买天数 / repeat purchase days")
@xw.arg("recency_days", ndim=1, doc="首购到末购天数 / days from first to last purchase")
@xw.arg("age_days", ndim=1, doc="首购到基准日天数 / days from first purchase to the as-of date")
@xw.arg("model", doc="BGNBD（默认）、MBGNBD 或 ParetoNBD / BGNBD (default), MBGNBD or ParetoNBD")
@_udf
def CB_PALIVE(frequency: Any, recency_days: Any, age_days: Any, model: Any = None) -> Any:
    """客户仍活跃的概率（按所给行拟合所选模型，默认 BG/NBD）/ P(alive), the model (default BG/NBD) fitted on the rows given."""
    f, r, t, ok, scalar = _history(frequency, recency_days, age_days)
    spec = _model(model)
    fit = spec.fit(f[ok], r[ok], t[ok])
    return _spread(spec.p_alive(fit, f[ok], r[ok], t[ok]), ok, scalar)


@xw.func
@xw.arg("frequency", ndim=1, doc="重复购买天数 / repeat purchase days")
@xw.arg("recency_days", ndim=1, doc="首购到末购天数 / days from first to last purchase")
@xw.arg("age_days", ndim=1, doc="首购到基准日天数 / days from first purchase to the as-of date")
@xw.arg("horizon_days", ndim=1, doc="预测天数（一格或一列）/ days ahead (a cell or a column)")
@xw.arg("model", doc="BGNBD（默认）、MBGNBD 或 ParetoNBD / BGNBD (default), MBGNBD or ParetoNBD")
@_udf
def CB_EXPECTED_PURCHASES(frequency: Any, recency_days: Any, age_days: Any,
                          horizon_days: Any, model: Any = None) -> Any:
    """未来 N 天预计购买次数（所选模型，默认 BG/NBD）/ expected purchases in the next horizon_days days (default BG/NBD)."""
    f, r, t, ok, scalar = _history(frequency, recency_days, age_days)
    horizon, ok_h = _option(horizon_days, len(f), 0.0)
    spec = _model(model)
    fit = spec.fit(f[ok], r[ok], t[ok])
    use = ok & ok_h
    values = spec.expected_purchases(fit, horizon[use], f[use], r[use], t[use])
    return _spread(values, use, scalar)


@xw.func
@xw.arg("frequency", ndim=1, doc="重复购买天数 / repeat purchase days")
@xw.arg("avg_repeat_spend", ndim=1, doc="重复购买平均金额 / average spend of repeat purchases")
@_udf
def CB_AVG_SPEND(frequency: Any, avg_repeat_spend: Any) -> Any:
    """预期单次消费金额（Gamma-Gamma）/ expected spend per purchase, Gamma-Gamma fitted on the rows."""
    f, scalar = _rows(frequency)
    m = _rows(avg_repeat_spend)[0]
    _same_length(f, m)
    (fa, ok_f), (ma, ok_m) = _numbers(f), _numbers(m)
    ok = ok_f & ok_m & (fa >= 0) & (fa == np.round(fa))
    if not ok.any():
        raise _BadArgument("no usable rows")
    fit = btyd.fit_gamma_gamma(fa[ok], ma[ok])
    return _spread(btyd.gamma_gamma_expected_spend(fit, fa[ok], ma[ok]), ok, scalar)


@xw.func
@xw.arg("frequency", ndim=1, doc="重复购买天数 / repeat purchase days")
@xw.arg("recency_days", ndim=1, doc="首购到末购天数 / days from first to last purchase")
@xw.arg("age_days", ndim=1, doc="首购到基准日天数 / days from first purchase to the as-of date")
@xw.arg("avg_repeat_spend", ndim=1, doc="重复购买平均金额 / average spend of repeat purchases")
@xw.arg("horizon_months", ndim=1, doc="预测月数，默认 12 / months, default 12")
@xw.arg("discount_rate_annual", ndim=1, doc="年折现率，默认 0.10 / annual discount rate, default 0.10")
@xw.arg("margin", ndim=1, doc="毛利率，默认 0.30 / margin rate, default 0.30")
@_udf
def CB_CLV(frequency: Any, recency_days: Any, age_days: Any, avg_repeat_spend: Any,
           horizon_months: Any = None, discount_rate_annual: Any = None,
           margin: Any = None) -> Any:
    """客户终身价值（折现毛利）/ discounted CLV on margin: BG/NBD × Gamma-Gamma over the horizon."""
    f, r, t, ok, scalar = _history(frequency, recency_days, age_days)
    n = len(f)
    m = _rows(avg_repeat_spend)[0]
    _same_length(f, m)
    ma, ok_m = _numbers(m)
    months, ok_h = _option(horizon_months, n, DEFAULTS.CLV_HorizonMonths, 0, 1200)
    rate, ok_d = _option(discount_rate_annual, n, DEFAULTS.DiscountRateAnnual, 0, 10)
    rates, ok_r = _option(margin, n, DEFAULTS.DefaultMarginRate, 0, 1)
    ok_h &= months == np.round(months)
    fit_rows = ok & ok_m
    ma = np.where(fit_rows, ma, 0.0)
    bg = btyd.fit_bgnbd(f[fit_rows], r[fit_rows], t[fit_rows])
    gg = btyd.fit_gamma_gamma(f[fit_rows], ma[fit_rows])
    use = fit_rows & ok_h & ok_d & ok_r
    values = np.zeros(n)
    # one valuation per distinct option triple (usually one)
    keys = pd.DataFrame({"h": months, "d": rate, "m": rates})[use]
    for (h, d, mg), group in keys.groupby(["h", "d", "m"], sort=False):
        at = group.index.to_numpy()
        values[at] = btyd.clv(bg, gg, f[at], r[at], t[at], ma[at], time_unit_days=1,
                              horizon_months=int(h), discount_rate_annual=float(d),
                              margin=float(mg))
    return _spread(values[use], use, scalar)
