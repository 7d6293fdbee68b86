"""``pal_reward``: a saved PAL model (:mod:`rewardlab.models.pal`) as a batched, per-user reward.

``{"type": "pal_reward", "path": DIR}`` scores ``(prompt, completion)`` for the user named in the
sample's metadata (``user_key``, default ``"user"``): ``r_u = -||f(prompt, completion) - a_u||^2``.

Whose weights: ``weights`` given as a mapping ``{user: [w_1..w_K]}`` names users explicitly (e.g. the
result of :meth:`~rewardlab.models.pal.PalModel.fit_user`; they take precedence); a user the model
was trained on has their learnt weights; any other user (or a sample with no user) gets ``weights``
given as one list, else the population's mean weights with ``unknown_user="mean"``, else (the
default, ``unknown_user="error"``) a recorded per-sample error. An unknown user is never scored 0.0.
``info`` carries ``user``, ``weights`` and where they came from (``"known"``, ``"weights"``, ``"mean"``).

The model loads lazily, once per process (:meth:`warmup`), and is not pickled with the reward; each
batch is embedded once (length-sorted, under ``inference_mode``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError
from rewardlab.models._deps import check_device, torch
from rewardlab.models.pal import CONFIG, WEIGHTS, PalModel

UNKNOWN = ("error", "mean")


class PalReward(Reward):
    """A saved PAL model as a reward (see the module docstring). Options: ``path``, ``user_key``,
    ``weights`` (a list of ``K`` simplex weights for users the model does not know, or a mapping
    ``{user: weights}``), ``unknown_user`` (``"error"`` or ``"mean"``), ``device``, ``threads``."""

    name = "pal_reward"
    batched: ClassVar[bool] = True
    preload = ("torch", "transformers")

    def __init__(
        self,
        path: str,
        *,
        user_key: str = "user",
        weights: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
        unknown_user: str = "error",
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        problems: list[str] = []
        p = Path(str(path))
        k: int | None = None
        if not (p / CONFIG).is_file() or not (p / WEIGHTS).is_file():
            problems.append(
                f"`path` of pal_reward must be a saved PAL model (with {CONFIG}), got {str(path)!r}"
            )
        else:
            try:
                k = int(json.loads((p / CONFIG).read_text(encoding="utf-8"))["rewardlab"]["prototypes"])
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"`path` of pal_reward: {p / CONFIG} is not a PAL config ({exc})")
        if not isinstance(user_key, str) or not user_key:
            problems.append(f"`user_key` of pal_reward must be a non-empty string, got {user_key!r}")
        if unknown_user not in UNKNOWN:
            problems.append(f"`unknown_user` of pal_reward must be 'error' or 'mean', got {unknown_user!r}")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            problems.append(f"`threads` of pal_reward must be an integer >= 1 or None, got {threads!r}")
        try:
            check_device(device, what="pal_reward")
        except ConfigError as exc:
            problems.extend(exc.problems)
        default: list[float] | None = None
        named: dict[str, list[float]] = {}
        if isinstance(weights, Mapping):
            for user, w in weights.items():
                problems.extend(_check(w, k, f"weights[{user!r}]", into=named, key=str(user)))
        elif weights is not None:
            box: dict[str, list[float]] = {}
            problems.extend(_check(weights, k, "weights", into=box, key=""))
            default = box.get("")
        if problems:
            raise ConfigError(problems)
        self.path = str(p.resolve())
        self.user_key = user_key
        self.weights = weights
        self.unknown_user = unknown_user
        self.device = device
        self.threads = threads
        self._default = default
        self._named = named
        self._model: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_model"] = None  # each process loads its own copy
        return state

    def warmup(self) -> None:
        self._load()

    def _load(self) -> PalModel:
        if self._model is None:
            if self.threads is not None:
                torch().set_num_threads(self.threads)
            self._model = PalModel.load(self.path, device=self.device)
        return self._model

    def compute(self, sample: Sample) -> RewardResult:
        return self.score_batch([sample])[0]

    def _weights_for(self, model: PalModel, user: Any) -> tuple[list[float], str] | str:
        """The user's weights and their source, or an error message."""
        key = None if user is None else str(user)
        if key is not None and key in self._named:
            return self._named[key], "weights"
        if key is not None and key in model.users_:
            return model.weights_of(key), "known"
        if self._default is not None:
            return self._default, "weights"
        if self.unknown_user == "mean":
            return model.population_weights(), "mean"
        who = f"unknown user {key!r}" if key is not None else f"no user id in metadata[{self.user_key!r}]"
        return (
            f"{who}: the model knows {len(model.users_)} users; give `weights` for new users "
            "(fit them with PalModel.fit_user) or unknown_user='mean'"
        )

    def score_batch(self, samples: Sequence[Sample]) -> list[RewardResult]:
        model = self._load()
        out: list[RewardResult | None] = [None] * len(samples)
        todo: list[tuple[int, Any, list[float], str]] = []
        for i, s in enumerate(samples):
            user = (s.metadata or {}).get(self.user_key)
            got = self._weights_for(model, user)
            if isinstance(got, str):
                out[i] = RewardResult.failure(KeyError(got), user=None if user is None else str(user))
            else:
                todo.append((i, user, *got))
        if todo:
            scores = model.rewards(
                [samples[i].prompt for i, *_ in todo],
                [samples[i].completion for i, *_ in todo],
                [w for _, _, w, _ in todo],
            )
            for (i, user, w, source), v in zip(todo, scores, strict=True):
                info = {"user": None if user is None else str(user), "weights": w, "weights_from": source}
                if not math.isfinite(v):
                    out[i] = RewardResult.failure(
                        ValueError(f"the model returned a non-finite score ({v})"), **info
                    )
                else:
                    out[i] = RewardResult(score=v, info=info)
        return [r for r in out if r is not None]


def _check(value: Any, k: int | None, what: str, *, into: dict[str, list[float]], key: str) -> list[str]:
    """Validate one weight vector (``k`` unknown when the path was bad: only the shape is checked)."""
    ok = isinstance(value, Sequence) and not isinstance(value, str)
    vals = list(value) if ok else []
    ok = ok and all(not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v) for v in vals)
    ok = ok and bool(vals) and all(v >= 0 for v in vals) and abs(sum(vals) - 1.0) <= 1e-4
    if ok and k is not None and len(vals) != k:
        ok = False
    if not ok:
        n = f"{k} " if k is not None else ""
        return [
            f"`{what}` of pal_reward must be {n}non-negative numbers summing to 1 (one per prototype), got {value!r}"
        ]
    into[key] = [float(v) for v in vals]
    return []
