"""CP-SAT without `cp_model` (issue #12): `qbank.assembly.cpsat` writes the proto exactly as
`ortools.sat.python.cp_model` writes it and solves it the same way, so assembly gives the
same papers without loading pandas."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from ortools.sat.python import cp_model
from test_assemble_paths import _blueprint, _candidates

from qbank.assembly import cpsat
from qbank.assembly.candidates import Caps
from qbank.assembly.inputs import Setup
from qbank.assembly.model import Model
from qbank.assembly.search import SolverSettings, maximize, run
from qbank.assembly.solver import solve
from qbank.blueprint import Section

ROOT = Path(__file__).resolve().parent.parent


class ThroughCpModel:
    """`cpsat.CpModel`'s interface written with `cp_model`'s own calls, as the model was
    built before (`add_linear_constraint` of a weighted sum, `add(expr <= 1)` for the sibling
    booleans, `add_bool_or` of `Not()`s, `only_enforce_if`): the reference."""

    def __init__(self) -> None:
        self.m = cp_model.CpModel()
        self.vars: list[cp_model.IntVar] = []

    @property
    def proto(self) -> cpsat.cmh.CpModelProto:
        return self.m.proto

    def new_bool_var(self, name: str) -> int:
        self.vars.append(self.m.new_bool_var(name))
        return len(self.vars) - 1

    def literal(self, n: int) -> cp_model.LiteralT:
        return self.vars[n] if n >= 0 else self.vars[-n - 1].Not()

    def add_linear(
        self,
        variables: Sequence[int],
        coefficients: Sequence[int],
        low: int,
        high: int,
        enforced_by: int | None = None,
    ) -> None:
        expr = cp_model.LinearExpr.weighted_sum([self.vars[v] for v in variables], coefficients)
        if low == cpsat.INT_MIN:
            ct = self.m.add(expr <= high)
        else:
            ct = self.m.add_linear_constraint(expr, low, high)
        if enforced_by is not None:
            ct.only_enforce_if(self.literal(enforced_by))

    def add_bool_or(self, literals: Iterable[int], enforced_by: int | None = None) -> None:
        ct = self.m.add_bool_or([self.literal(n) for n in literals])
        if enforced_by is not None:
            ct.only_enforce_if(self.literal(enforced_by))

    def add_assumptions(self, literals: Iterable[int]) -> None:
        self.m.add_assumptions([self.vars[n] for n in literals])

    def clear_assumptions(self) -> None:
        self.m.clear_assumptions()


def _both(setup: Setup, diagnose: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Model, Model]:
    ours = Model(setup, diagnose=diagnose)
    with monkeypatch.context() as patched:
        patched.setattr(cpsat, "CpModel", ThroughCpModel)
        theirs = Model(setup, diagnose=diagnose)
    assert isinstance(theirs.m, ThroughCpModel)
    return ours, theirs


@pytest.mark.parametrize("seed", range(8))
def test_the_model_is_the_proto_cp_model_writes(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    candidates = _candidates(rng.randint(60, 400), seed)
    ids = [c.item_id for c in candidates]
    enemies = [tuple(rng.sample(ids, 2)) for _ in range(rng.randint(0, 30))]
    history = [frozenset(rng.sample(ids, 30)) for _ in range(rng.randint(0, 2))]
    caps = Caps(
        sibling_share=rng.choice([0.0, 0.2, 0.3]),
        recent_share=rng.choice([0.2, 0.5]),
        max_exposure=rng.choice([None, 2, 3]),
    )
    bp = _blueprint(
        max_per_point=rng.choice([None, 1, 2]),
        total_score=rng.choice([40, 45.5]),
        difficulty_mean=rng.choice([None, 0.5]),
    )
    scores = {i: rng.choice([1.0, 1.5, 2.0]) for i in ids} if rng.random() < 0.5 else None
    papers = ["A", "B", "C"][: rng.randint(1, 3)]
    setup = Setup(bp, candidates, papers, enemies, history, caps, scores)  # type: ignore[arg-type]
    for diagnose in (False, True):
        ours, theirs = _both(setup, diagnose, monkeypatch)
        assert ours.x == theirs.x and ours.literals == theirs.literals
        for model in (ours, theirs):
            model.track_all()
            model.exclude(setup.usable[0])
            maximize(model, random.Random(seed), SolverSettings())
        if diagnose:
            for model in (ours, theirs):
                model.enable(sorted(model.groups)[::2])
                model.m.add_assumptions(sorted(model.literals.values())[:3])
        assert str(ours.m.proto) == str(theirs.m.proto)
        assert len(ours.m.proto.constraints) > 0


def test_linear_terms_merge_drop_and_sort_as_cp_model_does() -> None:
    rng = random.Random(5)
    ours, theirs = cpsat.CpModel(), ThroughCpModel()
    for name in ("a", "b", "", "d", "e"):
        assert ours.new_bool_var(name) == theirs.new_bool_var(name)
    for _ in range(300):
        size = rng.randint(0, 6)
        variables = [rng.randrange(5) for _ in range(size)]
        coefficients = [rng.randint(-3, 3) for _ in range(size)]
        low = rng.choice([cpsat.INT_MIN, -cpsat.INT_MAX, -2, 0, 3])
        high = rng.choice([cpsat.INT_MAX, 4, 0, 2])
        if low == cpsat.INT_MIN and high == cpsat.INT_MAX:
            continue  # `add(expr <= INT_MAX)` is not a constraint cp_model writes
        enforced = rng.choice([None, 0, 3, -2])
        for model in (ours, theirs):
            model.add_linear(variables, coefficients, low, high, enforced)
        literals = [rng.choice([1, -1]) * rng.randrange(1, 5) for _ in range(rng.randint(0, 3))]
        enforced = rng.choice([None, 2]) if not literals else None
        for model in (ours, theirs):
            model.add_bool_or(literals, enforced)
    assert str(ours.proto) == str(theirs.proto)


def test_objective_is_written_as_cp_model_writes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    candidates = _candidates(400, 1)
    caps = Caps(sibling_share=0.3, recent_share=0.3, max_exposure=None)
    setup = Setup(_blueprint(), candidates, ["A", "B"], [(1, 2), (3, 9)], [], caps, None)
    ours, theirs = _both(setup, False, monkeypatch)
    assert isinstance(theirs.m, ThroughCpModel)
    ours.exclude(setup.usable[3])
    theirs.exclude(setup.usable[3])
    settings = SolverSettings()
    for round_seed in (5, 6):  # a second objective replaces the first
        maximize(ours, random.Random(round_seed), settings)
        rng = random.Random(round_seed)
        variables = [theirs.m.vars[v] for xs in theirs.x for v in xs.values()]
        coefs = [rng.randint(1, settings.weight_range) for _ in variables]
        theirs.m.m.maximize(cp_model.LinearExpr.weighted_sum(variables, coefs))
        assert str(ours.m.proto) == str(theirs.m.proto)


@pytest.mark.parametrize("mode", ["lp", "ls"])
def test_a_solve_is_cp_model_solvers(mode: str) -> None:
    """The same proto and parameters through `cp_model.CpSolver` give the same response."""
    candidates = _candidates(300, 4)
    caps = Caps(sibling_share=0.3, recent_share=0.3, max_exposure=None)
    setup = Setup(_blueprint(), candidates, ["A", "B"], [(1, 2)], [], caps, None)
    model = Model(setup, diagnose=False)
    maximize(model, random.Random(3), SolverSettings())
    status, response, first = run(model, SolverSettings(), 11, 60.0, mode=mode)  # type: ignore[arg-type]
    assert status in (cpsat.OPTIMAL, cpsat.FEASIBLE) and first is not None
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = 1
    params.random_seed = 11
    params.max_time_in_seconds = 60.0
    params.cp_model_presolve = False
    params.max_deterministic_time = SolverSettings().lp_budget
    if mode == "lp":
        params.relative_gap_limit = SolverSettings().gap
    else:
        params.use_ls_only = True
        params.max_deterministic_time = SolverSettings().ls_budget
    reference = cp_model.CpModel()
    reference.proto.copy_from(model.m.proto)
    assert solver.solve(reference) == status
    assert list(solver.response_proto.solution) == list(response.solution)
    assert solver.objective_value == response.objective_value


def test_infeasible_runs_name_the_assumptions_cp_model_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    candidates = _candidates(120, 2)
    caps = Caps(sibling_share=0.3, recent_share=0.3, max_exposure=None)
    judgement = sum(1 for c in candidates if c.type == "judgement")
    sections = (Section("judgement", judgement + 1, 1, "判断题"),)  # one more than there are
    bp = _blueprint(sections=sections, total_score=judgement + 1, weights=())
    setup = Setup(bp, candidates, ["A"], [], [], caps, None)
    result = solve(bp, candidates, papers=["A"], seed=1, caps=caps)
    assert result.status == "infeasible" and result.conflicts
    ours, theirs = _both(setup, True, monkeypatch)
    status, response, _ = run(ours, SolverSettings(), 1, 30.0, mode="assume",
                              assumptions=list(ours.groups))  # fmt: skip
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.cp_model_presolve = False
    theirs.m.m.add_assumptions([theirs.m.vars[ours.literals[k]] for k in ours.groups])
    assert status == cpsat.INFEASIBLE == solver.solve(theirs.m.m)
    assert cpsat.sufficient_assumptions(response)
    assert set(cpsat.sufficient_assumptions(response)) <= set(ours.literals.values())


def test_solving_loads_no_pandas() -> None:
    code = (
        "import sys\n"
        "from qbank.assembly.solver import solve\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'ortools')"
        " and 'cp_model' in m))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "['ortools.sat.python.cp_model_helper']"
    code = "import sys\nimport qbank.assembly.solver\nprint('pandas' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "False"
