"""Rewards used by the runner tests. They live in a module (not a test file) so worker processes can
import them by name."""

from __future__ import annotations

import os
import time

from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample


class Behave(Reward):
    """Behaves as ``sample.metadata["do"]`` says: ok, sleep, spin (hold the GIL), raise, exit, bad."""

    name = "behave"

    def compute(self, sample: Sample) -> float | RewardResult:
        do = sample.metadata.get("do", "ok")
        if do == "ok":
            return float(sample.metadata.get("value", 1.0))
        if do == "sleep":
            time.sleep(float(sample.metadata.get("seconds", 60)))
            return 1.0
        if do == "spin":
            import sympy

            # A big-integer power computed in C: holds the GIL, so no thread or signal can interrupt it.
            sympy.Integer(9) ** (sympy.Integer(9) ** (sympy.Integer(9) ** 9))
            return 1.0
        if do == "raise":
            raise ValueError(f"bad sample {sample.metadata.get('value')}")
        if do == "exit":
            os._exit(3)
        if do == "bad":
            return "not a number"  # type: ignore[return-value]
        if do == "pid":
            return RewardResult(score=0.0, info={"pid": os.getpid()})
        raise AssertionError(do)


class BatchBehave(Behave):
    """A batched reward: ``score_batch`` scores a whole chunk in one call and records the call's size in
    ``info["batch"]`` (1 when the runner scored the sample on its own). A sample whose ``metadata["batch"]``
    says ``raise``, ``short`` (answer one result too few), ``nan``, ``sleep`` or ``exit`` breaks the
    batch call that holds it, but behaves as ``do`` says when scored alone."""

    name = "batch_behave"
    batched = True

    def __call__(self, sample: Sample) -> RewardResult:
        out = super().__call__(sample)
        out.info["batch"] = 1
        out.info["pid"] = os.getpid()
        return out

    def score_batch(self, samples: list[Sample]) -> list[RewardResult]:  # type: ignore[override]
        modes = {s.metadata.get("batch") for s in samples}
        if "raise" in modes:
            raise RuntimeError("the batch call failed")
        if "sleep" in modes:
            time.sleep(60)
        if "exit" in modes:
            os._exit(4)
        out = [
            RewardResult(
                score=float(s.metadata.get("value", 1.0)), info={"batch": len(samples), "pid": os.getpid()}
            )
            for s in samples
        ]
        if "nan" in modes:
            out[0].score = float("nan")
        return out[:-1] if "short" in modes else out


class Warmed(Reward):
    """Scores 1.0 when its ``warmup`` ran in this process before the sample (0.0 otherwise); ``warmups``
    counts the calls (in this process)."""

    name = "warmed"

    def __init__(self) -> None:
        self._warm_pid: int | None = None
        self.warmups = 0

    def warmup(self) -> None:
        self._warm_pid = os.getpid()
        self.warmups += 1

    def compute(self, sample: Sample) -> float:
        return 1.0 if self._warm_pid == os.getpid() else 0.0


_LEAK: list[bytes] = []


class OneHop:
    """Pickles only in the process that made it: a result holding it crosses one process boundary (worker
    to parent) and not a second one (a Ray actor to the driver)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def __reduce__(self) -> tuple:
        if os.getpid() != self.pid:
            raise TypeError("OneHop cannot leave a second process")
        return (OneHop, (self.pid,))


class Unprintable:
    """Crosses a process boundary (pickles) but cannot be written as JSON, not even as ``str``."""

    def __str__(self) -> str:
        raise RuntimeError("no text for this object")

    __repr__ = __str__


class Hostile(Reward):
    """Rewards that misbehave at the process boundary, as ``metadata["do"]`` says: ``deep_info`` (a result
    nested too deep to pickle), ``leak`` (keeps 64 MB per call until the worker's memory cap), ``alloc`` (64 MB for a moment), ``nan``
    (a NaN component), ``nan_info`` (NaN in info), ``deep_nan`` (NaN 60 levels down in info), ``unprintable``
    (an info value that neither JSON nor ``str`` can encode), ``one_hop`` (an info value that crosses one
    process boundary, not two); anything else scores 1.0."""

    name = "hostile"

    def compute(self, sample: Sample) -> float | RewardResult:
        do = sample.metadata.get("do")
        if do == "deep_info":
            deep: list = []
            for _ in range(100_000):
                deep = [deep]
            return RewardResult(score=1.0, info={"deep": deep})
        if do == "leak":
            _LEAK.append(b"x" * (64 << 20))
            return 1.0
        if do == "alloc":  # needs 64 MB for a moment: fails only in a worker whose memory leaked away
            return float(len(b"x" * (64 << 20)) > 0)
        if do == "nan":
            return RewardResult(score=1.0, components={"part": float("nan")})
        if do == "nan_info":
            return RewardResult(score=1.0, info={"ratio": float("inf"), "ok": [1.0, float("nan")]})
        if do == "deep_nan":
            nested: list = [float("nan")]
            for _ in range(60):
                nested = [nested]
            return RewardResult(score=1.0, info={"deep": nested})
        if do == "unprintable":
            return RewardResult(score=1.0, info={"obj": Unprintable()})
        if do == "one_hop":
            return RewardResult(score=1.0, info={"obj": OneHop(os.getpid())})
        return 1.0


class Locked(Reward):
    """Holds a lock, so it cannot be sent to a worker process (fine with ``workers=0``)."""

    name = "locked"

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()

    def compute(self, sample: Sample) -> float:
        return 1.0


class LengthOrRaise(Reward):
    """The completion's length; raises on a completion containing ``RAISE`` (the eval tests' scorer error)."""

    name = "length_or_raise"

    def compute(self, sample: Sample) -> float | RewardResult:
        if "RAISE" in sample.completion_text:
            raise ValueError("asked to raise")
        return float(len(sample.completion_text))


class TorchThreads(Reward):
    """torch's intra-op thread count in the process that scores (torch preloaded, as a model reward has
    it)."""

    name = "torch_threads"
    preload = ("torch",)

    def compute(self, sample: Sample) -> float:
        import torch

        return float(torch.get_num_threads())
