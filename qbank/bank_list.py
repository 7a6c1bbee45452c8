"""What `qbank bank list` prints, readable without SQLAlchemy: the levels, the bank summary,
and the listing's statements compiled for SQLite.

`qbank.bank.bank_list_statements` builds the statements from the shared queries
(`qbank.queries.current_items`, `current_sets`, the review status of `qbank.model`);
`SQLITE_STATEMENTS` is their SQLite text, kept equal to them by tests/test_bank_list.py, so
that `bank list` on a current SQLite file runs them through `sqlite3` alone
(`qbank.db.read_current_sqlite`): importing SQLAlchemy and declaring the model would cost
most of the command. Nothing here is written by hand but the levels and the assembling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qbank.errors import InvalidInput, NotFound

LEVEL_NAMES: dict[int, tuple[str, str]] = {
    5: ("五级", "初级工"),
    4: ("四级", "中级工"),
    3: ("三级", "高级工"),
    2: ("二级", "技师"),
    1: ("一级", "高级技师"),
}
"""Levels of 《国家职业技能标准》 (`003` 第十一条): number → (级别, 传统等级名)."""


def check_level(level: int) -> int:
    if level not in LEVEL_NAMES:
        raise InvalidInput("bank.bad_level", level=level)
    return level


def check_occupation_code(code: str) -> str:
    from qbank.text.normalize import is_occupation_code

    code = code.strip()
    if not is_occupation_code(code):
        raise InvalidInput("bank.bad_occupation_code", code=code)
    return code


@dataclass
class BankSummary:
    """What `bank list` / `bank show` print: counts of the bank's current content."""

    occupation: str
    occupation_name: str
    level: int
    items: int
    by_type: dict[str, int] = field(default_factory=dict)
    practical_sets: int = 0
    knowledge_points: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


SQLITE_STATEMENTS: dict[str, str] = {
    "banks": (
        "SELECT banks.id, occupations.code, occupations.name, banks.level \nFROM banks JOIN "
        "occupations ON occupations.id = banks.occupation_id ORDER BY occupations.code, "
        "banks.level DESC"
    ),
    "items": (
        "SELECT anon_1.bank_id, anon_1.type, anon_1.status, count(*) AS count_1 \nFROM "
        "(SELECT items.bank_id AS bank_id, item_versions.type AS type, coalesce((SELECT "
        "reviews.decision \nFROM reviews \nWHERE reviews.item_version_id = item_versions.id "
        "ORDER BY reviews.id DESC\n LIMIT 1 OFFSET 0), 'draft') AS status \nFROM items JOIN "
        "item_versions ON items.current_version_id = item_versions.id \nWHERE "
        "items.deleted_at IS NULL) AS anon_1 GROUP BY anon_1.bank_id, anon_1.type, "
        "anon_1.status ORDER BY anon_1.bank_id, anon_1.type, anon_1.status"
    ),
    "sets": (
        "SELECT practical_sets.bank_id, count(*) AS count_1 \nFROM practical_sets JOIN "
        "practical_set_versions ON practical_sets.current_version_id = "
        "practical_set_versions.id \nWHERE practical_sets.deleted_at IS NULL GROUP BY "
        "practical_sets.bank_id"
    ),
    "points": (
        "SELECT banks.id, count(*) AS count_1 \nFROM banks JOIN knowledge_nodes ON "
        "knowledge_nodes.tree_version_id = banks.tree_version_id \nWHERE "
        "knowledge_nodes.importance IS NOT NULL GROUP BY banks.id"
    ),
}
"""`qbank.bank.bank_list_statements()` compiled for SQLite (generated; see the module's
docstring)."""


def summaries(rows: Mapping[str, Sequence[Sequence[Any]]]) -> list[BankSummary]:
    """The summaries from the rows of the listing's statements, by statement name: `banks`
    (id, code, name, level) in listing order, `items` (bank id, type, status, count) ordered
    by type and status, `sets` and `points` (bank id, count)."""
    sets = {bank_id: count for bank_id, count in rows["sets"]}
    points = {bank_id: count for bank_id, count in rows["points"]}
    by_type: dict[int, dict[str, int]] = {}
    by_status: dict[int, dict[str, int]] = {}
    for bank_id, item_type, status, count in rows["items"]:
        types = by_type.setdefault(bank_id, {"judgement": 0, "single": 0, "multiple": 0})
        types[item_type] = types.get(item_type, 0) + count
        statuses = by_status.setdefault(bank_id, {})
        statuses[status] = statuses.get(status, 0) + count
    found = []
    for bank_id, code, name, level in rows["banks"]:
        types = by_type.get(bank_id, {"judgement": 0, "single": 0, "multiple": 0})
        found.append(
            BankSummary(
                occupation=code,
                occupation_name=name,
                level=level,
                items=sum(types.values()),
                by_type=types,
                practical_sets=sets.get(bank_id, 0),
                knowledge_points=points.get(bank_id, 0),
                by_status=by_status.get(bank_id, {}),
            )
        )
    return found


def pick(found: list[BankSummary], occupation_code: str, level: int) -> BankSummary:
    """The summary of the bank of `occupation_code` at `level` among `found`, checked and
    refused as `qbank.bank.find_bank` does."""
    check_level(level)
    code = check_occupation_code(occupation_code)
    for summary in found:
        if summary.occupation == code and summary.level == level:
            return summary
    raise NotFound("bank.not_found", occupation=occupation_code, level=level)
