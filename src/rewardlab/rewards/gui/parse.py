"""Reading GUI grounding answers: a click point or a box in text, a target box in ``reference``.

Two public steps, each tested on its own:

- :func:`parse_location` finds the answer in a completion and returns a :class:`Location` (a point or a
  box, numbers as written) or None. Accepted forms: ``(x, y)`` / ``[x, y]``, ``[x1, y1, x2, y2]``,
  Qwen2-VL's ``(x1,y1),(x2,y2)`` (optionally inside ``<|box_start|>...<|box_end|>``), calls such as
  ``click(x=12, y=34)``, ``click(12, 34)`` or UI-TARS's ``click(start_box='(12,34)')``, and flat JSON
  objects ``{"x": .., "y": ..}``, ``{"point"|"point_2d"|"coordinate"|"position": [x, y]}``,
  ``{"bbox"|"bbox_2d"|"box": [x1, y1, x2, y2]}`` (also inside a list, as Qwen2.5-VL writes them).
  When an ``<answer>`` block exists only it is searched; otherwise the whole text. When several
  candidates occur, the one that ends last wins (the final answer), and of two that end together the
  longer one (``(1,2),(3,4)`` is a box, not the point ``(3,4)``).
- :func:`to_pixels` converts a location to pixels under a coordinate convention: ``"pixel"``,
  ``"norm1"`` (0-1 fractions of the screen), ``"norm1000"`` (0-1000, Qwen2-VL style) or ``"auto"``.

How ``"auto"`` decides, in order:

1. every value lies in [0, 1] and at least one is fractional -> ``norm1``;
2. every x lies in [0, width] and every y in [0, height] -> ``pixel``; when moreover every value is
   <= 1000 the text could equally be ``norm1000``: this is the ambiguous case, resolved as ``pixel`` and
   flagged (``ambiguous=True``, recorded in ``info["coords_ambiguous"]``). On a screen at most 1000
   pixels wide and high every in-screen answer is ambiguous; on a larger screen, answers in the top-left
   1000x1000 pixels are;
3. every value lies in [0, 1000] (so some value falls outside the screen in pixels) -> ``norm1000``;
4. otherwise ``pixel`` (an off-screen answer, which simply misses).

``auto`` looks only at the numbers and the screen size, never at the target box (choosing the unit
that scores best would reward a policy for being vague about its unit). If a policy is trained to
answer in 0-1000 units, set ``coords="norm1000"``: ``auto`` cannot tell
``(500, 300)`` in 0-1000 units from the pixel (500, 300) on a 2560x1440 screen.

:func:`parse_target` reads ``reference = {"bbox": [x1, y1, x2, y2], "width": W, "height": H}`` (pixels)
and raises ``ValueError`` for a malformed one: missing keys, non-numbers, ``x2 <= x1`` or ``y2 <= y1``,
or a box reaching outside the ``W x H`` screen.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

COORDS = ("auto", "pixel", "norm1", "norm1000")

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SEP = r"\s*,\s*"
_PAIR = rf"[\(\[]\s*({_NUM}){_SEP}({_NUM})\s*[\)\]]"
_QUAD = rf"[\(\[]\s*({_NUM}){_SEP}({_NUM}){_SEP}({_NUM}){_SEP}({_NUM})\s*[\)\]]"
_TWO_PAIRS = rf"\(\s*({_NUM}){_SEP}({_NUM})\s*\)\s*,?\s*\(\s*({_NUM}){_SEP}({_NUM})\s*\)"
_CALL_NAMES = r"click|left_click|right_click|double_click|tap|long_press|point|move_to|hover"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("tuple", re.compile(_PAIR)),
    ("tuple", re.compile(_QUAD)),
    ("qwen_box", re.compile(_TWO_PAIRS)),
    ("call", re.compile(rf"\b(?:{_CALL_NAMES})\s*\(((?:[^()]|\([^()]*\))*)\)", re.IGNORECASE)),
    ("json", re.compile(r"\{[^{}]*\}")),
)
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_NUMBER = re.compile(_NUM)
_KW_X = re.compile(rf"\bx\s*[=:]\s*['\"]?({_NUM})")
_KW_Y = re.compile(rf"\by\s*[=:]\s*['\"]?({_NUM})")
_POINT_KEYS = ("point", "point_2d", "coordinate", "coordinates", "position", "click")
_BOX_KEYS = ("bbox", "bbox_2d", "box")


@dataclass(frozen=True, slots=True)
class Location:
    """A parsed answer: ``kind`` ``"point"`` (x, y) or ``"box"`` (x1, y1, x2, y2), in the units written.

    ``form`` names the syntax that matched: ``"tuple"``, ``"qwen_box"``, ``"call"`` or ``"json"``.
    """

    kind: str
    values: tuple[float, ...]
    form: str


@dataclass(frozen=True, slots=True)
class Target:
    """A target element: ``bbox`` (x1, y1, x2, y2) in pixels on a ``width`` x ``height`` screen."""

    bbox: tuple[float, float, float, float]
    width: float
    height: float

    @property
    def center(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.bbox
        return (x1 + x2) / 2, (y1 + y2) / 2


@dataclass(frozen=True, slots=True)
class PixelLocation:
    """A location converted to pixels, with the convention used and whether ``auto`` had to guess."""

    kind: str
    values: tuple[float, ...]
    coords: str
    ambiguous: bool = False

    @property
    def point(self) -> tuple[float, float]:
        """The point itself, or the centre of a box."""
        if self.kind == "point":
            return self.values[0], self.values[1]
        x1, y1, x2, y2 = self.values
        return (x1 + x2) / 2, (y1 + y2) / 2


def _from_numbers(numbers: list[float], form: str) -> Location | None:
    if len(numbers) == 2:
        return Location("point", tuple(numbers), form)
    if len(numbers) == 4:
        return Location("box", tuple(numbers), form)
    return None


def _from_json(text: str) -> Location | None:
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for keys, size in ((_BOX_KEYS, 4), (_POINT_KEYS, 2)):
        for key in keys:
            value = lowered.get(key)
            if isinstance(value, list) and len(value) == size:
                numbers = [_number(v) for v in value]
                if all(n is not None for n in numbers):
                    return _from_numbers([n for n in numbers if n is not None], "json")
    x, y = _number(lowered.get("x")), _number(lowered.get("y"))
    if x is not None and y is not None:
        return Location("point", (x, y), "json")
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    return None


def _from_call(args: str) -> Location | None:
    kx, ky = _KW_X.search(args), _KW_Y.search(args)
    if kx and ky:
        return Location("point", (float(kx.group(1)), float(ky.group(1))), "call")
    return _from_numbers([float(n) for n in _NUMBER.findall(args)], "call")


def parse_location(text: str) -> Location | None:
    """The last point or box written in ``text`` (in its ``<answer>`` block if it has one), or None."""
    if not isinstance(text, str):
        raise TypeError(f"parse_location expects a string, got {type(text).__name__}")
    answers = _ANSWER.findall(text)
    if answers:
        text = answers[-1]
    best: tuple[int, int, Location] | None = None
    for form, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if form == "json":
                loc = _from_json(m.group(0))
            elif form == "call":
                loc = _from_call(m.group(1))
            else:
                loc = _from_numbers([float(g) for g in m.groups()], form)
            if loc is None:
                continue
            key = (m.end(), m.end() - m.start())
            if best is None or key > best[:2]:
                best = (key[0], key[1], loc)
    return best[2] if best else None


def resolve_coords(values: tuple[float, ...], width: float, height: float) -> tuple[str, bool]:
    """The convention ``auto`` picks for ``values`` (x, y, [x, y]) on a screen, and whether it guessed."""
    xs, ys = values[0::2], values[1::2]
    if all(0 <= v <= 1 for v in values) and any(v != int(v) for v in values):
        return "norm1", False
    if all(0 <= x <= width for x in xs) and all(0 <= y <= height for y in ys):
        return "pixel", all(v <= 1000 for v in values)
    if all(0 <= v <= 1000 for v in values):
        return "norm1000", False
    return "pixel", False


def to_pixels(loc: Location, width: float, height: float, coords: str = "auto") -> PixelLocation:
    """Convert ``loc`` to pixels on a ``width`` x ``height`` screen under ``coords`` (see module doc)."""
    if coords not in COORDS:
        raise ValueError(f"coords must be one of {', '.join(COORDS)}, got {coords!r}")
    ambiguous = False
    if coords == "auto":
        coords, ambiguous = resolve_coords(loc.values, width, height)
    scale = {"pixel": 1.0, "norm1": 1.0, "norm1000": 1000.0}[coords]
    if coords == "pixel":
        values = loc.values
    else:
        values = tuple(v / scale * (width if i % 2 == 0 else height) for i, v in enumerate(loc.values))
    if loc.kind == "box":  # written as (x2, y2, x1, y1): keep the box, order its corners
        x1, y1, x2, y2 = values
        values = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return PixelLocation(loc.kind, values, coords, ambiguous)


def parse_target(reference: Any) -> Target:
    """Read ``{"bbox": [x1, y1, x2, y2], "width": W, "height": H}`` (pixels); ``ValueError`` if malformed."""
    if not isinstance(reference, Mapping):
        raise ValueError(
            "reference must be a dict {'bbox': [x1, y1, x2, y2], 'width': W, 'height': H}, "
            f"got {type(reference).__name__}"
        )
    missing = [k for k in ("bbox", "width", "height") if k not in reference]
    if missing:
        raise ValueError(f"reference is missing {', '.join(repr(k) for k in missing)}")
    width, height = _number(reference["width"]), _number(reference["height"])
    if width is None or height is None or width <= 0 or height <= 0:
        raise ValueError(
            f"reference width/height must be positive numbers, got {reference['width']!r} x {reference['height']!r}"
        )
    raw = reference["bbox"]
    numbers = [_number(v) for v in raw] if isinstance(raw, list | tuple) else []
    if len(numbers) != 4 or any(n is None for n in numbers):
        raise ValueError(f"reference bbox must be 4 numbers [x1, y1, x2, y2], got {raw!r}")
    x1, y1, x2, y2 = (float(n) for n in numbers if n is not None)
    if not (x2 > x1 and y2 > y1):
        raise ValueError(f"reference bbox {raw!r} is empty or inverted (need x1 < x2 and y1 < y2)")
    if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
        raise ValueError(
            f"reference bbox {raw!r} reaches outside the {width:g}x{height:g} screen (pixel boxes must "
            "lie within [0, width] x [0, height])"
        )
    return Target((x1, y1, x2, y2), width, height)
