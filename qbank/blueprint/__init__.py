"""Paper blueprints (组卷方案): the model, the TOML loader, the self-check, the supply check.

Callers import from here; the submodules are `model` (the dataclasses and the rules every
reader shares), `loader`, `check` (contradictions within a blueprint) and `supply` (against the
bank's items).
"""

from qbank.blueprint.check import check_blueprint
from qbank.blueprint.loader import load_blueprint
from qbank.blueprint.model import (
    DEFAULT_TITLES,
    ITEM_TYPES,
    UNKNOWN_DIFFICULTY,
    Blueprint,
    DifficultyBand,
    Section,
    WeightRule,
    band_contains,
    band_text,
    effective_difficulty,
    per_point_cap,
    type_name,
)
from qbank.blueprint.supply import check_against_bank

__all__ = [
    "DEFAULT_TITLES",
    "ITEM_TYPES",
    "UNKNOWN_DIFFICULTY",
    "Blueprint",
    "DifficultyBand",
    "Section",
    "WeightRule",
    "band_contains",
    "band_text",
    "check_against_bank",
    "check_blueprint",
    "effective_difficulty",
    "load_blueprint",
    "per_point_cap",
    "type_name",
]
