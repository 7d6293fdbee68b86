"""What the server holds at run time, and the errors its routes raise (one handler maps them to HTTP).

One :class:`ServerState` per app (no module-level state): the default reward and its runner settings,
a micro-batcher per served reward, and the Prometheus metrics. Routes read it from
``request.app.state.rewardlab`` and raise :class:`ApiError` (or a :class:`~rewardlab.ServiceError`)
instead of building error responses themselves.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Literal

from fastapi.responses import JSONResponse, Response

from rewardlab.adapters.openrlhf import Eos
from rewardlab.core.registry import REGISTRY, unknown_name_message
from rewardlab.core.reward import walk
from rewardlab.core.spec import DEFAULT_SPEC, RewardSpec, load_spec
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError, Overloaded, ServiceError
from rewardlab.runner import make_runner, resolve
from rewardlab.serve.batcher import MicroBatcher


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

    def __post_init__(self) -> None:
        problems = []
        for name, low in (("max_batch", 1), ("max_queue", 1), ("concurrency", 1), ("max_body_bytes", 1024)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                problems.append(f"{name} must be an integer >= {low}, got {value!r}")
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


class ApiError(Exception):
    """An HTTP error answer: ``status``, a ``type`` name, the message and the offending field."""

    def __init__(
        self,
        status: int,
        kind: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.kind = kind
        self.message = message
        self.field = field
        self.headers = headers
        super().__init__(message)

    def response(self) -> JSONResponse:
        return error_response(self.status, self.kind, self.message, self.field, self.headers)


def error_response(
    status: int, kind: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error body of the API: ``{"error": {"type", "message", "field"?}}``."""
    body: dict[str, Any] = {"error": {"type": kind, "message": message}}
    if field:
        body["error"]["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def service_error_response(exc: ServiceError) -> JSONResponse:
    """503 with Retry-After for a server that takes no new work (queue full, draining)."""
    retry = max(1, math.ceil(exc.retry_after)) if isinstance(exc, Overloaded) else 1
    return error_response(503, type(exc).__name__, str(exc), headers={"Retry-After": str(retry)})


def json_response(body: dict[str, Any]) -> Response:
    """Serialise once with the standard library; the response models document the shape (OpenAPI) but
    re-validating every result through them cost more than scoring a math answer."""
    return Response(json.dumps(body, default=str), media_type="application/json")


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
        confine_files(self.reward)
        self.eos = Eos.resolve(settings.eos_tokens, settings.tokenizer)  # OpenRLHF's /get_reward
        self.batchers: dict[str, MicroBatcher] = {}
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
            reward = REGISTRY.build(name)
            confine_files(reward)
        else:
            reward = self.reward
        s = self.settings
        if s.backend == "ray":
            runner_settings = self.runner_settings  # workers = actors, shared by the batch loops
        else:
            total = self.runner_settings.workers or (os.cpu_count() or 1)
            runner_settings = self.runner_settings.replace(workers=max(1, math.ceil(total / s.concurrency)))

        def make() -> Any:
            return make_runner(reward, runner_settings, backend=s.backend, ray_address=s.ray_address)

        batcher = MicroBatcher(
            make,
            max_batch=s.max_batch,
            max_wait=s.max_wait_ms / 1000,
            max_queue=s.max_queue,
            concurrency=s.concurrency,
            on_batch=lambda n, _sec: self.batch.observe(n),
        )
        self.batchers[key] = batcher
        return key, batcher

    @property
    def pending(self) -> int:
        return sum(b.pending for b in self.batchers.values())

    async def score(
        self, key: str | None, samples: list[Sample | RewardResult], timeout: float | None
    ) -> tuple[str, list[RewardResult]]:
        """Score through the micro-batcher; raises :class:`ApiError` or :class:`~rewardlab.ServiceError`."""
        name, batcher = self.batcher(key)
        try:
            coro = batcher.submit(samples)
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
