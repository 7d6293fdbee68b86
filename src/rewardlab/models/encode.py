"""From texts to token ids: chat templates, special tokens, and explicit, counted truncation.

Over-long inputs are where reward-model trainers quietly go wrong. TRL's ``RewardTrainer`` drops every
pair longer than ``max_length`` without saying how many, and a model scored with the tokenizer's
default right-side truncation loses the end of a multi-turn transcript: on HH-RLHF that is exactly the
last Assistant turn where chosen and rejected differ, so both sides become the same input and tie.
OpenRLHF truncates on the right too and reads the reward at whatever token is last. Here the choice is
an option and every cut is counted:

- ``side="prefix"`` (default): cut the *shared* beginning of the group's texts first (the same number of
  tokens from each, so the responses keep identical context); only when the differing tails alone are
  too long are they cut on the right (counted as ``into_response``);
- ``side="left"``: keep the last ``max_length`` tokens of each text (what a single text gets at scoring);
- ``side="right"``: keep the first ``max_length`` tokens (the tokenizer default; shown for comparison).

``overflow="drop"`` drops over-long groups instead (counted). Special tokens (``[CLS] ... [SEP]``,
``<s> ...``) are read from the tokenizer once and always kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rewardlab.errors import ConfigError

Side = Literal["prefix", "left", "right"]
Overflow = Literal["truncate", "drop"]
ChatTemplate = Literal["auto", "never"]
HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"


def check_truncation(side: str, overflow: str, max_length: int, *, what: str) -> None:
    problems = []
    if side not in ("prefix", "left", "right"):
        problems.append(f"`truncation` of {what} must be 'prefix', 'left' or 'right', got {side!r}")
    if overflow not in ("truncate", "drop"):
        problems.append(f"`overflow` of {what} must be 'truncate' or 'drop', got {overflow!r}")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 4:
        problems.append(f"`max_length` of {what} must be an integer >= 4, got {max_length!r}")
    if problems:
        raise ConfigError(problems)


def hh_messages(text: str) -> list[dict[str, str]] | None:
    """An HH-RLHF transcript as chat messages, or None when ``text`` is not one."""
    if not text.startswith(HUMAN):
        return None
    out: list[dict[str, str]] = []
    rest = text
    while rest:
        h, a = rest.startswith(HUMAN), rest.startswith(ASSISTANT)
        if not (h or a):
            return None
        rest = rest[len(HUMAN if h else ASSISTANT) :]
        nxt = [i for i in (rest.find(HUMAN), rest.find(ASSISTANT)) if i >= 0]
        cut = min(nxt) if nxt else len(rest)
        out.append({"role": "user" if h else "assistant", "content": rest[:cut].strip()})
        rest = rest[cut:]
    return out


def render(tokenizer: Any, prompt: Any, completion: Any, *, chat_template: ChatTemplate = "auto") -> str:
    """The text a reward model reads for ``prompt`` + ``completion``.

    Strings are texts: ``prompt + completion``, exactly (what plain transformers scores for the same
    sample). Chat-message lists are conversations: with ``chat_template="auto"`` and a tokenizer that has
    a chat template they are rendered with it (as TRL does for conversational data); otherwise they are
    written as HH-style ``Human:``/``Assistant:`` turns. :func:`hh_messages` turns an HH-RLHF transcript
    into messages for users who want their string data templated.
    """
    if isinstance(prompt, str) and isinstance(completion, str):
        return prompt + completion
    msgs = _as_messages(prompt) + _as_messages(completion, role="assistant")
    if chat_template == "auto" and getattr(tokenizer, "chat_template", None):
        return str(tokenizer.apply_chat_template(msgs, tokenize=False))
    return "".join(
        f"{ASSISTANT if m.get('role') == 'assistant' else HUMAN} {m.get('content', '')}" for m in msgs
    )


def _as_messages(value: Any, role: str = "user") -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [dict(m) for m in value]
    return [{"role": role, "content": value}] if value else []


@dataclass(frozen=True)
class Wrap:
    """The special tokens a tokenizer puts around one text: ``prefix + content + suffix``."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]

    @classmethod
    def of(cls, tokenizer: Any) -> Wrap:
        probe = "a b"
        full = list(tokenizer(probe)["input_ids"])
        bare = list(tokenizer(probe, add_special_tokens=False)["input_ids"])
        for k in range(len(full) - len(bare) + 1):
            if full[k : k + len(bare)] == bare:
                return cls(tuple(full[:k]), tuple(full[k + len(bare) :]))
        raise ConfigError("cannot tell the tokenizer's special tokens apart from the text it encodes")

    def __call__(self, ids: Sequence[int]) -> list[int]:
        return [*self.prefix, *ids, *self.suffix]

    @property
    def size(self) -> int:
        return len(self.prefix) + len(self.suffix)


@dataclass
class CutCounts:
    """What truncation did to a set of groups (a pair or a ranked list is one group)."""

    groups: int = 0
    fit: int = 0
    truncated: int = 0
    into_response: int = 0
    identical_after: int = 0
    dropped: int = 0
    dropped_rows: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "groups": self.groups,
            "fit": self.fit,
            "truncated": self.truncated,
            "truncated_into_response": self.into_response,
            "identical_after_truncation": self.identical_after,
            "dropped": self.dropped,
            "dropped_rows": self.dropped_rows[:50],
        }


def shared_prefix(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the token prefix every sequence in ``seqs`` shares."""
    n = min(len(s) for s in seqs)
    for i in range(n):
        t = seqs[0][i]
        if any(s[i] != t for s in seqs[1:]):
            return i
    return n


def cut_group(seqs: Sequence[Sequence[int]], budget: int, side: Side) -> tuple[list[list[int]], bool, bool]:
    """Cut every sequence of a group to at most ``budget`` tokens (see the module docstring).

    Returns ``(cut sequences, truncated, into_response)``; ``into_response`` is True when tokens after
    the shared prefix (the part the preference is about) were lost.
    """
    shared = shared_prefix(seqs) if len(seqs) > 1 else 0
    over = max(len(s) for s in seqs) - budget
    if over <= 0:
        return [list(s) for s in seqs], False, False
    if side == "right":
        out = [list(s[:budget]) for s in seqs]
        return out, True, any(len(s) > budget and len(s) > shared for s in seqs)
    if side == "left":
        out = [list(s[-budget:]) if len(s) > budget else list(s) for s in seqs]
        return out, True, any(len(s) - budget > shared for s in seqs)
    drop = min(over, shared)
    rest = [list(s[drop:]) for s in seqs]
    out = [r[:budget] for r in rest]
    return out, True, any(len(r) > budget for r in rest)


def encode_group(
    tokenizer: Any,
    texts: Sequence[str],
    *,
    max_length: int,
    side: Side,
    overflow: Overflow,
    wrap: Wrap,
    counts: CutCounts,
    index: int = -1,
) -> list[list[int]] | None:
    """Token ids (special tokens included) of a group of texts, cut to ``max_length``; None if dropped."""
    bare = [list(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    budget = max_length - wrap.size
    counts.groups += 1
    if max(len(b) for b in bare) <= budget:
        counts.fit += 1
        return [wrap(b) for b in bare]
    if overflow == "drop":
        counts.dropped += 1
        counts.dropped_rows.append(index)
        return None
    cut, _, into = cut_group(bare, budget, side)
    counts.truncated += 1
    counts.into_response += int(into)
    if len(cut) > 1 and all(c == cut[0] for c in cut[1:]):
        counts.identical_after += 1
    return [wrap(c) for c in cut]


def encode_one(
    tokenizer: Any, text: str, *, max_length: int, side: Side, wrap: Wrap
) -> tuple[list[int], bool]:
    """Token ids of one text cut to ``max_length`` (``"prefix"`` means ``"left"`` for a single text) and
    whether it was cut."""
    bare = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    budget = max_length - wrap.size
    if len(bare) <= budget:
        return wrap(bare), False
    kept = bare[:budget] if side == "right" else bare[-budget:]
    return wrap(kept), True
