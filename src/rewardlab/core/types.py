"""The data that flows through rewardlab: :class:`Sample` in, :class:`RewardResult` out."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rewardlab.errors import SampleError

SAMPLE_KEYS = ("prompt", "completion", "reference", "metadata")

Message = dict[str, Any]


@dataclass(slots=True)
class Sample:
    """One rollout to score.

    ``completion`` is text, or a list of chat messages (``{"role": ..., "content": ...}``); ``reference``
    is any JSON value (a gold answer, a test suite, a box); ``metadata`` carries everything else.
    """

    prompt: str | list[Message] = ""
    completion: str | list[Message] = ""
    reference: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, row: Mapping[str, Any], *, index: int | None = None) -> Sample:
        """Build a sample from a plain dict with the keys ``prompt, completion, reference, metadata``.

        Unknown keys are an error (they are usually a misspelt column; use ``metadata`` or a column map).
        """
        if isinstance(row, Sample):
            return row
        if not isinstance(row, Mapping):
            raise SampleError(
                f"expected a dict with keys {SAMPLE_KEYS}, got {type(row).__name__}", index=index
            )
        unknown = sorted(set(row) - set(SAMPLE_KEYS))
        if unknown:
            raise SampleError(
                f"unknown key(s) {unknown}; a sample has {list(SAMPLE_KEYS)} (put extra fields in 'metadata')",
                index=index,
            )
        prompt = row.get("prompt", "")
        completion = row.get("completion", "")
        metadata = row.get("metadata")
        for key, value in (("prompt", prompt), ("completion", completion)):
            if value is None:
                raise SampleError(f"'{key}' is missing (null)", index=index)
            if not isinstance(value, str | list):
                raise SampleError(
                    f"'{key}' must be a string or a list of chat messages, got {type(value).__name__}",
                    index=index,
                )
            if isinstance(value, list) and not all(isinstance(m, Mapping) for m in value):
                raise SampleError(f"'{key}' is a list but not every item is a message dict", index=index)
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, Mapping):
            raise SampleError(f"'metadata' must be a dict, got {type(metadata).__name__}", index=index)
        return cls(
            prompt=prompt, completion=completion, reference=row.get("reference"), metadata=dict(metadata)
        )

    @property
    def completion_text(self) -> str:
        """The completion as text: the string itself, or the content of the last assistant message."""
        return message_text(self.completion)

    @property
    def prompt_text(self) -> str:
        return message_text(self.prompt, role=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "completion": self.completion,
            "reference": self.reference,
            "metadata": self.metadata,
        }


def message_text(value: str | list[Message], role: str | None = "assistant") -> str:
    """Text of a completion: a string as is; for messages, the last message of ``role`` (any role if None)."""
    if isinstance(value, str):
        return value
    for msg in reversed(value):
        if role is None or msg.get("role") == role:
            content = msg.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):  # OpenAI content parts
                return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
            return ""
    return ""


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why a reward could not be computed: an exception type name and its message."""

    type: str
    message: str

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        """The class name (or its short ``recorded_as`` name, e.g. ``"Timeout"``) and the message."""
        kind = getattr(type(exc), "recorded_as", None) or type(exc).__name__
        return cls(type=kind, message=str(exc)[:2000])

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message}


@dataclass(slots=True)
class RewardResult:
    """What a reward returns for one sample.

    ``score`` is None exactly when the reward failed (then ``error`` says why) unless an explicit error
    policy replaced it with a penalty (then ``error`` is still set). ``components`` is the named breakdown
    of a composite or multi-part reward; ``info`` holds diagnostics such as the extracted answer.
    ``step_scores`` holds per-step or per-turn scores for rewards that produce them.
    """

    score: float | None
    components: dict[str, float] = field(default_factory=dict)
    error: ErrorInfo | None = None
    info: dict[str, Any] = field(default_factory=dict)
    step_scores: list[float] | None = None

    @classmethod
    def failure(cls, error: ErrorInfo | BaseException, **info: Any) -> RewardResult:
        err = error if isinstance(error, ErrorInfo) else ErrorInfo.from_exception(error)
        return cls(score=None, error=err, info=dict(info))

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self, *, with_info: bool = True) -> dict[str, Any]:
        """The result as JSON-ready data, the one shape every output uses (HTTP API, scored files, client).

        ``{"reward", "components", "error", "info"?, "step_scores"?}``: ``reward`` is the score (None
        when it failed, or was not finite), ``error`` is ``{"type", "message"}`` or None, ``info`` is left
        out unless ``with_info``, ``step_scores`` only when the reward produced them.
        """
        out: dict[str, Any] = {
            "reward": _finite_or_none(self.score),
            "components": dict(self.components),
            "error": self.error.to_dict() if self.error else None,
        }
        if with_info:
            nonfinite: list[str] = []
            out["info"] = _finite_json(self.info, "info", nonfinite)
            if nonfinite:  # NaN/inf are not JSON: null, and the places named
                out["info"]["nonfinite"] = nonfinite
        if self.step_scores is not None:
            out["step_scores"] = list(self.step_scores)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RewardResult:
        """The inverse of :meth:`to_dict` (missing ``info``/``components`` read as empty)."""
        err = data.get("error")
        return cls(
            score=data.get("reward"),
            components=dict(data.get("components") or {}),
            error=ErrorInfo(str(err["type"]), str(err["message"])) if err else None,
            info=dict(data.get("info") or {}),
            step_scores=list(data["step_scores"]) if data.get("step_scores") is not None else None,
        )


def _finite_json(value: Any, path: str, found: list[str], depth: int = 0) -> Any:
    """``value`` with every NaN/inf float replaced by None (their paths appended to ``found``)."""
    if isinstance(value, float) and not math.isfinite(value):
        found.append(path)
        return None
    if depth > 50:
        return value
    if isinstance(value, dict):
        return {k: _finite_json(v, f"{path}.{k}", found, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_json(v, f"{path}[{i}]", found, depth + 1) for i, v in enumerate(value)]
    return value


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def as_score(value: object, *, what: str = "reward") -> float:
    """Check that a reward returned a finite real number and return it as float."""
    if isinstance(value, bool):
        return float(value)
    if not isinstance(value, int | float):
        # numpy scalars expose __float__; anything else is a contract violation.
        if hasattr(value, "__float__") and not isinstance(value, str):
            value = float(value)
        else:
            raise TypeError(f"{what} must return a number or RewardResult, got {type(value).__name__}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{what} returned a non-finite score ({f})")
    return f
