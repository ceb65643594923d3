"""The embedded demo data set: committed files, layout, dirt, planted cluster structure and
planted product kinds, tastes and re-buying."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from segmentation.demo import (
    DEFAULT_SHARES,
    DEMO_GROUPS,
    DEMO_PRODUCTS,
    DEMO_TRANSACTIONS,
    KINDS,
    PLANTED_GROUPS,
    TASTES,
    demo_products,
    generate_demo,
    write_demo,
)
from segmentation.errors import DataError
from tests.samples import classic_clean_lines

COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
NON_PRODUCT_CODES = {"POST", "DOT", "M", "BANK CHARGES"}
NAMED_COUNTRIES = {
    "United Kingdom",
    "EIRE",
    "Channel Islands",
    "RSA",
    "USA",
    "European Community",
    "Unspecified",
    "Germany",
    "France",
    "Spain",
    "Netherlands",
    "Belgium",
    "Switzerland",
    "Portugal",
    "Australia",
    "Norway",
    "Italy",
    "Finland",
    "Sweden",
    "Austria",
    "Denmark",
    "Japan",
    "Poland",
}


@pytest.fixture(scope="module")
def text() -> str:
    """The committed transaction file, decompressed."""
    return gzip.decompress(DEMO_TRANSACTIONS.read_bytes()).decode("utf-8")


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The committed transaction file as written: every field as text, empty fields kept."""
    return pd.read_csv(DEMO_TRANSACTIONS, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def transactions(raw: pd.DataFrame) -> pd.DataFrame:
    """The committed transactions with numbers, dates and missing customer ids parsed."""
    return raw.assign(
        Quantity=raw["Quantity"].astype(np.int64),
        InvoiceDate=pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M"),
        UnitPrice=raw["UnitPrice"].astype(float),
        CustomerID=raw["CustomerID"].replace("", np.nan),
    )


@pytest.fixture(scope="module")
def groups() -> pd.Series:
    """The planted group of every customer, indexed by customer id text."""
    return pd.read_csv(DEMO_GROUPS, dtype=str).set_index("customer_id")["group"]


@pytest.fixture(scope="module")
def products() -> pd.DataFrame:
    """The committed kind of every demo product."""
    return pd.read_csv(DEMO_PRODUCTS, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def product_lines(
    transactions: pd.DataFrame, products: pd.DataFrame, groups: pd.Series
) -> pd.DataFrame:
    """The classically cleaned product lines with their amount, kind and planted group."""
    clean = classic_clean_lines(transactions)
    clean = clean[~clean["StockCode"].isin(NON_PRODUCT_CODES)]
    kind = products.set_index("stock_code")["kind"]
    return clean.assign(
        amount=clean["Quantity"] * clean["UnitPrice"],
        kind=clean["StockCode"].map(kind),
        group=clean["CustomerID"].map(groups),
    )


@pytest.fixture(scope="module")
def rfm(transactions: pd.DataFrame) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer after the classic cleaning."""
    clean = classic_clean_lines(transactions)
    snapshot = clean["InvoiceDate"].max() + pd.Timedelta(days=1)
    clean = clean.assign(amount=clean["Quantity"] * clean["UnitPrice"])
    customer = clean.groupby("CustomerID")
    return pd.DataFrame(
        {
            "recency": (snapshot - customer["InvoiceDate"].max()).dt.days,
            "frequency": customer["InvoiceNo"].nunique(),
            "monetary": customer["amount"].sum(),
        }
    )


@pytest.fixture(scope="module")
def scaled(rfm: pd.DataFrame) -> np.ndarray:
    return StandardScaler().fit_transform(np.log1p(rfm))


def test_committed_files_equal_a_fresh_generation(tmp_path, text: str) -> None:
    transactions_path, groups_path, products_path = write_demo(tmp_path / "fresh")
    assert gzip.decompress(transactions_path.read_bytes()).decode("utf-8") == text
    assert groups_path.read_bytes() == DEMO_GROUPS.read_bytes()
    assert products_path.read_bytes() == DEMO_PRODUCTS.read_bytes()
    assert DEMO_TRANSACTIONS.read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime


def test_read_back_equals_the_generated_frames(transactions: pd.DataFrame, groups) -> None:
    generated, planted = generate_demo()
    pd.testing.assert_frame_equal(transactions, generated, check_dtype=False, check_exact=True)
    assert planted["customer_id"].tolist() == groups.index.tolist()
    assert planted["group"].tolist() == groups.tolist()


def test_files_are_small() -> None:
    assert DEMO_TRANSACTIONS.stat().st_size < 1_500_000
    assert DEMO_GROUPS.stat().st_size < 100_000
    assert DEMO_PRODUCTS.stat().st_size < 50_000


def test_layout(text: str, raw: pd.DataFrame, transactions: pd.DataFrame) -> None:
    assert text.startswith(",".join(COLUMNS) + "\n")
    assert list(raw.columns) == COLUMNS
    assert raw["InvoiceNo"].str.fullmatch(r"C?\d{6}").all()
    assert raw["InvoiceDate"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    assert raw["CustomerID"].str.fullmatch(r"(1[2-9]\d{3})?").all()  # 5 digits or empty
    assert raw["Quantity"].str.fullmatch(r"-?\d+").all()
    hours = transactions["InvoiceDate"].dt.hour
    assert hours.between(7, 19).all()
    products = transactions[~transactions["StockCode"].isin(NON_PRODUCT_CODES)]
    assert products["StockCode"].str.fullmatch(r"\d{5}[A-Z]?").all()
    assert (products["Description"] == products["Description"].str.upper()).all()
    assert 200 <= products["StockCode"].nunique() <= 600
    prices = products.loc[products["UnitPrice"] > 0, "UnitPrice"]
    assert prices.between(0.3, 40).all()
    assert prices.median() < 3 < prices.quantile(0.95)  # heavy right tail


def test_size_span_and_countries(transactions: pd.DataFrame, groups: pd.Series) -> None:
    known = transactions[transactions["CustomerID"].notna()]
    assert 2000 <= known["CustomerID"].nunique() <= 5000
    assert set(known["CustomerID"]) == set(groups.index)
    dates = transactions["InvoiceDate"]
    assert dates.min() >= pd.Timestamp("2023-12-01")
    assert dates.max().normalize() == known["InvoiceDate"].max().normalize()
    assert dates.dt.to_period("M").nunique() == 13
    country = known.groupby("CustomerID")["Country"].agg(["first", "nunique"])
    assert (country["nunique"] == 1).all()
    assert country["first"].nunique() >= 20
    assert set(country["first"]) >= NAMED_COUNTRIES
    assert 0.8 <= (country["first"] == "United Kingdom").mean() <= 0.9


def test_christmas_peak(transactions: pd.DataFrame) -> None:
    invoices = transactions.drop_duplicates("InvoiceNo")
    per_month = invoices.groupby(invoices["InvoiceDate"].dt.to_period("M")).size()
    autumn = per_month[[pd.Period(f"2024-{month}", "M") for month in (9, 10, 11)]]
    spring_summer = per_month[[pd.Period(f"2024-{month}", "M") for month in range(1, 9)]]
    assert autumn.mean() > 1.3 * spring_summer.mean()


def test_planted_group_sizes(groups: pd.Series) -> None:
    assert set(groups) == set(PLANTED_GROUPS)
    share = groups.value_counts(normalize=True)
    expected = {"champions": 0.08, "loyal": 0.22, "new": 0.20, "at_risk": 0.20, "lost": 0.30}
    assert expected == DEFAULT_SHARES
    for group, fraction in expected.items():
        assert share[group] == pytest.approx(fraction, abs=0.01)


def test_planted_shares_can_be_chosen() -> None:
    shares = {"lost": 0.5, "at_risk": 0.3, "loyal": 0.1, "new": 0.1}
    transactions, groups = generate_demo(seed=5, customers=401, shares=shares)
    counts = groups["group"].value_counts().to_dict()
    # 401 x (0.5, 0.3, 0.1, 0.1) = 200.5, 120.3, 40.1, 40.1: the one left over goes to lost.
    assert counts == {"lost": 201, "at_risk": 120, "loyal": 40, "new": 40}
    assert set(transactions["CustomerID"].dropna()) == set(groups["customer_id"])
    last = transactions.groupby("CustomerID")["InvoiceDate"].max()
    recency = (transactions["InvoiceDate"].max() - last).dt.days
    lost = groups.loc[groups["group"] == "lost", "customer_id"]
    assert recency[lost].min() >= 200


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({"vip": 1.0}, "no planted group 'vip'"),
        ({"lost": 0.5, "new": 0.4}, "add up to 1"),
        ({"lost": 1.5, "new": -0.5}, "zero or more"),
    ],
)
def test_unreasonable_shares_are_refused(shares: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        generate_demo(customers=200, shares=shares)


def test_every_kind_of_dirt_is_present(transactions: pd.DataFrame) -> None:
    rows = len(transactions)
    guest = transactions["CustomerID"].isna()
    assert 0.03 < guest.mean() < 0.07
    guest_share = guest.groupby(transactions["InvoiceNo"]).mean()
    assert guest_share.isin([0.0, 1.0]).all()  # guest orders have invoices of their own
    assert 0.005 * rows < transactions.duplicated().sum() < 0.02 * rows
    assert (transactions["UnitPrice"] == 0).sum() > 0
    assert (transactions["UnitPrice"] == 0).mean() < 0.01
    codes = set(transactions["StockCode"])
    assert codes >= NON_PRODUCT_CODES
    described = transactions.drop_duplicates("StockCode").set_index("StockCode")["Description"]
    assert described["POST"] == "POSTAGE"
    assert described["DOT"] == "DOTCOM POSTAGE"


def test_cancellations_mirror_an_earlier_purchase(transactions: pd.DataFrame) -> None:
    cancelled = transactions["InvoiceNo"].str.startswith("C")
    assert 0.01 < cancelled.mean() < 0.02
    cancels = transactions[cancelled]
    assert (cancels["Quantity"] < 0).all()
    assert cancels["CustomerID"].notna().all()
    assert (transactions.loc[~cancelled, "Quantity"] > 0).all()
    key = ["CustomerID", "StockCode", "amount"]
    purchases = transactions[~cancelled].assign(amount=transactions["Quantity"])
    matches = (
        cancels.assign(amount=-cancels["Quantity"])
        .reset_index()
        .merge(purchases, on=key, suffixes=("", "_purchase"))
    )
    earlier = matches[matches["InvoiceDate_purchase"] < matches["InvoiceDate"]]
    assert set(earlier["index"]) == set(cancels.index)


def test_planted_groups_read_naturally(rfm: pd.DataFrame, groups: pd.Series) -> None:
    median = rfm.groupby(groups.reindex(rfm.index)).median()
    assert median["recency"].idxmin() == "champions"
    assert median["frequency"].idxmax() == "champions"
    assert median["monetary"].idxmax() == "champions"
    assert median["recency"].idxmax() == "lost"
    assert (rfm.loc[groups.reindex(rfm.index) == "lost", "frequency"] == 1).all()
    assert median.loc["champions", "monetary"] > 8000
    assert median.loc["at_risk", "recency"] > 120 > 40 > median.loc["loyal", "recency"]


def test_kmeans_finds_the_five_planted_groups(
    rfm: pd.DataFrame, scaled: np.ndarray, groups: pd.Series
) -> None:
    with threadpool_limits(1):  # OpenMP threads only slow such small fits down
        labels = {k: KMeans(k, n_init=10, random_state=0).fit_predict(scaled) for k in range(3, 11)}
    silhouette = {k: silhouette_score(scaled, labels[k]) for k in labels}
    calinski = {k: calinski_harabasz_score(scaled, labels[k]) for k in labels}
    assert max(silhouette, key=silhouette.get) == 5
    assert silhouette[5] - max(value for k, value in silhouette.items() if k != 5) > 0.03
    assert max(calinski, key=calinski.get) == 5
    assert adjusted_rand_score(groups.reindex(rfm.index), labels[5]) >= 0.95


def test_ward_finds_the_five_planted_groups(
    rfm: pd.DataFrame, scaled: np.ndarray, groups: pd.Series
) -> None:
    ward = AgglomerativeClustering(5, linkage="ward").fit_predict(scaled)
    assert adjusted_rand_score(groups.reindex(rfm.index), ward) >= 0.9


def test_generation_is_seeded() -> None:
    first, first_groups = generate_demo(seed=7, customers=300)
    again, again_groups = generate_demo(seed=7, customers=300)
    other, _ = generate_demo(seed=8, customers=300)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first_groups, again_groups)
    assert not first.equals(other)
    assert first_groups["customer_id"].nunique() == 300


def test_write_demo_is_byte_identical(tmp_path) -> None:
    first = write_demo(tmp_path / "a", seed=3, customers=200)
    second = write_demo(tmp_path / "b", seed=3, customers=200)
    for left, right in zip(first, second, strict=True):
        assert left.read_bytes() == right.read_bytes()


def test_kinds_are_named_by_their_item_words() -> None:
    assert 6 <= len(KINDS) <= 9
    assert all(len(items) >= 3 for items in KINDS.values())
    words = {
        kind: {word for item in items for word in item.split()} for kind, items in KINDS.items()
    }
    for kind, own in words.items():
        others = set().union(*(words[other] for other in words if other != kind))
        assert not own & others, kind  # no item word is shared by two kinds
    assert set(TASTES) == set(PLANTED_GROUPS)
    preferred = [kind for kinds in TASTES.values() for kind in kinds]
    assert set(preferred) <= set(KINDS)
    assert len(preferred) == len(set(preferred))  # no two groups share a taste
    assert all(1 <= len(kinds) <= 2 for kinds in TASTES.values())


def test_every_product_line_has_one_kind(
    transactions: pd.DataFrame, products: pd.DataFrame
) -> None:
    assert list(products.columns) == ["stock_code", "description", "kind"]
    assert products["stock_code"].is_unique
    assert products["stock_code"].tolist() == sorted(products["stock_code"])
    pd.testing.assert_frame_equal(products, demo_products())
    assert set(products["kind"]) == set(KINDS)
    for description, kind in zip(products["description"], products["kind"], strict=True):
        named = [
            name
            for name, items in KINDS.items()
            for item in items
            if description.endswith(f" {item}")
        ]
        assert named == [kind], description
    lines = transactions[~transactions["StockCode"].isin(NON_PRODUCT_CODES)]
    described = products.set_index("stock_code")["description"]
    assert lines["StockCode"].isin(described.index).all()
    assert (lines["Description"].to_numpy() == described[lines["StockCode"]].to_numpy()).all()
    assert set(lines["StockCode"]) == set(products["stock_code"])  # every product sells


def test_each_group_spends_most_on_its_taste(product_lines: pd.DataFrame) -> None:
    spend = product_lines.pivot_table(
        index="group", columns="kind", values="amount", aggfunc="sum", fill_value=0.0
    )
    share = spend.div(spend.sum(axis=1), axis=0)
    overall = spend.sum() / spend.to_numpy().sum()
    lift = share / overall
    for group, kinds in TASTES.items():
        top = lift.loc[group].sort_values(ascending=False)
        assert set(top.index[: len(kinds)]) == set(kinds), (group, top.round(2).to_dict())
        assert (top[list(kinds)] > 1.3).all(), (group, top.round(2).to_dict())
        lines = product_lines[product_lines["group"] == group]
        assert 0.45 < lines["kind"].isin(kinds).mean() < 0.7  # the rest by popularity


def test_repeat_customers_rebuy_products(product_lines: pd.DataFrame) -> None:
    first = product_lines.groupby(["CustomerID", "StockCode"])["InvoiceDate"].transform("min")
    orders = product_lines.groupby("CustomerID")["InvoiceNo"].transform("nunique")
    repeat = product_lines[orders > 1]
    rebought = repeat["InvoiceDate"] > first[orders > 1]
    assert 0.25 < rebought.mean() < 0.5
    rebuyers = rebought.groupby(repeat["CustomerID"]).any()
    assert rebuyers.mean() > 0.8
    loyal = repeat["group"].isin(["champions", "loyal", "at_risk"])
    assert rebought[loyal].groupby(repeat.loc[loyal, "CustomerID"]).any().mean() > 0.95


def test_baskets_hold_one_kind_more_often_than_by_chance(product_lines: pd.DataFrame) -> None:
    per_basket = product_lines.groupby(["InvoiceNo", "kind"]).size()
    lines = per_basket.groupby(level="InvoiceNo").sum()
    same_kind_pairs = (per_basket * (per_basket - 1) / 2).sum()
    pairs = (lines * (lines - 1) / 2).sum()
    chance = (product_lines["kind"].value_counts(normalize=True) ** 2).sum()
    assert same_kind_pairs / pairs > 1.5 * chance


def test_kinds_are_not_price_bands(product_lines: pd.DataFrame) -> None:
    price = product_lines.groupby("StockCode").agg(
        price=("UnitPrice", "median"), kind=("kind", "first")
    )
    log_price = np.log(price["price"])
    within = ((log_price - log_price.groupby(price["kind"]).transform("mean")) ** 2).sum()
    explained = 1 - within / ((log_price - log_price.mean()) ** 2).sum()
    assert explained < 0.5
    median = price["price"].median()
    spans = price.groupby("kind")["price"].agg(["min", "max"])
    assert (spans["min"] < median).all() and (spans["max"] > 2 * median).all()


@pytest.mark.parametrize("customers", [0, 99, 40_001])
def test_unreasonable_customer_counts_are_refused(customers: int) -> None:
    with pytest.raises(DataError, match="customers"):
        generate_demo(customers=customers)
