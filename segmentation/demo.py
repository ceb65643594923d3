"""The embedded demo data set: synthetic, seeded transactions with planted customer groups.

The transactions follow the UCI "Online Retail" layout (``InvoiceNo, StockCode, Description,
Quantity, InvoiceDate, UnitPrice, CustomerID, Country``) and carry the same kinds of dirt as
the real export: guest orders without a customer id, exact duplicate rows, cancellations,
zero prices and non-product lines such as postage.  Every customer belongs to one of five
planted behaviour groups, so a segmentation of the demo has a known right answer.  Every
product is of one kind (:data:`KINDS`, named by its description's item words), each group
prefers one or two kinds (:data:`TASTES`), customers re-buy a few favourite products, and
an order leans to one kind, so product categories, tastes and recommendations have a known
right answer too.

Regenerate the three committed files with ``python -m segmentation.demo [DIR]``.
"""

from __future__ import annotations

import gzip
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.errors import DataError

_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: The committed demo transactions (gzip-compressed CSV, UTF-8).
DEMO_TRANSACTIONS: Path = _DATA_DIR / "demo_transactions.csv.gz"
#: The planted group of every demo customer (CSV with ``customer_id,group``).
DEMO_GROUPS: Path = _DATA_DIR / "demo_groups.csv"
#: The kind of every demo product (CSV with ``stock_code,description,kind``).
DEMO_PRODUCTS: Path = _DATA_DIR / "demo_products.csv"

_START = pd.Timestamp("2023-12-01")
_DAYS = 375  # 2023-12-01 to 2024-12-09, both included
_LAST = _DAYS - 1
_SATURDAY = 5
_OPEN, _CLOSE = 7 * 60, 20 * 60  # shop hours in minutes after midnight
_FIRST_CUSTOMER = 12346
_FIRST_INVOICE = 600001
_MIN_CUSTOMERS, _MAX_CUSTOMERS = 100, 40000

#: Relative order volume per calendar month: a Christmas peak from September to December.
_MONTH_WEIGHT = {
    1: 0.6,
    2: 0.65,
    3: 0.8,
    4: 0.75,
    5: 0.8,
    6: 0.8,
    7: 0.8,
    8: 0.85,
    9: 1.5,
    10: 1.8,
    11: 2.3,
    12: 1.6,
}

#: Countries other than the United Kingdom with their relative number of customers.
_ABROAD = {
    "Germany": 20,
    "France": 18,
    "EIRE": 8,
    "Spain": 6,
    "Belgium": 5,
    "Switzerland": 5,
    "Portugal": 4,
    "Netherlands": 3,
    "Italy": 3,
    "Finland": 2.5,
    "Austria": 2,
    "Norway": 2,
    "Australia": 2,
    "Denmark": 2,
    "Channel Islands": 2,
    "Sweden": 1.5,
    "Cyprus": 1.5,
    "Japan": 1.5,
    "Poland": 1.2,
    "USA": 1,
    "Unspecified": 1,
    "Israel": 1,
    "Greece": 1,
    "Canada": 0.8,
    "Iceland": 0.5,
    "Malta": 0.5,
    "Singapore": 0.5,
    "United Arab Emirates": 0.5,
    "European Community": 0.4,
    "RSA": 0.4,
    "Lithuania": 0.4,
    "Brazil": 0.3,
}
_UK = "United Kingdom"
_UK_SHARE = 0.85

_COLOURS = ("RED", "PINK", "BLUE", "WHITE", "IVORY", "GREEN", "BLACK", "CREAM", "LILAC", "GOLD")
_MOTIFS = (
    "HEART",
    "STAR",
    "SPOTTY",
    "FLORAL",
    "VINTAGE",
    "RETRO",
    "BIRD",
    "PAISLEY",
    "STRIPED",
    "GINGHAM",
    "CHRISTMAS",
    "ROSE",
    "OWL",
    "LACE",
    "POLKADOT",
    "WOODLAND",
    "BUTTERFLY",
    "REGENCY",
)
#: The kinds of product with their item types and each item's typical unit price in pounds.
#: An item's words name its kind alone; every kind holds cheap and dearer items.
_ITEMS: dict[str, dict[str, float]] = {
    "Candles and lights": {
        "T-LIGHT HOLDER": 1.25,
        "SCENTED CANDLE": 1.45,
        "LANTERN": 6.75,
        "FAIRY LIGHTS": 3.75,
    },
    "Bags and baskets": {
        "LUNCH BAG": 1.65,
        "JUMBO BAG": 1.95,
        "SHOPPER BAG": 1.65,
        "WASHBAG": 2.1,
        "PURSE": 0.85,
        "PICNIC HAMPER": 14.95,
        "WICKER BASKET": 5.95,
    },
    "Kitchen and baking": {
        "MUG": 1.25,
        "CAKE STAND": 9.95,
        "CERAMIC BOWL": 1.25,
        "BAKING SET": 4.95,
        "JAM JAR": 0.85,
        "STORAGE TIN": 2.95,
        "TEA TOWEL": 1.25,
    },
    "Party and Christmas": {
        "BUNTING": 2.95,
        "WREATH": 3.75,
        "HANGING DECORATION": 0.65,
        "PARTY CUPS": 0.65,
        "PAPER NAPKINS": 0.85,
        "ADVENT CALENDAR": 6.95,
    },
    "Home": {
        "DOORSTOP": 4.25,
        "DOOR MAT": 7.95,
        "CUSHION COVER": 3.75,
        "WALL CLOCK": 8.5,
        "PHOTO FRAME": 2.55,
        "HOT WATER BOTTLE": 4.95,
        "DRESSER CABINET": 24.95,
        "COAT HOOK": 1.45,
    },
    "Stationery and wrap": {
        "NOTEBOOK": 0.85,
        "GIFT WRAP": 0.42,
        "TRINKET BOX": 1.25,
        "GREETING CARD": 0.55,
        "SCRAPBOOK": 4.25,
    },
    "Toys and children": {
        "CHILDRENS APRON": 1.95,
        "SOFT TOY": 2.95,
        "SPINNING TOP": 0.85,
        "SKIPPING ROPE": 1.45,
        "DOLLS HOUSE": 19.95,
    },
}
#: The item types of every kind of product in the demo catalogue.
KINDS: dict[str, tuple[str, ...]] = {kind: tuple(items) for kind, items in _ITEMS.items()}
_DESIGNS = 300  # product designs; some come in several colours, one stock code each


@dataclass(frozen=True)
class _Group:
    """How the customers of one planted group buy."""

    recency: tuple[int, int]  # days from the last order to the end; ~95% inside, never above
    orders: tuple[int, int]  # number of orders; ~95% inside, clipped to the bounds
    spend: tuple[float, float]  # total spend in pounds; ~90% inside, with heavy tails
    tenure: tuple[int, int]  # days from the first to the last order, at most
    horizon: int  # the first order is at most this many days before the end


_GROUPS: dict[str, _Group] = {
    "champions": _Group((2, 13), (20, 40), (8000, 25000), (320, _LAST), _LAST),
    "loyal": _Group((5, 30), (6, 12), (1500, 3000), (200, _LAST), _LAST),
    "new": _Group((7, 34), (1, 2), (100, 400), (0, 34), 34),
    "at_risk": _Group((120, 210), (5, 12), (1500, 4000), (120, 250), _LAST),
    "lost": _Group((240, _LAST - 1), (1, 1), (50, 250), (0, 0), _LAST),
}
#: The planted behaviour groups, best customers first (the order customers are drawn in).
PLANTED_GROUPS: tuple[str, ...] = tuple(_GROUPS)
#: The fraction of the customers in each planted group, unless told otherwise.
DEFAULT_SHARES: dict[str, float] = {
    "champions": 0.08,
    "loyal": 0.22,
    "new": 0.20,
    "at_risk": 0.20,
    "lost": 0.30,
}

#: The kinds of product each planted group prefers.
TASTES: dict[str, tuple[str, ...]] = {
    "champions": ("Home",),
    "loyal": ("Kitchen and baking",),
    "new": ("Party and Christmas", "Toys and children"),
    "at_risk": ("Bags and baskets",),
    "lost": ("Candles and lights", "Stationery and wrap"),
}
_TASTE_SHARE = 0.5  # of a customer's fresh picks, from the preferred kinds; else by popularity
_FAVOURITES = 6  # products every customer keeps coming back to
_FAVOURITE_SHARE = 0.3  # of a customer's lines, one of their favourites
_THEME_SHARE = 0.5  # of the picks by popularity, from the one kind an order is mostly about

_MAX_LINES = 15  # products per order
_LINE_CHANCE = 0.3  # an order has 1 + Binomial(_MAX_LINES - 1, _LINE_CHANCE) products
_GUEST_SHARE = 0.05  # of all lines
_DUPLICATE_SHARE = 0.01
_CANCEL_SHARE = 0.015
_ZERO_PRICE_SHARE = 0.003
_MANUAL_SHARE = 0.0005
_BANK_CHARGES = 12
_POSTAGE_ABROAD = 0.6  # chance of a postage line on an order from abroad
_POSTAGE_RATES = (15.0, 18.0, 18.0, 28.0, 40.0)  # pounds per parcel
_DOTCOM_GUEST = 0.6  # chance of a dotcom postage line on a guest order


def generate_demo(
    seed: int = 2024, customers: int = 3000, shares: Mapping[str, float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate demo transactions and the planted group of every customer.

    Returns ``(transactions, groups)``: the transactions in the UCI "Online Retail" layout
    (``CustomerID`` as text, missing for guest orders; ``InvoiceDate`` to the minute) and a
    table with ``customer_id`` (the same text as ``CustomerID``) and ``group``.
    ``shares`` is the fraction of the customers in each planted group (groups left out
    get none; the fractions add up to 1), :data:`DEFAULT_SHARES` by default.
    The same seed, number of customers and shares always give the same tables.
    """
    if not _MIN_CUSTOMERS <= customers <= _MAX_CUSTOMERS:
        raise DataError(
            f"The demo needs between {_MIN_CUSTOMERS:,} and {_MAX_CUSTOMERS:,} customers, "
            f"not {customers:,}; choose a number in that range."
        )
    fractions = _group_shares(DEFAULT_SHARES if shares is None else shares)
    catalogue_seed, rng = _streams(seed)
    catalogue = _catalogue(np.random.default_rng(catalogue_seed))
    weights = _pick_weights(catalogue)
    day_weight = _day_weights()
    people = _customers(rng, customers, fractions)
    orders = _customer_orders(rng, people, day_weight)
    shoppers = _shoppers(rng, people, orders, weights)
    lines = _order_lines(rng, orders, catalogue, weights, shoppers)
    guest_orders, guest_lines = _guest_orders(
        rng, len(lines), len(orders), catalogue, weights, day_weight
    )
    orders = pd.concat([orders, guest_orders], ignore_index=True)
    lines = pd.concat([lines, guest_lines], ignore_index=True)
    lines = pd.concat([lines, _extra_lines(rng, orders, lines, catalogue)], ignore_index=True)
    cancel_orders, cancel_lines = _cancellations(rng, orders, lines, day_weight)
    orders = pd.concat([orders, cancel_orders], ignore_index=True)
    lines = pd.concat([lines, cancel_lines], ignore_index=True)
    transactions = _duplicate_rows(rng, _layout(orders, lines))
    groups = pd.DataFrame({"customer_id": people["customer"], "group": people["group"]})
    return transactions, groups.sort_values("customer_id", ignore_index=True)


def demo_products(seed: int = 2024) -> pd.DataFrame:
    """The demo catalogue of ``seed``: ``stock_code``, ``description`` and ``kind`` (a key of
    :data:`KINDS`) of every product the demo sells, sorted by stock code."""
    catalogue = _catalogue(np.random.default_rng(_streams(seed)[0]))
    products = catalogue[["code", "description", "kind"]].rename(columns={"code": "stock_code"})
    return products.sort_values("stock_code", ignore_index=True)


def write_demo(directory: Path, seed: int = 2024, customers: int = 3000) -> tuple[Path, Path, Path]:
    """Write the demo transactions, planted groups and product kinds into ``directory``;
    return the three paths.

    The files are byte-identical for the same seed and number of customers: the gzip header
    carries no time stamp and no file name.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    transactions, groups = generate_demo(seed, customers)
    transactions_path = directory / DEMO_TRANSACTIONS.name
    groups_path = directory / DEMO_GROUPS.name
    products_path = directory / DEMO_PRODUCTS.name
    transactions_path.write_bytes(gzip.compress(_transactions_csv(transactions), 9, mtime=0))
    for table, path in ((groups, groups_path), (demo_products(seed), products_path)):
        path.write_bytes(table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return transactions_path, groups_path, products_path


def _streams(seed: int) -> tuple[np.random.SeedSequence, np.random.Generator]:
    """The seed of the catalogue and the generator of everything else, both from ``seed``."""
    catalogue_seed, rest = np.random.SeedSequence(seed).spawn(2)
    return catalogue_seed, np.random.default_rng(rest)


def _group_shares(shares: Mapping[str, float]) -> np.ndarray:
    """The share of every planted group in :data:`PLANTED_GROUPS` order, checked."""
    unknown = sorted(set(shares) - set(PLANTED_GROUPS))
    if unknown:
        raise DataError(
            f"The demo has no planted group {unknown[0]!r}; name groups from "
            f"{', '.join(PLANTED_GROUPS)}."
        )
    fractions = np.array([float(shares.get(group, 0.0)) for group in PLANTED_GROUPS])
    if not (np.isfinite(fractions).all() and (fractions >= 0).all()) or not math.isclose(
        fractions.sum(), 1.0, abs_tol=1e-9
    ):
        raise DataError(
            "The shares of the demo's planted groups must be fractions of zero or more that "
            f"add up to 1, not {dict(shares)}."
        )
    return fractions


def _transactions_csv(transactions: pd.DataFrame) -> bytes:
    """Return demo transactions as the UTF-8 CSV text written into the committed file."""
    return transactions.to_csv(
        index=False,
        lineterminator="\n",
        date_format="%Y-%m-%d %H:%M",
        float_format="%.2f",
    ).encode("utf-8")


def _day_weights() -> np.ndarray:
    """Relative order volume of every day: seasonal, and no orders on Saturdays."""
    days = pd.date_range(_START, periods=_DAYS, freq="D")
    weight = days.month.map(_MONTH_WEIGHT).to_numpy(dtype=float, copy=True)
    weight[days.day_of_week == _SATURDAY] = 0.0
    return weight


def _sample_days(
    rng: np.random.Generator, day_weight: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Draw one day in ``first..last`` (day indexes, inclusive) per element, by day weight."""
    cumulative = np.concatenate([[0.0], np.cumsum(day_weight)])
    draw = rng.uniform(cumulative[first], cumulative[last + 1])
    return np.searchsorted(cumulative, draw, side="right") - 1


def _minutes(rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw times of day in minutes, busiest around lunch time, inside shop hours."""
    minutes = rng.normal(12.5 * 60, 150, size).round()
    return np.clip(minutes, _OPEN, _CLOSE - 1).astype(np.int64)


def _lognormal(rng: np.random.Generator, bounds: tuple[float, float], size: int) -> np.ndarray:
    """Draw log-normal values with about 95% of them between ``bounds``."""
    low, high = np.log(bounds)
    return np.exp(rng.normal((low + high) / 2, (high - low) / 4, size))


def _catalogue(rng: np.random.Generator) -> pd.DataFrame:
    """Build the gift-ware catalogue: stock code, description, kind, unit price and popularity."""
    items = [
        (kind, item, price) for kind, prices in _ITEMS.items() for item, price in prices.items()
    ]
    pairs = rng.choice(len(_MOTIFS) * len(items), _DESIGNS, replace=False)
    bases = rng.choice(np.arange(20000, 90000), _DESIGNS, replace=False)
    variants = np.where(rng.random(_DESIGNS) < 0.25, rng.integers(2, 5, _DESIGNS), 1)
    typical = np.array([items[pair % len(items)][2] for pair in pairs])
    price = typical * rng.lognormal(0.0, 0.45, _DESIGNS)
    price = np.where(price < 1, price.round(2), np.ceil(price * 4) / 4 - 0.05)
    price = np.clip(price, 0.3, 39.95).round(2)
    codes, descriptions, kinds, prices = [], [], [], []
    for pair, base, count, unit in zip(pairs, bases, variants, price, strict=True):
        kind, item, _ = items[pair % len(items)]
        name = f"{_MOTIFS[pair // len(items)]} {item}"
        colours = rng.choice(len(_COLOURS), count, replace=False)
        for position, colour in enumerate(colours):
            suffix = "ABCD"[position] if count > 1 else ""
            described = name if count == 1 and rng.random() < 0.5 else f"{_COLOURS[colour]} {name}"
            codes.append(f"{base}{suffix}")
            descriptions.append(described)
            kinds.append(kind)
            prices.append(float(unit))
    popularity = 1.0 / (rng.permutation(len(codes)) + 8.0) ** 0.9
    return pd.DataFrame(
        {
            "code": codes,
            "description": descriptions,
            "kind": kinds,
            "price": prices,
            "popularity": popularity / popularity.sum(),
        }
    )


def _pick_weights(catalogue: pd.DataFrame) -> np.ndarray:
    """Rows of product probabilities to pick from: row 0 by popularity, then one row per
    kind (by popularity inside it), then one per planted group's taste (:data:`TASTES`)."""
    popularity = catalogue["popularity"].to_numpy()
    kind = catalogue["kind"].to_numpy()
    per_kind = {name: np.where(kind == name, popularity, 0.0) for name in _ITEMS}
    per_kind = {name: row / row.sum() for name, row in per_kind.items()}
    tastes = [np.mean([per_kind[name] for name in TASTES[group]], axis=0) for group in _GROUPS]
    return np.vstack([popularity, *per_kind.values(), *tastes])


def _pick(rng: np.random.Generator, weights: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Draw one product per element of ``row`` from that row of ``weights``."""
    cumulative = np.cumsum(weights, axis=1)
    draw = rng.random(len(row)) * cumulative[row, -1]
    product = np.empty(len(row), dtype=np.int64)
    for index in np.unique(row):
        where = row == index
        product[where] = np.searchsorted(cumulative[index], draw[where], side="right")
    return np.minimum(product, weights.shape[1] - 1)


def _customers(rng: np.random.Generator, count: int, shares: np.ndarray) -> pd.DataFrame:
    """Draw the customers: id, country, planted group (``shares`` of them in each, in
    :data:`PLANTED_GROUPS` order) and how each one buys."""
    sizes = np.floor(shares * count).astype(int)
    sizes[np.argsort(shares * count - sizes)[::-1][: count - sizes.sum()]] += 1
    kind = rng.permutation(np.repeat(np.arange(len(_GROUPS)), sizes))
    span = max(6000, 2 * count)
    ids = _FIRST_CUSTOMER + np.sort(rng.choice(span, count, replace=False))

    abroad = np.array(list(_ABROAD.values()))
    names = np.array([_UK, *_ABROAD])
    weights = np.concatenate([[_UK_SHARE], (1 - _UK_SHARE) * abroad / abroad.sum()])
    country = names[rng.choice(len(names), count, p=weights)]
    country[rng.choice(count, len(names), replace=False)] = names  # every country appears

    recency = np.empty(count, dtype=np.int64)
    orders = np.empty(count, dtype=np.int64)
    spend = np.empty(count)
    tenure = np.empty(count, dtype=np.int64)
    horizon = np.empty(count, dtype=np.int64)
    for index, group in enumerate(_GROUPS.values()):
        members = np.flatnonzero(kind == index)
        size = len(members)
        days = _lognormal(rng, group.recency, size).round()
        recency[members] = np.clip(days, 0, group.recency[1])
        orders[members] = np.clip(_lognormal(rng, group.orders, size).round(), *group.orders)
        low, high = np.log(group.spend)
        spend[members] = np.exp((low + high) / 2 + (high - low) / 4 * rng.standard_t(5, size))
        tenure[members] = rng.integers(group.tenure[0], group.tenure[1] + 1, size)
        horizon[members] = group.horizon
    last_day = _LAST - recency
    saturday = (_START.day_of_week + last_day) % 7 == _SATURDAY
    last_day += saturday * rng.choice([-1, 1], count)  # the shop takes no orders on Saturdays
    first_day = np.maximum(last_day - tenure, _LAST - horizon)
    return pd.DataFrame(
        {
            "customer": ids.astype(str),
            "group": np.array(list(_GROUPS))[kind],
            "country": country,
            "orders": orders,
            "spend": spend,
            "first_day": np.minimum(first_day, last_day),
            "last_day": last_day,
        }
    )


def _customer_orders(
    rng: np.random.Generator, people: pd.DataFrame, day_weight: np.ndarray
) -> pd.DataFrame:
    """Draw every customer's orders: the last one on the customer's last day, the rest before."""
    owner = np.repeat(np.arange(len(people)), people["orders"].to_numpy())
    first_of_owner = np.concatenate([[0], np.cumsum(people["orders"].to_numpy())[:-1]])
    is_last = np.zeros(len(owner), dtype=bool)
    is_last[first_of_owner] = True
    first = people["first_day"].to_numpy()[owner]
    last = people["last_day"].to_numpy()[owner]
    day = np.where(is_last, last, _sample_days(rng, day_weight, first, last))
    share = rng.lognormal(0.0, 0.6, len(owner))
    share /= np.bincount(owner, share)[owner]
    return pd.DataFrame(
        {
            "customer": people["customer"].to_numpy()[owner],
            "country": people["country"].to_numpy()[owner],
            "day": day,
            "minute": _minutes(rng, len(owner)),
            "value": people["spend"].to_numpy()[owner] * share,
            "cancel": False,
        }
    )


@dataclass(frozen=True)
class _Shoppers:
    """What the customer behind each order likes: one row per order."""

    taste: np.ndarray  # the row of the pick weights with the customer's planted taste
    favourites: np.ndarray  # the customer's favourite products, _FAVOURITES of them


def _shoppers(
    rng: np.random.Generator, people: pd.DataFrame, orders: pd.DataFrame, weights: np.ndarray
) -> _Shoppers:
    """Give every customer the taste of their planted group and favourites drawn with it."""
    group = pd.Index(list(_GROUPS)).get_indexer(people["group"])
    taste = 1 + len(_ITEMS) + group
    row = np.where(rng.random((len(people), _FAVOURITES)) < _TASTE_SHARE, taste[:, None], 0)
    favourites = _pick(rng, weights, row.ravel()).reshape(row.shape)
    owner = pd.Index(people["customer"]).get_indexer(orders["customer"])
    return _Shoppers(taste[owner], favourites[owner])


def _order_lines(
    rng: np.random.Generator,
    orders: pd.DataFrame,
    catalogue: pd.DataFrame,
    weights: np.ndarray,
    shoppers: _Shoppers | None = None,
) -> pd.DataFrame:
    """Fill orders with 1-15 distinct products whose quantities add up to about the order value.

    Products are picked by popularity, half of those from one kind per order; a customer's
    (``shoppers``) picks lean to their group's taste and come back to their favourites.
    """
    count = 1 + rng.binomial(_MAX_LINES - 1, _LINE_CHANCE, len(orders))
    order = np.repeat(np.arange(len(orders)), count)
    kind_share = catalogue.groupby("kind")["popularity"].sum()[list(_ITEMS)].to_numpy()
    theme = 1 + rng.choice(len(_ITEMS), len(orders), p=kind_share / kind_share.sum())
    row = np.where(rng.random(len(order)) < _THEME_SHARE, theme[order], 0)
    if shoppers is not None:
        row = np.where(rng.random(len(order)) < _TASTE_SHARE, shoppers.taste[order], row)
    product = _pick(rng, weights, row)
    if shoppers is not None:
        favourite = shoppers.favourites[order, rng.integers(0, _FAVOURITES, len(order))]
        product = np.where(rng.random(len(order)) < _FAVOURITE_SHARE, favourite, product)
    lines = pd.DataFrame({"order": order, "product": product}).drop_duplicates()
    order = lines["order"].to_numpy()
    share = rng.lognormal(0.0, 0.8, len(order))
    share /= np.bincount(order, share, minlength=len(orders))[order]
    price = catalogue["price"].to_numpy()[lines["product"].to_numpy()]
    quantity = np.maximum(1, np.round(orders["value"].to_numpy()[order] * share / price))
    quantity = np.where(quantity > 24, np.round(quantity / 12) * 12, quantity)
    return pd.DataFrame(
        {
            "order": order,
            "code": catalogue["code"].to_numpy()[lines["product"].to_numpy()],
            "description": catalogue["description"].to_numpy()[lines["product"].to_numpy()],
            "quantity": quantity.astype(np.int64),
            "price": price,
        }
    )


def _guest_orders(
    rng: np.random.Generator,
    customer_lines: int,
    numbered: int,
    catalogue: pd.DataFrame,
    weights: np.ndarray,
    day_weight: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw orders without a customer id, about the guest share of all lines."""
    wanted = round(customer_lines * _GUEST_SHARE / (1 - _GUEST_SHARE))
    count = max(1, round(wanted / (1 + (_MAX_LINES - 1) * _LINE_CHANCE)))
    names = np.array([_UK, *_ABROAD])
    country = np.where(rng.random(count) < 0.95, _UK, names[rng.integers(1, len(names), count)])
    orders = pd.DataFrame(
        {
            "customer": pd.Series([pd.NA] * count, dtype="str"),
            "country": country,
            "day": _sample_days(rng, day_weight, np.zeros(count, int), np.full(count, _LAST)),
            "minute": _minutes(rng, count),
            "value": rng.lognormal(np.log(150), 0.9, count),
            "cancel": False,
        }
    )
    lines = _order_lines(rng, orders, catalogue, weights)
    lines["order"] += numbered
    dotcom = np.flatnonzero(rng.random(count) < _DOTCOM_GUEST)
    postage = pd.DataFrame(
        {
            "order": dotcom + numbered,
            "code": "DOT",
            "description": "DOTCOM POSTAGE",
            "quantity": 1,
            "price": rng.lognormal(np.log(40), 0.9, len(dotcom)).round(2),
        }
    )
    return orders, pd.concat([lines, postage], ignore_index=True)


def _extra_lines(
    rng: np.random.Generator, orders: pd.DataFrame, lines: pd.DataFrame, catalogue: pd.DataFrame
) -> pd.DataFrame:
    """Add postage, manual, bank-charge and zero-price lines to some customer orders."""
    known = orders["customer"].notna().to_numpy()
    abroad = np.flatnonzero(known & (orders["country"] != _UK).to_numpy())
    abroad = abroad[rng.random(len(abroad)) < _POSTAGE_ABROAD]
    customer_orders = np.flatnonzero(known)
    manual = rng.choice(customer_orders, max(1, round(len(lines) * _MANUAL_SHARE)), replace=False)
    bank = rng.choice(customer_orders, _BANK_CHARGES, replace=False)
    zero = rng.choice(customer_orders, max(1, round(len(lines) * _ZERO_PRICE_SHARE)), replace=False)
    gift = rng.choice(len(catalogue), len(zero), p=catalogue["popularity"].to_numpy())
    parts = [
        (
            "POST",
            "POSTAGE",
            abroad,
            rng.integers(1, 4, len(abroad)),
            rng.choice(_POSTAGE_RATES, len(abroad)),
        ),
        ("M", "Manual", manual, 1, np.round(0.5 + rng.lognormal(1, 1.2, len(manual)), 2)),
        ("BANK CHARGES", "Bank Charges", bank, 1, 15.0),
        (
            catalogue["code"].to_numpy()[gift],
            catalogue["description"].to_numpy()[gift],
            zero,
            rng.integers(1, 13, len(zero)),
            0.0,
        ),
    ]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "order": where,
                    "code": code,
                    "description": description,
                    "quantity": quantity,
                    "price": price,
                }
            )
            for code, description, where, quantity, price in parts
        ],
        ignore_index=True,
    )


def _cancellations(
    rng: np.random.Generator, orders: pd.DataFrame, lines: pd.DataFrame, day_weight: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cancel some product lines of customer orders in later ``C`` invoices."""
    day = orders["day"].to_numpy()[lines["order"].to_numpy()]
    candidates = np.flatnonzero(
        orders["customer"].notna().to_numpy()[lines["order"].to_numpy()]
        & (lines["price"].to_numpy() > 0)
        & lines["code"].str.match(r"\d{5}").to_numpy()
        & (day < _LAST - 1)
    )
    wanted = round(len(lines) * _CANCEL_SHARE / (1 - _CANCEL_SHARE))
    chosen = lines.iloc[np.sort(rng.choice(candidates, wanted, replace=False))]
    original = np.unique(chosen["order"].to_numpy())
    first = orders["day"].to_numpy()[original] + 1
    cancel_orders = pd.DataFrame(
        {
            "customer": orders["customer"].to_numpy()[original],
            "country": orders["country"].to_numpy()[original],
            "day": _sample_days(rng, day_weight, first, np.minimum(first + 30, _LAST)),
            "minute": _minutes(rng, len(original)),
            "cancel": True,
        }
    )
    cancel_lines = chosen.assign(
        order=len(orders) + np.searchsorted(original, chosen["order"].to_numpy()),
        quantity=-chosen["quantity"],
    )
    return cancel_orders, cancel_lines


def _layout(orders: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Number the invoices in date order and lay the lines out in the UCI columns."""
    sequence = np.lexsort((orders["minute"], orders["day"]))  # stable: ties keep their order
    number = np.empty(len(orders), dtype=np.int64)
    number[sequence] = _FIRST_INVOICE + np.arange(len(orders))
    invoice = np.where(orders["cancel"], "C", "") + number.astype(str)
    date = _START + pd.to_timedelta(orders["day"] * 1440 + orders["minute"], unit="min")
    lines = lines.assign(rank=number[lines["order"].to_numpy()], line=np.arange(len(lines)))
    lines = lines.sort_values(["rank", "line"], ignore_index=True)
    order = lines["order"].to_numpy()
    return pd.DataFrame(
        {
            "InvoiceNo": invoice[order],
            "StockCode": lines["code"],
            "Description": lines["description"],
            "Quantity": lines["quantity"].astype(np.int64),
            "InvoiceDate": date.to_numpy()[order],
            "UnitPrice": lines["price"].astype(float),
            "CustomerID": orders["customer"].to_numpy()[order],
            "Country": orders["country"].to_numpy()[order],
        }
    )


def _duplicate_rows(rng: np.random.Generator, transactions: pd.DataFrame) -> pd.DataFrame:
    """Repeat some purchase rows right after themselves, as exact duplicates."""
    purchases = np.flatnonzero(~transactions["InvoiceNo"].str.startswith("C").to_numpy())
    wanted = round(len(transactions) * _DUPLICATE_SHARE / (1 - _DUPLICATE_SHARE))
    repeat = np.ones(len(transactions), dtype=np.int64)
    repeat[rng.choice(purchases, wanted, replace=False)] = 2
    return transactions.iloc[np.repeat(np.arange(len(transactions)), repeat)].reset_index(drop=True)


if __name__ == "__main__":
    for written in write_demo(Path(sys.argv[1]) if len(sys.argv) > 1 else _DATA_DIR):
        print(f"wrote {written} ({written.stat().st_size:,} bytes)")
