"""Reference data for the demo generator: regions, names, products, program definitions.

Kept apart from :mod:`crm_core.demo.generate` so the generator reads as an algorithm. Names mix
Korean, Chinese (simplified and traditional), Japanese and English on purpose: the
demo must exercise CJK rendering everywhere a customer name appears.
"""

from __future__ import annotations

__all__ = [
    "REGIONS",
    "CUSTOMER_TYPES",
    "CHANNELS",
    "INDUSTRIES",
    "CATEGORIES",
    "SURNAMES",
    "GIVEN_NAMES",
    "COMPANY_WORDS",
    "MANAGERS",
    "PROGRAMS",
    "FX_PER_USD",
    "SEASONALITY",
]

# region -> (weight, country code, cities, name pool)
REGIONS: dict[str, tuple[float, str, tuple[str, ...], str]] = {
    "Korea": (0.30, "KR", ("Seoul", "Busan", "Incheon", "Daegu", "Gwangju"), "ko"),
    "Mainland China": (0.22, "CN", ("Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Chengdu"), "zh_Hans"),
    "Taiwan": (0.14, "TW", ("Taipei", "Taichung", "Kaohsiung", "Tainan"), "zh_Hant"),
    "Japan": (0.12, "JP", ("Tokyo", "Osaka", "Nagoya", "Fukuoka"), "ja"),
    "Hong Kong": (0.07, "HK", ("Hong Kong",), "zh_Hant"),
    "Singapore": (0.05, "SG", ("Singapore",), "en"),
    "United States": (0.10, "US", ("San Francisco", "New York", "Seattle", "Los Angeles"), "en"),
}

# type -> (share of customers, purchases per year mean, order value scale in USD, mean lifetime years)
CUSTOMER_TYPES: dict[str, tuple[float, float, float, float]] = {
    "consumer": (0.86, 3.0, 60.0, 2.2),
    "small business": (0.09, 6.0, 180.0, 3.5),
    "enterprise": (0.03, 10.0, 600.0, 6.0),
    "public sector": (0.01, 4.0, 450.0, 6.0),
    "education": (0.01, 4.0, 300.0, 5.0),
}

CHANNELS: dict[str, float] = {
    "online": 0.38,
    "store": 0.26,
    "mobile app": 0.14,
    "partner": 0.10,
    "referral": 0.07,
    "direct sales": 0.05,
}

INDUSTRIES: tuple[str, ...] = (
    "retail", "manufacturing", "finance", "healthcare", "information technology", "logistics", "hospitality",
)

# category -> (gross margin, products as (name, unit price USD))
CATEGORIES: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {
    "Electronics": (0.18, (("Wireless earbuds", 89.0), ("4K monitor", 329.0), ("Laptop stand", 45.0), ("Smartwatch", 249.0))),
    "Home": (0.38, (("Air purifier", 199.0), ("Rice cooker", 129.0), ("Desk lamp", 39.0), ("Robot vacuum", 399.0))),
    "Beauty": (0.55, (("Cushion foundation", 32.0), ("Sheet mask set", 18.0), ("Serum", 48.0), ("Sunscreen", 22.0))),
    "Fashion": (0.48, (("Down jacket", 159.0), ("Sneakers", 95.0), ("Silk scarf", 65.0), ("Backpack", 79.0))),
    "Grocery": (0.22, (("Green tea", 14.0), ("Ginseng extract", 58.0), ("Snack box", 21.0), ("Coffee beans", 26.0))),
    "Office": (0.35, (("Printer paper (case)", 42.0), ("Ergonomic chair", 289.0), ("Whiteboard", 119.0), ("Toner", 85.0))),
    "Software": (0.80, (("Antivirus licence", 49.0), ("Cloud storage plan", 99.0), ("Office suite seat", 129.0))),
    "Services": (0.45, (("Installation", 75.0), ("Extended warranty", 59.0), ("Maintenance contract", 480.0))),
}

SURNAMES: dict[str, tuple[str, ...]] = {
    "ko": ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"),
    "zh_Hans": ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"),
    "zh_Hant": ("陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊"),
    "ja": ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村"),
    "en": ("Smith", "Johnson", "Lee", "Brown", "Garcia", "Miller", "Tan", "Wong", "Davis", "Lim"),
}

GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    "ko": ("민준", "서연", "도윤", "지우", "하준", "서윤", "예준", "하은", "지호", "수아"),
    "zh_Hans": ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰"),
    "zh_Hant": ("淑芬", "志明", "雅婷", "俊傑", "怡君", "家豪", "美玲", "建宏"),
    "ja": ("翔太", "美咲", "大輝", "陽菜", "蓮", "結衣", "悠斗", "さくら"),
    "en": ("James", "Mary", "Wei", "Olivia", "Daniel", "Grace", "Ethan", "Chloe", "Ryan", "Hannah"),
}

COMPANY_WORDS: dict[str, tuple[str, ...]] = {
    "ko": ("한빛", "새봄", "대한", "미래", "누리", "하나로"),
    "zh_Hans": ("华兴", "东方", "长城", "新锐", "恒通", "远航"),
    "zh_Hant": ("台新", "永豐", "宏達", "聯合", "大同", "遠東"),
    "ja": ("日進", "大和", "東洋", "富士", "光和", "三栄"),
    "en": ("Summit", "Harbor", "Pioneer", "Bluewave", "Northstar", "Keystone"),
}

# (manager id, name, region, annual cost USD)
MANAGERS: tuple[tuple[str, str, str, float], ...] = (
    ("AM01", "김지훈", "Korea", 98000.0),
    ("AM02", "이수진", "Korea", 91000.0),
    ("AM03", "王磊", "Mainland China", 72000.0),
    ("AM04", "刘芳", "Mainland China", 70000.0),
    ("AM05", "陳怡君", "Taiwan", 69000.0),
    ("AM06", "林家豪", "Hong Kong", 88000.0),
    ("AM07", "佐藤大輝", "Japan", 95000.0),
    ("AM08", "Grace Tan", "Singapore", 99000.0),
    ("AM09", "Daniel Miller", "United States", 125000.0),
    ("AM10", "Olivia Garcia", "United States", 118000.0),
)

# program id -> (name, kind, annual fee, start, planted frequency lift, target member share)
PROGRAMS: dict[str, tuple[str, str, float, str, float, float]] = {
    "PTS": ("Points Plus", "points", 0.0, "2022-03-01", 0.10, 0.25),
    "CLUB": ("Club Prime", "club", 49.0, "2023-01-01", 0.15, 0.06),
    "VIP": ("VIP Black Card", "vip", 0.0, "2023-07-01", 0.05, 0.02),
}

# Display exchange rates, units per USD (illustrative, fixed).
FX_PER_USD: dict[str, float] = {
    "USD": 1.0, "KRW": 1380.0, "CNY": 7.2, "TWD": 32.0, "JPY": 150.0, "HKD": 7.8, "SGD": 1.35, "EUR": 0.92,
}

# Relative purchase intensity by calendar month (Jan..Dec): a Q4 peak.
SEASONALITY: tuple[float, ...] = (0.85, 0.75, 0.95, 0.95, 1.0, 0.95, 0.9, 0.95, 1.0, 1.05, 1.35, 1.5)
