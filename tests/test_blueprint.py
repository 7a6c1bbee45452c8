"""Blueprint loading, self-consistency and bank-supply checks (qbank.blueprint)."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.assembly.candidates import Candidate, ranges_of
from qbank.blueprint import (
    Blueprint,
    DifficultyBand,
    Section,
    WeightRule,
    band_contains,
    check_against_bank,
    check_blueprint,
    effective_difficulty,
    load_blueprint,
)
from qbank.errors import InvalidInput
from qbank.i18n import set_language
from qbank.text.normalize import parse_difficulty

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "blueprints"
THEORY = SAMPLES / "electrician-4-theory.toml"
MIXED = SAMPLES / "electrician-4-theory-mixed.toml"


@pytest.fixture(autouse=True)
def _zh() -> None:
    set_language("zh")
    yield
    set_language(None)


def sample_bank() -> list[Candidate]:
    """The sample bank's items as the assembler sees them (every item filed, never used)."""
    importance: dict[str, str] = {}
    items: list[dict] = []
    for path in sorted((ROOT / "samples" / "source" / "items").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        importance |= {n["code"]: n["importance"] for n in data["tree"] if n.get("importance")}
        items += data["items"]
    return [
        Candidate(
            item_id=n,
            version="1",
            type=item["type"],
            knowledge_code=item["point"],
            ranges=ranges_of(item["point"]),
            importance=importance.get(item["point"]),
            difficulty=parse_difficulty(item.get("difficulty")),
        )
        for n, item in enumerate(items, start=1)
    ]


def write(tmp_path: Path, text: str, name: str = "plan.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
[paper]
title = "测试卷"
duration_minutes = 60
total_score = 10
pass_score = 6

[[sections]]
type = "单选题"
count = 10
score = 1
"""


def bp_of(**changes: object) -> Blueprint:
    base = Blueprint(
        name="t",
        title="测试卷",
        duration_minutes=60,
        total_score=10,
        pass_score=6,
        sections=(Section("single", 10, 1, "单项选择题"),),
    )
    return replace(base, **changes)


def cand(n: int, code: str | None, *, t: str = "single", imp: str | None = "X", d=0.5, exp=0):
    return Candidate(n, "1", t, code, ranges_of(code), imp, d, exposure=exp)


# --- samples ----------------------------------------------------------------------------------


def test_sample_theory_loads_as_documented() -> None:
    bp = load_blueprint(THEORY)
    assert bp.name == "electrician-4-theory"
    assert (bp.duration_minutes, bp.total_score, bp.pass_score) == (90, 100, 60)
    assert [(s.type, s.count, s.score, s.title) for s in bp.sections] == [
        ("judgement", 20, 1, "判断题"),
        ("single", 80, 1, "单项选择题"),
    ]
    assert bp.item_count == 100 and bp.section_of("single").count == 80
    assert bp.section_of("multiple") is None
    weights = {w.range: (w.share, w.tolerance) for w in bp.weights}
    assert weights["A"] == (0.25, 0.05) and weights["B"] == (0.75, 0.05)
    assert set(weights) == {"A", "A-A", "A-B", "B", "B-A", "B-B", "B-C", "B-D"}
    assert math.isclose(sum(weights[r][0] for r in ("B-A", "B-B", "B-C", "B-D")), 0.75)
    assert (bp.difficulty_mean, bp.difficulty_tolerance) == (0.45, 0.1)
    assert (bp.max_per_point, bp.min_x_share, bp.same_point_enemies) == (2, 0.7, False)
    assert bp.max_exposure is None
    assert check_blueprint(bp) == []


def test_sample_mixed_loads_as_documented() -> None:
    bp = load_blueprint(MIXED)
    assert [(s.type, s.count, s.score) for s in bp.sections] == [
        ("judgement", 20, 1),
        ("single", 60, 1),
        ("multiple", 10, 2),
    ]
    assert sum(s.count * s.score for s in bp.sections) == bp.total_score == 100
    assert WeightRule("B-D", 0.10, 0.04) in bp.weights
    assert bp.difficulty_bands[2] == DifficultyBand(0.6, 1.0, 5, 20)
    assert (bp.max_exposure, bp.exposure_window_days) == (6, 365)
    assert check_blueprint(bp) == []


@pytest.mark.parametrize("path", [THEORY, MIXED], ids=["theory", "mixed"])
def test_sample_bank_supplies_two_papers(path: Path) -> None:
    bank = sample_bank()
    assert len(bank) > 500 and Counter(c.type for c in bank)["multiple"] > 0
    bp = load_blueprint(path)
    assert check_against_bank(bp, bank) == []
    assert check_against_bank(bp, bank, papers=2, sibling_share=0.3) == []


def test_sample_bank_without_most_bc_items_names_the_range() -> None:
    bank = sample_bank()
    one_per_point = {c.knowledge_code: c for c in bank if "B-C" in c.ranges}
    thin = [c for c in bank if "B-C" not in c.ranges] + list(one_per_point.values())[:7]
    problems = check_against_bank(load_blueprint(THEORY), thin)
    assert problems == [
        "知识范围 B-C 需要 15 道判断题或单选题，已备案题库中只有 7 道"
        "（比重 20%±5%，至少 15 分；每个鉴定点每卷最多 2 道）"
    ]


# --- loading ----------------------------------------------------------------------------------


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    bp = load_blueprint(write(tmp_path, MINIMAL, "我的方案.toml"))
    assert bp.name == "我的方案"
    assert bp.sections == (Section("single", 10, 1.0, "单项选择题"),)
    assert bp.weights == () and bp.difficulty_bands == ()
    assert bp.difficulty_mean is None and bp.max_per_point is None
    assert (bp.min_x_share, bp.max_exposure, bp.exposure_window_days) == (0.0, None, 365)


def test_weights_accept_percentages_codes_and_own_tolerance(tmp_path: Path) -> None:
    text = MINIMAL + '[weights]\ntolerance = "10%"\nA = "30%"\nBA = 0.5\n"B-B" = {share = 0.2}\n'
    text += "B-C = {share = 0.1, tolerance = 0}\n"
    bp = load_blueprint(write(tmp_path, text))
    assert bp.weights == (
        WeightRule("A", 0.3, 0.1),
        WeightRule("B-A", 0.5, 0.1),
        WeightRule("B-B", 0.2, 0.1),
        WeightRule("B-C", 0.1, 0.0),
    )


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[[sections]]\ntype = '问答题'\ncount = 1\nscore = 1\n", "sections[2].type"),
        ("[[sections]]\ntype = 'multiple'\ncount = true\nscore = 1\n", "sections[2].count"),
        ("[[sections]]\ntype = 'multiple'\ncount = 2\nscore = 0\n", "sections[2].score"),
        ("[[sections]]\ntype = 'multiple'\ncount = 2.5\nscore = 1\n", "sections[2].count"),
        ("[[sections]]\ntype = 'multiple'\nscore = 1\n", "sections[2].count"),
        ("[[sections]]\ntype = 'multiple'\ncount = 2\nscore = nan\n", "sections[2].score"),
        (
            "[[sections]]\ntype = 'multiple'\ncount = 2\nscore = 1\npoints = 3\n",
            "sections[2].points",
        ),
        ("[weights]\nA = 1.5\n", "weights.A"),
        ("[weights]\nA = '25'\n", "weights.A"),
        ("[weights]\nB-A-C-012 = 0.1\n", "weights.B-A-C-012"),
        ("[weights]\n'基本要求' = 0.1\n", "weights.基本要求"),
        ("[weights]\nA = {share = 0.2, tol = 0.1}\n", "weights.A.tol"),
        ("[difficulty]\nmean = 1.2\n", "difficulty.mean"),
        ("[difficulty]\nbands = [{low = 0, high = 0.5, min = 1}]\n", "difficulty.bands[1].max"),
        ("[difficulty]\nbands = [{low = 0, high = 0.5, max = -1}]\n", "difficulty.bands[1].max"),
        ("[rules]\nmax_per_piont = 1\n", "rules.max_per_piont"),
        ("[rules]\nmax_per_point = 0\n", "rules.max_per_point"),
        ("[rules]\nsame_point_enemies = 'yes'\n", "rules.same_point_enemies"),
        ("[exposure]\nmax_uses = 0\n", "exposure.max_uses"),
        ("[extras]\nx = 1\n", "extras"),
    ],
)
def test_bad_values_name_their_key(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_blueprint(write(tmp_path, MINIMAL + extra))
    assert caught.value.params["entry"] == key
    assert caught.value.params["file"] == "plan.toml"
    assert key in str(caught.value) and "plan.toml" in str(caught.value)


def test_missing_required_values(tmp_path: Path) -> None:
    no_title = MINIMAL.replace('title = "测试卷"\n', "")
    with pytest.raises(InvalidInput) as caught:
        load_blueprint(write(tmp_path, no_title))
    assert caught.value.key == "blueprint.missing"
    assert caught.value.params["entry"] == "paper.title"
    with pytest.raises(InvalidInput) as caught:
        load_blueprint(write(tmp_path, MINIMAL.split("[[sections]]")[0]))
    assert caught.value.params["entry"] == "sections"


def test_duplicate_range_in_two_spellings(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_blueprint(write(tmp_path, MINIMAL + "[weights]\nB-A = 0.2\nBA = 0.3\n"))
    assert caught.value.key == "blueprint.duplicate_key"
    assert caught.value.params["code"] == "B-A"


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_blueprint(write(tmp_path, "[paper\ntitle = 1"))
    assert caught.value.key == "blueprint.unreadable"
    bad = tmp_path / "gbk.toml"
    bad.write_bytes("title = '测试'".encode("gbk"))
    with pytest.raises(InvalidInput) as caught:
        load_blueprint(bad)
    assert caught.value.key == "blueprint.unreadable"
    with pytest.raises(InvalidInput) as caught:
        load_blueprint(tmp_path / "absent.toml")
    assert caught.value.key == "cli.file_missing"


def test_error_renders_in_english(tmp_path: Path) -> None:
    set_language("en")
    with pytest.raises(InvalidInput) as caught:
        load_blueprint(write(tmp_path, MINIMAL + "[rules]\nmin_x_share = 2\n"))
    assert str(caught.value) == (
        "blueprint plan.toml: rules.min_x_share = '2' is wrong; "
        'expected a fraction 0..1 or a percentage (0.25 or "25%")'
    )


# --- check_blueprint --------------------------------------------------------------------------


def test_consistent_blueprint_has_no_messages() -> None:
    assert check_blueprint(bp_of()) == []


def test_total_pass_duration_and_sections() -> None:
    bp = bp_of(
        total_score=12,
        pass_score=13,
        duration_minutes=0,
        sections=(Section("single", 10, 1, "单选"), Section("single", 2, 1, "单选二")),
    )
    problems = check_blueprint(bp)
    assert "单选题出现在 2 个部分中，每种题型只能有一个部分" in problems
    assert "及格分 13 应大于 0 且不超过总分 12" in problems
    assert "考试时长 0 分钟应大于 0" in problems
    assert len(problems) == 3
    mismatch = check_blueprint(bp_of(total_score=100))
    assert mismatch == ["各题型分数合计 10 分（单项选择题 10×1），与总分 100 分不符"]
    assert check_blueprint(bp_of(sections=())) == ["组卷方案没有任何题型（[[sections]]）"]
    odd = check_blueprint(bp_of(sections=(Section("essay", 10, 1, "问答"),)))
    assert odd == ["题型“essay”无法识别，应为 judgement、single 或 multiple"]
    zero = check_blueprint(bp_of(sections=(Section("single", 0, 1, "单选"),)))
    assert "单选：题量和每题分数都应大于 0（现为 0 道 × 1 分）" in zero


def test_sibling_weights_must_fit_their_parent() -> None:
    ok = (WeightRule("A", 0.25, 0.05), WeightRule("B", 0.75, 0.05))
    assert check_blueprint(bp_of(weights=ok)) == []
    over = (WeightRule("A", 0.5, 0.05), WeightRule("B", 0.75, 0.05))
    assert check_blueprint(bp_of(weights=over)) == [
        "一级知识范围 A、B 的最低比重合计 115%，超过了 100%"
    ]
    children = (
        WeightRule("B", 0.3, 0.0),
        WeightRule("B-A", 0.2, 0.0),
        WeightRule("B-B", 0.2, 0.05),
    )
    assert check_blueprint(bp_of(weights=children)) == [
        "知识范围 B 下 B-A、B-B 的最低比重合计 35%，超过了 B 的上限 30%"
    ]
    # children of a range without its own rule are only bound by the paper
    assert check_blueprint(bp_of(weights=children[1:])) == []


def test_weight_window_must_be_reachable_by_section_scores() -> None:
    sections = (Section("multiple", 5, 2, "多选"),)
    bp = bp_of(sections=sections, weights=(WeightRule("A", 0.3, 0.0),))
    assert check_blueprint(bp) == ["知识范围 A 应占 3～3 分，但按各题型的分值凑不出这个分数"]
    assert check_blueprint(replace(bp, weights=(WeightRule("A", 0.3, 0.1),))) == []
    bad = check_blueprint(bp_of(weights=(WeightRule("A", 1.2, 0.0), WeightRule("A", 0.5, 0))))
    assert bad == ["知识范围 A 的比重 120%±0% 不在 0～100% 之内"]
    twice = check_blueprint(bp_of(weights=(WeightRule("A", 0.5, 0), WeightRule("A", 0.5, 0))))
    assert twice == ["知识范围 A 的比重规定了不止一次"]


def test_difficulty_bands() -> None:
    fine = (DifficultyBand(0, 0.4, 2, 6), DifficultyBand(0.4, 1, 2, 8))
    assert check_blueprint(bp_of(difficulty_bands=fine, difficulty_mean=0.5)) == []
    overlap = (DifficultyBand(0, 0.5, 0, 5), DifficultyBand(0.4, 1, 0, 5))
    assert check_blueprint(bp_of(difficulty_bands=overlap)) == [
        "难度区间 [0, 0.5) 与 [0.4, 1] 相互重叠"
    ]
    too_many = (DifficultyBand(0, 0.4, 6, 6), DifficultyBand(0.4, 1, 6, 8))
    assert check_blueprint(bp_of(difficulty_bands=too_many)) == [
        "各难度区间的最少题数合计 12 道，超过了试卷总题量 10 道"
    ]
    too_few = (DifficultyBand(0, 0.4, 0, 4), DifficultyBand(0.4, 1, 0, 4))
    assert check_blueprint(bp_of(difficulty_bands=too_few)) == [
        "难度区间覆盖全部难度，但最多题数合计只有 8 道，少于试卷总题量 10 道"
    ]
    gap = (DifficultyBand(0, 0.3, 0, 4), DifficultyBand(0.4, 1, 0, 4))
    assert check_blueprint(bp_of(difficulty_bands=gap)) == []
    wrong = check_blueprint(
        bp_of(difficulty_bands=(DifficultyBand(0.5, 0.2, 0, 1),), difficulty_mean=1.5)
    )
    assert len(wrong) == 2 and wrong[0].startswith("难度目标 1.5±0.1")


def test_rule_ranges() -> None:
    problems = check_blueprint(bp_of(max_per_point=0, min_x_share=1.5, max_exposure=0))
    assert problems == [
        "每个鉴定点最多题数 0 应至少为 1",
        "X 类鉴定点试题比例 150% 应在 0～100% 之内",
        "试题使用次数上限 0 应至少为 1，统计期 365 天应大于 0",
    ]


# --- check_against_bank -----------------------------------------------------------------------


def test_range_shortage_in_the_users_terms() -> None:
    bp = bp_of(weights=(WeightRule("B-C", 0.5, 0.0),))
    pool = [cand(n, f"B-C-A-{n:03d}") for n in range(1, 4)]
    pool += [cand(n, f"A-A-A-{n:03d}") for n in range(10, 30)]
    assert check_against_bank(bp, pool) == [
        "知识范围 B-C 需要 5 道单选题，已备案题库中只有 3 道（比重 50%±0%，至少 5 分）"
    ]
    set_language("en")
    assert check_against_bank(bp, pool) == [
        "range B-C needs 5 single-choice items; the filed bank has only 3"
        " (weight 50%±0%: at least 5 points)"
    ]


def test_upper_weight_bound_needs_items_outside_the_range() -> None:
    bp = bp_of(weights=(WeightRule("A", 0.2, 0.1),))
    pool = [cand(n, f"A-A-A-{n:03d}") for n in range(1, 20)]
    pool += [cand(n, f"B-A-A-{n:03d}") for n in range(20, 25)]
    assert check_against_bank(bp, pool) == [
        "知识范围 A 以外需要 7 道单选题，已备案题库中只有 5 道（知识范围 A 比重不超过 30%）"
    ]


def test_sections_and_per_point_cap() -> None:
    bp = bp_of(max_per_point=2)
    pool = [cand(n, f"A-A-A-{1 + n % 4:03d}") for n in range(30)]
    assert check_against_bank(bp, pool) == [
        "每份试卷需要 10 道单选题，已备案题库中只有 8 道（每个鉴定点每卷最多 2 道）"
    ]
    enemies = check_against_bank(replace(bp, max_per_point=None, same_point_enemies=True), pool)
    assert enemies == ["每份试卷需要 10 道单选题，已备案题库中只有 4 道（每个鉴定点每卷最多 1 道）"]
    assert check_against_bank(replace(bp, max_per_point=None), pool) == []
    # items without a 鉴定点 are not limited by it
    loose = [cand(n, None) for n in range(30)]
    assert check_against_bank(bp, loose) == []


def test_cap_counts_all_types_together() -> None:
    bp = bp_of(
        total_score=6,
        pass_score=3,
        max_per_point=1,
        sections=(Section("judgement", 3, 1, "判断"), Section("single", 3, 1, "单选")),
    )
    pool = [cand(n, f"A-A-A-{n:03d}", t="judgement") for n in range(1, 5)]
    pool += [cand(n, f"A-A-A-{n - 10:03d}", t="single") for n in range(11, 15)]
    assert check_against_bank(bp, pool) == [
        "每份试卷需要 6 道判断题或单选题，已备案题库中只有 4 道（每个鉴定点每卷最多 1 道）"
    ]


def test_exposure_and_several_papers() -> None:
    bp = bp_of(max_exposure=2)
    pool = [cand(n, f"A-A-A-{n:03d}", exp=2 if n <= 5 else 0) for n in range(1, 21)]
    assert check_against_bank(bp, pool) == []
    assert check_against_bank(bp, pool, papers=2, sibling_share=0.0) == [
        "每份试卷需要 20 道单选题，已备案题库中只有 15 道"
        "（不计已用满 2 次的 5 道试题；2 份试卷合计，每两份之间最多重复 0%）"
    ]
    # 30% of 10 items: 15 distinct items plus 3 shared ones fill at most 18 of 20 slots
    assert check_against_bank(bp, pool, papers=2, sibling_share=0.3) == [
        "每份试卷需要 20 道单选题，已备案题库中只有 18 道"
        "（不计已用满 2 次的 5 道试题；2 份试卷合计，每两份之间最多重复 30%）"
    ]
    assert check_against_bank(bp, pool, papers=2, sibling_share=0.5) == []
    # no overlap limit: each fresh item may serve both papers, up to its exposure
    assert check_against_bank(bp, pool, papers=2) == []
    worn = [replace(c, exposure=max(c.exposure, 1)) for c in pool]
    assert check_against_bank(bp, worn, papers=2) == [
        "每份试卷需要 20 道单选题，已备案题库中只有 15 道"
        "（不计已用满 2 次的 5 道试题；2 份试卷合计）"
    ]


def test_x_share_and_bands() -> None:
    bp = bp_of(min_x_share=0.7, difficulty_bands=(DifficultyBand(0.6, 1, 2, 3),))
    pool = [cand(n, None, imp="X" if n < 5 else "Y", d=0.3) for n in range(20)]
    pool += [cand(99, None, d=1.0)]
    assert check_against_bank(bp, pool) == [
        "X 类鉴定点需要 7 道单选题，已备案题库中只有 6 道（X 类不少于 70%）",
        "难度区间 [0.6, 1] 需要 2 道单选题，已备案题库中只有 1 道",
    ]
    hard = [cand(n, None, d=0.9) for n in range(20)]
    assert check_against_bank(bp_of(difficulty_bands=(DifficultyBand(0.6, 1, 2, 3),)), hard) == [
        "难度区间 [0.6, 1] 以外需要 7 道单选题，已备案题库中只有 0 道（该区间最多 3 道）"
    ]


def test_difficulty_mean_out_of_reach() -> None:
    hard = [cand(n, None, d=0.7 + (n % 3) / 10) for n in range(30)]
    assert check_against_bank(bp_of(difficulty_mean=0.45), hard) == [
        "已备案题库的试题偏难：每份试卷即使全选最容易的试题，平均难度也有 0.7，"
        "高于目标 0.45±0.1 的上限 0.55"
    ]
    easy = [cand(n, None, d=None if n % 2 else 0.1) for n in range(20)]
    assert check_against_bank(bp_of(difficulty_mean=0.7), easy) == [
        "已备案题库的试题偏易：每份试卷即使全选最难的试题，平均难度也只有 0.5，"
        "低于目标 0.7±0.1 的下限 0.6"
    ]
    assert check_against_bank(bp_of(difficulty_mean=0.5), easy) == []


def test_score_weights_when_sections_score_differently() -> None:
    bp = bp_of(
        total_score=20,
        pass_score=12,
        sections=(Section("single", 10, 1, "单选"), Section("multiple", 5, 2, "多选")),
        weights=(WeightRule("B", 0.5, 0.05),),
    )
    pool = [cand(n, f"A-A-A-{n:03d}") for n in range(1, 20)]
    pool += [cand(n, f"A-B-A-{n:03d}", t="multiple") for n in range(20, 30)]
    pool += [cand(n, f"B-A-A-{n:03d}", t="multiple") for n in range(30, 33)]
    pool += [cand(n, f"B-B-A-{n:03d}") for n in range(40, 42)]
    assert check_against_bank(bp, pool) == [
        "知识范围 B 需要至少 9 分的单选题或多选题，已备案题库中最多只能提供 8 分"
        "（比重 50%±5%，至少 9 分）"
    ]


def test_weighed_children_that_cannot_fill_their_parent() -> None:
    weights = (
        WeightRule("B", 0.6, 0.0),
        WeightRule("B-A", 0.2, 0.0),
        WeightRule("B-B", 0.2, 0.1),
    )
    pool = [cand(n, f"B-A-A-{n:03d}") for n in range(1, 20)]
    pool += [cand(n, f"B-B-A-{n:03d}") for n in range(20, 40)]
    pool += [cand(n, f"A-A-A-{n:03d}") for n in range(40, 60)]
    assert check_against_bank(bp_of(weights=weights), pool) == [
        "知识范围 B 的试题全部属于 B-A、B-B，它们的比重上限合计只有 50%，达不到 B 至少 60% 的要求"
    ]
    # a B item outside the weighed children could make up the rest
    extra = [*pool, cand(99, "B-C-A-001")]
    assert check_against_bank(bp_of(weights=weights), extra) == []
    top = (WeightRule("A", 0.2, 0.0), WeightRule("B", 0.6, 0.1))
    assert check_against_bank(bp_of(weights=top), pool) == [
        "题库中的试题全部属于知识范围 A、B，但它们的比重上限合计只有 90%，凑不满整份试卷"
    ]


def test_types_outside_the_blueprint_are_ignored() -> None:
    pool = [cand(n, None, t="judgement") for n in range(30)]
    assert check_against_bank(bp_of(), pool) == ["每份试卷需要 10 道单选题，已备案题库中只有 0 道"]


# --- soundness: a supply message means no paper (or pair of papers) exists ------------------

POINTS = ["A-A-A-001", "A-A-A-002", "A-B-A-001", "B-A-A-001", "B-A-B-001", "B-B-A-001", None]


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[Blueprint, list[Candidate], int, float | None]:
    pool = [
        Candidate(
            n,
            "1",
            draw(st.sampled_from(["judgement", "single"])),
            (code := draw(st.sampled_from(POINTS))),
            ranges_of(code),
            draw(st.sampled_from(["X", "Y", None])),
            draw(st.sampled_from([0.1, 0.3, 0.5, 0.9, None])),
            exposure=draw(st.integers(0, 2)),
        )
        for n in range(draw(st.integers(2, 9)))
    ]
    sections = (
        Section("judgement", draw(st.integers(1, 2)), 1, "判断"),
        Section("single", draw(st.integers(1, 3)), 2, "单选"),
    )
    total = sum(s.count * s.score for s in sections)
    weights = tuple(
        WeightRule(r, draw(st.sampled_from([0.2, 0.4, 0.6])), draw(st.sampled_from([0, 0.2])))
        for r in draw(st.sets(st.sampled_from(["A", "B", "A-A", "B-A"]), max_size=2))
    )
    bands = draw(st.sampled_from([(), (DifficultyBand(0.6, 1, 1, 2),)]))
    bp = Blueprint(
        name="h",
        title="h",
        duration_minutes=10,
        total_score=total,
        pass_score=1,
        sections=sections,
        weights=weights,
        difficulty_mean=draw(st.sampled_from([None, 0.3, 0.6])),
        difficulty_tolerance=0.1,
        difficulty_bands=bands,
        max_per_point=draw(st.sampled_from([None, 1, 2])),
        min_x_share=draw(st.sampled_from([0.0, 0.5])),
        same_point_enemies=draw(st.booleans()),
        max_exposure=draw(st.sampled_from([None, 2, 3])),
    )
    papers = draw(st.integers(1, 2))
    return bp, pool, papers, draw(st.sampled_from([None, 0.0, 0.5]))


def paper_ok(bp: Blueprint, paper: tuple[Candidate, ...]) -> bool:
    """Every blueprint rule, recomputed from the definitions in docs/blueprint-format.md."""
    n = len(paper)
    score = {s.type: s.score for s in bp.sections}
    for rule in bp.weights:
        got = sum(score[c.type] for c in paper if rule.range in c.ranges) / bp.total_score
        if not rule.share - rule.tolerance - 1e-9 <= got <= rule.share + rule.tolerance + 1e-9:
            return False
    diffs = [effective_difficulty(c) for c in paper]
    mean = bp.difficulty_mean
    if mean is not None and abs(sum(diffs) / n - mean) > bp.difficulty_tolerance + 1e-9:
        return False
    for band in bp.difficulty_bands:
        if not band.min_count <= sum(band_contains(band, d) for d in diffs) <= band.max_count:
            return False
    per_point = Counter(c.knowledge_code for c in paper if c.knowledge_code)
    limits = [bp.max_per_point] if bp.max_per_point is not None else []
    limits += [1] if bp.same_point_enemies else []
    if limits and any(v > min(limits) for v in per_point.values()):
        return False
    return sum(c.importance == "X" for c in paper) >= bp.min_x_share * n - 1e-9


def feasible(bp: Blueprint, pool: list[Candidate], papers: int, share: float | None) -> bool:
    usable = [c for c in pool if bp.max_exposure is None or c.exposure < bp.max_exposure]
    by_type = [[c for c in usable if c.type == s.type] for s in bp.sections]
    options = [
        sum(parts, ())
        for parts in itertools.product(
            *(
                itertools.combinations(group, s.count)
                for group, s in zip(by_type, bp.sections, strict=True)
            )
        )
    ]
    good = [p for p in options if paper_ok(bp, p)]
    if papers == 1:
        return bool(good)
    shared_cap = math.floor((1.0 if share is None else share) * bp.item_count + 1e-9)
    for a, b in itertools.product(good, repeat=2):
        common = {c.item_id for c in a} & {c.item_id for c in b}
        if len(common) > shared_cap:
            continue
        if bp.max_exposure is not None and any(
            c.exposure + 2 > bp.max_exposure for c in a if c.item_id in common
        ):
            continue
        return True
    return False


@settings(max_examples=50, deadline=None)
@given(small_cases())
def test_supply_messages_are_proofs(case) -> None:
    bp, pool, papers, share = case
    if check_blueprint(bp):
        return
    if check_against_bank(bp, pool, papers=papers, sibling_share=share):
        assert not feasible(bp, pool, papers, share)
