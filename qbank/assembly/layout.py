"""What a paper's `layout` column holds, as typed documents: `PaperLayout` for a theory paper,
`PracticalLayout` for a drawn practical set.

`from_json` refuses anything but the stored form (ValueError naming the entry); `to_json`
gives back exactly the JSON stored, key order and number types included (a score stored as
100.0 stays a float), so papers, custody layouts and bundles keep their hashes. Keys older
papers or hand-made test papers lack (`count`, `option_orders`, `solver`, `seed_salt`) stay
absent. A sealed paper's cover (`qbank.confidential.cover_layout`) is neither: it is read
only by the sealing code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Number = int | float


@dataclass(frozen=True)
class LayoutSection:
    """One section as printed: its items in paper order, each at `score`."""

    type: str
    title: str
    score: Number
    items: tuple[int, ...]
    count: int | None = None

    @classmethod
    def from_json(cls, data: object, where: str) -> LayoutSection:
        d = _object(data, where, ("type", "title", "count", "score", "items"))
        count = d.get("count")
        return cls(
            type=_text(d.get("type"), f"{where}.type"),
            title=_text(d.get("title"), f"{where}.title"),
            score=_number(d.get("score"), f"{where}.score"),
            items=_ids(d.get("items"), f"{where}.items"),
            count=None if count is None else _int(count, f"{where}.count"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "title": self.title}
        if self.count is not None:
            out["count"] = self.count
        out["score"] = self.score
        out["items"] = list(self.items)
        return out


@dataclass(frozen=True)
class PaperLayout:
    """A theory paper: items and their versions in paper order, the shown option order of
    each choice item (by item id), the sections, the paper's score, the solver that made it
    (reproducing from the seed needs the same version) and the salt of the seed commitment."""

    items: tuple[int, ...]
    versions: tuple[str, ...]
    sections: tuple[LayoutSection, ...]
    score: Number | None = None
    option_orders: Mapping[int, tuple[str, ...]] | None = field(default=None, hash=False)
    solver: str | None = None
    seed_salt: str | None = None

    @classmethod
    def from_json(cls, data: object) -> PaperLayout:
        """Raises ValueError naming the first entry that is not as stored."""
        keys = ("items", "versions", "option_orders", "sections", "score", "solver", "seed_salt")
        d = _object(data, "layout", keys)
        items = _ids(d.get("items"), "layout.items")
        versions = tuple(_texts(d.get("versions"), "layout.versions"))
        if len(versions) != len(items):
            raise ValueError("layout.versions: one per item")
        sections = d.get("sections")
        if not isinstance(sections, list):
            raise ValueError("layout.sections: a list")
        orders = d.get("option_orders")
        return cls(
            items=items,
            versions=versions,
            sections=tuple(
                LayoutSection.from_json(s, f"layout.sections[{n}]") for n, s in enumerate(sections)
            ),
            score=None if d.get("score") is None else _number(d["score"], "layout.score"),
            option_orders=None if orders is None else _orders(orders),
            solver=_optional_text(d, "solver"),
            seed_salt=_optional_text(d, "seed_salt"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"items": list(self.items), "versions": list(self.versions)}
        if self.option_orders is not None:
            out["option_orders"] = {str(k): list(v) for k, v in self.option_orders.items()}
        out["sections"] = [s.to_json() for s in self.sections]
        if self.score is not None:
            out["score"] = self.score
        if self.solver is not None:
            out["solver"] = self.solver
        if self.seed_salt is not None:
            out["seed_salt"] = self.seed_salt
        return out

    def option_order(self, item_id: int) -> tuple[str, ...] | None:
        """The shown option order of a choice item; None when not shuffled."""
        return (self.option_orders or {}).get(item_id)


@dataclass(frozen=True)
class PracticalLayout:
    """A practical paper: the drawn set's code and version (sha256), and the salt that keeps
    a hash of this composition from being found by trying the few filed sets."""

    set: str
    version: str
    seed_salt: str | None = None

    @classmethod
    def from_json(cls, data: object) -> PracticalLayout:
        """Raises ValueError naming the first entry that is not as stored."""
        d = _object(data, "layout", ("set", "version", "seed_salt"))
        return cls(
            set=_text(d.get("set"), "layout.set"),
            version=_text(d.get("version"), "layout.version"),
            seed_salt=_optional_text(d, "seed_salt"),
        )

    def to_json(self) -> dict[str, Any]:
        out = {"set": self.set, "version": self.version}
        if self.seed_salt is not None:
            out["seed_salt"] = self.seed_salt
        return out


def _object(data: object, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: an object")
    unknown = sorted(str(k) for k in data if k not in keys)
    if unknown:
        raise ValueError(f"{where}: unknown entries {', '.join(unknown)}")
    return data


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: a whole number")
    return value


def _number(value: object, where: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: a number")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: text")
    return value


def _optional_text(d: Mapping[str, Any], key: str) -> str | None:
    value = d.get(key)
    return None if value is None else _text(value, f"layout.{key}")


def _ids(value: object, where: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: a list")
    return tuple(_int(v, where) for v in value)


def _texts(value: object, where: str) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: a list")
    return [_text(v, where) for v in value]


def _orders(value: object) -> dict[int, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ValueError("layout.option_orders: an object")
    out: dict[int, tuple[str, ...]] = {}
    for key, letters in value.items():
        if not isinstance(key, str) or not key.isdigit() or str(int(key)) != key:
            raise ValueError("layout.option_orders: item ids as keys")
        out[int(key)] = tuple(_texts(letters, f"layout.option_orders.{key}"))
    return out
