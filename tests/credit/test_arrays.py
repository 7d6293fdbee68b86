"""Array plumbing: torch in, torch out; core-layer imports only; shared validation rules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, RewardLabError

torch = pytest.importorskip("torch", reason="torch in, torch out needs torch (not a core dependency)")

CREDIT_DIR = Path(rc.__file__).parent
ALLOWED_TOP_LEVEL = {"__future__", "numpy", "collections", "dataclasses", "typing", "itertools", "rewardlab"}


def test_credit_modules_import_only_the_standard_library_and_numpy() -> None:
    for path in sorted(CREDIT_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: torch may be imported lazily inside functions
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED_TOP_LEVEL, f"{path.name} imports {name} at module level"
                if top == "rewardlab":
                    assert name.startswith(("rewardlab.credit", "rewardlab.errors")), (
                        f"{path.name} imports {name}"
                    )


def test_importing_credit_does_not_import_torch() -> None:
    code = "import sys, rewardlab.credit as rc; rc.grpo_advantages([1, 0], [0, 0]); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_torch_in_torch_out_with_dtype_and_device() -> None:
    r = torch.tensor([1.0, 0.0, 0.5, 0.5], dtype=torch.float32)
    g = torch.tensor([0, 0, 1, 1])
    out = rc.grpo_advantages(r, g)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.device == r.device
    np.testing.assert_allclose(out.numpy(), rc.grpo_advantages(r.numpy(), g.numpy()), rtol=1e-6)
    # integer tensors produce float64 results; boolean results stay boolean
    assert rc.rloo_advantages(torch.tensor([1, 0]), [0, 0]).dtype == torch.float64
    keep = rc.dynamic_sampling_mask(r, g)
    assert (
        isinstance(keep, torch.Tensor)
        and keep.dtype == torch.bool
        and keep.tolist() == [True, True, False, False]
    )
    # tuples of outputs are both tensors
    adv, ret = rc.gae(
        torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3, dtype=torch.bool), gamma=1.0, lam=1.0
    )
    assert isinstance(adv, torch.Tensor) and isinstance(ret, torch.Tensor)


def test_tensors_that_require_grad_are_detached() -> None:
    r = torch.tensor([1.0, 0.0], requires_grad=True)
    out = rc.rloo_advantages(r, [0, 0])
    assert not out.requires_grad
    np.testing.assert_allclose(out.numpy(), [1.0, -1.0])


def test_plain_lists_in_numpy_out() -> None:
    out = rc.clip_shaping([0.9, 0.1], 0.5)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: rc.grpo_advantages(["a", "b"], [0, 0]), "rewards"),
        (lambda: rc.grpo_advantages([1.0, 2.0], [0, [1]]), "group_ids"),
        (lambda: rc.delta_shaping([0.1], offsets=[0.0, 1.0]), "offsets"),
        (lambda: rc.gae([1.0], [1.0], ["x"], gamma=1.0, lam=1.0), "dones"),
    ],
)
def test_malformed_arrays_name_the_argument(call, argument) -> None:
    with pytest.raises(ArrayError) as info:
        call()
    assert info.value.argument == argument
    assert isinstance(info.value, RewardLabError) and isinstance(info.value, ValueError)


def test_non_finite_2d_input_reports_the_row() -> None:
    with pytest.raises(ArrayError, match=r"index \(1, 0\)") as info:
        rc.masked_whiten([[1.0, 2.0], [float("inf"), 0.0]])
    assert info.value.index == 1
