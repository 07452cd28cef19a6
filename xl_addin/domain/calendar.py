"""Built-in calendars and plans: what the Holidays and Plans sheets start with.

Holidays are computed per year with ``lunardate`` (lunar festivals converted to solar
dates) plus the fixed solar holidays. Official rest-day schedules change every year, so
the workbook keeps them in an editable Holidays table; this module only pre-fills it
(and serves books that have no Holidays sheet).

The default plans encode the clinic follow-up standard from the practice guides:
first call on day 3 after the visit; a 1–2 week course gets a call 3 days before it
ends; a 3-week course an extra call on day 10; a 1-month course on day 15; a 2-month
course calls on days 3, 21, 42 and 3 days before the end.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["HOLIDAY_NAMES", "LUNAR_YEARS", "default_holidays", "default_plans", "lunar_to_solar",
           "qingming"]

#: (kind, month, day, 中文, English): kind "lunar", "solar" or "term" (a solar term:
#: 清明 falls on the Qingming term, 4-6 April)
HOLIDAY_NAMES = (
    ("solar", 1, 1, "元旦", "New Year's Day"),
    ("lunar", 1, 1, "春节", "Spring Festival"),
    ("lunar", 1, 15, "元宵节", "Lantern Festival"),
    ("term", 4, 0, "清明节", "Qingming Festival"),
    ("solar", 5, 1, "劳动节", "Labour Day"),
    ("lunar", 5, 5, "端午节", "Dragon Boat Festival"),
    ("lunar", 7, 7, "七夕节", "Qixi Festival"),
    ("lunar", 8, 15, "中秋节", "Mid-Autumn Festival"),
    ("solar", 10, 1, "国庆节", "National Day"),
    ("lunar", 9, 9, "重阳节", "Double Ninth Festival"),
)


#: the years the lunar calendar (``lunardate``) knows
LUNAR_YEARS = range(1900, 2100)


def lunar_to_solar(year: int, month: int, day: int) -> dt.date | None:
    """The solar date of lunar ``month``/``day`` (a non-leap month) in lunar ``year``.

    Day 30 of a month that has only 29 days that year falls on day 29 (how families
    keep a "30th" birthday in short months). ``None`` outside :data:`LUNAR_YEARS`.
    ``lunardate`` checks the day only on conversion, so the month's real length is
    found by converting.
    """
    if year not in LUNAR_YEARS or not (1 <= month <= 12 and 1 <= day <= 30):
        return None
    from lunardate import LunarDate

    for d in (day, 29) if day == 30 else (day,):
        lunar = LunarDate(year, month, d)
        try:  # lunardate >= 0.2.2 names it to_solar_date; older releases toSolarDate
            return (lunar.to_solar_date() if hasattr(lunar, "to_solar_date")
                    else lunar.toSolarDate())
        except ValueError:  # a 29-day month this year (or the year past the table's end)
            continue
    return None


def qingming(year: int) -> dt.date:
    """The day of the Qingming solar term (清明, a statutory holiday) in ``year``.

    The almanac rule: day = int(Y × 0.2422 + C) − int(Y / 4) of April, with Y = year −
    1900 and C = 5.59 for 1900-1999, Y = year − 2000 and C = 4.81 for 2000-2099 (e.g.
    2024-04-04, 2025-04-04, 2026-04-05). Outside those years: 5 April.
    """
    if 1900 <= year <= 1999:
        y, c = year - 1900, 5.59
    elif 2000 <= year <= 2099:
        y, c = year - 2000, 4.81
    else:
        return dt.date(year, 4, 5)
    return dt.date(year, 4, int(y * 0.2422 + c) - y // 4)


def _solar(kind: str, year: int, month: int, day: int) -> dt.date | None:
    if kind == "solar":
        return dt.date(year, month, day)
    if kind == "term":
        return qingming(year)
    return lunar_to_solar(year, month, day)


def default_holidays(years: list[int], lang: str = "zh-CN") -> pd.DataFrame:
    """Holidays for ``years`` (columns Date, Holiday, Classes), sorted by date."""
    rows = []
    for year in years:
        for kind, month, day, zh, en in HOLIDAY_NAMES:
            date = _solar(kind, year, month, day)
            if date is not None:  # lunar festivals outside the lunar calendar's years: none
                rows.append({"Date": pd.Timestamp(date),
                             "Holiday": zh if lang == "zh-CN" else en, "Classes": None})
    frame = pd.DataFrame(rows, columns=["Date", "Holiday", "Classes"])
    return frame.sort_values("Date", kind="stable").reset_index(drop=True)


def default_plans(lang: str = "zh-CN") -> pd.DataFrame:
    """Follow-up plans for the demo's products (columns of the Plans sheet)."""
    zh = lang == "zh-CN"
    order, end = ("下单日", "疗程结束") if zh else ("Order", "End")
    names = (("基础护理疗程", "Basic Care Course"), ("深度护理疗程", "Deep Care Course"),
             ("年度会员卡", "Annual Membership"), ("体检套餐", "Health Check Package"))
    basic, deep, member, check = (n[0] if zh else n[1] for n in names)
    rows = [
        (basic, 3, order, 14, "首次回访：第 3 天" if zh else "first call: day 3"),
        (basic, -3, end, 14, "疗程结束前 3 天" if zh else "3 days before the course ends"),
        (deep, 3, order, 60, "第 3 天" if zh else "day 3"),
        (deep, 21, order, 60, "第 21 天" if zh else "day 21"),
        (deep, 42, order, 60, "第 42 天" if zh else "day 42"),
        (deep, -3, end, 60, "疗程结束前 3 天" if zh else "3 days before the course ends"),
        (member, -30, end, 365, "会员到期前 30 天续卡提醒" if zh else "renewal: 30 days before expiry"),
        (check, 10, order, None, "体检报告解读：第 10 天" if zh else "explain the report: day 10"),
    ]
    return pd.DataFrame(rows, columns=["Product", "OffsetDays", "From", "CourseDays", "Note"])
