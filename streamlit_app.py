"""Customer segmentation app: the router with the pages and the sidebar shared by all of them.

Run with ``streamlit run streamlit_app.py``. The pages are listed in ``app/navigation.py``
and live in ``pages/<section>/``, one folder per section of the menu. The files directly in
``pages/`` are stand-ins that run this router on a fresh server's first visit straight to a
page's address (see ``app/first_visit.py``).
"""

import streamlit as st

from app.layout import banner, sidebar
from app.links import read_link, write_link
from app.navigation import SECTIONS
from app.session import keep_widget_state

st.set_page_config(
    page_title="Customer segmentation",
    # An emoji favicon is drawn in the page; a Material one is fetched from fonts.gstatic.com
    # on every visit, which tells a third party about each visitor (and fails offline).
    page_icon="👥",
    layout="wide",
)

page = st.navigation(
    {
        section: [
            st.Page(
                entry.path,
                title=entry.title,
                icon=entry.icon,
                url_path=entry.url_path or None,
                default=not entry.url_path,
            )
            for entry in entries
        ]
        for section, entries in SECTIONS.items()
    }
)
keep_widget_state()
read_link()
sidebar()
banner()
write_link()
page.run()
