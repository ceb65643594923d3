"""Kinds of product: a mapped category column, a product → category file, or derived from
the descriptions and from what is bought together.

Deriving (:func:`derive_categories`): each description is cut into words; colours, sizes,
materials, quantities and the motifs of gift-ware ranges (``RETROSPOT``, ``PAISLEY``) are
not kinds and are dropped (:data:`ATTRIBUTE_WORDS`); plurals are made singular. A word that
ends many descriptions (``HOLDER`` in ``WHITE HANGING HEART T-LIGHT HOLDER``) is a head noun,
and each product's kind is its word that ends the most descriptions. The kinds with the
most revenue (at most :data:`MAX_CATEGORIES`) become categories; a product whose words name
none of them (directly or as part of a compound, ``CANDLESTICK``) takes the category of the
products most often bought by the same customers, when they agree enough
(:data:`MIN_VOTE`), or else "Other". Non-product codes never reach here: the catalogue
has none.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from segmentation.engine import text_identifiers
from segmentation.errors import DataError
from segmentation.products.catalogue import coded
from segmentation.products.catalogue import customer_products as bought_products
from segmentation.read.values import shorten
from segmentation.schema import CATEGORY, CUSTOMER_ID, DESCRIPTION, STOCK_CODE
from segmentation.transactions.cleaning import CleanResult

OTHER = "Other"
#: Most categories derived, "Other" aside.
MAX_CATEGORIES = 40
#: A kind of product is a category only with at least this many products ...
MIN_PRODUCTS = 3
#: ... and at least this share of the revenue.
MIN_REVENUE_SHARE = 0.004
#: A product named by no category joins the category of its nearest products by buyers ...
NEIGHBOURS = 10
#: ... when that category holds this share of their similarity ...
MIN_VOTE = 0.45
#: ... and the product has at least this many buyers.
MIN_COPURCHASE_BUYERS = 3
#: Product similarities computed at once (float64: 160 MB).
SIMILARITY_CELLS = 20_000_000
#: Words that describe a product's look rather than its kind: colours, sizes, quantities,
#: materials, styles and the motifs of gift-ware ranges.
_ATTRIBUTES = """
    RED PINK BLUE WHITE BLACK GREEN CREAM IVORY SILVER GOLD GOLDEN PURPLE YELLOW ORANGE BROWN
    GREY GRAY NATURAL PASTEL COLOUR COLOURS COLOURED COLOR ASSORTED MULTICOLOUR BRIGHT DARK
    LILAC TURQUOISE AQUA CHOCOLATE PEACH MINT
    SMALL LARGE MEDIUM MINI JUMBO BIG LITTLE TALL GIANT TINY EXTRA LONG SHORT
    OF AND IN WITH THE A AN FOR ON TO BY SET PACK PCS PIECE PIECES DESIGN DESIGNS STYLE ROUND
    SQUARE TOP NO ASSTD TIER TIERS DOZEN PAIR
    METAL GLASS WOODEN WOOD ZINC CERAMIC PAPER FELT WICKER ENAMEL PLASTIC FABRIC COTTON
    LEATHER CRYSTAL PORCELAIN IRON SILK BEADED WIRE RUSTIC ACRYLIC VELVET LACE
    VINTAGE ANTIQUE RETRO HANGING DECORATIVE TRADITIONAL CLASSIC FRENCH ENGLISH PRETTY SWEET
    NEW FANCY HOME EDWARDIAN REGENCY BAROQUE SCANDINAVIAN ORIENTAL FRENCH MOROCCAN
    HEART HEARTS RETROSPOT POLKADOT POLKA SPOT SPOTS SPOTTY STRIPE STRIPES STRIPED FLORAL
    FLOWER FLOWERS ROSE ROSES PAISLEY UNION JACK FLAG SPACEBOY DOLLY GIRL BIRD BIRDS BIRDIE
    STAR STARS LOVE SKULL SKULLS OWL RABBIT DOG CAT FAIRY WOODLAND LONDON PANTRY STRAWBERRY
    APPLES APPLE LEAF CHARLOTTE SUKI ALPHABET GINGHAM TOILE DINER SWEETHEART PARISIENNE
"""
ATTRIBUTE_WORDS: frozenset[str] = frozenset(_ATTRIBUTES.split())
#: Attribute words that name the kind when they end a description after a word in -ING,
#: together with it: ``SPINNING TOP``, ``BAKING SET`` (a gerund alone names no thing).
GENERIC_ENDINGS: frozenset[str] = frozenset({"TOP", "SET"})
#: Head words named in the singular.
_MASS = "ART CRAFT WRAP GARDEN FURNITURE JEWELLERY STATIONERY CLOTHING LUGGAGE DECOR"
MASS_NOUNS: frozenset[str] = frozenset(_MASS.split())
_WORD = re.compile(r"[A-Z][A-Z'\-]*[A-Z]")


@dataclass(frozen=True)
class Categories:
    """Each product's category and the categories in a table.

    ``products``: ``stock_code, category``, every catalogue product exactly once.
    ``table``: ``category, products, revenue, revenue_share, words`` (the words that name
    it, comma-separated), by revenue descending with "Other" last. ``source``: ``column``,
    ``derived`` or ``uploaded``.
    """

    products: pd.DataFrame
    table: pd.DataFrame
    source: str

    def of(self, stock_codes: pd.Series) -> pd.Series:
        """The category of each stock code ("Other" for codes not in the catalogue)."""
        lookup = self.products.set_index(STOCK_CODE)[CATEGORY]
        return stock_codes.map(lookup).fillna(OTHER).astype("str")


def categorise(
    clean: CleanResult, catalogue: pd.DataFrame, customer_products: pd.DataFrame | None = None
) -> Categories:
    """The mapped category column when the data has one (each product's most frequent
    category), else categories derived from the descriptions (:func:`derive_categories`).
    ``customer_products`` (of :func:`~segmentation.products.catalogue.customer_products`)
    is computed when not given."""
    if CATEGORY in clean.table.columns:
        return _column_categories(clean, catalogue)
    if customer_products is None:
        customer_products = bought_products(clean)
    return derive_categories(catalogue, customer_products)


def derive_categories(catalogue: pd.DataFrame, customer_products: pd.DataFrame) -> Categories:
    """Categories from the descriptions' head nouns and, for products no head names, from
    what their buyers buy (see the module's description)."""
    words = pd.Series([kind_words(d) for d in catalogue[DESCRIPTION]], dtype=object)
    endings = Counter(w[-1] for w in words if w)
    heads = pd.Series([_best(w, endings) for w in words], dtype=object)
    revenue = catalogue["revenue"].to_numpy()
    total = revenue.sum() or 1.0
    by_head = pd.DataFrame({"head": heads, "revenue": revenue}).dropna()
    sizes = by_head.groupby("head")["revenue"].agg(["size", "sum"])
    sizes = sizes[(sizes["size"] >= MIN_PRODUCTS) & (sizes["sum"] / total >= MIN_REVENUE_SHARE)]
    sizes = sizes.reset_index().sort_values(["sum", "head"], ascending=[False, True])
    anchors = set(sizes["head"].head(MAX_CATEGORIES))
    kinds = pd.Series([_best(_named(w, anchors), endings) for w in words], dtype=object)
    kinds = _by_copurchase(catalogue, customer_products, kinds)
    phrases = {head: _phrases(head, words[kinds == head]) for head in sorted(set(kinds.dropna()))}
    names = {head: _name(found) for head, found in phrases.items()}
    named = kinds.map(lambda k: OTHER if pd.isna(k) else names[k])
    products = pd.DataFrame({STOCK_CODE: catalogue[STOCK_CODE], CATEGORY: named.astype("str")})
    described = {names[h]: [p.lower() for p, _n in found] for h, found in phrases.items()}
    return Categories(
        products, _summed(products, _revenue(products, catalogue), described), "derived"
    )


def kind_words(description: str) -> list[str]:
    """The words of ``description`` that may name a kind of product, upper case and
    singular, in order: ``"SET OF 3 CAKE TINS"`` gives ``["CAKE", "TIN"]``; a last word of
    :data:`GENERIC_ENDINGS` after a word in -ING joins it (``"POLKADOT SPINNING TOP"``
    gives ``["SPINNING TOP"]``)."""
    words = _WORD.findall(str(description).upper())
    kinds = [_singular(w) for w in words if w not in ATTRIBUTE_WORDS and len(w) > 2]
    gerund, last = words[-2:] if len(words) > 1 else ["", ""]
    # the gerund must be kept: HANGING is a look
    if last in GENERIC_ENDINGS and gerund.endswith("ING") and kinds[-1:] == [gerund]:
        kinds[-1] = f"{gerund} {last}"
    return kinds


def read_category_csv(data: bytes, name: str, catalogue: pd.DataFrame) -> Categories:
    """Categories from a CSV of two columns, product code then category (a header row is
    recognised by a first row naming no catalogue product). Products it does not list go to
    "Other". Raises :class:`DataError` on a file that is not such a table or lists none of
    the catalogue's products."""
    try:
        frame = pd.read_csv(io.BytesIO(data), header=None, dtype="str", keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        frame = None
    if frame is None or frame.shape[1] < 2 or frame.empty:
        raise DataError(
            f"{shorten(name)} is not a CSV of product codes and categories; give two "
            "columns, the product code then its category."
        )
    frame = frame.iloc[:, :2].set_axis([STOCK_CODE, CATEGORY], axis=1)
    known = set(catalogue[STOCK_CODE])
    if not frame.empty and frame.iloc[0][STOCK_CODE] not in known:
        frame = frame.iloc[1:]
    frame = frame.assign(**{c: frame[c].str.strip() for c in frame.columns})
    frame = frame[frame[STOCK_CODE].isin(known) & (frame[CATEGORY] != "")]
    if frame.empty:
        raise DataError(
            f"{shorten(name)} names none of the products sold; its first column must hold "
            "the product codes of the data (e.g. 85123A)."
        )
    lookup = frame.drop_duplicates(STOCK_CODE, keep="last").set_index(STOCK_CODE)[CATEGORY]
    return _assigned(catalogue, catalogue[STOCK_CODE].map(lookup).fillna(OTHER), "uploaded")


def rename_categories(categories: Categories, names: Mapping[str, str]) -> Categories:
    """``categories`` with categories renamed (old name → new name); two given one name
    merge. Blank new names are ignored."""
    names = {old: new.strip() for old, new in names.items() if new and new.strip()}
    products = categories.products.assign(
        **{CATEGORY: categories.products[CATEGORY].replace(names)}
    )
    words = categories.table.set_index(CATEGORY)["words"]
    merged: dict[str, list[str]] = {}
    for old, text in words.items():
        merged.setdefault(names.get(old, old), []).extend(w for w in text.split(", ") if w)
    old = categories.table
    revenue = pd.Series(old["revenue"].to_numpy(), index=old[CATEGORY].replace(names).to_numpy())
    return Categories(products, _summed(products, revenue, merged), categories.source)


def _column_categories(clean: CleanResult, catalogue: pd.DataFrame) -> Categories:
    """Each product's most frequent value of the category column."""
    table = clean.table
    named = table.filter(table[CATEGORY].notnull() & table[STOCK_CODE].notnull())
    counts = clean.backend.to_pandas(named.group_by([STOCK_CODE, CATEGORY]).agg(_n=named.count()))
    counts = text_identifiers(counts).astype({CATEGORY: "str"})
    counts[CATEGORY] = counts[CATEGORY].str.strip()
    counts = counts.sort_values([STOCK_CODE, "_n", CATEGORY], ascending=[True, False, True])
    lookup = counts.drop_duplicates(STOCK_CODE).set_index(STOCK_CODE)[CATEGORY]
    return _assigned(catalogue, catalogue[STOCK_CODE].map(lookup).fillna(OTHER), "column")


def _assigned(catalogue: pd.DataFrame, named: pd.Series, source: str) -> Categories:
    """Categories given a name per catalogue product; the words are the category's own."""
    products = pd.DataFrame({STOCK_CODE: catalogue[STOCK_CODE], CATEGORY: named.astype("str")})
    words = {c: [c.lower()] for c in products[CATEGORY].unique()}
    return Categories(products, _summed(products, _revenue(products, catalogue), words), source)


def _phrases(head: str, words: pd.Series) -> list[tuple[str, int]]:
    """The head word and its commonest phrases (the word before it and the head) in the
    category's products, with the products holding each."""
    found = Counter(
        f"{w[w.index(head) - 1]} {head}" for w in words if head in w and w.index(head) > 0
    )
    common = sorted(found.items(), key=lambda x: (-x[1], x[0]))[:3]
    return [(head, len(words)), *((p, n) for p, n in common if n > 1)]


def _name(phrases: list[tuple[str, int]]) -> str:
    """A category's name: its commonest phrase when at least half its products hold it,
    else its head word; in the plural unless the head is a mass noun (``T-light holders``,
    ``Cutlery``)."""
    head, products = phrases[0]
    phrase = next((p for p, n in phrases[1:] if n >= products / 2), head)
    if head not in MASS_NOUNS and not head.endswith(("ING", "ERY", "AS")):
        phrase = _plural(phrase)
    return phrase[:1].upper() + phrase[1:].lower()


def _summed(
    products: pd.DataFrame, revenue: pd.Series, words: Mapping[str, list[str]]
) -> pd.DataFrame:
    """The table of categories from each product's category and each category's revenue:
    by revenue descending, "Other" last."""
    table = products.groupby(CATEGORY).size().rename("products").to_frame()
    table["revenue"] = revenue.groupby(level=0).sum().reindex(table.index).fillna(0.0)
    total = table["revenue"].sum() or 1.0
    table["revenue_share"] = table["revenue"] / total
    table["words"] = [", ".join(dict.fromkeys(words.get(c, []))) for c in table.index]
    table["_other"] = table.index == OTHER
    table = table.reset_index().sort_values(
        ["_other", "revenue", CATEGORY], ascending=[True, False, True]
    )
    return table.drop(columns="_other").reset_index(drop=True)


def _revenue(products: pd.DataFrame, catalogue: pd.DataFrame) -> pd.Series:
    """Revenue per category (index category) from the catalogue's revenue per product."""
    revenue = products[STOCK_CODE].map(catalogue.set_index(STOCK_CODE)["revenue"])
    return pd.Series(revenue.to_numpy(), index=products[CATEGORY].to_numpy())


def _by_copurchase(
    catalogue: pd.DataFrame, customer_products: pd.DataFrame, kinds: pd.Series
) -> pd.Series:
    """``kinds`` with each product named by no category given the category of the products
    bought by the same customers (its :data:`NEIGHBOURS` nearest by cosine similarity of
    their buyers, weighted by it) when that category holds at least :data:`MIN_VOTE` of the
    weight and the product has :data:`MIN_COPURCHASE_BUYERS` buyers."""
    missing = np.flatnonzero(kinds.isna().to_numpy())
    named = np.flatnonzero(kinds.notna().to_numpy())
    if not len(missing) or not len(named):
        return kinds
    bought, _customers = purchase_matrix(customer_products, catalogue[STOCK_CODE])
    norms = np.sqrt(np.asarray(bought.sum(axis=0)).ravel())
    labels, anchors = pd.factorize(kinds.iloc[named])
    tail, head = bought[:, missing].T.tocsr(), bought[:, named].tocsc()
    votes = np.zeros((len(missing), len(anchors)))
    step = max(1, SIMILARITY_CELLS // len(named))
    for start in range(0, len(missing), step):  # a block of products at a time
        rows = slice(start, start + step)
        together = (tail[rows] @ head).toarray()
        similarity = together / np.maximum(norms[missing[rows]], 1)[:, None]
        similarity /= np.maximum(norms[named], 1)
        nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :NEIGHBOURS]
        weights = np.take_along_axis(similarity, nearest, axis=1)
        block = np.repeat(np.arange(start, start + len(nearest)), nearest.shape[1])
        np.add.at(votes, (block, labels[nearest].ravel()), weights.ravel())
    best = votes.argmax(axis=1)
    share = votes[np.arange(len(best)), best] / np.maximum(votes.sum(axis=1), 1e-12)
    ok = (share >= MIN_VOTE) & (norms[missing] ** 2 >= MIN_COPURCHASE_BUYERS)
    filled = kinds.copy()
    filled.iloc[missing[ok]] = anchors[best[ok]]
    return filled


def purchase_matrix(
    customer_products: pd.DataFrame, stock_codes: pd.Index | pd.Series
) -> tuple[sp.csr_matrix, pd.Index]:
    """Customers × products (in the order of ``stock_codes``), 1 where the customer bought
    the product, and the customers of its rows (:func:`coded` order); products not listed
    are left out."""
    customers, ids = coded(customer_products[CUSTOMER_ID])
    products, codes = coded(customer_products[STOCK_CODE])
    items = pd.Index(stock_codes).get_indexer(codes)[products]
    keep = items >= 0
    data = np.ones(int(keep.sum()), dtype=np.float32)
    shape = (len(ids), len(stock_codes))
    return sp.csr_matrix((data, (customers[keep], items[keep])), shape=shape), ids


def _named(words: list[str], anchors: set[str]) -> list[str]:
    """The categories ``words`` name: a word that is one, or a compound that ends or starts
    with one (``CANDLESTICK`` names ``CANDLE``, ``MEMOBOARD`` names ``BOARD``)."""
    named = []
    for word in words:
        if word in anchors:
            named.append(word)
            continue
        ends = [a for a in anchors if len(a) >= 3 and word.endswith(a)]
        starts = [a for a in anchors if len(a) >= 4 and word.startswith(a)]
        named.extend(sorted(ends, key=len)[-1:] or sorted(starts, key=len)[-1:])
    return named


def _best(words: list[str], endings: Counter) -> str | None:
    """The word that ends the most descriptions; a later word wins a tie."""
    if not words:
        return None
    return max(reversed(words), key=lambda w: endings[w])


def _singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(("SS", "US", "IS", "AS")):
        return word
    if word.endswith("IES"):
        return word[:-3] + "Y"
    if word.endswith(("XES", "SHES", "CHES", "SSES")):
        return word[:-2]
    return word[:-1] if word.endswith("S") else word


def _plural(phrase: str) -> str:
    """``phrase`` with its last word in the plural: ``T-LIGHT HOLDER`` → ``T-LIGHT HOLDERS``."""
    if phrase.endswith(("S", "X", "CH", "SH")):
        return phrase + "ES"
    if phrase.endswith("Y") and phrase[-2:-1] not in "AEIOU":
        return phrase[:-1] + "IES"
    return phrase + "S"
