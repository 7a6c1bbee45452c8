"""The units a scope compares, built from stored versions, from a file or from set contents.

Stored versions are read through `qbank.content` (re-hashed to their ids first), and their
tokens and signatures come from the stores of `qbank.overlap.fingerprints`; items read from a
file, or set contents from a filing package, are tokenised on the spot and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qbank.canonical import content_id
from qbank.content import verified_item_content, verified_set_content
from qbank.items import item_content
from qbank.model import Bank, Item, ItemVersion, PracticalSet, PracticalSetVersion
from qbank.overlap.document import ItemId, ListedItem, Number, ReportTokenizer, Scope
from qbank.overlap.fingerprints import (
    TextUnit,
    ensure_tokens,
    load_tokenizer,
    store_signatures,
    text_key,
    tokenizer_info,
)
from qbank.overlap.report import Context, Unit
from qbank.policy import Policy
from qbank.queries import current_items, current_sets
from qbank.records import ItemRecord

if TYPE_CHECKING:
    from qbank.text.tokens import Tokenizer

Progress = Callable[[int], None] | None


@dataclass(frozen=True)
class TaskText:
    """What the overlap checks read of one task of a set's canonical content."""

    number: str
    title: str
    requirements: str
    score: Number
    module_code: str | None


def set_tasks(content: Mapping[str, object]) -> list[TaskText]:
    """The tasks of a practical set's canonical content (as stored, or as filed)."""
    tasks = content.get("tasks")
    if not isinstance(tasks, list):
        return []
    return [
        TaskText(
            number=str(task["number"]),
            title=str(task["title"]),
            requirements=str(task["requirements"]),
            score=task["score"],
            module_code=task.get("module_code"),
        )
        for task in tasks
        if isinstance(task, dict)
    ]


def context(policy: Policy, tokenizer: Tokenizer | None, actor: str) -> Context:
    """What a report names besides its figures; `tokenizer` None: the default one, named
    without loading it (`qbank.overlap.fingerprints.tokenizer_info`)."""
    info = tokenizer_info(tokenizer)
    identity = info.identity
    return Context(
        policy=policy,
        tokenizer=ReportTokenizer(
            name=identity["name"],
            jieba_version=identity["jieba_version"],
            dictionary_sha256=identity["dictionary_sha256"],
            stopwords_sha256=identity["stopwords_sha256"],
            key=info.key,
            engine=identity.get("engine") or None,
        ),
        generated_by=actor,
    )


def bank_scope(bank: Bank) -> Scope:
    return Scope(occupation=bank.occupation.code, level=bank.level)


@dataclass(frozen=True)
class _Meta:
    id: int | str
    version: str
    score: Number
    group: str = ""
    guid: str | None = None


def _units(
    session: Session,
    texts: Sequence[TextUnit],
    meta: Sequence[_Meta],
    policy: Policy,
    tokenizer: Tokenizer | None,
    progress: Progress,
) -> list[Unit]:
    """Units with stored (or newly stored) tokens and signatures."""
    keys = [t.key for t in texts]
    tokens = ensure_tokens(session, texts, tokenizer=tokenizer, progress=progress, keys=keys)
    store_signatures(
        session,
        keys,
        tokens,
        num_perm=int(policy.num_perm.value),
        seed=int(policy.seed.value),
        tokenizer=tokenizer,
    )
    return [
        Unit(m.id, m.version, tuple(t), text_key(text, k, t), m.score, m.group, m.guid)
        for text, k, t, m in zip(texts, keys, tokens, meta, strict=True)
    ]


def current_item_rows(session: Session, bank: Bank) -> list[tuple[Item, ItemVersion]]:
    """The bank's live items with their current versions, by id."""
    return [(i, v) for i, v in session.execute(current_items(bank.id).order_by(Item.id))]


def item_units(
    session: Session,
    rows: Sequence[tuple[Item, ItemVersion]],
    policy: Policy,
    tokenizer: Tokenizer | None,
    progress: Progress = None,
    *,
    consequence: str = "overlap",
) -> list[Unit]:
    """Units of item versions, from their verified content (ContentTampered otherwise)."""
    contents = [verified_item_content(v, guid=i.guid, consequence=consequence) for i, v in rows]
    texts = [TextUnit(c.stem, tuple(c.options.values())) for c in contents]
    meta = [_Meta(c.item_id, c.version, c.score or 1.0, guid=c.guid) for c in contents]
    return _units(session, texts, meta, policy, tokenizer, progress)


def _task_meta(code: str, version: str, task: TaskText) -> _Meta:
    return _Meta(f"{code}#{task.number}", f"{version}#{task.number}", task.score, group=code)


def practical_units(
    session: Session,
    versions: Sequence[PracticalSetVersion],
    codes: Mapping[int, str],
    policy: Policy,
    tokenizer: Tokenizer | None,
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
        for task in set_tasks(content):
            texts.append(TextUnit(task.title, (task.requirements,)))
            meta.append(_task_meta(code, version.sha256, task))
    return _units(session, texts, meta, policy, tokenizer, None)


def current_set_versions(
    session: Session, bank: Bank
) -> tuple[list[PracticalSetVersion], dict[int, str]]:
    """The bank's live practical sets' current versions (tasks loaded), by code, and the codes."""
    rows = session.execute(
        current_sets(bank.id)
        .order_by(PracticalSet.code)
        .options(selectinload(PracticalSetVersion.tasks))
    )
    versions, codes = [], {}
    for practical_set, version in rows:
        versions.append(version)
        codes[practical_set.id] = practical_set.code
    return versions, codes


def record_units(
    records: Sequence[ItemRecord], source: str, tokenizer: Tokenizer | None
) -> list[Unit]:
    """Units of items read from a file (not stored): ids name the file location."""
    from qbank.text.tokens import tokenize_many

    texts = [TextUnit(r.stem, tuple(r.options.values())) for r in records]
    tokens = tokenize_many(
        [(t.stem, t.options) for t in texts], tokenizer=load_tokenizer(tokenizer)
    )
    return [
        Unit(
            id=record_id(r, source),
            version=content_id(item_content(r)),
            tokens=tuple(tok),
            text_key=t.folded_key,
            guid=r.guid,
            score=r.score or 1.0,
        )
        for r, t, tok in zip(records, texts, tokens, strict=True)
    ]


def record_id(record: ItemRecord, source: str) -> str:
    """How a report names an item read from a file: `file:row` (or paragraph)."""
    return f"{source}:{record.location.row or record.location.paragraph}"


def units_from_set_contents(
    sets: Sequence[tuple[str, str, Mapping[str, object]]], tokenizer: Tokenizer | None
) -> list[Unit]:
    """Task units of practical sets given as (code, version id, canonical content), no database."""
    from qbank.text.tokens import tokenize_many

    texts, meta = [], []
    for code, sha, content in sets:
        for task in set_tasks(content):
            texts.append(TextUnit(task.title, (task.requirements,)))
            meta.append(_task_meta(code, sha, task))
    tokens = tokenize_many(
        [(t.stem, t.options) for t in texts], tokenizer=load_tokenizer(tokenizer)
    )
    return [
        Unit(m.id, m.version, tuple(tk), t.folded_key, m.score, m.group, m.guid)
        for t, tk, m in zip(texts, tokens, meta, strict=True)
    ]


def listed_item_rows(
    session: Session, listed: Sequence[ListedItem]
) -> list[tuple[Item, ItemVersion]]:
    """The (item, version) rows a report names, in its order; unknown ones are left out.

    These are the versions the report was made from, current or not (and of deleted items
    too): an old report re-derives from what it compared.
    """
    wanted = {(x.id, x.version) for x in listed if isinstance(x.id, int)}
    ids = sorted({i for i, _ in wanted if isinstance(i, int)})
    found: dict[tuple[ItemId, str], tuple[Item, ItemVersion]] = {}
    for start in range(0, len(ids), 500):
        for item, version in session.execute(
            select(Item, ItemVersion)
            .join(ItemVersion, ItemVersion.item_id == Item.id)
            .where(Item.id.in_(ids[start : start + 500]))
        ):
            if (item.id, version.sha256) in wanted:
                found[(item.id, version.sha256)] = (item, version)
    return [found[(x.id, x.version)] for x in listed if (x.id, x.version) in found]
