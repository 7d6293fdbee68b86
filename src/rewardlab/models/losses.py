"""Reward-model losses as plain tensor functions; shapes in every docstring. torch is passed in by the
caller's tensors (this module imports it lazily), so the formulas can be read and tested on their own."""

from __future__ import annotations

from typing import Any

from rewardlab.models._deps import torch


def bradley_terry_loss(
    chosen: Any,
    rejected: Any,
    margin: Any | None = None,
    *,
    center_coef: float | None = None,
    weight: Any | None = None,
) -> Any:
    """``mean_i -log sigmoid(r+_i - r-_i - m_i)`` (+ ``coef * mean_i (r+_i + r-_i)^2`` when ``center_coef``).

    ``chosen``, ``rejected``: ``(B,)`` rewards of the preferred and the other response of each pair;
    ``margin``: ``(B,)`` or None (0): how far ahead the preferred response must be before the loss stops
    pushing (Llama 2's margin loss). The centring term (Eisenstein et al. 2023; TRL's
    ``center_rewards_coefficient``) pulls each pair's rewards towards a zero mean so scores stay
    comparable across prompts. ``weight``: ``(B,)`` or None (1): a per-pair weight applied to both terms,
    ``mean_i w_i * (loss_i)``, divided by ``B`` and not by ``sum_i w_i`` (a bootstrap weight of 0 removes a
    pair, a Poisson(1) weight has mean 1, and a batch whose weights are all 0 gives 0, not 0/0). Returns a
    scalar tensor.
    """
    t = torch()
    diff = chosen - rejected
    if margin is not None:
        diff = diff - margin
    per = -t.nn.functional.logsigmoid(diff)
    if center_coef:
        per = per + center_coef * (chosen + rejected) ** 2
    if weight is not None:
        per = per * weight
    return per.mean()


def listwise_loss(
    rewards: Any, mask: Any | None = None, *, center_coef: float | None = None, weight: Any | None = None
) -> Any:
    """Softmax cross-entropy over each row's jointly scored responses, the first one being the target
    (YOJO-style listwise training): ``mean_i -log softmax(r_i)[0]``
    (+ ``coef * mean_i (sum_k r_ik)^2`` when ``center_coef``).

    ``rewards``: ``(B, K)``, column 0 the preferred response; ``mask``: ``(B, K)`` bool, False on padding
    (rows with fewer responses), or None; ``weight``: ``(B,)`` per-row weights or None, applied as in
    :func:`bradley_terry_loss` (``mean_i w_i * loss_i``). With ``K = 2`` and no margin this equals
    :func:`bradley_terry_loss` (``-log softmax([a, b])[0] = -log sigmoid(a - b)``). Returns a scalar tensor.
    """
    t = torch()
    logits = rewards if mask is None else rewards.masked_fill(~mask, float("-inf"))
    per = -t.log_softmax(logits, dim=-1)[:, 0]
    if center_coef:
        kept = rewards if mask is None else rewards.masked_fill(~mask, 0.0)
        per = per + center_coef * kept.sum(dim=-1) ** 2
    if weight is not None:
        per = per * weight
    return per.mean()


def masked_mse_loss(pred: Any, target: Any, mask: Any) -> Any:
    """Mean squared error over the observed entries only: ``sum_ia m_ia (p_ia - y_ia)^2 / sum_ia m_ia``.

    ``pred``, ``target``: ``(B, A)`` (one column per attribute; ``target`` may hold anything, e.g. NaN,
    where ``mask`` is False); ``mask``: ``(B, A)`` bool, True where the attribute was rated. Every rated
    value counts once (an attribute rated more often weighs more). Returns a scalar tensor (0 with grad
    when nothing is rated).
    """
    t = torch()
    diff = t.where(mask, pred - t.nan_to_num(target, nan=0.0), t.zeros_like(pred))
    return (diff**2).sum() / mask.sum().clamp(min=1)


def step_cross_entropy(logits: Any, labels: Any) -> Any:
    """Cross-entropy of a token-classification PRM at its labelled positions only.

    ``logits``: ``(B, L, C)``; ``labels``: ``(B, L)`` with the class of each step at its separator token
    and ``-100`` everywhere else (prompt, step text, padding, masked steps). Mean over labelled tokens.
    """
    t = torch()
    return t.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=-100
    )


def implicit_prm_loss(
    logprobs: Any, ref_logprobs: Any, mask: Any, correct: Any, *, beta: float
) -> tuple[Any, Any]:
    """Implicit PRM outcome loss (Free Process Rewards, arXiv 2412.01981; PRIME):
    ``BCE(sigmoid(beta * sum_t mask_t (log pi_t - log pi_ref_t)), correct)``.

    ``logprobs``, ``ref_logprobs``, ``mask``: ``(B, T)`` log-probs of the response tokens under the model
    and the frozen reference (0 when there is none), ``mask`` 1 on response tokens; ``correct``: ``(B,)``
    outcome labels in {0, 1}. Returns ``(loss, outcome logits (B,))``.
    """
    t = torch()
    z = beta * ((logprobs - ref_logprobs) * mask).sum(dim=-1)
    return t.nn.functional.binary_cross_entropy_with_logits(z, correct.float()), z
