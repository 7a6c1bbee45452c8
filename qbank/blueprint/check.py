"""A blueprint checked against itself: contradictions no bank can satisfy."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

from qbank.blueprint.model import (
    ITEM_TYPES,
    Blueprint,
    DifficultyBand,
    Section,
    WeightRule,
    band_text,
    parent_range,
    type_name,
)
from qbank.i18n import tr
from qbank.text.numbers import format_number, format_percent

_EPS = 1e-9


def _reachable_scores(sections: Sequence[Section]) -> set[Fraction] | None:
    """Every score a subset of the paper's items can add up to; None when too many to list."""
    sums = {Fraction(0)}
    for section in sections:
        step = Fraction(section.score).limit_denominator(1000)
        sums = {s + k * step for s in sums for k in range(section.count + 1)}
        if len(sums) > 20_000:
            return None
    return sums


def check_blueprint(bp: Blueprint) -> list[str]:
    """Everything in `bp` that contradicts itself, as user messages; [] when consistent.

    Only certain contradictions are reported: an empty list does not promise a solvable paper,
    but every message names something no bank can satisfy.
    """
    out: list[str] = []
    if bp.duration_minutes <= 0:
        out.append(tr("blueprint.bad_duration", minutes=bp.duration_minutes))
    if not bp.sections:
        out.append(tr("blueprint.no_sections"))
    seen: dict[str, int] = {}
    for section in bp.sections:
        seen[section.type] = seen.get(section.type, 0) + 1
        if section.type not in ITEM_TYPES:
            out.append(tr("blueprint.unknown_type", type=section.type))
        if section.count <= 0 or section.score <= 0:
            out.append(
                tr(
                    "blueprint.bad_section",
                    title=section.title,
                    count=section.count,
                    score=format_number(section.score),
                )
            )
    for item_type, count in seen.items():
        if count > 1:
            out.append(tr("blueprint.duplicate_section", type=type_name(item_type), count=count))
    summed = sum(s.count * s.score for s in bp.sections)
    if bp.sections and not math.isclose(summed, bp.total_score, abs_tol=1e-6):
        detail = " + ".join(f"{s.title} {s.count}×{format_number(s.score)}" for s in bp.sections)
        out.append(
            tr(
                "blueprint.total_mismatch",
                sum=format_number(summed),
                detail=detail,
                total=format_number(bp.total_score),
            )
        )
    if not 0 < bp.pass_score <= bp.total_score:
        out.append(
            tr(
                "blueprint.bad_pass",
                pass_score=format_number(bp.pass_score),
                total=format_number(bp.total_score),
            )
        )
    out += _check_weights(bp)
    out += _check_difficulty(bp)
    if bp.max_per_point is not None and bp.max_per_point < 1:
        out.append(tr("blueprint.bad_max_per_point", value=bp.max_per_point))
    if not 0 <= bp.min_x_share <= 1:
        out.append(tr("blueprint.bad_x_share", value=format_percent(bp.min_x_share)))
    if (bp.max_exposure is not None and bp.max_exposure < 1) or bp.exposure_window_days < 1:
        out.append(
            tr("blueprint.bad_exposure", value=bp.max_exposure, days=bp.exposure_window_days)
        )
    return out


def _check_weights(bp: Blueprint) -> list[str]:
    out: list[str] = []
    rules: dict[str, WeightRule] = {}
    valid = bp.sections and all(s.count > 0 and s.score > 0 for s in bp.sections)
    reachable = _reachable_scores(bp.sections) if valid else None
    for rule in bp.weights:
        low, high = rule.share - rule.tolerance, rule.share + rule.tolerance
        if not 0 <= rule.share <= 1 or rule.tolerance < 0:
            out.append(
                tr(
                    "blueprint.bad_share",
                    range=rule.range,
                    share=format_percent(rule.share),
                    tolerance=format_percent(rule.tolerance),
                )
            )
            continue
        if rule.range in rules:
            out.append(tr("blueprint.duplicate_weight", range=rule.range))
            continue
        rules[rule.range] = rule
        if reachable is not None:
            lo, hi = max(low, 0) * bp.total_score, min(high, 1) * bp.total_score
            if not any(lo - 1e-6 <= s <= hi + 1e-6 for s in reachable):
                out.append(
                    tr(
                        "blueprint.weight_unreachable",
                        range=rule.range,
                        low=format_number(lo),
                        high=format_number(hi),
                    )
                )
    siblings: dict[str | None, list[WeightRule]] = {}
    for rule in rules.values():
        siblings.setdefault(parent_range(rule.range), []).append(rule)
    for parent, group in siblings.items():
        least = sum(max(r.share - r.tolerance, 0) for r in group)
        if parent is None:
            limit, key, params = 1.0, "blueprint.weights_over_paper", {}
        elif parent in rules:
            p = rules[parent]
            limit, key, params = (
                p.share + p.tolerance,
                "blueprint.weights_over_range",
                {"parent": parent},
            )
        else:
            continue
        if least > limit + _EPS:
            out.append(
                tr(
                    key,
                    ranges="、".join(r.range for r in group),
                    sum=format_percent(least),
                    limit=format_percent(limit),
                    **params,
                )
            )
    return out


def _check_difficulty(bp: Blueprint) -> list[str]:
    out: list[str] = []
    mean, tol = bp.difficulty_mean, bp.difficulty_tolerance
    if mean is not None and (not 0 <= mean <= 1 or tol < 0):
        out.append(
            tr("blueprint.bad_difficulty", mean=format_number(mean), tolerance=format_number(tol))
        )
    items = bp.item_count
    good: list[DifficultyBand] = []
    for band in bp.difficulty_bands:
        if not (0 <= band.low < band.high <= 1 and 0 <= band.min_count <= band.max_count):
            out.append(
                tr(
                    "blueprint.bad_band",
                    band=band_text(band),
                    min=band.min_count,
                    max=band.max_count,
                )
            )
            continue
        good.append(band)
    ordered = sorted(good, key=lambda b: (b.low, b.high))
    overlap = False
    for a, b in itertools.pairwise(ordered):
        if b.low < a.high:
            overlap = True
            out.append(tr("blueprint.bands_overlap", a=band_text(a), b=band_text(b)))
    if overlap or not good:
        return out
    least = sum(b.min_count for b in good)
    if least > items:
        out.append(tr("blueprint.bands_min_over", sum=least, items=items))
    edges = [(b.low, b.high) for b in ordered]
    covered = edges[0][0] == 0 and edges[-1][1] >= 1
    covered = covered and all(x[1] == y[0] for x, y in itertools.pairwise(edges))
    most = sum(b.max_count for b in good)
    if covered and most < items:
        out.append(tr("blueprint.bands_max_under", sum=most, items=items))
    return out
