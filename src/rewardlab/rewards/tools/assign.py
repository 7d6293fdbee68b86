"""Pairing predicted tool calls with gold calls: a perfect matching of valid pairs (Kuhn's augmenting
paths) for the exact verdict, and a maximum-credit assignment (the Hungarian algorithm) for partial
credit. Pure functions on small matrices; a naive permutation search checks them in the tests.
"""

from __future__ import annotations

__all__ = ["max_assignment", "perfect_matching"]


def perfect_matching(valid: list[list[bool]]) -> dict[int, int] | None:
    """Kuhn's augmenting paths: gold -> call for a perfect matching of valid pairs, or None."""
    n_calls = len(valid[0]) if valid else 0
    owner: dict[int, int] = {}

    def augment(g: int, seen: set[int]) -> bool:
        for c in range(n_calls):
            if valid[g][c] and c not in seen:
                seen.add(c)
                if c not in owner or augment(owner[c], seen):
                    owner[c] = g
                    return True
        return False

    for g in range(len(valid)):
        if not augment(g, set()):
            return None
    return {g: c for c, g in owner.items()}


def max_assignment(weights: list[list[float]]) -> list[tuple[int, int]]:
    """Maximum-weight assignment of rows to columns (Hungarian algorithm, O(n^3)); weights >= 0."""
    n_rows = len(weights)
    n_cols = len(weights[0]) if weights else 0
    n = max(n_rows, n_cols)
    if n == 0:
        return []
    top = max((w for row in weights for w in row), default=0.0)
    cost = [[top - (weights[i][j] if i < n_rows and j < n_cols else 0.0) for j in range(n)] for i in range(n)]
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (n + 1)
    p = [0] * (n + 1)
    way = [0] * (n + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, n + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(n + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return [(p[j] - 1, j - 1) for j in range(1, n + 1) if p[j] and p[j] - 1 < n_rows and j - 1 < n_cols]
