"""What the solver and the validator see of a filed item version: plain values, no database."""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A filed item version that may go into a paper.

    `ranges` are the codes of every range above the item's 鉴定点, outermost first
    (`B-A-C-012` → `("B", "B-A", "B-A-C")`); `exposure` counts the item's uses in papers within
    the exposure window.
    """

    item_id: int
    version: str
    type: str  # "judgement" | "single" | "multiple"
    knowledge_code: str | None
    ranges: tuple[str, ...]
    importance: str | None  # "X" | "Y" | "Z" | None
    difficulty: float | None  # 0 easiest … 1 hardest
    exposure: int = 0
    option_letters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Caps:
    """Overlap and exposure limits the policy sets for one assembly run."""

    sibling_share: float  # max share of the smaller paper shared with a sibling (count and score)
    recent_share: float  # max share shared with any paper of the recent batches
    max_exposure: int | None  # max uses of one item in the window (None: no limit)


@functools.cache  # about five items share each 鉴定点
def ranges_of(code: str | None) -> tuple[str, ...]:
    """Ancestor range codes of a 鉴定点 code: `B-A-C-012` → ("B", "B-A", "B-A-C")."""
    if not code:
        return ()
    parts = code.split("-")
    if parts[-1].isdigit():
        parts = parts[:-1]
    return tuple("-".join(parts[: i + 1]) for i in range(len(parts)))
