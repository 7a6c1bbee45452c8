"""Overlap checks of stored banks: build the units of a scope, run it, store the report.

Also the reviewer's adjudication of flagged pairs, and the re-verification of a report from
the stored versions it names (or from an items file, for a regulator without our database).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qbank import audit
from qbank.bank import find_bank
from qbank.canonical import canonical_bytes, content_id
from qbank.content import verified_item_content, verified_set_content
from qbank.errors import InvalidInput, NotFound
from qbank.items import item_content
from qbank.keys import Signer
from qbank.model import (
    Adjudication,
    Bank,
    Item,
    ItemVersion,
    OverlapReport,
    Person,
    PracticalSet,
    PracticalSetVersion,
)
from qbank.overlap.fingerprints import TextUnit, ensure_signatures, ensure_tokens
from qbank.overlap.pairs import cross_duplicates
from qbank.overlap.report import (
    Adjudications,
    Context,
    FigureCheck,
    ShownItem,
    Unit,
    compare,
    finish,
    practical_report,
    reference_report,
    theory_report,
)
from qbank.people import public_key_raw, require_role
from qbank.policy import Policy, policy_from_dict
from qbank.records import ItemRecord
from qbank.review import SelfReview
from qbank.text.normalize import format_answer
from qbank.text.tokens import Tokenizer, default_tokenizer, tokenize_many

Progress = Callable[[int], None] | None


def _context(policy: Policy, tokenizer: Tokenizer, actor: str) -> Context:
    return Context(
        policy=policy,
        tokenizer={**tokenizer.identity.as_dict(), "key": tokenizer.identity.key},
        generated_by=actor,
    )


def _bank_scope(bank: Bank) -> dict[str, Any]:
    return {"occupation": bank.occupation.code, "level": bank.level}


def _units(
    session: Session,
    texts: Sequence[TextUnit],
    meta: Sequence[dict[str, Any]],
    policy: Policy,
    tokenizer: Tokenizer,
    progress: Progress,
) -> list[Unit]:
    """Units with stored (or newly stored) tokens and signatures."""
    tokens = ensure_tokens(session, texts, tokenizer=tokenizer, progress=progress)
    ensure_signatures(
        session,
        texts,
        tokens,
        num_perm=int(policy.num_perm.value),
        seed=int(policy.seed.value),
        tokenizer=tokenizer,
    )
    return [
        Unit(tokens=tuple(t), text_key=text.folded_key, **m)
        for text, t, m in zip(texts, tokens, meta, strict=True)
    ]


def _item_rows(session: Session, bank: Bank) -> list[tuple[Item, ItemVersion]]:
    return list(
        session.execute(
            select(Item, ItemVersion)
            .join(ItemVersion, Item.current_version_id == ItemVersion.id)
            .where(Item.bank_id == bank.id, Item.deleted_at.is_(None))
            .order_by(Item.id)
        )
    )


def _item_units(
    session: Session,
    rows: Sequence[tuple[Item, ItemVersion]],
    policy: Policy,
    tokenizer: Tokenizer,
    progress: Progress = None,
    *,
    consequence: str = "overlap",
) -> list[Unit]:
    """Units of item versions, from their verified content (ContentTampered otherwise)."""
    contents = [verified_item_content(v, guid=i.guid, consequence=consequence) for i, v in rows]
    texts = [TextUnit(c.stem, tuple(c.options.values())) for c in contents]
    meta = [
        {"id": c.item_id, "version": c.version, "guid": c.guid, "score": c.score or 1.0}
        for c in contents
    ]
    return _units(session, texts, meta, policy, tokenizer, progress)


def _practical_units(
    session: Session,
    versions: Sequence[PracticalSetVersion],
    codes: dict[int, str],
    policy: Policy,
    tokenizer: Tokenizer,
    *,
    consequence: str = "overlap",
    real_codes: bool = True,
) -> list[Unit]:
    """Task units of set versions, from their verified content (loaded task rows compared
    with it; ContentTampered otherwise). `real_codes`: `codes` are the sets' codes."""
    texts, meta = [], []
    for version in versions:
        code = codes[version.set_id]
        content = verified_set_content(
            version, code=code if real_codes else None, consequence=consequence
        )
        for task in content["tasks"]:
            texts.append(TextUnit(task["title"], (task["requirements"],)))
            meta.append(
                {
                    "id": f"{code}#{task['number']}",
                    "version": f"{version.sha256}#{task['number']}",
                    "score": task["score"],
                    "group": code,
                }
            )
    return _units(session, texts, meta, policy, tokenizer, None)


def _current_sets(session: Session, bank: Bank) -> tuple[list[PracticalSetVersion], dict[int, str]]:
    rows = session.execute(
        select(PracticalSet, PracticalSetVersion)
        .join(PracticalSetVersion, PracticalSet.current_version_id == PracticalSetVersion.id)
        .where(PracticalSet.bank_id == bank.id, PracticalSet.deleted_at.is_(None))
        .order_by(PracticalSet.code)
        .options(selectinload(PracticalSetVersion.tasks))
    )
    versions, codes = [], {}
    for practical_set, version in rows:
        versions.append(version)
        codes[practical_set.id] = practical_set.code
    return versions, codes


def adjudications(session: Session, bank: Bank) -> Adjudications:
    marks = Adjudications()
    for mark in session.scalars(select(Adjudication).where(Adjudication.bank_id == bank.id)):
        marks.marks[(mark.version_a, mark.version_b)] = {
            "reviewer": mark.reviewer,
            "reason": mark.reason,
        }
    return marks


def check_theory(
    session: Session,
    bank: Bank,
    policy: Policy,
    *,
    actor: str,
    tokenizer: Tokenizer | None = None,
    progress: Progress = None,
) -> dict[str, Any]:
    """Repetition within one bank's theory items (the 30% rule). Writes tokens/signatures."""
    tok = tokenizer or default_tokenizer()
    units = _item_units(session, _item_rows(session, bank), policy, tok, progress)
    report = theory_report(
        units, _context(policy, tok, actor), _bank_scope(bank), adjudications(session, bank)
    )
    return finish(report, actor)


def check_practical(
    session: Session, bank: Bank, policy: Policy, *, actor: str, tokenizer: Tokenizer | None = None
) -> dict[str, Any]:
    """Pairwise repetition between the practical sets of one bank."""
    tok = tokenizer or default_tokenizer()
    versions, codes = _current_sets(session, bank)
    units = _practical_units(session, versions, codes, policy, tok)
    return finish(practical_report(units, _context(policy, tok, actor), _bank_scope(bank)), actor)


def check_practical_levels(
    session: Session, bank: Bank, policy: Policy, *, actor: str, tokenizer: Tokenizer | None = None
) -> dict[str, Any]:
    """This bank's practical tasks against the other levels' tasks of the same occupation."""
    tok = tokenizer or default_tokenizer()
    versions, codes = _current_sets(session, bank)
    units = _practical_units(session, versions, codes, policy, tok)
    others: list[Unit] = []
    levels = []
    for other in session.scalars(
        select(Bank)
        .where(Bank.occupation_id == bank.occupation_id, Bank.id != bank.id)
        .order_by(Bank.level)
    ):
        o_versions, o_codes = _current_sets(session, other)
        o_codes = {k: f"L{other.level}:{v}" for k, v in o_codes.items()}
        others += _practical_units(session, o_versions, o_codes, policy, tok, real_codes=False)
        levels.append(other.level)
    report = reference_report(
        units,
        others,
        _context(policy, tok, actor),
        {**_bank_scope(bank), "other_levels": levels},
        kind="practical-levels",
        cap_value=float(policy.max_cross_level_practical_share.value),
    )
    return finish(report, actor)


def compare_banks(
    session: Session,
    bank: Bank,
    reference: Bank,
    policy: Policy,
    *,
    actor: str,
    tokenizer: Tokenizer | None = None,
) -> dict[str, Any]:
    """A bank's items against another bank's (a provincial bank, another institution's)."""
    tok = tokenizer or default_tokenizer()
    units = _item_units(session, _item_rows(session, bank), policy, tok)
    ref = _item_units(session, _item_rows(session, reference), policy, tok)
    scope = {**_bank_scope(bank), "reference": {"kind": "bank", **_bank_scope(reference)}}
    return finish(reference_report(units, ref, _context(policy, tok, actor), scope), actor)


def record_units(records: Sequence[ItemRecord], source: str, tokenizer: Tokenizer) -> list[Unit]:
    """Units of items read from a file (not stored): ids name the file location."""
    texts = [TextUnit(r.stem, tuple(r.options.values())) for r in records]
    tokens = tokenize_many([(t.stem, t.options) for t in texts], tokenizer=tokenizer)
    return [
        Unit(
            id=f"{source}:{r.location.row or r.location.paragraph}",
            version=content_id(item_content(r)),
            tokens=tuple(tok),
            text_key=t.folded_key,
            guid=r.guid,
            score=r.score or 1.0,
        )
        for r, t, tok in zip(records, texts, tokens, strict=True)
    ]


def compare_with_file(
    session: Session,
    bank: Bank,
    records: Sequence[ItemRecord],
    source: str,
    policy: Policy,
    *,
    actor: str,
    tokenizer: Tokenizer | None = None,
) -> dict[str, Any]:
    """A bank's items against items read from a reference file (imported for the comparison only)."""
    tok = tokenizer or default_tokenizer()
    units = _item_units(session, _item_rows(session, bank), policy, tok)
    ref = record_units(records, source, tok)
    scope = {**_bank_scope(bank), "reference": {"kind": "file", "file": source}}
    return finish(reference_report(units, ref, _context(policy, tok, actor), scope), actor)


def store_report(session: Session, bank: Bank | None, report: dict[str, Any], *, actor: str) -> str:
    """Keep the report (canonical JSON and its hash) and audit it; returns the hash."""
    body = canonical_bytes(report)
    sha = content_id(report)
    if session.scalar(select(OverlapReport.id).where(OverlapReport.sha256 == sha)) is None:
        session.add(
            OverlapReport(
                bank_id=bank.id if bank else None,
                scope=report["scope"]["kind"],
                sha256=sha,
                body=body.decode("utf-8"),
                verdict=report["verdict"],
                created_by=actor,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="overlap_check",
            entity="bank",
            entity_id=bank.id if bank else "-",
            bank_id=bank.id if bank else None,
            scope=report["scope"]["kind"],
            report=sha,
            rate=report["rate"],
            verdict=report["verdict"],
        )
    return sha


def adjudicate(
    session: Session,
    bank: Bank,
    item_a: int,
    item_b: int,
    *,
    reviewer: Person,
    signer: Signer,
    reason: str,
    actor: str,
) -> Adjudication:
    """Record, signed, a reviewer's judgement that two items are distinct.

    The mark names the items' current versions, so it lapses when either gets a new version.
    The reviewer may not judge an item they wrote or imported (回避). Side effects: writes the
    mark and an audit event.
    """
    if not reason.strip():
        raise InvalidInput("overlap.reason_required")
    require_role(reviewer, "reviewer")
    if signer.public_key_raw != public_key_raw(reviewer):
        raise InvalidInput("people.key_mismatch", name=reviewer.name)
    versions: dict[int, ItemVersion] = {}
    for item_id in (item_a, item_b):
        row = session.execute(
            select(Item, ItemVersion)
            .join(ItemVersion, Item.current_version_id == ItemVersion.id)
            .where(Item.id == item_id, Item.bank_id == bank.id)
        ).first()
        if row is None:
            raise NotFound("overlap.item_not_in_bank", id=item_id)
        versions[item_id] = row[1]
    own = [i for i, v in versions.items() if reviewer.name in {v.author, v.created_by}]
    if own:
        raise SelfReview(reviewer.name, own)
    a, b = sorted((versions[item_a].sha256, versions[item_b].sha256))
    mark = session.scalar(
        select(Adjudication).where(Adjudication.version_a == a, Adjudication.version_b == b)
    )
    if mark is None:
        payload = canonical_bytes(
            {
                "format": "qbank-adjudication/1",
                "bank": _bank_scope(bank),
                "items": sorted((item_a, item_b)),
                "versions": [a, b],
                "judgement": "distinct",
                "reason": reason.strip(),
                "reviewer": reviewer.name,
                "key": reviewer.key_fingerprint,
            }
        )
        mark = Adjudication(
            bank_id=bank.id,
            version_a=a,
            version_b=b,
            reviewer=reviewer.name,
            reason=reason.strip(),
            payload=payload.decode("utf-8"),
            signature=base64.b64encode(signer.sign(payload)).decode("ascii"),
        )
        session.add(mark)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="adjudicate_distinct",
            entity="item",
            entity_id=item_a,
            bank_id=bank.id,
            other=item_b,
            reviewer=reviewer.name,
            reason=reason.strip(),
        )
    return mark


@dataclass
class Verification:
    """Outcome of re-deriving a report: one check per figure; valid only if all match."""

    checks: list[FigureCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


def load_report(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except FileNotFoundError:
        raise InvalidInput("cli.file_missing", path=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidInput("overlap.bad_report", file=path, reason=str(e)) from None
    if not isinstance(report, dict) or report.get("format") != "qbank-overlap-report/1":
        raise InvalidInput("overlap.bad_report", file=path, reason="format")
    return report


def _claimed_policy(report: dict[str, Any]) -> Policy:
    data = dict(report.get("policy") or {})
    data.pop("id", None)
    return policy_from_dict(data)


def verify_report(
    session: Session | None,
    report: dict[str, Any],
    *,
    records: Sequence[ItemRecord] | None = None,
    source: str = "",
    tokenizer: Tokenizer | None = None,
) -> Verification:
    """Recompute `report` from the versions it names and compare every figure.

    The versions come from the database (`session`) or, for a theory report, from items read
    from a file (`records`, e.g. the bank Excel of a filing package). The policy is the one the
    report embeds; a different tokenizer shows as a `tokenizer` mismatch.
    """
    tok = tokenizer or default_tokenizer()
    policy = _claimed_policy(report)
    kind = report.get("scope", {}).get("kind")
    ctx = _context(policy, tok, str(report.get("generated_by", "")))
    scope = {k: v for k, v in report["scope"].items() if k != "kind"}
    if kind == "theory" and records is not None:
        by_version = {u.version: u for u in record_units(records, source, tok)}
        units = []
        for listed in report.get("items", []):
            unit = by_version.get(listed.get("version"))
            if unit is not None:
                units.append(
                    Unit(
                        id=listed["id"],
                        version=unit.version,
                        tokens=unit.tokens,
                        text_key=unit.text_key,
                        guid=listed.get("guid"),
                        score=unit.score,
                    )
                )
        marks = Adjudications(
            {
                tuple(sorted((_version_of(report, m["a"]), _version_of(report, m["b"])))): {
                    "reviewer": m["reviewer"],
                    "reason": m["reason"],
                }
                for m in report.get("adjudicated", [])
            }
        )
        recomputed = theory_report(units, ctx, scope, marks)
    elif session is None:
        raise InvalidInput("overlap.verify_needs_source")
    elif kind == "theory":
        bank = find_bank(session, scope["occupation"], int(scope["level"]))
        rows = _listed_item_rows(session, report.get("items", []))
        units = _item_units(session, rows, policy, tok, consequence="verify")
        recomputed = theory_report(units, ctx, scope, adjudications(session, bank))
    elif kind == "practical":
        bank = find_bank(session, scope["occupation"], int(scope["level"]))
        versions, codes = _listed_sets(session, bank, report.get("tasks", []))
        recomputed = practical_report(
            _practical_units(session, versions, codes, policy, tok, consequence="verify"),
            ctx,
            scope,
        )
    elif kind == "reference" and scope.get("reference", {}).get("kind") == "bank":
        rows = _listed_item_rows(session, report.get("items", []))
        ref_rows = _listed_item_rows(session, report.get("reference_items", []))
        recomputed = reference_report(
            _item_units(session, rows, policy, tok, consequence="verify"),
            _item_units(session, ref_rows, policy, tok, consequence="verify"),
            ctx,
            scope,
        )
    else:
        raise InvalidInput("overlap.verify_unsupported", kind=str(kind))
    return Verification(compare(report, recomputed))


def _version_of(report: dict[str, Any], item_id: object) -> str:
    for listed in report.get("items", []):
        if listed.get("id") == item_id:
            return str(listed.get("version"))
    return ""


def _listed_item_rows(
    session: Session, listed: Sequence[dict[str, Any]]
) -> list[tuple[Item, ItemVersion]]:
    """The (item, version) rows a report names, in its order; unknown ones are left out."""
    wanted = {(int(x["id"]), str(x["version"])) for x in listed if isinstance(x.get("id"), int)}
    ids = sorted({i for i, _ in wanted})
    found: dict[tuple[int, str], tuple[Item, ItemVersion]] = {}
    for start in range(0, len(ids), 500):
        for item, version in session.execute(
            select(Item, ItemVersion)
            .join(ItemVersion, ItemVersion.item_id == Item.id)
            .where(Item.id.in_(ids[start : start + 500]))
        ):
            if (item.id, version.sha256) in wanted:
                found[(item.id, version.sha256)] = (item, version)
    return [
        found[(int(x["id"]), str(x["version"]))]
        for x in listed
        if (x.get("id"), x.get("version")) in found
    ]


def _listed_sets(
    session: Session, bank: Bank, tasks: Sequence[dict[str, Any]]
) -> tuple[list[PracticalSetVersion], dict[int, str]]:
    shas = sorted({str(t.get("version", "")).split("#")[0] for t in tasks})
    versions = list(
        session.scalars(
            select(PracticalSetVersion)
            .join(PracticalSet, PracticalSet.id == PracticalSetVersion.set_id)
            .where(PracticalSet.bank_id == bank.id, PracticalSetVersion.sha256.in_(shas))
            .options(selectinload(PracticalSetVersion.tasks))
        )
    )
    codes = {
        s.id: s.code
        for s in session.scalars(select(PracticalSet).where(PracticalSet.bank_id == bank.id))
    }
    return sorted(versions, key=lambda v: codes[v.set_id]), codes


def shown_items(
    session: Session, report: dict[str, Any], *, records: Sequence[ItemRecord] | None = None
) -> dict[int | str, ShownItem]:
    """The text of every item or task a report names, for the reviewer's workbook."""
    shown: dict[int | str, ShownItem] = {}
    listed = [*report.get("items", []), *report.get("reference_items", [])]
    for item, row in _listed_item_rows(session, listed):
        version = verified_item_content(row, guid=item.guid, consequence="export")
        shown[item.id] = ShownItem(
            id=item.id,
            type=version.type,
            stem=version.stem,
            options=dict(version.options),
            answer=format_answer(version.answer),
            knowledge_point=version.knowledge_code or "/".join(version.knowledge_path) or None,
            explanation=version.explanation,
            score=version.score,
        )
    for record in records or ():
        key = f"{report['scope'].get('reference', {}).get('file', '')}:{record.location.row or record.location.paragraph}"
        shown[key] = ShownItem(
            id=key,
            type=record.type.value,
            stem=record.stem,
            options=dict(record.options),
            answer=format_answer(record.answer),
            knowledge_point=record.knowledge_code,
            explanation=record.explanation,
            score=record.score,
        )
    listed_tasks = [
        x for x in (*report.get("tasks", []), *listed) if "#" in str(x.get("version", ""))
    ]
    wanted = {str(x["version"]).split("#")[0] for x in listed_tasks}
    by_version: dict[str, PracticalSetVersion] = {
        v.sha256: v
        for v in session.scalars(
            select(PracticalSetVersion)
            .where(PracticalSetVersion.sha256.in_(sorted(wanted)))
            .options(selectinload(PracticalSetVersion.tasks))
        )
    }
    tasks_of = {
        sha: verified_set_content(v, code=None, consequence="export")["tasks"]
        for sha, v in by_version.items()
    }
    for x in listed_tasks:
        sha, number = str(x["version"]).split("#", 1)
        task = next((t for t in tasks_of.get(sha, ()) if t["number"] == number), None)
        if task is not None:
            shown[x["id"]] = ShownItem(
                id=x["id"],
                type="task",
                stem=f"{task['title']}\n{task['requirements']}",
                options={},
                answer="",
                knowledge_point=task["module_code"],
                explanation=None,
                score=task["score"],
            )
    return shown


def units_from_set_contents(
    sets: Sequence[tuple[str, str, dict[str, Any]]], tokenizer: Tokenizer | None = None
) -> list[Unit]:
    """Task units of practical sets given as (code, version id, canonical content), no database."""
    tok = tokenizer or default_tokenizer()
    texts, meta = [], []
    for code, sha, content in sets:
        for task in content.get("tasks", []):
            texts.append(TextUnit(task["title"], (task["requirements"],)))
            meta.append(
                {
                    "id": f"{code}#{task['number']}",
                    "version": f"{sha}#{task['number']}",
                    "score": task["score"],
                    "group": code,
                }
            )
    tokens = tokenize_many([(t.stem, t.options) for t in texts], tokenizer=tok)
    return [
        Unit(tokens=tuple(tk), text_key=t.folded_key, **m)
        for t, tk, m in zip(texts, tokens, meta, strict=True)
    ]


def verify_practical_from_contents(
    report: dict[str, Any], sets: Sequence[tuple[str, str, dict[str, Any]]]
) -> Verification:
    """Re-derive a practical report from set contents (a filing package's practical/*.json)."""
    tok = default_tokenizer()
    ctx = _context(_claimed_policy(report), tok, str(report.get("generated_by", "")))
    scope = {k: v for k, v in report["scope"].items() if k != "kind"}
    return Verification(
        compare(report, practical_report(units_from_set_contents(sets, tok), ctx, scope))
    )


def sets_sharing_tasks_with_other_levels(
    session: Session, bank: Bank, versions: Sequence[PracticalSetVersion], policy: Policy
) -> set[int]:
    """Ids of `versions` with a task that near-duplicates a task of another level's sets."""
    tok = default_tokenizer()
    loaded = list(
        session.scalars(
            select(PracticalSetVersion)
            .where(PracticalSetVersion.id.in_([v.id for v in versions]))
            .options(selectinload(PracticalSetVersion.tasks))
        )
    )
    units = _practical_units(
        session,
        loaded,
        {v.set_id: str(v.id) for v in loaded},
        policy,
        tok,
        consequence="assemble",
        real_codes=False,
    )
    others: list[Unit] = []
    for other in session.scalars(
        select(Bank).where(Bank.occupation_id == bank.occupation_id, Bank.id != bank.id)
    ):
        o_versions, o_codes = _current_sets(session, other)
        others += _practical_units(
            session, o_versions, o_codes, policy, tok, consequence="assemble"
        )
    if not units or not others:
        return set()
    found, _ = cross_duplicates(
        [u.tokens for u in units],
        [u.tokens for u in others],
        policy,
        keys_a=[u.text_key for u in units],
        keys_b=[u.text_key for u in others],
    )
    return {int(units[p.i].group) for p in found}
