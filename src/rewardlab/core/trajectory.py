"""A trajectory view over a :class:`~rewardlab.core.types.Sample` whose completion is chat messages.

An agent rollout is a list of messages: assistant turns (text and/or OpenAI-style ``tool_calls``),
``tool`` results, sometimes user or environment messages in between. :func:`trajectory` reads it once
into immutable pieces:

- a :class:`Step` per message (an action when the role is ``assistant``, an observation otherwise);
- a :class:`Turn` per assistant message: the message and the observations that follow it up to the next
  assistant message; ``Turn.tool_calls`` decodes its OpenAI ``tool_calls``;
- ``Trajectory.prefix``: messages before the first assistant message (a completion that starts with a
  tool result or a user follow-up).

A plain-text completion is a trajectory with one assistant turn and no tool calls, so a reward can treat
both shapes alike.

Per-turn scores. ``RewardResult.step_scores`` of an agent reward has exactly one float per assistant
turn, in order: ``step_scores[i]`` belongs to ``trajectory(sample).turns[i]``. rewardlab's built-in agent
rewards (tool calls, checklists) make them *additive*: each is the part of the score earned by that
turn, so ``sum(step_scores) == score`` (up to float rounding) and a credit-assignment function can use
them directly as per-turn rewards. A reward that is not additive must say so in its docstring.

Differences from the anchors: verl and verifiers hand reward functions raw message lists (or a rendered
string) and every reward re-parses them; eval-protocol's ``EvaluationRow`` keeps messages but has no turn
grouping. Here the grouping is done once, its indexing is the contract for ``step_scores``, and malformed
tool-call JSON is kept as a :class:`MalformedCall` (the policy's failure, for a format reward to count)
instead of raising or being dropped. Standard library only (this is the core layer).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardlab.core.types import Message, Sample, message_text
from rewardlab.errors import SampleError

__all__ = [
    "MalformedCall",
    "Step",
    "ToolCall",
    "Trajectory",
    "Turn",
    "decode_openai_tool_calls",
    "trajectory",
]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One decoded tool call: a function ``name`` and its keyword ``arguments``.

    ``source`` says where it was found (``"openai"`` for a message's ``tool_calls``; parsers in
    :mod:`rewardlab.rewards.tools.parse` add ``"hermes"``, ``"json"`` and ``"python"``); ``turn`` is the
    assistant turn index (None when parsed from loose text); ``id`` is the OpenAI call id if any.
    """

    name: str
    arguments: dict[str, Any]
    source: str = "openai"
    turn: int | None = None
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


@dataclass(frozen=True, slots=True)
class MalformedCall:
    """A tool call that could not be decoded: ``text`` (truncated) and the ``reason``."""

    source: str
    text: str
    reason: str
    turn: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "turn": self.turn, "reason": self.reason, "text": self.text}


@dataclass(frozen=True, slots=True)
class Step:
    """One message of the completion: ``index`` is its position in ``sample.completion``."""

    index: int
    role: str
    content: str
    message: Mapping[str, Any] = field(repr=False)

    @property
    def is_action(self) -> bool:
        return self.role == "assistant"

    @property
    def raw_tool_calls(self) -> list[Any]:
        calls = self.message.get("tool_calls")
        return list(calls) if isinstance(calls, list) else []


@dataclass(frozen=True, slots=True)
class Turn:
    """An assistant message (``action``) and the observations after it, up to the next assistant message.

    ``index`` is the assistant-turn number (0, 1, ...), the index into ``step_scores``.
    """

    index: int
    action: Step
    observations: tuple[Step, ...] = ()

    @property
    def text(self) -> str:
        """The assistant message's text content."""
        return self.action.content

    @property
    def tool_calls(self) -> tuple[list[ToolCall], list[MalformedCall]]:
        """The OpenAI ``tool_calls`` of this turn, decoded: ``(calls, malformed)``."""
        return decode_openai_tool_calls(self.action.raw_tool_calls, turn=self.index)

    @property
    def tool_results(self) -> list[str]:
        """Text of the ``tool`` messages answering this turn."""
        return [s.content for s in self.observations if s.role == "tool"]


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Every message as a :class:`Step`, grouped into assistant :class:`Turn` s."""

    steps: tuple[Step, ...]
    turns: tuple[Turn, ...]
    prefix: tuple[Step, ...] = ()

    def __len__(self) -> int:
        return len(self.turns)

    @property
    def final_text(self) -> str:
        """Content of the last assistant turn ("" when there is none)."""
        return self.turns[-1].text if self.turns else ""

    def tool_calls(self) -> tuple[list[ToolCall], list[MalformedCall]]:
        """All OpenAI ``tool_calls`` of all turns, in order: ``(calls, malformed)``."""
        calls: list[ToolCall] = []
        bad: list[MalformedCall] = []
        for turn in self.turns:
            c, m = turn.tool_calls
            calls += c
            bad += m
        return calls, bad


def _content(msg: Mapping[str, Any]) -> str:
    return message_text([dict(msg)], role=None)


def trajectory(sample: Sample | str | Sequence[Message]) -> Trajectory:
    """The trajectory view of a sample's completion (or of a completion given directly).

    A string is one assistant turn. A message list must hold dicts with a string ``role``; anything else
    raises :class:`~rewardlab.errors.SampleError` (a broken row, not a policy failure).
    """
    completion = sample.completion if isinstance(sample, Sample) else sample
    if isinstance(completion, str):
        step = Step(0, "assistant", completion, {"role": "assistant", "content": completion})
        return Trajectory(steps=(step,), turns=(Turn(0, step),))
    if not isinstance(completion, Sequence):
        raise SampleError(
            f"completion must be a string or a list of messages, got {type(completion).__name__}"
        )
    steps: list[Step] = []
    for i, msg in enumerate(completion):
        if not isinstance(msg, Mapping):
            raise SampleError(f"completion message {i} is {type(msg).__name__}, not a dict")
        role = msg.get("role")
        if not isinstance(role, str):
            raise SampleError(f"completion message {i} has no string 'role' (got {role!r})")
        steps.append(Step(i, role, _content(msg), msg))
    prefix: list[Step] = []
    groups: list[tuple[Step, list[Step]]] = []
    for step in steps:
        if step.role == "assistant":
            groups.append((step, []))
        elif groups:
            groups[-1][1].append(step)
        else:
            prefix.append(step)
    turns = tuple(Turn(i, action, tuple(obs)) for i, (action, obs) in enumerate(groups))
    return Trajectory(steps=tuple(steps), turns=turns, prefix=tuple(prefix))


def _clip(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[:n] + "..."


def decode_openai_tool_calls(
    raw: Sequence[Any], *, turn: int | None = None
) -> tuple[list[ToolCall], list[MalformedCall]]:
    """Decode OpenAI ``tool_calls`` entries (``{"id", "type": "function", "function": {"name",
    "arguments"}}``). ``arguments`` may be a JSON string (the API's form) or an already-decoded object.

    Entries without a function name, or whose arguments are not a JSON object, become
    :class:`MalformedCall` s; nothing raises.
    """
    calls: list[ToolCall] = []
    bad: list[MalformedCall] = []
    for entry in raw:
        text = _clip(json.dumps(entry, default=str)) if not isinstance(entry, str) else _clip(entry)
        fn = entry.get("function", entry) if isinstance(entry, Mapping) else None
        if not isinstance(fn, Mapping):
            bad.append(MalformedCall("openai", text, "tool call entry is not an object", turn))
            continue
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            bad.append(MalformedCall("openai", text, "tool call has no function name", turn))
            continue
        args: Any = fn.get("arguments", {})
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except (ValueError, RecursionError) as exc:
                bad.append(MalformedCall("openai", text, f"arguments are not valid JSON ({exc})", turn))
                continue
        if not isinstance(args, dict):
            bad.append(
                MalformedCall("openai", text, f"arguments must be an object, got {type(args).__name__}", turn)
            )
            continue
        call_id = entry.get("id") if isinstance(entry, Mapping) else None
        calls.append(ToolCall(name, args, "openai", turn, call_id if isinstance(call_id, str) else None))
    return calls, bad
