"""CP-SAT through the core that `ortools.sat.python.cp_model` wraps, without loading pandas.

`cp_model` imports pandas (and numpy) at module top for its `pd.Series` helpers, which
assembly never uses: a third of a second of every `qbank assemble` on a quiet machine, well
over a second under load. CP-SAT's input is its own `CpModelProto` (the solver's documented
model format, `cp_model.proto`); its core, `cp_model_helper`, holds that proto, the
parameters, the response and the `SolveWrapper` that `cp_model.CpSolver.solve` calls. This
module writes the proto exactly as `cp_model.CpModel` writes it for the constraints assembly
uses (the tests compare the two, constraint by constraint) and solves it with the same
wrapper, so the same model, parameters and seed give the same solutions.

A literal is a variable's index, or `negated(index)` (-index - 1) for its negation: the
proto's own encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ortools.sat.python import cp_model_helper as cmh

INT_MIN = -(2**63)  # cp_model.INT_MIN
INT_MAX = 2**63 - 1  # cp_model.INT_MAX

Status = cmh.CpSolverStatus
Response = cmh.CpSolverResponse

UNKNOWN = Status.UNKNOWN
MODEL_INVALID = Status.MODEL_INVALID
FEASIBLE = Status.FEASIBLE
INFEASIBLE = Status.INFEASIBLE
OPTIMAL = Status.OPTIMAL

__all__ = [
    "FEASIBLE",
    "INFEASIBLE",
    "INT_MAX",
    "INT_MIN",
    "MODEL_INVALID",
    "OPTIMAL",
    "UNKNOWN",
    "CpModel",
    "negated",
    "new_parameters",
    "solve",
    "sufficient_assumptions",
]


def negated(literal: int) -> int:
    """The negation of a literal (`cp_model`'s `x.Not()`, as the proto encodes it)."""
    return -literal - 1


class CpModel:
    """A CpModelProto being written: boolean variables, linear constraints and clauses, each
    optionally enforced by one literal; assumptions; the proto itself (`proto`)."""

    def __init__(self) -> None:
        self.proto: Any = cmh.CpModelProto()
        self._variables = 0

    def new_bool_var(self, name: str) -> int:
        """A 0-1 variable (`cp_model.CpModel.new_bool_var`); returns its index."""
        variable = self.proto.variables.add()
        if name:
            variable.name = name
        variable.domain.extend((0, 1))
        self._variables += 1
        return self._variables - 1

    def add_linear(
        self,
        variables: Sequence[int],
        coefficients: Sequence[int],
        low: int,
        high: int,
        enforced_by: int | None = None,
    ) -> None:
        """low <= Σ coefficient·variable <= high, written as `cp_model` writes
        `add_linear_constraint(LinearExpr.weighted_sum(variables, coefficients), low, high)`
        (or `add(expression <= high)` with low = INT_MIN): a variable given twice is merged
        into one term, terms whose coefficient sums to 0 are dropped, the rest in index order;
        an empty range (low > high) has no domain, and without terms no linear part."""
        merged: dict[int, int] = {}
        for variable, coefficient in zip(variables, coefficients, strict=True):
            merged[variable] = merged.get(variable, 0) + coefficient
        constraint = self.proto.constraints.add()
        if enforced_by is not None:
            constraint.enforcement_literal.append(enforced_by)
        kept = sorted(v for v, c in merged.items() if c)
        if not kept and low > high:
            return  # no term and an empty range: cp_model writes no linear part either
        linear = constraint.linear
        linear.vars.extend(kept)
        linear.coeffs.extend([merged[v] for v in kept])
        if low <= high:
            linear.domain.extend((low, high))

    def add_bool_or(self, literals: Iterable[int], enforced_by: int | None = None) -> None:
        """At least one of `literals` (none: a constraint no assignment meets)."""
        constraint = self.proto.constraints.add()
        if enforced_by is not None:
            constraint.enforcement_literal.append(enforced_by)
        constraint.bool_or.literals.extend(list(literals))  # present even when empty

    def add_assumptions(self, literals: Iterable[int]) -> None:
        self.proto.assumptions.extend(list(literals))

    def clear_assumptions(self) -> None:
        self.proto.assumptions.clear()


def new_parameters() -> Any:
    """Default CP-SAT parameters (`cp_model.CpSolver().parameters`), to be set by the caller."""
    return cmh.SatParameters()


class _Callback(cmh.SolutionCallback):
    """Calls `on_solution` at each solution (`cp_model.CpSolverSolutionCallback`)."""

    def __init__(self, on_solution: Callable[[], None]) -> None:
        cmh.SolutionCallback.__init__(self)
        self.on_solution = on_solution

    def OnSolutionCallback(self) -> None:  # the name the solver calls
        self.on_solution()


def solve(
    model: CpModel, parameters: Any, on_solution: Callable[[], None] | None = None
) -> Response:
    """Solve `model` under `parameters` (`cp_model.CpSolver.solve`): the solver's response,
    whose `status`, `solution`, `objective_value`, `deterministic_time` and `wall_time` say
    what it found. `on_solution` is called at each solution found."""
    wrapper = cmh.SolveWrapper()
    wrapper.set_parameters(parameters)
    callback = _Callback(on_solution) if on_solution is not None else None
    if callback is not None:
        wrapper.add_solution_callback(callback)
    response: Response = wrapper.solve(model.proto)  # type: ignore[no-untyped-call]
    if callback is not None:
        wrapper.clear_solution_callback(callback)
    return response


def sufficient_assumptions(response: Response) -> list[int]:
    """The assumption literals that sufficed to prove the model infeasible."""
    return list(cmh.ResponseHelper.sufficient_assumptions_for_infeasibility(response))
