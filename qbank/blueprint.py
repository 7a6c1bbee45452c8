"""Paper blueprints (组卷方案): what a paper must contain, as plain values.

The dataclasses are the contract between the loader, the solver and the validator. A
blueprint is read from TOML (docs/blueprint-format.md), checked against itself, and checked
against the bank's supply before the solver runs, so that shortages are told in the user's
terms instead of as an opaque infeasible model.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from qbank.assembly.candidates import Candidate, ranges_of
from qbank.errors import InvalidInput
from qbank.i18n import tr
from qbank.settings_file import read_settings_text
from qbank.text.normalize import canonical_knowledge_code, parse_item_type


@dataclass(frozen=True)
class Section:
    """One section of the paper, in paper order: `count` items of `type` at `score` each."""

    type: str  # "judgement" | "single" | "multiple"
    count: int
    score: float
    title: str


@dataclass(frozen=True)
class WeightRule:
    """Share of the paper's score drawn from items under range `range` (e.g. "B-A")."""

    range: str
    share: float
    tolerance: float


@dataclass(frozen=True)
class DifficultyBand:
    """Between `min_count` and `max_count` items with low <= difficulty < high (1 included)."""

    low: float
    high: float
    min_count: int
    max_count: int


@dataclass(frozen=True)
class Blueprint:
    name: str
    title: str
    duration_minutes: int
    total_score: float
    pass_score: float
    sections: tuple[Section, ...]
    weights: tuple[WeightRule, ...] = ()
    difficulty_mean: float | None = None
    difficulty_tolerance: float = 0.1
    difficulty_bands: tuple[DifficultyBand, ...] = ()
    max_per_point: int | None = None
    min_x_share: float = 0.0
    same_point_enemies: bool = False
    max_exposure: int | None = None
    exposure_window_days: int = 365

    @property
    def item_count(self) -> int:
        return sum(s.count for s in self.sections)

    def section_of(self, item_type: str) -> Section | None:
        return next((s for s in self.sections if s.type == item_type), None)


ITEM_TYPES = ("judgement", "single", "multiple")
DEFAULT_TITLES = {"judgement": "判断题", "single": "单项选择题", "multiple": "多项选择题"}
UNKNOWN_DIFFICULTY = 0.5  # what an item without a difficulty counts as, in the mean and the bands
_EPS = 1e-9


def effective_difficulty(candidate: Candidate) -> float:
    """The difficulty the mean and the bands use: the item's own, or 0.5 when it has none."""
    return UNKNOWN_DIFFICULTY if candidate.difficulty is None else candidate.difficulty


def band_contains(band: DifficultyBand, difficulty: float) -> bool:
    """low <= difficulty < high; a band ending at 1 also holds difficulty 1."""
    return band.low <= difficulty < band.high or (band.high >= 1 and difficulty == 1)


def per_point_cap(bp: Blueprint) -> int | None:
    """Most items of one 鉴定点 in one paper: `max_per_point`, or 1 with same-point enemies."""
    caps = [c for c in (bp.max_per_point, 1 if bp.same_point_enemies else None) if c is not None]
    return min(caps) if caps else None


# --- loading ---------------------------------------------------------------------------------

_TOP_KEYS = ("paper", "sections", "weights", "difficulty", "rules", "exposure")
_PAPER_KEYS = ("name", "title", "duration_minutes", "total_score", "pass_score")
_SECTION_KEYS = ("type", "count", "score", "title")
_DIFFICULTY_KEYS = ("mean", "tolerance", "bands")
_BAND_KEYS = ("low", "high", "min", "max")
_RULE_KEYS = ("max_per_point", "min_x_share", "same_point_enemies")
_EXPOSURE_KEYS = ("max_uses", "window_days")
_WEIGHT_KEYS = ("share", "tolerance")
_DEFAULT_WEIGHT_TOLERANCE = 0.05


class _Reader:
    """Typed access to the parsed TOML that raises InvalidInput naming the file and the key."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, value: object, expected: str) -> InvalidInput:
        return InvalidInput(
            "blueprint.bad_value",
            file=self.file,
            entry=key,
            value=value,
            expected=tr(f"blueprint.expect.{expected}"),
        )

    def check_keys(self, value: object, key: str, allowed: Sequence[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, value, "table")
        for name in value:
            if name not in allowed:
                raise InvalidInput(
                    "blueprint.unknown_key",
                    file=self.file,
                    entry=f"{key}.{name}" if key else name,
                    allowed="、".join(allowed),
                )
        return value

    def required(self, data: dict[str, Any], key: str, name: str, expected: str) -> object:
        if name not in data:
            raise InvalidInput(
                "blueprint.missing",
                file=self.file,
                entry=f"{key}.{name}",
                expected=tr(f"blueprint.expect.{expected}"),
            )
        return data[name]

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, value, "text")
        return value.strip()

    def integer(self, value: object, key: str, *, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, value, "positive_int" if minimum > 0 else "count")
        return value

    def number(self, value: object, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, value, "positive_number")
        if not math.isfinite(value) or value <= 0:
            raise self.fail(key, value, "positive_number")
        return float(value)

    def fraction(self, value: object, key: str, expected: str = "share") -> float:
        """0.25, 25% (a string) → 0.25; anything outside 0..1 is refused."""
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str) and value.strip().endswith(("%", "％")):
            try:
                number = float(value.strip()[:-1]) / 100
            except ValueError:
                number = None
        if number is None or not 0 <= number <= 1:
            raise self.fail(key, value, expected)
        return number

    def boolean(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, value, "bool")
        return value

    def array(self, value: object, key: str) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, value, "table_array")
        return value


def load_blueprint(path: str | Path) -> Blueprint:
    """Read a blueprint TOML file (format: docs/blueprint-format.md).

    Raises InvalidInput naming the file, the key and what was expected for the first malformed
    value; relations between values (counts × scores = total, …) are check_blueprint's job, so
    a blueprint that loads can still be shown to the user with all its inconsistencies.
    """
    path = Path(path)
    try:
        data = tomllib.loads(read_settings_text(path))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InvalidInput("blueprint.unreadable", file=path.name, reason=str(e)) from None
    r = _Reader(path.name)
    r.check_keys(data, "", _TOP_KEYS)

    paper = r.check_keys(data.get("paper", {}), "paper", _PAPER_KEYS)
    name = r.text(paper.get("name", path.stem), "paper.name")
    title = r.text(r.required(paper, "paper", "title", "text"), "paper.title")
    duration = r.integer(
        r.required(paper, "paper", "duration_minutes", "positive_int"),
        "paper.duration_minutes",
        minimum=1,
    )
    total = r.number(
        r.required(paper, "paper", "total_score", "positive_number"), "paper.total_score"
    )
    pass_score = r.number(
        r.required(paper, "paper", "pass_score", "positive_number"), "paper.pass_score"
    )

    if "sections" not in data:
        raise InvalidInput(
            "blueprint.missing",
            file=path.name,
            entry="sections",
            expected=tr("blueprint.expect.table_array"),
        )
    sections = []
    for n, raw in enumerate(r.array(data["sections"], "sections"), start=1):
        key = f"sections[{n}]"
        r.check_keys(raw, key, _SECTION_KEYS)
        type_value = r.required(raw, key, "type", "item_type")
        item_type = parse_item_type(type_value)
        if item_type is None:
            raise r.fail(f"{key}.type", type_value, "item_type")
        count = r.integer(r.required(raw, key, "count", "positive_int"), f"{key}.count", minimum=1)
        score = r.number(r.required(raw, key, "score", "positive_number"), f"{key}.score")
        section_title = r.text(raw.get("title", DEFAULT_TITLES[item_type.value]), f"{key}.title")
        sections.append(Section(item_type.value, count, score, section_title))

    weights = _load_weights(r, data.get("weights", {}))

    difficulty = r.check_keys(data.get("difficulty", {}), "difficulty", _DIFFICULTY_KEYS)
    mean = difficulty.get("mean")
    mean = None if mean is None else r.fraction(mean, "difficulty.mean", "difficulty")
    tolerance = r.fraction(difficulty.get("tolerance", 0.1), "difficulty.tolerance", "difficulty")
    bands = []
    for n, raw in enumerate(r.array(difficulty.get("bands", []), "difficulty.bands"), start=1):
        key = f"difficulty.bands[{n}]"
        r.check_keys(raw, key, _BAND_KEYS)
        low = r.fraction(r.required(raw, key, "low", "difficulty"), f"{key}.low", "difficulty")
        high = r.fraction(r.required(raw, key, "high", "difficulty"), f"{key}.high", "difficulty")
        least = r.integer(raw.get("min", 0), f"{key}.min", minimum=0)
        most = r.integer(r.required(raw, key, "max", "count"), f"{key}.max", minimum=0)
        bands.append(DifficultyBand(low, high, least, most))

    rules = r.check_keys(data.get("rules", {}), "rules", _RULE_KEYS)
    max_per_point = rules.get("max_per_point")
    if max_per_point is not None:
        max_per_point = r.integer(max_per_point, "rules.max_per_point", minimum=1)
    min_x_share = r.fraction(rules.get("min_x_share", 0.0), "rules.min_x_share")
    enemies = r.boolean(rules.get("same_point_enemies", False), "rules.same_point_enemies")

    exposure = r.check_keys(data.get("exposure", {}), "exposure", _EXPOSURE_KEYS)
    max_uses = exposure.get("max_uses")
    if max_uses is not None:
        max_uses = r.integer(max_uses, "exposure.max_uses", minimum=1)
    window = r.integer(exposure.get("window_days", 365), "exposure.window_days", minimum=1)

    return Blueprint(
        name=name,
        title=title,
        duration_minutes=duration,
        total_score=total,
        pass_score=pass_score,
        sections=tuple(sections),
        weights=weights,
        difficulty_mean=mean,
        difficulty_tolerance=tolerance,
        difficulty_bands=tuple(bands),
        max_per_point=max_per_point,
        min_x_share=min_x_share,
        same_point_enemies=enemies,
        max_exposure=max_uses,
        exposure_window_days=window,
    )


def _load_weights(r: _Reader, raw: object) -> tuple[WeightRule, ...]:
    """`[weights]`: `tolerance` (default ±) and `RANGE = share` or `RANGE = {share, tolerance}`."""
    if not isinstance(raw, dict):
        raise r.fail("weights", raw, "table")
    default = r.fraction(raw.get("tolerance", _DEFAULT_WEIGHT_TOLERANCE), "weights.tolerance")
    rules: dict[str, WeightRule] = {}
    for name, value in raw.items():
        if name == "tolerance":
            continue
        key = f"weights.{name}"
        code = canonical_knowledge_code(name)
        if code is None or ranges_of(code)[-1] != code:
            raise InvalidInput(
                "blueprint.unknown_key",
                file=r.file,
                entry=key,
                allowed=tr("blueprint.expect.range"),
            )
        if code in rules:
            raise InvalidInput("blueprint.duplicate_key", file=r.file, entry=key, code=code)
        if isinstance(value, dict):
            r.check_keys(value, key, _WEIGHT_KEYS)
            share = r.fraction(r.required(value, key, "share", "share"), f"{key}.share")
            tolerance = r.fraction(value.get("tolerance", default), f"{key}.tolerance")
        else:
            share, tolerance = r.fraction(value, key), default
        rules[code] = WeightRule(code, share, tolerance)
    return tuple(rules.values())


# --- checking the blueprint against itself ------------------------------------------------------


def _pct(value: float) -> str:
    return f"{round(value * 100, 4):g}%"


def _num(value: float) -> str:
    return f"{round(value, 4):g}"


def _band_text(band: DifficultyBand) -> str:
    return f"[{_num(band.low)}, {_num(band.high)}{']' if band.high >= 1 else ')'}"


def _parent(code: str) -> str | None:
    return code.rsplit("-", 1)[0] if "-" in code else None


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
                    score=_num(section.score),
                )
            )
    for item_type, count in seen.items():
        if count > 1:
            out.append(tr("blueprint.duplicate_section", type=_type_name(item_type), count=count))
    summed = sum(s.count * s.score for s in bp.sections)
    if bp.sections and not math.isclose(summed, bp.total_score, abs_tol=1e-6):
        detail = " + ".join(f"{s.title} {s.count}×{_num(s.score)}" for s in bp.sections)
        out.append(
            tr(
                "blueprint.total_mismatch",
                sum=_num(summed),
                detail=detail,
                total=_num(bp.total_score),
            )
        )
    if not 0 < bp.pass_score <= bp.total_score:
        out.append(
            tr("blueprint.bad_pass", pass_score=_num(bp.pass_score), total=_num(bp.total_score))
        )
    out += _check_weights(bp)
    out += _check_difficulty(bp)
    if bp.max_per_point is not None and bp.max_per_point < 1:
        out.append(tr("blueprint.bad_max_per_point", value=bp.max_per_point))
    if not 0 <= bp.min_x_share <= 1:
        out.append(tr("blueprint.bad_x_share", value=_pct(bp.min_x_share)))
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
                    share=_pct(rule.share),
                    tolerance=_pct(rule.tolerance),
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
                        low=_num(lo),
                        high=_num(hi),
                    )
                )
    siblings: dict[str | None, list[WeightRule]] = {}
    for rule in rules.values():
        siblings.setdefault(_parent(rule.range), []).append(rule)
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
                    sum=_pct(least),
                    limit=_pct(limit),
                    **params,
                )
            )
    return out


def _check_difficulty(bp: Blueprint) -> list[str]:
    out: list[str] = []
    mean, tol = bp.difficulty_mean, bp.difficulty_tolerance
    if mean is not None and (not 0 <= mean <= 1 or tol < 0):
        out.append(tr("blueprint.bad_difficulty", mean=_num(mean), tolerance=_num(tol)))
    items = bp.item_count
    good: list[DifficultyBand] = []
    for band in bp.difficulty_bands:
        if not (0 <= band.low < band.high <= 1 and 0 <= band.min_count <= band.max_count):
            out.append(
                tr(
                    "blueprint.bad_band",
                    band=_band_text(band),
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
            out.append(tr("blueprint.bands_overlap", a=_band_text(a), b=_band_text(b)))
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


# --- checking the blueprint against the bank ----------------------------------------------------


def _type_name(item_type: str) -> str:
    return tr(f"blueprint.type.{item_type}") if item_type in ITEM_TYPES else item_type


def _types_text(types: Sequence[str]) -> str:
    names = [_type_name(t) for t in types]
    if len(names) == 1:
        return names[0]
    return tr("blueprint.list_sep").join(names[:-1]) + tr("blueprint.or") + names[-1]


@dataclass
class _Supply:
    """Upper bounds on the item slots `papers` papers can fill from a part of the bank.

    Every bound is one no assembly can beat, so a requirement above it is certainly
    unsatisfiable; a requirement below it may still fail in the solver for combined reasons.
    """

    bp: Blueprint
    papers: int
    sibling_share: float | None
    usable: list[Candidate]
    excluded: int

    @property
    def cap(self) -> int | None:
        return per_point_cap(self.bp)

    def uses(self, c: Candidate) -> int:
        """How many of the papers may use `c` before it reaches the exposure limit."""
        if self.bp.max_exposure is None:
            return self.papers
        return min(self.papers, self.bp.max_exposure - c.exposure)

    def slots(self, keep: Callable[[Candidate], bool], types: Sequence[str]) -> int:
        """Most items of `types` passing `keep` that all papers together can hold."""
        pool = [c for c in self.usable if c.type in types and keep(c)]
        p = self.papers
        bounds = [p * sum(s.count for s in self.bp.sections if s.type in types)]
        cap = self.cap
        by_point: dict[str, int] = {}
        loose = 0
        for c in pool:
            if cap is not None and c.knowledge_code:
                by_point[c.knowledge_code] = by_point.get(c.knowledge_code, 0) + self.uses(c)
            else:
                loose += self.uses(c)
        bounds.append(loose + sum(min(p * (cap or 0), n) for n in by_point.values()))
        if self.sibling_share is not None:
            # an item in m papers fills m <= 1 + C(m, 2) slots, and the pairs share few items
            shared = math.floor(self.sibling_share * self.bp.item_count + _EPS)
            bounds.append(len(pool) + math.comb(p, 2) * shared)
        if len(types) > 1:
            bounds.append(sum(self.slots(keep, (t,)) for t in types))
        return min(bounds)

    def notes(self, reasons: Sequence[str]) -> str:
        parts = list(reasons)
        if self.cap is not None:
            parts.append(tr("blueprint.note.per_point", cap=self.cap))
        if self.excluded:
            parts.append(
                tr("blueprint.note.exposure", count=self.excluded, max=self.bp.max_exposure)
            )
        if self.papers > 1:
            if self.sibling_share is None:
                parts.append(tr("blueprint.note.papers_free", papers=self.papers))
            else:
                parts.append(
                    tr(
                        "blueprint.note.papers",
                        papers=self.papers,
                        share=_pct(self.sibling_share),
                    )
                )
        return tr("blueprint.notes", notes=tr("blueprint.notes_sep").join(parts)) if parts else ""

    def need_items(
        self,
        keep: Callable[[Candidate], bool],
        types: Sequence[str],
        per_paper: int,
        scope: str,
        reasons: Sequence[str] = (),
    ) -> str | None:
        need = per_paper * self.papers
        have = self.slots(keep, types) if need > 0 else 0
        if need <= 0 or have >= need:
            return None
        return tr(
            "blueprint.supply.items",
            scope=scope,
            need=need,
            types=_types_text(types),
            have=have,
            notes=self.notes(reasons),
        )

    def need_score(
        self,
        keep: Callable[[Candidate], bool],
        points: float,
        scope: str,
        reasons: Sequence[str] = (),
    ) -> str | None:
        need = points * self.papers
        sections = self.bp.sections
        have = sum(s.score * self.slots(keep, (s.type,)) for s in sections) if need > 0 else 0
        if need <= _EPS or have + 1e-6 >= need:
            return None
        return tr(
            "blueprint.supply.score",
            scope=scope,
            need=_num(need),
            types=_types_text([s.type for s in sections]),
            have=_num(have),
            notes=self.notes(reasons),
        )


def check_against_bank(
    bp: Blueprint,
    candidates: Sequence[Candidate],
    *,
    papers: int = 1,
    sibling_share: float | None = None,
) -> list[str]:
    """Requirements of `bp` the candidate items certainly cannot meet, as user messages.

    Checks the supply per section, per weight rule (both its lower and its upper bound), for the
    X share, per difficulty band and for the difficulty mean, honouring max_per_point /
    same-point enemies and the exposure limit (items already used `max_exposure` times do not
    count). With `papers` > 1 the items must fill every paper, where any two papers share at
    most `sibling_share` of their items (None: no limit). An empty list is not a promise that
    the solver succeeds; a message is a proof that it cannot.
    """
    types = [s.type for s in bp.sections]
    usable = [c for c in candidates if c.type in types]
    if bp.max_exposure is not None:
        fresh = [c for c in usable if c.exposure < bp.max_exposure]
        excluded, usable = len(usable) - len(fresh), fresh
    else:
        excluded = 0
    supply = _Supply(bp, max(papers, 1), sibling_share, usable, excluded)
    out: list[str] = []

    def add(message: str | None) -> None:
        if message:
            out.append(message)

    def anything(_c: Candidate) -> bool:
        return True

    paper = tr("blueprint.scope.paper")
    for section in bp.sections:
        add(supply.need_items(anything, (section.type,), section.count, paper))
    if not out and len(types) > 1:
        add(supply.need_items(anything, types, bp.item_count, paper))

    out += _weight_supply(bp, supply, types)

    if bp.min_x_share > 0:
        need = math.ceil(bp.min_x_share * bp.item_count - 1e-6)
        add(
            supply.need_items(
                lambda c: c.importance == "X",
                types,
                need,
                tr("blueprint.scope.x"),
                [tr("blueprint.reason.x", share=_pct(bp.min_x_share))],
            )
        )

    for band in bp.difficulty_bands:
        text = _band_text(band)

        def inside(c: Candidate, band: DifficultyBand = band) -> bool:
            return band_contains(band, effective_difficulty(c))

        add(supply.need_items(inside, types, band.min_count, tr("blueprint.scope.band", band=text)))
        add(
            supply.need_items(
                lambda c, inside=inside: not inside(c),
                types,
                bp.item_count - band.max_count,
                tr("blueprint.scope.outside_band", band=text),
                [tr("blueprint.reason.band_max", max=band.max_count)],
            )
        )

    add(_mean_supply(bp, usable))
    return out


def _weight_supply(bp: Blueprint, supply: _Supply, types: Sequence[str]) -> list[str]:
    """Lower and upper bound of every weight rule, and siblings that cannot fill their parent."""
    out: list[str] = []
    scores = {s.score for s in bp.sections}
    uniform = scores.pop() if len(scores) == 1 else None
    total = bp.total_score
    for rule in bp.weights:

        def inside(c: Candidate, code: str = rule.range) -> bool:
            return code in c.ranges

        low = max(rule.share - rule.tolerance, 0) * total
        high = min(rule.share + rule.tolerance, 1) * total
        min_reason = tr(
            "blueprint.reason.weight_min",
            share=_pct(rule.share),
            tolerance=_pct(rule.tolerance),
            points=_num(low),
        )
        max_reason = tr(
            "blueprint.reason.weight_max",
            range=rule.range,
            limit=_pct(min(rule.share + rule.tolerance, 1)),
        )
        scope_in = tr("blueprint.scope.range", range=rule.range)
        scope_out = tr("blueprint.scope.outside", range=rule.range)
        if uniform:
            need_in = math.ceil(low / uniform - 1e-6)
            need_out = math.ceil((total - high) / uniform - 1e-6)
            found = [
                supply.need_items(inside, types, need_in, scope_in, [min_reason]),
                supply.need_items(
                    lambda c, inside=inside: not inside(c), types, need_out, scope_out, [max_reason]
                ),
            ]
        else:
            found = [
                supply.need_score(inside, low, scope_in, [min_reason]),
                supply.need_score(
                    lambda c, inside=inside: not inside(c), total - high, scope_out, [max_reason]
                ),
            ]
        out += [m for m in found if m]

    rules = {r.range: r for r in bp.weights}
    parents = {_parent(code) for code in rules}
    for parent in sorted(parents, key=lambda p: p or ""):
        depth = 0 if parent is None else len(parent.split("-"))
        if parent is not None and parent not in rules:
            continue
        under = [c for c in supply.usable if parent is None or parent in c.ranges]
        children = {c.ranges[depth] if len(c.ranges) > depth else None for c in under}
        if not under or None in children or not children <= rules.keys():
            continue
        group = sorted(r for r in rules if _parent(r) == parent)
        most = sum(min(rules[r].share + rules[r].tolerance, 1) for r in group)
        need = 1.0 if parent is None else rules[parent].share - rules[parent].tolerance
        if most < need - _EPS:
            key = "blueprint.supply.weights_under_" + ("paper" if parent is None else "range")
            out.append(
                tr(key, parent=parent, ranges="、".join(group), sum=_pct(most), limit=_pct(need))
            )
    return out


def _mean_supply(bp: Blueprint, usable: Sequence[Candidate]) -> str | None:
    """The easiest and the hardest paper the bank allows, against the difficulty target."""
    if bp.difficulty_mean is None or bp.item_count <= 0:
        return None
    lowest = highest = 0.0
    for section in bp.sections:
        values = sorted(effective_difficulty(c) for c in usable if c.type == section.type)
        if len(values) < section.count or section.count <= 0:
            return None
        lowest += sum(values[: section.count])
        highest += sum(values[-section.count :])
    mean, tol = bp.difficulty_mean, bp.difficulty_tolerance
    params = {"mean": _num(mean), "tolerance": _num(tol)}
    if lowest / bp.item_count > mean + tol + 1e-6:
        return tr(
            "blueprint.supply.too_hard",
            best=f"{lowest / bp.item_count:.2f}",
            limit=_num(mean + tol),
            **params,
        )
    if highest / bp.item_count < mean - tol - 1e-6:
        return tr(
            "blueprint.supply.too_easy",
            best=f"{highest / bp.item_count:.2f}",
            limit=_num(mean - tol),
            **params,
        )
    return None
