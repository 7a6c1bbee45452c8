"""Knowledge-point trees (鉴定要素细目表): stored per bank as immutable versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.canonical import content_id
from qbank.db import lock_bank
from qbank.errors import ImportRejected
from qbank.model import Bank, ItemVersion, KnowledgeNode, TreeVersion
from qbank.queries import current_items
from qbank.records import Problem, ProblemList, TreeNode


def tree_content(nodes: Sequence[TreeNode]) -> list[dict[str, Any]]:
    return [
        {
            "code": n.code,
            "parent": n.parent,
            "name": n.name,
            "weight": n.weight,
            "importance": n.importance.value if n.importance else None,
        }
        for n in nodes
    ]


@dataclass
class TreeImportSummary:
    ranges: int
    points: int
    unchanged: bool
    version: str
    items_outside_tree: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def import_tree(
    session: Session,
    bank: Bank,
    nodes: Sequence[TreeNode],
    *,
    source: str,
    actor: str,
    parse_problems: Sequence[Problem] = (),
    dry_run: bool = False,
) -> TreeImportSummary:
    """Make `nodes` the bank's current tree (a new version unless identical), all or nothing.

    Side effects: writes a tree version, its nodes and an audit event (not when `dry_run`).
    """
    if parse_problems:
        raise ImportRejected(source, ProblemList(parse_problems))
    lock_bank(session, bank.id)  # one import at a time per bank
    sha = content_id(tree_content(nodes))
    points = {n.code for n in nodes if n.importance is not None}
    existing = session.scalar(
        select(TreeVersion).where(TreeVersion.bank_id == bank.id, TreeVersion.sha256 == sha)
    )
    unchanged = existing is not None and existing.id == bank.tree_version_id
    if not dry_run and not unchanged:
        if existing is None:
            existing = TreeVersion(bank_id=bank.id, sha256=sha, created_by=actor)
            session.add(existing)
            session.flush()
            session.add_all(
                KnowledgeNode(
                    tree_version_id=existing.id,
                    position=i,
                    code=n.code,
                    parent_code=n.parent,
                    name=n.name,
                    weight=n.weight,
                    importance=n.importance.value if n.importance else None,
                )
                for i, n in enumerate(nodes)
            )
        bank.tree_version_id = existing.id
        audit.record(
            session,
            actor=actor,
            action="import_tree",
            entity="bank",
            entity_id=bank.id,
            bank_id=bank.id,
            file=source,
            version=sha,
        )
    codes = session.scalars(
        current_items(bank.id).with_only_columns(ItemVersion.knowledge_code)
    ).all()
    outside = sum(1 for code in codes if code and code not in points)
    return TreeImportSummary(
        ranges=len(nodes) - len(points),
        points=len(points),
        unchanged=unchanged,
        version=sha,
        items_outside_tree=outside,
    )


def current_tree(session: Session, bank: Bank) -> list[KnowledgeNode]:
    if bank.tree_version_id is None:
        return []
    return list(
        session.scalars(
            select(KnowledgeNode)
            .where(KnowledgeNode.tree_version_id == bank.tree_version_id)
            .order_by(KnowledgeNode.position)
        )
    )
