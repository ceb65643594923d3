"""Segments: customers in, named segments out.

``preparation`` turns customer features into a matrix; ``clustering`` and ``hierarchy``
fit and compare clusterings; ``rfm`` scores and names customers by rule; ``profiles``
describes and names each cluster; ``segment`` runs all of it in one call; ``stability``
and ``assignment`` check a fit and apply it to customers that stay in the engine;
``projection`` draws customers in two dimensions.
"""
