"""Records built without their dataclass `__init__` (`qbank.records.frozen_record`) are the
records `__init__` builds: the same fields in the same order, equal, hashed alike, frozen."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from importers.items import RawItem, build_item
from qbank.records import ItemRecord, Location

HERE = Location("bank.xlsx", "单选题", 3)


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


@pytest.mark.parametrize(
    "raw",
    [
        RawItem(
            location=HERE,
            type="单选",
            stem="电流的单位是( )",
            options={"A": "安培", "B": "伏特", "C": "欧姆", "D": "瓦特"},
            answer="A",
            number="12",
            guid="g-1",
            knowledge_code="B-A-C-012",
            knowledge_path=["基础知识", " 电工基础 "],
            importance="X",
            difficulty="0.4",
            discrimination="0.3",
            score="1",
            explanation="见教材",
            source="题库",
            author="张三",
        ),
        RawItem(location=HERE, type="判断", stem="接地是安全措施。", answer="√"),
    ],
)
def test_a_built_item_is_the_record_its_init_builds(raw: RawItem) -> None:
    record, problems = build_item(raw)
    assert not problems and record is not None
    assert list(vars(record)) == _fields(ItemRecord)
    by_init = ItemRecord(**vars(record))
    assert record == by_init and repr(record) == repr(by_init)
    assert pickle.loads(pickle.dumps(record)) == record
    assert dataclasses.replace(record, stem="x").stem == "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.stem = "changed"  # type: ignore[misc]


def test_a_location_at_a_row_is_the_replaced_location() -> None:
    word = Location("bank.docx", None, None, 7, 2, 3)
    for location in (HERE, word):
        moved = location.at_row(41)
        assert moved == dataclasses.replace(location, row=41) and moved.row == 41
        assert list(vars(moved)) == _fields(Location)
        assert hash(moved) == hash(dataclasses.replace(location, row=41))
        assert moved.as_dict() == dataclasses.replace(location, row=41).as_dict()
        assert location.row != 41  # the location asked is unchanged
        with pytest.raises(dataclasses.FrozenInstanceError):
            moved.row = 1  # type: ignore[misc]
