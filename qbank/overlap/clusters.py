"""Duplicate clusters and the repetition rate of a scope.

Near-duplicate pairs are edges; a cluster is a connected component, so A~B and B~C put A, B, C
in one cluster even when A and C are below the threshold (the reviewer keeps one item per
cluster). The rate counts every item beyond the first of each cluster.
"""

from __future__ import annotations

import numpy as np


def clusters(n: int, i: np.ndarray, j: np.ndarray) -> list[list[int]]:
    """Connected components of size >= 2 among ``n`` items joined by pairs ``(i[k], j[k])``.

    Each cluster is sorted ascending; clusters are sorted by their first member.
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    if i.shape != j.shape or i.ndim != 1:
        raise ValueError("i and j must be 1-d arrays of equal length")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if i.size and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n):
        raise ValueError(f"pair indices outside [0, {n})")
    if n == 0 or i.size == 0:
        return []
    # Union-find over the items that appear in a pair (ascending), roots the smallest member.
    nodes, inverse = np.unique(np.concatenate([i, j]), return_inverse=True)
    parent = list(range(len(nodes)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(inverse[: i.size].tolist(), inverse[i.size :].tolist(), strict=True):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    groups: dict[int, list[int]] = {}
    for k, item in enumerate(nodes.tolist()):  # ascending, so each cluster is sorted
        groups.setdefault(find(k), []).append(item)
    found = [cluster for cluster in groups.values() if len(cluster) >= 2]
    found.sort(key=lambda cluster: cluster[0])
    return found


def repetition(n: int, clusters: list[list[int]]) -> tuple[int, int]:
    """(numerator, denominator) of the repetition rate: items beyond the first of each cluster,
    over all ``n`` items of the scope."""
    numerator = sum(len(cluster) - 1 for cluster in clusters)
    if numerator > n:
        raise ValueError(f"clusters hold more items than the scope's {n}")
    return numerator, n
