"""Paper blueprints (组卷方案): what a paper must contain, as plain values.

The dataclasses are the contract between the loader (`loader`), the checks against itself
(`check`) and against the bank's supply (`supply`), the solver and the validator.
"""

from __future__ import annotations

from dataclasses import dataclass

from qbank.assembly.candidates import Candidate
from qbank.i18n import tr
from qbank.text.numbers import format_number


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


def band_text(band: DifficultyBand) -> str:
    """`[0.4, 0.7)`, or `[0.7, 1]` for a band that holds 1."""
    close = "]" if band.high >= 1 else ")"
    return f"[{format_number(band.low)}, {format_number(band.high)}{close}"


def type_name(item_type: str) -> str:
    """The item type as the user calls it (判断题 …); an unknown type as given."""
    return tr(f"blueprint.type.{item_type}") if item_type in ITEM_TYPES else item_type


def parent_range(code: str) -> str | None:
    """The range one level up (`B-A` → `B`); None at the top."""
    return code.rsplit("-", 1)[0] if "-" in code else None
