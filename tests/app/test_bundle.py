"""The cached pipeline of the app: one run per file and options, failures included."""

from __future__ import annotations

import pytest

from app import bundle
from segmentation.errors import DataError

#: A table without any of the columns of transactions.
UNREADABLE = b"colour,size\nred,3\nblue,4\n"


def test_a_file_that_cannot_be_read_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit does not cache exceptions: the error is cached as a value, so reruns with
    the same bad file (every widget touched on a page) do not read it again."""
    runs = []
    run_features = bundle.run_features

    def counted(*args, **kwargs):
        runs.append(args[0])
        return run_features(*args, **kwargs)

    monkeypatch.setattr(bundle, "run_features", counted)
    bundle._load_bundle.clear()
    messages = []
    for _ in range(3):
        with pytest.raises(DataError) as error:
            bundle.load_bundle(UNREADABLE, "colours.csv")
        messages.append(str(error.value))
    assert len(runs) == 1
    assert len(set(messages)) == 1 and messages[0].endswith(".")
    assert "Traceback" not in messages[0]
