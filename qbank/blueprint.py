"""Paper blueprints (组卷方案): what a paper must contain, as plain values.

The dataclasses are the contract between the loader, the solver and the validator.
"""

from __future__ import annotations

from dataclasses import dataclass


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
