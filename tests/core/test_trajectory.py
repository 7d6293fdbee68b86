"""The trajectory view over chat-message completions (core/trajectory.py)."""

from __future__ import annotations

import pickle

import pytest

from rewardlab import Sample, SampleError
from rewardlab.core.trajectory import MalformedCall, ToolCall, decode_openai_tool_calls, trajectory

AGENT = [
    {
        "role": "user",
        "content": "also check the weather",
    },  # a completion may start with a non-assistant message
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
            },
            {"id": "c2", "type": "function", "function": {"name": "time", "arguments": {"tz": "CET"}}},
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "rain, 4C"},
    {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "14:02"}]},
    {"role": "assistant", "content": "It rains in Oslo (4C); it is 14:02."},
]


def test_messages_group_into_assistant_turns() -> None:
    traj = trajectory(Sample(completion=AGENT))
    assert len(traj) == 2 and len(traj.steps) == 5
    assert [s.role for s in traj.prefix] == ["user"]
    first, last = traj.turns
    assert (first.index, first.action.index, first.text) == (0, 1, "")
    assert [s.index for s in first.observations] == [2, 3]
    assert first.tool_results == ["rain, 4C", "14:02"]  # OpenAI content parts are joined
    assert last.observations == () and traj.final_text == "It rains in Oslo (4C); it is 14:02."
    calls, bad = first.tool_calls
    assert bad == [] and [c.to_dict() for c in calls] == [
        {"name": "weather", "arguments": {"city": "Oslo"}},
        {"name": "time", "arguments": {"tz": "CET"}},
    ]
    assert calls[0].id == "c1" and calls[0].turn == 0 and calls[0].source == "openai"
    assert traj.tool_calls() == (calls, [])
    assert pickle.loads(pickle.dumps(traj)) == traj


def test_a_string_completion_is_one_turn_without_calls() -> None:
    traj = trajectory("just an answer")
    assert len(traj) == 1 and traj.final_text == "just an answer" and traj.prefix == ()
    assert traj.turns[0].tool_calls == ([], [])


def test_no_assistant_message_means_no_turns() -> None:
    traj = trajectory([{"role": "tool", "content": "x"}])
    assert len(traj) == 0 and traj.final_text == "" and len(traj.prefix) == 1


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"function": {"name": "f", "arguments": "{not json"}}, "arguments are not valid JSON"),
        ({"function": {"name": "f", "arguments": "[1, 2]"}}, "arguments must be an object, got list"),
        ({"function": {"arguments": "{}"}}, "tool call has no function name"),
        ({"function": {"name": "", "arguments": "{}"}}, "tool call has no function name"),
        ("f(x=1)", "tool call entry is not an object"),
    ],
)
def test_malformed_openai_calls_are_recorded_not_raised(entry: object, reason: str) -> None:
    calls, bad = decode_openai_tool_calls([entry, {"function": {"name": "ok", "arguments": ""}}], turn=3)
    assert calls == [ToolCall("ok", {}, "openai", 3)]
    assert len(bad) == 1 and isinstance(bad[0], MalformedCall)
    assert bad[0].reason.startswith(reason) and bad[0].turn == 3 and bad[0].source == "openai"


@pytest.mark.parametrize(
    ("completion", "message"),
    [
        ([{"role": "assistant", "content": "x"}, "oops"], "message 1 is str"),
        ([{"content": "no role"}], "message 0 has no string 'role'"),
        (42, "completion must be a string or a list of messages"),
    ],
)
def test_broken_message_lists_are_sample_errors(completion: object, message: str) -> None:
    with pytest.raises(SampleError, match=message):
        trajectory(completion)  # type: ignore[arg-type]
