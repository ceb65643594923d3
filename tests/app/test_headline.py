"""The Overview's headline figures written down for the demo are the pipeline's, and are
used only for the inputs they were computed from."""

from __future__ import annotations

import dataclasses

from app.bundle import load_bundle, options_key
from app.headline import Headline, known_headline
from app.sources import demo_source, source_key
from segmentation.transactions.cleaning import CleaningOptions

DEFAULTS = ((), None, options_key(CleaningOptions()), None)


def test_the_written_figures_are_the_pipelines() -> None:
    source = demo_source()
    known = known_headline(source_key(source), DEFAULTS)
    assert known is not None, "data/demo_headline.json is stale: run python -m app.headline"
    computed = Headline.of(load_bundle(source.data, source.name, *DEFAULTS))
    assert dataclasses.asdict(known) == dataclasses.asdict(computed)
    assert computed.customers == 3000 and computed.period[0].isoformat() == "2023-12-01"


def test_other_inputs_get_no_written_figures() -> None:
    source = demo_source()
    key = source_key(source)
    no_duplicates = options_key(CleaningOptions().with_steps(duplicates=False))
    for chosen in (
        ((), None, DEFAULTS[2], "2024-12-31"),
        ((), None, no_duplicates, None),
        ((("customer_id", "CustomerID"),), None, DEFAULTS[2], None),
        ((), "Sheet1", DEFAULTS[2], None),
    ):
        assert known_headline(key, chosen) is None, chosen
    assert known_headline(("upload", *key[1:]), DEFAULTS) is None
    assert known_headline((key[0], key[1], key[2], key[3] + 1), DEFAULTS) is None
