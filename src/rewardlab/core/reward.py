"""The reward contract.

A reward is any object with ``name`` and ``__call__(sample) -> RewardResult``; :class:`Reward` is a small
base class that provides the batch form and the float-or-result convenience. Plain functions become rewards
with :func:`reward_fn`.

Unlike verifiers' rubric functions (``**kwargs`` sniffing, exceptions turned into 0.0), a rewardlab
reward gets one typed argument and never hides its own failure: it raises, and the runner records it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

from rewardlab.core.types import RewardResult, Sample, as_score


@runtime_checkable
class RewardLike(Protocol):
    name: str

    def __call__(self, sample: Sample) -> RewardResult: ...


class Reward:
    """Base class for rewards. Subclasses implement :meth:`compute`.

    ``compute`` returns a float (the score) or a full :class:`RewardResult`. It raises on failure; it
    must not turn its own errors into a score.

    Rewards that vectorise (a model's forward pass, a judge's batched request) set ``batched = True``
    and override :meth:`score_batch`; the runner then hands them whole chunks of samples.
    """

    name: str = "reward"
    batched: ClassVar[bool] = False

    def compute(self, sample: Sample) -> float | RewardResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, sample: Sample) -> RewardResult:
        out = self.compute(sample)
        if isinstance(out, RewardResult):
            if out.score is not None and out.error is None:
                out.score = as_score(out.score, what=self.name)
            return out
        return RewardResult(score=as_score(out, what=self.name))

    def children(self) -> list[tuple[str, RewardLike]]:
        """Named rewards nested in this one (composites and wrappers override it); ``[]`` for a leaf."""
        return []

    def warmup(self) -> None:
        """Pay one-time costs (a parser's first use, a model's first forward pass) before scoring starts.

        The runner calls it once in every worker process it starts, outside any sample's deadline (and
        once in the calling process, before the first sample, when ``workers=0``).
        """

    def score_batch(self, samples: Sequence[Sample]) -> list[RewardResult]:
        """Batch form: one result per sample, in order. The default loops.

        Rewards that vectorise override it and set ``batched = True``. When it raises (or returns the
        wrong number of results), the runner scores that chunk again one sample at a time, so a bad
        sample costs only itself; a chunk that overruns its deadline is re-scored the same way.
        """
        return [self(s) for s in samples]

    def __repr__(self) -> str:
        params = (
            {k: v for k, v in vars(self).items() if not k.startswith("_")}
            if hasattr(self, "__dict__")
            else {}
        )
        inner = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return f"{type(self).__name__}({inner})"


class FunctionReward(Reward):
    """Wrap ``fn(sample) -> float | RewardResult`` as a reward. Picklable when ``fn`` is importable."""

    def __init__(self, fn: Callable[[Sample], float | RewardResult], name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"reward_fn needs a callable, got {type(fn).__name__}")
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", "reward"))

    def compute(self, sample: Sample) -> float | RewardResult:
        return self.fn(sample)


def reward_fn(
    fn: Callable[[Sample], Any] | None = None, *, name: str | None = None
) -> FunctionReward | Callable[[Callable[[Sample], Any]], FunctionReward]:
    """Turn ``fn(sample) -> float | RewardResult`` into a :class:`Reward` (usable as a decorator)."""
    if fn is None:
        return lambda f: FunctionReward(f, name=name)
    return FunctionReward(fn, name=name)


def is_reward(obj: object) -> bool:
    """A reward object: a :class:`Reward`, or any callable with a string ``name`` (the contract)."""
    return isinstance(obj, Reward) or (callable(obj) and isinstance(getattr(obj, "name", None), str))


def children(reward: object) -> list[tuple[str, RewardLike]]:
    """The named rewards nested directly in ``reward`` (composites, wrappers); ``[]`` for a leaf."""
    method = getattr(reward, "children", None)
    return list(method()) if callable(method) else []


def walk(reward: RewardLike, *, max_depth: int = 20) -> Iterator[tuple[str, RewardLike]]:
    """``reward`` and every reward nested in it, depth first, as ``(dotted path, reward)``.

    The root's path is ``""``. Used wherever a reward tree must be seen whole: the modules a worker
    preloads, the component keys an adapter reports.
    """
    stack: list[tuple[str, RewardLike, int]] = [("", reward, 0)]
    while stack:
        path, node, depth = stack.pop()
        yield path, node
        if depth < max_depth:
            kids = children(node)
            stack.extend((f"{path}.{n}" if path else n, c, depth + 1) for n, c in reversed(kids))
