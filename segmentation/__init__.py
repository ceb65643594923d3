"""E-commerce customer segmentation: transactions in, customers, clusters and segments out.

The package is pure Python over DataFrames and never imports Streamlit. Every
error it raises about its input is a :class:`~segmentation.errors.DataError`
whose message is one sentence a user can act on.
"""

from segmentation.errors import DataError
from segmentation.read.loading import LoadReport, Transactions, load_transactions
from segmentation.transactions.cleaning import (
    CleaningOptions,
    CleaningReport,
    CleanResult,
    clean_transactions,
)
from segmentation.transactions.features import customer_features, default_snapshot
from segmentation.transactions.pipeline import FeatureRun, run_features

__all__ = [
    "CleanResult",
    "CleaningOptions",
    "CleaningReport",
    "DataError",
    "FeatureRun",
    "LoadReport",
    "Transactions",
    "clean_transactions",
    "customer_features",
    "default_snapshot",
    "load_transactions",
    "run_features",
]
