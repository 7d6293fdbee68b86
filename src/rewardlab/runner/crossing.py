"""What crosses a process boundary, one item at a time: samples out to workers, results back.

Every sample and every result is pickled on its own, so one that cannot cross (nested too deep, a lock
in its metadata, an ``info`` value that will not pickle or unpickle) is that row's error and never costs
the rest of its chunk. Used by the local runner's parent and worker processes, and by the Ray backend
between the driver and its actors (which run a local runner each). Standard library and core only: the
worker processes import it.
"""

from __future__ import annotations

import pickle

from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import SampleError


def sample_blob(index: int, sample: Sample) -> bytes | RewardResult:
    """``sample`` pickled on its own, or row ``index``'s ``SampleError`` when it cannot be.

    Pickling each sample separately (a chunk is then a flat list of bytes) matters: a sample just under
    the recursion limit pickles alone but not inside a chunk, one level deeper."""
    try:
        return pickle.dumps(sample, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # RecursionError, PicklingError, TypeError...
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
        error = SampleError(f"cannot be sent to a worker process ({reason})", index=index)
        return RewardResult.failure(ErrorInfo("SampleError", str(error)))


def read_sample(index: int, blob: bytes) -> Sample | RewardResult:
    """A sample as :func:`sample_blob` wrote it, or row ``index``'s ``SampleError`` when it cannot be
    read in this process."""
    try:
        sample = pickle.loads(blob)
    except Exception as exc:  # RecursionError, MemoryError under memory_mb, a class missing here...
        message = f"could not be read by the worker process ({type(exc).__name__}: {str(exc)[:200]})"
        return RewardResult.failure(ErrorInfo("SampleError", str(SampleError(message, index=index))))
    if not isinstance(sample, Sample):  # pragma: no cover - protocol invariant
        return RewardResult.failure(TypeError(f"got {type(sample).__name__} where a Sample was sent"))
    return sample


def result_blob(result: RewardResult) -> bytes:
    """``result`` pickled on its own; one that cannot be (too deep, an unpicklable ``info`` value) is
    replaced by that sample's error."""
    try:
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # RecursionError, PicklingError, TypeError...
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
        return pickle.dumps(RewardResult.failure(TypeError(f"result could not be sent back: {reason}")))


def read_result(blob: bytes) -> RewardResult:
    """A result as :func:`result_blob` wrote it; one that cannot be read here is that sample's error."""
    try:
        result = pickle.loads(blob)
    except Exception as exc:  # RecursionError, a class this process cannot import...
        return RewardResult.failure(TypeError(f"result could not be read back: {type(exc).__name__}: {exc}"))
    if not isinstance(result, RewardResult):
        return RewardResult.failure(TypeError(f"got {type(result).__name__} where a RewardResult was sent"))
    return result


def renumbered(result: RewardResult, position: int, row: int) -> RewardResult:
    """``result`` with a ``SampleError`` naming ``row`` instead of ``position``: a runner names a sample by
    its place in the batch it was given, the caller knows it by its place in its own input."""
    err = result.error
    prefix = f"row {position}: "
    if err is not None and err.type == "SampleError" and err.message.startswith(prefix) and position != row:
        result.error = ErrorInfo(err.type, f"row {row}: {err.message[len(prefix) :]}")
    return result
