"""Reading GUI answers: locations in text, coordinate conventions, target boxes."""

from __future__ import annotations

import pytest

from rewardlab.rewards.gui.parse import Location, parse_location, parse_target, resolve_coords, to_pixels

P, B = "point", "box"

# (completion, kind, values, form): the answer forms models actually write.
LOCATIONS = [
    ("(100, 200)", P, (100, 200), "tuple"),
    ("[100,200]", P, (100, 200), "tuple"),
    ("The element is at (0.52, 0.31).", P, (0.52, 0.31), "tuple"),
    ("[12, 34, 56, 78]", B, (12, 34, 56, 78), "tuple"),
    ("(12.5, 34.25, 56, 78)", B, (12.5, 34.25, 56, 78), "tuple"),
    ("<|box_start|>(120,45),(300,90)<|box_end|>", B, (120, 45, 300, 90), "qwen_box"),
    ("(120,45),(300,90)", B, (120, 45, 300, 90), "qwen_box"),
    ("click(x=12, y=34)", P, (12, 34), "call"),
    ("CLICK(x = 12.5, y = 3.4e1)", P, (12.5, 34), "call"),
    ("tap(500, 600)", P, (500, 600), "call"),
    ("click(start_box='<|box_start|>(231,512)<|box_end|>')", P, (231, 512), "call"),
    ("long_press(x=1, y=2)", P, (1, 2), "call"),
    ('{"x": 0.5, "y": 0.25}', P, (0.5, 0.25), "json"),
    ('{"x": "640", "y": "360"}', P, (640, 360), "json"),
    ('{"point_2d": [640, 360], "label": "Send"}', P, (640, 360), "json"),
    ('{"action": "click", "coordinate": [10, 20]}', P, (10, 20), "json"),
    ('```json\n[{"bbox_2d": [10, 20, 30, 40], "label": "OK"}]\n```', B, (10, 20, 30, 40), "json"),
    ('{"bbox": [1, 2, 3, 4]}', B, (1, 2, 3, 4), "json"),
    # the last answer wins; an <answer> block is the only place searched when present
    ("first (1, 2) then (3, 4)", P, (3, 4), "tuple"),
    ("<think>maybe (1, 2)</think><answer>(0.3, 0.4)</answer> ps (9, 9)", P, (0.3, 0.4), "tuple"),
    ("off screen: (-3, 5)", P, (-3, 5), "tuple"),
]


@pytest.mark.parametrize(("text", "kind", "values", "form"), LOCATIONS)
def test_parse_location(text: str, kind: str, values: tuple[float, ...], form: str) -> None:
    assert parse_location(text) == Location(kind, tuple(float(v) for v in values), form)


@pytest.mark.parametrize("text", ["", "I cannot find it.", "(1, 2, 3)", "click()", '{"x": 1}', "[a, b]"])
def test_no_location(text: str) -> None:
    assert parse_location(text) is None


def test_parse_location_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="expects a string"):
        parse_location(123)  # type: ignore[arg-type]


# (values, width, height) -> (convention auto picks, ambiguous)
AUTO = [
    ((0.5, 0.25), 1920, 1080, "norm1", False),
    ((0.0, 0.5, 1.0, 0.75), 1920, 1080, "norm1", False),
    ((1500, 900), 1920, 1080, "pixel", False),  # > 1000: pixels
    ((500, 300), 1920, 1080, "pixel", True),  # could be 0-1000 units: ambiguous, read as pixels
    ((700, 800), 960, 540, "norm1000", False),  # y beyond the screen in pixels, within 0-1000
    ((1, 1), 960, 540, "pixel", True),  # integers 0/1 are not fractions
    ((2000, 50), 960, 540, "pixel", False),  # off-screen either way: pixels (it misses)
    ((-5, 10), 960, 540, "pixel", False),
]


@pytest.mark.parametrize(("values", "width", "height", "coords", "ambiguous"), AUTO)
def test_auto_coordinates(
    values: tuple[float, ...], width: int, height: int, coords: str, ambiguous: bool
) -> None:
    assert resolve_coords(values, width, height) == (coords, ambiguous)


def test_to_pixels_in_every_convention() -> None:
    width, height = 2000, 1000
    expected = (500.0, 250.0)
    for coords, values in (("pixel", (500, 250)), ("norm1", (0.25, 0.25)), ("norm1000", (250, 250))):
        px = to_pixels(Location("point", values, "tuple"), width, height, coords)
        assert px.values == pytest.approx(expected)
        assert px.coords == coords and px.point == pytest.approx(expected)
    box = to_pixels(Location("box", (0.5, 0.5, 0.25, 0.25), "tuple"), width, height, "norm1")
    assert box.values == (500.0, 250.0, 1000.0, 500.0)  # corners given in reverse are ordered
    assert box.point == (750.0, 375.0)
    with pytest.raises(ValueError, match="coords must be one of"):
        to_pixels(Location("point", (1, 2), "tuple"), 10, 10, "percent")


def test_parse_target() -> None:
    target = parse_target({"bbox": [10, 20, 30, 60], "width": 100, "height": 80})
    assert target.bbox == (10, 20, 30, 60) and target.center == (20, 40)
    edge = parse_target({"bbox": [0, 0, 100, 80], "width": 100, "height": 80})  # the whole screen is fine
    assert edge.bbox == (0, 0, 100, 80)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ([10, 20, 30, 40], "must be a dict"),
        ({"bbox": [10, 20, 30, 40]}, "missing 'width', 'height'"),
        ({"bbox": [10, 20, 30], "width": 100, "height": 80}, "must be 4 numbers"),
        ({"bbox": [10, 20, "x", 40], "width": 100, "height": 80}, "must be 4 numbers"),
        ({"bbox": [30, 20, 10, 40], "width": 100, "height": 80}, "empty or inverted"),
        ({"bbox": [10, 20, 10, 40], "width": 100, "height": 80}, "empty or inverted"),
        ({"bbox": [10, 20, 30, 40], "width": 0, "height": 80}, "positive numbers"),
        # the one malformed ScreenSpot-v2 box: x2 = 2361 on a 2360-pixel-wide screen
        ({"bbox": [645, 625, 2361, 1590], "width": 2360, "height": 1640}, "outside the 2360x1640 screen"),
        ({"bbox": [-1, 20, 30, 40], "width": 100, "height": 80}, "outside"),
    ],
)
def test_malformed_targets_are_errors(reference: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_target(reference)
