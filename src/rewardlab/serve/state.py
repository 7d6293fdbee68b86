"""What the server holds at run time: its settings, rewards, queues and metrics.

One :class:`ServerState` per app (no module-level state): the default reward and its runner settings,
a micro-batcher per served reward, the grader queue (:mod:`.grader_queue`) and the Prometheus metrics.
Routes read it from ``request.app.state.rewardlab`` and raise :class:`~.responses.ApiError` (or a
:class:`~rewardlab.ServiceError`) instead of building error responses themselves.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from rewardlab.adapters.openrlhf import Eos
from rewardlab.core.group import group_key, is_group_reward
from rewardlab.core.registry import REGISTRY, unknown_name_message
from rewardlab.core.reward import walk
from rewardlab.core.spec import DEFAULT_SPEC, RewardSpec, load_spec
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError
from rewardlab.runner import make_runner, resolve
from rewardlab.serve.batcher import MicroBatcher
from rewardlab.serve.grader_queue import GraderQueue
from rewardlab.serve.responses import ApiError, encode_results

__all__ = ["ApiError", "ServeSettings", "ServerState"]

log = logging.getLogger("rewardlab.serve")


@dataclass(frozen=True)
class ServeSettings:
    """Server settings, validated on construction. Runner settings default to the spec's ``[runner]``."""

    spec: RewardSpec = DEFAULT_SPEC
    workers: int | None = None
    timeout: float | None = None
    on_error: str | float | None = None
    max_batch: int = 64
    max_wait_ms: float = 5.0
    max_queue: int = 10_000
    concurrency: int = 2
    max_body_bytes: int = 16 * 1024 * 1024
    drain_timeout: float = 30.0
    error_score: float = 0.0
    max_named_rewards: int = 8
    backend: Literal["local", "ray"] = "local"  # "ray": each batch loop scores through Ray actors
    ray_address: str | None = None
    eos_tokens: tuple[str, ...] | None = None  # /get_reward: EOS strings cut from responses (() = none)
    tokenizer: str | None = None  # /get_reward: read the EOS strings from this tokenizer instead
    grader_workers: int = 2  # graders run at once, each in its own worker process
    grader_max_queue: int = 64  # graders accepted (running + waiting) before answering 503
    grader_timeout: float = 30.0  # seconds per grader request, queue wait included (504 after)
    grader_memory_mb: int = 2048  # address-space cap of each grader worker (ROUGE-L on long texts: GBs)

    def __post_init__(self) -> None:
        problems = []
        integers = (("max_batch", 1), ("max_queue", 1), ("concurrency", 1), ("max_body_bytes", 1024),
                    ("grader_workers", 1), ("grader_max_queue", 1), ("grader_memory_mb", 256))  # fmt: skip
        for name, low in integers:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                problems.append(f"{name} must be an integer >= {low}, got {value!r}")
        t = self.grader_timeout
        if isinstance(t, bool) or not isinstance(t, int | float) or not (t > 0 and math.isfinite(t)):
            problems.append(f"grader_timeout must be a positive number of seconds, got {t!r}")
        if self.on_error == "raise":
            problems.append(
                "on_error='raise' cannot be used by the server: one sample would fail every request "
                "of its micro-batch; use 'record' or a penalty number"
            )
        if not (isinstance(self.max_wait_ms, int | float) and self.max_wait_ms >= 0):
            problems.append(f"max_wait_ms must be >= 0, got {self.max_wait_ms!r}")
        if self.backend not in ("local", "ray"):
            problems.append(f"backend must be 'local' or 'ray', got {self.backend!r}")
        if not (isinstance(self.error_score, int | float) and math.isfinite(self.error_score)):
            problems.append(f"error_score must be finite, got {self.error_score!r}")
        if problems:
            raise ConfigError(problems, where="server settings")


def confine_files(reward: Any) -> None:
    """On a shared server a reference must not open any file of the host: every SQL reward in the tree
    reads databases only under the directories its spec names (``db_dir``), or none."""
    for _, node in walk(reward):
        if hasattr(node, "db_roots") and getattr(node, "db_roots", None) is None:
            db_dir = getattr(node, "db_dir", None)
            node.db_roots = [db_dir] if db_dir else []


class ServerState:
    """Everything the app holds at run time (one per app; no module-level state)."""

    def __init__(self, settings: ServeSettings) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.settings = settings
        loaded = load_spec(settings.spec)
        self.spec_source = loaded.source
        # validated now, not on the first request; the server always scores in worker processes
        self.reward, self.runner_settings = resolve(
            loaded, workers=settings.workers or None, timeout=settings.timeout, on_error=settings.on_error
        )
        if self.runner_settings.on_error == "raise":  # a spec written for `rewardlab score --on-error raise`
            log.info(json.dumps({"event": "on_error", "spec": "raise", "server": "record"}))
            self.runner_settings = self.runner_settings.replace(on_error="record")
        confine_files(self.reward)
        self.eos = Eos.resolve(settings.eos_tokens, settings.tokenizer)  # OpenRLHF's /get_reward
        self.batchers: dict[str, MicroBatcher] = {}
        self.grouped: dict[str, bool] = {}  # batcher key -> its reward is a group reward
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rewardlab_requests", "HTTP requests", ["path", "status"], registry=self.registry
        )
        self.samples = Counter("rewardlab_samples", "samples scored", registry=self.registry)
        self.errors = Counter(
            "rewardlab_sample_errors", "samples with an error", ["type"], registry=self.registry
        )
        self.queue = Gauge(
            "rewardlab_queue_samples", "samples accepted, not yet answered", registry=self.registry
        )
        self.batch = Histogram(
            "rewardlab_batch_size",
            "samples per batch",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=self.registry,
        )
        self.latency = Histogram(
            "rewardlab_request_seconds", "request latency", ["path"], registry=self.registry
        )
        self.graders = GraderQueue(
            workers=settings.grader_workers,
            max_queue=settings.grader_max_queue,
            timeout=settings.grader_timeout,
            memory_mb=settings.grader_memory_mb,
            registry=self.registry,
        )

    def batcher(self, name: str | None) -> tuple[str, MicroBatcher]:
        """The batcher of the default reward (``name=None``) or of a registered reward, made on first use."""
        key = name or "default"
        if key in self.batchers:
            return key, self.batchers[key]
        if name is not None:
            if name not in REGISTRY:
                raise ApiError(422, "UnknownReward", unknown_name_message(name, REGISTRY.names()), "reward")
            if len(self.batchers) > self.settings.max_named_rewards:
                raise ApiError(
                    422,
                    "UnknownReward",
                    f"this server serves at most {self.settings.max_named_rewards} named rewards",
                    "reward",
                )
            try:
                reward = REGISTRY.build(name)
            except ConfigError as exc:  # e.g. a reward that needs options: only a spec can give them
                raise ApiError(
                    422, "InvalidReward", f"{exc}; serve it from a spec that sets its options", "reward"
                ) from None
            confine_files(reward)
        else:
            reward = self.reward
        s = self.settings
        loops = s.concurrency
        if s.backend == "ray":
            runner_settings = self.runner_settings  # workers = actors, shared by the batch loops
        else:
            # The batch loops share the workers the settings ask for: never more loops than workers
            # (with one worker, a second loop would start a second copy of a model that fights the
            # first over the same cores), and torch's threads shared among all of them.
            total = self.runner_settings.workers or (os.cpu_count() or 1)
            loops = max(1, min(s.concurrency, total))
            per_loop = max(1, math.ceil(total / loops))
            runner_settings = self.runner_settings.replace(
                workers=per_loop, threads=self.runner_settings.worker_threads(per_loop * loops)
            )

        def make() -> Any:
            return make_runner(reward, runner_settings, backend=s.backend, ray_address=s.ray_address)

        batcher = MicroBatcher(
            make,
            max_batch=s.max_batch,
            max_wait=s.max_wait_ms / 1000,
            max_queue=s.max_queue,
            concurrency=loops,
            on_batch=lambda n, _sec: self.batch.observe(n),
        )
        self.batchers[key] = batcher
        self.grouped[key] = is_group_reward(reward)
        return key, batcher

    @property
    def pending(self) -> int:
        return sum(b.pending for b in self.batchers.values())

    def every_batcher(self) -> list[MicroBatcher]:
        """The sample batchers and the grader queue (what shutdown drains and closes)."""
        grader = self.graders.batcher
        return [*self.batchers.values(), *([grader] if grader is not None else [])]

    def health(self) -> dict[str, Any]:
        """``/health``: ``ok``, ``degraded`` (the server answers, but a queue is full or stalled: each
        reason listed) or ``draining``; the depth of every queue."""
        reasons = []
        samples: dict[str, Any] = {}
        for name, b in self.batchers.items():
            samples[name] = b.stats()
            if b.full:
                reasons.append(f"sample queue of {name!r} is full ({b.pending} of {b.max_queue} samples)")
        graders = self.graders.stats()
        reasons += self.graders.reasons(graders)
        closing = any(b.closing for b in self.every_batcher())
        status = "draining" if closing else "degraded" if reasons else "ok"
        return {
            "status": status,
            "reasons": reasons,
            "pending": self.pending,
            "spec": self.spec_source,
            "queues": samples,
            "graders": graders,
        }

    def encode(self, results: list[RewardResult], with_info: bool) -> tuple[list[str], int]:
        """The results as JSON texts (:func:`encode_results`) and the number of errors among them; a
        result that could not be written is counted as a ``ResultError``."""
        texts, sent = encode_results(results, with_info)
        for before, after in zip(results, sent, strict=True):
            if after is not before:
                self.errors.labels("ResultError").inc()
        return texts, sum(r.error is not None for r in sent)

    async def score(
        self, key: str | None, samples: list[Sample | RewardResult], timeout: float | None
    ) -> tuple[str, list[RewardResult]]:
        """Score through the micro-batcher; raises :class:`ApiError` or :class:`~rewardlab.ServiceError`."""
        name, batcher = self.batcher(key)
        whole = self.grouped.get(name, False)
        if whole:  # a group reward: this request's groups are its own, and stay whole
            samples = _own_groups(samples)
        try:
            coro = batcher.submit(samples, whole=whole)
            results = await (asyncio.wait_for(coro, timeout) if timeout else coro)
        except TimeoutError:
            raise ApiError(
                504, "DeadlineExceeded", f"request deadline of {timeout:g} s exceeded", "timeout"
            ) from None
        finally:
            self.queue.set(self.pending)
        self.samples.inc(len(results))
        for r in results:
            if r.error is not None:
                self.errors.labels(r.error.type).inc()
        return name, results


def _own_groups(samples: list[Sample | RewardResult]) -> list[Sample | RewardResult]:
    """The request's samples with their group keys made private to the request (two clients' group "0"
    are two groups) and each group's size recorded (``group_size``), so a group is scored whole."""
    token = uuid.uuid4().hex
    sizes: dict[Any, int] = {}
    for s in samples:
        if isinstance(s, Sample):
            key = group_key(s)
            if key is not None:
                sizes[key] = sizes.get(key, 0) + 1
    out: list[Sample | RewardResult] = []
    for s in samples:
        key = group_key(s) if isinstance(s, Sample) else None
        if isinstance(s, Sample) and key is not None:
            meta = {
                **s.metadata,
                "group": (token, key),
                "group_size": s.metadata.get("group_size", sizes[key]),
            }
            s = Sample(s.prompt, s.completion, s.reference, meta)
        out.append(s)
    return out
