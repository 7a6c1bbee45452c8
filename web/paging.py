"""Pages of a long list: which slice to show and how to link the neighbours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_of(query: Mapping[str, str], total: int, size: int) -> Page:
    """The page the query asks for (`?page=N`), clamped to the pages there are."""
    raw = query.get("page", "1")
    number = int(raw) if raw.isdigit() and len(raw) < 10 else 1
    last = max(1, -(-total // size))
    return Page(min(max(number, 1), last), size, total)
