"""GUI rewards on every real ScreenSpot / ScreenSpot-v2 target box (../shared/data/gui_grounding).

For each of the 2,544 rows: the box centre, written in pixels, 0-1 and 0-1000 units, scores 1.0 for
point-in-box and the maximum (1.0) for the Gaussian reward; points just outside each edge score 0; the
Gaussian reward decreases along rays from the centre; the one malformed box is an error, not a score.
In-process (rewards called directly), so the whole check takes a few seconds.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from rewardlab import Sample, score_one
from rewardlab.rewards.gui import GuiGaussian, GuiPoint

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "gui_grounding"
FILES = sorted(DATA.glob("*/rl/*.jsonl"))

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is absent (the real target boxes these tests use)"),
]


def rows() -> list[tuple[str, int, dict]]:
    out = []
    for path in FILES:
        for i, line in enumerate(path.read_text().splitlines()):
            row = json.loads(line)
            out.append((f"{path.parent.parent.name}/{path.stem}", i + 1, row))
    return out


def reference(row: dict) -> dict:
    return {"bbox": row["conversations"][1]["value"], "width": row["width"], "height": row["height"]}


def render(x: float, y: float, width: float, height: float, coords: str) -> str:
    if coords == "pixel":
        return f"({x:g}, {y:g})"
    if coords == "norm1":
        return f"({x / width:.6f}, {y / height:.6f})"
    return f"({x / width * 1000:.3f}, {y / height * 1000:.3f})"


@pytest.fixture(scope="module")
def all_rows() -> list[tuple[str, int, dict]]:
    return rows()


def test_counts_and_the_malformed_box(all_rows: list) -> None:
    assert len(FILES) == 6
    per_file = Counter(name for name, _, _ in all_rows)
    assert per_file == {
        "v1/desktop_rl": 334, "v1/mobile_rl": 502, "v1/web_rl": 436,
        "v2/desktop_rl": 334, "v2/mobile_rl": 501, "v2/web_rl": 437,
    }  # fmt: skip
    errors = []
    for name, line, row in all_rows:
        result = score_one(GuiPoint(), Sample(completion="(1, 1)", reference=reference(row)))
        if result.error is not None:
            errors.append((name, line, result.error.type, result.error.message))
    assert errors == [
        (
            "v2/mobile_rl",
            450,
            "ValueError",
            "reference bbox [645, 625, 2361, 1590] reaches outside the 2360x1640 screen (pixel boxes must lie "
            "within [0, width] x [0, height])",
        )
    ]


@pytest.mark.parametrize("coords", ["pixel", "norm1", "norm1000"])
def test_box_centres_score_the_maximum_in_every_convention(all_rows: list, coords: str) -> None:
    point, gaussian = GuiPoint(coords=coords), GuiGaussian(coords=coords)
    auto_point = GuiPoint()
    counts: Counter[str] = Counter()
    for _, _, row in all_rows:
        ref = reference(row)
        x1, y1, x2, y2 = ref["bbox"]
        text = render((x1 + x2) / 2, (y1 + y2) / 2, row["width"], row["height"], coords)
        sample = Sample(completion=text, reference=ref)
        results = [score_one(point, sample), score_one(gaussian, sample)]
        if any(r.error is not None for r in results):
            counts["error"] += 1
            continue
        counts["rows"] += 1
        counts["point_1"] += results[0].score == 1.0
        counts["gaussian_max"] += results[1].score == pytest.approx(1.0, abs=1e-6)
        auto = score_one(auto_point, sample)
        counts["auto_right"] += auto.info["coords"] == coords
        counts["auto_ambiguous"] += bool(auto.info.get("coords_ambiguous"))
    assert counts["rows"] == 2543 and counts["error"] == 1
    assert counts["point_1"] == counts["gaussian_max"] == 2543
    # what `auto` makes of the same text: pixels and 0-1 are always read right; 0-1000 values that fit
    # on the screen in pixels are ambiguous and read as pixels (documented: set coords="norm1000")
    expected_auto = {"pixel": (2543, 1247), "norm1": (2543, 0), "norm1000": (111, 2432)}[coords]
    assert (counts["auto_right"], counts["auto_ambiguous"]) == expected_auto


def test_points_just_outside_score_zero(all_rows: list) -> None:
    reward = GuiPoint(coords="pixel")
    scored = 0
    for _, _, row in all_rows:
        ref = reference(row)
        x1, y1, x2, y2 = ref["bbox"]
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        for x, y in (
            (x1 - 1, cy),
            (x2 + 1, cy),
            (cx, y1 - 1),
            (cx, y2 + 1),
            (x1 - 1, y1 - 1),
            (x2 + 1, y2 + 1),
        ):
            result = score_one(reward, Sample(completion=f"({x:g}, {y:g})", reference=ref))
            if result.error is None:
                assert result.score == 0.0, (ref, x, y)
                scored += 1
    assert scored == 2543 * 6


def test_gaussian_decreases_monotonically_with_distance(all_rows: list) -> None:
    reward = GuiGaussian(coords="pixel")
    directions = ((1, 0), (0, -1), (-1, 1), (0.6, 0.8), (-1, 0), (0, 1), (1, -1), (-0.8, -0.6))
    rays = 0
    for n, (_, _, row) in enumerate(all_rows):
        ref = reference(row)
        x1, y1, x2, y2 = ref["bbox"]
        if x2 > ref["width"]:
            continue  # the malformed box
        cx, cy, step = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1) / 6
        for dx, dy in (directions[n % 8], directions[(n + 3) % 8]):  # two rays per box, all eight overall
            scores = [
                reward(
                    Sample(completion=f"({cx + k * step * dx:.4f}, {cy + k * step * dy:.4f})", reference=ref)
                ).score
                for k in range(8)
            ]
            assert scores[0] == pytest.approx(1.0, abs=1e-6)
            assert all(a > b for a, b in pairwise(scores) if b > 0), scores
            rays += 1
    assert rays == 2543 * 2
