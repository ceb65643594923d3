"""Every setting that shapes what a page shows: its session-state key, its parameter in a
shared link, its choices and its default.

Pages take their choices from here, and :mod:`app.links` writes the settings into the
page's address and reads them back from a link, checking each value against them. Nothing
here imports a model, so the first page stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date

from segmentation import choices
from segmentation.choices import (
    DEFAULT_FEATURES,
    HORIZON_DAYS,
    K_RANGE,
    LINKAGE_METHODS,
    MAX_DAYS,
    METHODS,
    RISK_DAYS,
    SCALERS,
    TRANSFORMS,
)
from segmentation.explore.exploration import VIEWS
from segmentation.schema import CUSTOMER_FEATURES, RFM_COLUMNS
from segmentation.transactions.cleaning import CleaningOptions

#: Univariate: the variables and their (label, unit), and how a distribution is drawn.
VARIABLES = {
    "total_purchase": ("Line total (£, one invoice line)", "£"),
    "recency": ("Recency (days since the last purchase)", ""),
    "frequency": ("Frequency (number of orders)", ""),
    "monetary": ("Monetary (£ spent per customer)", "£"),
}
#: Session-state key of the Univariate page's variable, and the one shown until chosen.
VARIABLE_KEY = "explore_variable"
DEFAULT_VARIABLE = next(iter(VARIABLES))
VIEW_LABELS = {"middle": "Middle 98 %", "log": "Log scale", "all": "Every value"}
#: Demographics: what the map shows and of which countries.
MEASURES = {
    "customers": ("Customers", ","),
    "revenue": ("Revenue (£)", ",.0f"),
    "avg_monetary": ("Average spend per customer (£)", ",.0f"),
}
REGIONS = {
    "abroad": "Rest of the world (without the UK)",
    "all": "Every country",
    "uk": "United Kingdom only",
}
METHOD_LABELS = {
    "kmeans": "k-means",
    "agglomerative": "Agglomerative (hierarchical)",
    "gmm": "Gaussian mixture",
}
#: Clustering controls and their defaults (session-state key -> value).
CLUSTER_DEFAULTS: dict[str, object] = {
    "cluster_features": list(DEFAULT_FEATURES),
    "cluster_transform": "log1p",
    "cluster_scaler": "standard",
    "cluster_method": "kmeans",
    "cluster_linkage": "ward",
    "cluster_auto_k": True,
    "cluster_k": 4,
}
#: Session-state key of the sidebar's snapshot date and of the data source picked.
SNAPSHOT_KEY = "snapshot"
SOURCE_KEY = "source_choice"
#: Movement: the two dates and the kind of segments compared.
MOVEMENT_FROM, MOVEMENT_TO, MOVEMENT_KIND = "movement_from", "movement_to", "movement_kind"
MOVEMENT_KINDS = dict(
    zip(
        choices.MOVEMENT_KINDS,
        ("RFM rule table", "Clusters (the Clustering page's options)"),
        strict=True,
    )
)
#: Value and risk: the forecast's settings (session-state key -> default); the calibration
#: end is a date, empty for the last HOLDOUT_DAYS days held out.
FORECAST_DEFAULTS: dict[str, object] = {
    "forecast_horizon": HORIZON_DAYS,
    "forecast_risk_days": RISK_DAYS,
    "forecast_discount": 0.0,
    "forecast_time_unit": "day",
}
CALIBRATION_KEY = "forecast_calibration_end"
#: Highest annual discount rate, in %; the labels of the time units.
MAX_DISCOUNT = 100.0
TIME_UNITS = dict(zip(choices.TIME_UNITS, ("Days", "Weeks"), strict=True))
#: What to offer: the kind of segments (one of :data:`MOVEMENT_KINDS`) and the calibration
#: end of the lists' backtest (empty: the last HOLDOUT_DAYS days held out).
OFFER_KIND, OFFER_CALIBRATION = "offer_kind", "offer_calibration_end"
#: Category names given in the session (position of the category -> name); a link carries
#: them as ``category<position>=<name>``.
CATEGORY_NAMES, CATEGORY_PARAM = "products_category_names", "category"
#: Longest segment name a link may carry.
MAX_NAME = 80
#: Segment names typed on the Profiles page: ``label_<cluster>``.
LABEL_PREFIX = "label_"


@dataclass(frozen=True)
class Setting:
    """One setting: the session-state ``key`` it lives in, the link ``param`` it travels
    as, ``parse`` (text to value, ``ValueError`` when the text is not a valid value) and
    ``show`` (value to text). A link leaves out a setting equal to ``default``."""

    key: str
    param: str
    parse: Callable[[str], object]
    show: Callable[[object], str] = str
    default: object = None


def choice(options) -> Callable[[str], str]:
    """A parser that accepts one of ``options``."""

    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(text)
        return text

    return parse


def on_off(text: str) -> bool:
    """``on`` or ``off``."""
    return {"on": True, "off": False}[text]


def show_on_off(value: object) -> str:
    return "on" if value else "off"


def iso_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date."""
    return date.fromisoformat(text)


def features(text: str) -> list[str]:
    """Comma-separated customer features, each at most once."""
    chosen = text.split(",")
    if len(set(chosen)) != len(chosen):
        raise ValueError(text)
    return [choice(CUSTOMER_FEATURES)(feature) for feature in chosen]


def whole(low: int, high: int) -> Callable[[str], int]:
    """A parser of a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(text)
        return int(text)

    return parse


#: A number of clusters in :data:`K_RANGE`; a whole number of days from 1 to :data:`MAX_DAYS`.
whole_k, days = whole(*K_RANGE), whole(1, MAX_DAYS)


def percent(text: str) -> float:
    """A rate in percent from 0 to :data:`MAX_DISCOUNT`."""
    value = float(text)
    if not 0 <= value <= MAX_DISCOUNT:  # also refuses nan
        raise ValueError(text)
    return value


def segment_name(text: str) -> str:
    """A segment or category name: printable, not blank, at most :data:`MAX_NAME`
    characters."""
    if not text.strip() or len(text) > MAX_NAME or not text.isprintable():
        raise ValueError(text)
    return text


def _cleaning_settings() -> list[Setting]:
    defaults = CleaningOptions()
    return [
        Setting(f"step_{f.name}", f"clean_{f.name}", on_off, show_on_off, getattr(defaults, f.name))
        for f in fields(defaults)
        if f.type in ("bool", bool)
    ]


#: Every setting a link carries, in the order they are written.
SETTINGS: tuple[Setting, ...] = (
    Setting(SOURCE_KEY, "data", choice(("demo", "configured"))),
    Setting(SNAPSHOT_KEY, "snapshot", iso_date, date.isoformat),
    *_cleaning_settings(),
    Setting(VARIABLE_KEY, "variable", choice(VARIABLES), default=DEFAULT_VARIABLE),
    Setting("explore_x", "x", choice(RFM_COLUMNS), default="frequency"),
    Setting("explore_y", "y", choice(RFM_COLUMNS), default="monetary"),
    Setting("explore_log_axes", "log_axes", on_off, show_on_off),
    Setting("explore_measure", "measure", choice(MEASURES), default="customers"),
    Setting("explore_region", "region", choice(REGIONS), default="abroad"),
    *(
        Setting(key, param, parse, show, CLUSTER_DEFAULTS[key])
        for key, param, parse, show in (
            ("cluster_features", "features", features, ",".join),
            ("cluster_transform", "transform", choice(TRANSFORMS), str),
            ("cluster_scaler", "scaler", choice(SCALERS), str),
            ("cluster_method", "method", choice(METHODS), str),
            ("cluster_linkage", "linkage", choice(LINKAGE_METHODS), str),
            ("cluster_auto_k", "auto_k", on_off, show_on_off),
            ("cluster_k", "k", whole_k, str),
        )
    ),
    Setting("explore_profile_feature", "profile_feature", choice(RFM_COLUMNS), default="recency"),
    Setting(MOVEMENT_FROM, "from", iso_date, date.isoformat),
    Setting(MOVEMENT_TO, "to", iso_date, date.isoformat),
    Setting(MOVEMENT_KIND, "movement", choice(MOVEMENT_KINDS), default="rfm"),
    Setting(CALIBRATION_KEY, "calibration_end", iso_date, date.isoformat),
    *(
        Setting(key, param, parse, str, FORECAST_DEFAULTS[key])
        for key, param, parse in (
            ("forecast_horizon", "horizon", days),
            ("forecast_risk_days", "risk_days", days),
            ("forecast_discount", "discount", percent),
            ("forecast_time_unit", "time_unit", choice(TIME_UNITS)),
        )
    ),
    Setting(OFFER_KIND, "offer", choice(MOVEMENT_KINDS), default="cluster"),
    Setting(OFFER_CALIBRATION, "offer_end", iso_date, date.isoformat),
)
#: Parameters read by name patterns: a variable's view and a renamed segment.
VIEW_PARAM, NAME_PARAM = "view", "name"


def view_key(variable: str) -> str:
    """Session-state key of the Univariate view of ``variable``."""
    return f"explore_view_{variable}"


def parse_view(text: str) -> str:
    return choice(VIEWS)(text)
