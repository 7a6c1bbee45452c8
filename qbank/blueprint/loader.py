"""Reading a blueprint from TOML (docs/blueprint-format.md) into `Blueprint`."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qbank.assembly.candidates import ranges_of
from qbank.blueprint.model import DEFAULT_TITLES, Blueprint, DifficultyBand, Section, WeightRule
from qbank.errors import InvalidInput
from qbank.i18n import tr
from qbank.settings_file import read_settings_text
from qbank.text.normalize import canonical_knowledge_code, parse_item_type

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
    paper = _load_paper(r, data.get("paper", {}), path.stem)
    sections = _load_sections(r, data)
    weights = _load_weights(r, data.get("weights", {}))
    difficulty = _load_difficulty(r, data.get("difficulty", {}))
    rules = _load_rules(r, data.get("rules", {}), data.get("exposure", {}))
    return Blueprint(**paper, sections=sections, weights=weights, **difficulty, **rules)


def _load_paper(r: _Reader, raw: object, stem: str) -> dict[str, Any]:
    """`[paper]`: name (default: the file's stem), title, duration, total and pass score."""
    paper = r.check_keys(raw, "paper", _PAPER_KEYS)
    return {
        "name": r.text(paper.get("name", stem), "paper.name"),
        "title": r.text(r.required(paper, "paper", "title", "text"), "paper.title"),
        "duration_minutes": r.integer(
            r.required(paper, "paper", "duration_minutes", "positive_int"),
            "paper.duration_minutes",
            minimum=1,
        ),
        "total_score": r.number(
            r.required(paper, "paper", "total_score", "positive_number"), "paper.total_score"
        ),
        "pass_score": r.number(
            r.required(paper, "paper", "pass_score", "positive_number"), "paper.pass_score"
        ),
    }


def _load_sections(r: _Reader, data: dict[str, Any]) -> tuple[Section, ...]:
    """`[[sections]]`, in paper order; the title defaults to the type's usual name."""
    if "sections" not in data:
        raise InvalidInput(
            "blueprint.missing",
            file=r.file,
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
    return tuple(sections)


def _load_difficulty(r: _Reader, raw: object) -> dict[str, Any]:
    """`[difficulty]`: mean, tolerance and `[[difficulty.bands]]`."""
    difficulty = r.check_keys(raw, "difficulty", _DIFFICULTY_KEYS)
    mean = difficulty.get("mean")
    mean = None if mean is None else r.fraction(mean, "difficulty.mean", "difficulty")
    tolerance = r.fraction(difficulty.get("tolerance", 0.1), "difficulty.tolerance", "difficulty")
    bands = []
    for n, band in enumerate(r.array(difficulty.get("bands", []), "difficulty.bands"), start=1):
        key = f"difficulty.bands[{n}]"
        r.check_keys(band, key, _BAND_KEYS)
        low = r.fraction(r.required(band, key, "low", "difficulty"), f"{key}.low", "difficulty")
        high = r.fraction(r.required(band, key, "high", "difficulty"), f"{key}.high", "difficulty")
        least = r.integer(band.get("min", 0), f"{key}.min", minimum=0)
        most = r.integer(r.required(band, key, "max", "count"), f"{key}.max", minimum=0)
        bands.append(DifficultyBand(low, high, least, most))
    return {
        "difficulty_mean": mean,
        "difficulty_tolerance": tolerance,
        "difficulty_bands": tuple(bands),
    }


def _load_rules(r: _Reader, raw_rules: object, raw_exposure: object) -> dict[str, Any]:
    """`[rules]` (per-point cap, X share, same-point enemies) and `[exposure]`."""
    rules = r.check_keys(raw_rules, "rules", _RULE_KEYS)
    max_per_point = rules.get("max_per_point")
    if max_per_point is not None:
        max_per_point = r.integer(max_per_point, "rules.max_per_point", minimum=1)
    min_x_share = r.fraction(rules.get("min_x_share", 0.0), "rules.min_x_share")
    enemies = r.boolean(rules.get("same_point_enemies", False), "rules.same_point_enemies")
    exposure = r.check_keys(raw_exposure, "exposure", _EXPOSURE_KEYS)
    max_uses = exposure.get("max_uses")
    if max_uses is not None:
        max_uses = r.integer(max_uses, "exposure.max_uses", minimum=1)
    return {
        "max_per_point": max_per_point,
        "min_x_share": min_x_share,
        "same_point_enemies": enemies,
        "max_exposure": max_uses,
        "exposure_window_days": r.integer(
            exposure.get("window_days", 365), "exposure.window_days", minimum=1
        ),
    }


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
