"""The mobile action matcher: parsing actions from several syntaxes, then Mobile-R1 style matching."""

from __future__ import annotations

import pickle

import pytest

import rewardlab as rl
from rewardlab import Sample, score_one
from rewardlab.rewards.gui.action import GuiAction, direction_of, parse_action

SCREEN = {"width": 1080, "height": 2400}
SEND = {"action": "click", "bbox": [900, 2200, 1060, 2300], **SCREEN}  # centre (980, 2250)


def tool_call(arguments: str) -> str:
    return (
        f'<think>...</think>\n<tool_call>\n{{"name": "mobile_use", "arguments": {arguments}}}\n</tool_call>'
    )


# (completion, type, point values, text, direction)
PARSED = [
    (tool_call('{"action": "click", "coordinate": [980, 2250]}'), "click", (980, 2250), None, None),
    (
        tool_call('{"action": "long_press", "coordinate": [5, 6], "time": 2}'),
        "long_press",
        (5, 6),
        None,
        None,
    ),
    (tool_call('{"action": "type", "text": "coffee near me"}'), "type", None, "coffee near me", None),
    (tool_call('{"action": "system_button", "button": "Back"}'), "system_button", None, "back", None),
    (
        tool_call('{"action": "swipe", "coordinate": [500, 1800], "coordinate2": [500, 600]}'),
        "swipe",
        (500, 1800),
        None,
        None,
    ),
    (tool_call('{"action": "open", "text": "Maps"}'), "open", None, "Maps", None),
    (tool_call('{"action": "terminate", "status": "success"}'), "terminate", None, "success", None),
    ('{"action_type": "click", "x": 10, "y": 20}', "click", (10, 20), None, None),
    ('<tool_call>{"name": "tap", "arguments": {"x": 7, "y": 8}}</tool_call>', "click", (7, 8), None, None),
    ('{"name": "type", "arguments": "{\\"text\\": \\"a{b}\\"}"}', "type", None, "a{b}", None),
    ('{"action_type": "scroll", "direction": "down"}', "scroll", None, None, "down"),
    ('{"action_type": "input_text", "text": "hi"}', "type", None, "hi", None),
    ('{"action_type": "navigate_back"}', "system_button", None, "back", None),
    ("click(x=12, y=34)", "click", (12, 34), None, None),
    ("tap(12, 34)", "click", (12, 34), None, None),
    ("click(start_box='<|box_start|>(231,512)<|box_end|>')", "click", (231, 512), None, None),
    ("type(content='hello world')", "type", None, "hello world", None),
    ("swipe(direction='up')", "swipe", None, None, "up"),
    ("scroll('left')", "scroll", None, None, "left"),
    ("press_home()", "system_button", None, "home", None),
    ("Thought: done.\nAction: finished()", "terminate", None, None, None),
    ("<answer>long_press(3, 4)</answer>", "long_press", (3, 4), None, None),
]


@pytest.mark.parametrize(("text", "kind", "point", "value", "direction"), PARSED)
def test_parse_action(
    text: str, kind: str, point: tuple | None, value: str | None, direction: str | None
) -> None:
    action = parse_action(text)
    assert action is not None and action.type == kind
    assert (action.point.values if action.point else None) == (tuple(map(float, point)) if point else None)
    assert action.text == value and action.direction == direction


@pytest.mark.parametrize("text", ["", "I will tap the button", "click(", "<tool_call>not json</tool_call>"])
def test_no_action(text: str) -> None:
    assert parse_action(text) is None


def test_direction_of() -> None:
    assert direction_of((500, 1800), (500, 600)) == "up"
    assert direction_of((0, 0), (10, 3)) == "right"
    assert direction_of((10, 0), (0, 5)) == "left"
    assert direction_of((0, 0), (1, 9)) == "down"
    assert direction_of((1, 1), (1, 1)) is None


# (completion, reference, score, components)
MATCHES = [
    (tool_call('{"action": "click", "coordinate": [980, 2250]}'), SEND, 1.0, (1, 1)),
    (tool_call('{"action": "click", "coordinate": [100, 2250]}'), SEND, 0.0, (1, 0)),
    (tool_call('{"action": "long_press", "coordinate": [980, 2250]}'), SEND, 0.0, (0, 0)),  # wrong type
    ("click(x=0.9074, y=0.9375)", SEND, 1.0, (1, 1)),  # 0-1 units
    # gold given as a coordinate: within 14% of the screen
    ("tap(600, 1300)", {"action": "click", "coordinate": [540, 1200], **SCREEN}, 1.0, (1, 1)),
    ("tap(540, 1700)", {"action": "click", "coordinate": [540, 1200], **SCREEN}, 0.0, (1, 0)),
    ("swipe(direction='up')", {"action": "swipe", "direction": "up"}, 1.0, (1, 1)),
    ("swipe(direction='down')", {"action": "swipe", "direction": "up"}, 0.0, (1, 0)),
    (
        tool_call('{"action": "swipe", "coordinate": [500, 1800], "coordinate2": [520, 600]}'),
        {"action": "swipe", "coordinate": [540, 2000], "coordinate2": [540, 400], **SCREEN},
        1.0,
        (1, 1),
    ),
    ("type(content='coffee')", {"action": "type", "text": "coffee"}, 1.0, (1, 1)),
    ("type(content='Coffee ')", {"action": "type", "text": "coffee"}, 0.0, (1, 0)),  # exact by default
    ("press_back()", {"action": "system_button", "button": "Back"}, 1.0, (1, 1)),
    ('{"action_type": "navigate_home"}', {"action": "home"}, 1.0, (1, 1)),
    ("press_home()", {"action": "system_button", "button": "Back"}, 0.0, (1, 0)),
    ("wait()", {"action": "wait", "time": 2}, 1.0, (1, 1)),
    ("finished()", {"action": "terminate", "status": "success"}, 1.0, (1, 1)),
    (
        "scroll(direction='down')",
        {"action": "swipe", "direction": "down"},
        0.0,
        (0, 0),
    ),  # scroll is not swipe
]


@pytest.mark.parametrize(("text", "reference", "score", "components"), MATCHES)
def test_gui_action_matches(text: str, reference: dict, score: float, components: tuple[int, int]) -> None:
    result = GuiAction()(Sample(completion=text, reference=reference))
    assert result.score == score
    assert result.components == {"type": float(components[0]), "args": float(components[1])}


def test_options_change_the_verdict() -> None:
    gold = {"action": "type", "text": "coffee"}
    assert (
        GuiAction(text_match="normalized")(
            Sample(completion="type(content=' Coffee ')", reference=gold)
        ).score
        == 1.0
    )
    wrong_args = Sample(completion="type(content='tea')", reference=gold)
    assert GuiAction(type_credit=0.25)(wrong_args).score == 0.25
    far = Sample(
        completion="tap(540, 1700)", reference={"action": "click", "coordinate": [540, 1200], **SCREEN}
    )
    assert GuiAction(click_tolerance=0.25)(far).score == 1.0


def test_no_action_scores_zero() -> None:
    none = GuiAction()(Sample(completion="I give up", reference=SEND))
    assert none.score == 0.0 and none.info == {"reason": "no_action", "gold_type": "click"}


@pytest.mark.parametrize(
    ("completion", "gold", "message"),
    [
        ("click(1, 2)", {"action": "teleport"}, "no known action type"),
        ("click(1, 2)", {"action": "click", "bbox": [1, 2, 3, 4]}, "positive 'width'"),
        ("click(1, 2)", {"action": "click", **SCREEN}, "neither 'bbox' nor a coordinate"),
        ("swipe(direction='up')", {"action": "swipe"}, "has no direction"),
        ("type(content='x')", {"action": "type"}, "no text"),
        ("click(1, 2)", "click", "must be a dict"),
    ],
)
def test_an_unreadable_gold_action_is_an_error(completion: str, gold: object, message: str) -> None:
    result = score_one(GuiAction(), Sample(completion=completion, reference=gold))
    assert result.score is None and result.error is not None and message in result.error.message


def test_gui_action_options_and_pickle() -> None:
    with pytest.raises(rl.ConfigError, match="`text_match` of gui_action must be 'exact' or 'normalized'"):
        rl.reward("gui_action", text_match="fuzzy")
    with pytest.raises(rl.ConfigError, match=r"`click_tolerance` of gui_action must be in \(0, 1\]"):
        rl.reward("gui_action", click_tolerance=0)
    reward = GuiAction(coords="norm1000", type_credit=0.1)
    assert vars(pickle.loads(pickle.dumps(reward))) == vars(reward)
