"""Policy: the numbers the rules use and the clause each comes from.

A profile is a TOML file: every value is a table with `value` and `source` (the clause it
comes from, or "assumption: …"). Hunan 2022 is the default (`hunan-2022.toml` beside this
module); another province's profile loads from a file with the same keys. Nothing in qbank
hard-codes these numbers: rules read them from a `Policy`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from qbank.canonical import content_id
from qbank.errors import InvalidInput
from qbank.settings_file import read_settings_text

DEFAULT_PROFILE = Path(__file__).with_name("hunan-2022.toml")


@dataclass(frozen=True)
class Value:
    """One policy number with the clause it comes from."""

    value: float
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source}


@dataclass(frozen=True)
class Policy:
    name: str
    title: str
    min_theory_items: Value
    min_practical_sets: Value
    max_repetition: Value
    similarity_threshold: Value
    max_practical_pair_share: Value
    max_cross_level_practical_share: Value
    max_paper_sibling_share: Value
    max_paper_recent_share: Value
    recent_batches: Value
    max_reference_share: Value
    num_perm: Value
    seed: Value
    exact_max_items: Value
    lsh_min_recall: Value
    electronic_years: Value

    def as_dict(self) -> dict[str, Any]:
        """Every value with its source: what a report embeds so it can be re-checked."""
        out: dict[str, Any] = {"name": self.name, "title": self.title}
        for f in fields(self):
            item = getattr(self, f.name)
            if isinstance(item, Value):
                out[f.name] = item.as_dict()
        return out

    @property
    def id(self) -> str:
        """SHA-256 of the profile's canonical JSON: two runs used the same rules iff equal."""
        return content_id(self.as_dict())


_SECTIONS = {
    "bank": ("min_theory_items", "min_practical_sets"),
    "overlap": (
        "max_repetition",
        "similarity_threshold",
        "max_practical_pair_share",
        "max_cross_level_practical_share",
        "max_paper_sibling_share",
        "max_paper_recent_share",
        "recent_batches",
        "max_reference_share",
    ),
    "minhash": ("num_perm", "seed", "exact_max_items", "lsh_min_recall"),
    "retention": ("electronic_years",),
}
_SHARES = {
    "max_repetition",
    "similarity_threshold",
    "max_practical_pair_share",
    "max_cross_level_practical_share",
    "max_paper_sibling_share",
    "max_paper_recent_share",
    "max_reference_share",
    "lsh_min_recall",
}
_COUNTS = {
    "min_theory_items",
    "min_practical_sets",
    "recent_batches",
    "num_perm",
    "seed",
    "exact_max_items",
    "electronic_years",
}


def load_policy(path: str | Path | None = None) -> Policy:
    """The profile at `path`, or the default (Hunan 2022); InvalidInput names a bad value."""
    path = Path(path) if path is not None else DEFAULT_PROFILE
    try:
        data = tomllib.loads(read_settings_text(path))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InvalidInput("policy.unreadable", file=path.name, reason=str(e)) from None
    profile = data.get("profile", {})
    values = _checked_values(
        lambda section, name: _table(data.get(section)).get(name), path.name, dotted=True
    )
    return Policy(
        name=str(profile.get("name", path.stem)),
        title=str(profile.get("title", path.stem)),
        **values,
    )


def _table(entry: object) -> dict[str, Any]:
    return entry if isinstance(entry, dict) else {}


def _checked_values(
    lookup: Callable[[str, str], object], file: str, *, dotted: bool
) -> dict[str, Value]:
    """Every policy value found by `lookup(section, name)`, checked for kind and range;
    InvalidInput names the first missing or bad one (`section.name` when `dotted`)."""
    values: dict[str, Value] = {}
    for section, names in _SECTIONS.items():
        for name in names:
            entry = lookup(section, name)
            key = f"{section}.{name}" if dotted else name
            if not isinstance(entry, dict) or "value" not in entry or "source" not in entry:
                raise InvalidInput("policy.missing", file=file, key=key)
            number = entry["value"]
            if (
                isinstance(number, bool)
                or not isinstance(number, int | float)
                or (name in _SHARES and not 0 <= number <= 1)
                or (name in _COUNTS and (number != int(number) or number < 0))
            ):
                raise InvalidInput("policy.bad_value", file=file, key=key, value=number)
            values[name] = Value(
                int(number) if name in _COUNTS else float(number), str(entry["source"])
            )
    if values["num_perm"].value < 1:
        key = "minhash.num_perm" if dotted else "num_perm"
        raise InvalidInput("policy.bad_value", file=file, key=key, value=values["num_perm"].value)
    return values
