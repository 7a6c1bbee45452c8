"""The custody log's own formats: the layout, the entries, and the exported directory.

Everything here is pure: records are built into canonical JSON (the exact bytes that are
signed and hashed) and parsed back strictly. A parser accepts only what the builder writes —
the exact key set, types, canonical JSON and canonical base64 — so a changed byte can never
parse into an equal-looking record; it fails here or fails a hash or signature later.

Export directory (`export_files`), byte for byte deterministic::

    layout.json             {"payload": <layout, canonical JSON text>, "signature": <b64>}
    log.jsonl               one {"payload": <entry text>, "signature": <b64>} per line
    checkpoints/<size>.txt  the signed checkpoint note after entry size-1 (qbank.checkpoint)
    keys/<name>.pub         every key the layout names, `qbank key export` format
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from qbank.batch import STEP_NAMES as BATCH_STEP_NAMES
from qbank.batch import STEPS as BATCH_STEPS
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.checkpoint import MalformedNote, strict_b64decode
from qbank.keys import EXPORT_PREFIX, fingerprint

LAYOUT_TYPE = "qbank-custody-layout/v1"
ENTRY_TYPE = "qbank-custody-entry/v1"

REQUIRED_STEPS: tuple[str, ...] = BATCH_STEPS
"""assemble, extract, print, transport, seal: a log is complete once all are signed."""
OPTIONAL_STEPS = ("open", "archive")
STEPS: tuple[str, ...] = (*REQUIRED_STEPS, *OPTIONAL_STEPS)
STEP_NAMES = {**BATCH_STEP_NAMES, "open": "启封", "archive": "归档"}
NEXT_STEPS: dict[str | None, tuple[str, ...]] = {
    None: ("assemble",),
    "assemble": ("extract",),
    "extract": ("print",),
    "print": ("transport",),
    "transport": ("transport", "seal"),
    "seal": ("open", "archive"),
    "open": ("archive",),
    "archive": (),
}
"""Which step may start after each (transport repeats: one entry per leg)."""
PRODUCT_KINDS = ("paper", "bundle", "file")

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class Malformed(ValueError):
    """Bytes that are not a record of the expected shape (the message says what is off)."""


@dataclass(frozen=True, order=True)
class Product:
    """Something a step hands on: a paper (its fingerprint), a sealed bundle, a file."""

    kind: str
    name: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "sha256": self.sha256}


@dataclass(frozen=True)
class Key:
    """A person's public signing key as the layout names it."""

    name: str
    public_key: bytes

    @cached_property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "public_key": base64.b64encode(self.public_key).decode("ascii"),
            "fingerprint": self.fingerprint,
        }

    def export_text(self) -> str:
        """The `qbank key export` line for this key."""
        return f"{EXPORT_PREFIX} {base64.b64encode(self.public_key).decode('ascii')} {self.name}"


@dataclass(frozen=True)
class StepRule:
    """Who may sign a step and how many distinct designated people must."""

    step: str
    quorum: int
    people: tuple[Key, ...]

    def person(self, name: str, fingerprint_hex: str) -> Key | None:
        for key in self.people:
            if key.name == name and key.fingerprint == fingerprint_hex:
                return key
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "name": STEP_NAMES[self.step],
            "quorum": self.quorum,
            "people": [k.as_dict() for k in self.people],
        }


@dataclass(frozen=True)
class Layout:
    """The signed plan of a batch's custody: its steps, their signers and quorums."""

    batch_id: int
    batch_code: str
    occupation: str
    level: int
    exam_date: str
    site: str
    steps: tuple[StepRule, ...]
    transport_legs: int | None
    signer: Key
    created_at: str

    @cached_property
    def origin(self) -> str:
        """The checkpoint origin line naming this log."""
        return f"qbank.custody/{self.occupation}-{self.level}/{self.batch_code}"

    @property
    def batch(self) -> dict[str, Any]:
        return {"id": self.batch_id, "code": self.batch_code}

    def rule(self, step: str) -> StepRule | None:
        return self._rules.get(step)

    @cached_property
    def _rules(self) -> dict[str, StepRule]:
        """Each step's first rule, by step name."""
        rules: dict[str, StepRule] = {}
        for rule in self.steps:
            rules.setdefault(rule.step, rule)
        return rules

    def public_keys(self) -> list[Key]:
        """Every key the layout names (its signer first), each once."""
        seen: dict[tuple[str, bytes], Key] = {}
        for key in (self.signer, *(k for r in self.steps for k in r.people)):
            seen.setdefault((key.name, key.public_key), key)
        return list(seen.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": LAYOUT_TYPE,
            "batch": self.batch,
            "bank": {"occupation": self.occupation, "level": self.level},
            "exam_date": self.exam_date,
            "site": self.site,
            "origin": self.origin,
            "steps": [r.as_dict() for r in self.steps],
            "transport_legs": self.transport_legs,
            "signer": self.signer.as_dict(),
            "created_at": self.created_at,
        }

    def payload(self) -> bytes:
        return canonical_bytes(self.as_dict())


@dataclass(frozen=True)
class Entry:
    """One custody log entry: who did which step, on what, producing what, with what evidence."""

    batch_id: int
    batch_code: str
    layout: str
    position: int
    previous_root: str
    step: str
    person_name: str
    person_fingerprint: str
    claimed_time: str
    materials: tuple[Product, ...]
    products: tuple[Product, ...]
    evidence: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": ENTRY_TYPE,
            "batch": {"id": self.batch_id, "code": self.batch_code},
            "layout": self.layout,
            "position": self.position,
            "previous_root": self.previous_root,
            "step": self.step,
            "person": {"name": self.person_name, "fingerprint": self.person_fingerprint},
            "claimed_time": self.claimed_time,
            "materials": [p.as_dict() for p in self.materials],
            "products": [p.as_dict() for p in self.products],
            "evidence": dict(self.evidence),
        }

    def payload(self) -> bytes:
        return canonical_bytes(self.as_dict())


@dataclass
class SignedLog:
    """A log as stored or exported: exact payload bytes with their signatures, and the notes."""

    layout_payload: bytes
    layout_signature: bytes
    entries: list[tuple[bytes, bytes]]
    checkpoints: dict[int, str]


def format_time(moment: datetime) -> str:
    """A claimed time as the log records it: UTC, RFC 3339, whole seconds."""
    if moment.tzinfo is None:
        raise ValueError("claimed time needs a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def layout_id(payload: bytes) -> str:
    """How entries name their layout: the SHA-256 of its exact payload."""
    return sha256_hex(payload)


def check_evidence_key(key: str) -> bool:
    return bool(key) and not _CONTROL.search(key) and "=" not in key and key == key.strip()


# --- strict parsing -------------------------------------------------------------------------


def strict_json(data: bytes) -> Any:
    """Parse canonical JSON only: the bytes must be exactly `canonical_bytes` of their value."""
    try:
        value = json.loads(data.decode("utf-8"))
        again = canonical_bytes(value)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise Malformed("not canonical JSON") from None
    if again != data:
        raise Malformed("not canonical JSON")
    return value


def _obj(value: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        raise Malformed(f"{what}: expected the fields {sorted(keys)}")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or _CONTROL.search(value):
        raise Malformed(f"{what}: expected a non-empty one-line text")
    return value


def _int(value: Any, what: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise Malformed(f"{what}: expected a whole number ≥ {minimum}")
    return value


def _hex64(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise Malformed(f"{what}: expected 64 lower-case hex digits")
    return value


def _b64(value: Any, what: str, size: int) -> bytes:
    if not isinstance(value, str):
        raise Malformed(f"{what}: expected base64")
    try:
        raw = strict_b64decode(value)
    except MalformedNote:
        raise Malformed(f"{what}: expected canonical base64") from None
    if len(raw) != size:
        raise Malformed(f"{what}: expected {size} bytes")
    return raw


def _time(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise Malformed(f"{what}: expected UTC time YYYY-MM-DDTHH:MM:SSZ")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise Malformed(f"{what}: not a real time") from None
    return value


def _key(value: Any, what: str) -> Key:
    data = _obj(value, {"name", "public_key", "fingerprint"}, what)
    key = Key(_str(data["name"], f"{what}.name"), _b64(data["public_key"], f"{what}.key", 32))
    if data["fingerprint"] != key.fingerprint:
        raise Malformed(f"{what}: fingerprint does not match the key")
    return key


def _products(value: Any, what: str) -> tuple[Product, ...]:
    if not isinstance(value, list):
        raise Malformed(f"{what}: expected a list")
    out = []
    for n, item in enumerate(value):
        data = _obj(item, {"kind", "name", "sha256"}, f"{what}[{n}]")
        if data["kind"] not in PRODUCT_KINDS:
            raise Malformed(f"{what}[{n}].kind: expected one of {PRODUCT_KINDS}")
        out.append(
            Product(
                data["kind"],
                _str(data["name"], f"{what}[{n}].name"),
                _hex64(data["sha256"], f"{what}[{n}].sha256"),
            )
        )
    if out != sorted(set(out)):
        raise Malformed(f"{what}: expected sorted, distinct items")
    return tuple(out)


def _step_rule(value: Any, what: str) -> StepRule:
    data = _obj(value, {"step", "name", "quorum", "people"}, what)
    step = data["step"]
    if step not in STEPS or data["name"] != STEP_NAMES[step]:
        raise Malformed(f"{what}: unknown step")
    if not isinstance(data["people"], list) or not data["people"]:
        raise Malformed(f"{what}.people: expected at least one person")
    people = tuple(_key(p, f"{what}.people[{n}]") for n, p in enumerate(data["people"]))
    if len({k.name for k in people}) != len(people):
        raise Malformed(f"{what}.people: a name appears twice")
    quorum = _int(data["quorum"], f"{what}.quorum", 1)
    if quorum > len(people):
        raise Malformed(f"{what}.quorum: more than the people designated")
    return StepRule(step, quorum, people)


def parse_layout(payload: bytes) -> Layout:
    """The layout in `payload`; Malformed unless it is exactly what `Layout.payload` writes."""
    data = _obj(
        strict_json(payload),
        {
            "type",
            "batch",
            "bank",
            "exam_date",
            "site",
            "origin",
            "steps",
            "transport_legs",
            "signer",
            "created_at",
        },
        "layout",
    )
    if data["type"] != LAYOUT_TYPE:
        raise Malformed(f"layout.type: expected {LAYOUT_TYPE}")
    batch = _obj(data["batch"], {"id", "code"}, "layout.batch")
    bank = _obj(data["bank"], {"occupation", "level"}, "layout.bank")
    if not isinstance(data["steps"], list):
        raise Malformed("layout.steps: expected a list")
    steps = tuple(_step_rule(s, f"layout.steps[{n}]") for n, s in enumerate(data["steps"]))
    names = tuple(r.step for r in steps)
    if names[: len(REQUIRED_STEPS)] != REQUIRED_STEPS or list(names) != [
        s for s in STEPS if s in names
    ]:
        raise Malformed("layout.steps: expected every required step, in order, each once")
    legs = data["transport_legs"]
    if not isinstance(data["exam_date"], str) or not _DATE.fullmatch(data["exam_date"]):
        raise Malformed("layout.exam_date: expected YYYY-MM-DD")
    layout = Layout(
        batch_id=_int(batch["id"], "layout.batch.id", 1),
        batch_code=_str(batch["code"], "layout.batch.code"),
        occupation=_str(bank["occupation"], "layout.bank.occupation"),
        level=_int(bank["level"], "layout.bank.level", 1),
        exam_date=data["exam_date"],
        site=_str(data["site"], "layout.site"),
        steps=steps,
        transport_legs=None if legs is None else _int(legs, "layout.transport_legs", 1),
        signer=_key(data["signer"], "layout.signer"),
        created_at=_time(data["created_at"], "layout.created_at"),
    )
    if data["origin"] != layout.origin:
        raise Malformed("layout.origin: does not match the bank and batch")
    if len({k.name for k in layout.public_keys()}) != len(layout.public_keys()):
        raise Malformed("layout: one name with two different keys")
    if layout.payload() != payload:
        raise Malformed("layout: not in the form qbank writes")
    return layout


def parse_entry(payload: bytes) -> Entry:
    """The entry in `payload`; Malformed unless it is exactly what `Entry.payload` writes."""
    data = _obj(
        strict_json(payload),
        {
            "type",
            "batch",
            "layout",
            "position",
            "previous_root",
            "step",
            "person",
            "claimed_time",
            "materials",
            "products",
            "evidence",
        },
        "entry",
    )
    if data["type"] != ENTRY_TYPE:
        raise Malformed(f"entry.type: expected {ENTRY_TYPE}")
    batch = _obj(data["batch"], {"id", "code"}, "entry.batch")
    person = _obj(data["person"], {"name", "fingerprint"}, "entry.person")
    evidence = data["evidence"]
    if not isinstance(evidence, dict) or not all(
        check_evidence_key(k) and isinstance(v, str) and not _CONTROL.search(v)
        for k, v in evidence.items()
    ):
        raise Malformed("entry.evidence: expected KEY: text pairs")
    step = data["step"]
    if not isinstance(step, str) or step not in STEPS:
        raise Malformed(f"entry.step: expected one of {STEPS}")
    return Entry(
        batch_id=_int(batch["id"], "entry.batch.id", 1),
        batch_code=_str(batch["code"], "entry.batch.code"),
        layout=_hex64(data["layout"], "entry.layout"),
        position=_int(data["position"], "entry.position", 0),
        previous_root=_hex64(data["previous_root"], "entry.previous_root"),
        step=step,
        person_name=_str(person["name"], "entry.person.name"),
        person_fingerprint=_hex64(person["fingerprint"], "entry.person.fingerprint"),
        claimed_time=_time(data["claimed_time"], "entry.claimed_time"),
        materials=_products(data["materials"], "entry.materials"),
        products=_products(data["products"], "entry.products"),
        evidence=evidence,
    )


def signed_record(payload: bytes, signature: bytes) -> bytes:
    """`{"payload": <text>, "signature": <b64>}` as canonical JSON: a layout.json or a log line."""
    return canonical_bytes(
        {
            "payload": payload.decode("utf-8"),
            "signature": base64.b64encode(signature).decode("ascii"),
        }
    )


def parse_signed_record(data: bytes) -> tuple[bytes, bytes]:
    """(payload bytes, 64-byte signature) from a `signed_record`; Malformed otherwise."""
    record = _obj(strict_json(data), {"payload", "signature"}, "record")
    if not isinstance(record["payload"], str):
        raise Malformed("record.payload: expected text")
    return record["payload"].encode("utf-8"), _b64(record["signature"], "record.signature", 64)


# --- the export directory -------------------------------------------------------------------


def key_file_name(name: str) -> str:
    """`keys/<name>.pub`, with path separators and a leading dot made harmless."""
    safe = name.replace("/", "_").replace("\\", "_")
    if safe.startswith("."):
        safe = "_" + safe[1:]
    return f"keys/{safe}.pub"


def key_files(layout: Layout) -> dict[str, bytes]:
    return {
        key_file_name(k.name): (k.export_text() + "\n").encode("utf-8")
        for k in layout.public_keys()
    }


def export_files(log: SignedLog, layout: Layout) -> dict[str, bytes]:
    """Every file of the export directory (relative name → bytes), deterministically."""
    files = {
        "layout.json": signed_record(log.layout_payload, log.layout_signature) + b"\n",
        "log.jsonl": b"".join(signed_record(p, s) + b"\n" for p, s in log.entries),
    }
    for size, note in sorted(log.checkpoints.items()):
        files[f"checkpoints/{size}.txt"] = note.encode("utf-8")
    files.update(key_files(layout))
    return dict(sorted(files.items()))


def products_of(items: Sequence[Product]) -> tuple[Product, ...]:
    """Products in the log's order (sorted, each once)."""
    return tuple(sorted(set(items)))
