"""The Overview's story: the segments of the current settings in one table a stakeholder
can act on, filled in after the headline figures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.bundle import Bundle
from app.text import markdown_text


def segment_story(bundle: Bundle) -> None:
    """The segments with their size, revenue share, description and suggested action, and
    one sentence on the most valuable of them; nothing when the clustering fails (its
    error is shown instead)."""
    # Imported here, not at the top: the models' libraries load after the headline
    # figures are on screen, so the first page shows them sooner.
    from app.movement import largest_move
    from app.segments import current_segmentation, segment_names

    segmentation = current_segmentation(bundle)
    if segmentation is None:
        return
    table = segmentation.profiles.table
    names = segment_names(segmentation)
    best = table.iloc[0]
    st.markdown(
        f"**{segmentation.k} segments.** The most valuable, "
        f"“{markdown_text(names[int(best['cluster'])])}”, are {best['customer_share']:.0%} of the "
        f"customers and bring {best['revenue_share']:.0%} of the revenue."
    )
    st.table(
        pd.DataFrame(
            {
                "Segment": [names[int(c)] for c in table["cluster"]],
                "Customers": [
                    f"{n:,} ({s:.0%})"
                    for n, s in zip(table["customers"], table["customer_share"], strict=True)
                ],
                "Revenue share": [f"{s:.1%}" for s in table["revenue_share"]],
                "Who they are": table["description"],
                "What to do": table["action"],
            }
        ).set_index("Segment")
    )
    move = largest_move(bundle)
    if move:
        st.markdown(f"**The largest move of the last 90 days.** {markdown_text(move)}")
