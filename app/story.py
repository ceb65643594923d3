"""The Overview's story: the segments of the current settings in one table a stakeholder
can act on, filled in after the headline figures, and what to offer each filled in last."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.bundle import Bundle
from app.text import markdown_table, markdown_text


def segment_story(bundle: Bundle) -> None:
    """The segments with their size, revenue share, description and suggested action, and
    one sentence on the most valuable of them; nothing when the clustering fails (its
    error is shown instead). What to offer each segment (its leading kind of product and
    typical products) joins the table once the products are read, after everything else."""
    # Imported here, not at the top: the models' libraries load after the headline
    # figures are on screen, so the first page shows them sooner.
    from app.movement import largest_move
    from app.products import offer_sentences
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
    story = pd.DataFrame(
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
    place = st.empty()
    place.markdown(markdown_table(story))
    move = largest_move(bundle)
    if move:
        st.markdown(f"**The largest move of the last 90 days.** {markdown_text(move)}")
    offers = offer_sentences(segmentation)
    if offers:
        offered = story.index.map(offers).fillna("")
        place.markdown(markdown_table(story.assign(**{"What to offer": offered})))
