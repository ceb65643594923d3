"""What customers buy: the product catalogue, kinds of product, each segment's affinity,
recommendations for every customer, their backtest, and one call for the CLI and the app
(:func:`segmentation.products.offer.run_products`).

Additions to the agreed API (nothing in it renamed or removed):

* ``catalogue``, ``customer_products``, ``backtest_recommendations`` and ``run_products``
  take ``non_product_codes`` (default: cleaning's ``NON_PRODUCT_CODES``; pass the
  cleaning options' codes); ``customer_products`` also takes ``after`` (lines after a date).
* ``catalogue`` takes ``bought``: ``customer_products`` of the same lines, added up
  instead of aggregating the lines again; the catalogue counts lines with a customer id.
* ``customer_products`` and ``Recommendations.lists`` hold ``customer_id``, ``stock_code``
  (and ``kind``) as categorical columns of text: compare them with ``==`` or ``isin`` as
  usual; ``.astype(str)`` gives plain text.
* ``categorise`` takes an optional ``customer_products`` (computed when not given).
* ``Recommendations.write_csv(path)``: ``recommendations.csv`` as the command writes it.
* ``Categories.of(stock_codes)``: the category of each code.
* ``Affinity.top_categories(segment, top=3)``: ``category, share, lift`` by lift.
* ``ProductRun.sizes``: customers per segment (keys ``segment`` and ``rfm_segment``).
* ``RecommendationBacktest.top``: the length of the lists scored.
* Fallback: a customer without purchases of the fitted products (a new customer) gets
  their segment's promote list less what they bought (``fallback=True``) and no buy-again
  list. Customers with one order keep their own EASE list: on Online Retail it finds a
  product they bought afterwards for 48% of them, popular products for 35%.
"""
