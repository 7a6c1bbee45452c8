"""Verified content: a version's content re-derived from its id before anything uses it.

A version row holds its content twice: `canonical` (the canonical JSON whose SHA-256 is the
version id, `sha256`) and denormalised columns (stem, options, answer… of an item version;
title, tasks, rubric and preparation rows of a practical set version) kept for queries. A
database administrator can edit either. Every trust boundary (assembly, printing, sealing,
filing, overlap reports, the checks) therefore reads a version through this module:

- `item_version_mismatch` / `set_version_mismatch` are pure functions of a row: None when
  `canonical` re-hashes to `sha256`, is canonical, has the content's shape and every
  denormalised column (and every loaded child row) equals it; else a `Mismatch` with a stable
  code (`qbank db verify` reports these);
- `verified_item_content` / `verified_set_content` return the content itself, built from
  `canonical` only, or raise `ContentTampered` naming the item (guid) or set (code), the
  version and what the command did not do ("试卷未打印"). What is printed, sealed or reported
  is that returned content, never the columns.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from qbank.canonical import C_ENCODER_AS_ORDERED, canonical_text, sha256_hex
from qbank.errors import QbankError
from qbank.i18n import tr
from qbank.records import (
    Answer,
    Importance,
    ItemRecord,
    ItemType,
    Location,
    PracticalSetRecord,
    PracticalTask,
    PrepRow,
    RubricRow,
)

if TYPE_CHECKING:  # not imported at run time: a scope worker re-hashes rows without the ORM
    from qbank.model import PracticalSetVersion

__all__ = [
    "CONSEQUENCES",
    "ContentTampered",
    "ItemContent",
    "Mismatch",
    "filed_versions",
    "item_version_mismatch",
    "set_record_of",
    "set_version_mismatch",
    "verified_item_content",
    "verified_item_dict",
    "verified_item_values",
    "verified_set_content",
]


class ItemVersionRow(Protocol):
    """An item version as re-hashed here: the ORM row or a Core row of the same columns
    (`qbank.queries.current_item_contents`), so large scopes need no ORM objects."""

    @property
    def item_id(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def canonical(self) -> str: ...
    @property
    def options(self) -> Any: ...


ITEM_KEYS = frozenset(
    {
        "type",
        "stem",
        "options",
        "answer",
        "knowledge_code",
        "knowledge_path",
        "importance",
        "difficulty",
        "discrimination",
        "score",
        "explanation",
        "source",
        "author",
    }
)
SET_KEYS = frozenset(
    {"code", "title", "total_minutes", "author", "venue_prep", "candidate_prep", "tasks"}
)
# The item columns that repeat a content key, with the catalogue label of each.
ITEM_COLUMNS = {
    "type": "field.type",
    "stem": "field.stem",
    "options": "field.options",
    "answer": "field.answer",
    "knowledge_code": "field.knowledge_point",
    "knowledge_path": "field.knowledge_path",
    "importance": "field.importance",
    "difficulty": "field.difficulty",
    "discrimination": "field.discrimination",
    "score": "field.score",
    "explanation": "field.explanation",
    "source": "field.source",
    "author": "field.author",
}
_SET_COLUMNS = {
    "title": "field.title",
    "total_minutes": "field.time_limit",
    "author": "field.author",
}
CONSEQUENCES = (
    "assemble",
    "check",
    "export",
    "file",
    "overlap",
    "print",
    "seal",
    "unseal",
    "verify",
)


@dataclass(frozen=True)
class Mismatch:
    """Why a version row does not hold the content its id names.

    `code` is stable (for `qbank db verify --json`): `content.hash` (canonical does not
    re-hash to the id; `detail` is what it hashes to), `content.not_canonical` (not canonical
    JSON of the content's shape), `content.field` (a denormalised column or child row differs;
    `detail` names it), `content.not_filed` (not the version the filing lists; `detail` is the
    listed one), `content.gone` (a filed or printed id no stored row carries),
    `content.review` (a review signed another id for this row; `detail` is that id),
    `content.paper` (not the version the paper records; `detail` is the recorded one).
    """

    code: str
    detail: str = ""

    def describe(self) -> str:
        """The reason in the user's language."""
        key = "content.reason." + self.code.removeprefix("content.")
        if self.code == "content.field":
            label = self.detail
            for mapping in (ITEM_COLUMNS, _SET_COLUMNS, _ROW_LABELS):
                if self.detail in mapping:
                    label = tr(mapping[self.detail])
                    break
            return tr(key, field=label)
        return tr(key, detail=self.detail)


_ROW_LABELS = {
    "tasks": "field.tasks",
    "rubric": "field.rubric",
    "venue_prep": "field.preparation",
    "candidate_prep": "field.preparation",
    "code": "field.code",
}


class ContentTampered(QbankError):
    """A version's stored content is not what its id (or its filing, review or paper) names.

    `subject` is the item's guid or the practical set's code, `version` the version id the
    row (or the record that names it) claims, `consequence` what the command did not do
    (one of CONSEQUENCES), `mismatch` why.
    """

    def __init__(
        self,
        *,
        kind: str,
        subject: str,
        version: str,
        mismatch: Mismatch,
        consequence: str,
    ) -> None:
        self.kind = kind
        self.subject = subject
        self.version = version
        self.mismatch = mismatch
        self.consequence = consequence
        super().__init__(
            f"content.tampered.{kind}", subject=subject, version=version, code=mismatch.code
        )

    def instead(self, consequence: str) -> ContentTampered:
        """The same refusal, for a command whose consequence is another (e.g. `seal` for
        documents rendered while sealing)."""
        return ContentTampered(
            kind=self.kind,
            subject=self.subject,
            version=self.version,
            mismatch=self.mismatch,
            consequence=consequence,
        )

    def __str__(self) -> str:
        return tr(
            self.key,
            subject=self.subject,
            version=self.version,
            reason=self.mismatch.describe(),
            consequence=tr(f"content.consequence.{self.consequence}"),
        )


# --- items ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemContent:
    """An item version's content as its id proves it (built from `canonical` only).

    `options` keep the stored column's order (order is not part of the content: canonical
    JSON sorts keys); `answer` is letters for choice items, a bool for judgement items.
    """

    item_id: int
    guid: str | None
    version: str
    canonical: str
    type: str
    stem: str
    options: dict[str, str]
    answer: Answer
    knowledge_code: str | None
    knowledge_path: tuple[str, ...]
    importance: str | None
    difficulty: float | None
    discrimination: float | None
    score: float | None
    explanation: str | None
    source: str | None
    author: str | None

    def content(self) -> dict[str, Any]:
        """The content dict (re-encodes to the bytes whose SHA-256 is `version`)."""
        data: dict[str, Any] = json.loads(self.canonical)
        return data

    def record(self, location: Location) -> ItemRecord:
        """The content as the record an importer would have produced (for exporters)."""
        return ItemRecord(
            type=ItemType(self.type),
            stem=self.stem,
            answer=self.answer,
            location=location,
            options=dict(self.options),
            guid=self.guid,
            knowledge_code=self.knowledge_code,
            knowledge_path=self.knowledge_path,
            importance=Importance(self.importance) if self.importance else None,
            difficulty=self.difficulty,
            discrimination=self.discrimination,
            score=self.score,
            explanation=self.explanation,
            source=self.source,
            author=self.author,
        )


def _encode_answer(answer: Any) -> Any:
    if isinstance(answer, bool):
        return "true" if answer else "false"
    return answer


_DECODER = json.JSONDecoder()


def _parse(canonical: str, sha256: str, keys: frozenset[str]) -> dict[str, Any] | Mismatch:
    """The content of `canonical` when it re-hashes to `sha256` and is canonical JSON of a
    dict with exactly `keys`; else the Mismatch."""
    actual = sha256_hex(canonical.encode("utf-8"))
    if actual != sha256:
        return Mismatch("content.hash", actual)
    try:
        content, end = _DECODER.raw_decode(canonical)  # no whitespace around canonical JSON
        ok = (
            end == len(canonical)
            and type(content) is dict
            and content.keys() == keys
            and canonical_text(content) == canonical
        )
    except (ValueError, TypeError):
        ok = False
    return content if ok else Mismatch("content.not_canonical")


_ITEM_TYPES = frozenset(t.value for t in ItemType)


def _item_shape_ok(c: dict[str, Any]) -> bool:
    options = c["options"]
    return (
        isinstance(c["type"], str)
        and c["type"] in _ITEM_TYPES
        and isinstance(c["stem"], str)
        and isinstance(options, dict)
        and all(isinstance(v, str) for v in options.values())
        and isinstance(c["answer"], str | bool)
        and isinstance(c["knowledge_path"], list)
        and all(isinstance(p, str) for p in c["knowledge_path"])
    )


# The item columns in the order a mismatch is looked for (the first differing one is named).
_ITEM_FIELDS = tuple(ITEM_COLUMNS)
_item_columns = operator.attrgetter(*_ITEM_FIELDS)
_ANSWER = _ITEM_FIELDS.index("answer")


_COLUMN_TYPES = frozenset({str, int, float, type(None), dict, list})
_STR = frozenset({str})
_ANSWER_TYPES = frozenset({str, bool})
_JUDGEMENT_ANSWERS = {"true": True, "false": False}


def _described(columns: tuple[Any, ...], canonical: str) -> dict[str, Any] | None:
    """The content the columns describe, when its canonical JSON is `canonical` exactly and
    has the content's shape (`_item_shape_ok`); else None (the caller decodes `canonical`).

    This is what decoding `canonical` gives, without decoding it: the columns are JSON values
    of exact types (str, int, float, None; options a dict and the path a list, of str), so
    the dict built of them, in canonical key order, is the one its canonical JSON decodes to.
    A judgement item's answer column holds the content's bool as text (`_encode_answer`): an
    answer stored any other way does not encode to `canonical` here and is decoded."""
    (
        type_,
        stem,
        options,
        answer,
        code,
        path,
        importance,
        difficulty,
        discrimination,
        score,
        explanation,
        source,
        author,
    ) = columns
    if not (
        _COLUMN_TYPES.issuperset(map(type, columns))
        and type(type_) is str
        and type_ in _ITEM_TYPES
        and type(stem) is str
        and type(options) is dict
        and type(path) is list
        and _STR.issuperset(map(type, options))
        and _STR.issuperset(map(type, options.values()))
        and _STR.issuperset(map(type, path))
    ):
        return None
    if type_ == "judgement":
        answer = _JUDGEMENT_ANSWERS.get(answer, answer)
    if type(answer) not in _ANSWER_TYPES or C_ENCODER_AS_ORDERED is None:
        return None
    content = {  # in canonical (sorted) key order, as decoding gives it
        "answer": answer,
        "author": author,
        "difficulty": difficulty,
        "discrimination": discrimination,
        "explanation": explanation,
        "importance": importance,
        "knowledge_code": code,
        "knowledge_path": list(path),
        "options": dict(sorted(options.items())),
        "score": score,
        "source": source,
        "stem": stem,
        "type": type_,
    }
    try:  # every dict in sorted order: the encoder need not sort
        return content if "".join(C_ENCODER_AS_ORDERED(content, 0)) == canonical else None
    except ValueError:  # a float column holding NaN or an infinity: not JSON
        return None


def _item_of(
    columns: tuple[Any, ...], canonical: str, sha256: str
) -> tuple[dict[str, Any] | None, Mismatch | None]:
    """`_item` of a row given as its ITEM_COLUMNS values, canonical text and id: the
    content its columns describe when that is exactly what `canonical` holds (`_described`),
    else what decoding `canonical` finds (`_decoded_item`); the same either way."""
    if type(canonical) is str:
        described = _described(columns, canonical)
        # Built of the columns, shape checked: each column equals its value (`_same`).
        if described is not None and sha256_hex(canonical.encode("utf-8")) == sha256:
            return described, None
    return _decoded_item(columns, canonical, sha256)


def _decoded_item(
    columns: tuple[Any, ...], canonical: str, sha256: str
) -> tuple[dict[str, Any] | None, Mismatch | None]:
    """The content decoded from `canonical` (re-hashed, canonical, of the content's shape)
    and each column compared with it; else the first Mismatch."""
    parsed = _parse(canonical, sha256, ITEM_KEYS)
    if isinstance(parsed, Mismatch):
        return None, parsed
    if not _item_shape_ok(parsed):
        return None, Mismatch("content.not_canonical")
    expected = [parsed[name] for name in _ITEM_FIELDS]
    expected[_ANSWER] = _encode_answer(expected[_ANSWER])
    # `==` of the whole row is `_same` of every column unless a bool is involved (True == 1):
    # the content's containers hold only strings (shape checked), so nested values cannot
    # differ in type while comparing equal. Anything else goes column by column.
    if (
        columns == tuple(expected)
        and bool not in map(type, columns)
        and bool not in map(type, expected)
    ):
        return parsed, None
    for name, column, value in zip(_ITEM_FIELDS, columns, expected, strict=True):
        if not _same(column, value):
            return None, Mismatch("content.field", name)
    return parsed, None


def _item(version: ItemVersionRow) -> tuple[dict[str, Any] | None, Mismatch | None]:
    return _item_of(_item_columns(version), version.canonical, version.sha256)


def _same(a: Any, b: Any) -> bool:
    """Equal as stored values: same type family and value (1 == 1.0, but not True == 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def item_version_mismatch(version: ItemVersionRow) -> Mismatch | None:
    """None when the row holds exactly the content its id names; else why not. Pure."""
    return _item(version)[1]


def verified_item_dict(
    version: ItemVersionRow, *, guid: str | None, consequence: str
) -> dict[str, Any]:
    """The content dict of an item version (from `canonical` only), re-derived from its id;
    ContentTampered if it is not. What `verified_item_content` checks, without building the
    `ItemContent` (scopes of many items read only a few fields). Pure."""
    return verified_item_values(
        version.item_id,
        guid,
        version.sha256,
        version.canonical,
        _item_columns(version),
        consequence,
    )


def verified_item_values(
    item_id: int,
    guid: str | None,
    sha256: str,
    canonical: str,
    columns: tuple[Any, ...],
    consequence: str,
) -> dict[str, Any]:
    """`verified_item_dict` of a row given as its values (`columns`: those of ITEM_COLUMNS,
    in its order), for scopes of many rows read as plain tuples. Pure."""
    content, mismatch = _item_of(columns, canonical, sha256)
    if content is None:
        assert mismatch is not None
        raise ContentTampered(
            kind="item",
            subject=guid or f"#{item_id}",
            version=sha256,
            mismatch=mismatch,
            consequence=consequence,
        )
    return content


def verified_item_content(
    version: ItemVersionRow, *, guid: str | None, consequence: str
) -> ItemContent:
    """The content of an item version, re-derived from its id; ContentTampered if it is not.

    `guid` names the item in the error (its row id when None); `consequence` is one of
    CONSEQUENCES. Pure.
    """
    content = verified_item_dict(version, guid=guid, consequence=consequence)
    options: dict[str, str] = content["options"]
    return ItemContent(
        item_id=version.item_id,
        guid=guid,
        version=version.sha256,
        canonical=version.canonical,
        type=content["type"],
        stem=content["stem"],
        options={k: options[k] for k in version.options},  # equal key sets, checked above
        answer=content["answer"],
        knowledge_code=content["knowledge_code"],
        knowledge_path=tuple(content["knowledge_path"]),
        importance=content["importance"],
        difficulty=content["difficulty"],
        discrimination=content["discrimination"],
        score=content["score"],
        explanation=content["explanation"],
        source=content["source"],
        author=content["author"],
    )


# --- practical sets ------------------------------------------------------------------------


def _loaded(obj: object, attribute: str) -> bool:
    """Is the child-row relationship loaded (ORM object), or present as a list (other rows)?"""
    from sqlalchemy import inspect
    from sqlalchemy.exc import NoInspectionAvailable

    try:
        state = inspect(obj)
    except NoInspectionAvailable:
        return isinstance(getattr(obj, attribute, None), list)
    return attribute not in state.unloaded


def _set_rows_mismatch(version: PracticalSetVersion, content: dict[str, Any]) -> Mismatch | None:
    """Compare whichever child rows are loaded (tasks, their rubric, preparation rows)."""
    if _loaded(version, "prep_rows"):
        for audience in ("venue", "candidate"):
            rows = [
                {
                    "name": r.name,
                    "spec": r.spec,
                    "quantity": r.quantity,
                    "note": r.note,
                    "category": r.category,
                }
                for r in sorted(version.prep_rows, key=lambda r: r.position)
                if r.audience == audience
            ]
            if not _same(rows, content[f"{audience}_prep"]):
                return Mismatch("content.field", f"{audience}_prep")
    if _loaded(version, "tasks"):
        tasks = sorted(version.tasks, key=lambda t: t.position)
        if len(tasks) != len(content["tasks"]):
            return Mismatch("content.field", "tasks")
        for row, task in zip(tasks, content["tasks"], strict=True):
            fields = {
                "number": row.number,
                "title": row.title,
                "requirements": row.requirements,
                "score": row.score,
                "time_limit_minutes": row.time_limit_minutes,
                "module_code": row.module_code,
            }
            if not _same(fields, {k: task.get(k) for k in fields}):
                return Mismatch("content.field", "tasks")
            if _loaded(row, "rubric"):
                rubric = [
                    {"element": r.element, "score": r.score, "criteria": r.criteria, "veto": r.veto}
                    for r in sorted(row.rubric, key=lambda r: r.position)
                ]
                if not _same(rubric, task.get("rubric")):
                    return Mismatch("content.field", "rubric")
    return None


def _set_shape_ok(c: dict[str, Any]) -> bool:
    return (
        isinstance(c["code"], str)
        and isinstance(c["title"], str)
        and all(isinstance(c[k], list) for k in ("venue_prep", "candidate_prep", "tasks"))
        and all(
            isinstance(t, dict)
            and isinstance(t.get("title"), str)
            and isinstance(t.get("requirements"), str)
            and isinstance(t.get("rubric"), list)
            for t in c["tasks"]
        )
    )


def _set(
    version: PracticalSetVersion, code: str | None
) -> tuple[dict[str, Any] | None, Mismatch | None]:
    parsed = _parse(version.canonical, version.sha256, SET_KEYS)
    if isinstance(parsed, Mismatch):
        return None, parsed
    if not _set_shape_ok(parsed):
        return None, Mismatch("content.not_canonical")
    columns = {"title": version.title, "total_minutes": version.total_minutes}
    columns["author"] = version.author
    for name in _SET_COLUMNS:
        if not _same(columns[name], parsed[name]):
            return None, Mismatch("content.field", name)
    if code is not None and parsed["code"] != code:
        return None, Mismatch("content.field", "code")
    rows = _set_rows_mismatch(version, parsed)
    if rows is not None:
        return None, rows
    return parsed, None


def set_version_mismatch(
    version: PracticalSetVersion, *, code: str | None = None
) -> Mismatch | None:
    """None when the row holds exactly the content its id names; else why not. Pure.

    Child rows (tasks, rubric, preparation) are compared when loaded (`selectinload`); `code`,
    when given, is the set's code and must be the content's.
    """
    return _set(version, code)[1]


def verified_set_content(
    version: PracticalSetVersion, *, code: str | None, consequence: str
) -> dict[str, Any]:
    """The content dict of a practical set version, re-derived from its id (with the loaded
    child rows compared); ContentTampered if it is not. Pure."""
    content, mismatch = _set(version, code)
    if content is None:
        assert mismatch is not None
        raise ContentTampered(
            kind="set",
            subject=code or f"#{version.set_id}",
            version=version.sha256,
            mismatch=mismatch,
            consequence=consequence,
        )
    return content


def set_record_of(content: Mapping[str, Any], version: str) -> PracticalSetRecord:
    """A verified set content as the record an importer would have produced."""

    def rows(key: str) -> tuple[PrepRow, ...]:
        return tuple(PrepRow(**row) for row in content[key])

    return PracticalSetRecord(
        code=content["code"],
        title=content["title"],
        location=Location(f"{content['code']}@{version[:12]}"),
        venue_prep=rows("venue_prep"),
        candidate_prep=rows("candidate_prep"),
        tasks=tuple(
            PracticalTask(
                number=task["number"],
                title=task["title"],
                requirements=task["requirements"],
                score=float(task["score"]),
                time_limit_minutes=task["time_limit_minutes"],
                module_code=task["module_code"],
                rubric=tuple(RubricRow(**row) for row in task["rubric"]),
            )
            for task in content["tasks"]
        ),
        total_minutes=content["total_minutes"],
        author=content["author"],
    )


# --- what a filing lists -------------------------------------------------------------------


def filed_versions(manifest: str, manifest_sha256: str) -> tuple[dict[int, str], dict[str, str]]:
    """The item (id -> version) and practical set (code -> version) entries of a filing's
    stored manifest. A manifest that no longer re-hashes to its stored SHA-256 lists nothing
    (every version then shows as not filed). Pure."""
    data = manifest.encode("utf-8")
    if sha256_hex(data) != manifest_sha256:
        return {}, {}
    try:
        entries: Sequence[Any] = json.loads(data).get("entries", [])
        items = {int(e["id"]): str(e["version"]) for e in entries if e.get("kind") == "item"}
        sets = {
            str(e["code"]): str(e["version"]) for e in entries if e.get("kind") == "practical_set"
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}, {}
    return items, sets
