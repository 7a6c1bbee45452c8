"""The independent paper validator: hand-built papers that each break exactly one rule."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.assembly.candidates import Candidate, Caps, ranges_of
from qbank.assembly.validate import Violation, validate_papers
from qbank.blueprint import Blueprint, DifficultyBand, Section, WeightRule

BP = Blueprint(
    name="t",
    title="测试卷",
    duration_minutes=90,
    total_score=10,
    pass_score=6,
    sections=(Section("judgement", 4, 1, "判断题"), Section("single", 6, 1, "单项选择题")),
    weights=(WeightRule("A", 0.4, 0.05), WeightRule("B", 0.6, 0.05)),
    difficulty_mean=0.5,
    difficulty_tolerance=0.015,
    difficulty_bands=(
        DifficultyBand(0.0, 0.3, 1, 4),
        DifficultyBand(0.3, 0.7, 3, 9),
        DifficultyBand(0.7, 1.0, 1, 4),
    ),
    max_per_point=2,
    min_x_share=0.7,
    max_exposure=3,
)
CAPS = Caps(sibling_share=0.3, recent_share=0.1, max_exposure=3)

# item id: (type, 鉴定点, importance, difficulty); 11-20 mirror 1-10 on other points
_SPEC = {
    1: ("judgement", "A-A-A-001", "X", 0.5),
    2: ("judgement", "A-A-A-002", "X", 0.5),
    3: ("judgement", "A-B-A-002", "X", 0.5),
    4: ("judgement", "B-A-A-002", "Y", 0.2),
    5: ("single", "A-B-A-001", "X", 0.5),
    6: ("single", "B-B-A-001", "X", 0.5),
    7: ("single", "B-B-A-002", "X", 0.8),
    8: ("single", "B-C-A-001", "Y", 0.5),
    9: ("single", "B-C-A-002", "X", 0.5),
    10: ("single", "B-D-A-001", "Y", None),  # no difficulty: counts as 0.5
    30: ("single", "B-D-A-030", "Y", 0.5),
    31: ("judgement", "B-D-A-031", "Y", 0.5),
    32: ("single", "A-B-A-032", "Y", 0.5),
    33: ("judgement", "B-A-A-033", "Y", 0.3),
    34: ("single", "B-C-A-034", "Y", 0.69),
    35: ("judgement", "B-A-A-035", "Y", 0.2),
    36: ("single", "B-C-A-001", "Y", 0.5),
    37: ("single", "B-C-A-001", "X", 0.5),
    38: ("single", "B-C-A-038", "Y", 0.5),
}
for _k in range(1, 11):
    _t, _code, _imp, _d = _SPEC[_k]
    _SPEC[_k + 10] = (_t, _code[:-3] + str(100 + int(_code[-3:])), _imp, _d)
for _k in range(40, 47):
    _SPEC[_k] = ("single", f"B-B-B-{_k:03d}", "X", 0.5)


def _candidate(item_id: int, exposure: int = 0) -> Candidate:
    item_type, code, importance, difficulty = _SPEC[item_id]
    return Candidate(
        item_id=item_id,
        version=f"v{item_id}",
        type=item_type,
        knowledge_code=code,
        ranges=ranges_of(code),
        importance=importance,
        difficulty=difficulty,
        exposure=exposure,
    )


CANDIDATES = {k: _candidate(k, exposure=2 if k == 5 else 0) for k in _SPEC}
FILED = set(CANDIDATES)
ENEMIES = [(6, 16), (5, 30)]
HISTORY = [frozenset({3, 14, 35, 40, 41, 42, 43, 44, 45, 46})]
PAPER_A = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
PAPER_B = [1, 2, 13, 14, 15, 16, 17, 18, 19, 20]


def _swap(paper: list[int], old: int, new: int) -> list[int]:
    assert old in paper
    return [new if i == old else i for i in paper]


def _check(
    a: list[int] = PAPER_A,
    b: list[int] = PAPER_B,
    *,
    bp: Blueprint = BP,
    candidates: dict[int, Candidate] = CANDIDATES,
    filed: set[int] = FILED,
    caps: Caps = CAPS,
    scores: dict[int, float] | None = None,
) -> list[Violation]:
    return validate_papers(
        [("A", a), ("B", b)],
        bp,
        candidates,
        filed=filed,
        enemies=ENEMIES,
        history=HISTORY,
        caps=caps,
        scores=scores,
    )


def test_clean_papers_pass_at_every_limit() -> None:
    # A and B share 2 items plus a near-duplicate pair: 3 of 10 = the 30% cap exactly;
    # each shares 1 item with the history paper (10% cap); item 5 reaches max exposure 3
    assert _check() == []


@pytest.mark.parametrize(
    ("rule", "a", "b"),
    [
        ("section_count", _swap(PAPER_A, 10, 31), PAPER_B),
        ("weight", _swap(PAPER_A, 10, 32), PAPER_B),
        ("difficulty_mean", _swap(PAPER_A, 8, 34), PAPER_B),
        ("difficulty_band", _swap(PAPER_A, 4, 33), PAPER_B),
        ("max_per_point", _swap(_swap(PAPER_A, 10, 36), 9, 37), PAPER_B),
        ("x_share", _swap(PAPER_A, 9, 38), PAPER_B),
        ("enemy", _swap(PAPER_A, 10, 30), PAPER_B),
        ("recent_overlap", _swap(PAPER_A, 4, 35), PAPER_B),
        ("sibling_overlap", PAPER_A, _swap(PAPER_B, 19, 9)),
        ("duplicate_item", _swap(PAPER_A, 10, 9), PAPER_B),
    ],
)
def test_each_fault_breaks_exactly_its_rule(rule: str, a: list[int], b: list[int]) -> None:
    found = _check(a, b)
    assert found, rule
    assert {v.rule for v in found} == {rule}
    assert all(v.detail for v in found)


def test_section_count_names_both_types() -> None:
    found = _check(_swap(PAPER_A, 10, 31))
    assert [(v.paper, v.rule) for v in found] == [("A", "section_count")] * 2
    assert "判断题" in found[0].detail and "5" in found[0].detail


def test_weight_reports_every_rule_out_of_range() -> None:
    found = _check(_swap(PAPER_A, 10, 32))
    assert ["A" in v.detail.split("占")[0] for v in found] == [True, False]
    assert "50%" in found[0].detail


def test_not_filed() -> None:
    found = _check(filed=FILED - {7})
    assert [(v.paper, v.rule) for v in found] == [("A", "not_filed")]
    assert "7" in found[0].detail


def test_exposure_counts_the_papers_of_this_run() -> None:
    # item 1 is in both papers: 2 earlier uses + 2 now > 3
    candidates = {**CANDIDATES, 1: _candidate(1, exposure=2)}
    found = _check(candidates=candidates)
    assert [(v.paper, v.rule) for v in found] == [("A/B", "exposure")]
    # the caps' limit and the blueprint's: the stricter one holds
    assert _check(caps=replace(CAPS, max_exposure=None)) == []
    found = _check(caps=replace(CAPS, max_exposure=2))
    assert [(v.rule, v.paper) for v in found] == [("exposure", "A")]


def test_same_point_enemies_allow_one_item_per_point() -> None:
    paper = _swap(PAPER_A, 10, 36)  # two items of B-C-A-001
    assert _check(paper) == []
    bp = replace(BP, max_per_point=None, same_point_enemies=True)
    found = _check(paper, bp=bp)
    assert [v.rule for v in found] == ["max_per_point"]
    assert "B-C-A-001" in found[0].detail


def test_sibling_overlap_counts_near_duplicates() -> None:
    # without the (6, 16) pair A and B share 2 items; with it 3; one more shared item is over
    without = validate_papers(
        [("A", PAPER_A), ("B", _swap(PAPER_B, 19, 9))],
        BP,
        CANDIDATES,
        filed=FILED,
        enemies=[(5, 30)],
        history=HISTORY,
        caps=CAPS,
    )
    assert without == []
    found = _check(b=_swap(PAPER_B, 19, 9))
    assert [(v.paper, v.rule) for v in found] == [("A/B", "sibling_overlap")]
    assert "4" in found[0].detail


def test_sibling_overlap_by_score() -> None:
    # 3 shared items within the count cap, but 4 of 11 points > 30% of 11
    found = _check(scores={6: 2.0, 16: 2.0})
    assert [(v.paper, v.rule) for v in found] == [("A/B", "sibling_overlap")]


def test_weights_are_shares_of_the_score() -> None:
    # counts unchanged, but item 5 (range A) worth 3 points: A holds 6 of 12 points
    found = _check(scores={5: 3.0})
    assert {v.rule for v in found} == {"weight"}


def test_missing_difficulty_counts_as_middle() -> None:
    # item 10 has no difficulty; as 0.5 the mean is exactly 0.5, as 0 it would be 0.45
    bp = replace(BP, difficulty_mean=0.45, difficulty_tolerance=0.01)
    assert [v.rule for v in _check(bp=bp)] == ["difficulty_mean", "difficulty_mean"]


def test_band_ending_at_one_holds_one() -> None:
    candidates = {**CANDIDATES, 7: replace(CANDIDATES[7], difficulty=1.0)}
    bp = replace(BP, difficulty_mean=None)
    assert _check(candidates=candidates, bp=bp) == []


def test_unknown_item_is_reported_not_raised() -> None:
    found = _check(_swap(PAPER_A, 10, 999))
    rules = [v.rule for v in found]
    assert "not_filed" in rules and "section_count" in rules
    assert any("题型不明" in v.detail for v in found)


def test_history_paper_smaller_than_the_paper() -> None:
    # a 4-item recent paper sharing 1 item: cap floor(10% of 4) = 0
    found = validate_papers(
        [("A", PAPER_A)],
        BP,
        CANDIDATES,
        filed=FILED,
        enemies=[],
        history=[frozenset({3, 40, 41, 42})],
        caps=CAPS,
    )
    assert [(v.paper, v.rule) for v in found] == [("A", "recent_overlap")]


def test_empty_run() -> None:
    assert validate_papers([], BP, CANDIDATES, filed=FILED, enemies=[], history=[], caps=CAPS) == []


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from([*_SPEC, 999]), max_size=14),
    st.lists(st.sampled_from([*_SPEC, 998]), max_size=14),
)
def test_any_paper_is_checked_without_raising(a: list[int], b: list[int]) -> None:
    found = _check(a, b)
    duplicated = len(set(a)) < len(a) or len(set(b)) < len(b)
    assert any(v.rule == "duplicate_item" for v in found) == duplicated
    assert any(v.rule == "not_filed" for v in found) == bool({998, 999} & {*a, *b})
    if not a and not b:
        assert {v.rule for v in found} == {"section_count", "difficulty_band"}
