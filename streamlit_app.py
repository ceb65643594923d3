"""Customer segmentation app: the router with the pages and the sidebar shared by all of them.

Run with ``streamlit run streamlit_app.py``.

The page files live in ``app_pages/``, not ``pages/``: Streamlit treats a ``pages/`` folder
beside the main script as an old-style multipage app until ``st.navigation`` has run once,
so on a fresh server a first visit straight to ``/data`` would show that page without this
router (no sidebar, no banner), and ``AppTest.switch_page`` would skip the router entirely.
"""

import streamlit as st

import ui

st.set_page_config(
    page_title="Customer segmentation",
    # An emoji favicon is drawn in the page; a Material one is fetched from fonts.gstatic.com
    # on every visit, which tells a third party about each visitor (and fails offline).
    page_icon="👥",
    layout="wide",
)

PAGES = {
    "Data": [
        st.Page("app_pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
        st.Page(
            "app_pages/cleaning.py",
            title="Cleaning",
            icon=":material/cleaning_services:",
            url_path="cleaning",
        ),
    ],
    "Explore": [
        st.Page(
            "app_pages/univariate.py",
            title="Univariate",
            icon=":material/bar_chart:",
            url_path="univariate",
        ),
        st.Page(
            "app_pages/bivariate.py",
            title="Bivariate",
            icon=":material/scatter_plot:",
            url_path="bivariate",
        ),
        st.Page(
            "app_pages/demographics.py",
            title="Demographics",
            icon=":material/public:",
            url_path="demographics",
        ),
    ],
    "Segment": [
        st.Page(
            "app_pages/clustering.py",
            title="Clustering",
            icon=":material/hub:",
            url_path="clustering",
        ),
        st.Page(
            "app_pages/profiles.py",
            title="Profiles",
            icon=":material/badge:",
            url_path="profiles",
        ),
    ],
}

page = st.navigation(PAGES)
ui.keep_widget_state()
ui.sidebar()
ui.banner()
page.run()
