"""What each kind of upload file holds: canonical columns, their types, which are required,
and the headers (English, Korean, Chinese) recognised for each.

The allow-list for every identifier an upload can name: a source header only ever maps to
one of these canonical names, and the SQL that loads a kind is built from them alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Column", "Kind", "KINDS", "UPSERT_KEYS", "NO_ROLLBACK", "CUSTOMER_UPDATES", "REASON_WORDS", "TRUE_WORDS",
           "FALSE_WORDS", "normalise_header", "propose_mapping", "template_rows"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str                 # id, text, date, timestamp, money, int, bool, reason, enum
    required: bool = False
    synonyms: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]      # duplicate key (besides all columns when absent)
    references: tuple[tuple[str, str, str], ...] = ()   # (column, table, table column) that must exist
    # A required column that others can stand in for: ("amount", ("unit_price",)) = without an
    # amount, quantity x unit price is the amount.
    stand_ins: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def money_columns(self) -> frozenset[str]:
        """The columns holding money (DECIMAL(18, 2) when stored)."""
        return frozenset(c.name for c in self.columns if c.type == "money")

    def missing(self, mapped: set[str]) -> list[str]:
        """Required columns neither mapped nor stood in for."""
        alt = dict(self.stand_ins)
        return [c for c in self.required if c not in mapped and not (c in alt and set(alt[c]) <= mapped)]


_CUSTOMER_ID = Column("customer_id", "id", True, (
    "customer", "customer id", "customer no", "customer number", "client id", "member id", "cust id", "custid",
    "고객번호", "고객id", "고객 id", "고객코드", "회원번호", "회원id", "고객", "客户编号", "客户id", "客户代码", "客户",
    "会员编号", "客戶編號", "客戶id", "客戶代碼", "客戶", "會員編號"))

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("transactions", "transactions", (
        Column("customer_id", "id", True, _CUSTOMER_ID.synonyms + (
            "email", "customer email", "buyer", "buyer id", "shopper id", "구매자", "구매자id", "구매자 id", "주문자",
            "주문자id", "회원아이디", "买家", "买家id", "买家账号", "会员id", "會員id", "買家", "買家帳號")),
        Column("date", "timestamp", True, (
            "tx date", "transaction date", "order date", "purchase date", "invoice date", "datetime", "timestamp",
            "created at", "created", "order created at", "paid at", "processed at", "order time",
            "거래일자", "거래일", "주문일", "주문일자", "주문일시", "결제일", "결제일시", "구매일", "구매일자", "일자", "날짜",
            "交易日期", "订单日期", "下单日期", "下单时间", "付款时间", "支付时间", "购买日期", "日期", "訂單日期", "訂購日期",
            "購買日期", "交易時間", "交易时间", "付款時間")),
        Column("amount", "money", True, (
            "sales", "revenue", "total", "total price", "line total", "net amount", "value", "dollar value",
            "amount paid", "paid amount", "sales amount", "order total", "금액", "매출", "매출액", "결제금액",
            "최종결제금액", "총결제금액", "실결제금액", "거래금액", "판매금액", "주문금액", "金额", "金額", "销售额", "銷售額",
            "交易金额", "交易金額", "实付金额", "實付金額", "实付款", "實付款", "订单金额", "訂單金額", "支付金额", "支付金額")),
        Column("order_id", "id", False, (
            "order", "order id", "order no", "order number", "order name", "invoice", "invoice no", "invoice number",
            "receipt no", "receipt number", "basket id", "주문번호", "주문 번호", "영수증번호", "订单号", "订单编号",
            "訂單編號", "訂單號碼", "單號", "发票号", "發票號碼")),
        Column("transaction_id", "id", False, (
            "transaction", "tx id", "line id", "order line id", "line item id", "상품주문번호", "거래번호",
            "交易编号", "交易編號", "子订单号", "子訂單號")),
        Column("cost", "money", False, ("cogs", "cost of goods", "원가", "매입원가", "成本", "进货成本", "進貨成本")),
        Column("quantity", "int", False, ("qty", "units", "items", "number of items", "item count", "number of cds",
                                          "lineitem quantity", "수량", "주문수량", "数量", "數量", "购买数量", "購買數量")),
        Column("unit_price", "money", False, ("price", "unit cost price", "item price", "lineitem price", "sale price",
                                              "단가", "판매가", "판매단가", "상품가격", "单价", "商品单价", "單價",
                                              "商品單價", "售价", "售價")),
        Column("product_id", "text", False, ("sku", "item id", "product code", "stock code", "lineitem sku",
                                             "item code", "상품코드", "상품번호", "商品编号", "商品編號", "产品编号",
                                             "產品編號", "商品货号", "貨號")),
        Column("product_category", "text", False, ("category", "product type", "카테고리", "상품분류", "분류", "品类",
                                                   "类别", "類別", "商品类别", "商品類別")),
        Column("channel", "text", False, ("sales channel", "채널", "판매채널", "渠道", "销售渠道", "通路", "銷售通路")),
        Column("store_id", "text", False, ("store", "shop", "branch", "매장", "점포", "门店", "門市", "店铺", "店鋪")),
        Column("discount", "money", False, ("discount amount", "할인", "할인금액", "折扣", "优惠金额", "優惠金額")),
        Column("currency", "text", False, ("통화", "货币", "貨幣", "币种", "幣別")),
        Column("country", "text", False, ("국가", "国家", "國家", "billing country", "shipping country")),
    ), key=("transaction_id",), references=(("customer_id", "customers", "customer_id"),),
        stand_ins=(("amount", ("unit_price",)),)),
    Kind("customers", "customers", (
        _CUSTOMER_ID,
        Column("name", "text", False, ("customer name", "full name", "이름", "고객명", "성명", "姓名", "客户名称",
                                       "客戶名稱", "名称", "名稱")),
        Column("email", "text", False, ("e-mail", "mail", "이메일", "电子邮件", "電子郵件", "邮箱", "郵箱")),
        Column("phone", "text", False, ("telephone", "mobile", "tel", "전화번호", "휴대폰", "연락처", "电话", "手机",
                                        "電話", "手機")),
        Column("address", "text", False, ("주소", "地址")),
        Column("city", "text", False, ("도시", "시", "城市")),
        Column("region", "text", False, ("state", "province", "area", "지역", "시도", "地区", "地區", "省份", "区域",
                                         "區域")),
        Column("country", "text", False, ("국가", "国家", "國家")),
        Column("customer_type", "text", False, ("type", "segment", "고객유형", "고객구분", "客户类型", "客戶類型")),
        Column("industry", "text", False, ("업종", "산업", "行业", "行業")),
        Column("acquisition_channel", "text", False, ("source", "acquisition", "유입경로", "가입경로", "获客渠道",
                                                      "獲客渠道", "来源", "來源")),
        Column("signup_date", "date", False, ("signup", "joined", "registration date", "가입일", "가입일자", "注册日期",
                                              "註冊日期")),
        Column("account_manager", "text", False, ("manager", "rm", "담당자", "담당 매니저", "客户经理", "客戶經理")),
    ), key=("customer_id",)),
    Kind("customer_managers", "customers", (
        _CUSTOMER_ID,
        Column("account_manager", "id", True, ("manager", "manager id", "rm", "relationship manager", "account manager",
                                               "담당자", "담당자id", "담당 매니저", "客户经理", "客戶經理", "经理编号",
                                               "經理編號")),
    ), key=("customer_id",), references=(("customer_id", "customers", "customer_id"),
                                         ("account_manager", "account_managers", "manager_id"))),
    Kind("account_managers", "account_managers", (
        Column("manager_id", "id", True, ("manager", "rm id", "employee id", "담당자id", "담당자코드", "사번",
                                          "经理编号", "經理編號", "员工编号", "員工編號")),
        Column("name", "text", True, ("manager name", "이름", "담당자명", "성명", "姓名", "经理姓名", "經理姓名")),
        Column("email", "text", False, ("e-mail", "이메일", "电子邮件", "電子郵件", "邮箱")),
        Column("region", "text", False, ("territory", "지역", "地区", "地區", "区域", "區域")),
        Column("annual_cost", "money", False, ("cost", "salary", "연간비용", "인건비", "年度成本", "年成本")),
    ), key=("manager_id",)),
    Kind("products", "products", (
        Column("product_id", "id", True, ("product", "sku", "item", "item id", "stock code", "stockcode", "상품코드",
                                          "상품번호", "품번", "商品编号", "商品編號", "货号", "貨號", "商品id")),
        Column("name", "text", True, ("product name", "description", "item name", "title", "상품명", "품명",
                                      "商品名称", "商品名稱", "品名")),
        Column("category", "text", False, ("product category", "product type", "department", "카테고리", "분류",
                                           "상품분류", "类目", "品类", "類別", "分类", "分類")),
        Column("unit_price", "money", False, ("price", "list price", "판매가", "단가", "定价", "單價", "单价", "售价")),
        Column("unit_cost", "money", False, ("cost", "cost price", "원가", "成本价", "成本價", "进价", "進價")),
    ), key=("product_id",)),
    Kind("campaigns", "campaigns", (
        Column("campaign_id", "id", True, ("campaign", "campaign code", "캠페인", "캠페인코드", "活动编号", "活動編號")),
        Column("name", "text", True, ("campaign name", "캠페인명", "活动名称", "活動名稱")),
        Column("kind", "text", False, ("type", "objective", "유형", "목적", "类型", "類型")),
        Column("channel", "text", False, ("medium", "채널", "渠道", "通路")),
        Column("start_date", "date", False, ("start", "launch date", "시작일", "开始日期", "開始日期")),
        Column("end_date", "date", False, ("end", "종료일", "结束日期", "結束日期")),
        Column("cost", "money", False, ("budget", "spend", "비용", "예산", "费用", "費用", "成本")),
    ), key=("campaign_id",)),
    Kind("campaign_contacts", "campaign_contacts", (
        Column("campaign_id", "id", True, ("campaign", "campaign code", "캠페인", "캠페인코드", "活动编号", "活動編號")),
        _CUSTOMER_ID,
        Column("contacted_at", "date", False, ("contact date", "sent", "sent at", "date", "발송일", "접촉일",
                                               "发送日期", "發送日期", "接触日期", "接觸日期")),
        Column("is_control", "bool", False, ("control", "holdout", "hold out", "control group", "group", "대조군",
                                             "对照组", "對照組")),
        Column("responded", "bool", False, ("response", "converted", "반응", "응답", "响应", "回應", "转化", "轉化")),
        Column("response_date", "date", False, ("responded at", "conversion date", "반응일", "响应日期", "回應日期")),
    ), key=("campaign_id", "customer_id"), references=(("customer_id", "customers", "customer_id"),
                                                       ("campaign_id", "campaigns", "campaign_id"))),
    Kind("churn_events", "churn_events", (
        _CUSTOMER_ID,
        Column("churn_date", "date", True, ("date", "exit date", "cancel date", "cancellation date", "해지일",
                                            "이탈일", "해지일자", "流失日期", "解约日期", "解約日期")),
        Column("reason", "reason", True, ("churn reason", "exit reason", "해지사유", "이탈사유", "사유", "流失原因",
                                          "原因")),
        Column("reason_detail", "text", False, ("detail", "comment", "상세", "상세사유", "备注", "備註", "说明", "說明")),
    ), key=("customer_id", "churn_date"), references=(("customer_id", "customers", "customer_id"),)),
    Kind("loyalty_programs", "loyalty_programs", (
        Column("program_id", "id", True, ("program", "program code", "프로그램", "프로그램코드", "计划编号", "計劃編號")),
        Column("name", "text", True, ("program name", "프로그램명", "计划名称", "計劃名稱")),
        Column("kind", "enum", True, ("type", "program type", "유형", "类型", "類型"), ("points", "club", "vip")),
        Column("annual_fee", "money", False, ("fee", "연회비", "年费", "年費")),
        Column("start_date", "date", False, ("start", "시작일", "开始日期", "開始日期")),
        Column("end_date", "date", False, ("end", "종료일", "结束日期", "結束日期")),
    ), key=("program_id",)),
    Kind("loyalty_members", "loyalty_members", (
        _CUSTOMER_ID,
        Column("program_id", "id", True, ("program", "프로그램", "计划编号", "計劃編號")),
        Column("enrolled_at", "date", True, ("enrolled", "enrollment date", "join date", "joined", "가입일", "등록일",
                                             "入会日期", "入會日期")),
        Column("tier", "text", False, ("level", "등급", "等级", "等級")),
        Column("left_at", "date", False, ("left", "leave date", "탈퇴일", "退出日期")),
        Column("fee_paid", "money", False, ("fee", "paid fee", "납부회비", "会费", "會費")),
    ), key=("customer_id", "program_id", "enrolled_at"),
        references=(("customer_id", "customers", "customer_id"), ("program_id", "loyalty_programs", "program_id"))),
    Kind("loyalty_costs", "loyalty_costs", (
        Column("program_id", "id", True, ("program", "프로그램", "计划编号", "計劃編號")),
        Column("date", "date", True, ("cost date", "비용일자", "일자", "日期", "费用日期", "費用日期")),
        Column("amount", "money", True, ("cost", "금액", "비용", "金额", "金額", "费用", "費用")),
        Column("cost_type", "enum", False, ("type", "비용유형", "费用类型", "費用類型"),
               ("rewards", "operations", "marketing", "other")),
    ), key=(), references=(("program_id", "loyalty_programs", "program_id"),)),
    Kind("service_interactions", "service_interactions", (
        _CUSTOMER_ID,
        Column("opened_at", "timestamp", True, ("opened", "created", "date", "접수일시", "접수일", "受理时间", "受理時間",
                                                "创建时间", "建立時間")),
        Column("type", "text", False, ("category", "유형", "类型", "類型")),
        Column("resolved_at", "timestamp", False, ("resolved", "closed", "처리일시", "완료일시", "解决时间", "解決時間")),
        Column("first_response_at", "timestamp", False, ("first response", "first reply", "responded at", "first answer",
                                                         "최초응답일시", "첫응답일시", "首次响应时间", "首次回應時間")),
        Column("channel", "text", False, ("채널", "渠道", "通路")),
        Column("satisfaction", "int", False, ("csat", "score", "만족도", "满意度", "滿意度")),
        Column("cost", "money", False, ("비용", "成本", "费用", "費用")),
    ), key=(), references=(("customer_id", "customers", "customer_id"),)),
)}

#: Kinds whose rows update stored ones by their key (the others only add rows).
UPSERT_KEYS: dict[str, str] = {"customers": "customer_id", "customer_managers": "customer_id",
                               "loyalty_programs": "program_id", "products": "product_id",
                               "account_managers": "manager_id", "campaigns": "campaign_id"}
#: Reference lists other data point to: a load of them cannot be rolled back.
NO_ROLLBACK: tuple[str, ...] = ("loyalty_programs", "products", "account_managers", "campaigns")
#: Kinds that write into customers: each load records what it did per customer (rollback).
CUSTOMER_UPDATES: tuple[str, ...] = ("customers", "customer_managers")
#: Yes / no cells (lower case): a control flag, a response. Anything else is invalid.
TRUE_WORDS: tuple[str, ...] = ("true", "t", "yes", "y", "1", "control", "holdout", "예", "네", "o", "是", "對", "对", "有")
FALSE_WORDS: tuple[str, ...] = ("false", "f", "no", "n", "0", "treatment", "test", "contacted", "아니오", "아니요",
                                "x", "否", "不", "無", "无")

#: Words for churn reasons in English, Korean and Chinese (simplified and traditional).
REASON_WORDS: dict[str, str] = {
    **{r: r for r in ("price", "product", "service", "market", "technology", "social", "other")},
    "pricing": "price", "cost": "price", "too expensive": "price", "moved": "market", "relocation": "market",
    "tech": "technology", "substitute": "technology", "political": "social", "ethics": "social",
    "가격": "price", "비용": "price", "제품": "product", "상품": "product", "품질": "product", "서비스": "service",
    "불친절": "service", "시장": "market", "이사": "market", "이전": "market", "기술": "technology", "사회": "social",
    "정치": "social", "기타": "other",
    "价格": "price", "價格": "price", "产品": "product", "產品": "product", "服务": "service", "服務": "service",
    "市场": "market", "市場": "market", "搬迁": "market", "搬遷": "market", "技术": "technology", "技術": "technology",
    "社会": "social", "社會": "social", "政治": "social", "其他": "other", "其它": "other",
}


def normalise_header(text: str) -> str:
    """Case-, width- and spacing-insensitive form of a header (full-width letters folded;
    camelCase split: ``InvoiceNo`` -> ``invoice no``, ``CustomerID`` -> ``customer id``)."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lstrip("\ufeff")
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).lower()
    return re.sub(r"[\s_\-./()#:]+", " ", text).strip()


def propose_mapping(kind: Kind, headers: list[str]) -> dict[str, str | None]:
    """Source header -> canonical column (None: an extra column, kept aside). A canonical
    name matches first, then synonyms; each canonical column is taken at most once."""
    lookup: dict[str, str] = {}
    for col in kind.columns:
        for word in (col.name, col.name.replace("_", " "), *col.synonyms):
            lookup.setdefault(normalise_header(word), col.name)
    for key, target in list(lookup.items()):   # "invoiceno", "customerid": the words run together
        lookup.setdefault(key.replace(" ", ""), target)
    out: dict[str, str | None] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for h in headers:
            if h in out and out[h] is not None:
                continue
            norm = normalise_header(h)
            target = lookup.get(norm)
            if target is None and not exact:
                target = lookup.get(norm.replace(" ", ""))
            if target is not None and target not in taken and (exact == (norm in lookup)):
                out[h] = target
                taken.add(target)
            else:
                out.setdefault(h, None)
    return out


_EXAMPLES: dict[str, str] = {
    "id": "C0001", "text": "", "date": "2024-03-05", "timestamp": "2024-03-05 14:30", "money": "129.90",
    "int": "2", "reason": "price", "enum": "",
}
_EXAMPLE_BY_NAME: dict[str, str] = {
    "customer_id": "C0001", "transaction_id": "T000001", "order_id": "100234", "program_id": "PTS",
    "name": "Points Plus", "kind": "points", "cost_type": "rewards", "email": "kim@example.com",
    "region": "Seoul", "country": "KR", "customer_type": "consumer", "satisfaction": "4", "type": "complaint",
    "channel": "online", "product_id": "SKU-17", "product_category": "Books", "currency": "KRW",
    "reason_detail": "found a cheaper offer", "tier": "Gold", "quantity": "2", "unit_price": "64.95",
    "phone": "+82-10-1234-5678", "address": "1 Sejong-daero", "city": "Seoul", "industry": "retail",
    "acquisition_channel": "search", "account_manager": "AM01", "store_id": "S01", "discount": "0",
    "left_at": "2024-12-31", "end_date": "2026-12-31", "resolved_at": "2024-03-06 09:00", "first_response_at": "2024-03-05 15:10", "annual_fee": "49",
    "fee_paid": "49", "manager_id": "AM01", "category": "Books", "unit_cost": "38.00",
    "campaign_id": "CMP01", "start_date": "2024-03-01", "contacted_at": "2024-03-05", "is_control": "false",
    "responded": "true", "response_date": "2024-03-09", "annual_cost": "85000",
}
_EXAMPLE_BY_KIND: dict[tuple[str, str], str] = {
    ("customers", "name"): "Kim Min-jun", ("transactions", "cost"): "80.00", ("service_interactions", "cost"): "12.50",
    ("loyalty_costs", "amount"): "1500.00", ("account_managers", "name"): "Park Ji-min",
    ("products", "name"): "Korean cookbook", ("campaigns", "name"): "Spring welcome", ("campaigns", "kind"): "acquisition",
    ("campaigns", "cost"): "1200.00", ("products", "unit_price"): "64.95", ("campaigns", "channel"): "email",
}


def template_rows(kind: str) -> tuple[list[str], list[str], list[str]]:
    """A template for ``kind``: (every column, the required ones, one example row). The
    example fills every column, so a template loads as it is."""
    spec = KINDS[kind]
    cols = [c.name for c in spec.columns]
    example = [_EXAMPLE_BY_KIND.get((kind, c.name)) or _EXAMPLE_BY_NAME.get(c.name)
               or (c.choices[0] if c.choices else _EXAMPLES[c.type]) or c.name for c in spec.columns]
    return cols, list(spec.required), example
