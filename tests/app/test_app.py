"""The Streamlit app through AppTest: every page, the sidebar, uploads, errors and downloads."""

from __future__ import annotations

import io
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.navigation import PAGES, SECTIONS
from segmentation.demo import DEMO_TRANSACTIONS
from segmentation.segments.segment import segment_customers
from segmentation.transactions.cleaning import CleaningOptions
from segmentation.transactions.pipeline import run_features
from tests.app.rendered import story_table
from tests.samples import ONLINE_RETAIL, ROOT

APP = str(ROOT / "streamlit_app.py")
REAL = ONLINE_RETAIL
TIMEOUT = 180
DATA_PAGES, EXPLORE_PAGES, SEGMENT_PAGES, FORWARD_PAGES = (
    [page.path for page in SECTIONS[section]]
    for section in ("Data", "Explore", "Segment", "Looking forward")
)
TITLES = {page.path: page.page_heading for page in PAGES}
SMALL_CSV = (
    b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    b"536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26,2.55,17850,United Kingdom\n"
    b"536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28,1.85,17850,United Kingdom\n"
    b"536367,84879,ASSORTED COLOUR BIRD,32,2010-12-01 08:34,1.69,13047,France\n"
    b"536368,22960,JAM MAKING SET,6,2010-12-02 08:34,4.25,13047,France\n"
    b"536369,21756,BATH BUILDING BLOCK,3,2010-12-03 08:35,5.95,12583,EIRE\n"
)
ODD_CSV = (
    b"Bon,Artikel,Menge,Zeitpunkt,Preis,Kunde\n"
    b"1,A,2,2024-01-01 10:00,3.5,k1\n"
    b"2,B,1,2024-01-02 11:00,10,k2\n"
    b"3,A,4,2024-02-03 12:00,3.5,k1\n"
)


def demo_customers() -> pd.DataFrame:
    """The customer table of the demo data with default cleaning."""
    return run_features(DEMO_TRANSACTIONS).customers


def open_app(page: str | None = None) -> AppTest:
    """The app after a first run, switched to ``page`` and run again."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_metrics(summary: dict) -> dict[str, str]:
    return {
        "Customers": f"{summary['customers']:,}",
        "Orders": f"{summary['orders']:,}",
        "Revenue": f"£{summary['revenue']:,.0f}",
        "Period": f"{summary['first_date'][:10]} – {summary['last_date'][:10]}",
        "Countries": f"{summary['countries']:,}",
    }


@pytest.mark.parametrize("page", list(TITLES))
def test_every_page_opens_on_the_demo_data(page: str) -> None:
    at = open_app(page)
    assert at.title[0].value == TITLES[page]
    assert any("demo data" in i.value for i in at.info), (at.info, at.error, at.radio)
    assert not at.error
    if page in [*EXPLORE_PAGES, *SEGMENT_PAGES, *FORWARD_PAGES, "pages/data/cleaning.py"]:
        assert at.get("vega_lite_chart"), "charts are drawn"


def test_overview_figures_are_the_pipeline_summary() -> None:
    at = open_app()
    assert metrics(at) == expected_metrics(run_features(DEMO_TRANSACTIONS).summary())
    assert len(at.get("page_link")) == len(PAGES) - 1


def test_overview_tells_the_segments_story() -> None:
    at = open_app()
    expected = segment_customers(demo_customers()).profiles.table
    table = story_table(at)
    assert table.index.tolist() == expected["segment"].tolist()
    assert table["Revenue share"].tolist() == [f"{s:.1%}" for s in expected["revenue_share"]]
    assert table["What to do"].tolist() == expected["action"].tolist()
    best = expected.iloc[0]
    story = next(m.value for m in at.markdown if m.value.startswith("**"))
    assert f"are {best['customer_share']:.0%} of the customers" in story
    assert f"bring {best['revenue_share']:.0%} of the revenue" in story


def account(at: AppTest) -> str:
    """The row-account sentence of the Cleaning page."""
    return next(m.value for m in at.markdown if "** kept + **" in m.value)


def test_cleaning_toggle_changes_the_account() -> None:
    at = open_app("pages/data/cleaning.py")
    before = account(at)
    at.toggle(key="step_duplicates").set_value(False).run()
    assert account(at) != before and account(at).endswith("✓")
    at.switch_page("pages/data/overview.py").run()
    expected = run_features(DEMO_TRANSACTIONS, cleaning=CleaningOptions(duplicates=False))
    assert metrics(at) == expected_metrics(expected.summary())


def test_toggles_keep_their_value_across_pages() -> None:
    at = open_app("pages/data/cleaning.py")
    at.toggle(key="step_non_product").set_value(True).run()
    at.switch_page("pages/explore/univariate.py").run()
    at.switch_page("pages/data/cleaning.py").run()
    assert at.toggle(key="step_non_product").value is True


def test_snapshot_date_after_the_data_and_before_it() -> None:
    at = open_app()
    at.date_input(key="snapshot").set_value(date(2025, 6, 30)).run()
    assert not at.exception and not at.error
    assert any("2025-06-30 00:00" in c.value for c in at.caption)
    at.date_input(key="snapshot").set_value(date(2024, 1, 1)).run()
    assert not at.exception
    assert at.error and "snapshot date" in at.error[0].value
    assert (
        metrics(at)["Customers"]
        == expected_metrics(run_features(DEMO_TRANSACTIONS).summary())["Customers"]
    )


@pytest.mark.parametrize("page", EXPLORE_PAGES)
def test_explore_controls_by_key(page: str) -> None:
    at = open_app(page)
    if page.endswith("univariate.py"):
        for variable in ("total_purchase", "recency", "frequency", "monetary"):
            at.selectbox(key="explore_variable").set_value(variable).run()
            for view in ("log", "all", "middle"):
                at.segmented_control(key=f"explore_view_{variable}").set_value(view).run()
                assert not at.exception
        assert "skew" in at.markdown[0].value
    elif page.endswith("bivariate.py"):
        at.selectbox(key="explore_x").set_value("recency").run()
        at.toggle(key="explore_log_axes").set_value(True).run()
        assert len(at.get("vega_lite_chart")) == 6
    elif page.endswith("products.py"):
        at.text_input(key="products_search").set_value("cushion").run()
        found = at.dataframe[0].value
        assert len(found) and found["description"].str.contains("CUSHION").all()
    else:
        for region in ("all", "uk", "abroad"):
            at.radio(key="explore_region").set_value(region).run()
            at.radio(key="explore_measure").set_value("revenue").run()
            assert not at.exception
        assert any("Channel Islands" in c.value for c in at.caption)
    assert not at.exception and not at.error


def test_upload_of_a_good_file_replaces_the_demo() -> None:
    at = open_app("pages/data/data.py")
    at.file_uploader(key="uploader").set_value(("small.csv", SMALL_CSV, "text/csv")).run()
    assert not at.exception and not at.error
    assert at.radio(key="source_choice").value == "upload"
    assert not any("demo data" in i.value for i in at.info)
    at.switch_page("pages/data/overview.py").run()
    assert metrics(at) == expected_metrics(run_features(SMALL_CSV, name="small.csv").summary())


def test_upload_of_a_bad_file_shows_one_sentence_and_keeps_the_data() -> None:
    at = open_app("pages/data/data.py")
    at.file_uploader(key="uploader").set_value(("small.csv", SMALL_CSV, "text/csv")).run()
    at.file_uploader(key="uploader").set_value(("broken.xlsx", b"PK\x03\x04junk", "app")).run()
    assert not at.exception
    assert len(at.error) == 1 and "broken.xlsx" in at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert at.radio(key="source_choice").value == "upload"
    assert any(s.value == "small.csv" for s in at.subheader)


def test_upload_with_unknown_columns_can_be_mapped_by_hand() -> None:
    at = open_app("pages/data/data.py")
    at.file_uploader(key="uploader").set_value(("odd.csv", ODD_CSV, "text/csv")).run()
    assert at.error and "odd.csv" in at.error[0].value
    assert at.radio(key="source_choice").value == "demo"
    for canonical, column in {
        "invoice_no": "Bon",
        "stock_code": "Artikel",
        "quantity": "Menge",
        "invoice_date": "Zeitpunkt",
        "unit_price": "Preis",
        "customer_id": "Kunde",
    }.items():
        at.selectbox(key=f"pending_map_{canonical}").set_value(column)
    at.button(key="pending_apply_mapping").click().run()
    assert not at.exception
    assert at.radio(key="source_choice").value == "upload"
    assert any(s.value == "odd.csv" for s in at.subheader)
    assert not at.error


def test_missing_configured_file_falls_back_to_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SEGMENTATION_DATA", str(tmp_path / "nowhere.parquet"))
    at = open_app("pages/data/data.py")
    assert at.error and "SEGMENTATION_DATA" in at.error[0].value
    assert at.radio(key="source_choice").value == "demo"


def test_configured_file_is_used_instead_of_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "shop.csv"
    path.write_bytes(SMALL_CSV)
    monkeypatch.setenv("SEGMENTATION_DATA", str(path))
    at = open_app()
    assert at.radio(key="source_choice").value == "configured"
    assert metrics(at) == expected_metrics(run_features(path).summary())


@pytest.mark.real
def test_every_page_opens_on_the_real_data(monkeypatch: pytest.MonkeyPatch) -> None:
    if not REAL.is_file():
        pytest.skip(f"real data {REAL.name} not found")
    monkeypatch.setenv("SEGMENTATION_DATA", str(REAL))
    at = open_app()
    assert metrics(at) == expected_metrics(run_features(REAL).summary())
    for page in [*DATA_PAGES, *EXPLORE_PAGES, *SEGMENT_PAGES, *FORWARD_PAGES]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        assert at.title[0].value == TITLES[page]


def workbook(sheets: dict[str, bytes]) -> bytes:
    """An .xlsx file with one sheet per CSV text."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        for name, text in sheets.items():
            pd.read_csv(io.BytesIO(text), dtype=str).to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def test_workbook_sheets_can_be_picked() -> None:
    lines = SMALL_CSV.decode().splitlines(keepends=True)
    book = workbook(
        {
            "2010": "".join(lines[:4]).encode(),
            "2011": "".join([lines[0], *lines[4:]]).encode(),
        }
    )
    at = open_app("pages/data/data.py")
    at.file_uploader(key="uploader").set_value(("shop.xlsx", book, "application/vnd.ms-excel"))
    at.run()
    assert not at.exception and not at.error
    rows_read = at.dataframe[0].value.set_index("File").loc["Rows read", "Read as"]
    assert rows_read == "5"
    at.selectbox(key="sheet_picker").set_value("2011").run()
    assert not at.exception and not at.error
    assert at.dataframe[0].value.set_index("File").loc["Rows read", "Read as"] == "2"


def test_clustering_controls_by_key() -> None:
    at = open_app("pages/segment/clustering.py")
    assert metrics(at)["Clusters"] == str(segment_customers(demo_customers()).k)
    at.selectbox(key="cluster_method").set_value("agglomerative")
    at.toggle(key="cluster_auto_k").set_value(False)
    at.slider(key="cluster_k").set_value(3)
    at.button(key="run_clustering").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Clusters"] == "3"
    assert metrics(at)["Method"] == "Agglomerative (hierarchical)"
    assert "3 clusters, as requested" in at.info[-1].value
    at.switch_page("pages/segment/profiles.py").run()
    assert not at.exception
    assert sum(m.label == "Customers" for m in at.metric) == 3


def test_profiles_rename_is_kept_across_pages() -> None:
    at = open_app("pages/segment/profiles.py")
    at.text_input(key="label_0").set_value("Best <b>friends</b>").run()
    assert not at.exception
    assert any(m.value == r"**Best \<b\>friends\</b\>**" for m in at.markdown)
    at.switch_page("pages/explore/demographics.py").run()
    assert any(s.value == "Segment mix per country" for s in at.subheader)
    at.switch_page("pages/segment/profiles.py").run()
    assert at.text_input(key="label_0").value == "Best <b>friends</b>"
    at.text_input(key="label_1").set_value("Best <b>friends</b>").run()
    assert any(m.value == r"**Best \<b\>friends\</b\> (1)**" for m in at.markdown)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Customers with segments (CSV)", "Segment report (HTML)"]


def test_profiles_show_the_score_cut_points_in_days_orders_and_pounds() -> None:
    at = open_app("pages/segment/profiles.py")
    assert any(m.value == "**RFM score cut points**" for m in at.markdown)
    tables = [d.value for d in at.dataframe if "F: orders" in d.value.index]
    assert len(tables) == 1
    bounds = tables[0]
    assert bounds.columns.tolist() == ["1", "2", "3", "4", "5"]
    # Worked out from the customers: R 3 covers whole days from the 40th percentile of
    # recency (a cut point at or below gives a lower R) to just below the 60th.
    customers = demo_customers()
    r40, r60 = np.quantile(customers["recency"], [0.4, 0.6])
    r3 = f"{math.ceil(r40)}–{math.ceil(r60) - 1}"
    assert bounds.loc["R: days since the last purchase", "3"] == r3
    f80 = np.quantile(customers["frequency"], 0.8)
    assert bounds.loc["F: orders", "5"] == f"{math.floor(f80) + 1} or more"
    m20 = np.quantile(customers["monetary"], 0.2)
    assert bounds.loc["M: spend", "1"] == f"up to £{m20:,.0f}"
    assert any(f"R3 stands for {r3} days" in c.value for c in at.caption)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 3 customers
def test_tiny_data_clusters_and_too_large_k_is_one_error_sentence() -> None:
    at = open_app("pages/data/data.py")
    at.file_uploader(key="uploader").set_value(("small.csv", SMALL_CSV, "text/csv")).run()
    for page in SEGMENT_PAGES:
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error
    at.switch_page("pages/segment/clustering.py").run()
    at.toggle(key="cluster_auto_k").set_value(False)
    at.slider(key="cluster_k").set_value(10)
    at.button(key="run_clustering").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "Traceback" not in at.error[0].value
