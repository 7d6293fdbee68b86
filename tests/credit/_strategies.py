"""Hypothesis strategies and settings shared by the credit tests."""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

FAST = settings(max_examples=30, deadline=None)

reward = st.floats(-10, 10, allow_nan=False, allow_infinity=False, allow_subnormal=False)
unit = st.floats(0, 1, allow_nan=False, allow_subnormal=False)
# a coarse grid makes exact ties (constant groups) common, the case float code gets wrong
grid_reward = st.integers(-4, 4).map(lambda k: k / 2)


@st.composite
def grouped(draw, values=reward, max_size=30, max_groups=5):
    """(rewards, group_ids) as float64 / int64 arrays of the same length >= 1."""
    n = draw(st.integers(1, max_size))
    rewards = draw(st.lists(st.one_of(values, grid_reward), min_size=n, max_size=n))
    ids = draw(st.lists(st.integers(0, max_groups - 1), min_size=n, max_size=n))
    return np.array(rewards, dtype=np.float64), np.array(ids, dtype=np.int64)


@st.composite
def padded(draw, max_rows=5, max_len=8, values=reward, with_dones=True):
    """(values, mask, dones) of shape (B, T); masks are arbitrary (holes allowed, rows may be empty)."""
    b = draw(st.integers(1, max_rows))
    t = draw(st.integers(1, max_len))
    vals = np.array(draw(st.lists(values, min_size=b * t, max_size=b * t))).reshape(b, t)
    mask = np.array(draw(st.lists(st.booleans(), min_size=b * t, max_size=b * t))).reshape(b, t)
    dones = np.zeros((b, t), dtype=bool)
    if with_dones:
        dones = np.array(draw(st.lists(st.booleans(), min_size=b * t, max_size=b * t))).reshape(b, t)
    return vals, mask, dones


@st.composite
def prefix_padded(draw, max_rows=6, max_len=6, values=reward, max_groups=3):
    """(values, mask, group_ids) where each row's real entries come first and there is at least one."""
    b = draw(st.integers(1, max_rows))
    t = draw(st.integers(1, max_len))
    lengths = np.array(draw(st.lists(st.integers(1, t), min_size=b, max_size=b)))
    vals = np.array(draw(st.lists(st.one_of(values, grid_reward), min_size=b * t, max_size=b * t))).reshape(
        b, t
    )
    mask = np.arange(t)[None, :] < lengths[:, None]
    ids = np.array(draw(st.lists(st.integers(0, max_groups - 1), min_size=b, max_size=b)))
    return vals, mask, ids
