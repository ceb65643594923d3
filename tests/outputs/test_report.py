"""The HTML segment report: figures add up, charts are inline SVG, data values are escaped."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from segmentation.outputs.report import ReportError, build_report, segment_table
from tests.samples import HOSTILE_STRINGS


@pytest.fixture
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 90
    return pd.DataFrame(
        {
            "customer_id": [str(i) for i in range(n)],
            "recency": rng.integers(1, 300, n),
            "frequency": rng.integers(1, 30, n),
            "monetary": rng.lognormal(6, 1, n),
            "segment": np.repeat(["Champions", "<script>alert(1)</script>", "Lost & gone"], 30),
        }
    )


def test_segment_table_adds_up(customers: pd.DataFrame) -> None:
    table = segment_table(customers)
    assert table["customers"].sum() == len(customers)
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["revenue_share"].sum() == pytest.approx(1.0)
    assert list(table.index) == ["Champions", "<script>alert(1)</script>", "Lost & gone"]


def test_report_escapes_every_data_value(customers: pd.DataFrame) -> None:
    text = build_report(
        customers,
        descriptions={"Champions": "Buy <b>often</b>"},
        actions={"Lost & gone": "Win back with \"offers\" & 'mail'"},
        source="<img src=x onerror=alert(1)>.csv",
        offers={"<script>alert(1)</script>": "Offer <i>Candles</i>: 2.3x the average share."},
    )
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;.csv" in text
    assert "Buy &lt;b&gt;often&lt;/b&gt;" in text
    assert "Lost &amp; gone" in text
    assert "&quot;offers&quot;" in text
    assert "<p>Offer &lt;i&gt;Candles&lt;/i&gt;: 2.3x the average share.</p>" in text


def test_report_is_one_self_contained_file(customers: pd.DataFrame) -> None:
    text = build_report(customers, source="shop.csv", method="k-means, k = 3")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert text.count("<svg") == 3
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text
    assert f"{len(customers):,}" in text


def test_report_follows_the_given_order_and_colours(customers: pd.DataFrame) -> None:
    text = build_report(
        customers,
        order=["Lost & gone", "Champions", "<script>alert(1)</script>"],
        colours={"Champions": "#123456"},
    )
    assert text.index("Lost &amp; gone") < text.index("Champions")
    assert "#123456" in text


def test_report_needs_segments(customers: pd.DataFrame) -> None:
    with pytest.raises(ReportError, match="segment"):
        build_report(customers.drop(columns="segment"))
    with pytest.raises(ReportError, match="no customers"):
        build_report(customers.head(0))


class _Page(HTMLParser):
    """The elements (tag and attribute names) and the text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, [name for name, _ in attrs]))

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_text_everywhere_is_escaped_and_reads_as_itself(customers: pd.DataFrame) -> None:
    names = [h.strip() for h in HOSTILE_STRINGS[:3]]
    hostile = customers.assign(segment=np.repeat(names, 30))
    text = build_report(
        hostile,
        order=names,
        descriptions={n: HOSTILE_STRINGS[8] for n in names},
        actions={n: HOSTILE_STRINGS[9] for n in names},
        colours={names[0]: "red;}</style><script>alert(1)</script>", names[1]: "#123abc"},
        source=HOSTILE_STRINGS[0] + ".csv",
        method=HOSTILE_STRINGS[1],
    )
    for raw in HOSTILE_STRINGS[:2]:
        assert raw not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in text
    page = _Page()
    page.feed(text)
    tags = {tag for tag, _ in page.elements}
    assert tags.isdisjoint({"script", "img", "a", "iframe", "object", "link"})
    attributes = {a for _, names_ in page.elements for a in names_}
    assert not [a for a in attributes if a.startswith("on") or a in ("href", "src")]
    assert "--c:#123abc" in text and "--c:red" not in text
    shown = "".join(page.text)
    for raw in (*names, HOSTILE_STRINGS[8], HOSTILE_STRINGS[9]):
        assert raw in shown
    assert f"Source: {HOSTILE_STRINGS[0]}.csv · Method: {HOSTILE_STRINGS[1]}" in shown


def test_report_gives_each_segment_its_predicted_value_and_risk() -> None:
    from segmentation.transactions.features import customers_as_of
    from segmentation.value.forecast import forecast
    from tests.samples import simulated_purchases

    purchases = simulated_purchases(customers=300)
    customers = customers_as_of(purchases, purchases["invoice_date"].max()).customers
    names = np.where(customers["frequency"] > 3, "<b>Regulars</b>", "Lost & gone")
    customers = customers.assign(segment=names)
    labels = customers.set_index("customer_id")[["segment"]]
    result = forecast(purchases, segments=labels)
    value = result.segments["segment"]
    text = build_report(customers, forecast=result)
    assert "<b>Regulars</b>" not in text and "&lt;b&gt;Regulars&lt;/b&gt;" in text
    section = text[text.index("<h2>Value and risk</h2>") :]
    for name, row in value.iterrows():
        cells = (
            f"<td>{row['clv_total']:,.0f}</td><td>{row['clv_mean']:,.0f}</td>"
            f"<td>{row['likely_silent_share']:.1%}</td><td>{row['revenue_at_risk']:,.0f}</td>"
        )
        assert cells in section, name
    total = f"£{value['clv_total'].sum():,.0f}"
    assert f"{total}<span>Predicted value, next 365 days</span>" in text
    assert text.count("likely not to buy in the next 90 days, ") == len(value)  # the cards
    assert "Value and risk" not in build_report(customers)
