"""What customers buy: the product catalogue, kinds of product, each segment's affinity,
recommendations for every customer, their backtest, and one call for the CLI and the app
(:func:`segmentation.products.offer.run_products`)."""
