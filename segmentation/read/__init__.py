"""Read: bytes, a path or an engine table in, canonical transactions out.

``files`` opens a source (archives, Parquet) and hands text to ``delimited`` and workbooks
to ``workbooks``; ``columns`` maps the raw columns to the canonical ones and ``values``
converts dates, numbers and ids; ``loading`` puts them together in memory, while
``scanning`` and ``text_scanning`` do the same where the engine reads the file itself.
"""
