"""rewardlab gives the same numbers as TRL's and verl's estimators on the same inputs.

TRL and verl are not installed (they would drag in transformers, ray, ...). Instead each estimator's
formula is transcribed here, in torch, from the named source file at the named commit, and both sides
run on the same random inputs. The transcriptions are written from reading the formulas, not copied.

Sources read:
- TRL  = huggingface/trl @ 00313f21920d37c3876c4021b51430224c06c936 (2026, 1.x development line):
  ``trl/trainer/grpo_trainer.py`` (``_generate_and_score_completions``: ``scale_rewards`` in
  group/batch/none, ``multi_objective_aggregation`` sum_then_normalize / normalize_then_sum, the latter
  added by PR #4785, GDPO), ``trl/trainer/rloo_trainer.py`` (leave-one-out baseline), and
  ``trl/trainer/utils.py::nanstd`` (Bessel-corrected, NaN for fewer than 2 values).
- verl = volcengine/verl @ 012be9d9dcb7c38499f23616142870d2682757fc: ``verl/trainer/ppo/core_algos.py``
  (``compute_gae_advantage_return``, ``compute_grpo_outcome_advantage``,
  ``compute_rloo_outcome_advantage``, ``compute_reinforce_plus_plus_outcome_advantage``,
  ``compute_reinforce_plus_plus_baseline_outcome_advantage``, ``compute_remax_outcome_advantage``) and
  ``verl/utils/torch_functional.py::masked_whiten`` (masked mean, Bessel-corrected masked variance,
  ``rsqrt(var + 1e-8)``).

Documented differences (tested below): verl gives a group of one mean 0 and std 1, so its GRPO/RLOO
advantage is the raw reward; rewardlab gives 0. verl whitens GAE advantages inside the estimator;
rewardlab makes that a separate ``masked_whiten`` call.
"""

from __future__ import annotations

import numpy as np
import pytest
from _strategies import FAST
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc

torch = pytest.importorskip("torch", reason="the TRL and verl transcriptions are written in torch")


@pytest.fixture(autouse=True)
def _float64() -> object:
    """The transcriptions compute in float64, for this module's tests only (a process-wide default set at
    import time made every later test's tiny models float64)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


# ---------------------------------------------------------------- TRL transcriptions


def trl_grpo(rewards: torch.Tensor, num_generations: int, scale: str) -> torch.Tensor:
    """TRL sum_then_normalize: contiguous groups of ``num_generations``; std is torch's unbiased std."""
    grouped = rewards.view(-1, num_generations)
    centred = rewards - grouped.mean(dim=1).repeat_interleave(num_generations)
    if scale == "none":
        return centred
    if scale == "group":
        std = grouped.std(dim=1).repeat_interleave(num_generations)
    else:
        std = rewards.std().expand_as(rewards)
    return centred / (std + 1e-4)


def trl_nanstd(x: torch.Tensor, dim: int) -> torch.Tensor:
    mean = torch.nanmean(x, dim=dim, keepdim=True)
    var = torch.nanmean((x - mean) ** 2, dim=dim, keepdim=True)
    count = (~torch.isnan(x)).sum(dim=dim, keepdim=True)
    bessel = torch.where(count > 1, count / (count - 1), torch.full_like(var, float("nan")))
    return torch.sqrt(var * bessel)


def trl_normalize_then_sum(
    per_func: torch.Tensor, num_generations: int, weights: torch.Tensor
) -> torch.Tensor:
    """TRL GDPO: per reward function z-score within the group (NaN = not applicable), weighted nansum,
    then a batch z-score."""
    grouped = per_func.view(-1, num_generations, per_func.shape[1])
    z = (grouped - torch.nanmean(grouped, dim=1, keepdim=True)) / (trl_nanstd(grouped, dim=1) + 1e-4)
    total = (z.view(-1, per_func.shape[1]) * weights[None, :]).nansum(dim=1)
    return (total - total.mean()) / (total.std() + 1e-4)


def trl_rloo(rewards: torch.Tensor, num_generations: int) -> torch.Tensor:
    grouped = rewards.view(-1, num_generations)
    baseline = (grouped.sum(dim=1, keepdim=True) - grouped) / (num_generations - 1)
    return rewards - baseline.reshape(-1)


# ---------------------------------------------------------------- verl transcriptions


def verl_masked_whiten(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mean = (values * mask).sum() / mask.sum()
    var = (((values - mean) ** 2) * mask).sum() / mask.sum()
    var = var * mask.sum() / (mask.sum() - 1)
    return (values - mean) * torch.rsqrt(var + 1e-8)


def verl_grpo(scores: torch.Tensor, index: list, norm_by_std: bool, eps: float = 1e-6) -> torch.Tensor:
    out = scores.clone()
    for i, idx in enumerate(index):
        members = torch.stack([scores[j] for j, other in enumerate(index) if other == idx])
        mean, std = (
            (members.mean(), members.std()) if members.numel() > 1 else (torch.tensor(0.0), torch.tensor(1.0))
        )
        out[i] = (scores[i] - mean) / (std + eps) if norm_by_std else scores[i] - mean
    return out


def verl_rloo(scores: torch.Tensor, index: list) -> torch.Tensor:
    out = scores.clone()
    for i, idx in enumerate(index):
        members = torch.stack([scores[j] for j, other in enumerate(index) if other == idx])
        n = members.numel()
        if n > 1:
            out[i] = scores[i] * n / (n - 1) - members.mean() * n / (n - 1)
    return out


def verl_gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float):
    """verl's GAE before whitening: tokens with mask 0 pass the next value and running advantage through."""
    next_value = torch.zeros(rewards.shape[0])
    last = torch.zeros(rewards.shape[0])
    reversed_adv = []
    for t in reversed(range(rewards.shape[1])):
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        candidate = delta + gamma * lam * last
        next_value = values[:, t] * mask[:, t] + (1 - mask[:, t]) * next_value
        last = candidate * mask[:, t] + (1 - mask[:, t]) * last
        reversed_adv.append(last)
    adv = torch.stack(reversed_adv[::-1], dim=1)
    return adv, adv + values


def verl_reinforce_pp(rewards: torch.Tensor, mask: torch.Tensor, gamma: float):
    returns = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[0])
    for t in reversed(range(rewards.shape[1])):
        running = rewards[:, t] + gamma * running
        returns[:, t] = running
        running = running * mask[:, t]  # reset after the end of the response
    return verl_masked_whiten(returns, mask) * mask, returns


def verl_reinforce_pp_baseline(scores: torch.Tensor, index: list, mask: torch.Tensor) -> torch.Tensor:
    centred = scores.clone()
    for i, idx in enumerate(index):
        members = torch.stack([scores[j] for j, other in enumerate(index) if other == idx])
        centred[i] = scores[i] - (members.mean() if members.numel() > 1 else 0.0)
    tiled = centred[:, None].expand_as(mask) * mask
    return verl_masked_whiten(tiled, mask) * mask


def verl_remax(token_rewards: torch.Tensor, baselines: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    returns = (token_rewards * mask).flip(dims=[-1]).cumsum(dim=-1).flip(dims=[-1])
    return returns - baselines[:, None] * mask


# ---------------------------------------------------------------- inputs


@st.composite
def generation_groups(draw):
    """Contiguous equal-size groups, as TRL lays them out: (rewards (n_prompts * G,), G)."""
    g = draw(st.integers(2, 8))
    prompts = draw(st.integers(1, 6))
    vals = draw(st.lists(st.integers(0, 8).map(lambda k: k / 8), min_size=g * prompts, max_size=g * prompts))
    return torch.tensor(vals), g


@st.composite
def right_padded(draw):
    b, t = draw(st.integers(1, 5)), draw(st.integers(2, 10))
    lengths = draw(st.lists(st.integers(1, t), min_size=b, max_size=b))
    mask = (torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]).double()
    vals = torch.tensor(draw(st.lists(st.floats(-1, 1), min_size=b * t, max_size=b * t))).view(b, t)
    return vals * mask, mask  # no reward on padding, as a trainer produces


def close(ours, theirs, **kw) -> None:
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), atol=kw.get("atol", 1e-9))


# ---------------------------------------------------------------- TRL


@FAST
@given(generation_groups(), st.sampled_from(["group", "batch", "none"]))
def test_grpo_matches_trl_sum_then_normalize(data, scale) -> None:
    rewards, g = data
    ids = np.repeat(np.arange(rewards.numel() // g), g)
    close(rc.grpo_advantages(rewards.numpy(), ids, scale=scale), trl_grpo(rewards, g, scale), atol=1e-7)


@FAST
@given(generation_groups())
def test_rloo_matches_trl(data) -> None:
    rewards, g = data
    ids = np.repeat(np.arange(rewards.numel() // g), g)
    close(rc.rloo_advantages(rewards.numpy(), ids), trl_rloo(rewards, g))


@FAST
@given(st.integers(2, 6), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000))
def test_normalize_then_sum_matches_trl_gdpo(g, prompts, k, seed) -> None:
    rng = np.random.default_rng(seed)
    per_func = rng.integers(0, 3, size=(g * prompts, k)) / 2.0
    per_func[rng.random(per_func.shape) < 0.15] = np.nan  # reward functions that returned None
    weights = rng.uniform(0.1, 2.0, size=k)
    ids = np.repeat(np.arange(prompts), g)
    ours = rc.normalize_then_sum(per_func, ids, weights, allow_missing=True)
    close(ours, trl_normalize_then_sum(torch.tensor(per_func), g, torch.tensor(weights)), atol=1e-6)


# ---------------------------------------------------------------- verl


@FAST
@given(generation_groups(), st.booleans())
def test_grpo_matches_verl(data, norm_by_std) -> None:
    rewards, g = data
    ids = np.repeat(np.arange(rewards.numel() // g), g)
    ours = rc.grpo_advantages(rewards.numpy(), ids, scale="group" if norm_by_std else "none", eps=1e-6)
    close(ours, verl_grpo(rewards, ids.tolist(), norm_by_std), atol=1e-7)


@FAST
@given(generation_groups())
def test_rloo_matches_verl(data) -> None:
    rewards, g = data
    ids = np.repeat(np.arange(rewards.numel() // g), g)
    close(rc.rloo_advantages(rewards.numpy(), ids), verl_rloo(rewards, ids.tolist()))


def test_group_of_one_is_where_rewardlab_and_verl_differ() -> None:
    # verl: mean 0, std 1 for a lone rollout, so its advantage is the raw reward (up to eps); rewardlab: 0
    close(verl_grpo(torch.tensor([0.7]), [0], True), torch.tensor([0.7 / (1 + 1e-6)]))
    assert rc.grpo_advantages([0.7], [0]).tolist() == [0.0]


@FAST
@given(right_padded(), st.floats(0.5, 1), st.floats(0.5, 1))
def test_gae_matches_verl_then_whitening_matches_too(data, gamma, lam) -> None:
    rewards, mask = data
    values = torch.cos(torch.arange(rewards.numel(), dtype=torch.float64)).view_as(rewards)
    adv, ret = rc.gae(rewards, values, None, gamma=gamma, lam=lam, mask=mask)
    v_adv, v_ret = verl_gae(rewards, values, mask, gamma, lam)
    m = mask.bool()
    close(adv[m], v_adv[m])
    close(ret[m], v_ret[m])
    if m.sum() > 1:  # verl then whitens over the mask: here it is one explicit extra call
        close(rc.masked_whiten(adv, mask)[m], verl_masked_whiten(v_adv, mask)[m], atol=1e-6)


@FAST
@given(right_padded(), st.floats(0, 1))
def test_reinforce_pp_matches_verl(data, gamma) -> None:
    rewards, mask = data
    if mask.sum() < 2:
        return
    adv, ret = rc.reinforce_pp_advantages(rewards, mask, gamma=gamma)
    v_adv, v_ret = verl_reinforce_pp(rewards, mask, gamma)
    m = mask.bool()
    close(ret[m], v_ret[m])
    close(adv, v_adv, atol=1e-6)


@FAST
@given(generation_groups(), st.integers(0, 1000))
def test_reinforce_pp_baseline_matches_verl(data, seed) -> None:
    rewards, g = data
    ids = np.repeat(np.arange(rewards.numel() // g), g)
    lengths = np.random.default_rng(seed).integers(1, 6, size=rewards.numel())
    mask = (torch.arange(6)[None, :] < torch.tensor(lengths)[:, None]).double()
    if mask.sum() < 2:
        return
    ours = rc.reinforce_pp_baseline_advantages(rewards.numpy(), ids, token_counts=lengths)
    theirs = verl_reinforce_pp_baseline(rewards, ids.tolist(), mask)
    close(torch.as_tensor(np.asarray(ours))[:, None].expand_as(mask) * mask, theirs, atol=1e-6)


@FAST
@given(right_padded())
def test_remax_matches_verl(data) -> None:
    rewards, mask = data
    baselines = rewards.sum(dim=1) * 0.5
    ours = rc.remax_advantages(rewards, baselines, mask=mask)
    close(ours, verl_remax(rewards, baselines, mask))


@pytest.mark.parametrize("n", [3, 16])
def test_masked_whiten_matches_verl(n) -> None:
    rng = np.random.default_rng(n)
    vals = torch.tensor(rng.normal(size=(4, n)))
    mask = torch.tensor(rng.random((4, n)) < 0.7).double()
    mask[0, 0] = mask[0, 1] = 1.0
    m = mask.bool()
    close(rc.masked_whiten(vals, mask)[m], verl_masked_whiten(vals, mask)[m], atol=1e-9)
