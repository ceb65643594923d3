"""Two lists per customer and one per segment.

**Buy again**: the products a customer bought, ranked by the smoothed share of their orders
that held each, ``(orders with it + a·r) / (their orders + a)``, where ``r`` is the
product's re-purchase rate (the share of its buyers with two orders or more who bought it
in two orders or more) and ``a`` is :data:`REPURCHASE_PRIOR`. Within a customer this ranks
by the number of orders with the product and breaks the many ties by how often others buy
it again.

**Discover**: products the customer has not bought, scored by EASE (Steck 2019): with
``X`` the customers × products matrix (1 where bought) and ``G = XᵀX``, ``P = (G + λI)⁻¹``
and ``B = I − P·diagMat(1/diag(P))``; a customer's scores are their row of ``X·B``. ``λ`` is
:data:`EASE_STRENGTH` times the mean of ``diag(G)`` (the mean buyers per product), so
duplicating every customer leaves ``B`` unchanged. ``B`` is dense, so it is fitted on the
:data:`MAX_EASE_PRODUCTS` products with the most buyers (2,000² matrices of 8 bytes:
32 MB each; on Online Retail 1,000, 2,000 and all 3,600 products give discover hit rates
of 0.524, 0.520 and 0.524, and the cost of scoring grows with the number); products
beyond them are offered to buy again, not to discover. Customers are scored in chunks of
at most :data:`CHUNK_CELLS` scores, keeping each one's top products only.

**Promote**: per segment, the products most often in its customers' discover lists; the
score is the share of the segment's customers whose list holds it. A customer with no
purchase of the fitted products (a new customer) gets their segment's promote list, less
what they bought, marked ``fallback``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from scipy.linalg import lapack

from segmentation.engine import connect
from segmentation.errors import ModelError
from segmentation.outputs.export import neutralise_formulas
from segmentation.products.catalogue import coded
from segmentation.schema import CUSTOMER_ID, DESCRIPTION, STOCK_CODE

BUY_AGAIN, DISCOVER = "buy_again", "discover"
#: Columns of :attr:`Recommendations.lists`.
LIST_COLUMNS: tuple[str, ...] = (
    CUSTOMER_ID,
    "kind",
    "rank",
    STOCK_CODE,
    DESCRIPTION,
    "score",
    "fallback",
)
#: Columns of :attr:`Recommendations.promote`.
PROMOTE_COLUMNS: tuple[str, ...] = ("segment", "rank", STOCK_CODE, DESCRIPTION, "score")
#: Weight of the product's re-purchase rate in the buy-again score, in orders.
REPURCHASE_PRIOR = 1.0
#: EASE's regularisation λ in units of the mean buyers per product.
EASE_STRENGTH = 10.0
#: Most products EASE is fitted on (its matrices are products × products, dense).
MAX_EASE_PRODUCTS = 2000
#: Scores computed at once when scoring customers (float32: 200 MB).
CHUNK_CELLS = 50_000_000


@dataclass(frozen=True)
class Recommendations:
    """``lists``: ``customer_id, kind`` (``buy_again`` or ``discover``), ``rank, stock_code,
    description, score, fallback`` (True where the list is the segment's, not the
    customer's own), sorted by customer, kind and rank. ``promote``: ``segment, rank,
    stock_code, description, score`` (the share of the segment's customers whose discover
    list holds the product)."""

    lists: pd.DataFrame
    promote: pd.DataFrame

    def for_customer(self, customer_id: str) -> pd.DataFrame:
        """Both lists of one customer (no rows for a customer not scored)."""
        rows = self.lists[self.lists[CUSTOMER_ID] == str(customer_id)]
        return rows.reset_index(drop=True)

    def campaign(self, segment: str, segments: pd.Series, top: int = 3) -> pd.DataFrame:
        """One row per customer of ``segment`` (``segments``: segment per customer id):
        ``customer_id``, then ``product_1, description_1, ...`` the first ``top`` products
        of their discover list."""
        members = segments.index[segments.astype("str") == str(segment)].astype("str")
        lists = self.lists[
            (self.lists["kind"] == DISCOVER)
            & (self.lists["rank"] <= top)
            & self.lists[CUSTOMER_ID].isin(members)
        ]
        lists = lists.astype({CUSTOMER_ID: "str", STOCK_CODE: "str", DESCRIPTION: "str"})
        wide = lists.pivot(index=CUSTOMER_ID, columns="rank", values=[STOCK_CODE, DESCRIPTION])
        columns = {}
        for rank in range(1, top + 1):
            for value, name in ((STOCK_CODE, "product"), (DESCRIPTION, "description")):
                if (value, rank) in wide.columns:
                    columns[f"{name}_{rank}"] = wide[(value, rank)]
        frame = pd.DataFrame(columns, index=wide.index).reindex(sorted(members))
        return frame.rename_axis(CUSTOMER_ID).reset_index()

    def write_csv(self, path: Path) -> None:
        """Write ``lists`` without ``fallback``, scores to 4 digits, as spreadsheet-safe
        CSV (text that a spreadsheet would run as a formula starts with ``'``, as
        :func:`~segmentation.outputs.export.to_safe_csv` writes it). Each distinct text is
        made safe once and DuckDB writes the rows: millions of rows take seconds."""
        lists = self.lists.drop(columns="fallback").round({"score": 4})
        columns = {}
        for name in lists.columns:
            values = lists[name]
            if pd.api.types.is_numeric_dtype(values.dtype):
                columns[name] = pa.array(values.to_numpy())
                continue
            codes, distinct = coded(values)
            safe = neutralise_formulas(pd.DataFrame({name: distinct}))[name]
            columns[name] = pa.array(safe.astype("str").to_numpy()).take(pa.array(codes))
        table = pa.table(columns)
        database = connect().con
        database.register("recommendations_csv", table)
        try:
            target = str(path).replace("'", "''")
            database.execute(f"COPY recommendations_csv TO '{target}' (FORMAT csv, HEADER)")
        finally:
            database.unregister("recommendations_csv")


def recommend(
    customer_products: pd.DataFrame,
    catalogue: pd.DataFrame,
    segments: pd.Series,
    top: int = 10,
) -> Recommendations:
    """Buy-again and discover lists of ``top`` products for every customer of ``segments``
    (segment name per customer id) and of ``customer_products``, and each segment's
    promote list (see the module's description). Nothing passed in is modified."""
    pairs = _Pairs.of(customer_products, catalogue)
    names = segments.astype("str").set_axis(segments.index.astype("str"))
    everyone = pairs.customers.union(pd.Index(names.index)).sort_values()
    member = names.reindex(everyone).fillna("")
    again = _buy_again(pairs, top)
    found = _discover(pairs, top)
    promote = _promote(found, pairs, member, top)
    fallback = _fallback(everyone, found, pairs, member, promote, top)
    at = everyone.get_indexer(pairs.customers)  # pair customer code → position in everyone
    parts = [
        (at[again.customers], again, 0, False),
        (at[found.customers], found, 1, False),
        (fallback.customers, fallback, 1, True),
    ]
    customer = np.concatenate([c for c, *_ in parts])
    kind = np.concatenate([np.full(len(c), k, dtype=np.int8) for c, _r, k, _f in parts])
    flag = np.concatenate([np.full(len(c), f) for c, _r, _k, f in parts])
    items = np.concatenate([r.items for _c, r, *_ in parts])
    ranks = np.concatenate([r.ranks for _c, r, *_ in parts])
    scores = np.concatenate([r.scores for _c, r, *_ in parts])
    order = np.lexsort((ranks, kind, customer))
    products = pd.Index(catalogue[STOCK_CODE].astype("str"))
    lists = pd.DataFrame(
        {
            CUSTOMER_ID: pd.Categorical.from_codes(customer[order], everyone),
            "kind": pd.Categorical.from_codes(kind[order], [BUY_AGAIN, DISCOVER]),
            "rank": ranks[order].astype(np.int64),
            STOCK_CODE: pd.Categorical.from_codes(items[order], products),
            DESCRIPTION: catalogue[DESCRIPTION].astype("str").array.take(items[order]),
            "score": scores[order].astype(np.float64),
            "fallback": flag[order],
        }
    )
    return Recommendations(lists, promote.frame(products, catalogue[DESCRIPTION]))


@dataclass(frozen=True)
class _Pairs:
    """The customer × product table as codes: ``customer`` into ``customers`` (sorted
    ids), ``item`` into the catalogue's rows; pairs of products not in the catalogue left
    out."""

    customer: np.ndarray
    item: np.ndarray
    orders: np.ndarray
    quantity: np.ndarray
    customers: pd.Index
    #: Rank of each catalogue product's code in text order, for ties.
    code_order: np.ndarray

    @classmethod
    def of(cls, customer_products: pd.DataFrame, catalogue: pd.DataFrame) -> _Pairs:
        customer, customers = coded(customer_products[CUSTOMER_ID])
        product, codes = coded(customer_products[STOCK_CODE])
        products = pd.Index(catalogue[STOCK_CODE].astype("str"))
        item = products.get_indexer(codes)[product] if len(product) else product
        keep = item >= 0
        if not customers.is_monotonic_increasing:  # make codes follow the sorted ids
            order = customers.argsort()
            customer = np.argsort(order)[customer]
            customers = customers[order]
        return cls(
            customer=customer[keep].astype(np.int64),
            item=item[keep].astype(np.int64),
            orders=customer_products["orders"].to_numpy(dtype=np.float64)[keep],
            quantity=customer_products["quantity"].to_numpy(dtype=np.float64)[keep],
            customers=customers,
            code_order=np.argsort(np.argsort(products.to_numpy(), kind="stable")),
        )

    def matrix(self, items: np.ndarray) -> sp.csr_matrix:
        """Customers × ``items`` (catalogue rows), 1 where bought."""
        column = np.full(len(self.code_order), -1)
        column[items] = np.arange(len(items))
        where = column[self.item]
        keep = where >= 0
        data = np.ones(int(keep.sum()), dtype=np.float32)
        shape = (len(self.customers), len(items))
        return sp.csr_matrix((data, (self.customer[keep], where[keep])), shape=shape)

    def buyers(self) -> np.ndarray:
        """Customers who bought each catalogue product."""
        return np.bincount(self.item, minlength=len(self.code_order))


@dataclass(frozen=True)
class _Ranked:
    """Lists as codes: ``customers`` (into the customers of their making), ``items``
    (catalogue rows), ``ranks`` from 1, ``scores``; sorted by customer and rank."""

    customers: np.ndarray
    items: np.ndarray
    ranks: np.ndarray
    scores: np.ndarray

    @classmethod
    def best(
        cls,
        customers: np.ndarray,
        items: np.ndarray,
        scores: np.ndarray,
        code_order: np.ndarray,
        top: int,
    ) -> _Ranked:
        """The ``top`` highest scores per customer; ties go to the smaller code."""
        order = np.lexsort((code_order[items], -scores, customers))
        customers, items, scores = customers[order], items[order], scores[order]
        starts = np.flatnonzero(np.r_[True, customers[1:] != customers[:-1]])
        sizes = np.diff(np.r_[starts, len(customers)])
        ranks = np.arange(len(customers)) - np.repeat(starts, sizes) + 1
        keep = ranks <= top
        return cls(customers[keep], items[keep], ranks[keep], scores[keep])

    def frame(self, customers: pd.Index, products: pd.Index) -> pd.DataFrame:
        """``customer_id, rank, stock_code, score``."""
        return pd.DataFrame(
            {
                CUSTOMER_ID: customers[self.customers],
                "rank": self.ranks.astype(np.int64),
                STOCK_CODE: products[self.items],
                "score": self.scores.astype(np.float64),
            }
        )


def buy_again(
    customer_products: pd.DataFrame, catalogue: pd.DataFrame, top: int = 10
) -> pd.DataFrame:
    """Each customer's ``top`` products to buy again: ``customer_id, rank, stock_code,
    score`` (see the module's description)."""
    pairs = _Pairs.of(customer_products, catalogue)
    products = pd.Index(catalogue[STOCK_CODE].astype("str"))
    return _buy_again(pairs, top).frame(pairs.customers, products)


def popular_lists(
    customer_products: pd.DataFrame, catalogue: pd.DataFrame, top: int = 10
) -> pd.DataFrame:
    """Each customer's ``top`` products with the most buyers among those they have not
    bought (the baseline of discover): ``customer_id, rank, stock_code, score`` (buyers)."""
    pairs = _Pairs.of(customer_products, catalogue)
    buyers = pairs.buyers()
    most = np.lexsort((pairs.code_order, -buyers))
    most = most[buyers[most] > 0]
    widest = int(np.bincount(pairs.customer).max()) if len(pairs.customer) else 0
    most = most[: top + widest]
    counts = buyers[most].astype(np.float32)
    bought = pairs.matrix(most)
    found = _top_scores(bought, lambda chunk: np.tile(counts, (chunk.shape[0], 1)), top)
    ranked = _Ranked.best(found.rows, most[found.items], found.scores, pairs.code_order, top)
    products = pd.Index(catalogue[STOCK_CODE].astype("str"))
    return ranked.frame(pairs.customers, products)


def most_bought(
    customer_products: pd.DataFrame, catalogue: pd.DataFrame, top: int = 10
) -> pd.DataFrame:
    """Each customer's ``top`` products by the number of orders with each, then quantity
    (the baseline of buy again): ``customer_id, rank, stock_code, score`` (orders)."""
    pairs = _Pairs.of(customer_products, catalogue)
    tie = pairs.quantity / (pairs.quantity.max(initial=0.0) + 1.0)  # below one order
    ranked = _Ranked.best(pairs.customer, pairs.item, pairs.orders + tie, pairs.code_order, top)
    products = pd.Index(catalogue[STOCK_CODE].astype("str"))
    return ranked.frame(pairs.customers, products)


def _buy_again(pairs: _Pairs, top: int) -> _Ranked:
    orders = np.zeros(len(pairs.customers))
    np.maximum.at(orders, pairs.customer, pairs.orders)
    theirs = orders[pairs.customer]
    repeaters = theirs >= 2
    bought = np.bincount(pairs.item[repeaters], minlength=len(pairs.code_order))
    again = np.bincount(
        pairs.item[repeaters],
        weights=(pairs.orders[repeaters] >= 2).astype(np.float64),
        minlength=len(pairs.code_order),
    )
    rate = np.divide(again, bought, out=np.zeros(len(bought)), where=bought > 0)
    score = (pairs.orders + REPURCHASE_PRIOR * rate[pairs.item]) / (theirs + REPURCHASE_PRIOR)
    return _Ranked.best(pairs.customer, pairs.item, score, pairs.code_order, top)


def _discover(pairs: _Pairs, top: int) -> _Ranked:
    """EASE's lists over the :data:`MAX_EASE_PRODUCTS` products with the most buyers, for
    the customers who bought at least one of them."""
    buyers = pairs.buyers()
    head = np.lexsort((pairs.code_order, -buyers))
    head = head[buyers[head] > 0][:MAX_EASE_PRODUCTS]
    bought = pairs.matrix(head)
    weights = ease(bought)
    scored = np.flatnonzero(bought.getnnz(axis=1))  # who bought some fitted product
    found = _top_scores(bought[scored], lambda chunk: chunk @ weights, top)
    return _Ranked.best(scored[found.rows], head[found.items], found.scores, pairs.code_order, top)


def discover_lists(
    customer_products: pd.DataFrame, catalogue: pd.DataFrame, top: int = 10
) -> pd.DataFrame:
    """Each customer's ``top`` products by EASE score among the fitted products they have
    not bought: ``customer_id, rank, stock_code, score``. Customers who bought none of the
    fitted products get no rows."""
    pairs = _Pairs.of(customer_products, catalogue)
    products = pd.Index(catalogue[STOCK_CODE].astype("str"))
    return _discover(pairs, top).frame(pairs.customers, products)


def ease(bought: sp.csr_matrix, strength: float = EASE_STRENGTH) -> np.ndarray:
    """EASE's item weights ``B`` (float32, zero diagonal) for the 0/1 customers × products
    matrix ``bought``, with ``λ = strength ×`` the mean of ``diag(XᵀX)``."""
    gram = (bought.T @ bought).toarray().astype(np.float64)
    diagonal = np.diag(gram).copy()
    penalty = strength * max(float(diagonal.mean()), 1.0) if len(diagonal) else 1.0
    gram[np.diag_indices_from(gram)] += penalty  # positive definite: Cholesky inverts it
    inverse, info = lapack.dpotrf(gram, lower=False, overwrite_a=True)
    if not info:
        inverse, info = lapack.dpotri(inverse, lower=False, overwrite_c=True)
    if info:
        raise ModelError(
            "The products bought together could not be weighed (a numerical failure); "
            "try again with fewer products."
        )
    lower = np.tril_indices_from(inverse, -1)
    inverse[lower] = inverse.T[lower]  # LAPACK fills the upper triangle only
    inverse /= -np.diag(inverse)  # column j divided by -P_jj
    np.fill_diagonal(inverse, 0.0)
    return inverse.astype(np.float32)


@dataclass(frozen=True)
class _Scores:
    rows: np.ndarray
    items: np.ndarray
    scores: np.ndarray


def _top_scores(
    bought: sp.csr_matrix, score: Callable[[sp.csr_matrix], np.ndarray], top: int
) -> _Scores:
    """The ``top`` highest of ``score(rows of bought)`` per row and any tied with the
    last of them, bought products left out, computed :data:`CHUNK_CELLS` scores at a
    time (rows and items in row-major order)."""
    n_rows, n_items = bought.shape
    keep = min(top, n_items)
    step = max(1, CHUNK_CELLS // max(n_items, 1))
    rows, items, scores = (
        [np.zeros(0, np.int64)],
        [np.zeros(0, np.int64)],
        [np.zeros(0, np.float32)],
    )
    for start in range(0, n_rows, step) if keep else ():
        chunk = bought[start : start + step]
        dense = np.asarray(score(chunk), dtype=np.float32)
        dense[chunk.nonzero()] = -np.inf
        least = np.partition(dense, n_items - keep, axis=1)[:, n_items - keep]
        row, item = np.nonzero((dense >= least[:, None]) & (dense > -np.inf))
        rows.append(row + start)
        items.append(item)
        scores.append(dense[row, item])
        del dense
    return _Scores(np.concatenate(rows), np.concatenate(items), np.concatenate(scores))


@dataclass(frozen=True)
class _Promoted:
    """Each segment's promote list as codes: ``segments`` (names), ``ranked`` (customers
    standing for segments)."""

    segments: pd.Index
    ranked: _Ranked

    def frame(self, products: pd.Index, descriptions: pd.Series) -> pd.DataFrame:
        """``segment, rank, stock_code, description, score``; segments named only."""
        frame = self.ranked.frame(self.segments, products).rename(columns={CUSTOMER_ID: "segment"})
        frame[DESCRIPTION] = descriptions.astype("str").to_numpy()[self.ranked.items]
        frame = frame[frame["segment"] != ""]
        return frame[list(PROMOTE_COLUMNS)].reset_index(drop=True)


def _promote(found: _Ranked, pairs: _Pairs, member: pd.Series, top: int) -> _Promoted:
    """Each segment's ``top`` products most often in its customers' discover lists, scored
    by the share of the segment's customers whose list holds it."""
    segments = pd.Index(sorted(set(member)))
    of_customer = segments.get_indexer(member.reindex(pairs.customers).fillna(""))
    segment = of_customer[found.customers]
    width = len(pairs.code_order)
    counts = np.bincount(segment * width + found.items, minlength=len(segments) * width)
    sizes = np.bincount(segments.get_indexer(member), minlength=len(segments))
    listed = np.flatnonzero(counts)
    groups, items = listed // width, listed % width
    shares = counts[listed] / sizes[groups]
    return _Promoted(segments, _Ranked.best(groups, items, shares, pairs.code_order, top))


def _fallback(
    everyone: pd.Index,
    found: _Ranked,
    pairs: _Pairs,
    member: pd.Series,
    promote: _Promoted,
    top: int,
) -> _Ranked:
    """The discover lists of the customers EASE gave none: their segment's promote list
    less what they bought (customers as positions in ``everyone``)."""
    at = everyone.get_indexer(pairs.customers)
    waiting = np.ones(len(everyone), dtype=bool)
    waiting[at[np.unique(found.customers)]] = False
    customers = np.flatnonzero(waiting)
    segment = promote.segments.get_indexer(member.iloc[customers])
    offers = promote.ranked
    starts = np.searchsorted(offers.customers, segment)
    counts = np.searchsorted(offers.customers, segment, side="right") - starts
    customers = np.repeat(customers, counts)
    picks = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(counts.sum())
    items = offers.items[picks]
    width = len(pairs.code_order)
    mine = waiting[at[pairs.customer]]
    owned = at[pairs.customer[mine]] * width + pairs.item[mine]
    keep = ~np.isin(customers * width + items, owned)
    ranked = (customers[keep], items[keep], offers.scores[picks][keep])
    return _Ranked.best(*ranked, pairs.code_order, top)
