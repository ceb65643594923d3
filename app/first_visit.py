"""A fresh server's first visit straight to a page's address, such as a shared link.

Streamlit decides once per server, when its first session starts and before the router
runs, whether the app is an old-style multipage app: it is when a ``pages/`` folder sits
beside the main script. That session's first run then builds a menu of its own from the
files directly in ``pages/`` and looks the address up there; an address it does not find
gets a "Page not found" notice over whatever the router shows next. So every page's
address has a stand-in, ``pages/<url path>.py``, that runs the router; every later run
goes straight to the router, which shows the page from ``pages/<section>/``.
``tests/app/test_first_visit.py`` checks the stand-ins against the menu and the
Streamlit internals this relies on.
"""

from __future__ import annotations

import runpy
from pathlib import Path

#: The router: the app's main script.
ROUTER = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def run_router() -> None:
    """Run the router as the main script runs it."""
    runpy.run_path(str(ROUTER), run_name="__main__")
