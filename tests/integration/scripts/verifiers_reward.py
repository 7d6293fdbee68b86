"""Run inside the verifiers 0.4.0 test venv: rewardlab task rewards through verifiers' own scoring.

The README's route: a rewards file plugged by config (``TaskConfig.rewards.<name>.fn = "file.py:obj"``,
what ``--env.taskset.task.rewards.<name>.fn=...`` sets), two rewardlab rewards on one task. Each rollout
is a real ``Trace`` built the way ``Rollout.__init__`` builds it; the model's answer is committed with
verifiers' own turn recording (``graph.prepare_turn(...).commit(Response)``), the model itself being the
faked boundary; then ``Task.score(trace)``, the call ``Rollout`` makes, under verifiers' own
``boundary(TaskError, "scoring")``. One group of rollouts per task is scored concurrently, as an env does.

Prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import tempfile
import time
from pathlib import Path

from verifiers.v1.configs.agent import AgentConfig
from verifiers.v1.configs.task import RewardFunctionConfig, TaskConfig
from verifiers.v1.errors import TaskError, boundary
from verifiers.v1.graph import prepare_turn
from verifiers.v1.state import state_cls
from verifiers.v1.task import Task, TaskData, WireTaskData
from verifiers.v1.trace import AgentInfo, Trace, TraceTask
from verifiers.v1.types import AssistantMessage, Response, UserMessage

SPEC = sys.argv[1]

REWARDS_FILE = """
from rewardlab.adapters.verifiers import task_reward

correct = task_reward({spec!r}, timeout=4)                    # reference: the task data's `answer` field
style = task_reward("boxed_format", reference_field=None, error_score=0.0)
"""


class MathData(TaskData):
    answer: str


class MathTask(Task[MathData]):
    pass


def new_trace(task: Task) -> Trace:
    return Trace(
        task=TraceTask(type=type(task).__name__, data=task.data, key=task.key, hash=task.hash),
        state=state_cls(type(task))(),
        agent=AgentInfo(config=AgentConfig()),
    )


def answer(trace: Trace, prompt: str, text: str) -> None:
    """The model's reply, recorded by verifiers' own turn bookkeeping (the model is the faked boundary)."""
    turn = prepare_turn(trace, [UserMessage(content=prompt)])
    turn.commit(
        Response(
            id="r", created=0, model="fake", message=AssistantMessage(content=text), finish_reason="stop"
        )
    )


async def score(task: Task, trace: Trace) -> str | None:
    try:
        async with boundary(TaskError, "scoring"):  # what Rollout wraps Task.score in
            await task.score(trace)
    except TaskError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def plain(v):
    return "nan" if isinstance(v, float) and math.isnan(v) else v


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rlvf"))
    rewards_file = work / "my_rewards.py"
    rewards_file.write_text(REWARDS_FILE.format(spec=SPEC))
    config = TaskConfig(
        rewards={
            "correct": RewardFunctionConfig(fn=f"{rewards_file}:correct", weight=1.0),
            "style": RewardFunctionConfig(fn=f"{rewards_file}:style", weight=0.5),
        }
    )
    groups = [
        (MathTask(MathData(prompt="What is 8*9?", answer="72"), config), ["\\boxed{72}", "72", "CRASH 72"]),
        (MathTask(WireTaskData(prompt="What is 6*7?", answer="42", level=3), config), ["42", "\\boxed{41}"]),
        (MathTask(MathData(prompt="What is 3+4?", answer="7"), config), ["HANG", "7"]),
    ]
    hooks = groups[0][0].hooks("reward")
    correct = next(fn for fn in hooks if fn.__name__ == "correct").__wrapped__
    sizes: list[int] = []
    real = correct.handle.runner.score

    def spy(samples):
        samples = list(samples)
        sizes.append(len(samples))
        return real(samples)

    correct.handle.runner.score = spy
    traces = [(task, new_trace(task), task.data.prompt, text) for task, texts in groups for text in texts]
    for _, trace, prompt, text in traces:
        answer(trace, prompt, text)
    t0 = time.monotonic()
    errors = await asyncio.gather(*(score(task, trace) for task, trace, _, _ in traces))
    out = {
        "seconds": round(time.monotonic() - t0, 1),
        "batch_sizes": sizes,
        "rollouts": [
            {
                "text": text,
                "error": err,
                "rewards": {k: None if r is None else [r.score, r.weight] for k, r in trace.rewards.items()},
                "reward": trace.reward,
                "metrics": {k: plain(v) for k, v in trace.metrics.items()},
            }
            for (_, trace, _, text), err in zip(traces, errors, strict=True)
        ],
    }
    for fn in hooks:
        fn.__wrapped__.close()
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
