"""Scoring against outcomes known by construction: hand-made cases and answers whose accuracy,
Cohen's kappa (from its definition), IoU and times are computed here independently."""

from __future__ import annotations

import pytest
from shapely.geometry import box, mapping

from yvy.errors import InputError
from yvy.i18n import translator
from yvy.training.model import Answer, Case, check_answer_input
from yvy.training.score import feedback_text, polygon_iou, score_answer, score_session

D = 0.001  # about 100 m at 22 S


def _case(k: int, kind: str, area: float = 12.0) -> Case:
    g = mapping(box(-60.4 + k * 0.01, -22.0, -60.4 + k * 0.01 + D, -22.0 + D))
    return Case(id=f"C{k:02d}", kind=kind, geometry=g, area_ha=area, before={}, after={}, series={}, legal={},
                truth_geometry=g if kind in ("clearing", "permit") else None, truth_date="2023-05-01",
                note={"cover": "pasture", "permit": "PCUS-1"})


def test_iou_of_a_square_shifted_by_half_its_width_is_one_third():
    a = box(-60.4, -22.0, -60.4 + D, -22.0 + D)
    b = box(-60.4 + D / 2, -22.0, -60.4 + 1.5 * D, -22.0 + D)
    assert polygon_iou(mapping(a), mapping(b)) == pytest.approx(1 / 3, abs=1e-4)
    assert polygon_iou(mapping(a), mapping(a)) == pytest.approx(1.0)
    far = box(-59.0, -22.0, -59.0 + D, -22.0 + D)
    assert polygon_iou(mapping(a), mapping(far)) == 0.0


def test_session_score_matches_the_confusion_matrix():
    kinds = ["clearing"] * 4 + ["seasonal", "cloud_shadow", "fire", "permit", "seasonal", "cloud_shadow"]
    cases = [_case(k, kind) for k, kind in enumerate(kinds)]
    # truth confirm x4: 3 confirmed (TP), 1 dismissed (FN); truth dismiss x6: 1 confirmed (FP), 5 dismissed (TN)
    given = ["confirm", "confirm", "confirm", "dismiss", "confirm", "dismiss", "dismiss", "dismiss", "dismiss",
             "dismiss"]
    reasons = ["clearing"] * 3 + ["other", "clearing", "cloud_shadow", "fire", "seasonal", "seasonal", "cloud_shadow"]
    seconds = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    shifted = mapping(box(-60.4 + D / 2, -22.0, -60.4 + 1.5 * D, -22.0 + D))  # case 0, half a width off
    results = [score_answer(c, Answer(c.id, g, r, "refer" if g == "confirm" else "none",
                                      shifted if k == 0 else None, s))
               for k, (c, g, r, s) in enumerate(zip(cases, given, reasons, seconds, strict=True))]
    score = score_session(cases, results)
    tp, fn, fp, tn = 3, 1, 1, 5
    n = tp + fn + fp + tn
    po = (tp + tn) / n
    pe = ((tp + fn) / n) * ((tp + fp) / n) + ((fp + tn) / n) * ((fn + tn) / n)
    assert score.accuracy == pytest.approx(po)
    assert score.kappa == pytest.approx((po - pe) / (1 - pe))
    # reasons right: the 3 confirmed clearings and cloud_shadow, fire, seasonal, cloud_shadow; wrong: the
    # missed clearing ("other"), the false positive ("clearing") and the permit case ("seasonal")
    assert score.reason_accuracy == pytest.approx(7 / 10)
    # actions: the 3 confirmed clearings of 12 ha -> refer (right); the missed one -> none (wrong);
    # the false positive -> refer (wrong); 5 true dismissals -> none (right)
    assert score.action_accuracy == pytest.approx(8 / 10)
    # IoU over the 3 confirmed clearings: 1/3 (shifted) and 1, 1 (the candidate polygon is the truth)
    assert score.mean_iou == pytest.approx((1 / 3 + 1 + 1) / 3, abs=1e-4)
    assert score.median_seconds == 55 and score.total_seconds == 550
    assert score.by_kind["clearing"] == [3, 4] and score.by_kind["permit"] == [0, 1]


def test_small_clearings_want_a_drone_and_traps_no_action():
    assert _case(0, "clearing", area=4.0).truth_action == "drone"
    assert _case(0, "clearing", area=10.0).truth_action == "refer"
    assert _case(0, "permit", area=40.0).truth_action == "none"
    assert _case(0, "permit").truth_decision == "dismiss"


def test_kappa_is_undefined_when_everything_is_one_label():
    cases = [_case(k, "seasonal") for k in range(3)]
    results = [score_answer(c, Answer(c.id, "dismiss", "seasonal", "none")) for c in cases]
    score = score_session(cases, results)
    assert score.accuracy == 1.0 and score.kappa is None and score.mean_iou is None


def test_feedback_explains_the_case_in_the_trainee_language():
    c = _case(0, "cloud_shadow")
    wrong = score_answer(c, Answer(c.id, "confirm", "clearing", "refer"))
    es = feedback_text(c, wrong, translator("es"))
    en = feedback_text(c, wrong, translator("en"))
    assert en.startswith("Wrong decision.") and "cloud shadow" in en and "no action" in en
    assert es.startswith("Decisión equivocada.") and "sombra de nube" in es and "1 may. 2023" in es
    right = score_answer(_case(1, "clearing"), Answer("C01", "confirm", "clearing", "refer"))
    assert feedback_text(_case(1, "clearing"), right, translator("en")).startswith("Correct.")


def test_answer_values_are_checked():
    check_answer_input("dismiss", "fire", "none", 3.0)
    for args, field in ((("maybe", "fire", "none", 1), "decision"), (("confirm", "fire", "refer", 1), "reason"),
                        (("dismiss", "clearing", "none", 1), "reason"), (("dismiss", "fire", "arrest", 1), "action"),
                        (("dismiss", "fire", "none", -1), "seconds")):
        with pytest.raises(InputError, match=f"^{field}:"):
            check_answer_input(*args)
