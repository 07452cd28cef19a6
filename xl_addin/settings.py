"""Settings: one frozen dataclass with every default in one place.

The Settings sheet (设置) holds two columns, ``Key`` (键) and ``Value`` (值). Keys are
matched like column names (case, spaces and ``_`` ignored). A blank value keeps the
default. Every number the domain rules use is here, so a user can change it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .errors import Problems, Reason
from .names import fold

__all__ = ["LANGUAGES", "MODEL_CHOICES", "RFM_SCHEMES", "SETTING_DOCS", "TIER_BASES",
           "TIER_INPUTS", "Settings",
           "book_language",
           "closest_setting", "parse_classes", "settings_from_pairs"]

LANGUAGES = {"zh-CN": "zh-CN", "zh": "zh-CN", "zhcn": "zh-CN", "中文": "zh-CN", "简体中文": "zh-CN",
             "en": "en", "english": "en", "英文": "en", "enus": "en", "engb": "en"}
#: RFM segment schemes: ``CN8`` the Chinese 8-class model, ``EN11`` the English segment map.
RFM_SCHEMES = {"cn8": "CN8", "八类": "CN8", "8": "CN8", "en11": "EN11", "11": "EN11"}
#: Settings ``Model``: ``Auto`` (the book's own holdout chooses) or one purchase model
#: Settings ``TierBasis``: value tiers by ``CLV`` (predicted value) or by the weighted ``Score``
TIER_BASES = {"clv": "CLV", "终身价值": "CLV", "客户终身价值": "CLV", "score": "Score",
              "综合得分": "Score", "得分": "Score", "评分": "Score", "综合评分": "Score"}
#: the inputs of the Score basis, in the order they are documented
TIER_INPUTS = ("Revenue", "Profit", "Loyalty", "Referrals", "Responsiveness")
MODEL_CHOICES = {"auto": "Auto", "自动": "Auto", "bgnbd": "BGNBD", "bg/nbd": "BGNBD",
                 "mbgnbd": "MBGNBD", "mbg/nbd": "MBGNBD", "paretonbd": "ParetoNBD",
                 "pareto/nbd": "ParetoNBD", "pareto": "ParetoNBD"}


@dataclass(frozen=True)
class Settings:
    """Every tunable number. Field names are the Settings sheet keys."""

    AsOfDate: dt.date | None = None
    Language: str = "zh-CN"
    ABC_A_Share: float = 0.80
    ABC_B_Share: float = 0.95
    Cadence_A_Days: int = 30
    Cadence_B_Days: int = 90
    Cadence_C_Days: int = 180
    DormantDays: int = 180
    LostDays: int = 365
    PostSaleCheckInDays: int = 3
    CareLeadDays: int = 3
    CallsPerOwnerPerDay: int = 20
    DefaultMarginRate: float = 0.30
    DiscountRateAnnual: float = 0.10
    CLV_HorizonMonths: int = 12
    UpcomingDays: int = 7
    RFMScheme: str = ""  # blank: CN8 for zh-CN workbooks, EN11 for en
    CostPerContact: float = 0.0
    Tier_Key_Share: float = 0.05
    Tier_Important_Share: float = 0.20
    Tier_Ordinary_Share: float = 0.70
    Face_Red_MinMarginRate: float = 0.40
    Face_Red_MaxOrdersPerYear: float = 4.0
    Face_White_MaxMarginRate: float = 0.20
    HolidayClasses: str = "A,B"
    ReactivationPerOwnerPerDay: int = 5
    MaxAttempts: int = 3
    RetryRestDays: int = 7
    NotInterestedRestDays: int = 90
    DropAfterDays: int = 30
    WorkDays: str = "Mon-Fri"
    GroupByRegion: bool = False
    Model: str = "Auto"
    HoldoutDays: int | None = None  # blank: a third of the history, 30-365 days
    #: blank: the Orders sheet; else a CSV/Parquet file or folder or a DuckDB database,
    #: relative to the workbook's folder, whose orders count beside the sheet's
    OrdersSource: str = ""
    #: likewise for the contact history (Contacts)
    ContactsSource: str = ""
    PaymentTermsDays: int = 30
    MemberIdleDays: int = 60
    TierBasis: str = "CLV"
    TierWeight_Revenue: float = 0.30
    TierWeight_Profit: float = 0.25
    TierWeight_Loyalty: float = 0.20
    TierWeight_Referrals: float = 0.10
    TierWeight_Responsiveness: float = 0.15

    @property
    def lang(self) -> str:
        return self.Language

    @property
    def rfm_scheme(self) -> str:
        return self.RFMScheme or ("CN8" if self.Language == "zh-CN" else "EN11")

    @property
    def tier_weights(self) -> dict[str, float]:
        """The Score basis' weights by input (Revenue, Profit, Loyalty, Referrals,
        Responsiveness), as typed (the score divides by their sum)."""
        return {k: getattr(self, f"TierWeight_{k}") for k in TIER_INPUTS}

    def as_of(self, today: dt.date | None = None) -> dt.date:
        return self.AsOfDate or today or dt.date.today()

    def cadence_days(self, abc: str) -> int:
        return {"A": self.Cadence_A_Days, "B": self.Cadence_B_Days}.get(abc, self.Cadence_C_Days)

    @property
    def work_days(self) -> frozenset[int]:
        """The weekdays calls are made on (Monday = 0)."""
        return frozenset(parse_work_days(self.WorkDays) or range(5))


#: key -> (English, 中文) description shown next to the value on the Settings sheet
SETTING_DOCS: Mapping[str, tuple[str, str]] = {
    "AsOfDate": ("Date the analysis is made for (blank = today)", "分析基准日（留空 = 今天）"),
    "Language": ("Output language: zh-CN or en", "输出语言：zh-CN 或 en"),
    "ABC_A_Share": ("A = customers making up this share of revenue", "A 类：累计销售额占比上限"),
    "ABC_B_Share": ("B = up to this cumulative share; the rest C", "B 类：累计占比上限，其余为 C 类"),
    "Cadence_A_Days": ("Follow up A customers at least every N days", "A 类客户回访周期（天）"),
    "Cadence_B_Days": ("Follow up B customers at least every N days", "B 类客户回访周期（天）"),
    "Cadence_C_Days": ("Follow up C customers at least every N days", "C 类客户回访周期（天）"),
    "DormantDays": ("No purchase for N days = dormant", "超过 N 天未购买 = 休眠"),
    "LostDays": ("No purchase for N days = lost", "超过 N 天未购买 = 流失"),
    "PostSaleCheckInDays": ("Check in N days after an order", "下单后第 N 天售后回访"),
    "CareLeadDays": ("Prepare birthdays etc. N days ahead", "生日等关怀提前 N 天提醒"),
    "CallsPerOwnerPerDay": ("Calls per owner per day on the call list", "每人每天呼叫上限"),
    "DefaultMarginRate": ("Margin rate used where Cost is blank", "成本为空时的默认毛利率"),
    "DiscountRateAnnual": ("Annual discount rate for CLV", "客户终身价值年折现率"),
    "CLV_HorizonMonths": ("CLV horizon in months", "客户终身价值预测月数"),
    "UpcomingDays": ("Show follow-ups due within N days", "显示 N 天内到期的回访"),
    "RFMScheme": ("RFM segments: CN8 or EN11 (blank = by language)",
                  "RFM 分群方案：CN8 或 EN11（留空按语言）"),
    "CostPerContact": ("Cost to serve per contact (profit view)", "每次联系的服务成本"),
    "Tier_Key_Share": ("Top share of buyers that are key customers", "大客户占买家比例"),
    "Tier_Important_Share": ("Cumulative share up to important", "重要客户累计比例"),
    "Tier_Ordinary_Share": ("Cumulative share up to ordinary; rest small", "普通客户累计比例，其余为小客户"),
    "Face_Red_MinMarginRate": ("Red face: A/B customer with at least this margin rate…",
                               "红脸：毛利率不低于此值的 A/B 类客户……"),
    "Face_Red_MaxOrdersPerYear": ("…who buys at most this many times a year",
                                  "……且每年购买不超过此次数"),
    "Face_White_MaxMarginRate": ("White face: A customer with at most this margin rate",
                                 "白脸：毛利率不高于此值的 A 类客户"),
    "HolidayClasses": ("Classes greeted before holidays (Holidays sheet may override)",
                       "节日问候的客户等级（节假日表可逐条指定）"),
    "ReactivationPerOwnerPerDay": ("Dormant/win-back calls per owner per day",
                                   "每人每天休眠激活/流失挽回呼叫上限"),
    "MaxAttempts": ("Unanswered tries at one follow-up before it rests",
                    "同一回访事项未接通几次后暂停"),
    "RetryRestDays": ("Days a follow-up rests after MaxAttempts unanswered tries",
                      "连续未接通后暂停的天数"),
    "NotInterestedRestDays": ("Days without routine calls after 'not interested'",
                              "客户表示无意向后，多少天内不做例行回访"),
    "DropAfterDays": ("Drop a post-sale or plan call still undone N days after it was due",
                      "售后回访或回访计划逾期 N 天仍未完成则不再提醒"),
    "WorkDays": ("Days calls are made: Mon-Fri, Mon-Sat or all", "工作日：Mon-Fri、Mon-Sat 或 all"),
    "GroupByRegion": ("Y: group each owner's call list by region (ranks stay in order)",
                      "Y：呼叫清单按区域分组（序号仍按顺序）"),
    "Model": ("Purchase model: Auto (the one that best predicted this book's last months), "
              "BGNBD, MBGNBD or ParetoNBD",
              "购买预测模型：Auto（自动选用对本簿最近一段时间预测最准的模型）、BGNBD、MBGNBD "
              "或 ParetoNBD"),
    "HoldoutDays": ("Days at the end of the history kept back to check the models "
                    "(blank = a third of the history, 30-365)",
                    "用于检验模型的最近天数（留空 = 历史的三分之一，30–365 天）"),
    "OrdersSource": ("Orders kept outside this workbook (blank = the Orders sheet only): a "
                     "CSV or Parquet file or folder, or a DuckDB database, relative to this "
                     "workbook's folder",
                     "存放在本工作簿之外的订单（留空 = 只用订单表）：CSV 或 Parquet 文件或文件夹，"
                     "或 DuckDB 数据库，路径相对于本工作簿所在文件夹"),
    "ContactsSource": ("Contact history kept outside this workbook (blank = the Contacts "
                       "sheet only), like OrdersSource",
                       "存放在本工作簿之外的联系记录（留空 = 只用联系记录表），同 OrdersSource"),
    "PaymentTermsDays": ("Payment terms: an unpaid balance older than N days is a Collect call",
                         "账期天数：超过 N 天未回款即列入催款"),
    "MemberIdleDays": ("A member with a card balance and no visit for N days is called back",
                       "有卡余额的会员超过 N 天未到店即列入会员唤醒"),
    "TierBasis": ("Value tiers by CLV, or by Score (the weighted score below)",
                  "价值层级依据：CLV（客户终身价值）或 Score（下列权重的综合得分）"),
    "TierWeight_Revenue": ("Score weight of revenue", "综合得分权重：销售额"),
    "TierWeight_Profit": ("Score weight of profit (after cost to serve)",
                          "综合得分权重：利润（扣除服务成本）"),
    "TierWeight_Loyalty": ("Score weight of loyalty (tenure and repeat rate)",
                           "综合得分权重：忠诚度（客户时长与复购率）"),
    "TierWeight_Referrals": ("Score weight of referrals (customers they brought)",
                             "综合得分权重：推荐（介绍来的客户数）"),
    "TierWeight_Responsiveness": ("Score weight of responsiveness (share of contacts reached)",
                                  "综合得分权重：响应度（联系接通的比例）"),
}

_FIELDS = {fold(f.name): f for f in fields(Settings)}
_ZH_KEYS = {
    "基准日": "AsOfDate", "分析日期": "AsOfDate", "语言": "Language",
    "每人每天呼叫上限": "CallsPerOwnerPerDay", "默认毛利率": "DefaultMarginRate",
}

_SHARES = ("ABC_A_Share", "ABC_B_Share", "DefaultMarginRate", "DiscountRateAnnual",
           "Tier_Key_Share", "Tier_Important_Share", "Tier_Ordinary_Share",
           "Face_Red_MinMarginRate", "Face_White_MaxMarginRate")


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip().replace(",", "")
    pct = text.endswith("%")
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        return None
    return value / 100 if pct else value


def settings_from_pairs(
    pairs: Iterable[tuple[int, Any, Any]],
    problems: Problems,
    sheet: str = "Settings",
    parse_date: Any = None,
) -> Settings:
    """Build Settings from ``(excel_row, key, value)`` triples.

    Problems go to ``problems``; the caller decides whether they stop the run. A key
    given twice (the later value is used) and a key with a value that is no setting (a
    typo, most likely: the closest setting is suggested) are warnings. ``parse_date``
    converts a cell value to a date or raises ``ValueError``.
    """
    values: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for row, key, raw in pairs:
        name = _ZH_KEYS.get(str(key).strip()) if key is not None else None
        f = _FIELDS.get(fold(name or key))
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if f is None:
            if key is not None and str(key).strip():
                near = closest_setting(key)
                if near:
                    problems.warn(sheet, row, "Key", Reason.SETTING_UNKNOWN_NEAR,
                                  key=str(key).strip(), near=near)
                else:
                    problems.warn(sheet, row, "Key", Reason.SETTING_UNKNOWN,
                                  key=str(key).strip())
            continue
        if f.name in rows:
            problems.warn(sheet, row, "Key", Reason.SETTING_REPEATED, key=f.name,
                          first=rows[f.name], second=row)
        rows[f.name] = row
        if f.name == "AsOfDate":
            try:
                values[f.name] = parse_date(raw) if parse_date else raw
            except ValueError:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE,
                             key=f.name, expected="a date", value=raw)
        elif f.name == "Language":
            lang = LANGUAGES.get(fold(raw))
            if lang is None:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE,
                             key=f.name, expected="zh-CN or en", value=raw)
            else:
                values[f.name] = lang
        elif f.name == "HolidayClasses":
            classes = parse_classes(raw)
            if classes is None:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE,
                             key=f.name, expected="letters A, B, C (e.g. A,B)",
                             value=raw)
            else:
                values[f.name] = ",".join(classes)
        elif f.name == "WorkDays":
            days = parse_work_days(raw)
            if days is None:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE,
                             key=f.name, expected="Mon-Fri, Mon-Sat or all", value=raw)
            else:
                values[f.name] = str(raw).strip()
        elif f.name == "GroupByRegion":
            flag = raw if isinstance(raw, bool) else {
                "y": True, "yes": True, "是": True, "true": True, "1": True,
                "n": False, "no": False, "否": False, "false": False, "0": False}.get(fold(raw))
            if flag is None:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE,
                             key=f.name, expected="Y or N", value=raw)
            else:
                values[f.name] = flag
        elif f.name == "Model":
            model = MODEL_CHOICES.get(fold(raw))
            if model is None:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE,
                             key=f.name, expected="Auto, BGNBD, MBGNBD or ParetoNBD",
                             value=raw)
            else:
                values[f.name] = model
        elif f.name == "TierBasis":
            basis = TIER_BASES.get(fold(raw))
            if basis is None:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE,
                             key=f.name, expected="CLV or Score", value=raw)
            else:
                values[f.name] = basis
        elif f.name == "HoldoutDays":
            num = _number(raw)
            if num is None or num != int(num) or num < 1:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE, key=f.name,
                             expected="a whole number of days, at least 1", value=raw)
            else:
                values[f.name] = int(num)
        elif f.name in ("OrdersSource", "ContactsSource"):
            values[f.name] = str(raw).strip()
        elif f.name == "RFMScheme":
            scheme = RFM_SCHEMES.get(fold(raw))
            if scheme is None:
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE,
                             key=f.name, expected="CN8 or EN11", value=raw)
            else:
                values[f.name] = scheme
        else:
            num = _number(raw)
            is_int = f.type in (int, "int")
            if num is None or (is_int and num != int(num)):
                problems.add(sheet, row, "Value", Reason.UNKNOWN_SETTING_VALUE, key=f.name,
                             expected="a whole number" if is_int else "a number",
                             value=raw)
                continue
            if num < 0 or (f.name in _SHARES and num > 1):
                problems.add(sheet, row, "Value", Reason.SETTING_OUT_OF_RANGE, key=f.name,
                             expected="between 0 and 1" if f.name in _SHARES
                             else "zero or more", value=raw)
                continue
            values[f.name] = int(num) if is_int else num
    settings = replace(Settings(), **values)
    for low, high in (("ABC_A_Share", "ABC_B_Share"), ("DormantDays", "LostDays"),
                      ("Tier_Key_Share", "Tier_Important_Share"),
                      ("Tier_Important_Share", "Tier_Ordinary_Share")):
        if getattr(settings, low) > getattr(settings, high):
            problems.add(sheet, rows.get(high, rows.get(low)), "Value",
                         Reason.SETTINGS_INCONSISTENT, key=low, other=high,
                         expected=f"{low} ≤ {high}")
    if settings.TierBasis == "Score" and not any(w > 0 for w in settings.tier_weights.values()):
        problems.add(sheet, rows.get("TierBasis"), "Value", Reason.SETTINGS_INCONSISTENT,
                     key="TierBasis", other="TierWeight_Revenue …",
                     expected="TierBasis Score needs a tier weight above 0")
    if settings.CallsPerOwnerPerDay < 1:
        problems.add(sheet, rows.get("CallsPerOwnerPerDay"), "Value",
                     Reason.SETTING_OUT_OF_RANGE, key="CallsPerOwnerPerDay",
                     expected="at least 1", value=settings.CallsPerOwnerPerDay)
    return settings


_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
             "周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6}


def parse_work_days(raw: Any) -> tuple[int, ...] | None:
    """``Mon-Fri``, ``Mon-Sat``, ``all``/``全部``, ``周一-周五`` or a list ``Mon,Wed,Fri``
    as weekday numbers (Monday = 0); None if it is none of these."""
    text = str(raw or "").strip().lower().replace("–", "-").replace("至", "-")
    if text in {"all", "全部", "每天", "*"}:
        return tuple(range(7))
    days: set[int] = set()
    for part in re.split(r"[,，、;\s]+", text):
        if not part:
            continue
        ends = [e.strip()[:3] if e.strip()[:1].isascii() else e.strip() for e in part.split("-")]
        if len(ends) == 1 and ends[0] in _WEEKDAYS:
            days.add(_WEEKDAYS[ends[0]])
        elif len(ends) == 2 and ends[0] in _WEEKDAYS and ends[1] in _WEEKDAYS:
            a, b = _WEEKDAYS[ends[0]], _WEEKDAYS[ends[1]]
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            return None
    return tuple(sorted(days)) or None


def closest_setting(key: Any) -> str | None:
    """The known setting a mistyped key most likely means (case, spaces and ``_``
    ignored), or None when nothing is close."""
    import difflib

    typed = fold(key)
    longer = sorted((k for k in _FIELDS if k.startswith(typed) and len(typed) >= 4), key=len)
    near = longer[:1] or difflib.get_close_matches(typed, list(_FIELDS), n=1, cutoff=0.75)
    return _FIELDS[near[0]].name if near else None


def parse_classes(raw: Any) -> tuple[str, ...] | None:
    """``"A,B"``, ``"A、B"``, ``"AB"`` or ``"all"``/``全部`` as a tuple of classes; None if invalid."""
    text = str(raw or "").strip().upper()
    if text in {"ALL", "全部", "所有", "*"}:
        return ("A", "B", "C")
    letters = [c for c in text if c not in " ,，、;；/"]
    if not letters or any(c not in "ABC" for c in letters):
        return None
    return tuple(sorted(set(letters)))


def book_language(sheet_names: Iterable[str], language: Any = None) -> str:
    """The workbook's language, for messages before the Settings are validated: its
    Language setting when that names a known language, else ``zh-CN`` when a sheet name
    holds Chinese characters, else ``en``."""
    lang = LANGUAGES.get(fold(language)) if language is not None else None
    if lang:
        return lang
    return "zh-CN" if any(_HAN.search(str(s)) for s in sheet_names) else "en"


_HAN = re.compile(r"[\u4e00-\u9fff]")


def is_language_setting(key: Any) -> bool:
    """True when ``key`` names the Language setting (read first to pick the message language)."""
    return bool(key) and fold(key) in {"language", "语言"}

