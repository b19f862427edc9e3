"""The demo's radar scenario: a clearing under clouds is alerted by fusion weeks before optical only."""

from __future__ import annotations

from yvy.demo._radar import compare, radar_scenario


def test_fusion_alerts_weeks_before_optical(tmp_path):
    demo = radar_scenario(tmp_path)
    res = compare(demo)
    fused, optical = res["fused"], res["optical only"]
    assert fused["detected_share"] > 0.95 and optical["detected_share"] > 0.95
    assert 0 <= fused["median_delay_days"] <= 14  # the next radar passes
    assert optical["median_delay_days"] >= fused["median_delay_days"] + 28  # weeks later: after the clouds
    assert fused["false_alert_pixels"] < 0.02 * 3200
    again = radar_scenario(tmp_path / "again")
    assert again.s1.read_bytes() == demo.s1.read_bytes()  # same seed, same files
