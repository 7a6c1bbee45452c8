"""LSH band shapes: (bands, rows) for a threshold, a signature length and a recall.

Pure Python and numpy (scipy's `quad` only for near ties), apart from the numba kernels of
`qbank.overlap.lsh`, which re-exports these: a check that only needs the band shape (the
stored-signature path) loads no numba.
"""

from __future__ import annotations

import functools
import math

import numpy as np


def lsh_params(threshold: float, num_perm: int, *, min_recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) with ``bands * rows <= num_perm`` and candidate probability >= min_recall
    at Jaccard == threshold (higher similarities are found with higher probability), minimising
    the false-positive area below the threshold, like datasketch's ``_optimal_param``."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    if not 0.0 < min_recall < 1.0:
        raise ValueError(f"min_recall must be in (0, 1), got {min_recall}")
    return _optimal_params(float(threshold), int(num_perm), float(min_recall))


@functools.lru_cache(maxsize=64)
def _optimal_params(threshold: float, num_perm: int, min_recall: float) -> tuple[int, int]:
    # At fixed rows both recall and the false-positive area grow with bands, so for each row
    # count only the fewest bands that reach the recall can be optimal.
    shapes = []
    for rows in range(1, num_perm + 1):
        bands = _min_bands(threshold, rows, min_recall, num_perm // rows)
        if bands is not None:
            shapes.append((bands, rows))
    if not shapes:
        raise ValueError(
            f"no banding of num_perm={num_perm} reaches recall {min_recall} at {threshold}"
        )
    # Gauss-Legendre areas are exact for these polynomials (no scipy import); when two shapes
    # come within what `quad` may be off by, `quad` decides, as it always did.
    areas = _exact_areas(threshold, shapes, num_perm)
    order = np.argsort(areas, kind="stable")
    if len(shapes) == 1 or areas[order[1]] - areas[order[0]] > _CLOSE_AREAS:
        return shapes[int(order[0])]
    best: tuple[int, int] = shapes[0]
    best_area = math.inf
    for bands, rows in shapes:
        area = _false_positive_area(threshold, bands, rows)
        if area < best_area:
            best, best_area = (bands, rows), area
    return best


_CLOSE_AREAS = 1e-7
"""Areas closer than this are compared with `quad` (its default tolerance is 1.49e-8)."""


def _exact_areas(threshold: float, shapes: list[tuple[int, int]], num_perm: int) -> np.ndarray:
    """False-positive area of each (bands, rows): the integrand 1 - (1 - s**rows)**bands is a
    polynomial of degree bands * rows <= num_perm, which Gauss-Legendre quadrature with
    num_perm // 2 + 1 nodes integrates exactly (up to rounding)."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    s = (nodes + 1.0) * (threshold / 2.0)
    w = weights * (threshold / 2.0)
    return np.array(
        [float(w @ (1.0 - (1.0 - s**rows) ** bands)) for bands, rows in shapes], dtype=np.float64
    )


def _recall(threshold: float, bands: int, rows: int) -> float:
    """Probability that a pair with Jaccard ``threshold`` shares at least one band."""
    p = threshold**rows
    if p >= 1.0:
        return 1.0
    return -math.expm1(bands * math.log1p(-p))


def _min_bands(threshold: float, rows: int, min_recall: float, max_bands: int) -> int | None:
    """Fewest bands of ``rows`` reaching min_recall at the threshold, if at most max_bands."""
    p = threshold**rows
    if p >= 1.0:
        return 1
    if p <= 0.0:
        return None
    estimate = math.log1p(-min_recall) / math.log1p(-p)
    if estimate > max_bands + 1:
        return None
    bands = max(1, math.ceil(estimate))
    while bands > 1 and _recall(threshold, bands - 1, rows) >= min_recall:
        bands -= 1
    while bands <= max_bands and _recall(threshold, bands, rows) < min_recall:
        bands += 1
    return bands if bands <= max_bands else None


def _false_positive_area(threshold: float, bands: int, rows: int) -> float:
    """Integral of the candidate probability over Jaccard in [0, threshold)."""
    from scipy.integrate import quad  # only when a banding is chosen: a costly import

    area, _err = quad(lambda s: 1.0 - (1.0 - s**rows) ** bands, 0.0, threshold)
    return float(area)


def _false_negative_area(threshold: float, bands: int, rows: int) -> float:
    """Integral of the miss probability over Jaccard in [threshold, 1]."""
    from scipy.integrate import quad

    area, _err = quad(lambda s: (1.0 - s**rows) ** bands, threshold, 1.0)
    return float(area)
