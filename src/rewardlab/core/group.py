"""Group rewards: rewards that score a sample against the other rollouts of its group.

Majority-vote pseudo-labels (TTRL-style label-free RLVR), diversity and coverage bonuses need the whole
group of rollouts for one prompt. The contract:

- A group is the samples sharing ``metadata["group"]`` in one call (``rl.score``, a runner, a server
  request, an adapter call). Adapters set the key from their trainer's own grouping (TRL's consecutive
  ``num_generations``, verl's ``uid``, OpenRLHF's prompt). ``metadata["group_size"]``, when present, is
  the size the group must have: a group that arrives with fewer samples was split across calls, which is
  a :class:`~rewardlab.errors.GroupError` on each of its samples, never a silent smaller group.
- A :class:`GroupReward` implements :meth:`GroupReward.score_group` (one result per sample of the group,
  with the group statistics it used in ``info``). Its per-sample ``compute`` reads the group from the
  *group context* that the caller opens around the group's samples (:func:`in_group`), computes the
  group's results once, and returns this sample's. So a group reward composes with per-sample rewards
  unchanged: ``0.8 * math + 0.2 * group_diversity`` is one :class:`~rewardlab.core.compose.Combine`.
- :func:`score_groups` scores samples group by group in this process; the runner does the same inside
  a worker, keeping each group in one worker call with a deadline of ``timeout`` per sample of the group.

Outside a group context a group reward raises ``GroupError`` (it cannot see the other rollouts).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rewardlab.core.reward import Reward, RewardLike, walk
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import GroupError


@dataclass
class GroupContext:
    """The group being scored: its key, its samples in order, and each group reward's results for it."""

    key: Any
    samples: list[Sample]
    results: dict[int, list[RewardResult] | BaseException] = field(default_factory=dict)

    def index(self, sample: Sample) -> int:
        for i, s in enumerate(self.samples):
            if s is sample:
                return i
        for i, s in enumerate(self.samples):  # a copy of a member (e.g. after pickling): equal fields
            if s == sample:
                return i
        raise GroupError(f"the sample is not a member of group {self.key!r}")


_CURRENT: contextvars.ContextVar[GroupContext | None] = contextvars.ContextVar(
    "rewardlab_group", default=None
)


def current_group() -> GroupContext | None:
    """The group context the caller opened, if any."""
    return _CURRENT.get()


@contextmanager
def in_group(samples: Sequence[Sample], key: Any = None) -> Iterator[GroupContext]:
    """Open the group context for ``samples`` (score each of them inside it)."""
    ctx = GroupContext(key=key, samples=list(samples))
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)


def group_key(sample: Sample) -> Any:
    """The sample's group key (``metadata["group"]``), or None."""
    meta = sample.metadata if isinstance(sample.metadata, dict) else {}
    key = meta.get("group")
    if isinstance(key, list):  # JSON has no tuples; lists are unhashable
        key = tuple(key)
    return key


def is_group_reward(reward: Any) -> bool:
    """True when ``reward`` is, or contains, a group reward (it must be scored group by group)."""
    return any(getattr(node, "group", False) for _, node in walk(reward))


def groups_of(samples: Sequence[Sample]) -> list[list[int]]:
    """Indices of the samples by group, in order of first appearance; a sample without a group key is a
    group of its own."""
    order: list[Any] = []
    members: dict[Any, list[int]] = {}
    for i, s in enumerate(samples):
        key = group_key(s)
        slot = ("__alone__", i) if key is None else ("group", key)
        if slot not in members:
            members[slot] = []
            order.append(slot)
        members[slot].append(i)
    return [members[k] for k in order]


def score_groups(
    reward: RewardLike, samples: Sequence[Sample], score_one: Callable[[RewardLike, Sample], RewardResult]
) -> list[RewardResult]:
    """Score ``samples`` group by group in this process, each group inside its group context."""
    out: list[RewardResult | None] = [None] * len(samples)
    for idx in groups_of(samples):
        members = [samples[i] for i in idx]
        with in_group(members, group_key(members[0])):
            for i in idx:
                out[i] = score_one(reward, samples[i])
    return [r for r in out if r is not None]


class GroupReward(Reward):
    """Base class of group rewards: implement :meth:`score_group`; see the module docstring.

    ``min_group`` is the smallest group the reward accepts (a smaller one is a ``GroupError`` on each
    sample: a vote of one is no vote).
    """

    group: ClassVar[bool] = True
    min_group: int = 2

    def score_group(self, samples: Sequence[Sample]) -> list[RewardResult]:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_group(self, ctx: GroupContext) -> None:
        sizes = {
            s.metadata.get("group_size")
            for s in ctx.samples
            if isinstance(s.metadata, dict) and "group_size" in s.metadata
        }
        if len(sizes) > 1:
            raise GroupError(
                f"group {ctx.key!r}: its samples disagree on group_size {sorted(map(str, sizes))}"
            )
        if sizes:
            (size,) = sizes
            if isinstance(size, int) and not isinstance(size, bool) and size != len(ctx.samples):
                raise GroupError(
                    f"group {ctx.key!r} has {len(ctx.samples)} of its {size} samples: a group split across "
                    "calls is refused (send a whole group in one call)"
                )
        if len(ctx.samples) < self.min_group:
            where = "no metadata['group'] key" if ctx.key is None else f"group {ctx.key!r}"
            raise GroupError(
                f"{self.name} needs groups of at least {self.min_group} samples ({where} has "
                f"{len(ctx.samples)}): give the rollouts of one prompt the same metadata['group']"
            )

    def compute(self, sample: Sample) -> RewardResult:
        ctx = current_group()
        if ctx is None:
            raise GroupError(
                f"{self.name} is a group reward: score it with rl.score, a runner or an adapter, which keep "
                "the samples sharing metadata['group'] together"
            )
        i = ctx.index(sample)
        cached = ctx.results.get(id(self))
        if cached is None:
            try:
                self.check_group(ctx)
                cached = self.score_group(ctx.samples)
                if not isinstance(cached, list) or len(cached) != len(ctx.samples):
                    raise GroupError(f"{self.name}.score_group returned the wrong number of results")
            except Exception as exc:  # every member of the group gets the same error
                cached = exc
            ctx.results[id(self)] = cached
        if isinstance(cached, BaseException):
            raise cached
        r = cached[i]
        return RewardResult(score=r.score, components=dict(r.components), error=r.error, info=dict(r.info),
                            step_scores=r.step_scores)  # fmt: skip
