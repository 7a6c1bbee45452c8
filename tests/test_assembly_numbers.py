"""One rounding rule for figures (qbank.text.numbers), and the same figure read the same in the
blueprint check, the solver's conflicts and the validator."""

from __future__ import annotations

from fractions import Fraction

import pytest

from qbank.assembly.candidates import Candidate, Caps, ranges_of
from qbank.assembly.conflicts import Conflict, Requirement, conflict_text
from qbank.assembly.validate import validate_papers
from qbank.blueprint import Blueprint, Section, WeightRule, check_blueprint
from qbank.i18n import set_language
from qbank.text.normalize import format_number as from_normalize
from qbank.text.numbers import format_number, format_percent


@pytest.fixture(autouse=True)
def _zh() -> None:
    set_language("zh")
    yield
    set_language(None)


@pytest.mark.parametrize(
    ("value", "number", "percent"),
    [
        (3, "3", "300%"),
        (100.0, "100", "10000%"),
        (2.5, "2.5", "250%"),
        (0.1, "0.1", "10%"),  # the decimal as written, not the binary float
        (0.125, "0.125", "12.5%"),
        (1 / 3, "0.3333", "33.33%"),
        (Fraction(2, 3), "0.6667", "66.67%"),
        (0.00005, "0.0001", "0.01%"),  # half away from zero
        (-0.00001, "0", "0%"),  # never -0
        (1234567.5, "1234567.5", "123456750%"),  # never an exponent
    ],
)
def test_one_rounding_rule(value: float | Fraction, number: str, percent: str) -> None:
    assert format_number(value) == number
    assert format_percent(value) == percent
    assert from_normalize(value) == number  # the old home of format_number is the same one


SHARE = 1 / 3  # a share every message shows as 33.33%
MEAN = 1.23456  # a difficulty every message shows as 1.2346


def _bp(weight: WeightRule) -> Blueprint:
    return Blueprint(
        name="t",
        title="测试卷",
        duration_minutes=60,
        total_score=2,
        pass_score=1,
        sections=(Section("judgement", 2, 1, "判断题"),),
        weights=(weight,),
        difficulty_mean=MEAN,
    )


def test_the_same_figure_reads_the_same_in_every_message() -> None:
    # the blueprint check (a negative tolerance makes it name the rule's share)
    blueprint = check_blueprint(_bp(WeightRule("A", SHARE, -0.1)))
    # the solver's conflicts
    weight = Requirement("weight", "A", {"share": SHARE, "tolerance": 0.05})
    mean = Requirement("difficulty_mean", figures={"mean": MEAN, "tolerance": 0.1})
    solver = conflict_text(Conflict("conflict", (weight, mean)))
    # the validator, on a paper that breaks both rules
    items = {
        n: Candidate(n, "v", "judgement", f"B-A-A-00{n}", ranges_of(f"B-A-A-00{n}"), None, 0.5)
        for n in (1, 2)
    }
    validator = [
        v.detail
        for v in validate_papers(
            [("A", [1, 2])],
            _bp(WeightRule("A", SHARE, 0.05)),
            items,
            filed=set(items),
            caps=Caps(1, 1, None),
        )
    ]
    for messages in (blueprint, [solver], validator):
        text = "\n".join(messages)
        assert "33.33%" in text and "1.2346" in text, text
        assert "33.3%" not in text.replace("33.33%", "") and "0.33" not in text
