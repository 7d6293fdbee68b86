"""GUI grounding rewards: ``"gui_point"`` (point in box), ``"gui_iou"`` and ``"gui_gaussian"`` (GUI-G2).

A completion names a click point or a box (any form :func:`~rewardlab.rewards.gui.parse.parse_location`
reads, in pixels, 0-1 or 0-1000 units: option ``coords``); ``sample.reference`` is
``{"bbox": [x1, y1, x2, y2], "width": W, "height": H}`` in pixels. A completion with no location scores
0.0 (``info["reason"] = "no_location"``): the policy failed. A malformed reference (missing keys, an empty
box, a box reaching outside the screen) raises ``ValueError``: the reward cannot know the score, so the
runner records an error instead of a made-up 0.0. ``info`` always holds the location in pixels, the
convention used and whether ``auto`` had to guess.

The pure geometry (:func:`point_in_box`, :func:`box_iou`, :func:`gaussian_point`,
:func:`gaussian_coverage`, :func:`area_factor`) works on plain tuples and is tested on its own.

Differences from the anchors, and why:

- verl's ``reward_score`` package has no GUI scorer. GUI-G2's and GUI-G1's reward scripts catch every
  exception and return 0.0, so a broken annotation looks like a bad prediction; here it is an error.
  They also read only one syntax (a ``[x1, y1, x2, y2]`` list or a JSON ``bbox_2d``) in one unit; here the
  forms and the unit are options, and ``auto`` says when it guessed.
- Gaussian point reward: as GUI-G2 (and its code, ``alpha = 0.5``): ``exp(-((dx/sx)^2 + (dy/sy)^2) / 2)``
  with ``sx = sigma_scale * box width``, ``sy = sigma_scale * box height`` (the adaptive variance), for
  the predicted point or the centre of a predicted box. rewardlab does not round to 3 decimals as the
  released code does (rounding flattens the signal near the centre).
- Gaussian coverage: the paper defines it as the probability mass of the predicted Gaussian (centred on
  the predicted box, sigmas ``sigma_scale`` times its width and height) that falls inside the target box;
  rewardlab computes exactly that in closed form (a product of two ``erf`` differences). The released
  code instead returns the Bhattacharyya coefficient between the predicted and the target Gaussians.
  A point prediction is a box of size zero, whose Gaussian is a point mass: its coverage is 1.0 inside
  the target and 0.0 outside.
- Box-size guard (GUI-G1 saw policies exploit box size under hit and IoU rewards): when a prediction is
  a box whose area exceeds ``max_area_ratio`` times the target's, every GUI reward here is multiplied by
  ``max_area_ratio * target_area / predicted_area`` (``info["area_factor"]``), so inflating a box never
  pays. GUI-G1 itself adds a separate box-coordinate term to the reward; a cap is simpler to reason
  about and composes with any of the three rewards. ``max_area_ratio=None`` turns the guard off.
- IoU uses continuous coordinates (GUI-G1's ``iou`` subtracts 1 from the right and bottom edges, a
  pixel-inclusive convention that does not fit fractional or normalised coordinates).
"""

from __future__ import annotations

import math
from typing import Any

from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.rewards.gui.parse import COORDS, PixelLocation, Target, parse_location, parse_target, to_pixels

Box = tuple[float, float, float, float]


# --- pure geometry ----------------------------------------------------------------------------------


def point_in_box(x: float, y: float, box: Box) -> bool:
    """True when (x, y) lies in ``box`` = (x1, y1, x2, y2), edges included."""
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def box_area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2), in [0, 1]; 0.0 when both are empty."""
    inter = box_area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def gaussian_point(x: float, y: float, box: Box, sigma_scale: float = 0.5) -> float:
    """GUI-G2 point reward: a Gaussian centred on ``box`` with sigmas ``sigma_scale`` x its size, at (x, y).

    Equals 1.0 exactly at the centre and decreases strictly with the (size-normalised) distance.
    """
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    sx, sy = sigma_scale * (box[2] - box[0]), sigma_scale * (box[3] - box[1])
    return math.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def _mass_1d(lo: float, hi: float, mu: float, sigma: float) -> float:
    if sigma == 0:
        return 1.0 if lo <= mu <= hi else 0.0
    s = sigma * math.sqrt(2)
    return max(0.0, 0.5 * (math.erf((hi - mu) / s) - math.erf((lo - mu) / s)))


def gaussian_coverage(pred: Box, target: Box, sigma_scale: float = 0.5) -> float:
    """GUI-G2 coverage: the mass of the Gaussian of ``pred`` (sigmas ``sigma_scale`` x its size) in ``target``.

    A zero-size ``pred`` (a point) is a point mass: 1.0 when it lies in ``target``, else 0.0.
    """
    cx, cy = (pred[0] + pred[2]) / 2, (pred[1] + pred[3]) / 2
    sx, sy = sigma_scale * (pred[2] - pred[0]), sigma_scale * (pred[3] - pred[1])
    return _mass_1d(target[0], target[2], cx, sx) * _mass_1d(target[1], target[3], cy, sy)


def area_factor(pred: Box, target: Box, max_area_ratio: float | None) -> float:
    """The box-size guard: 1.0 up to ``max_area_ratio`` x the target's area, then ``ratio_max / ratio``."""
    if max_area_ratio is None:
        return 1.0
    ratio = box_area(pred) / box_area(target)
    return 1.0 if ratio <= max_area_ratio else max_area_ratio / ratio


# --- shared option checks and sample reading --------------------------------------------------------


def _check_coords(owner: str, coords: Any) -> str:
    if coords not in COORDS:
        raise ValueError(f"`coords` of {owner} must be one of {', '.join(map(repr, COORDS))}, got {coords!r}")
    return str(coords)


def _check_ratio(owner: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not (1 <= value < math.inf):
        raise ValueError(f"`max_area_ratio` of {owner} must be a number >= 1 or None, got {value!r}")
    return float(value)


def _check_unit(owner: str, option: str, value: Any, *, low_open: bool) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > 0 if low_open else 0 <= value <= 1)
    if not ok:
        allowed = "> 0" if low_open else "in [0, 1]"
        raise ValueError(f"`{option}` of {owner} must be a number {allowed}, got {value!r}")
    return float(value)


def locate(sample: Sample, coords: str) -> tuple[Target, PixelLocation | None, dict[str, Any]]:
    """Read the target (raises on a malformed reference) and the completion's location in pixels."""
    target = parse_target(sample.reference)
    loc = parse_location(sample.completion_text)
    if loc is None:
        return target, None, {"reason": "no_location"}
    px = to_pixels(loc, target.width, target.height, coords)
    info: dict[str, Any] = {
        "kind": px.kind,
        "location": [round(v, 3) for v in px.values],
        "coords": px.coords,
        "form": loc.form,
    }
    if px.ambiguous:
        info["coords_ambiguous"] = True
    return target, px, info


def _guard(px: PixelLocation, target: Target, max_area_ratio: float | None, info: dict[str, Any]) -> float:
    if px.kind != "box":
        return 1.0
    box: Box = (px.values[0], px.values[1], px.values[2], px.values[3])
    info["area_ratio"] = round(box_area(box) / box_area(target.bbox), 4)
    factor = area_factor(box, target.bbox, max_area_ratio)
    if factor < 1.0:
        info["area_factor"] = factor
    return factor


# --- rewards ------------------------------------------------------------------------------------------


class GuiPoint(Reward):
    """1.0 when the predicted point (or the centre of a predicted box) lies in the target box, else 0.0.

    Options: ``coords`` (``"auto"``, ``"pixel"``, ``"norm1"``, ``"norm1000"``); ``max_area_ratio`` (the
    box-size guard for box predictions, default 4.0; None turns it off).
    """

    name = "gui_point"

    def __init__(self, coords: str = "auto", max_area_ratio: float | None = 4.0) -> None:
        self.coords = _check_coords("gui_point", coords)
        self.max_area_ratio = _check_ratio("gui_point", max_area_ratio)

    def compute(self, sample: Sample) -> RewardResult:
        target, px, info = locate(sample, self.coords)
        if px is None:
            return RewardResult(score=0.0, info=info)
        hit = point_in_box(*px.point, target.bbox)
        return RewardResult(score=float(hit) * _guard(px, target, self.max_area_ratio, info), info=info)


class GuiIoU(Reward):
    """Intersection over union of the predicted box with the target box.

    A point prediction scores 0.0 (``info["reason"] = "point_prediction"``): IoU needs a box. Options:
    ``coords``; ``max_area_ratio`` (box-size guard, default 4.0; None turns it off).
    """

    name = "gui_iou"

    def __init__(self, coords: str = "auto", max_area_ratio: float | None = 4.0) -> None:
        self.coords = _check_coords("gui_iou", coords)
        self.max_area_ratio = _check_ratio("gui_iou", max_area_ratio)

    def compute(self, sample: Sample) -> RewardResult:
        target, px, info = locate(sample, self.coords)
        if px is None:
            return RewardResult(score=0.0, info=info)
        if px.kind != "box":
            info["reason"] = "point_prediction"
            return RewardResult(score=0.0, info=info)
        box: Box = (px.values[0], px.values[1], px.values[2], px.values[3])
        iou = box_iou(box, target.bbox)
        return RewardResult(
            score=iou * _guard(px, target, self.max_area_ratio, info), components={"iou": iou}, info=info
        )


class GuiGaussian(Reward):
    """GUI-G2 Gaussian reward: ``(1 - coverage_weight) * point + coverage_weight * coverage``.

    ``point`` is :func:`gaussian_point` at the predicted point (or box centre), 1.0 exactly at the target
    centre; ``coverage`` is :func:`gaussian_coverage` of the predicted box (a point is a point mass). Both
    are reported in ``components``. Options: ``sigma_scale`` (> 0, default 0.5 as GUI-G2's code),
    ``coverage_weight`` (in [0, 1], default 0: the score is the point reward), ``coords``,
    ``max_area_ratio`` (box-size guard, default 4.0; None turns it off).
    """

    name = "gui_gaussian"

    def __init__(
        self,
        sigma_scale: float = 0.5,
        coverage_weight: float = 0.0,
        coords: str = "auto",
        max_area_ratio: float | None = 4.0,
    ) -> None:
        self.sigma_scale = _check_unit("gui_gaussian", "sigma_scale", sigma_scale, low_open=True)
        self.coverage_weight = _check_unit("gui_gaussian", "coverage_weight", coverage_weight, low_open=False)
        self.coords = _check_coords("gui_gaussian", coords)
        self.max_area_ratio = _check_ratio("gui_gaussian", max_area_ratio)

    def compute(self, sample: Sample) -> RewardResult:
        target, px, info = locate(sample, self.coords)
        if px is None:
            return RewardResult(score=0.0, info=info)
        x, y = px.point
        point = gaussian_point(x, y, target.bbox, self.sigma_scale)
        pred: Box = (
            (x, y, x, y) if px.kind == "point" else (px.values[0], px.values[1], px.values[2], px.values[3])
        )
        coverage = gaussian_coverage(pred, target.bbox, self.sigma_scale)
        w = self.coverage_weight
        score = ((1 - w) * point + w * coverage) * _guard(px, target, self.max_area_ratio, info)
        return RewardResult(score=score, components={"point": point, "coverage": coverage}, info=info)
