"""TRL adapter: a rewardlab reward as a ``GRPOTrainer(reward_funcs=...)`` function.

    from rewardlab.adapters.trl import reward_func
    trainer = GRPOTrainer(model=..., train_dataset=ds, reward_funcs=[reward_func("rewards.toml")], args=...)

The call convention is TRL 1.16's (``trl/trainer/grpo_trainer.py@v1.16.0``, ``_calculate_rewards``):
``f(prompts=..., completions=..., completion_ids=..., **columns, trainer_state=..., log_extra=...,
log_metric=...)``, where ``columns`` are the dataset's other columns repeated once per generation,
``prompts``/``completions`` are strings or (conversational datasets) lists of chat messages, and the
function returns one ``float | None`` per completion. TRL turns ``None`` into NaN: it is left out of
that function's mean and, if every reward function returned ``None`` for a completion, the completion
is "unscorable" and its advantage is forced to 0. TRL names the function by ``__name__``
(``rewards/<name>/mean`` in the logs), and runs it on its event loop, concurrently with the other
async reward functions, when its ``__call__`` is a coroutine function.

What rewardlab does differently from a hand-written TRL reward function:

- TRL calls synchronous reward functions one after another, in the training process, with no
  deadline: a checker stuck in sympy stalls the whole step and a crash kills the run. Here every
  sample is scored in worker processes under a per-sample ``timeout``; the pool is kept across steps.
- A failed sample is not a silent ``0.0``. Under ``on_error="record"`` (the default) it is returned as
  ``None`` ("not applicable": TRL excludes it from the group baseline and, when no other reward scored
  it, gives it no learning signal) and its error is logged; ``on_error=<number>`` scores it as that
  penalty instead; ``on_error="raise"`` stops training with :class:`~rewardlab.errors.RewardError`.
- The per-component breakdown is logged through TRL's ``log_metric`` hook (new in TRL 1.x) as
  ``<name>/<component>`` (mean over the samples that have the component) plus ``<name>/error_rate``,
  and per sample through ``log_extra`` as completion-table columns ``<name>/<component>`` and
  ``<name>/error``.

Dataset columns pass through: ``reference_column`` (default ``"answer"``, ``None`` for rewards that
need no reference) becomes :attr:`Sample.reference`; every other column goes into
:attr:`Sample.metadata` under its own name. ``completion_ids`` and ``trainer_state`` are not forwarded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rewardlab.adapters._common import assign_groups, check_name, finite_means, open_handle
from rewardlab.core.group import is_group_reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError

# Keyword arguments TRL 1.16 adds to every reward call that are not dataset columns.
TRAINER_KWARGS = ("completion_ids", "trainer_state", "log_extra", "log_metric", "environments")

__all__ = ["AsyncTRLReward", "TRLReward", "async_reward_func", "reward_func"]


class _Core:
    """Turns TRL's keyword lists into samples and results into TRL's list, metrics and extra columns."""

    def __init__(
        self,
        reward: Any,
        *,
        reference_column: str | None,
        workers: int | None,
        timeout: float | None,
        on_error: str | float | None,
        name: str | None,
        group_size: int | None = None,
    ) -> None:
        if group_size is not None and (
            isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1
        ):
            raise ConfigError(
                f"`group_size` must be a positive integer (GRPO's num_generations) or None, got {group_size!r}"
            )
        self.group_size = group_size
        if reference_column is not None and (not isinstance(reference_column, str) or not reference_column):
            raise ConfigError(
                f"`reference_column` must be a column name or None (no reference), got {reference_column!r}"
            )
        if reference_column in ("prompt", "completion", *TRAINER_KWARGS):
            raise ConfigError(f"`reference_column` cannot be {reference_column!r}: TRL reserves that name")
        self.name = check_name(name, "rewardlab")
        self.reference_column = reference_column
        self.handle, self.static_keys = open_handle(
            reward, workers=workers, timeout=timeout, on_error=on_error
        )
        self.grouped = is_group_reward(self.handle.reward)

    def samples(
        self, prompts: Sequence[Any], completions: Sequence[Any], columns: dict[str, Any]
    ) -> list[Sample]:
        n = len(completions)
        if len(prompts) != n:
            raise ValueError(f"{self.name}: got {len(prompts)} prompts for {n} completions")
        columns = {k: v for k, v in columns.items() if k not in TRAINER_KWARGS}
        for key, values in columns.items():
            if not isinstance(values, list | tuple) or len(values) != n:
                got = f"{len(values)} values" if isinstance(values, list | tuple) else type(values).__name__
                raise ValueError(
                    f"{self.name}: column {key!r} must hold one value per completion ({n}), got {got}"
                )
        references: Sequence[Any] = [None] * n
        if self.reference_column is not None:
            if self.reference_column not in columns:
                raise ConfigError(
                    f"{self.name}: the dataset has no column {self.reference_column!r} for the reference "
                    f"(columns: {sorted(columns)}); pass reference_column=<column>, or None if the reward "
                    "needs no reference"
                )
            references = columns.pop(self.reference_column)
        samples = [
            Sample(
                prompt=_text_or_messages(prompts[i]),
                completion=_text_or_messages(completions[i]),
                reference=references[i],
                metadata={k: v[i] for k, v in columns.items()},
            )
            for i in range(n)
        ]
        if self.grouped:  # GRPO: each prompt's num_generations completions, one after another
            samples = assign_groups(samples, by=lambda s: s.prompt, size=self.group_size)
        return samples

    def finish(
        self,
        results: list[RewardResult],
        log_metric: Callable[[str, float], None] | None,
        log_extra: Callable[[str, list[Any]], None] | None,
    ) -> list[float | None]:
        if log_metric is not None and results:
            for key, mean in sorted(finite_means(results).items()):
                log_metric(f"{self.name}/{key}", mean)
            log_metric(f"{self.name}/error_rate", sum(r.error is not None for r in results) / len(results))
        if log_extra is not None:
            for key in self.static_keys:
                log_extra(f"{self.name}/{key}", [r.components.get(key) for r in results])
            log_extra(
                f"{self.name}/error",
                [f"{r.error.type}: {r.error.message}" if r.error else None for r in results],
            )
        return [r.score for r in results]


def _text_or_messages(value: Any) -> str | list[dict[str, Any]]:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return [dict(m) for m in value]
    raise TypeError(f"expected a string or a list of chat messages, got {type(value).__name__}")


class _TRLRewardBase:
    """A TRL reward function for ``reward`` (anything :func:`~rewardlab.as_reward` accepts).

    ``workers``, ``timeout`` and ``on_error`` override the spec's ``[runner]`` table (defaults: one worker
    per CPU, no deadline, ``"record"``). ``reference_column`` names the dataset column that holds the
    reference (None: the reward needs none). ``name`` (default ``"rewardlab"``) is the function's
    ``__name__``, which TRL logs as ``rewards/<name>/mean``, and the prefix of the component metrics.
    With several training processes (``accelerate launch``), each has its own worker pool: size
    ``workers`` per process.

    Group rewards (``majority_vote``, ...) get GRPO's groups: consecutive completions of the same prompt
    form a group; ``group_size`` (set it to ``num_generations``) fixes the size, so that a group split
    between training processes is refused instead of scored as a smaller group.
    """

    def __init__(
        self,
        reward: Any,
        *,
        reference_column: str | None = "answer",
        workers: int | None = None,
        timeout: float | None = None,
        on_error: str | float | None = None,
        name: str | None = None,
        group_size: int | None = None,
    ) -> None:
        self._core = _Core(
            reward,
            reference_column=reference_column,
            workers=workers,
            timeout=timeout,
            on_error=on_error,
            name=name,
            group_size=group_size,
        )
        self.__name__ = self._core.name

    @property
    def stats(self) -> Any:
        """The runner's cumulative counters (scored, errors, timeouts, crashes)."""
        return self._core.handle.runner.stats

    def close(self) -> None:
        self._core.handle.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.__name__!r}, reward={self._core.handle.reward!r})"


class TRLReward(_TRLRewardBase):
    """A synchronous TRL reward function backed by a persistent rewardlab runner. See the module doc."""

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        log_metric: Callable[[str, float], None] | None = None,
        log_extra: Callable[[str, list[Any]], None] | None = None,
        **columns: Any,
    ) -> list[float | None]:
        samples = self._core.samples(prompts, completions, columns)
        results = self._core.handle.score(samples)
        return self._core.finish(results, log_metric, log_extra)


class AsyncTRLReward(_TRLRewardBase):
    """The async form: TRL awaits it on its event loop, concurrently with the other async reward functions.

    Use it when the run has several reward functions (e.g. an LLM judge next to rewardlab): the
    rewardlab batch is scored in worker processes while the other functions wait on their own I/O.
    """

    async def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        log_metric: Callable[[str, float], None] | None = None,
        log_extra: Callable[[str, list[Any]], None] | None = None,
        **columns: Any,
    ) -> list[float | None]:
        samples = self._core.samples(prompts, completions, columns)
        results = await self._core.handle.ascore(samples)
        return self._core.finish(results, log_metric, log_extra)


reward_func = TRLReward
"""``reward_func(reward, reference_column="answer", workers=None, timeout=None, on_error=None, name=None)``:
a :class:`TRLReward` (the factory is the class; see it for the options)."""
async_reward_func = AsyncTRLReward
""":func:`reward_func` as an async reward function (same options, same results): an :class:`AsyncTRLReward`."""
