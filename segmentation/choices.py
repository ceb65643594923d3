"""The choices a segmentation takes, importable without the models' numerical libraries (the
app checks a shared link's settings against them before any model is loaded)."""

from __future__ import annotations

from segmentation.schema import RFM_COLUMNS

TRANSFORMS: tuple[str, ...] = ("log1p", "yeo-johnson", "none")
SCALERS: tuple[str, ...] = ("standard", "robust", "minmax")
#: ``clip``: cap each feature at the percentile; ``holdout``: fit without customers above
#: it in any feature and assign them to the nearest cluster afterwards; ``none``: as is.
OUTLIER_MODES: tuple[str, ...] = ("clip", "holdout", "none")
METHODS: tuple[str, ...] = ("kmeans", "agglomerative", "gmm")
LINKAGE_METHODS: tuple[str, ...] = ("ward", "complete", "average", "single")
DEFAULT_FEATURES: tuple[str, ...] = RFM_COLUMNS
#: The range of k a segmentation chooses from, and a person may pick.
K_RANGE: tuple[int, int] = (2, 10)
#: The forecast's defaults: days of predicted value, days of the risk of no purchase, and days
#: held out by default (the calibration end is the last date minus these); the longest
#: horizon or risk period, in days; the models' time units.
HORIZON_DAYS, RISK_DAYS, HOLDOUT_DAYS, MAX_DAYS = 365, 90, 90, 3650
TIME_UNITS: tuple[str, ...] = ("day", "week")
#: Kinds of segments compared between two dates: the RFM rule table, or clusters.
MOVEMENT_KINDS: tuple[str, ...] = ("rfm", "cluster")
