"""Paper assembly benchmark: the CP-SAT solver side by side with a randomized greedy baseline.

    python benchmarks/assembly.py [--items 5000] [--seeds 5] [--time-limit 10] [--json]

Builds a synthetic filed bank shaped like the electrician sample (samples/build.py TOP): the
level-2 ranges A-A … B-D sized by their weights, 3-6 level-3 ranges each, 鉴定点 with 2-9 items,
importance X/Y/Z 60/30/10 per point, types 判断/单选/多选 in the sample's proportions,
difficulty on the sample's five-step scale (易 … 难, mostly 较易/中等) with a fifth of the items
calibrated (continuous), some without; 30% of the items already used 1-3 times, 3% planted
near-duplicate pairs (enemies), and six recent papers (three batches of A/B) as history.

The blueprint uses every rule: 判断 20×0.5 + 单选 70×1 + 多选 10×2 (100 items, 100 points),
weights on both tree levels (±5%), mean difficulty 0.45±0.1 and five bands, at most 2 items
per 鉴定点, at least 70% X items, at most 3 uses per item. Scenarios: one paper, and ten
sibling papers with pairwise overlap <= 30% (count and score), each under the policy's 30%
recent-paper cap, and the ten papers again under a tight blueprint (level-2 weights ±2%, mean
difficulty ±0.03) that random picks rarely fit.

For each scenario and seed: the solver (qbank.assembly.solver.solve) and the baseline (per
section, items in random order, taking each one that keeps every upper bound — per-point cap,
enemies, exposure, range weight maxima, band maxima, the non-X allowance, sibling and history
overlap — then the whole run judged by the validator; retried with a new shuffle until it
passes, the retries run out or the time limit is reached). Every result is counted by the
independent validator (qbank.assembly.validate). Targets (issue 5): one paper < 1 s, ten
papers < 10 s, 100% of the solver's papers pass the validator.

Prints one table; `--json` prints the figures instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qbank.assembly.candidates import Candidate, Caps, ranges_of  # noqa: E402
from qbank.assembly.validate import Violation, validate_papers  # noqa: E402
from qbank.blueprint import Blueprint, DifficultyBand, Section, WeightRule  # noqa: E402

LEVEL2 = [("A-A", 5), ("A-B", 20), ("B-A", 25), ("B-B", 20), ("B-C", 20), ("B-D", 10)]
TYPES = [("judgement", 162), ("single", 350), ("multiple", 85)]  # the sample bank's counts
STEPS = [(0.1, 89), (0.3, 263), (0.5, 194), (0.7, 45), (0.9, 6)]  # 易 较易 中等 较难 难
IMPORTANCE = [("X", 60), ("Y", 30), ("Z", 10)]
PAPER_CODES = "ABCDEFGHIJ"
TARGETS = {"1 paper": 1.0, "10 papers": 10.0}

BLUEPRINT = Blueprint(
    name="bench-full",
    title="基准测试卷",
    duration_minutes=90,
    total_score=100,
    pass_score=60,
    sections=(
        Section("judgement", 20, 0.5, "判断题"),
        Section("single", 70, 1, "单项选择题"),
        Section("multiple", 10, 2, "多项选择题"),
    ),
    weights=(
        WeightRule("A", 0.25, 0.05),
        WeightRule("A-A", 0.05, 0.05),
        WeightRule("A-B", 0.20, 0.05),
        WeightRule("B", 0.75, 0.05),
        WeightRule("B-A", 0.25, 0.05),
        WeightRule("B-B", 0.20, 0.05),
        WeightRule("B-C", 0.20, 0.05),
        WeightRule("B-D", 0.10, 0.05),
    ),
    difficulty_mean=0.45,
    difficulty_tolerance=0.1,
    difficulty_bands=(
        DifficultyBand(0.0, 0.2, 5, 30),
        DifficultyBand(0.2, 0.4, 15, 50),
        DifficultyBand(0.4, 0.6, 20, 50),
        DifficultyBand(0.6, 0.8, 5, 30),
        DifficultyBand(0.8, 1.0, 0, 5),
    ),
    max_per_point=2,
    min_x_share=0.7,
    max_exposure=3,
)
TIGHT = replace(
    BLUEPRINT,
    name="bench-tight",
    weights=tuple(
        replace(w, tolerance=0.05 if "-" not in w.range else 0.02) for w in BLUEPRINT.weights
    ),
    difficulty_tolerance=0.03,
)
CAPS = Caps(sibling_share=0.30, recent_share=0.30, max_exposure=3)


@dataclass
class Bank:
    candidates: list[Candidate]
    enemies: list[tuple[int, int]]
    history: list[frozenset[int]]

    def describe(self) -> dict[str, Any]:
        c = self.candidates
        known = [x.difficulty for x in c if x.difficulty is not None]
        return {
            "items": len(c),
            "points": len({x.knowledge_code for x in c}),
            "types": dict(Counter(x.type for x in c)),
            "x_share": round(sum(x.importance == "X" for x in c) / len(c), 3),
            "mean_difficulty": round(statistics.fmean(known), 3),
            "without_difficulty": sum(x.difficulty is None for x in c),
            "used_before": sum(x.exposure > 0 for x in c),
            "at_max_exposure": sum(x.exposure >= (CAPS.max_exposure or 99) for x in c),
            "enemy_pairs": len(self.enemies),
            "history_papers": len(self.history),
        }


def _pick(rng: random.Random, table: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def make_bank(items: int, seed: int = 20240601) -> Bank:
    """The synthetic filed bank (deterministic for `items` and `seed`)."""
    rng = random.Random(seed)
    sizes = [weight * rng.uniform(0.85, 1.15) for _, weight in LEVEL2]
    quotas = [round(items * w / sum(sizes)) for w in sizes]
    quotas[-1] = items - sum(quotas[:-1])
    candidates: list[Candidate] = []
    points: dict[str, list[int]] = {}
    for (code, _), quota in zip(LEVEL2, quotas, strict=True):
        subs = [f"{code}-{chr(65 + k)}" for k in range(rng.randint(3, 6))]
        n = 0
        while n < quota:
            sub = rng.choice(subs)
            point = f"{sub}-{len([p for p in points if p.startswith(sub)]) + 1:03d}"
            importance = _pick(rng, IMPORTANCE)
            for _ in range(min(rng.randint(2, 9), quota - n)):
                item_id = len(candidates) + 1
                if rng.random() < 0.03:
                    difficulty = None
                elif rng.random() < 0.2:
                    difficulty = round(min(max(rng.gauss(0.42, 0.18), 0.02), 0.98), 2)
                else:
                    difficulty = _pick(rng, STEPS)
                item_type = _pick(rng, TYPES)
                used = rng.random()
                exposure = 0 if used > 0.3 else 1 if used > 0.1 else 2 if used > 0.02 else 3
                letters = () if item_type == "judgement" else ("A", "B", "C", "D")
                candidates.append(
                    Candidate(
                        item_id=item_id,
                        version=f"{item_id:08x}",
                        type=item_type,
                        knowledge_code=point,
                        ranges=ranges_of(point),
                        importance=importance,
                        difficulty=difficulty,
                        exposure=exposure,
                        option_letters=letters,
                    )
                )
                points.setdefault(point, []).append(item_id)
                n += 1
    enemies: set[tuple[int, int]] = set()
    for ids in points.values():
        for item_id in ids:
            if len(ids) > 1 and rng.random() < 0.03:
                other = rng.choice([i for i in ids if i != item_id])
                enemies.add((min(item_id, other), max(item_id, other)))
    used = [c.item_id for c in candidates if c.exposure > 0]
    history = [frozenset(rng.sample(used, BLUEPRINT.item_count)) for _ in range(6)]
    return Bank(candidates, sorted(enemies), history)


def section_scores(bp: Blueprint, candidates: Sequence[Candidate]) -> dict[int, float]:
    by_type = {s.type: s.score for s in bp.sections}
    return {c.item_id: by_type.get(c.type, 0.0) for c in candidates}


# --- the baseline ----------------------------------------------------------------------------


@dataclass
class _Run:
    """State of one greedy attempt across the papers of the run."""

    bp: Blueprint
    caps: Caps
    scores: dict[int, float]
    enemy: dict[int, set[int]]
    history: list[frozenset[int]]
    uses: Counter[int] = field(default_factory=Counter)
    papers: list[list[int]] = field(default_factory=list)

    def shared(self, item: int, other: set[int] | frozenset[int]) -> bool:
        return item in other or not self.enemy.get(item, set()).isdisjoint(other)


def _greedy_paper(run: _Run, pool: dict[str, list[Candidate]], rng: random.Random) -> list[int]:
    """One paper taking random items that keep every upper bound; [] at a dead end."""
    bp, caps, scores = run.bp, run.caps, run.scores
    n = bp.item_count
    cap = min(c for c in (bp.max_per_point, 1 if bp.same_point_enemies else None, n) if c)
    limit = min(m for m in (caps.max_exposure, bp.max_exposure, 10**9) if m is not None)
    range_max = {r.range: (r.share + r.tolerance) * bp.total_score + 1e-9 for r in bp.weights}
    non_x_max = math.floor((1 - bp.min_x_share) * n + 1e-9)
    others = [set(p) for p in run.papers] + list(run.history)
    shares = [caps.sibling_share] * len(run.papers) + [caps.recent_share] * len(run.history)
    other_max = [
        (math.floor(s * n + 1e-9), s * bp.total_score + 1e-9)
        for s in shares  # every paper here has the blueprint's size and score
    ]
    shared = [[0, 0.0] for _ in others]
    chosen: set[int] = set()
    per_point: Counter[str] = Counter()
    in_range: Counter[str] = Counter()
    in_band: Counter[int] = Counter()
    non_x = 0
    paper: list[int] = []
    for section in bp.sections:
        items = pool[section.type][:]
        rng.shuffle(items)
        taken = 0
        for c in items:
            if taken == section.count:
                break
            i, score = c.item_id, scores[c.item_id]
            d = 0.5 if c.difficulty is None else c.difficulty
            band = next(
                (
                    k
                    for k, b in enumerate(bp.difficulty_bands)
                    if b.low <= d < b.high or (b.high >= 1 and d >= 1)
                ),
                None,
            )
            hits = [k for k, o in enumerate(others) if run.shared(i, o)]
            if (
                i in chosen
                or c.exposure + run.uses[i] >= limit
                or (c.knowledge_code and per_point[c.knowledge_code] >= cap)
                or not run.enemy.get(i, set()).isdisjoint(chosen)
                or any(in_range[r] + score > range_max[r] for r in c.ranges if r in range_max)
                or (c.importance != "X" and non_x >= non_x_max)
                or (band is not None and in_band[band] >= bp.difficulty_bands[band].max_count)
                or any(
                    shared[k][0] + 1 > other_max[k][0] or shared[k][1] + score > other_max[k][1]
                    for k in hits
                )
            ):
                continue
            chosen.add(i)
            paper.append(i)
            taken += 1
            if c.knowledge_code:
                per_point[c.knowledge_code] += 1
            for r in c.ranges:
                in_range[r] += score
            if band is not None:
                in_band[band] += 1
            non_x += c.importance != "X"
            for k in hits:
                shared[k][0] += 1
                shared[k][1] += score
        if taken < section.count:
            return []
    return paper


@dataclass
class Outcome:
    ok: bool
    seconds: float
    first: float | None
    violations: int
    rules: dict[str, int]
    attempts: int = 1
    status: str = ""


def greedy(
    bank: Bank,
    bp: Blueprint,
    codes: Sequence[str],
    *,
    seed: int,
    caps: Caps,
    time_limit: float,
    retries: int,
) -> Outcome:
    """The randomized greedy-with-retries baseline; failure reports its best attempt."""
    start = time.perf_counter()
    rng = random.Random(seed)
    scores = section_scores(bp, bank.candidates)
    by_id = {c.item_id: c for c in bank.candidates}
    enemy: dict[int, set[int]] = {}
    for a, b in bank.enemies:
        enemy.setdefault(a, set()).add(b)
        enemy.setdefault(b, set()).add(a)
    pool = {s.type: [c for c in bank.candidates if c.type == s.type] for s in bp.sections}
    best: list[Violation] | None = None
    attempt = 0
    while attempt < retries and time.perf_counter() - start < time_limit:
        attempt += 1
        run = _Run(bp, caps, scores, enemy, bank.history)
        for _ in codes:
            paper = _greedy_paper(run, pool, rng)
            if not paper:
                break
            run.papers.append(paper)
            run.uses.update(paper)
        else:
            found = validate_papers(
                list(zip(codes, run.papers, strict=True)),
                bp,
                by_id,
                filed=set(by_id),
                enemies=bank.enemies,
                history=bank.history,
                caps=caps,
                scores=scores,
            )
            if not found:
                seconds = time.perf_counter() - start
                return Outcome(True, seconds, seconds, 0, {}, attempt, "ok")
            if best is None or len(found) < len(best):
                best = found
    seconds = time.perf_counter() - start
    if best is None:
        return Outcome(False, seconds, None, 0, {}, attempt, "dead end")
    rules = dict(Counter(v.rule for v in best))
    return Outcome(False, seconds, None, len(best), rules, attempt, "violations")


# --- the solver --------------------------------------------------------------------------------

_FIRST_KEYS = (
    "first_solve",
    "time_to_first_solution",
    "time_to_first",
    "first_solution_time",
    "first_solution_seconds",
    "first_solution",
    "first_feasible",
)


def _first_time(stats: dict[str, Any]) -> float | None:
    for key in _FIRST_KEYS:
        value = stats.get(key)
        if isinstance(value, int | float):
            return float(value)
    return None


def solver(
    bank: Bank,
    bp: Blueprint,
    codes: Sequence[str],
    *,
    seed: int,
    caps: Caps,
    time_limit: float,
    workers: int,
) -> tuple[Outcome, Any]:
    from qbank.assembly.solver import SolverSettings, solve

    scores = section_scores(bp, bank.candidates)
    start = time.perf_counter()
    result = solve(
        bp,
        bank.candidates,
        papers=list(codes),
        seed=seed,
        enemies=bank.enemies,
        history=bank.history,
        caps=caps,
        scores=scores,
        settings=SolverSettings(time_limit=time_limit, workers=workers),
    )
    seconds = time.perf_counter() - start
    by_id = {c.item_id: c for c in bank.candidates}
    found = validate_papers(
        [(p.code, p.item_ids) for p in result.papers],
        bp,
        by_id,
        filed=set(by_id),
        enemies=bank.enemies,
        history=bank.history,
        caps=caps,
        scores=scores,
    )
    ok = result.status == "ok" and len(result.papers) == len(codes) and not found
    first = _first_time(asdict(result.stats)) if result.status == "ok" else None
    rules = dict(Counter(v.rule for v in found))
    return Outcome(ok, seconds, first, len(found), rules, 1, result.status), result


# --- running and reporting -----------------------------------------------------------------


def _summary(outcomes: list[Outcome]) -> dict[str, Any]:
    def spread(values: list[float]) -> dict[str, float] | None:
        if not values:
            return None
        return {"median": statistics.median(values), "max": max(values)}

    rules: Counter[str] = Counter()
    for o in outcomes:
        rules.update(o.rules)
    return {
        "runs": len(outcomes),
        "success": sum(o.ok for o in outcomes),
        "first_feasible_s": spread([o.first for o in outcomes if o.first is not None]),
        "end_s": spread([o.seconds for o in outcomes]),
        "violations": sum(o.violations for o in outcomes),
        "violated_rules": dict(rules),
        "attempts": spread([float(o.attempts) for o in outcomes]),
        "status": dict(Counter(o.status for o in outcomes)),
    }


def run(args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    t = time.perf_counter()
    bank = make_bank(args.items)
    built = time.perf_counter() - t
    solver_ready = (ROOT / "qbank" / "assembly" / "solver.py").exists()
    out: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "bank": bank.describe() | {"build_s": round(built, 3)},
        "blueprint": {
            "items": BLUEPRINT.item_count,
            "score": BLUEPRINT.total_score,
            "weights": len(BLUEPRINT.weights),
            "bands": len(BLUEPRINT.difficulty_bands),
        },
        "caps": {"sibling": CAPS.sibling_share, "recent": CAPS.recent_share},
        "settings": {
            "seeds": args.seeds,
            "time_limit_s": args.time_limit,
            "greedy_retries": args.retries,
            "workers": args.workers,
        },
        "scenarios": {},
    }
    if not solver_ready:
        out["note"] = "qbank/assembly/solver.py does not exist yet: baseline only"
    scenarios = [
        ("1 paper", BLUEPRINT, 1),
        ("10 papers", BLUEPRINT, args.papers),
        ("10 tight", TIGHT, args.papers),
    ]
    for name, bp, count in scenarios:
        codes = list(PAPER_CODES[:count]) if count <= 10 else [f"P{k}" for k in range(count)]
        rows: dict[str, Any] = {}
        if solver_ready:
            outcomes = []
            same: bool | None = None
            stats: dict[str, float] = {}
            for seed in range(1, args.seeds + 1):
                outcome, result = solver(
                    bank,
                    bp,
                    codes,
                    seed=seed,
                    caps=CAPS,
                    time_limit=args.time_limit,
                    workers=args.workers,
                )
                outcomes.append(outcome)
                log(f"{name} solver seed {seed}: {outcome.status} {outcome.seconds:.2f}s")
                if seed == 1:
                    _, again = solver(
                        bank,
                        bp,
                        codes,
                        seed=seed,
                        caps=CAPS,
                        time_limit=args.time_limit,
                        workers=args.workers,
                    )
                    same = [p.item_ids for p in again.papers] == [p.item_ids for p in result.papers]
                    stats = {
                        k: v for k, v in asdict(result.stats).items() if isinstance(v, int | float)
                    }
            rows["cp-sat"] = _summary(outcomes) | {"deterministic": same, "stats_seed1": stats}
        outcomes = []
        for seed in range(1, args.seeds + 1):
            outcome = greedy(
                bank,
                bp,
                codes,
                seed=seed,
                caps=CAPS,
                time_limit=args.time_limit,
                retries=args.retries,
            )
            outcomes.append(outcome)
            log(f"{name} greedy seed {seed}: {outcome.status} {outcome.seconds:.2f}s")
        rows["greedy"] = _summary(outcomes)
        out["scenarios"][name] = rows
    return out


def _fmt(spread: dict[str, float] | None) -> str:
    return "-" if spread is None else f"{spread['median']:.2f} / {spread['max']:.2f}"


def table(out: dict[str, Any]) -> str:
    b = out["bank"]
    lines = [
        f"bank: {b['items']} filed items, {b['points']} 鉴定点, X share {b['x_share']}, "
        f"mean difficulty {b['mean_difficulty']}, {b['enemy_pairs']} enemy pairs, "
        f"{b['used_before']} used before ({b['at_max_exposure']} at the limit), "
        f"{b['history_papers']} recent papers",
        f"blueprint: {out['blueprint']['items']} items / {out['blueprint']['score']:g} points, "
        f"{out['blueprint']['weights']} weight rules, {out['blueprint']['bands']} bands; "
        f"caps sibling {out['caps']['sibling']:.0%}, recent {out['caps']['recent']:.0%}; "
        f"{out['settings']['seeds']} seeds, time limit {out['settings']['time_limit_s']:g} s, "
        f"greedy ≤ {out['settings']['greedy_retries']} attempts",
    ]
    if "note" in out:
        lines.append(f"note: {out['note']}")
    header = (
        f"{'scenario':<10} {'method':<7} {'success':>8} {'first s med/max':>16} "
        f"{'end s med/max':>14} {'viol.':>6} {'attempts':>9}  target"
    )
    lines += ["", header, "-" * len(header)]
    for name, rows in out["scenarios"].items():
        for method, s in rows.items():
            target = TARGETS.get(name)
            verdict = ""
            if method == "cp-sat" and target is not None and s["end_s"]:
                passed = s["end_s"]["max"] < target and s["success"] == s["runs"]
                verdict = f"< {target:g} s, 100% valid: {'met' if passed else 'MISSED'}"
                if not s.get("deterministic", True):
                    verdict += " (NOT deterministic)"
            attempts = "-" if method == "cp-sat" else f"{s['attempts']['median']:.0f}"
            lines.append(
                f"{name:<10} {method:<7} {s['success']:>4}/{s['runs']:<3} "
                f"{_fmt(s['first_feasible_s']):>16} {_fmt(s['end_s']):>14} "
                f"{s['violations']:>6} {attempts:>9}  {verdict}"
            )
            if s["violated_rules"]:
                rules = ", ".join(f"{k} {v}" for k, v in sorted(s["violated_rules"].items()))
                lines.append(f"{'':<19}violations of failed runs' best attempts: {rules}")
    lines.append("")
    lines.append(
        "first s: time to the first feasible solution (solver: its own statistic; greedy: the "
        "passing attempt); end s: wall time of the call; viol.: validator violations."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000, help="filed items in the bank")
    parser.add_argument("--papers", type=int, default=10, help="sibling papers (2nd scenario)")
    parser.add_argument("--seeds", type=int, default=5, help="runs per scenario and method")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--retries", type=int, default=1000, help="greedy attempts per run")
    parser.add_argument("--workers", type=int, default=1, help="solver workers")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    out = run(args, log)
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else table(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
