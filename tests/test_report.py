"""The HTML segment report: figures add up, charts are inline SVG, data values are escaped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.report import ReportError, build_report, segment_table


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
    )
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;.csv" in text
    assert "Buy &lt;b&gt;often&lt;/b&gt;" in text
    assert "Lost &amp; gone" in text
    assert "&quot;offers&quot;" in text


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
