"""The CP-SAT paper assembler on synthetic pools, every paper re-checked by code written here."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.assembly.candidates import Candidate, Caps, ranges_of
from qbank.assembly.conflicts import Conflict, Fact, Requirement, conflict_text
from qbank.assembly.solver import Paper, SolveResult, SolverSettings, solve
from qbank.blueprint import Blueprint, DifficultyBand, Section, WeightRule

ROOT = Path(__file__).resolve().parent.parent
LEAVES = ("A-A-A", "A-B-A", "B-A-A", "B-A-B", "B-B-A", "B-C-A")
CAPS = Caps(sibling_share=0.3, recent_share=0.3, max_exposure=None)
FIVE = SolverSettings(time_limit=5)
TWO = SolverSettings(time_limit=2)


def make_pool(
    size: int,
    seed: int = 0,
    *,
    types: Sequence[tuple[str, int]] = (("judgement", 3), ("single", 5), ("multiple", 2)),
    per_point: int = 3,
    exposure: bool = False,
    unknown_difficulty: float = 0.05,
) -> list[Candidate]:
    """A bank-like pool: points under LEAVES, mostly X, difficulties on the 0.1…0.9 scale."""
    rng = random.Random(seed)
    names = [t for t, _ in types]
    weights = [w for _, w in types]
    out = []
    for n in range(size):
        point = n // per_point
        code = f"{LEAVES[point % len(LEAVES)]}-{point + 1:03d}"
        item_type = rng.choices(names, weights)[0]
        difficulty = rng.choice((0.1, 0.3, 0.3, 0.5, 0.5, 0.5, 0.7, 0.7, 0.9))
        if rng.random() < unknown_difficulty:
            difficulty = None
        out.append(
            Candidate(
                item_id=1000 + n,
                version=f"v{n}",
                type=item_type,
                knowledge_code=code,
                ranges=ranges_of(code),
                importance=rng.choices(("X", "Y", "Z"), (8, 1.5, 0.5))[0],
                difficulty=difficulty,
                exposure=rng.choice((0, 0, 1, 2)) if exposure else 0,
                option_letters=() if item_type == "judgement" else tuple("ABCD"),
            )
        )
    return out


def blueprint(**changes: object) -> Blueprint:
    """判断 4×1 + 单选 8×1 + 多选 2×2 = 16 points, with every kind of rule."""
    values: dict[str, object] = {
        "name": "test",
        "title": "测试试卷",
        "duration_minutes": 90,
        "total_score": 16,
        "pass_score": 10,
        "sections": (
            Section("judgement", 4, 1, "判断题"),
            Section("single", 8, 1, "单项选择题"),
            Section("multiple", 2, 2, "多项选择题"),
        ),
        "weights": (WeightRule("A", 0.25, 0.1), WeightRule("B", 0.75, 0.1)),
        "difficulty_mean": 0.5,
        "difficulty_tolerance": 0.1,
        "difficulty_bands": (DifficultyBand(0, 0.4, 2, 8), DifficultyBand(0.4, 1, 4, 12)),
        "max_per_point": 2,
        "min_x_share": 0.5,
    }
    values.update(changes)
    return Blueprint(**values)  # type: ignore[arg-type]


# --- the independent check ---------------------------------------------------------------------


def violations(
    result: SolveResult,
    bp: Blueprint,
    pool: Sequence[Candidate],
    *,
    caps: Caps = CAPS,
    enemies: Sequence[tuple[int, int]] = (),
    history: Sequence[frozenset[int]] = (),
    scores: Mapping[int, float] | None = None,
) -> list[str]:
    """Every rule the papers break, computed from the definitions (nothing from the solver)."""
    by_id = {c.item_id: c for c in pool}
    section_score = {s.type: s.score for s in bp.sections}

    def score(i: int) -> float:
        return scores[i] if scores and i in scores else section_score[by_id[i].type]

    def difficulty(i: int) -> float:
        d = by_id[i].difficulty
        return 0.5 if d is None else d

    near: dict[int, set[int]] = {}
    for a, b in enemies:
        near.setdefault(a, set()).add(b)
        near.setdefault(b, set()).add(a)
    out = []
    for paper in result.papers:
        items = paper.item_ids
        name = paper.code
        if len(set(items)) != len(items):
            out.append(f"{name}: duplicate item")
        if any(i not in by_id for i in items):
            out.append(f"{name}: unknown item")
            continue
        # sections in blueprint order
        expected = [s.type for s in bp.sections for _ in range(s.count)]
        if [by_id[i].type for i in items] != expected:
            out.append(f"{name}: section order or counts")
        total = sum(score(i) for i in items)
        for rule in bp.weights:
            share = sum(score(i) for i in items if rule.range in by_id[i].ranges) / total
            if abs(share - rule.share) > rule.tolerance + 1e-9:
                out.append(f"{name}: weight {rule.range} {share:.3f}")
        if bp.difficulty_mean is not None:
            mean = sum(difficulty(i) for i in items) / len(items)
            if abs(mean - bp.difficulty_mean) > bp.difficulty_tolerance + 1e-9:
                out.append(f"{name}: difficulty mean {mean:.3f}")
        for band in bp.difficulty_bands:
            count = sum(
                1
                for i in items
                if band.low <= difficulty(i) < band.high or (band.high == 1 and difficulty(i) == 1)
            )
            if not band.min_count <= count <= band.max_count:
                out.append(f"{name}: band {band.low}-{band.high} has {count}")
        cap = bp.max_per_point
        if bp.same_point_enemies:
            cap = 1 if cap is None else min(cap, 1)
        if cap is not None:
            per_point = Counter(by_id[i].knowledge_code for i in items)
            out += [f"{name}: point {k} ×{n}" for k, n in per_point.items() if n > cap]
        x_share = sum(1 for i in items if by_id[i].importance == "X") / len(items)
        if x_share < bp.min_x_share - 1e-9:
            out.append(f"{name}: X share {x_share:.2f}")
        inside = set(items)
        for a in items:
            if near.get(a, set()) & inside:
                out.append(f"{name}: near-duplicates with {a}")
        for n, old in enumerate(history):
            out += overlap(f"{name}~H{n}", items, sorted(old), caps.recent_share, score, near)
    for k, p in enumerate(result.papers):
        for q in result.papers[k + 1 :]:
            out += overlap(
                f"{p.code}/{q.code}", p.item_ids, q.item_ids, caps.sibling_share, score, near
            )
    limits = [m for m in (caps.max_exposure, bp.max_exposure) if m is not None]
    if limits:
        uses = Counter(i for p in result.papers for i in p.item_ids)
        out += [f"exposure {i}" for i, n in uses.items() if by_id[i].exposure + n > min(limits)]
    return out


def overlap(
    name: str,
    a: Sequence[int],
    b: Sequence[int],
    cap: float,
    score: Callable[[int], float],
    near: Mapping[int, set[int]],
) -> list[str]:
    """Items of one paper in the other or near-duplicating one there, both ways, vs the cap."""
    out = []
    for mine, other in ((a, b), (b, a)):
        there = set(other)
        shared = [i for i in mine if i in there or near.get(i, set()) & there]
        points = sum(score(i) for i in shared)
        smaller = min(len(a), len(b))
        smaller_score = min(sum(score(i) for i in a), sum(score(i) for i in b))
        if len(shared) > math.floor(cap * smaller + 1e-9) or points > cap * smaller_score + 1e-9:
            out.append(f"{name}: {len(shared)} shared ({points} points)")
    return out


def items_of(result: SolveResult) -> list[tuple[int, ...]]:
    return [p.item_ids for p in result.papers]


# --- feasible runs ------------------------------------------------------------------------------


def test_one_paper_meets_every_rule() -> None:
    # demanding on every rule, so that no rule holds by luck: harder than the pool's mean,
    # more of A than the pool has, nearly all X, one item per point
    pool = make_pool(200, seed=1)
    bp = blueprint(
        weights=(WeightRule("A", 0.45, 0.05), WeightRule("B-A", 0.3, 0.05)),
        difficulty_mean=0.62,
        difficulty_tolerance=0.03,
        difficulty_bands=(DifficultyBand(0, 0.4, 1, 3), DifficultyBand(0.4, 1, 11, 13)),
        max_per_point=1,
        min_x_share=0.95,
    )
    for seed in range(3):
        result = solve(bp, pool, papers=["A"], seed=seed, caps=CAPS, settings=FIVE)
        assert result.status == "ok", result.conflicts
        assert result.seed == seed and result.conflicts == []
        assert len(result.papers) == 1 and len(result.papers[0].item_ids) == 14
        assert violations(result, bp, pool) == []
        assert result.stats.wall_time > 0
        assert result.stats.first_solution is not None and result.stats.first_solution > 0


def test_same_seed_same_papers_other_seed_other_papers() -> None:
    pool = make_pool(150, seed=2)
    bp = blueprint()
    runs = [
        solve(bp, pool, papers=["A", "B"], seed=s, caps=CAPS, settings=FIVE) for s in (11, 11, 12)
    ]
    assert all(r.status == "ok" for r in runs)
    assert items_of(runs[0]) == items_of(runs[1])
    assert runs[0].papers[0].option_orders == runs[1].papers[0].option_orders
    assert items_of(runs[0]) != items_of(runs[2])
    # the order candidates come in (e.g. from the database) changes nothing
    shuffled = list(pool)
    random.Random(5).shuffle(shuffled)
    again = solve(bp, shuffled, papers=["A", "B"], seed=11, caps=CAPS, settings=FIVE)
    assert items_of(again) == items_of(runs[0])


def test_same_papers_in_another_process() -> None:
    """What an auditor re-running the seed gets: other hash seed, other process, same papers."""
    script = (
        "import json, sys; sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r});"
        "from test_solver import CAPS, blueprint, make_pool;"
        "from qbank.assembly.solver import solve;"
        "r = solve(blueprint(), make_pool(150, seed=2), papers=['A', 'B'], seed=11, caps=CAPS);"
        "print(json.dumps([[p.item_ids, sorted(p.option_orders.items())] for p in r.papers]))"
    ).format(root=str(ROOT), tests=str(ROOT / "tests"))
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    here = solve(blueprint(), make_pool(150, seed=2), papers=["A", "B"], seed=11, caps=CAPS)
    expected = [
        [list(p.item_ids), [[k, list(v)] for k, v in sorted(p.option_orders.items())]]
        for p in here.papers
    ]
    assert len(outputs) == 1 and json.loads(outputs.pop()) == expected


def test_paper_order_and_option_orders() -> None:
    pool = make_pool(150, seed=3)
    bp = blueprint()
    result = solve(bp, pool, papers=["A", "B"], seed=3, caps=CAPS, settings=FIVE)
    by_id = {c.item_id: c for c in pool}
    for paper in result.papers:
        assert isinstance(paper, Paper)
        types = [by_id[i].type for i in paper.item_ids]
        assert types == ["judgement"] * 4 + ["single"] * 8 + ["multiple"] * 2
        choice = [i for i in paper.item_ids if by_id[i].type != "judgement"]
        assert sorted(paper.option_orders) == sorted(choice)
        for item, order in paper.option_orders.items():
            assert sorted(order) == sorted(by_id[item].option_letters)
    # shuffled, not sorted: within a section the ids are not in ascending order somewhere
    singles = [[i for i in p.item_ids if by_id[i].type == "single"] for p in result.papers]
    assert any(s != sorted(s) for s in singles)
    orders = [o for p in result.papers for o in p.option_orders.values()]
    assert any(o != ("A", "B", "C", "D") for o in orders)


def typed_pool(judgement: int, single: int, multiple: int) -> list[Candidate]:
    """Exactly so many items of each type, each on its own point, all alike otherwise."""
    out = []
    for item_type, k in (("judgement", judgement), ("single", single), ("multiple", multiple)):
        for _ in range(k):
            n = len(out)
            code = f"B-A-A-{n:03d}"
            letters = () if item_type == "judgement" else tuple("ABCD")
            out.append(
                Candidate(2000 + n, f"v{n}", item_type, code, ranges_of(code), "X", 0.5, 0, letters)
            )
    return out


@pytest.mark.parametrize("one_by_one", [True, False])
@pytest.mark.parametrize(("count", "sizes"), [(2, (6, 12, 3)), (3, (7, 14, 4)), (4, (8, 16, 4))])
def test_sibling_cap_holds_when_it_binds(
    count: int, sizes: tuple[int, int, int], one_by_one: bool
) -> None:
    """Both strategies: each paper against the earlier ones, and all papers in one model."""
    settings = SolverSettings(time_limit=5, one_by_one=one_by_one)
    # so few items that papers must share: 2 papers from (6, 12, 3) share at least 2 + 4 + 1
    # = 7 items of 14 and 8 points of 16, exactly the 50% cap
    pool = typed_pool(*sizes)
    bp = blueprint(
        weights=(), difficulty_mean=None, difficulty_bands=(), max_per_point=None, min_x_share=0
    )
    caps = Caps(sibling_share=0.5, recent_share=0.3, max_exposure=None)
    codes = [chr(65 + k) for k in range(count)]
    for seed in range(3):
        result = solve(bp, pool, papers=codes, seed=seed, caps=caps, settings=settings)
        assert result.status == "ok", result.conflicts
        assert result.stats.strategy == ("one_by_one" if one_by_one else "joint")
        assert violations(result, bp, pool, caps=caps) == []
        # the cap is what keeps them apart: without it the same seed shares more
        loose = solve(bp, pool, papers=codes, seed=seed, caps=Caps(1, 1, None), settings=settings)
        assert violations(loose, bp, pool, caps=caps)


def test_near_duplicates_never_share_a_paper_and_count_between_siblings() -> None:
    pool = make_pool(120, seed=5)
    ids = [c.item_id for c in pool]
    # clusters of three near-duplicates: every item has two
    enemies = [(a, b) for k in range(0, 120, 3) for a, b in combinations(ids[k : k + 3], 2)]
    bp = blueprint()
    caps = Caps(sibling_share=0.2, recent_share=0.3, max_exposure=None)
    for seed in range(3):
        result = solve(
            bp, pool, papers=["A", "B", "C"], seed=seed, enemies=enemies, caps=caps, settings=FIVE
        )
        assert result.status == "ok", result.conflicts
        assert violations(result, bp, pool, caps=caps, enemies=enemies) == []
    # without them, the same runs put near-duplicates together or share too much
    free = [solve(bp, pool, papers=["A", "B", "C"], seed=s, caps=caps) for s in range(3)]
    assert any(violations(r, bp, pool, caps=caps, enemies=enemies) for r in free)


def test_recent_papers_cap_and_exposure() -> None:
    pool = make_pool(140, seed=6, exposure=True)
    bp = blueprint(max_exposure=2)
    ids = [c.item_id for c in pool]
    history = [frozenset(ids[:60]), frozenset(ids[40:100]), frozenset(ids[::3])]
    caps = Caps(sibling_share=0.3, recent_share=0.2, max_exposure=3)
    result = solve(bp, pool, papers=["A", "B"], seed=6, history=history, caps=caps, settings=FIVE)
    assert result.status == "ok", result.conflicts
    assert violations(result, bp, pool, caps=caps, history=history) == []
    used = {i for p in result.papers for i in p.item_ids}
    worn = {c.item_id for c in pool if c.exposure >= 2}
    assert worn and not used & worn


def test_history_near_duplicates_count_even_for_items_no_longer_filed() -> None:
    pool = make_pool(120, seed=7)
    # an old paper of items 1…40, gone from the bank, each with a near-duplicate in the pool
    old = frozenset(range(1, 41))
    enemies = [(k, pool[3 * (k - 1)].item_id) for k in old]
    twins = {b for _, b in enemies}
    caps = Caps(sibling_share=0.3, recent_share=0.0, max_exposure=None)
    for seed in range(2):
        result = solve(
            blueprint(), pool, papers=["A"], seed=seed, enemies=enemies, history=[old], caps=caps
        )
        assert result.status == "ok", result.conflicts
        assert not twins & set(result.papers[0].item_ids)


def test_scores_other_than_the_section_score() -> None:
    pool = make_pool(150, seed=8)
    rng = random.Random(8)
    scores = {c.item_id: rng.choice((1.0, 1.5)) if c.type == "single" else 1.0 for c in pool}
    scores.update({c.item_id: 2.0 for c in pool if c.type == "multiple"})
    bp = blueprint(weights=(WeightRule("A", 0.3, 0.05), WeightRule("B-A", 0.3, 0.05)))
    result = solve(bp, pool, papers=["A", "B"], seed=8, caps=CAPS, scores=scores, settings=FIVE)
    assert result.status == "ok", result.conflicts
    assert violations(result, bp, pool, scores=scores) == []
    totals = {sum(scores[i] for i in p.item_ids) for p in result.papers}
    assert totals != {16.0}  # the variable-total path really ran


def test_unknown_difficulty_counts_as_half_and_is_said() -> None:
    pool = make_pool(120, seed=9, unknown_difficulty=0.5)
    bp = blueprint(difficulty_mean=0.56, difficulty_tolerance=0.02)
    result = solve(bp, pool, papers=["A"], seed=9, caps=CAPS, settings=FIVE)
    assert result.status == "ok"
    unknown = sum(1 for c in pool if c.difficulty is None)
    assert unknown and result.stats.unknown_difficulty == unknown
    assert violations(result, bp, pool) == []  # which counts them as 0.5


def test_lazy_sibling_pairs_and_local_search() -> None:
    pool = make_pool(60, seed=4, per_point=6, unknown_difficulty=0)
    bp = blueprint(max_per_point=None, difficulty_bands=(), min_x_share=0)
    codes = ["A", "B", "C", "D"]
    # the joint model, always, and sibling pairs only once a solution breaks their cap
    joint = SolverSettings(time_limit=5, one_by_one=False, track_all_below=0)
    lazy = solve(bp, pool, papers=codes, seed=1, caps=CAPS, settings=joint)
    assert lazy.status == "ok", lazy.conflicts
    assert lazy.stats.strategy == "joint"
    assert lazy.stats.iterations > 1 and lazy.stats.tracked_pairs > 0
    assert violations(lazy, bp, pool) == []
    local_only = replace(joint, lp_budget=0.0, ls_budget=0.5)
    local = solve(bp, pool, papers=codes, seed=1, caps=CAPS, settings=local_only)
    assert local.status == "ok", local.conflicts
    assert local.stats.search == "ls"
    assert violations(local, bp, pool) == []


# --- infeasible runs ----------------------------------------------------------------------------


def test_too_few_items_of_a_type() -> None:
    pool = make_pool(120, seed=10)
    singles = [c for c in pool if c.type == "single"][:5]
    pool = [c for c in pool if c.type != "single"] + singles
    points = Counter(c.knowledge_code for c in singles)
    most = sum(min(2, n) for n in points.values())
    result = solve(blueprint(), pool, papers=["A", "B"], seed=1, caps=CAPS, settings=FIVE)
    assert result.status == "infeasible"
    assert result.papers == []
    supply = {"usable": 5, "points": len(points), "most": most}
    assert result.conflicts == [
        Conflict(
            "unmet",
            (Requirement("section", "single", {"count": 8}),),
            (Fact("supply", "type", "single", supply),),
        )
    ]
    # the one check of this message's words
    assert [conflict_text(c) for c in result.conflicts] == [
        f"无法满足“每份试卷 8 道单选题”（可用的单选题共 5 道，分布在 {len(points)} 个鉴定点，"
        f"每卷至多可选 {most} 道）"
    ]


def test_weight_against_per_point_cap() -> None:
    # 6 points under B-A, 12 items each: one item per point cannot make 70% of the score
    pool = make_pool(240, seed=12, per_point=12)
    bp = blueprint(weights=(WeightRule("B-A", 0.75, 0.05),), max_per_point=1)
    result = solve(bp, pool, papers=["A"], seed=1, caps=CAPS, settings=FIVE)
    assert result.status == "infeasible" and result.papers == []
    [conflict] = result.conflicts
    assert conflict.kind == "conflict"
    assert sorted(conflict.kinds) == ["per_point", "weight"]
    weight = next(r for r in conflict.requirements if r.kind == "weight")
    assert weight.subject == "B-A" and dict(weight.figures) == {"share": 0.75, "tolerance": 0.05}
    cap = next(r for r in conflict.requirements if r.kind == "per_point")
    assert dict(cap.figures) == {"cap": 1}
    supply = Fact("supply", "range", "B-A", {"usable": 72, "points": 6, "most": 6})
    assert supply in conflict.facts
    # two items per point are enough
    ok = solve(replace(bp, max_per_point=2), pool, papers=["A"], seed=1, caps=CAPS, settings=FIVE)
    assert ok.status == "ok"
    assert violations(ok, replace(bp, max_per_point=2), pool) == []


def test_siblings_against_difficulty() -> None:
    # exactly one paper's worth of hard items (0.9); everything else easy (0.1): a mean of
    # at least 0.7 takes 11 hard items of 14, so two papers share at least 8 of them
    pool = []
    for n, c in enumerate(make_pool(120, seed=13)):
        section = {"judgement": 4, "single": 8, "multiple": 2}[c.type]
        hard = sum(1 for d in pool if d.type == c.type and d.difficulty == 0.9) < section
        pool.append(replace(c, difficulty=0.9 if hard else 0.1, knowledge_code=f"B-A-A-{n:03d}"))
    bp = blueprint(difficulty_mean=0.75, difficulty_tolerance=0.05, difficulty_bands=(), weights=())
    one = solve(bp, pool, papers=["A"], seed=1, caps=CAPS, settings=FIVE)
    assert one.status == "ok", one.conflicts
    assert violations(one, bp, pool) == []
    two = solve(bp, pool, papers=["A", "B"], seed=1, caps=CAPS, settings=FIVE)
    assert two.status == "infeasible" and two.papers == []
    [conflict] = two.conflicts
    assert conflict.kind == "conflict" and conflict.kinds == ("difficulty_mean", "siblings")
    mean, siblings = conflict.requirements
    assert dict(mean.figures) == {"mean": 0.75, "tolerance": 0.05}
    assert siblings.subject == "A/B" and dict(siblings.figures) == {"share": 0.3, "count": 4}
    [fact] = conflict.facts
    assert fact.kind == "difficulty"
    assert fact.figures["low"] == pytest.approx(0.1) and fact.figures["high"] == pytest.approx(0.9)
    # the one check of this message's words
    assert conflict_text(conflict) == (
        "“平均难度 0.75±0.05”与“A/B 卷之间重复不超过 30%（每两卷至多 4 道）”不能同时满足"
        "（可用试题组成的试卷平均难度最低 0.1、最高 0.9）"
    )
    loose = solve(bp, pool, papers=["A", "B"], seed=1, caps=Caps(0.8, 0.3, None), settings=FIVE)
    assert loose.status == "ok"


def test_time_limit_gives_timeout_and_no_papers() -> None:
    result = solve(
        blueprint(),
        make_pool(120),
        papers=["A"],
        seed=1,
        caps=CAPS,
        settings=SolverSettings(time_limit=0),
    )
    assert result.status == "timeout" and result.papers == []
    assert result.conflicts == [Conflict("timeout", figures={"seconds": 0})]


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(20, 90),
    pool_seed=st.integers(0, 1000),
    seed=st.integers(0, 2**40),
    papers=st.integers(1, 3),
    share=st.sampled_from([0.1, 0.3, 0.5]),
    mean=st.sampled_from([None, 0.3, 0.5, 0.7]),
)
def test_never_a_partial_or_broken_paper(
    size: int, pool_seed: int, seed: int, papers: int, share: float, mean: float | None
) -> None:
    pool = make_pool(size, seed=pool_seed)
    ids = [c.item_id for c in pool]
    enemies = list(zip(ids[::7], ids[3::7], strict=False))
    bp = blueprint(difficulty_mean=mean)
    caps = Caps(share, 0.3, None)
    codes = [chr(65 + k) for k in range(papers)]
    result = solve(bp, pool, papers=codes, seed=seed, enemies=enemies, caps=caps, settings=TWO)
    if result.status == "ok":
        assert [p.code for p in result.papers] == codes
        assert violations(result, bp, pool, caps=caps, enemies=enemies) == []
    else:
        assert result.papers == [] and result.conflicts


# --- pools (one by one) -------------------------------------------------------------------------

SLOW = SolverSettings(
    time_limit=60
)  # every stop deterministic; the clock only guards a loaded machine


def test_each_paper_is_searched_in_a_pool_of_its_candidates() -> None:
    pool = make_pool(3000, seed=21)
    bp = blueprint()
    codes = ["A", "B", "C", "D", "E"]
    result = solve(bp, pool, papers=codes, seed=3, caps=CAPS, settings=SLOW)
    assert result.status == "ok", result.conflicts
    assert violations(result, bp, pool) == []
    assert result.stats.strategy == "one_by_one" and result.stats.iterations == len(codes)
    # 8 items a section slot (4 + 8 + 2 slots), not 3,000
    assert result.stats.variables == 8 * 14
    whole = solve(bp, pool, papers=codes, seed=3, caps=CAPS, settings=replace(SLOW, pool=0))
    assert whole.status == "ok" and whole.stats.variables == 3000
    assert violations(whole, bp, pool) == []
    # items used up by earlier papers stay out of later ones, in pools and in every item's model
    worn = make_pool(600, seed=23, exposure=True)
    caps = Caps(sibling_share=0.3, recent_share=0.3, max_exposure=2)
    for size in (8, 0):
        settings = replace(SLOW, pool=size)
        used = solve(bp, worn, papers=codes, seed=4, caps=caps, settings=settings)
        assert used.status == "ok", used.conflicts
        assert violations(used, bp, worn, caps=caps) == []


def test_a_pool_without_a_paper_gives_way_to_a_larger_one_then_to_every_item() -> None:
    # 30 X items among 3,000: a random pool of 112 holds about one, a paper needs 7 (50%)
    pool = [
        replace(c, importance="X" if n % 100 == 0 else "Y") for n, c in enumerate(make_pool(3000))
    ]
    bp = blueprint(max_per_point=None)
    result = solve(bp, pool, papers=["A", "B"], seed=5, caps=CAPS, settings=SLOW)
    assert result.status == "ok", result.conflicts
    assert violations(result, bp, pool) == []
    assert result.stats.iterations > 2  # the pools of at least one paper failed first
    # too few X items for two papers: only the joint model over every item says so, with the
    # same diagnosis as without pools. 9 X items of 1,200: each paper alone has its 7 (of 14),
    # two sharing at most 4 items need 10
    few = [
        replace(c, importance="X" if n % 134 == 0 else "Y") for n, c in enumerate(make_pool(1200))
    ]
    slow = replace(SLOW, time_limit=120)  # the diagnosis is not cut short by the clock
    pooled = solve(bp, few, papers=["A", "B"], seed=5, caps=CAPS, settings=slow)
    whole = solve(bp, few, papers=["A", "B"], seed=5, caps=CAPS, settings=replace(slow, pool=0))
    assert pooled.status == whole.status == "infeasible"
    assert pooled.conflicts == whole.conflicts
    assert [c.kinds for c in pooled.conflicts] == [("x_share", "siblings")]


def test_pooled_papers_are_the_same_in_another_process() -> None:
    """Ten papers from 3,000 items, pools and all: two fresh processes with other hash seeds
    print byte-identical papers."""
    script = (
        "import json, sys; sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r});"
        "from test_solver import CAPS, blueprint, make_pool;"
        "from qbank.assembly.solver import solve;"
        "r = solve(blueprint(), make_pool(3000, seed=22), papers=list('ABCDEFGHIJ'), seed=7,"
        " caps=CAPS);"
        "print(r.status, r.stats.variables);"
        "print(json.dumps([[p.code, p.item_ids, sorted(p.option_orders.items())] for p in r.papers]))"
    ).format(root=str(ROOT), tests=str(ROOT / "tests"))
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    status, papers = outputs.pop().split("\n", 1)
    assert status == "ok 112"
    assert len(json.loads(papers)) == 10
