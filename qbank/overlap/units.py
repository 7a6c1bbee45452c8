"""The units a scope compares, built from stored versions, from a file or from set contents.

Stored versions are read through `qbank.content` (re-hashed to their ids first), and their
tokens and signatures come from the stores of `qbank.overlap.fingerprints`; items read from a
file, or set contents from a filing package, are tokenised on the spot and nothing is stored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Result, Select, Text, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from qbank.canonical import content_id
from qbank.content import verified_item_dict, verified_set_content
from qbank.item_rows import JSON_COLUMNS, ItemRow, check_item_columns, decoded_item_rows
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
from qbank.overlap.lsh_params import lsh_params
from qbank.overlap.report import Context, Unit
from qbank.overlap.stored import read_signatures, read_tokens, text_keys
from qbank.policy import Policy
from qbank.queries import ITEM_CONTENT_COLUMNS, current_item_contents, current_sets
from qbank.records import ItemRecord

if TYPE_CHECKING:
    import numpy as np

    from qbank.text.tokens import Tokenizer

Progress = Callable[[str, int, int], None] | None
"""Called as a scope's long stages advance: (stage, done, total), as `workflows.types.Progress`:
`tokenise` (texts read or tokenised), `signatures` (read or computed), `candidates` (LSH bands
done), `verify` (candidate pairs compared exactly)."""


def _item_rows(result: Result[Any]) -> Iterator[ItemRow]:
    check_item_columns(tuple(result.keys()))
    return map(ItemRow._make, result)


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


class _Meta(NamedTuple):
    id: int | str
    version: str
    score: Number
    group: str = ""
    guid: str | None = None


@dataclass(frozen=True)
class ScopeUnits:
    """A scope's units and, for a scope LSH compares, their stored MinHash signatures (one
    row per unit, the policy's parameters, the columns its bands use)."""

    units: list[Unit]
    signatures: np.ndarray | None  # None: the scope is compared exactly (no LSH)


def stage_counter(progress: Progress, stage: str, total: int) -> Callable[[int], None]:
    """An increment callback for one stage of `progress` (started at 0 of `total`)."""
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(stage, done, total)

    advance(0)
    return advance


def _units(
    session: Session,
    texts: Sequence[TextUnit],
    meta: Sequence[_Meta],
    policy: Policy,
    tokenizer: Tokenizer | None,
    progress: Progress,
) -> ScopeUnits:
    """Units with their stored tokens and signatures: read with Core queries when all are
    stored (no tokenizer loaded, nothing normalised); what is missing is computed and stored
    first (`qbank.overlap.fingerprints`)."""
    keys = text_keys(texts)
    unique = len(set(keys))
    tkey = tokenizer_info(tokenizer).key
    stored = read_tokens(session, tkey, keys, stage_counter(progress, "tokenise", unique))
    if len(stored) < unique:
        advance = stage_counter(progress, "tokenise", len(keys))
        tokens = ensure_tokens(session, texts, tokenizer=tokenizer, progress=advance, keys=keys)
        tkey = tokenizer_info(tokenizer).key  # corrected if the remembered identity was stale
    else:
        tokens = [stored[k] for k in keys]
    del stored
    if len(keys) <= int(policy.exact_max_items.value):  # compared exactly: no signature read
        num_perm, seed = int(policy.num_perm.value), int(policy.seed.value)
        store_signatures(session, keys, tokens, num_perm=num_perm, seed=seed, tokenizer=tokenizer)
        sigs = None
    else:
        sigs = _banded_signatures(session, tkey, keys, tokens, policy, tokenizer, progress)
    units = [
        Unit(m.id, m.version, tuple(t), text_key(text, k, t), m.score, m.group, m.guid)
        for text, k, t, m in zip(texts, keys, tokens, meta, strict=True)
    ]
    return ScopeUnits(units, sigs)


def _banded_signatures(
    session: Session,
    tkey: str,
    keys: Sequence[str],
    tokens: Sequence[Sequence[str]],
    policy: Policy,
    tokenizer: Tokenizer | None,
    progress: Progress,
) -> np.ndarray:
    """The stored signatures of `keys` (those missing computed and stored first), only the
    columns the policy's LSH bands use: a million texts hold 272 MB, not 512 MB."""
    num_perm, seed = int(policy.num_perm.value), int(policy.seed.value)
    bands, rows = lsh_params(
        float(policy.similarity_threshold.value),
        num_perm,
        min_recall=float(policy.lsh_min_recall.value),
    )
    advance = stage_counter(progress, "signatures", len(set(keys)))
    read = functools.partial(
        read_signatures, session, tkey, keys, num_perm=num_perm, seed=seed, columns=bands * rows
    )
    sigs = read(advance=advance)
    if sigs.missing:
        store_signatures(session, keys, tokens, num_perm=num_perm, seed=seed, tokenizer=tokenizer)
        sigs = read()
    return sigs.rows


def current_item_rows(session: Session, bank: Bank) -> list[ItemRow]:
    """The bank's live items' current versions, by id, as plain rows (no ORM objects)."""
    return list(stream_item_rows(session, bank))


def stream_item_rows(
    session: Session, bank: Bank, *, after: int | None = None
) -> Iterator[ItemRow]:
    """`current_item_rows` fetched a batch at a time: a scope of a million items never holds
    every row (re-hashed, each leaves only its text behind). `after`: only items of a larger
    id."""
    connection = session.connection()  # Core: no ORM loading layer
    if connection.dialect.name != "sqlite":  # the driver decodes JSON columns itself
        stmt = current_item_contents(bank.id, after=after)
        return _item_rows(connection.execute(stmt.execution_options(yield_per=_ROW_BATCH)))
    stmt = sqlite_item_rows(bank.id, after).execution_options(yield_per=_ROW_BATCH)
    result = connection.execute(stmt)
    check_item_columns(tuple(result.keys()))
    return decoded_item_rows(chain.from_iterable(result.partitions()))


def sqlite_item_rows(bank_id: int, after: int | None = None) -> Select[Any]:
    """`current_item_contents` as SQLite reads it: JSON columns as their text, decoded by
    `decoded_item_rows` as the column type's own processor would (`json.loads`) at a fraction
    of its cost per value."""
    stmt = current_item_contents(bank_id, after=after)
    return stmt.with_only_columns(
        *(
            type_coerce(c, Text).label(c.name) if c.name in JSON_COLUMNS else c
            for c in stmt.selected_columns
        )
    )


_ROW_BATCH = 5000


def item_scope(
    session: Session,
    rows: Iterable[ItemRow],
    policy: Policy,
    tokenizer: Tokenizer | None,
    progress: Progress = None,
    *,
    consequence: str = "overlap",
) -> ScopeUnits:
    """Units of item versions, from their verified content (ContentTampered otherwise),
    with their signatures."""
    texts, meta = [], []
    for row in rows:
        content = verified_item_dict(row, guid=row.guid, consequence=consequence)
        options = content["options"]
        # the options in the stored column's order (equal keys, checked): the text's key
        texts.append(TextUnit(content["stem"], tuple([options[k] for k in row.options])))
        meta.append(_Meta(row.item_id, row.sha256, content["score"] or 1.0, guid=row.guid))
    return _units(session, texts, meta, policy, tokenizer, progress)


def item_units(
    session: Session,
    rows: Sequence[ItemRow],
    policy: Policy,
    tokenizer: Tokenizer | None,
    progress: Progress = None,
    *,
    consequence: str = "overlap",
) -> list[Unit]:
    """Units of item versions, from their verified content (ContentTampered otherwise)."""
    return item_scope(session, rows, policy, tokenizer, progress, consequence=consequence).units


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
    return _units(session, texts, meta, policy, tokenizer, None).units


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


def listed_item_rows(session: Session, listed: Sequence[ListedItem]) -> list[ItemRow]:
    """The item version rows a report names (as `current_item_rows` gives them), in its
    order; unknown ones are left out.

    These are the versions the report was made from, current or not (and of deleted items
    too): an old report re-derives from what it compared.
    """
    wanted = {(x.id, x.version) for x in listed if isinstance(x.id, int)}
    ids = sorted({i for i, _ in wanted if isinstance(i, int)})
    found: dict[tuple[ItemId, str], ItemRow] = {}
    for start in range(0, len(ids), 500):
        for row in _item_rows(
            session.execute(
                select(Item.guid, *ITEM_CONTENT_COLUMNS)
                .join(ItemVersion, ItemVersion.item_id == Item.id)
                .where(Item.id.in_(ids[start : start + 500]))
            )
        ):
            if (row.item_id, row.sha256) in wanted:
                found[(row.item_id, row.sha256)] = row
    return [found[(x.id, x.version)] for x in listed if (x.id, x.version) in found]
