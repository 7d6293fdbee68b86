"""verl adapter: a rewardlab reward as verl's ``custom_reward_function``.

Point verl at this module and at your spec (verl 0.9.1, ``verl/trainer/ppo/reward.py``
``get_custom_reward_fn`` loads ``path`` with ``verl.utils.import_utils.load_extern_object``, which accepts
``pkg://`` module paths)::

    REWARDLAB_SPEC=/abs/path/rewards.toml python -m verl.trainer.main_ppo ... \\
        reward.custom_reward_function.path=pkg://rewardlab.adapters.verl \\
        reward.custom_reward_function.name=acompute_score

Call conventions, pinned to verl 0.9.1:

- ``compute_score(data_source=, solution_str=, ground_truth=, extra_info=, **reward_kwargs)`` returning a
  float or a dict with ``"score"``: ``verl/experimental/reward_loop/reward_manager/naive.py``
  (``NaiveRewardManager.run_single``, the default reward manager). It is awaited directly when it is a
  coroutine function (``inspect.iscoroutinefunction``) and otherwise run in the event loop's default
  thread pool, one call per sample. Every key of the dict lands in ``reward_extra_info``; the reward loop
  (``reward_loop.py``, ``compute_rm_score``) takes the keys of the *first* sample and indexes every other
  sample with them, so every sample must return the same keys.
- The trainer's reward loop has no batch call: ``RewardLoopManager.compute_rm_score`` splits the batch over
  ``reward.num_workers`` Ray actors, and each ``RewardLoopWorker.compute_score_batch`` gathers one
  ``run_single`` per sample of its chunk concurrently. With :func:`acompute_score` those concurrent calls
  reach rewardlab together and are scored as *one* batch per worker chunk, so ``acompute_score`` is the
  batch form for verl's current trainer. (Its registry has ``naive``, ``dapo``, ``gdpo``, ``limited`` and
  ``remote``; ``reward_manager.name=batch`` fails there with ``Unknown reward manager: batch``.)
- ``compute_score(data_sources=, solution_strs=, ground_truths=, extra_infos=, **reward_kwargs)`` returning
  one float or dict per sample: the *legacy* ``verl/workers/reward_manager/batch.py``
  (``BatchRewardManager.verify``), for code that builds verl's legacy reward managers itself;
  :func:`compute_score_batch` has this form. Dict values are appended per key, so the keys must again be
  the same for every sample.

What rewardlab does differently from verl's built-in scoring:

- verl's ``default_compute_score`` runs checkers in the reward worker with no isolation; its
  ``math_verify`` path submits to a 4-process pool and gives up waiting after 30 s, but the stuck process
  keeps its slot, so a few pathological answers starve the pool. Here each sample runs in a worker
  process under a per-sample deadline, and a stuck or crashed worker is killed and replaced.
- verl calls the function once per sample from many threads or coroutines. Concurrent calls are
  coalesced into one batch for the worker pool (:mod:`rewardlab.adapters._common`), so the pool is used
  in parallel; :func:`acompute_score` (async) batches a whole reward-loop chunk at once and is the one to
  configure.
- verl needs a number for every sample. A failed sample scores ``error_score`` (default ``0.0``, set with
  :func:`configure` or ``REWARDLAB_ERROR_SCORE``) and its dict carries ``error=True`` and
  ``error_type`` (e.g. ``"Timeout"``), so failures show up in ``reward_extra_info``, verl's validation
  metrics and dumped generations instead of hiding as zeros.

Every dict has the keys ``score``, ``error``, ``error_type`` and one key per component of the spec
(``parent.child`` for nested ones), with a value for every sample whatever failed. A component the sample
did not reach (gated off, or not computed because the sample failed) is ``missing_component``: by default
``NaN``, so every value is a float. verl reads these values in two places, and the policy is explicit
because they disagree:

- DAPO group filtering (``algorithm.filter_groups.metric=<component>``, ``verl/trainer/ppo/v1/replay_buffer.py``
  ``_dapo_filtered_keys``) calls ``float(value)`` on each trajectory's value and evicts a group whose
  values have a standard deviation of exactly 0. ``None`` would crash it; ``NaN`` makes ``np.std`` NaN, so a
  group holding a sample without the component is never evicted as "no signal". ``score`` (a float for
  every sample, ``error_score`` for a failed one) is always a safe filter metric.
- Validation metrics (``process_validation_metrics``) skip ``None`` but average ``NaN`` into ``NaN``. Pass
  ``missing_component=None`` to get verl's skip-``None`` behaviour there (and then do not filter DAPO groups
  on a component), or a number to count a missing component as that value.

Which spec: :func:`configure` (call it in a file that verl loads instead of this module), else the
``REWARDLAB_SPEC`` environment variable (a TOML path or a registered reward name), else rewardlab's
default spec (math correctness + ``\\boxed{}`` format), like ``rewardlab score`` and ``rewardlab serve``.
On a multi-node Ray cluster the variable must reach the workers:
``+ray_kwargs.ray_init.runtime_env.env_vars.REWARDLAB_SPEC=...``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rewardlab.adapters._common import (
    LazyDefault,
    check_error_score,
    check_reserved,
    error_score_from_env,
    flat_components,
    open_handle,
    spec_from_env,
)
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError

RESERVED_KEYS = ("score", "error", "error_type")

__all__ = [
    "VerlReward",
    "acompute_score",
    "compute_score",
    "compute_score_batch",
    "configure",
]


class VerlReward:
    """A reward with verl's three call forms: :meth:`__call__`, :meth:`acompute_score`, :meth:`batch`.

    ``extra_info`` (verl's per-row dict: ``index``, ``split``, ``num_turns``, ``rollout_reward_scores``,
    your dataset's fields) becomes :attr:`Sample.metadata`, plus ``data_source``. ``reward_kwargs`` from
    verl's config are accepted and ignored (rewardlab options live in the spec).
    """

    def __init__(
        self,
        reward: Any,
        *,
        workers: int | None = None,
        timeout: float | None = None,
        on_error: str | float | None = None,
        error_score: float = 0.0,
        missing_component: float | None = math.nan,
    ) -> None:
        self.error_score = check_error_score(error_score)
        self.missing_component = _check_missing(missing_component)
        self.handle, self.keys = open_handle(
            reward,
            workers=workers,
            timeout=timeout,
            on_error=on_error,
            refuse_raise="would stop verl's reward loop on the first failed sample; use 'record' "
            "(failures score `error_score`) or a penalty number",
        )
        check_reserved(self.keys, RESERVED_KEYS, "verl")

    def __call__(
        self,
        data_source: Any,
        solution_str: str,
        ground_truth: Any,
        extra_info: Mapping[str, Any] | None = None,
        **reward_kwargs: Any,
    ) -> dict[str, Any]:
        (result,) = self.handle.score([_sample(data_source, solution_str, ground_truth, extra_info)])
        return self.row(result)

    async def acompute_score(
        self,
        data_source: Any,
        solution_str: str,
        ground_truth: Any,
        extra_info: Mapping[str, Any] | None = None,
        **reward_kwargs: Any,
    ) -> dict[str, Any]:
        (result,) = await self.handle.ascore([_sample(data_source, solution_str, ground_truth, extra_info)])
        return self.row(result)

    def batch(
        self,
        data_sources: Sequence[Any],
        solution_strs: Sequence[str],
        ground_truths: Sequence[Any],
        extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
        **reward_kwargs: Any,
    ) -> list[dict[str, Any]]:
        n = len(solution_strs)
        infos: Sequence[Mapping[str, Any] | None] = [None] * n if extra_infos is None else extra_infos
        if not len(data_sources) == len(ground_truths) == len(infos) == n:
            raise ValueError(
                f"data_sources, solution_strs, ground_truths and extra_infos must have one entry per sample; "
                f"got {len(data_sources)}, {n}, {len(ground_truths)}, {len(infos)}"
            )
        samples = [_sample(data_sources[i], solution_strs[i], ground_truths[i], infos[i]) for i in range(n)]
        return [self.row(r) for r in self.handle.score(samples)]

    def row(self, result: RewardResult) -> dict[str, Any]:
        """verl's dict for one result: the same keys for every sample, a float score in every case."""
        score = result.score if result.score is not None else self.error_score
        return {
            "score": float(score),
            "error": result.error is not None,
            "error_type": result.error.type if result.error else "",
            **flat_components(result, self.keys, self.missing_component),
        }

    def close(self) -> None:
        self.handle.close()


def _check_missing(value: Any) -> float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return None if value is None else float(value)
    raise ConfigError(f"`missing_component` must be a number, NaN or None, got {value!r}")


def _sample(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any) -> Sample:
    if not isinstance(solution_str, str):
        raise TypeError(f"solution_str must be a string, got {type(solution_str).__name__}")
    metadata = dict(extra_info) if isinstance(extra_info, Mapping) else {}
    metadata["data_source"] = data_source
    if "group" not in metadata and metadata.get("uid") is not None:  # verl's rollout group id, if passed
        metadata["group"] = _plain(metadata["uid"])
    return Sample(completion=solution_str, reference=_plain(ground_truth), metadata=metadata)


def _plain(value: Any) -> Any:
    """verl stores ground truths in numpy object arrays; hand the reward plain Python values."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


_DEFAULT: LazyDefault[VerlReward] = LazyDefault(
    lambda: VerlReward(spec_from_env(), error_score=error_score_from_env()), VerlReward.close
)


def configure(
    spec: Any,
    *,
    workers: int | None = None,
    timeout: float | None = None,
    on_error: str | float | None = None,
    error_score: float = 0.0,
    missing_component: float | None = math.nan,
) -> VerlReward:
    """Set the reward behind this module's ``compute_score`` functions (closes any earlier one).

    For a file that verl loads instead of this module::

        from rewardlab.adapters import verl
        verl.configure("rewards.toml", timeout=5)
        acompute_score = verl.acompute_score  # verl looks the function up by name
    """
    reward = VerlReward(
        spec,
        workers=workers,
        timeout=timeout,
        on_error=on_error,
        error_score=error_score,
        missing_component=missing_component,
    )
    _DEFAULT.set(reward)
    return reward


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **reward_kwargs: Any,
) -> dict[str, Any]:
    """verl's per-sample ``compute_score``: ``{"score": float, "error": bool, "error_type": str, **components}``."""
    return _DEFAULT.get()(data_source, solution_str, ground_truth, extra_info)


async def acompute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **reward_kwargs: Any,
) -> dict[str, Any]:
    """:func:`compute_score` as a coroutine; concurrent calls on one event loop are scored as one batch."""
    return await _DEFAULT.get().acompute_score(data_source, solution_str, ground_truth, extra_info)


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    **reward_kwargs: Any,
) -> list[dict[str, Any]]:
    """The batch form of verl's *legacy* ``verl.workers.reward_manager.BatchRewardManager``: one dict per
    sample, in order. verl 0.9.1's trainer does not load that manager (its reward loop scores per sample;
    use :func:`acompute_score`, which rewardlab batches per reward-loop chunk)."""
    return _DEFAULT.get().batch(data_sources, solution_strs, ground_truths, extra_infos)
