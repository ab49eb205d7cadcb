# ruff: noqa: E501  (the scenario texts below are prose written into TOML, one line each)
"""Writes the two catalogue scenarios from one product catalogue:

    .venv/bin/python scenarios/catalogue/build.py

- ``scenarios/product-selection.toml``: the selection challenge (34 products, US, EU, UK,
  Japan, at most 5 listings per market), with the certificates each market asks of
  electronics and toys (CE, WEEE, GPSR and packaging in the EU, FCC and CPC in the US, UKCA,
  PSE);
- ``scenarios/factory-to-shelf.toml``: the same catalogue in the US and the EU through the
  peak season, where supplier lead times and deposits decide who has stock in December.

Markets are copied from ``us-2026.toml`` (US, EU), ``europe-2026.toml`` (UK) and
``mexico-japan-2026.toml`` (Japan) with their sources. Every number of the catalogue cites
docs/sources.md ([K#] keys: catalogue and sourcing; [T6], [S#]) or says ``Est.`` and why.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBRARY = HERE.parent

CATEGORIES = {
    # id: (name, name_zh)
    "electronics": ("Electronics", "电子产品"),
    "home": ("Home", "家居"),
    "kitchen": ("Kitchen", "厨房用品"),
    "toys": ("Toys", "玩具"),
    "pet": ("Pet supplies", "宠物用品"),
    "apparel": ("Apparel", "服装"),
    "beauty": ("Beauty", "美妆个护"),
    "sports": ("Sports and outdoor", "运动户外"),
}

# Relative online demand of one typical product of the category (1 = the catalogue's
# average): category shares of online sales [K4] spread over its many products (Est.).
CATEGORY_DEMAND = {
    "electronics": 1.3,
    "home": 0.9,
    "kitchen": 0.8,
    "toys": 0.8,
    "pet": 0.8,
    "apparel": 1.2,
    "beauty": 0.9,
    "sports": 0.8,
}

# Market tilt per category (Est.): Japan buys more electronics and less apparel online
# [S10]; fashion leads European online sales [S6]; the US pet market is the largest [K4].
MARKET_TILT = {
    ("JP", "electronics"): 1.3,
    ("JP", "apparel"): 0.7,
    ("EU", "apparel"): 1.2,
    ("UK", "apparel"): 1.2,
    ("US", "pet"): 1.2,
    ("JP", "pet"): 0.8,
}

RETURNS = {
    # category: (return rate, source)
    "electronics": (0.10, "electronics 8-15 % [S100]"),
    "home": (0.08, "home 5-20 % [S100]"),
    "kitchen": (0.06, "Est.: home goods 5-20 % [S100], sturdy items at the low end"),
    "toys": (0.15, "[T6]"),
    "pet": (0.06, "[T6]"),
    "apparel": (0.30, "apparel 25-40 % [S100][T6]"),
    "beauty": (0.08, "beauty 5-12 % [S100]"),
    "sports": (0.07, "Est.: between home and beauty [S100]"),
}

TOYS_Q4 = [0.8, 0.7, 0.8, 0.8, 0.85, 0.85, 0.9, 0.9, 0.95, 1.1, 1.6, 2.5]
WINTER = [1.4, 1.1, 0.8, 0.6, 0.5, 0.4, 0.4, 0.5, 0.8, 1.2, 1.6, 1.8]
SUMMER = [0.6, 0.6, 0.8, 1.0, 1.3, 1.6, 1.7, 1.4, 1.0, 0.7, 0.6, 0.6]
GIFTS = [0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.3, 1.6]
SEASON_SOURCE = {
    "toys": "toys: Q4 demand x2.5 [T6]",
    "winter": "Est.: cold-weather item, peaks Nov-Jan [S104]",
    "summer": "Est.: outdoor season May-Aug [T6]",
    "gifts": "Est.: a holiday gift, Nov-Dec peak [S104]",
}
SEASONS = {"toys": TOYS_Q4, "winter": WINTER, "summer": SUMMER, "gifts": GIFTS}

# id, name, name_zh, category, unit cost CNY, kg, litres, price USD, niche factor, season
PRODUCTS = [
    (
        "earbuds",
        "Wireless earbuds",
        "无线耳机",
        "electronics",
        45.0,
        0.15,
        0.5,
        29.99,
        1.2,
        "gifts",
    ),
    (
        "phone-stand",
        "Foldable phone stand",
        "折叠手机支架",
        "electronics",
        12.0,
        0.2,
        0.6,
        12.99,
        0.9,
        None,
    ),
    (
        "power-bank",
        "10,000 mAh power bank",
        "10000 毫安充电宝",
        "electronics",
        55.0,
        0.35,
        0.5,
        32.99,
        1.0,
        "gifts",
    ),
    (
        "smart-plug",
        "Wi-Fi smart plug",
        "Wi-Fi 智能插座",
        "electronics",
        28.0,
        0.15,
        0.4,
        19.99,
        0.7,
        None,
    ),
    (
        "led-strip",
        "RGB LED light strip",
        "RGB LED 灯带",
        "electronics",
        22.0,
        0.3,
        0.8,
        19.99,
        0.8,
        "gifts",
    ),
    ("usb-hub", "USB-C hub", "USB-C 扩展坞", "electronics", 35.0, 0.15, 0.3, 25.99, 0.7, None),
    ("desk-lamp", "LED desk lamp", "LED 台灯", "home", 38.0, 0.9, 4.0, 27.99, 0.9, None),
    (
        "storage-bins",
        "Fabric storage bins (set of 3)",
        "布艺收纳箱（3 个装）",
        "home",
        20.0,
        0.6,
        6.0,
        17.99,
        1.0,
        None,
    ),
    (
        "blackout-curtains",
        "Blackout curtains",
        "遮光窗帘",
        "home",
        45.0,
        1.2,
        3.0,
        29.99,
        0.8,
        None,
    ),
    (
        "pillow-covers",
        "Throw pillow covers (set of 4)",
        "抱枕套（4 个装）",
        "home",
        8.0,
        0.2,
        1.0,
        12.99,
        1.1,
        None,
    ),
    ("wall-clock", "Silent wall clock", "静音挂钟", "home", 25.0, 0.6, 3.0, 22.99, 0.6, None),
    (
        "spatula-set",
        "Silicone spatula set",
        "硅胶铲套装",
        "kitchen",
        14.0,
        0.3,
        1.0,
        13.99,
        1.0,
        None,
    ),
    (
        "coffee-grinder",
        "Manual coffee grinder",
        "手摇咖啡磨",
        "kitchen",
        60.0,
        0.6,
        1.5,
        34.99,
        0.7,
        "gifts",
    ),
    (
        "bento-box",
        "Leak-proof bento box",
        "防漏便当盒",
        "kitchen",
        18.0,
        0.4,
        2.0,
        19.99,
        0.9,
        None,
    ),
    ("knife-sharpener", "Knife sharpener", "磨刀器", "kitchen", 10.0, 0.2, 0.4, 11.99, 0.8, None),
    (
        "building-blocks",
        "Building blocks set",
        "积木玩具",
        "toys",
        30.0,
        0.5,
        2.0,
        24.99,
        1.1,
        "toys",
    ),
    ("rc-car", "Remote-control car", "遥控车", "toys", 65.0, 0.8, 4.0, 39.99, 0.9, "toys"),
    ("plush-toy", "Plush toy", "毛绒玩具", "toys", 15.0, 0.3, 3.0, 15.99, 1.0, "toys"),
    (
        "jigsaw-puzzle",
        "1,000-piece jigsaw puzzle",
        "1000 片拼图",
        "toys",
        20.0,
        0.7,
        2.0,
        17.99,
        0.7,
        "toys",
    ),
    (
        "dog-leash",
        "Reflective dog leash",
        "反光宠物牵引绳",
        "pet",
        15.0,
        0.2,
        0.5,
        14.99,
        1.0,
        None,
    ),
    ("cat-tree", "Cat tree", "猫爬架", "pet", 95.0, 5.0, 40.0, 59.99, 0.7, None),
    ("pet-bed", "Orthopaedic pet bed", "宠物护脊床", "pet", 40.0, 1.0, 15.0, 32.99, 0.9, "winter"),
    ("chew-toy", "Rubber chew toy", "橡胶磨牙玩具", "pet", 6.0, 0.15, 0.4, 9.99, 1.1, None),
    ("yoga-leggings", "Yoga leggings", "瑜伽裤", "apparel", 25.0, 0.25, 0.5, 22.99, 1.2, None),
    (
        "rain-jacket",
        "Packable rain jacket",
        "便携雨衣",
        "apparel",
        55.0,
        0.5,
        1.5,
        39.99,
        0.7,
        None,
    ),
    ("knit-beanie", "Knit beanie", "针织帽", "apparel", 8.0, 0.1, 0.4, 12.99, 0.9, "winter"),
    (
        "running-socks",
        "Running socks (3 pairs)",
        "跑步袜（3 双装）",
        "apparel",
        10.0,
        0.15,
        0.3,
        13.99,
        1.0,
        None,
    ),
    (
        "makeup-brushes",
        "Makeup brush set",
        "化妆刷套装",
        "beauty",
        16.0,
        0.25,
        0.8,
        15.99,
        1.1,
        "gifts",
    ),
    (
        "hair-clips",
        "Claw hair clips (set of 6)",
        "抓夹（6 个装）",
        "beauty",
        5.0,
        0.1,
        0.2,
        9.99,
        1.0,
        None,
    ),
    (
        "facial-roller",
        "Jade facial roller",
        "玉石美容滚轮",
        "beauty",
        12.0,
        0.2,
        0.4,
        14.99,
        0.8,
        None,
    ),
    (
        "resistance-bands",
        "Resistance bands set",
        "弹力带套装",
        "sports",
        12.0,
        0.35,
        0.6,
        16.99,
        1.0,
        None,
    ),
    (
        "camping-lantern",
        "Rechargeable camping lantern",
        "充电露营灯",
        "sports",
        35.0,
        0.4,
        1.2,
        24.99,
        0.8,
        "summer",
    ),
    (
        "water-bottle",
        "Insulated water bottle",
        "保温运动水壶",
        "sports",
        20.0,
        0.35,
        1.0,
        19.99,
        1.1,
        "summer",
    ),
    ("yoga-mat", "Yoga mat", "瑜伽垫", "sports", 35.0, 1.2, 8.0, 24.99, 0.9, None),
]

CITIES = {
    # category: (trading hub, factory town, budget town, premium town), with Chinese names
    "electronics": (
        ("Shenzhen", "深圳"),
        ("Dongguan", "东莞"),
        ("Huizhou", "惠州"),
        ("Suzhou", "苏州"),
    ),
    "home": (("Yiwu", "义乌"), ("Ningbo", "宁波"), ("Foshan", "佛山"), ("Hangzhou", "杭州")),
    "kitchen": (("Yiwu", "义乌"), ("Yangjiang", "阳江"), ("Chaozhou", "潮州"), ("Jieyang", "揭阳")),
    "toys": (("Yiwu", "义乌"), ("Shantou", "汕头"), ("Chenghai", "澄海"), ("Dongguan", "东莞")),
    "pet": (("Yiwu", "义乌"), ("Ningbo", "宁波"), ("Nantong", "南通"), ("Hangzhou", "杭州")),
    "apparel": (("Guangzhou", "广州"), ("Quanzhou", "泉州"), ("Zhili", "织里"), ("Ningbo", "宁波")),
    "beauty": (("Yiwu", "义乌"), ("Guangzhou", "广州"), ("Wuyi", "武义"), ("Shanghai", "上海")),
    "sports": (("Yiwu", "义乌"), ("Xiamen", "厦门"), ("Jinhua", "金华"), ("Ningbo", "宁波")),
}

# Supplier archetypes (cost multipliers apply to the product's unit cost):
# (suffix, suffix_zh, lead days, tiers [(min units, cost x)], quality, defects, deposit, sample CNY)
ARCHETYPES = [
    (
        "Trading Co.",
        "贸易公司",
        10,
        [(100, 1.15), (500, 1.08)],
        (0.45, 0.65),
        (0.02, 0.06),
        1.0,
        150.0,
    ),
    ("Factory", "工厂", 30, [(500, 1.0), (2000, 0.9)], (0.5, 0.8), (0.01, 0.04), 0.3, 300.0),
    (
        "Budget Works",
        "经济型工厂",
        40,
        [(1000, 0.85), (5000, 0.78)],
        (0.25, 0.6),
        (0.03, 0.1),
        0.3,
        200.0,
    ),
    (
        "Premium OEM",
        "高端代工厂",
        35,
        [(300, 1.3), (1500, 1.2)],
        (0.7, 0.9),
        (0.005, 0.02),
        0.5,
        500.0,
    ),
]
ARCHETYPE_SOURCES = [
    {
        "lead": "Est.: a trading company ships from stock in 1-2 weeks [K2]",
        "tiers": "Est.: small orders at a mark-up over the factory price [K5]",
        "quality": "Est.: unknown factories behind a trader [K3]",
        "defects": "Est.: around the AQL 2.5 % major-defect limit [K3]",
        "deposit": "full payment up front for cheap stock items [K1]",
        "sample": "sample fees $50-200 plus express [K5]",
    },
    {
        "lead": "mass production about 30 days after the deposit [K2]",
        "tiers": "Est.: the factory's list price, a price break at 2,000 [K5]",
        "quality": "Est.: an established factory [K3]",
        "defects": "Est.: within AQL 2.5 % major defects [K3]",
        "deposit": "30 % deposit, 70 % balance when finished [K1]",
        "sample": "sample fees $50-200 plus express [K5]",
    },
    {
        "lead": "Est.: a busy budget line, 4-8 weeks of production [K2]",
        "tiers": "Est.: the lowest prices for large runs [K5]",
        "quality": "Est.: wide spread of quality, unknown before a sample [K3]",
        "defects": "Est.: often above the AQL 2.5 % limit [K3]",
        "deposit": "30 % deposit, 70 % balance when finished [K1]",
        "sample": "sample fees $50-200 plus express [K5]",
    },
    {
        "lead": "Est.: 4-8 weeks with stricter checks [K2]",
        "tiers": "Est.: a brand-grade OEM charges 20-30 % more [K5]",
        "quality": "Est.: audited OEM for known brands [K3]",
        "defects": "Est.: AQL 0.65-1.0 buyers [K3]",
        "deposit": "50/50 terms on a new buyer's first orders [K1]",
        "sample": "Est.: a brand-grade pre-production sample [K5]",
    },
]


def fmt(value: float) -> str:
    text = f"{value:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def line(key: str, value: str, comment: str, width: int = 32) -> str:
    left = f"{key} = {value}"
    return f"{left:<{width}}# {comment}\n" if len(left) < width else f"{left} # {comment}\n"


def demand_ranges(category: str, niche: float, markets: list[str]) -> str:
    out = "\n[products.demand_range]\n"
    for code in markets:
        centre = CATEGORY_DEMAND[category] * niche * MARKET_TILT.get((code, category), 1.0)
        low, high = round(centre / 2, 2), round(centre * 2, 2)
        out += line(
            code,
            f"[{fmt(low)}, {fmt(high)}]",
            "Est.: category share of online sales [K4] x the product's niche, x2 either "
            "way: drawn per game, known only through research",
        )
    return out


def suppliers(index: int, pid: str, category: str, cost: float) -> str:
    count = 2 + index % 3  # 2, 3 or 4 suppliers
    kinds = [1, 2, 0, 3][:count] if count < 4 else [1, 2, 0, 3]
    out = ""
    for k in kinds:
        suffix, suffix_zh, lead, tiers, quality, defects, deposit, sample = ARCHETYPES[k]
        src = ARCHETYPE_SOURCES[k]
        (city, city_zh) = CITIES[category][k]
        lead_days = lead + (index * 7 + k * 3) % 9 - 4  # +-4 days so products differ (Est.)
        out += "\n[[products.suppliers]]\n"
        out += f'id = "{city.lower()}-{suffix.split()[0].lower()}"\n'
        out += f'name = "{city} {suffix}"\n'
        out += f'name_zh = "{city_zh}{suffix_zh}"\n'
        out += line("lead_days", str(lead_days), src["lead"])
        out += line("quality_range", f"[{fmt(quality[0])}, {fmt(quality[1])}]", src["quality"])
        out += line("defect_rate_range", f"[{fmt(defects[0])}, {fmt(defects[1])}]", src["defects"])
        out += line("deposit_share", fmt(deposit), src["deposit"])
        out += line("sample_cost_cny", fmt(sample), src["sample"])
        for min_units, factor in tiers:
            out += "\n[[products.suppliers.tiers]]\n"
            out += line("min_units", str(min_units), src["tiers"])
            out += line("unit_cost_cny", fmt(round(cost * factor, 1)), src["tiers"])
    return out


def products(markets: list[str]) -> str:
    out = ""
    for i, (pid, name, name_zh, cat, cost, kg, litres, usd, niche, season) in enumerate(PRODUCTS):
        rate, rate_src = RETURNS[cat]
        out += "\n[[products]]\n"
        out += f'id = "{pid}"\nname = "{name}"\nname_zh = "{name_zh}"\ncategory = "{cat}"\n'
        out += line("unit_cost_cny", fmt(cost), "Est.: 20-35 % of the price [T5][T6]")
        out += line("weight_kg", fmt(kg), "Est.: packed weight of a typical listing [T6]")
        out += line("volume_l", fmt(litres), "Est.: packed volume of a typical listing")
        out += line("base_quality", "0.5", "Est.: a typical unbranded product")
        out += line("return_rate", fmt(rate), rate_src)
        out += line("reference_price_usd", fmt(usd), "Est.: typical Amazon US price band [T6]")
        if season is not None:
            values = ", ".join(fmt(v) for v in SEASONS[season])
            out += f"seasonality = [{values}] # {SEASON_SOURCE[season]}\n"
        out += demand_ranges(cat, niche, markets)
        out += suppliers(i, pid, cat, cost)
    return out


def market_block(path: str, code: str) -> str:
    text = (LIBRARY / path).read_text(encoding="utf-8")
    start = text.index(f'[[markets]]\ncode = "{code}"')
    ends = [
        k
        for k in (text.find("\n[[markets]]", start + 5), text.find("\n[[products]]", start + 5))
        if k != -1
    ]
    return text[start : min(ends)].rstrip() + "\n\n"


MARKET_FILES = {
    "US": "us-2026.toml",
    "EU": "us-2026.toml",
    "UK": "europe-2026.toml",
    "JP": "mexico-japan-2026.toml",
}

TARIFFS = {
    # (market, category): (rate, comment)
    ("US", "*"): (0.10, "Section 122 surcharge 10 % from 24 Feb 2026 [F4]"),
    ("US", "electronics"): (0.075, "MFN ~0 (IT Agreement) + Section 301 List 4A 7.5 % [S66][T2]"),
    ("US", "home"): (0.128, "plastic home goods 3926: MFN 5.3 % + Section 301 7.5 % [S65][S66]"),
    ("US", "kitchen"): (0.128, "Est.: as plastic home goods [S65][S66]"),
    ("US", "toys"): (0.0, "MFN free, List 4B suspended [S66][S67]"),
    ("US", "pet"): (0.274, "leash 4201.00.30: MFN 2.4 % + Section 301 25 % [S65]"),
    ("US", "apparel"): (0.221, "6217.90.90: MFN 14.6 % + Section 301 7.5 % [S65]"),
    ("US", "beauty"): (0.075, "Est.: MFN ~0 + Section 301 List 4A 7.5 % [S66]"),
    ("US", "sports"): (0.10, "Est.: MFN ~2.5 % + Section 301 7.5 % [S66]"),
    ("EU", "electronics"): (0.01, "[T6] (0-2.4 % [S66])"),
    ("EU", "home"): (0.065, "plastic home goods 6.5 % [S66]"),
    ("EU", "kitchen"): (0.065, "Est.: as plastic home goods [S66]"),
    ("EU", "toys"): (0.047, "~4.5-4.7 % [S68]"),
    ("EU", "pet"): (0.03, "Est. ~3 % [S65]"),
    ("EU", "apparel"): (0.12, "apparel 12 % [S66]"),
    ("EU", "beauty"): (0.02, "Est.: low duty on brushes and accessories [S66]"),
    ("EU", "sports"): (0.027, "Est.: sports equipment ~2.7 % [S66]"),
}


def tariffs(markets: list[str]) -> str:
    out = ""
    for code in markets:
        source = "EU" if code in ("EU", "UK") else code
        for (market, cat), (rate, comment) in TARIFFS.items():
            if market != source:
                continue
            note = comment if code == market else f"Est.: as the EU; {comment}"
            out += f'\n[[tariffs]]\nmarket = "{code}"\ncategory = "{cat}"\n'
            out += line("rate", fmt(rate), note)
        if code == "JP":
            out += '\n[[tariffs]]\nmarket = "JP"\ncategory = "*"\n'
            out += line(
                "rate", "0.03", "Est.: Japan's duties on most consumer goods are 0-5 % [S10]"
            )
    return out


def categories() -> str:
    out = "\n[categories]\n"
    for cid, (name, name_zh) in CATEGORIES.items():
        out += f'{cid} = {{ name = "{name}", name_zh = "{name_zh}" }}\n'
    return out


RESEARCH = """
[research]
min_budget_cny = 1000.0         # Est.: the smallest study a data vendor sells [K6]
reference_budget_cny = 5000.0   # Est.: a month of a keyword and sales-estimate tool [K6]
noise_sd = 0.5                  # Est.: tool estimates off by about half either way [K6]
"""

BOTS = """
[bots]
strategies = ["cost_plus", "discounter", "premium"]
count = 3
"""


def listing_caps(markets: list[str], cap: int) -> str:
    out = ""
    for code in markets:
        out += f"""
[[events]]
kind = "market_rule"
id = "listing-cap-{code.lower()}"
round = 1
headline = "{code}: a new seller may list {cap} products"
headline_zh = "{code}：新卖家最多上架 {cap} 种商品"
body = "The marketplace limits new seller accounts to {cap} live products in this market until they have a sales history. Choose them with care."
body_zh = "平台规定新卖家账户在该市场最多同时上架 {cap} 种商品，直到积累销售记录为止。请谨慎选择。"
market = "{code}"
{line("listing_cap", str(cap), "Est.: new-seller listing limits on marketplaces [K6]")}"""
    return out


SELECTION_HEAD = '''# Choosing what to sell: a 34-product catalogue in four markets (written by
# scenarios/catalogue/build.py; edit that file, not this one).
# Every number cites docs/sources.md by its key ([K#] catalogue and sourcing, [S#], [F#],
# [T#]) or says "Est." with the reason.

[meta]
id = "product-selection"
title = "Choosing what to sell: the product-selection challenge"
title_zh = "选品挑战：从 34 种商品中做出选择"
description = """A catalogue of 34 products in eight categories, four markets (the US, the EU, the UK and Japan) and a limit of five live listings per market. How many shoppers each product has in each market is drawn anew for every game from wide ranges, so last term's winners are no guide: teams buy market studies (their noise falls with the money spent), sample suppliers to learn their true quality and defect rate, and choose which products to list where. Suppliers differ in price tiers and minimum order quantities, production lead times and payment terms (deposit on order, balance on delivery). Studies also show the demand nobody served after each round. Each market also asks for its own certificates (CE, WEEE/EPR and an EU responsible person in the EU, the EU packaging rules from August 2026, FCC and the Children's Product Certificate in the US, UKCA in the UK, PSE in Japan): electronics and toys cost more to sell than they seem, and a listing without its certificate may be found, delisted and its stock destroyed."""
description_zh = """目录中有 8 个品类共 34 种商品，4 个市场（美国、欧盟、英国、日本），每个市场最多同时上架 5 种商品。每种商品在各市场的顾客人数在每局游戏中都从很宽的范围内重新抽取，上一届的爆款不能照搬：各队购买市场调研（花钱越多噪声越小），向供应商订购样品以了解其真实质量和次品率，并决定在哪里上架哪些商品。供应商的阶梯价格和最小起订量、生产周期、付款条件（下单付定金、交货付尾款）各不相同。每轮结束后，调研还会显示无人满足的需求。每个市场还要求各自的认证（欧盟的 CE、WEEE/EPR 和欧盟负责人，2026 年 8 月起的欧盟包装规则，美国的 FCC 和儿童产品证书，英国的 UKCA，日本的 PSE）：电子产品和玩具的实际销售成本比看上去高，缺少认证的 Listing 可能被查到、下架，库存被销毁。"""
briefing = """It is April 2026. Your team has 800,000 CNY and a seller account in four markets. The catalogue lists 34 products; you may keep at most five live in each market. Nobody knows yet which products sell where: buy studies before you commit, order samples before you trust a supplier, and mind minimum order quantities and production lead times. Count the certificates in: the decision page lists what each market asks of each category, what it costs and how long it takes."""
briefing_zh = """现在是 2026 年 4 月。你的团队有 80 万元资金和四个市场的卖家账户。目录中有 34 种商品，每个市场最多同时上架 5 种。没有人知道哪些商品在哪里好卖：下决心之前先买调研，信任供应商之前先订样品，并留意最小起订量和生产周期。别忘了认证成本：决策页列出了每个市场对各品类的认证要求、费用和办理时间。"""
author = "SimShop library"

[calendar]
rounds = 8
days_per_round = 30
practice_rounds = 0
start_month = 4                 # Est.: April 2026, after the US tariff ruling [F4]

[economy]
starting_cash_cny = 800000.0    # Est.: a small cross-border seller's working capital
credit_line_cny = 300000.0      # Est.: a bank line of about 40 % of equity
interest_rate_per_round = 0.01  # Est.: ~12 % a year for a small exporter's loan
china_storage_cny_per_unit_round = 0.2  # Est.: domestic warehouse space is cheap

'''

FACTORY_HEAD = '''# From factory to shelf: the 34-product catalogue in the US and the EU through the peak
# season (written by scenarios/catalogue/build.py; edit that file, not this one).
# Every number cites docs/sources.md by its key ([K#] catalogue and sourcing, [S#], [F#],
# [T#]) or says "Est." with the reason.

[meta]
id = "factory-to-shelf"
title = "From factory to shelf: sourcing for the peak season"
title_zh = "从工厂到货架：为旺季备货"
description = """The 34-product catalogue in the US and the EU from August to January. Demand for each product is drawn anew for every game; toys and gifts peak in November and December. Suppliers need 1 to 6 weeks to make an order, take a deposit when ordering and the balance on delivery, and hide their true quality and defect rate until sampled. Stock that is not in the China warehouse by the start of a month misses that month's ships: teams that order late sell out in December. Six live listings per market."""
description_zh = """34 种商品的目录，美国和欧盟两个市场，从 8 月到次年 1 月。每局游戏中每种商品的需求都重新抽取；玩具和礼品在 11、12 月达到高峰。供应商生产需要 1 到 6 周，下单收定金、交货收尾款，在订样品之前不透露真实质量和次品率。月初前没有进入中国仓库的货物赶不上当月的船期：下单晚的队伍会在 12 月断货。每个市场最多上架 6 种商品。"""
briefing = """It is August 2025. Your team sells in the US and the EU and has a catalogue of 34 products to choose from, six live listings per market. The peak season is four months away, and factories need weeks to make an order. Research the markets, sample the suppliers you are unsure of, and order early enough."""
briefing_zh = """现在是 2025 年 8 月。你的团队在美国和欧盟销售，可从 34 种商品中选择，每个市场最多上架 6 种。距离旺季还有四个月，工厂生产需要数周。请调研市场、对没把握的供应商先订样品，并及早下单。"""
author = "SimShop library"

[calendar]
rounds = 6
days_per_round = 30
practice_rounds = 0
start_month = 8                 # Est.: August, four months before the peak [S104]

[economy]
starting_cash_cny = 600000.0    # Est.: a small cross-border seller's working capital
credit_line_cny = 300000.0      # Est.: a bank line of about half of equity
interest_rate_per_round = 0.01  # Est.: ~12 % a year for a small exporter's loan
china_storage_cny_per_unit_round = 0.2  # Est.: domestic warehouse space is cheap

'''


# Certificates per market and category (product-selection only): the rules in force in April
# 2026 for the catalogue's categories, with the costs and chances of eu-compliance-2025.toml.
# (market, id, name, name_zh, categories, cost, rounds, yearly fee, detection, fine, start
# round, source of the rule)
REQUIREMENTS = [
    (
        "EU",
        "eu-ce",
        "CE marking and declaration of conformity",
        "CE 认证与符合性声明",
        ["electronics", "toys"],
        18000.0,
        1,
        2400.0,
        0.08,
        20000.0,
        1,
        "radio equipment, EMC, low voltage; toy safety [C5]",
    ),
    (
        "EU",
        "eu-weee",
        "WEEE/EPR producer registration",
        "WEEE/EPR 生产者注册",
        ["electronics"],
        6000.0,
        1,
        4800.0,
        0.1,
        0.0,
        1,
        "electrical and electronic equipment [C4]; Amazon suspends EPR-non-compliant items [F19]",
    ),
    (
        "EU",
        "eu-gpsr",
        "GPSR responsible person in the EU",
        "GPSR 欧盟负责人",
        ["*"],
        4000.0,
        1,
        6000.0,
        0.15,
        0.0,
        1,
        "every consumer product sold online since 13 Dec 2024 [C1][F19]",
    ),
    (
        "EU",
        "eu-packaging",
        "EU packaging compliance (PPWR)",
        "欧盟包装合规（PPWR）",
        ["*"],
        5000.0,
        1,
        3000.0,
        0.1,
        0.0,
        5,
        "all packaging from 12 Aug 2026 = round 5 [C3][F19]",
    ),
    (
        "US",
        "us-fcc",
        "FCC equipment authorization",
        "FCC 认证",
        ["electronics"],
        25000.0,
        2,
        0.0,
        0.06,
        15000.0,
        1,
        "radio devices (Bluetooth, Wi-Fi) [C7]",
    ),
    (
        "US",
        "us-cpc",
        "Children's Product Certificate (CPC)",
        "儿童产品证书（CPC）",
        ["toys"],
        8000.0,
        1,
        3600.0,
        0.12,
        10000.0,
        1,
        "toys for children 12 and under [C6]",
    ),
    (
        "UK",
        "uk-ukca",
        "UKCA marking",
        "UKCA 认证",
        ["electronics", "toys"],
        9000.0,
        1,
        1200.0,
        0.06,
        10000.0,
        1,
        "UKCA or CE for electronics and toys in Great Britain [C8]",
    ),
    (
        "JP",
        "jp-pse",
        "PSE mark",
        "PSE 认证",
        ["electronics"],
        12000.0,
        1,
        1200.0,
        0.1,
        8000.0,
        1,
        "electrical products [C9]",
    ),
]
REQUIREMENT_SOURCES = {
    "cost": "Est.: a small seller's outlay for tests, registration or a service (as eu-compliance-2025)",
    "rounds": "Est.: weeks of testing or registration",
    "fee": "Est.: yearly renewal, representative or scheme fees",
    "detection": "Est.: chance a live listing without it is found in a month",
    "fine": "Est.: a fine or marketplace penalty (0: delisting only)",
    "removal": "a removal or disposal order about $1 a unit [C10]",
}


def compliance(markets: list[str]) -> str:
    out = (
        "\n# ---------------------------------------------------------------------------- compliance\n"
        "# Category-level rules: every product of a covered category needs the certificate in\n"
        "# that market (the catalogue does not tell battery or radio products apart). A round\n"
        "# is a month: yearly fees are charged 1/12 a round.\n"
    )
    src = REQUIREMENT_SOURCES
    for (
        market,
        rid,
        name,
        name_zh,
        cats,
        cost,
        rounds,
        fee,
        detect,
        fine,
        start,
        why,
    ) in REQUIREMENTS:
        if market not in markets:
            continue
        out += f'\n[[compliance]]\nid = "{rid}"\nname = "{name}"\nname_zh = "{name_zh}"\n'
        out += f'market = "{market}"\n'
        out += line("categories", "[" + ", ".join(f'"{c}"' for c in cats) + "]", why)
        out += line("cost_cny", fmt(cost), src["cost"])
        out += line("rounds_to_obtain", str(rounds), src["rounds"])
        out += line("yearly_fee_cny", fmt(fee), src["fee"])
        out += line("detection_per_round", fmt(detect), src["detection"])
        out += line("fine_cny", fmt(fine), src["fine"])
        out += line("removal_cny_per_unit", "7.0", src["removal"])
        if start > 1:
            out += line("start_round", str(start), why)
    return out


def scenario(head: str, markets: list[str], cap: int, *, certificates: bool = False) -> str:
    text = head
    for code in markets:
        text += market_block(MARKET_FILES[code], code)
    text += (
        "# ---------------------------------------------------------------------------- catalogue\n"
    )
    text += products(markets)
    text += (
        "\n# ---------------------------------------------------------------------------- tariffs\n"
    )
    text += tariffs(markets)
    text += categories()
    if certificates:
        text += compliance(markets)
    text += RESEARCH
    text += BOTS
    text += (
        "\n# ---------------------------------------------------------------------------- events\n"
    )
    text += listing_caps(markets, cap)
    return text


def main() -> None:
    (LIBRARY / "product-selection.toml").write_text(
        scenario(SELECTION_HEAD, ["US", "EU", "UK", "JP"], 5, certificates=True),
        encoding="utf-8",
    )
    (LIBRARY / "factory-to-shelf.toml").write_text(
        scenario(FACTORY_HEAD, ["US", "EU"], 6), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
