"""GUI grounding rewards: the pure geometry by hand, then gui_point, gui_iou and gui_gaussian."""

from __future__ import annotations

import math
import pickle
from itertools import pairwise

import pytest

import rewardlab as rl
from rewardlab import Sample, score_one
from rewardlab.rewards.gui import (
    GuiGaussian,
    GuiIoU,
    GuiPoint,
    area_factor,
    box_iou,
    gaussian_coverage,
    gaussian_point,
    point_in_box,
)

BOX = (100.0, 200.0, 140.0, 220.0)  # 40 x 20, centre (120, 210)
REF = {"bbox": list(BOX), "width": 1000, "height": 500}


def run(reward: rl.Reward, completion: str, reference: object = REF) -> rl.RewardResult:
    return reward(Sample(completion=completion, reference=reference))


# --- geometry -----------------------------------------------------------------------------------------


def test_point_in_box_includes_the_edges() -> None:
    assert point_in_box(100, 200, BOX) and point_in_box(140, 220, BOX) and point_in_box(120, 210, BOX)
    assert not point_in_box(99.9, 210, BOX) and not point_in_box(120, 220.1, BOX)


def test_box_iou_by_hand() -> None:
    assert box_iou(BOX, BOX) == 1.0
    assert box_iou((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7)  # overlap 1, union 4 + 4 - 1
    assert box_iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
    assert box_iou((0, 0, 4, 4), (1, 1, 2, 2)) == pytest.approx(1 / 16)
    assert box_iou((1, 1, 1, 1), (1, 1, 1, 1)) == 0.0  # empty boxes


def test_gaussian_point_by_hand() -> None:
    # sigma_x = 0.5 * 40 = 20, sigma_y = 0.5 * 20 = 10
    assert gaussian_point(120, 210, BOX) == 1.0
    assert gaussian_point(140, 210, BOX) == pytest.approx(math.exp(-0.5))  # one sigma in x
    assert gaussian_point(120, 230, BOX) == pytest.approx(math.exp(-2.0))  # two sigmas in y
    assert gaussian_point(140, 220, BOX) == pytest.approx(math.exp(-1.0))
    assert gaussian_point(140, 210, BOX, sigma_scale=1.0) == pytest.approx(math.exp(-0.125))


def test_gaussian_coverage_by_hand() -> None:
    one_sigma = math.erf(1 / math.sqrt(2))  # mass within +-1 sigma: 0.6827
    # a predicted box equal to the target: its half-size is one sigma on both axes
    assert gaussian_coverage(BOX, BOX) == pytest.approx(one_sigma**2)
    # a box half the size, same centre: the target spans +-2 sigma
    half = (110.0, 205.0, 130.0, 215.0)
    assert gaussian_coverage(half, BOX) == pytest.approx(math.erf(2 / math.sqrt(2)) ** 2)
    # a point is a point mass
    assert gaussian_coverage((120, 210, 120, 210), BOX) == 1.0
    assert gaussian_coverage((99, 210, 99, 210), BOX) == 0.0
    # far away: nothing
    assert gaussian_coverage((800, 400, 840, 420), BOX) == pytest.approx(0.0, abs=1e-12)


def test_area_factor() -> None:
    assert area_factor(BOX, BOX, 4.0) == 1.0
    assert area_factor((0, 0, 80, 40), BOX, 4.0) == 1.0  # exactly 4x
    assert area_factor((0, 0, 160, 40), BOX, 4.0) == pytest.approx(0.5)  # 8x -> 4/8
    assert area_factor((0, 0, 1000, 500), BOX, None) == 1.0


# --- rewards ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("(120, 210)", 1.0),
        ("click(x=100, y=200)", 1.0),  # corner: inside
        ("(99, 210)", 0.0),
        ("[0.12, 0.42]", 1.0),  # 0-1 units: (120, 210)
        ("[105, 202, 135, 218]", 1.0),  # a box: its centre counts
        ("[0, 0, 240, 420]", 4 / 126),  # centre (120, 210) inside, but 126x the target's area: guard
        ("nothing here", 0.0),
    ],
)
def test_gui_point(completion: str, expected: float) -> None:
    assert run(GuiPoint(), completion).score == pytest.approx(expected)


def test_gui_point_info_says_what_was_read() -> None:
    result = run(GuiPoint(), "The button is at (120, 210).")
    assert result.info == {
        "kind": "point",
        "location": [120.0, 210.0],
        "coords": "pixel",
        "form": "tuple",
        "coords_ambiguous": True,  # all values <= 1000 and on-screen: could have been 0-1000 units
    }
    assert run(GuiPoint(), "no idea").info == {"reason": "no_location"}
    boxed = run(GuiPoint(), "[0, 0, 240, 420]")
    assert boxed.info["area_ratio"] == pytest.approx(126.0) and boxed.info["area_factor"] == pytest.approx(
        4 / 126
    )


def test_explicit_norm1000_reads_qwen_style_answers() -> None:
    # (120, 210) on a 1000 x 500 screen is (120, 420) in 0-1000 units
    assert run(GuiPoint(coords="norm1000"), "(120, 420)").score == 1.0
    assert run(GuiPoint(coords="pixel"), "(120, 420)").score == 0.0
    assert run(GuiPoint(), "(120, 420)").score == 0.0  # auto: ambiguous, read as pixels


def test_gui_iou() -> None:
    assert run(GuiIoU(), "[100, 200, 140, 220]").score == 1.0
    half = run(GuiIoU(), "[100, 200, 120, 220]")
    assert half.score == pytest.approx(0.5) and half.components == {"iou": pytest.approx(0.5)}
    point = run(GuiIoU(), "(120, 210)")
    assert point.score == 0.0 and point.info["reason"] == "point_prediction"
    # a box 10x the target's area that contains it: IoU 0.1, then the guard (4/10)
    big = run(GuiIoU(), "[80, 190, 180, 230]")
    assert big.components["iou"] == pytest.approx(0.2) and big.score == pytest.approx(0.2 * 4 / 5)
    assert run(GuiIoU(max_area_ratio=None), "[80, 190, 180, 230]").score == pytest.approx(0.2)


def test_gui_gaussian() -> None:
    centre = run(GuiGaussian(), "(120, 210)")
    assert centre.score == 1.0 and centre.components == {"point": 1.0, "coverage": 1.0}
    off = run(GuiGaussian(), "(140, 210)")
    assert off.score == pytest.approx(math.exp(-0.5))
    mixed = run(GuiGaussian(coverage_weight=0.5), "[100, 200, 140, 220]")
    one_sigma = math.erf(1 / math.sqrt(2))
    assert mixed.components == {"point": 1.0, "coverage": pytest.approx(one_sigma**2)}
    assert mixed.score == pytest.approx(0.5 + 0.5 * one_sigma**2)
    assert run(GuiGaussian(), "nothing").score == 0.0


def test_gaussian_decreases_with_distance() -> None:
    reward = GuiGaussian()
    for dx, dy in ((1, 0), (0, 1), (1, 1), (-1, 2), (-3, -1)):
        scores = [run(reward, f"({120 + k * dx}, {210 + k * dy})").score for k in range(0, 60, 3)]
        assert all(a > b for a, b in pairwise(scores) if b > 0), scores


def test_malformed_reference_is_an_error_not_a_zero() -> None:
    bad = {"bbox": [645, 625, 2361, 1590], "width": 2360, "height": 1640}
    for reward in (GuiPoint(), GuiIoU(), GuiGaussian()):
        with pytest.raises(ValueError, match="outside the 2360x1640 screen"):
            run(reward, "(700, 700)", bad)
        recorded = score_one(reward, Sample(completion="(700, 700)", reference=bad))
        assert recorded.score is None and recorded.error is not None and recorded.error.type == "ValueError"


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("gui_point", {"coords": "percent"}, "`coords` of gui_point must be one of"),
        (
            "gui_iou",
            {"max_area_ratio": 0.5},
            "`max_area_ratio` of gui_iou must be a number >= 1 or None, got 0.5",
        ),
        ("gui_gaussian", {"sigma_scale": -1}, "`sigma_scale` of gui_gaussian must be a number > 0, got -1"),
        (
            "gui_gaussian",
            {"coverage_weight": 2},
            "`coverage_weight` of gui_gaussian must be a number in [0, 1]",
        ),
        ("gui_gaussian", {"sigma": 1}, "has no option 'sigma'"),
    ],
)
def test_options_are_validated_with_the_option_named(
    name: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(rl.ConfigError) as info:
        rl.reward(name, **options)
    assert message in str(info.value)


def test_rewards_pickle_with_their_options() -> None:
    for reward in (GuiPoint(coords="norm1"), GuiIoU(max_area_ratio=None), GuiGaussian(sigma_scale=0.3)):
        clone = pickle.loads(pickle.dumps(reward))
        assert vars(clone) == vars(reward)
        assert (
            clone(Sample(completion="(120, 210)", reference=REF)).score
            == reward(Sample(completion="(120, 210)", reference=REF)).score
        )
