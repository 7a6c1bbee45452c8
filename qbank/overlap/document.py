"""The overlap report as a typed document: what `qbank overlap check --out` writes.

`OverlapReport.from_json` checks every field of a report read from a file (or the database)
and refuses a malformed one with `BadReport`, naming the field path (`pairs[3].similarity`).
`to_json` gives back exactly the JSON the report was made from, so the canonical bytes (and
the SHA-256 a filing names) of every report ever written stay what they were: numbers keep
their JSON type (an integer score stays `40`, not `40.0`) and absent sections stay absent.

Which sections a report holds depends on its kind:

- `theory`: `items`, `adjudicated`, `adjudicated_counted`, `clusters`;
- `practical`: `tasks`, `set_pairs`;
- `practical-levels`, `reference`: `items`, `reference_snapshot`, `reference_items`.

Top-level keys this format does not know are kept as `unverified` claims: verification
reports each as a mismatch rather than ignoring it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Literal, TypeVar, cast, get_args

from qbank.errors import InvalidInput
from qbank.i18n import tr
from qbank.policy import Policy, Value

FORMAT = "qbank-overlap-report/1"

Number = int | float
ItemId = int | str
ReportKind = Literal["theory", "practical", "practical-levels", "reference"]
Verdict = Literal["pass", "fail"]
JsonObject = dict[str, object]

KINDS: tuple[ReportKind, ...] = get_args(ReportKind)
COMMON = (
    "format",
    "scope",
    "policy",
    "tokenizer",
    "minhash",
    "method",
    "threshold",
    "snapshot",
    "pairs",
    "numerator",
    "denominator",
    "rate",
    "cap",
    "verdict",
)
STAMPS = ("generated_at", "generated_by")
SECTIONS: dict[ReportKind, tuple[str, ...]] = {
    "theory": ("items", "adjudicated", "adjudicated_counted", "clusters"),
    "practical": ("tasks", "set_pairs"),
    "practical-levels": ("items", "reference_snapshot", "reference_items"),
    "reference": ("items", "reference_snapshot", "reference_items"),
}
KNOWN = frozenset({*COMMON, *STAMPS, *(s for kind in KINDS for s in SECTIONS[kind])})


class BadReport(InvalidInput):
    """A report field is missing, of the wrong type or out of range.

    `field` is its path (`pairs[3].similarity`); `expected` a catalogue key
    (`overlap.expect.*`) saying what should be there; `file` where the report was read.
    """

    def __init__(self, field: str, expected: str, *, file: str = "-") -> None:
        super().__init__("overlap.bad_report_field", file=file, field=field, expected=expected)
        self.field = field
        self.expected = expected

    def in_file(self, file: str) -> BadReport:
        return BadReport(self.field, self.expected, file=file)

    def __str__(self) -> str:
        return tr(self.key, file=self.params["file"], field=self.field, problem=tr(self.expected))


@dataclass(frozen=True)
class ExactMethod:
    """Every pair compared exactly: the scope had at most `exact_max_items` texts."""

    exact_max_items: int
    name: Literal["exact"] = "exact"


@dataclass(frozen=True)
class LshMethod:
    """MinHash/LSH candidates (`bands` x `rows`, chosen for `min_recall`), verified exactly."""

    bands: int
    rows: int
    min_recall: float
    candidates: int
    name: Literal["minhash-lsh"] = "minhash-lsh"


Method = ExactMethod | LshMethod
"""How pairs were found: what a report names so the run can be repeated."""


@dataclass(frozen=True)
class MinHashParams:
    """The signature parameters a report names (what a datasketch user needs to match them)."""

    num_perm: int
    seed: int
    scheme: str
    compatible_with: str


# --- reading JSON with the path of every value ---------------------------------------------

T = TypeVar("T")


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _object(
    value: object, path: str, required: Sequence[str], optional: Sequence[str] = ()
) -> JsonObject:
    """`value` as a JSON object with exactly the `required` keys and some of `optional`."""
    if not isinstance(value, dict):
        raise BadReport(path, "overlap.expect.object")
    for key in required:
        if key not in value:
            raise BadReport(_at(path, key), "overlap.expect.present")
    if len(value) > len(required):  # only then can a key be unknown (the usual case is not)
        extra = value.keys() - {*required, *optional}
        if extra:
            raise BadReport(_at(path, str(min(extra, key=str))), "overlap.expect.absent")
    return cast(JsonObject, value)


def _list(value: object, path: str, item: Callable[[object, str], T]) -> tuple[T, ...]:
    if not isinstance(value, list):
        raise BadReport(path, "overlap.expect.list")
    return tuple(item(v, f"{path}[{k}]") for k, v in enumerate(value))


def _str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise BadReport(path, "overlap.expect.text")
    return value


def _str_or_none(value: object, path: str) -> str | None:
    return None if value is None else _str(value, path)


def _int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadReport(path, "overlap.expect.count")
    return value


def _number(value: object, path: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadReport(path, "overlap.expect.number")
    if not math.isfinite(value) or value < 0:  # JSON may spell NaN; canonical JSON may not
        raise BadReport(path, "overlap.expect.number")
    return value


def _share(value: object, path: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise BadReport(path, "overlap.expect.share")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise BadReport(path, "overlap.expect.bool")
    return value


def _id(value: object, path: str) -> ItemId:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadReport(path, "overlap.expect.id")
    return value


def _choice(value: object, path: str, choices: tuple[T, ...], expected: str) -> T:
    for choice in choices:
        if value == choice:
            return choice
    raise BadReport(path, expected)


# --- the parts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BankReference:
    """A reference that is another stored bank."""

    occupation: str
    level: int

    def to_json(self) -> JsonObject:
        return {"kind": "bank", "occupation": self.occupation, "level": self.level}


@dataclass(frozen=True)
class FileReference:
    """A reference read from a file for the comparison only."""

    file: str

    def to_json(self) -> JsonObject:
        return {"kind": "file", "file": self.file}


Reference = BankReference | FileReference


def _reference(value: object, path: str) -> Reference:
    kind = _object(value, path, ("kind",), ("occupation", "level", "file"))["kind"]
    if kind == "bank":
        data = _object(value, path, ("kind", "occupation", "level"))
        return BankReference(
            _str(data["occupation"], _at(path, "occupation")),
            _int(data["level"], _at(path, "level")),
        )
    if kind == "file":
        data = _object(value, path, ("kind", "file"))
        return FileReference(_str(data["file"], _at(path, "file")))
    raise BadReport(_at(path, "kind"), "overlap.expect.reference_kind")


@dataclass(frozen=True)
class Scope:
    """What was checked: a bank (occupation and level), and what it was compared with."""

    occupation: str
    level: int
    other_levels: tuple[int, ...] | None = None  # practical-levels: the levels compared with
    reference: Reference | None = None  # reference: the bank or file compared with

    def to_json(self) -> JsonObject:
        out: JsonObject = {"occupation": self.occupation, "level": self.level}
        if self.other_levels is not None:
            out["other_levels"] = list(self.other_levels)
        if self.reference is not None:
            out["reference"] = self.reference.to_json()
        return out


def _scope(value: object, path: str) -> tuple[ReportKind, Scope]:
    data = _object(value, path, ("kind", "occupation", "level"), ("other_levels", "reference"))
    kind = _choice(data["kind"], _at(path, "kind"), KINDS, "overlap.expect.kind")
    other = data.get("other_levels")
    reference = data.get("reference")
    return kind, Scope(
        occupation=_str(data["occupation"], _at(path, "occupation")),
        level=_int(data["level"], _at(path, "level")),
        other_levels=None if other is None else _list(other, _at(path, "other_levels"), _int),
        reference=None if reference is None else _reference(reference, _at(path, "reference")),
    )


@dataclass(frozen=True)
class ReportPolicy:
    """The policy a report embeds (every value with its clause) and the id it claims."""

    policy: Policy
    id: str

    def to_json(self) -> JsonObject:
        return {**self.policy.as_dict(), "id": self.id}


_VALUES = tuple(f.name for f in fields(Policy) if f.name not in ("name", "title"))


def _policy(value: object, path: str) -> ReportPolicy:
    data = _object(value, path, ("name", "title", "id", *_VALUES))
    values = {}
    for name in _VALUES:
        at = _at(path, name)
        entry = _object(data[name], at, ("value", "source"))
        values[name] = Value(
            _number(entry["value"], _at(at, "value")), _str(entry["source"], _at(at, "source"))
        )
    policy = Policy(
        name=_str(data["name"], _at(path, "name")),
        title=_str(data["title"], _at(path, "title")),
        **values,
    )
    return ReportPolicy(policy, _str(data["id"], _at(path, "id")))


@dataclass(frozen=True)
class ReportTokenizer:
    """The tokenizer identity (and its key) the token sets were cut with.

    `engine` (e.g. `rjieba 0.2.2`) names the implementation that cut; reports made before it
    was recorded have none (they were cut by jieba). The key does not cover it: the engines
    make the same cuts, so a report verifies with either.
    """

    name: str
    jieba_version: str
    dictionary_sha256: str
    stopwords_sha256: str
    key: str
    engine: str | None = None

    def to_json(self) -> JsonObject:
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    def cuts(self) -> JsonObject:
        """What decides the cuts: everything but the engine."""
        return {n: v for n, v in self.to_json().items() if n != "engine"}


_TOKENIZER_NAMES = ("name", "jieba_version", "dictionary_sha256", "stopwords_sha256", "key")


def _tokenizer(value: object, path: str) -> ReportTokenizer:
    data = _object(value, path, _TOKENIZER_NAMES, ("engine",))
    name, jieba_version, dictionary_sha256, stopwords_sha256, key = (
        _str(data[n], _at(path, n)) for n in _TOKENIZER_NAMES
    )
    engine = data.get("engine")
    return ReportTokenizer(
        name,
        jieba_version,
        dictionary_sha256,
        stopwords_sha256,
        key,
        engine=None if engine is None else _str(engine, _at(path, "engine")),
    )


def _minhash(value: object, path: str) -> MinHashParams:
    data = _object(value, path, ("num_perm", "seed", "scheme", "compatible_with"))
    return MinHashParams(
        num_perm=_int(data["num_perm"], _at(path, "num_perm")),
        seed=_int(data["seed"], _at(path, "seed")),
        scheme=_str(data["scheme"], _at(path, "scheme")),
        compatible_with=_str(data["compatible_with"], _at(path, "compatible_with")),
    )


def minhash_json(params: MinHashParams) -> JsonObject:
    return {f.name: getattr(params, f.name) for f in fields(params)}


def method_json(method: Method) -> JsonObject:
    return {f.name: getattr(method, f.name) for f in fields(method)}


def _method(value: object, path: str) -> Method:
    name = _object(
        value, path, ("name",), ("exact_max_items", "bands", "rows", "min_recall", "candidates")
    )["name"]
    if name == "exact":
        data = _object(value, path, ("name", "exact_max_items"))
        return ExactMethod(_int(data["exact_max_items"], _at(path, "exact_max_items")))
    if name == "minhash-lsh":
        data = _object(value, path, ("name", "bands", "rows", "min_recall", "candidates"))
        return LshMethod(
            bands=_int(data["bands"], _at(path, "bands")),
            rows=_int(data["rows"], _at(path, "rows")),
            min_recall=_share(data["min_recall"], _at(path, "min_recall")),
            candidates=_int(data["candidates"], _at(path, "candidates")),
        )
    raise BadReport(_at(path, "name"), "overlap.expect.method")


@dataclass(frozen=True)
class Snapshot:
    """Count and SHA-256 of the sorted version ids: names exactly what was compared."""

    count: int
    sha256: str

    def to_json(self) -> JsonObject:
        return {"count": self.count, "sha256": self.sha256}


def _snapshot(value: object, path: str) -> Snapshot:
    data = _object(value, path, ("count", "sha256"))
    return Snapshot(
        _int(data["count"], _at(path, "count")), _str(data["sha256"], _at(path, "sha256"))
    )


@dataclass(frozen=True, slots=True)
class ListedItem:
    """One compared item (or, in a cross-level report, task) and the version it stands for.
    (Slots: a report of a million items holds a million of these.)"""

    id: ItemId
    guid: str | None
    version: str

    def to_json(self) -> JsonObject:
        return {"id": self.id, "guid": self.guid, "version": self.version}


def _listed_item(value: object, path: str) -> ListedItem:
    data = _object(value, path, ("id", "guid", "version"))
    id_, guid, version = data["id"], data["guid"], data["version"]
    # A report lists every item: the well-formed ones skip building error paths.
    well_formed_id = isinstance(id_, int | str) and not isinstance(id_, bool)
    if well_formed_id and (guid is None or type(guid) is str) and type(version) is str:
        return ListedItem(cast(ItemId, id_), guid, version)
    return ListedItem(
        _id(data["id"], _at(path, "id")),
        _str_or_none(data["guid"], _at(path, "guid")),
        _str(data["version"], _at(path, "version")),
    )


@dataclass(frozen=True)
class ListedTask:
    """One compared practical task: `SET#number`, its set version `sha#number`, its score."""

    id: str
    version: str
    set_code: str
    score: Number

    def to_json(self) -> JsonObject:
        return {"id": self.id, "version": self.version, "set": self.set_code, "score": self.score}


def _listed_task(value: object, path: str) -> ListedTask:
    data = _object(value, path, ("id", "version", "set", "score"))
    return ListedTask(
        _str(data["id"], _at(path, "id")),
        _str(data["version"], _at(path, "version")),
        _str(data["set"], _at(path, "set")),
        _number(data["score"], _at(path, "score")),
    )


@dataclass(frozen=True)
class ReportPair:
    """A near-duplicate pair with its exact Jaccard (rounded) and the counts behind it."""

    a: ItemId
    b: ItemId
    similarity: Number
    shared: int
    union: int

    def to_json(self) -> JsonObject:
        return {
            "a": self.a,
            "b": self.b,
            "similarity": self.similarity,
            "shared": self.shared,
            "union": self.union,
        }


_PAIR = ("a", "b", "similarity", "shared", "union")


def _pair_of(data: JsonObject, path: str) -> ReportPair:
    return ReportPair(
        _id(data["a"], _at(path, "a")),
        _id(data["b"], _at(path, "b")),
        _share(data["similarity"], _at(path, "similarity")),
        _int(data["shared"], _at(path, "shared")),
        _int(data["union"], _at(path, "union")),
    )


def _pair(value: object, path: str) -> ReportPair:
    return _pair_of(_object(value, path, _PAIR), path)


@dataclass(frozen=True)
class AdjudicatedPair:
    """A pair a reviewer judged distinct (signed): listed, not counted in the rate."""

    pair: ReportPair
    reviewer: str
    reason: str

    def to_json(self) -> JsonObject:
        return {**self.pair.to_json(), "reviewer": self.reviewer, "reason": self.reason}


def _adjudicated(value: object, path: str) -> AdjudicatedPair:
    data = _object(value, path, (*_PAIR, "reviewer", "reason"))
    return AdjudicatedPair(
        _pair_of(data, path),
        _str(data["reviewer"], _at(path, "reviewer")),
        _str(data["reason"], _at(path, "reason")),
    )


@dataclass(frozen=True)
class SetShare:
    """Of one set of a pair: score repeated in the other set, its total score, their ratio."""

    numerator: Number
    denominator: Number
    share: Number


@dataclass(frozen=True)
class SetPair:
    """Two practical sets and each one's score share repeated in the other."""

    a: str
    b: str
    side_a: SetShare
    side_b: SetShare

    def to_json(self) -> JsonObject:
        out: JsonObject = {"a": self.a, "b": self.b}
        for side, share in (("a", self.side_a), ("b", self.side_b)):
            out[f"numerator_{side}"] = share.numerator
            out[f"denominator_{side}"] = share.denominator
            out[f"share_{side}"] = share.share
        return out


def _set_pair(value: object, path: str) -> SetPair:
    sides = [f"{n}_{s}" for s in "ab" for n in ("numerator", "denominator", "share")]
    data = _object(value, path, ("a", "b", *sides))

    def side(s: str) -> SetShare:
        return SetShare(
            _number(data[f"numerator_{s}"], _at(path, f"numerator_{s}")),
            _number(data[f"denominator_{s}"], _at(path, f"denominator_{s}")),
            _share(data[f"share_{s}"], _at(path, f"share_{s}")),
        )

    return SetPair(
        _str(data["a"], _at(path, "a")), _str(data["b"], _at(path, "b")), side("a"), side("b")
    )


def _cluster(value: object, path: str) -> tuple[ItemId, ...]:
    return _list(value, path, _id)


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OverlapReport:
    """One overlap report: scope, rules, tokenizer, method, pairs, figures and verdict.

    Sections a kind does not have are None (and absent from the JSON); see the module doc.
    """

    kind: ReportKind
    scope: Scope
    policy: ReportPolicy
    tokenizer: ReportTokenizer
    minhash: MinHashParams
    method: Method
    threshold: Number
    snapshot: Snapshot
    pairs: tuple[ReportPair, ...]
    numerator: Number
    denominator: Number
    rate: Number
    cap: Number
    verdict: Verdict
    items: tuple[ListedItem, ...] | None = None
    tasks: tuple[ListedTask, ...] | None = None
    reference_snapshot: Snapshot | None = None
    reference_items: tuple[ListedItem, ...] | None = None
    adjudicated: tuple[AdjudicatedPair, ...] | None = None
    adjudicated_counted: bool | None = None
    clusters: tuple[tuple[ItemId, ...], ...] | None = None
    set_pairs: tuple[SetPair, ...] | None = None
    generated_at: str | None = None
    generated_by: str | None = None
    unverified: tuple[tuple[str, object], ...] = ()  # top-level claims this format lacks

    @classmethod
    def from_json(cls, data: object) -> OverlapReport:
        """The report in `data` (parsed JSON); BadReport naming the first bad field."""
        if not isinstance(data, dict):
            raise BadReport("(report)", "overlap.expect.object")
        _choice(data.get("format"), "format", (FORMAT,), "overlap.expect.format")
        scope_value = data.get("scope")
        if scope_value is None:
            raise BadReport("scope", "overlap.expect.present")
        kind, scope = _scope(scope_value, "scope")
        for key in (*COMMON, *SECTIONS[kind]):
            if key not in data:
                raise BadReport(key, "overlap.expect.present")
        for key in sorted(
            k for k in data if k in KNOWN and k not in (*COMMON, *STAMPS, *SECTIONS[kind])
        ):
            raise BadReport(key, "overlap.expect.absent")

        def section(key: str, read: Callable[[object, str], T]) -> T | None:
            return read(data[key], key) if key in data else None

        def listing(item: Callable[[object, str], T]) -> Callable[[object, str], tuple[T, ...]]:
            return lambda value, path: _list(value, path, item)

        return cls(
            kind=kind,
            scope=scope,
            policy=_policy(data["policy"], "policy"),
            tokenizer=_tokenizer(data["tokenizer"], "tokenizer"),
            minhash=_minhash(data["minhash"], "minhash"),
            method=_method(data["method"], "method"),
            threshold=_share(data["threshold"], "threshold"),
            snapshot=_snapshot(data["snapshot"], "snapshot"),
            pairs=_list(data["pairs"], "pairs", _pair),
            numerator=_number(data["numerator"], "numerator"),
            denominator=_number(data["denominator"], "denominator"),
            rate=_share(data["rate"], "rate"),
            cap=_share(data["cap"], "cap"),
            verdict=_choice(data["verdict"], "verdict", ("pass", "fail"), "overlap.expect.verdict"),
            items=section("items", listing(_listed_item)),
            tasks=section("tasks", listing(_listed_task)),
            reference_snapshot=section("reference_snapshot", _snapshot),
            reference_items=section("reference_items", listing(_listed_item)),
            adjudicated=section("adjudicated", listing(_adjudicated)),
            adjudicated_counted=section("adjudicated_counted", _bool),
            clusters=section("clusters", listing(_cluster)),
            set_pairs=section("set_pairs", listing(_set_pair)),
            generated_at=section("generated_at", _str),
            generated_by=section("generated_by", _str),
            unverified=tuple((k, data[k]) for k in sorted(data) if k not in KNOWN),
        )

    def to_json(self) -> JsonObject:
        """The report as JSON: `canonical_bytes` of it are the bytes the report was read from."""
        out: JsonObject = {
            "format": FORMAT,
            "scope": {"kind": self.kind, **self.scope.to_json()},
            "policy": self.policy.to_json(),
            "tokenizer": self.tokenizer.to_json(),
            "minhash": minhash_json(self.minhash),
            "method": method_json(self.method),
            "threshold": self.threshold,
            "snapshot": self.snapshot.to_json(),
            "pairs": [p.to_json() for p in self.pairs],
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": self.rate,
            "cap": self.cap,
            "verdict": self.verdict,
        }
        sections: dict[str, object] = {
            "items": _listing(self.items),
            "tasks": _listing(self.tasks),
            "reference_snapshot": None
            if self.reference_snapshot is None
            else self.reference_snapshot.to_json(),
            "reference_items": _listing(self.reference_items),
            "adjudicated": _listing(self.adjudicated),
            "adjudicated_counted": self.adjudicated_counted,
            "clusters": None if self.clusters is None else [list(c) for c in self.clusters],
            "set_pairs": _listing(self.set_pairs),
            "generated_at": self.generated_at,
            "generated_by": self.generated_by,
        }
        out.update((k, v) for k, v in sections.items() if v is not None)
        out.update(self.unverified)
        return out

    def listed(self) -> tuple[ListedItem, ...]:
        """Every item the report names, its own and the reference's."""
        return (*(self.items or ()), *(self.reference_items or ()))

    def policy_entry(self, name: str) -> Value | None:
        """The embedded policy value called `name` (None for an unknown name)."""
        value = getattr(self.policy.policy, name, None) if name in _VALUES else None
        return value if isinstance(value, Value) else None


def _listing(
    parts: Sequence[AdjudicatedPair | ListedItem | ListedTask | SetPair] | None,
) -> list[JsonObject] | None:
    return None if parts is None else [p.to_json() for p in parts]
