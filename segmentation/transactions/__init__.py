"""Transactions: cleaning with its row accounting, order totals and one row per customer.

``cleaning`` removes rows in named steps and counts each; ``orders`` sums the clean lines
per order; ``features`` turns the orders into the customer table; ``pipeline`` runs read,
clean and features in one call (:func:`~segmentation.transactions.pipeline.run_features`).
"""
