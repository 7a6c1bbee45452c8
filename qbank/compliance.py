"""Bank compliance: the rules a bank must meet before it can be filed (报备).

Each rule reports its value, its limit and the clause the limit comes from (the policy's
source), so `qbank bank check` reads as the regulator's checklist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank.model import Bank, ItemVersion, KnowledgeNode
from qbank.overlap.checks import check_practical, check_theory
from qbank.overlap.document import OverlapReport
from qbank.policy import Policy
from qbank.queries import current_items
from qbank.review import status

WEIGHT_TOLERANCE = 1e-6
SOURCE_REVIEW = "湘人社鉴函〔2022〕1号 二（七）：所有试题须通过专家审核并向属地鉴定中心报备"
SOURCE_TREE = "国家职业技能标准 鉴定要素细目表：同级鉴定比重之和等于上级鉴定比重"
SOURCE_X = "鉴定要素细目表：X（核心要素）鉴定点须有试题覆盖"


@dataclass(frozen=True)
class Rule:
    rule: str
    ok: bool
    value: float | str
    limit: float | str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Compliance:
    rules: list[Rule]
    reports: dict[str, OverlapReport] = field(default_factory=dict)

    @property
    def compliant(self) -> bool:
        return all(r.ok for r in self.rules)

    def as_dict(self) -> dict[str, Any]:
        return {"compliant": self.compliant, "rules": [r.as_dict() for r in self.rules]}


def tree_problems(nodes: list[KnowledgeNode]) -> list[str]:
    """Ranges whose children's weights do not add up to their own (level 1: to 100)."""
    children: dict[str | None, list[KnowledgeNode]] = defaultdict(list)
    for node in nodes:
        if node.importance is None:  # ranges carry weights, points do not
            children[node.parent_code].append(node)
    weights = {n.code: n.weight for n in nodes}
    bad = []
    for parent, kids in children.items():
        expected = 100.0 if parent is None else weights.get(parent)
        total = sum(k.weight or 0.0 for k in kids)
        if expected is not None and abs(total - expected) > WEIGHT_TOLERANCE:
            bad.append(parent or "(一级)")
    return sorted(bad)


def check_bank(session: Session, bank: Bank, policy: Policy, *, actor: str) -> Compliance:
    """Evaluate every filing rule of `bank` under `policy` (writes tokens/signatures only)."""
    state = status(session, bank)
    theory = check_theory(session, bank, policy, actor=actor)
    practical = check_practical(session, bank, policy, actor=actor)
    unapproved = (
        state.items["draft"]
        + state.items["rejected"]
        + state.sets["draft"]
        + state.sets["rejected"]
    )

    nodes: list[KnowledgeNode] = []
    if bank.tree_version_id is not None:
        nodes = list(
            session.scalars(
                select(KnowledgeNode).where(KnowledgeNode.tree_version_id == bank.tree_version_id)
            )
        )
    bad_ranges = tree_problems(nodes)
    covered = set(
        session.scalars(
            current_items(bank.id)
            .with_only_columns(ItemVersion.knowledge_code)
            .where(ItemVersion.status == "approved")
        )
    )
    uncovered = sorted(n.code for n in nodes if n.importance == "X" and n.code not in covered)

    rules = [
        Rule(
            "min_theory_items",
            state.items["approved"] >= policy.min_theory_items.value,
            state.items["approved"],
            policy.min_theory_items.value,
            policy.min_theory_items.source,
        ),
        Rule(
            "min_practical_sets",
            state.sets["approved"] >= policy.min_practical_sets.value,
            state.sets["approved"],
            policy.min_practical_sets.value,
            policy.min_practical_sets.source,
        ),
        Rule(
            "theory_repetition",
            theory.verdict == "pass",
            theory.rate,
            policy.max_repetition.value,
            policy.max_repetition.source,
        ),
        Rule(
            "practical_pair_repetition",
            practical.verdict == "pass",
            practical.rate,
            policy.max_practical_pair_share.value,
            policy.max_practical_pair_share.source,
        ),
        Rule("no_unapproved_content", unapproved == 0, unapproved, 0, SOURCE_REVIEW),
        Rule(
            "knowledge_tree",
            bool(nodes) and not bad_ranges,
            "、".join(bad_ranges) if bad_ranges else ("ok" if nodes else "missing"),
            "ok",
            SOURCE_TREE,
        ),
        Rule("x_points_covered", bool(nodes) and not uncovered, len(uncovered), 0, SOURCE_X),
    ]
    return Compliance(rules, {"theory": theory, "practical": practical})
