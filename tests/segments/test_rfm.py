"""RFM quintile scores, tie handling and the R-by-F segment rule table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import ModelError
from segmentation.segments.rfm import (
    SEGMENT_RULES,
    SEGMENTS,
    ScoreCuts,
    rfm_scores,
    score_bounds,
    score_cut_points,
    score_ranges,
    score_values,
    segment_names,
)
from tests.samples import TINY_CUSTOMERS as TINY

#: The documented grid, rows R = 5…1, columns F = 1…5.
GRID = {
    5: ["New Customers", "Potential Loyalists", "Potential Loyalists", "Champions", "Champions"],
    4: [
        "Promising",
        "Potential Loyalists",
        "Potential Loyalists",
        "Loyal Customers",
        "Loyal Customers",
    ],
    3: ["About to Sleep", "About to Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"],
    2: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    1: ["Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"],
}


def test_cut_points_are_the_quintile_boundaries():
    cuts = score_cut_points(TINY)
    assert cuts.recency == (3, 25, 35, 320)
    assert cuts.frequency == (3, 5, 7, 30)
    assert cuts.monetary == (70, 900, 1400, 9000)


def test_tiny_table_scores_and_segments():
    scores = rfm_scores(TINY)
    # R = 5 - cut points at or below the recency; F, M = 1 + cut points strictly below.
    assert scores["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 1]
    assert scores["f_score"].tolist() == [4, 5, 5, 2, 3, 3, 4, 1, 1, 1, 2]
    assert scores["m_score"].tolist() == [4, 5, 5, 2, 3, 3, 4, 1, 1, 1, 2]
    assert scores["rfm_segment"].tolist() == [
        "Champions",
        "Champions",
        "Loyal Customers",
        "Potential Loyalists",
        "Need Attention",
        "Need Attention",
        "At Risk",
        "Hibernating",
        "Lost",
        "Lost",
        "Lost",
    ]


def test_tied_values_share_a_score_and_merged_bins_are_reported():
    table = pd.DataFrame(
        {
            "customer_id": [str(i) for i in range(10)],
            "recency": [5, 5, 5, 5, 5, 5, 10, 20, 30, 40],
            "frequency": [1, 1, 1, 1, 1, 1, 2, 3, 4, 5],
            "monetary": [float(v) for v in range(10, 110, 10)],
        }
    )
    cuts = score_cut_points(table)
    # Linear quantiles of 10 values sit at positions 1.8, 3.6, 5.4 and 7.2.
    assert cuts.frequency == pytest.approx((1, 1, 1.4, 3.2))
    assert cuts.recency == pytest.approx((5, 5, 7, 22))
    scores = rfm_scores(table, cuts)
    assert scores["f_score"].tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert scores["r_score"].tolist() == [3, 3, 3, 3, 3, 3, 2, 2, 1, 1]
    assert cuts.skipped_scores("frequency") == (2,)
    assert cuts.skipped_scores("recency") == (4,)
    assert cuts.skipped_scores("monetary") == ()
    notes = cuts.notes()
    assert len(notes) == 2
    assert "no customer gets R score 4" in notes[0]
    assert "no customer gets F score 2" in notes[1]


def test_values_outside_the_cut_points_take_the_extreme_scores():
    cuts = ScoreCuts(recency=(10, 20, 30, 40), frequency=(1, 2, 3, 4), monetary=(1, 2, 3, 4))
    assert score_values(np.array([0, 10, 11, 40, 41]), "recency", cuts).tolist() == [5, 4, 4, 1, 1]
    assert score_values(np.array([0.5, 1, 1.5, 4, 99]), "frequency", cuts).tolist() == [
        1,
        1,
        2,
        4,
        5,
    ]


def test_rule_table_covers_every_cell_exactly_once_with_the_documented_names():
    cells = [(r, f) for rule in SEGMENT_RULES for r in rule.r_scores for f in rule.f_scores]
    assert len(cells) == 25
    assert len(set(cells)) == 25
    r = np.repeat([5, 4, 3, 2, 1], 5)
    f = np.tile([1, 2, 3, 4, 5], 5)
    assert segment_names(r, f).tolist() == [name for row in GRID.values() for name in row]
    assert set(SEGMENTS) == {name for row in GRID.values() for name in row}
    assert len(SEGMENTS) == 11
    for rule in SEGMENT_RULES:
        assert rule.description.endswith(".")
        assert rule.action.endswith(".")


def test_score_bounds_in_days_orders_and_pounds():
    # TINY's cut points: recency 3, 25, 35, 320; frequency 3, 5, 7, 30; spend 70 ... 9000.
    bounds = score_bounds(score_cut_points(TINY))
    assert bounds.columns.tolist() == ["1", "2", "3", "4", "5"]
    assert bounds.values.tolist() == [
        ["320 or more", "35–319", "25–34", "3–24", "up to 2"],
        ["up to 3", "4–5", "6–7", "8–30", "31 or more"],
        ["up to £70", "£70–£900", "£900–£1,400", "£1,400–£9,000", "over £9,000"],
    ]
    assert bounds.index.tolist() == ["R: days since the last purchase", "F: orders", "M: spend"]
    # Tied cut points skip a score: no customer can have it.
    tied = ScoreCuts((11, 18, 159, 285), (1, 1, 7, 9), (130, 130, 1968, 2634))
    assert score_bounds(tied).loc["F: orders"].tolist() == [
        "up to 1",
        "none",
        "2–7",
        "8–9",
        "10 or more",
    ]
    assert score_bounds(tied).loc["M: spend", "2"] == "none"


@pytest.mark.parametrize(
    "cuts",
    [
        ScoreCuts((3, 25, 35, 320), (3, 5, 7, 30), (70, 900, 1400, 9000)),
        ScoreCuts((13.4, 33, 72, 179), (1, 1, 7.5, 9), (249.344, 487.41, 487.41, 2055.05)),
    ],
)
def test_score_ranges_hold_exactly_the_values_of_each_score(cuts):
    for feature, values in (
        ("recency", np.arange(0, 400)),
        ("frequency", np.arange(1, 60)),
        (
            "monetary",
            np.array([0.5, 70, 70.01, 249.344, 249.35, 487.41, 900, 1400, 2100, 9e3, 1e4]),
        ),
    ):
        scores = score_values(values, feature, cuts)
        for score, (low, high) in zip(range(1, 6), score_ranges(cuts, feature), strict=True):
            inside = np.ones(len(values), dtype=bool)
            if low is not None:  # pounds above the lower bound, whole days or orders from it
                inside &= values > low if feature == "monetary" else values >= low
            if high is not None:
                inside &= values <= high
            assert (inside == (scores == score)).all(), (feature, score, low, high)


def test_which_clusters_each_name_fits():
    lapsed = {rule.name for rule in SEGMENT_RULES if rule.lapsed}
    assert lapsed == {"Can't Lose Them", "At Risk", "Hibernating", "Lost"}
    one_order = {rule.name for rule in SEGMENT_RULES if rule.fits(1, False, False)}
    assert one_order == {"New Customers", "Promising", "About to Sleep"}
    assert SEGMENTS["Potential Loyalists"].fits(4, False, False)
    assert not SEGMENTS["Potential Loyalists"].fits(5, False, False)  # a few orders: 2-4
    assert [SEGMENTS[name].fits(8, True, True) for name in ("Can't Lose Them", "At Risk")] == [
        True,
        False,
    ]
    # Every median number of orders, lapse and top fifth has a name that fits.
    for orders in (1, 1.5, 2, 2.5, 3, 4, 4.5, 5, 40):
        for gone in (False, True):
            for top in (False, True):
                assert any(rule.fits(orders, gone, top) for rule in SEGMENT_RULES)


def test_a_name_reaches_one_score_beyond_its_cells():
    need_attention = SEGMENTS["Need Attention"]  # R 3, F 3
    assert need_attention.reaches(4.5, 2)
    assert not need_attention.reaches(4.6, 3)
    assert need_attention.distance(4.5, 2, 2.0) == pytest.approx(1 + 2 * 0.5**2)
    assert SEGMENTS["Champions"].distance(5, 4, 2.0) == 0


def test_scores_outside_one_to_five_are_refused():
    with pytest.raises(ModelError, match="1 to 5"):
        segment_names(np.array([0]), np.array([3]))


def test_scores_keep_the_index_and_leave_the_table_alone():
    table = TINY.set_index(pd.Index(range(100, 111)))
    before = table.copy()
    scores = rfm_scores(table)
    assert scores.index.tolist() == list(range(100, 111))
    pd.testing.assert_frame_equal(table, before)


def test_missing_or_non_finite_rfm_columns_are_named():
    with pytest.raises(ModelError, match="'monetary'"):
        rfm_scores(TINY.drop(columns="monetary"))
    broken = TINY.assign(recency=TINY["recency"].astype(float).where(TINY.index != 3))
    with pytest.raises(ModelError, match=r"'recency' is missing or infinite for 1 customer;"):
        rfm_scores(broken)
