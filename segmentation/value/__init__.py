"""Value: what each customer and segment is worth next, and who is slipping away.

``purchase_history`` turns orders into each customer's repeat purchases; ``bg_nbd`` and
``gamma_gamma`` fit the purchase and spend models on one search in ``likelihood``;
``lifetime_value`` discounts their predictions; ``forecast`` runs all of it, per customer
and segment, and backtests it on held-out months.
"""
