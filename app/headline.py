"""The Overview's headline figures: customers, orders, revenue, period, countries and the
date recency is counted to.

Those of the embedded demo with the default settings are also written down, in
``data/demo_headline.json`` with the demo file's fingerprint and the settings they hold for,
so a fresh server puts them on screen before its first pipeline run has finished. Write
them again with ``python -m app.headline`` when the demo or the cleaning defaults change;
a test checks them against the pipeline's.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.bundle import Bundle

#: The demo's headline figures with the default settings, and the inputs they hold for.
DEMO_HEADLINE = Path(__file__).resolve().parents[1] / "data" / "demo_headline.json"


@dataclass(frozen=True)
class Headline:
    """The figures at the top of the Overview."""

    source: str
    customers: int
    orders: int
    revenue: float
    countries: int
    first_day: str
    last_day: str
    #: The date recency is counted to, ``YYYY-MM-DD HH:MM``.
    snapshot: str

    @classmethod
    def of(cls, bundle: Bundle) -> Headline:
        """The headline figures of a pipeline run."""
        summary = bundle.summary
        first, last = bundle.period
        return cls(
            source=bundle.source,
            customers=int(summary["customers"]),
            orders=int(summary["orders"]),
            revenue=float(summary["revenue"]),
            countries=int(summary["countries"] or 0),
            first_day=first.isoformat(),
            last_day=last.isoformat(),
            snapshot=f"{bundle.snapshot:%Y-%m-%d %H:%M}",
        )

    @property
    def period(self) -> tuple[date, date]:
        """The dates of the first and last clean purchase."""
        return date.fromisoformat(self.first_day), date.fromisoformat(self.last_day)


def _inputs(source_key: tuple, chosen: tuple) -> list:
    """The inputs of a pipeline run as JSON holds them."""
    return json.loads(json.dumps([source_key, chosen]))


@functools.cache
def _written() -> tuple[list, Headline] | None:
    try:
        written = json.loads(DEMO_HEADLINE.read_text())
        return written["inputs"], Headline(**written["headline"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def known_headline(source_key: tuple, chosen: tuple) -> Headline | None:
    """The written-down figures when ``source_key`` (:func:`app.sources.source_key`) and
    ``chosen`` (columns, sheet, cleaning options, snapshot) are the inputs they hold for;
    else ``None``."""
    written = _written()
    if written is None or written[0] != _inputs(source_key, chosen):
        return None
    return written[1]


def main() -> None:
    """Run the pipeline on the demo with the default settings and write its figures."""
    from app.bundle import load_bundle, options_key
    from app.sources import demo_source, source_key
    from segmentation.transactions.cleaning import CleaningOptions

    source = demo_source()
    chosen = ((), None, options_key(CleaningOptions()), None)
    headline = Headline.of(load_bundle(source.data, source.name, *chosen))
    written = {"inputs": _inputs(source_key(source), chosen), "headline": asdict(headline)}
    DEMO_HEADLINE.write_text(json.dumps(written, indent=1) + "\n")
    print(f"wrote {DEMO_HEADLINE}")


if __name__ == "__main__":
    main()
