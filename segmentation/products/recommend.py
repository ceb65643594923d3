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
:data:`MAX_EASE_PRODUCTS` products with the most buyers (three 4,000² matrices of 8
bytes: 384 MB at most); products beyond them are offered to buy again, not to discover.
Customers are scored in chunks of at most :data:`CHUNK_CELLS` scores, keeping each one's
top products only.

**Promote**: per segment, the products most often in its customers' discover lists; the
score is the share of the segment's customers whose list holds it. A customer with no
purchase of the fitted products (a new customer) gets their segment's promote list, less
what they bought, marked ``fallback``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.linalg import lapack

from segmentation.errors import ModelError
from segmentation.products.categories import purchase_matrix
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
MAX_EASE_PRODUCTS = 4000
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
        wide = lists.pivot(index=CUSTOMER_ID, columns="rank", values=[STOCK_CODE, DESCRIPTION])
        columns = {}
        for rank in range(1, top + 1):
            for value, name in ((STOCK_CODE, "product"), (DESCRIPTION, "description")):
                if (value, rank) in wide.columns:
                    columns[f"{name}_{rank}"] = wide[(value, rank)]
        frame = pd.DataFrame(columns, index=wide.index).reindex(sorted(members))
        return frame.rename_axis(CUSTOMER_ID).reset_index()


def recommend(
    customer_products: pd.DataFrame,
    catalogue: pd.DataFrame,
    segments: pd.Series,
    top: int = 10,
) -> Recommendations:
    """Buy-again and discover lists of ``top`` products for every customer of ``segments``
    (segment name per customer id) and of ``customer_products``, and each segment's
    promote list (see the module's description). Nothing passed in is modified."""
    pairs = customer_products[customer_products[STOCK_CODE].isin(catalogue[STOCK_CODE])]
    customers = pd.Index(
        sorted(set(pairs[CUSTOMER_ID]) | set(segments.index.astype("str"))), name=CUSTOMER_ID
    )
    names = catalogue.set_index(STOCK_CODE)[DESCRIPTION]
    again = buy_again(pairs, top)
    discover = discover_lists(pairs, customers, top)
    member = segments.astype("str").set_axis(segments.index.astype("str"))
    promote = promote_lists(discover, member.reindex(customers).fillna(""), top)
    fallback = _fallback(customers.difference(discover[CUSTOMER_ID]), pairs, member, promote, top)
    lists = pd.concat(
        [
            again.assign(kind=BUY_AGAIN, fallback=False),
            discover.assign(kind=DISCOVER, fallback=False),
            fallback.assign(kind=DISCOVER, fallback=True),
        ],
        ignore_index=True,
    )
    lists[DESCRIPTION] = lists[STOCK_CODE].map(names).astype("str")
    lists = lists.astype({"score": "float64", "rank": "int64", "fallback": "bool"})
    lists = lists.sort_values([CUSTOMER_ID, "kind", "rank"], kind="stable")
    promote[DESCRIPTION] = promote[STOCK_CODE].map(names).astype("str")
    promote = promote.astype({"score": "float64"})
    promote = promote[promote["segment"] != ""]
    return Recommendations(
        lists[list(LIST_COLUMNS)].reset_index(drop=True),
        promote[list(PROMOTE_COLUMNS)].reset_index(drop=True),
    )


def buy_again(customer_products: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Each customer's ``top`` products to buy again: ``customer_id, rank, stock_code,
    score`` (see the module's description)."""
    pairs = customer_products[[CUSTOMER_ID, STOCK_CODE, "orders"]]
    orders = pairs.groupby(CUSTOMER_ID, sort=False)["orders"].transform("max")
    repeaters = pairs[orders.to_numpy() >= 2]
    rate = (repeaters["orders"] >= 2).groupby(repeaters[STOCK_CODE]).mean()
    repurchase = pairs[STOCK_CODE].map(rate).fillna(0.0).to_numpy()
    score = (pairs["orders"].to_numpy() + REPURCHASE_PRIOR * repurchase) / (
        orders.to_numpy() + REPURCHASE_PRIOR
    )
    scored = pd.DataFrame(
        {CUSTOMER_ID: pairs[CUSTOMER_ID].to_numpy(), STOCK_CODE: pairs[STOCK_CODE].to_numpy()}
    )
    scored["score"] = score
    return _ranked(scored, top)


def discover_lists(
    customer_products: pd.DataFrame, customers: pd.Index, top: int = 10
) -> pd.DataFrame:
    """Each customer's ``top`` products by EASE score among the fitted products they have
    not bought: ``customer_id, rank, stock_code, score``. Customers who bought none of the
    fitted products get no rows."""
    buyers = customer_products.groupby(STOCK_CODE).size()
    buyers = buyers.sort_index().sort_values(ascending=False, kind="stable")
    head = buyers.index[:MAX_EASE_PRODUCTS]
    bought = purchase_matrix(customer_products, head)
    order = pd.Index(pd.unique(customer_products[CUSTOMER_ID]))
    weights = ease(bought)
    found = _top_scores(bought, lambda chunk: chunk @ weights, top)
    frame = pd.DataFrame(
        {
            CUSTOMER_ID: order[found.rows],
            STOCK_CODE: head[found.items],
            "score": found.scores,
        }
    )
    scored = (bought.getnnz(axis=1) > 0)[found.rows]  # who bought some fitted product
    frame = frame[scored & frame[CUSTOMER_ID].isin(customers).to_numpy()]
    return _ranked(frame, top)


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
    """The ``top`` highest of ``score(rows of bought)`` per row, bought products left out,
    computed :data:`CHUNK_CELLS` scores at a time."""
    n_rows, n_items = bought.shape
    keep = min(top, n_items)
    step = max(1, CHUNK_CELLS // max(n_items, 1))
    rows, items, scores = [], [], []
    for start in range(0, n_rows, step):
        chunk = bought[start : start + step]
        dense = np.array(score(chunk), dtype=np.float32)
        dense[chunk.nonzero()] = -np.inf
        best = np.argpartition(-dense, keep - 1, axis=1)[:, :keep] if keep else dense[:, :0]
        values = np.take_along_axis(dense, best, axis=1)
        finite = np.isfinite(values)
        rows.append((np.arange(len(dense))[:, None] + start).repeat(keep, axis=1)[finite])
        items.append(best[finite])
        scores.append(values[finite])
        del dense
    return _Scores(np.concatenate(rows), np.concatenate(items), np.concatenate(scores))


def popular_lists(customer_products: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Each customer's ``top`` products with the most buyers among those they have not
    bought (the baseline of discover): ``customer_id, rank, stock_code, score`` (buyers)."""
    buyers = customer_products.groupby(STOCK_CODE).size()
    products = buyers.sort_index().sort_values(ascending=False, kind="stable")
    products = products.index[: top + int(customer_products.groupby(CUSTOMER_ID).size().max())]
    bought = purchase_matrix(customer_products, products)
    counts = buyers[products].to_numpy(dtype=np.float32)
    found = _top_scores(bought, lambda chunk: np.tile(counts, (chunk.shape[0], 1)), top)
    order = pd.Index(pd.unique(customer_products[CUSTOMER_ID]))
    frame = pd.DataFrame(
        {
            CUSTOMER_ID: order[found.rows],
            STOCK_CODE: products[found.items],
            "score": found.scores,
        }
    )
    return _ranked(frame, top)


def promote_lists(discover: pd.DataFrame, segments: pd.Series, top: int = 10) -> pd.DataFrame:
    """Each segment's ``top`` products most often in its customers' discover lists:
    ``segment, rank, stock_code, score`` (the share of the segment's customers whose list
    holds it). ``segments``: segment per customer id."""
    sizes = segments.value_counts()
    lists = discover.assign(segment=discover[CUSTOMER_ID].map(segments).to_numpy())
    counts = lists.groupby(["segment", STOCK_CODE]).size().rename("count").reset_index()
    counts["score"] = counts["count"] / counts["segment"].map(sizes).to_numpy()
    counts = counts.rename(columns={"segment": CUSTOMER_ID})
    ranked = _ranked(counts[[CUSTOMER_ID, STOCK_CODE, "score"]], top)
    return ranked.rename(columns={CUSTOMER_ID: "segment"})


def _fallback(
    customers: pd.Index,
    pairs: pd.DataFrame,
    segments: pd.Series,
    promote: pd.DataFrame,
    top: int,
) -> pd.DataFrame:
    """The discover lists of ``customers``: their segment's promote list less what they
    bought (the promote list of all customers when they have no segment)."""
    if customers.empty:
        return pd.DataFrame(columns=[CUSTOMER_ID, "rank", STOCK_CODE, "score"])
    segment = segments.reindex(customers).fillna("").to_numpy()
    offers = pd.DataFrame({CUSTOMER_ID: customers.to_numpy(), "segment": segment}).merge(
        promote[["segment", STOCK_CODE, "score"]], on="segment"
    )
    owned = pairs[pairs[CUSTOMER_ID].isin(customers)][[CUSTOMER_ID, STOCK_CODE]]
    offers = offers.merge(owned, on=[CUSTOMER_ID, STOCK_CODE], how="left", indicator=True)
    offers = offers[offers["_merge"] == "left_only"]
    return _ranked(offers[[CUSTOMER_ID, STOCK_CODE, "score"]], top)


def _ranked(scored: pd.DataFrame, top: int) -> pd.DataFrame:
    """The ``top`` rows per customer by score (ties: stock code), with ``rank`` from 1."""
    ordered = scored.sort_values(
        [CUSTOMER_ID, "score", STOCK_CODE], ascending=[True, False, True], kind="stable"
    )
    ordered = ordered.groupby(CUSTOMER_ID, sort=False).head(top)
    ordered = ordered.assign(rank=ordered.groupby(CUSTOMER_ID, sort=False).cumcount() + 1)
    return ordered[[CUSTOMER_ID, "rank", STOCK_CODE, "score"]].reset_index(drop=True)
