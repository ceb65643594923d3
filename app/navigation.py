"""Every page of the app, by section of the menu: the router builds the menu from it, the
Overview links to it, and the tests and benchmarks visit it.

A page lives in ``pages/<section>/<page>.py``; its address also has a stand-in,
``pages/<url path>.py``, that runs the router (see ``app/first_visit.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageEntry:
    """One page: its file, the title of its menu entry and heading, its Material icon, its
    address (empty for the first page) and one line on what it shows."""

    path: str
    title: str
    icon: str
    url_path: str
    blurb: str
    heading: str = ""

    @property
    def page_heading(self) -> str:
        """The title the page shows at its top."""
        return self.heading or self.title


SECTIONS: dict[str, list[PageEntry]] = {
    "Data": [
        PageEntry(
            "pages/data/overview.py",
            "Overview",
            ":material/home:",
            "",
            "Overview: the headline figures of the current data",
            heading="Customer segmentation",
        ),
        PageEntry(
            "pages/data/data.py",
            "Data",
            ":material/upload_file:",
            "data",
            "Data: load a file, check the column mapping and a preview",
        ),
        PageEntry(
            "pages/data/cleaning.py",
            "Cleaning",
            ":material/cleaning_services:",
            "cleaning",
            "Cleaning: switch cleaning steps and see what each removes",
        ),
    ],
    "Explore": [
        PageEntry(
            "pages/explore/univariate.py",
            "Univariate",
            ":material/bar_chart:",
            "univariate",
            "Univariate: the distribution of line totals and of R, F and M",
        ),
        PageEntry(
            "pages/explore/bivariate.py",
            "Bivariate",
            ":material/scatter_plot:",
            "bivariate",
            "Bivariate: RFM pairs, correlations and activity by month",
        ),
        PageEntry(
            "pages/explore/demographics.py",
            "Demographics",
            ":material/public:",
            "demographics",
            "Demographics: customers and revenue by country on a map",
        ),
        PageEntry(
            "pages/explore/products.py",
            "Products",
            ":material/inventory_2:",
            "products",
            "Products: the catalogue, its categories and how few products bring most revenue",
        ),
    ],
    "Segment": [
        PageEntry(
            "pages/segment/clustering.py",
            "Clustering",
            ":material/hub:",
            "clustering",
            "Clustering: choose features and k, check the quality",
        ),
        PageEntry(
            "pages/segment/profiles.py",
            "Profiles",
            ":material/badge:",
            "profiles",
            "Profiles: the segments, their charts and downloads",
        ),
    ],
    "Looking forward": [
        PageEntry(
            "pages/forward/value.py",
            "Value and risk",
            ":material/trending_up:",
            "value",
            "Value and risk: what each segment is worth next, who is slipping away, and the "
            "proof on held-out months",
        ),
        PageEntry(
            "pages/forward/movement.py",
            "Movement",
            ":material/swap_horiz:",
            "movement",
            "Movement: who moved between segments since an earlier date, and what it is worth",
        ),
        PageEntry(
            "pages/forward/offer.py",
            "What to offer",
            ":material/redeem:",
            "offer",
            "What to offer: each segment's categories and products, every customer's lists, "
            "and the proof on held-out days",
        ),
    ],
}
#: Every page in menu order.
PAGES: list[PageEntry] = [page for pages in SECTIONS.values() for page in pages]
