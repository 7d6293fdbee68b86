from __future__ import annotations

import subprocess
import sys

import pytest

import rewardlab as rl
from rewardlab import ConfigError
from rewardlab.core.registry import Registry


def test_builtins_are_listed_with_docs() -> None:
    names = dict(rl.list_rewards())
    for name in ("math", "think_answer_format", "boxed_format", "rouge", "overlong_penalty", "json_schema"):
        doc = names.get(name)
        assert isinstance(doc, str) and len(doc) > 20, (name, doc)


def test_register_a_custom_reward_and_build_it_by_name() -> None:
    reg = Registry()

    class Const(rl.Reward):
        """Always the same value."""

        def __init__(self, value: float = 1.0) -> None:
            self.value = value

        def compute(self, sample: rl.Sample) -> float:
            return self.value

    reg.register("const", Const)
    assert reg.get("const").doc == "Always the same value."
    assert reg.build("const", value=0.5)(rl.Sample()).score == 0.5
    with pytest.raises(ConfigError, match="has no option 'valu'"):
        reg.build("const", valu=2)
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("const", Const)


def test_import_is_cheap_and_side_effect_free() -> None:
    code = (
        "import sys, rewardlab\n"
        "heavy = [m for m in ('sympy', 'torch', 'sacrebleu', 'rouge_score', 'typer', 'rich', 'multiprocessing')"
        " if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
