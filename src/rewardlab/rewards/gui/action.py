"""``"gui_action"``: does a predicted mobile action match the gold one (type and arguments)?

Scored as Mobile-R1's verifiable action reward: 1.0 when the action type matches and its arguments are
right, else 0.0. Coordinate actions are right when the predicted point lies in the gold element's box
(``click``, ``long_press``; for ``swipe`` the start point, when the gold gives a box); a swipe or scroll
must also go in the gold direction; text actions (``type``, ``key``, ``open``) and ``system_button`` need
the same text or button. ``wait`` and ``terminate`` match on type (and a ``terminate`` status, when both
give one). ``components`` has ``type`` and ``args`` (0/1) so that partial credit is visible; option
``type_credit`` gives a score for the right type with wrong arguments (UI-R1 / GUI-R1 style shaping).

Accepted predictions (the last one in the completion, inside its ``<answer>`` block if any):

- Qwen2.5-VL ``mobile_use`` tool calls, as Mobile-R1 writes them:
  ``<tool_call>{"name": "mobile_use", "arguments": {"action": "click", "coordinate": [x, y]}}</tool_call>``;
- a JSON object with ``action`` or ``action_type`` (AndroidControl style, ``x``/``y`` or ``coordinate``);
- a call: ``click(x=1, y=2)``, ``long_press(1, 2)``, ``type(content='hi')``, ``swipe(direction='up')``,
  ``press_back()``, UI-TARS ``click(start_box='(1,2)')``, ``drag(start_box=..., end_box=...)``.

Action names are canonicalised (``tap`` -> ``click``, ``input_text`` -> ``type``, ``press_back`` /
``navigate_back`` / ``back`` -> ``system_button`` Back, ``finished`` -> ``terminate``, ...). ``scroll``
stays distinct from ``swipe``: the two name directions in opposite senses in different datasets, and
guessing the convention would silently flip half the labels.

The gold action (``sample.reference``) is a dict in the same vocabulary, e.g. ``{"action": "click",
"bbox": [x1, y1, x2, y2], "width": W, "height": H}``, ``{"action": "swipe", "direction": "up"}``,
``{"action": "type", "text": "coffee"}``, or a ``{"name": "mobile_use", "arguments": {...}}`` call. A gold
click with a ``coordinate`` instead of a box matches within ``click_tolerance`` (a fraction of the screen,
AITW's 0.14 by default). A gold action that cannot be read is an error, never a 0.0.

Differences from Mobile-R1: its action-level reward also adds a format term (compose rewardlab's
``think_answer_format`` for that), and it scores its own ``mobile_use`` tool-call format only; here
several public action syntaxes are read and the coordinate unit is an option (``coords``, as in the
grounding rewards). A failure to read the gold action is an error instead of a 0.0.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.rewards.gui.grounding import point_in_box
from rewardlab.rewards.gui.parse import COORDS, Location, parse_location, to_pixels

ALIASES: dict[str, tuple[str, str | None]] = {
    **{n: ("click", None) for n in ("click", "tap", "left_click", "left_single", "touch")},
    **{n: ("long_press", None) for n in ("long_press", "longpress", "long_click", "long_tap")},
    **{n: ("type", None) for n in ("type", "input", "input_text", "type_text", "write")},
    **{n: ("swipe", None) for n in ("swipe", "drag", "fling")},
    "scroll": ("scroll", None),
    **{n: ("key", None) for n in ("key", "hotkey", "press_key", "keyevent", "press")},
    "system_button": ("system_button", None),
    **{n: ("system_button", "back") for n in ("back", "press_back", "navigate_back", "go_back")},
    **{n: ("system_button", "home") for n in ("home", "press_home", "navigate_home", "go_home")},
    **{n: ("system_button", "enter") for n in ("enter", "press_enter")},
    **{n: ("system_button", "menu") for n in ("menu", "press_menu")},
    **{n: ("open", None) for n in ("open", "open_app", "launch", "launch_app", "awake")},
    **{n: ("wait", None) for n in ("wait", "sleep")},
    **{
        n: ("terminate", None) for n in ("terminate", "finished", "finish", "done", "stop", "status_complete")
    },
}
_POINT_KEYS = ("coordinate", "coordinates", "point", "start_box", "start_point", "start", "position")
_POINT2_KEYS = ("coordinate2", "end_box", "end_point", "end_coordinate", "end")
_TEXT_KEYS = ("text", "content", "value", "app_name", "app", "key", "keys", "typed_text")
_CALL_START = re.compile(r"\b(" + "|".join(sorted(ALIASES, key=len, reverse=True)) + r")\s*\(", re.I)
_TOOL_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Action:
    """A canonical action. Coordinates are as written (``point``/``point2``), or pixel ``bbox`` for gold."""

    type: str
    point: Location | None = None
    point2: Location | None = None
    direction: str | None = None
    text: str | None = None
    bbox: tuple[float, float, float, float] | None = None


def _location(value: Any) -> Location | None:
    if isinstance(value, str):
        return parse_location(value)
    if isinstance(value, list | tuple) and len(value) in (2, 4) and all(_is_number(v) for v in value):
        return Location("point" if len(value) == 2 else "box", tuple(float(v) for v in value), "json")
    return None


def action_from_dict(obj: Mapping[str, Any]) -> Action | None:
    """Canonicalise ``{"action": ..., ...}`` (or a ``{"name": ..., "arguments": {...}}`` call)."""
    args = obj.get("arguments")
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            args = None
    if isinstance(args, Mapping):
        obj = {"action": obj.get("name"), **args} if "action" not in args else dict(args)
    raw = obj.get("action", obj.get("action_type"))
    if not isinstance(raw, str):
        return None
    kind, implied = ALIASES.get(raw.strip().lower(), (raw.strip().lower(), None))
    text = next((obj[k] for k in _TEXT_KEYS if isinstance(obj.get(k), str)), None)
    if kind == "system_button":
        button = implied or obj.get("button") or text
        text = str(button).strip().lower() if button is not None else None
    elif kind == "terminate":
        text = obj.get("status") if isinstance(obj.get("status"), str) else None
    point = next((p for k in _POINT_KEYS if (p := _location(obj.get(k))) is not None), None)
    if point is None and isinstance(obj.get("x"), int | float) and isinstance(obj.get("y"), int | float):
        point = Location("point", (float(obj["x"]), float(obj["y"])), "json")
    point2 = next((p for k in _POINT2_KEYS if (p := _location(obj.get(k))) is not None), None)
    direction = obj.get("direction")
    direction = direction.strip().lower() if isinstance(direction, str) else None
    bbox = obj.get("bbox")
    box = tuple(float(v) for v in bbox) if isinstance(bbox, list | tuple) and len(bbox) == 4 else None
    return Action(kind, point, point2, direction, text, box)  # type: ignore[arg-type]


def _json_objects(text: str) -> list[Any]:
    """The outermost JSON objects in ``text`` (not those nested in another), in order of position."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, int, Any]] = []
    for start in [m.start() for m in re.finditer(r"\{", text)][-200:]:  # answers come last
        if found and start < found[-1][1]:
            continue  # inside the object found last
        try:
            obj, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        found.append((start, end, obj))
    return [obj for _, _, obj in found]


def _call_args(text: str, start: int) -> tuple[str, int] | None:
    """The text between the parenthesis at ``start`` and its partner (quotes respected), and the end."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    return None


def _action_from_call(name: str, args: str) -> Action | None:
    try:
        node = ast.parse(f"f({args})", mode="eval").body
        if not isinstance(node, ast.Call):
            return None
        positional = [ast.literal_eval(a) for a in node.args]
        keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    obj: dict[str, Any] = {"action": name, **keywords}
    numbers = [p for p in positional if isinstance(p, int | float) and not isinstance(p, bool)]
    if len(numbers) in (2, 4) and len(numbers) == len(positional):
        obj.setdefault("coordinate", numbers)
    elif len(positional) == 1 and isinstance(positional[0], str):
        kind = ALIASES.get(name.lower(), (name, None))[0]
        key = "direction" if kind in ("swipe", "scroll") else "text"
        obj.setdefault(key, positional[0])
    return action_from_dict(obj)


def parse_action(text: str) -> Action | None:
    """The last action in ``text``: a ``<tool_call>``, a JSON action object, or a call; None if none."""
    if not isinstance(text, str):
        raise TypeError(f"parse_action expects a string, got {type(text).__name__}")
    answers = _ANSWER.findall(text)
    if answers:
        text = answers[-1]
    for block in reversed(_TOOL_CALL.findall(text)):
        for obj in _json_objects(block):
            if isinstance(obj, Mapping) and (action := action_from_dict(obj)) is not None:
                return action
    for obj in reversed(_json_objects(text)):
        if isinstance(obj, Mapping) and (action := action_from_dict(obj)) is not None:
            return action
    for m in reversed(list(_CALL_START.finditer(text))):
        found = _call_args(text, m.end() - 1)
        if found is not None and (action := _action_from_call(m.group(1), found[0])) is not None:
            return action
    return None


def direction_of(p1: tuple[float, float], p2: tuple[float, float]) -> str | None:
    """The dominant direction of a move from ``p1`` to ``p2`` (screen y grows downwards); None if no move."""
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    if dx == 0 and dy == 0:
        return None
    if abs(dx) >= abs(dy):
        return "right" if dx > 0 else "left"
    return "down" if dy > 0 else "up"


class GuiAction(Reward):
    """Mobile-R1 action match: 1.0 when type and arguments match the gold action (see module doc).

    Options: ``coords`` (unit of predicted coordinates: ``"auto"``, ``"pixel"``, ``"norm1"``,
    ``"norm1000"``), ``click_tolerance`` (fraction of the screen for gold clicks given as a coordinate,
    default 0.14), ``text_match`` (``"exact"`` after trimming, or ``"normalized"``: case and runs of
    whitespace ignored), ``type_credit`` (score for the right type with wrong arguments, default 0.0).
    """

    name = "gui_action"

    def __init__(
        self,
        coords: str = "auto",
        click_tolerance: float = 0.14,
        text_match: str = "exact",
        type_credit: float = 0.0,
    ) -> None:
        if coords not in COORDS:
            raise ValueError(
                f"`coords` of gui_action must be one of {', '.join(map(repr, COORDS))}, got {coords!r}"
            )
        if not _is_number(click_tolerance) or not 0 < click_tolerance <= 1:
            raise ValueError(f"`click_tolerance` of gui_action must be in (0, 1], got {click_tolerance!r}")
        if text_match not in ("exact", "normalized"):
            raise ValueError(
                f"`text_match` of gui_action must be 'exact' or 'normalized', got {text_match!r}"
            )
        if not _is_number(type_credit) or not 0 <= type_credit <= 1:
            raise ValueError(f"`type_credit` of gui_action must be in [0, 1], got {type_credit!r}")
        self.coords = coords
        self.click_tolerance = float(click_tolerance)
        self.text_match = text_match
        self.type_credit = float(type_credit)

    def compute(self, sample: Sample) -> RewardResult:
        gold = self._gold(sample.reference)
        pred = parse_action(sample.completion_text)
        if pred is None:
            return RewardResult(score=0.0, info={"reason": "no_action", "gold_type": gold.type})
        info: dict[str, Any] = {"type": pred.type, "gold_type": gold.type}
        if pred.type != gold.type:
            return RewardResult(score=0.0, components={"type": 0.0, "args": 0.0}, info=info)
        ok = self._args_match(pred, gold, sample.reference, info)
        score = 1.0 if ok else self.type_credit
        return RewardResult(score=score, components={"type": 1.0, "args": float(ok)}, info=info)

    @staticmethod
    def _gold(reference: Any) -> Action:
        if not isinstance(reference, Mapping):
            raise ValueError(
                f"gui_action reference must be a dict describing the gold action, got {reference!r}"
            )
        gold = action_from_dict(reference)
        if gold is None or gold.type not in {kind for kind, _ in ALIASES.values()}:
            raise ValueError(f"gui_action reference has no known action type: {dict(reference)!r}")
        return gold

    def _pixels(self, loc: Location | None, ref: Mapping[str, Any]) -> tuple[float, float] | None:
        if loc is None:
            return None
        return to_pixels(loc, _screen(ref, "width"), _screen(ref, "height"), self.coords).point

    def _args_match(self, pred: Action, gold: Action, ref: Mapping[str, Any], info: dict[str, Any]) -> bool:
        if gold.type in ("click", "long_press"):
            point = self._pixels(pred.point, ref)
            info["point"] = [round(v, 2) for v in point] if point else None
            return point is not None and self._hits(point, gold, ref)
        if gold.type in ("swipe", "scroll"):
            start, end = self._pixels(pred.point, ref), self._pixels(pred.point2, ref)
            pred_dir = pred.direction or (direction_of(start, end) if start and end else None)
            gold_dir = gold.direction
            if gold_dir is None and gold.point is not None and gold.point2 is not None:
                gold_dir = direction_of(_xy(gold.point), _xy(gold.point2))
            if gold_dir is None:
                raise ValueError(f"gold {gold.type} has no direction (give 'direction' or two coordinates)")
            info["direction"] = pred_dir
            if pred_dir != gold_dir:
                return False
            return gold.bbox is None or (start is not None and point_in_box(*start, gold.bbox))
        if gold.type in ("type", "key", "open", "system_button"):
            if gold.text is None:
                raise ValueError(f"gold {gold.type} has no text/button argument")
            return pred.text is not None and self._same_text(pred.text, gold.text, gold.type)
        if gold.type == "terminate" and gold.text and pred.text:
            return pred.text.strip().lower() == gold.text.strip().lower()
        return True  # wait, terminate without status

    def _hits(self, point: tuple[float, float], gold: Action, ref: Mapping[str, Any]) -> bool:
        if gold.bbox is not None:
            return point_in_box(*point, gold.bbox)
        if gold.point is None:
            raise ValueError(f"gold {gold.type} has neither 'bbox' nor a coordinate")
        gx, gy = _xy(gold.point)
        w, h = _screen(ref, "width"), _screen(ref, "height")
        return math.hypot((point[0] - gx) / w, (point[1] - gy) / h) <= self.click_tolerance

    def _same_text(self, pred: str, gold: str, kind: str) -> bool:
        if kind == "system_button" or self.text_match == "normalized":
            return " ".join(pred.casefold().split()) == " ".join(gold.casefold().split())
        return pred.strip() == gold.strip()


def _xy(loc: Location) -> tuple[float, float]:
    """A gold point as written (gold coordinates are pixels), or the centre of a gold box."""
    v = loc.values
    return (v[0], v[1]) if loc.kind == "point" else ((v[0] + v[2]) / 2, (v[1] + v[3]) / 2)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _screen(ref: Mapping[str, Any], key: str) -> float:
    value: Any = ref.get(key)
    if not _is_number(value) or value <= 0:
        raise ValueError(
            f"gui_action reference needs a positive {key!r} for coordinate actions, got {value!r}"
        )
    return float(value)
