"""Done-when checks on the real data: the backtest of ``recommend`` on Online Retail."""

from __future__ import annotations

import json

import pytest

from segmentation.cli import main

pytestmark = [pytest.mark.real, pytest.mark.slow]


def test_recommend_backtest_on_online_retail(online_retail_path, tmp_path):
    out = tmp_path / "out"
    args = ["recommend", str(online_retail_path), "--output-dir", str(out)]
    assert main([*args, "--calibration-end", "2011-09-09"]) == 0
    backtest = json.loads((out / "summary.json").read_text())["backtest"]
    discover, again = backtest["discover"], backtest["buy_again"]
    assert discover["customers"] > 1000 and again["customers"] > 1000
    assert discover["hit_rate"] >= 0.5
    assert discover["hit_rate"] >= 1.5 * discover["baseline"]["hit_rate"]
    assert discover["recall"] > discover["baseline"]["recall"]
    assert again["hit_rate"] >= again["baseline"]["hit_rate"]
    assert again["recall"] >= again["baseline"]["recall"]
