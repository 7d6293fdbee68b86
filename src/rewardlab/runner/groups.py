"""How the runner keeps a group together: one worker call per group.

When the reward is or contains a group reward (:func:`rewardlab.core.group.is_group_reward`), the runner
packs each group of consecutive samples sharing ``metadata["group"]`` into one *pack* (a :class:`Sample`
whose metadata holds the members), scores the pack with :class:`GroupCaller` (which opens the group
context and scores each member inside it, with the runner's error semantics), and unpacks the members'
results in input order. A pack has a deadline of ``timeout`` per member; a pack that times out or whose
worker dies gives every member that error (a group is scored whole or not at all).

``rl.score`` and :meth:`Runner.score` first bring the members of each group together (stable order);
a stream (:meth:`Runner.imap`) must give a group's samples one after another: a key that comes back after
its group was closed is a split group, a ``GroupError`` on those samples. ``rewardlab score --group-by``
counts each group's size first and sets ``metadata["group_size"]``, so that a group split in the file is
refused on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from rewardlab.core.group import group_key, in_group
from rewardlab.core.reward import RewardLike
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import GroupError

PACK = "__rewardlab_group_pack__"
MEMBERS = "__rewardlab_group_results__"


def pack_size(sample: Any) -> int:
    """How many samples a pack holds (1 for an ordinary sample)."""
    meta = getattr(sample, "metadata", None)
    if isinstance(meta, dict) and PACK in meta:
        return max(1, len(meta[PACK]["members"]))
    return 1


class GroupCaller:
    """The reward the runner's workers call for a group reward: a pack in, the members' results out."""

    batched = False

    def __init__(self, reward: RewardLike, score_one: Callable[[RewardLike, Sample], RewardResult]) -> None:
        self.reward = reward
        self.score_one = score_one  # the worker's error semantics, per member
        self.name = str(getattr(reward, "name", "reward"))

    def children(self) -> list[tuple[str, RewardLike]]:
        return [(self.name, self.reward)]

    def warmup(self) -> None:
        hook = getattr(self.reward, "warmup", None)
        if callable(hook):
            hook()

    def __call__(self, sample: Sample) -> RewardResult:
        info = sample.metadata.get(PACK) if isinstance(sample.metadata, dict) else None
        if info is None:  # an ordinary sample: a group of its own
            info = {"members": [sample], "key": group_key(sample), "split": False}
        members: list[Sample] = info["members"]
        if info.get("split"):
            error = GroupError(
                f"group {info['key']!r} is split: its samples are not next to each other in the input (sort the "
                "input by group, or score a whole group in one call)"
            )
            return RewardResult(score=0.0, info={MEMBERS: [RewardResult.failure(error) for _ in members]})
        with in_group(members, info["key"]):
            results = [self.score_one(self.reward, m) for m in members]
        return RewardResult(score=0.0, info={MEMBERS: results})


def packed(
    source: Iterator[tuple[int, Sample | RewardResult]], members_of: list[list[int]]
) -> Iterator[tuple[int, Sample | RewardResult]]:
    """Turn a stream of ``(index, sample)`` into ``(pack number, pack)``, one pack per run of consecutive
    samples with the same group key; ``members_of[pack number]`` gets the member indexes."""
    closed: set[Any] = set()
    run: list[tuple[int, Sample]] = []
    run_key: Any = None

    def flush() -> Iterator[tuple[int, Sample | RewardResult]]:
        nonlocal run, run_key
        if not run:
            return
        key = run_key
        split = key is not None and key in closed
        if key is not None:
            closed.add(key)
        members_of.append([i for i, _ in run])
        pack = Sample(metadata={PACK: {"members": [s for _, s in run], "key": key, "split": split}})
        run, run_key = [], None
        yield len(members_of) - 1, pack

    for index, item in source:
        if isinstance(item, RewardResult):  # a broken row passes through on its own
            yield from flush()
            members_of.append([index])
            yield len(members_of) - 1, item
            continue
        key = group_key(item)
        if run and (key is None or key != run_key):
            yield from flush()
        run.append((index, item))
        run_key = key
        if key is None:
            yield from flush()
    yield from flush()


def unpacked(result: RewardResult, members: list[int]) -> list[tuple[int, RewardResult]]:
    """The members' results from a pack's result (the pack's own error, copied, when it failed whole)."""
    got = result.info.get(MEMBERS) if result.error is None else None
    if isinstance(got, list) and len(got) == len(members):
        return list(zip(members, got, strict=True))
    if result.error is None:  # pragma: no cover - GroupCaller always answers one result per member
        result = RewardResult.failure(GroupError("the group's results did not come back"))
    return [(i, RewardResult(score=None, error=result.error, info=dict(result.info))) for i in members]


def _row_key(row: Any) -> Any:
    meta = getattr(row, "metadata", None) if not isinstance(row, Mapping) else row.get("metadata")
    key = meta.get("group") if isinstance(meta, Mapping) else None
    return tuple(key) if isinstance(key, list) else key


def group_order(rows: Iterable[Any]) -> list[int]:
    """An order of ``rows`` that brings each group's members together (groups by first appearance;
    rows without a group key stay where they are among the groups)."""
    items = list(rows)
    order: list[int] = []
    placed: dict[Any, list[int]] = {}
    for i, row in enumerate(items):
        try:
            key = _row_key(row)
            hash(key)
        except TypeError:
            key = None
        if key is None:
            order.append(i)
            continue
        if key not in placed:
            placed[key] = []
            order.append(-len(placed))  # a placeholder for the group, filled below
        placed[key].append(i)
    groups = list(placed.values())
    out: list[int] = []
    for slot in order:
        out.extend(groups[-slot - 1] if slot < 0 else [slot])
    return out
