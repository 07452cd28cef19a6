"""The workbook contract as data: sheet names, columns, output columns and words.

These names are a promise to users (their own workbooks and formulas depend on them).
Every input sheet and column is matched case-insensitively, ignoring spaces and ``_``,
by its English name, its Chinese name or an alias. Outputs are written in the
workbook's language (``en`` or ``zh-CN``).

Column kinds (how cells are read and written):
``id`` text key · ``text`` · ``date`` · ``number`` · ``money`` · ``int`` · ``percent`` ·
``yn`` (Y/N) · ``abc`` (A/B/C) · ``outcome`` (a contact outcome word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "CONTACTS",
    "CUSTOMERCARD",
    "CUSTOMERS",
    "HOLIDAYS",
    "PLANS",
    "SCRIPTS",
    "FACES",
    "INPUT_SHEETS",
    "MODELCHECK",
    "ORDERS",
    "OUTCOMES",
    "OUTPUT_SHEETS",
    "PRINTED_COLUMNS",
    "REASONS",
    "RFM_RULES",
    "SETTINGS_SHEET",
    "STATUSES",
    "Col",
    "SheetSpec",
    "fold",
    "word",
]


def fold(name: object) -> str:
    """The matching key of a sheet or column name: lower case, no spaces or ``_``."""
    return re.sub(r"[\s_\-]+", "", str(name or "")).casefold()


@dataclass(frozen=True)
class Col:
    key: str
    zh: str
    kind: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: float = 12.0

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.key

    def names(self) -> set[str]:
        return {fold(n) for n in (self.key, self.zh, *self.aliases)}


@dataclass(frozen=True)
class SheetSpec:
    key: str
    zh: str
    columns: tuple[Col, ...]
    aliases: tuple[str, ...] = ()
    required: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.key

    def names(self) -> set[str]:
        return {fold(n) for n in (self.key, self.zh, *self.aliases)}

    def col(self, key: str) -> Col:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


# --------------------------------------------------------------------------- inputs
CUSTOMERS = SheetSpec(
    "Customers",
    "客户",
    (
        Col("CustomerID", "客户编号", "id", True, ("Customer ID", "ID", "客户ID", "编号")),
        Col("Name", "客户名称", "text", True, ("Customer Name", "客户", "姓名", "名称")),
        Col("Owner", "负责人", "text", False, ("Salesperson", "Sales Rep", "销售")),
        Col("Phone", "电话", "text", False, ("Mobile", "Tel", "手机", "联系电话")),
        Col("Region", "区域", "text", False, ("Area", "地区")),
        Col("Source", "来源", "text"),
        Col("Type", "类型", "text", False, ("Customer Type", "客户类型")),
        Col("Birthday", "生日", "date", False, ("Date of Birth", "出生日期")),
        Col("LunarBirthday", "农历生日", "yn", False, ("Lunar",)),
        Col("Anniversary", "纪念日", "date"),
        Col("Strategic", "战略客户", "yn"),
        Col("DoNotContact", "免打扰", "yn", False, ("DNC", "Do Not Call")),
        Col("ClassOverride", "手动等级", "abc", False, ("Manual Class", "Class Override")),
        Col("Notes", "备注", "text"),
        Col("Member", "会员", "text", False, ("Membership", "会员等级", "会员卡", "VIP")),
        Col("CardBalance", "卡余额", "money", False, ("Card Balance", "Balance", "余额",
                                                     "储值余额", "会员卡余额")),
        Col("Preferences", "偏好", "text", False, ("Preference", "Hobbies", "爱好",
                                                   "偏好爱好", "要求")),
        Col("ReferredBy", "推荐人", "id", False, ("Referred By", "Referrer", "介绍人")),
    ),
    ("客户表", "客户资料", "Customer"),
)

ORDERS = SheetSpec(
    "Orders",
    "订单",
    (
        Col("OrderID", "订单号", "id", False, ("Order ID", "订单编号")),
        Col("CustomerID", "客户编号", "id", True, ("Customer ID", "客户ID")),
        Col("OrderDate", "下单日期", "date", True, ("Order Date", "Date", "日期", "订单日期")),
        Col("Amount", "金额", "money", True, ("Revenue", "Sales", "订单金额", "销售额")),
        Col("Cost", "成本", "money"),
        Col("Product", "产品", "text", False, ("Item", "商品", "项目")),
        Col("Paid", "已回款", "money", False, ("Received", "回款")),
    ),
    ("订单表", "Order", "Sales", "销售记录"),
)

CONTACTS = SheetSpec(
    "Contacts",
    "联系记录",
    (
        Col("CustomerID", "客户编号", "id", True, ("Customer ID", "客户ID")),
        Col("ContactDate", "联系日期", "date", True, ("Contact Date", "Date", "日期")),
        Col("Channel", "方式", "text", False, ("联系方式",)),
        Col("Staff", "联系人", "text", False, ("Staff Member", "跟进人")),
        Col("Outcome", "结果", "outcome", False, ("Result", "联系结果")),
        Col("NextFollowUp", "下次跟进", "date", False, ("Next Follow Up", "下次回访")),
        Col("Promise", "承诺事项", "text"),
        Col("PromiseDue", "承诺期限", "date", False, ("Promise Due",)),
        Col("Notes", "备注", "text"),
    ),
    ("Contact", "联系", "回访记录", "Contact Log"),
)

SETTINGS_SHEET = SheetSpec(
    "Settings",
    "设置",
    (
        Col("Key", "键", "text", True, ("Setting", "名称", "项目")),
        Col("Value", "值", "text", True, ("数值",)),
    ),
    ("参数",),
    required=False,
)

#: The English RFM segment map as an editable 5×5 grid: one row per R score (5..1), one
#: column per FM score (round-half-up of (F + M) / 2). A grid labels every one of the
#: 125 (R, F, M) combinations exactly once.
RFM_RULES = SheetSpec(
    "RFMRules",
    "RFM规则",
    (
        Col("R", "R", "int", True, ("R score", "R分")),
        *(Col(f"FM{i}", f"FM{i}", "text", True, (f"FM={i}", f"FM {i}")) for i in range(1, 6)),
    ),
    ("RFM Rules", "RFM 规则", "RFM分群规则"),
    required=False,
)

#: Follow-up plans per product (回访计划): offsets from the order date or the course end.
PLANS = SheetSpec(
    "Plans",
    "回访计划",
    (
        Col("Product", "产品", "text", True, ("Item", "商品", "项目")),
        Col("OffsetDays", "间隔天数", "int", True, ("Offset", "Day", "天数", "第几天")),
        Col("From", "起算", "text", False, ("Base", "基准")),
        Col("CourseDays", "疗程天数", "int", False, ("Course Days", "Duration", "周期天数")),
        Col("Note", "说明", "text", False, ("Notes", "备注")),
    ),
    ("Follow-up Plans", "回访计划表"),
    required=False,
)

#: Call scripts (话术): by reason, optional segment (class / tier / RFM segment), language.
SCRIPTS = SheetSpec(
    "Scripts",
    "话术",
    (
        Col("Reason", "原因", "text", True),
        Col("Segment", "客户群", "text", False, ("分群", "等级")),
        Col("Language", "语言", "text", False, ("Lang",)),
        Col("Script", "话术内容", "text", True, ("Text", "内容", "话术")),
    ),
    ("Call Scripts", "话术表"),
    required=False,
)

#: Holidays for greetings (节假日): official schedules change yearly, so it is a table.
HOLIDAYS = SheetSpec(
    "Holidays",
    "节假日",
    (
        Col("Date", "日期", "date", True),
        Col("Holiday", "节日", "text", True, ("Name", "名称")),
        Col("Classes", "问候等级", "text", False, ("Greet Classes", "客户等级")),
    ),
    ("Holiday Calendar", "节日"),
    required=False,
)

INPUT_SHEETS = (CUSTOMERS, ORDERS, CONTACTS, SETTINGS_SHEET, RFM_RULES, PLANS, SCRIPTS,
                HOLIDAYS)

# -------------------------------------------------------------------------- outputs
ANALYSIS = SheetSpec(
    "Analysis",
    "客户分析",
    (  # the widths of A:N add up to one A4 landscape page (see PRINTED_COLUMNS)
        Col("CustomerID", "客户编号", "id", width=10),
        Col("Name", "客户名称", "text", width=14),
        Col("Owner", "负责人", "text", width=8),
        Col("Revenue", "销售额", "money", width=11),
        Col("Orders", "订单数", "int", width=6),
        Col("LastOrderDate", "最近下单日期", "date", width=11),
        Col("RecencyDays", "距今天数", "int", width=7),
        Col("R", "R", "int", width=3),
        Col("F", "F", "int", width=3),
        Col("M", "M", "int", width=3),
        Col("RFMSegment", "RFM分群", "text", width=14),
        Col("ABCClass", "ABC等级", "text", width=6),
        Col("ValueTier", "价值层级", "text", width=9),
        Col("Profit", "利润", "money", width=11),
        Col("Dormant", "休眠状态", "text", width=9),
        Col("PAlive", "活跃概率", "percent", width=9),
        Col("ExpectedPurchases", "预计购买次数", "number", width=10),
        Col("CLV", "客户终身价值", "money", width=12),
        Col("AvgOrderValue", "平均订单金额", "money", width=12),
        Col("FirstOrderDate", "首次下单日期", "date", width=12),
        Col("TenureDays", "客户时长天数", "int", width=9),
        Col("Margin", "毛利", "money", width=12),
        Col("CostToServe", "服务成本", "money", width=10),
        Col("LossMaking", "亏损客户", "text", width=8),
        Col("KeyFace", "关键客户类型", "text", width=10),
        Col("Why", "分类依据", "text", width=48),
        Col("Outstanding", "未回款", "money", width=12),
        Col("OverdueDays", "欠款天数", "int", width=9),
        Col("Referrals", "推荐人数", "int", width=8),
    ),
    required=False,
)

FOLLOWUPS = SheetSpec(
    "FollowUps",
    "回访提醒",
    (
        Col("CustomerID", "客户编号", "id", width=12),
        Col("Name", "客户名称", "text", width=14),
        Col("Owner", "负责人", "text", width=10),
        Col("Reason", "原因", "text", width=14),
        Col("DueDate", "到期日期", "date", width=12),
        Col("DaysOverdue", "逾期天数", "int", width=9),
        Col("Status", "状态", "text", width=9),
        Col("ABCClass", "ABC等级", "text", width=8),
        Col("Detail", "说明", "text", width=36),
    ),
    required=False,
)

#: The call list staff work from. The columns they print and fill come first, so that
#: the printed page (A4 landscape, one owner a page) is the one block A:J at a readable
#: size (about 11 pt in Excel, 9 pt and more where Calibri prints in a wider font); the
#: reference columns follow, outside the print area. Every column is found by its name
#: (the outcome loop reads the sheet by its header), never by its letter, and a sheet
#: that already has its own order keeps it.
CALLLIST = SheetSpec(
    "CallList",
    "呼叫清单",
    (
        Col("Owner", "负责人", "text", width=6),
        Col("Rank", "序号", "int", width=5),
        Col("Name", "客户名称", "text", width=13),
        Col("Phone", "电话", "text", width=11),
        Col("Reason", "原因", "text", width=10),
        Col("Why", "优先依据", "text", width=19),
        Col("Script", "建议话术", "text", width=31),
        Col("Outcome", "结果", "outcome", width=8),
        Col("NextFollowUp", "下次跟进", "date", width=10),
        Col("Notes", "备注", "text", width=11),
        # on screen only: for routes, lookups, sorting and the outcome loop
        Col("Region", "区域", "text", width=10),
        Col("CustomerID", "客户编号", "id", width=12),
        Col("Priority", "优先级", "number", width=8),
        Col("PurchaseLikelihood", "购买可能性", "percent", width=10),
        Col("Message", "提示", "text", width=18),
    ),
    required=False,
)

DASHBOARD = SheetSpec("Dashboard", "仪表盘", (), required=False)

#: how well each purchase model predicted the book's own holdout period (fixed blocks)
MODELCHECK = SheetSpec("ModelCheck", "模型检验", (), ("Model Check",), required=False)

#: one customer at a glance (客户资料卡): a sheet of formulas over the other sheets, laid
#: out by the workbook template (the refresh rewrites the sheets it reads, not the card)
CUSTOMERCARD = SheetSpec("CustomerCard", "客户档案", (), ("Customer Card", "客户资料卡"),
                         required=False)

OUTPUT_SHEETS = (ANALYSIS, FOLLOWUPS, CALLLIST, DASHBOARD, MODELCHECK, CUSTOMERCARD)

#: how many leading columns of an output sheet print (the rest is on screen only), so
#: that the page is one A4 landscape page wide at a readable size: the call list's
#: working columns; the analysis from the customer to its profit
PRINTED_COLUMNS: dict[str, int] = {"CallList": 10, "Analysis": 14}

# ---------------------------------------------------------------------------- words
#: canonical word -> 中文
REASONS: dict[str, str] = {
    "Complaint": "投诉",
    "Promise": "承诺",
    "FollowUp": "约定回访",
    "Cadence": "定期回访",
    "PostSale": "售后回访",
    "Plan": "回访计划",
    "Birthday": "生日",
    "Anniversary": "纪念日",
    "Holiday": "节日问候",
    "Appointment": "邀约确认",
    "Dormant": "休眠激活",
    "WinBack": "流失挽回",
    "CheckPhone": "核对号码",
    "Collect": "催款",
    "MemberIdle": "会员唤醒",
}

STATUSES: dict[str, str] = {"Overdue": "逾期", "DueToday": "今日到期", "Upcoming": "即将到期"}

#: contact outcomes staff record; canonical -> 中文 (both accepted on input)
OUTCOMES: dict[str, str] = {
    "Reached": "已接通",
    "NoAnswer": "未接通",
    "Appointment": "已预约",
    "Order": "已下单",
    "Complaint": "投诉",
    "Resolved": "已解决",
    "PromiseKept": "承诺已兑现",
    "Callback": "待回电",
    "NotInterested": "无意向",
    "WrongNumber": "号码错误",
}

#: key-customer "faces" (红脸/白脸/黑脸)
FACES: dict[str, str] = {"Red": "红脸", "White": "白脸", "Black": "黑脸"}

DORMANCY: dict[str, str] = {
    "Active": "活跃",
    "Dormant": "休眠",
    "Lost": "流失",
    "Prospect": "潜在",
}

VALUE_TIERS: dict[str, str] = {
    "Key": "大客户",
    "Important": "重要客户",
    "Ordinary": "普通客户",
    "Small": "小客户",
}


#: the steps of a refresh, as progress shows them (CLI bar, Excel status bar)
STEPS: dict[str, tuple[str, str]] = {
    "read": ("读取工作簿", "Reading the workbook"),
    "check": ("检查输入", "Checking the inputs"),
    "analyse": ("客户分类与价值", "Classifying customers and their value"),
    "followups": ("回访提醒", "Follow-ups"),
    "calllist": ("呼叫清单", "Call list"),
    "shape": ("整理输出表", "Preparing the output sheets"),
    "write": ("写入工作簿", "Writing the workbook"),
}


def step_number(key: str) -> tuple[int, int]:
    """(n, total): the step's place among :data:`STEPS`, counted from 1."""
    return list(STEPS).index(key) + 1, len(STEPS)


def step_label(key: str, lang: str | None) -> str:
    """A refresh step in the workbook's language (both while the language is unknown)."""
    zh, en = STEPS[key]
    return zh if lang == "zh-CN" else en if lang else f"{zh} / {en}"


def word(table: dict[str, str], key: str, lang: str) -> str:
    """A canonical word in the workbook's language."""
    return table.get(key, key) if lang == "zh-CN" else key
