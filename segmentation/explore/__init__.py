"""Explore: summaries of the transactions and customers (distributions, correlations,
activity by month) and countries placed on a map."""
