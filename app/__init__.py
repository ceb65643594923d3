"""The Streamlit app's shared pieces, one module per concern; pages import what they use.

``sources`` (which file the session looks at), ``bundle`` (the cached pipeline run on it),
``session`` (the current data with the chosen options), ``segments`` (the cached
segmentation), ``movement`` (the cached movement between two dates), ``layout`` (sidebar
and banner), ``text`` and ``formats`` (what is shown), ``errors`` (one sentence on the
page), and the chart builders ``charts``, ``explore_charts``, ``segment_charts`` and
``movement_charts``.
"""
