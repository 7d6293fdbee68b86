"""Plain-Python reference implementations of every credit estimator, written from the definitions.

Deliberately naive: lists, dicts and loops, no NumPy in the arithmetic, and where possible a different
formulation from the vectorised code (e.g. GAE as a forward sum of TD errors rather than a backward
recursion). The tests compare rewardlab against these; ``bench/credit.py`` times them.
"""

from __future__ import annotations

import math
from collections import defaultdict


def _groups(group_ids):
    members = defaultdict(list)
    for i, g in enumerate(group_ids):
        members[g].append(i)
    return members


def _std(xs, ddof=1):
    n = len(xs)
    if n <= ddof:
        return 0.0
    m = sum(xs) / n
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (n - ddof))


def grpo_loop(rewards, group_ids, scale="group", eps=1e-4):
    members = _groups(group_ids)
    batch_std = _std(list(rewards))
    out = []
    for i, g in enumerate(group_ids):
        vals = [rewards[j] for j in members[g]]
        if len(set(vals)) == 1:
            out.append(0.0)
            continue
        centred = rewards[i] - sum(vals) / len(vals)
        if scale == "none":
            out.append(centred)
        elif scale == "group":
            out.append(centred / (_std(vals) + eps))
        else:
            out.append(centred / (batch_std + eps))
    return out


def rloo_loop(rewards, group_ids):
    members = _groups(group_ids)
    out = []
    for i, g in enumerate(group_ids):
        others = [rewards[j] for j in members[g] if j != i]
        out.append(rewards[i] - sum(others) / len(others) if others else 0.0)
    return out


def _episode_successors(row_dones, row_mask, t):
    """Indices of the unmasked columns after t in t's episode, in order; and whether it hit the row end."""
    out = []
    if row_dones[t]:
        return out, False
    k = t + 1
    while k < len(row_mask):
        if row_mask[k]:
            out.append(k)
        if row_dones[k]:
            return out, False
        k += 1
    return out, True


def gae_loop(rewards, values, dones, mask, bootstrap, gamma, lam):
    """GAE as a forward sum: A_t = sum_l (gamma*lam)^l * delta_{t_l} over t's unmasked successors."""
    adv_rows = []
    for b in range(len(rewards)):
        r, v, d, m = rewards[b], values[b], dones[b], mask[b]
        row = []
        for t in range(len(r)):
            if not m[t]:
                row.append(0.0)
                continue
            chain = [t]
            succ, open_end = _episode_successors(d, m, t)
            chain += succ
            total = 0.0
            for pos, k in enumerate(chain):
                # after the chain's last step: bootstrap if the row was cut off, 0 after a done
                v_next = v[chain[pos + 1]] if pos + 1 < len(chain) else (bootstrap[b] if open_end else 0.0)
                delta = r[k] + gamma * v_next - v[k]
                total += (gamma * lam) ** pos * delta
            row.append(total)
        adv_rows.append(row)
    return adv_rows


def returns_loop(rewards, dones, mask, gamma):
    out = []
    for b in range(len(rewards)):
        row = []
        for t in range(len(rewards[b])):
            if not mask[b][t]:
                row.append(0.0)
                continue
            succ, _ = _episode_successors(dones[b], mask[b], t)
            row.append(sum(gamma**i * rewards[b][k] for i, k in enumerate([t, *succ])))
        out.append(row)
    return out


def whiten_loop(values, mask, eps=1e-8):
    flat = [x for row, mrow in zip(values, mask, strict=True) for x, m in zip(row, mrow, strict=True) if m]
    n = len(flat)
    mean = sum(flat) / n
    var = sum((x - mean) ** 2 for x in flat) / (n - 1) if n > 1 else 0.0
    return [
        [(x - mean) / math.sqrt(var + eps) if m else 0.0 for x, m in zip(row, mrow, strict=True)]
        for row, mrow in zip(values, mask, strict=True)
    ]


def rank_loop(values, group_ids):
    members = _groups(group_ids)
    out = []
    for i, g in enumerate(group_ids):
        vals = [values[j] for j in members[g]]
        n = len(vals)
        if n == 1:
            out.append(0.0)
            continue
        below = sum(1 for x in vals if x < values[i])
        ties = sum(1 for x in vals if x == values[i])
        rank = below + (ties - 1) / 2  # average 0-based rank of the tied block
        out.append((rank - (n - 1) / 2) / ((n - 1) / 2))
    return out


def normalize_then_sum_loop(rewards, group_ids, weights, eps=1e-4):
    members = _groups(group_ids)
    n, k = len(rewards), len(weights)
    total = [0.0] * n
    for j in range(k):
        for i, g in enumerate(group_ids):
            if math.isnan(rewards[i][j]):
                continue
            vals = [rewards[m][j] for m in members[g] if not math.isnan(rewards[m][j])]
            mean = sum(vals) / len(vals)
            total[i] += weights[j] * (rewards[i][j] - mean) / (_std(vals) + eps)
    mean = sum(total) / n
    std = _std(total)
    return [(x - mean) / (std + eps) for x in total]


def delta_loop(steps):
    return [steps[k] - steps[k + 1] if k + 1 < len(steps) else steps[k] for k in range(len(steps))]


def clip_loop(steps, eta):
    return [min(x - eta, 0.0) for x in steps]


def min_form_loop(steps):
    return [min(steps[k:]) for k in range(len(steps))]


def implicit_loop(logprobs, ref_logprobs, step_ids, beta):
    n_steps = max(max(row) for row in step_ids) + 1
    out = [[0.0] * n_steps for _ in step_ids]
    for b, row in enumerate(step_ids):
        for t, s in enumerate(row):
            if s >= 0:
                out[b][s] += beta * (logprobs[b][t] - ref_logprobs[b][t])
    return out


def process_outcome_loop(step_rewards, step_mask, outcomes, group_ids, wp, wo, gamma):
    """PRIME-style mixing with the leave-one-out baseline, from the definition."""
    members = _groups(group_ids)
    means = []
    for row, mrow in zip(step_rewards, step_mask, strict=True):
        real = [x for x, m in zip(row, mrow, strict=True) if m]
        means.append(sum(real) / len(real))
    out = []
    for i, g in enumerate(group_ids):
        others = [j for j in members[g] if j != i]
        if not others:
            out.append([0.0] * len(step_rewards[i]))
            continue
        b = sum(means[j] for j in others) / len(others)
        o = outcomes[i] - sum(outcomes[j] for j in others) / len(others)
        real = [s for s in range(len(step_rewards[i])) if step_mask[i][s]]
        row = [0.0] * len(step_rewards[i])
        for pos, s in enumerate(real):
            ret = sum(gamma**q * (step_rewards[i][s2] - b) for q, s2 in enumerate(real[pos:]))
            row[s] = wp * ret + wo * o
        out.append(row)
    return out


def turn_advantages_loop(turn_rewards, turn_mask, group_ids, gamma, norm, accumulate, eps=1e-6):
    keyed = defaultdict(list)
    for b, row in enumerate(turn_rewards):
        for t, x in enumerate(row):
            if turn_mask[b][t]:
                keyed[(group_ids[b],) if norm == "joint" else (group_ids[b], t)].append(x)
    out = []
    for b, row in enumerate(turn_rewards):
        z = []
        for t, x in enumerate(row):
            if not turn_mask[b][t]:
                continue
            vals = keyed[(group_ids[b],) if norm == "joint" else (group_ids[b], t)]
            if len(set(vals)) == 1:
                z.append(0.0)
            else:
                z.append((x - sum(vals) / len(vals)) / (_std(vals, ddof=0) + eps))
        adv = []
        for t in range(len(z)):
            s = sum(gamma ** (k - t) * z[k] for k in range(t, len(z)))
            adv.append(s / math.sqrt(len(z) - t) if accumulate == "sqrt" else s)
        out.append(adv + [0.0] * (len(row) - len(z)))
    return out


def pareto_loop(points, group_ids):
    members = _groups(group_ids)
    keep = []
    for i, p in enumerate(points):
        dominated = False
        for j in members[group_ids[i]]:
            q = points[j]
            if (
                j != i
                and all(a >= b for a, b in zip(q, p, strict=True))
                and any(a > b for a, b in zip(q, p, strict=True))
            ):
                dominated = True
                break
        keep.append(not dominated)
    return keep


def turning_points_loop(values):
    r = [values[t + 1] - values[t] for t in range(len(values) - 1)]
    overall = values[-1] - values[0]

    def sign(x):
        return (x > 0) - (x < 0)

    flags, rewards = [], []
    for t in range(len(r)):
        tp = t >= 1 and sign(r[t]) != 0 and sign(r[t]) == -sign(r[t - 1]) and sign(r[t]) == sign(overall)
        flags.append(tp)
        rewards.append(values[-1] - values[t] if tp else r[t])
    return flags, rewards
