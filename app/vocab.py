"""Controlled vocabularies shared by the schema, the importers and the API, each with its Chinese label."""

from __future__ import annotations

REGION_LEVELS = {
    "province": "省",
    "city": "市",
    "district": "区县",
    "street": "街道乡镇",
    "community": "社区村",
}

ORG_KINDS = {"committee": "党委", "general_branch": "党总支", "branch": "党支部"}

# Member categories counted per organization (member_counts keys).
MEMBER_CATEGORIES = {
    "full": "正式党员",
    "probationary": "预备党员",
    "retired": "离退休党员",
    "floating": "流动党员",
}

ZONE_LEVELS = {"community": "社区网格", "grid": "网格", "micro_grid": "微网格"}

SITE_CATEGORIES = {
    "former_site": "革命旧址",
    "memorial_hall": "纪念馆",
    "martyrs_cemetery": "烈士陵园",
    "former_residence": "名人故居",
    "monument": "纪念设施",
    "museum": "博物馆",
    "education_base": "教育基地",
}

SITE_LEVELS = {"national": "国家级", "provincial": "省级", "municipal": "市级", "county": "县级"}

# Reach by centre level follows the 15/10/5-minute life circles of GB 50180-2018.
CENTRE_LEVELS = {
    "district": "区县党群服务中心",
    "street": "街道党群服务中心",
    "community": "社区党群服务站",
    "station": "小区楼宇党群服务点",
}
CENTRE_DEFAULT_REACH_M = {"district": 1000, "street": 1000, "community": 500, "station": 300}

POI_CATEGORIES = {
    "food": "餐饮",
    "lodging": "住宿",
    "parking": "停车场",
    "shopping": "购物",
    "transit": "交通",
    "toilet": "公厕",
    "other": "其他",
}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def sql_in(values: dict | tuple) -> str:
    """Return the SQL list literal of our own vocabulary values, for CHECK constraints in migrations."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"
