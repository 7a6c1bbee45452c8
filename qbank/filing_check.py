"""Verify a filing package without the institution's database (what a regulator runs).

The byte-level rules are in docs/formats.md. Checks run cheapest and most decisive first, and
the first six are a gate: when one fails, the rest are skipped, so nothing large (items.jsonl,
the workbook, the overlap reports) is parsed in a package whose signatures or hashes are
wrong, or whose signers nobody vouched for.

1. `index`: signatures.json and public-keys.json (small, size-capped) are well formed;
2. `signatures`: every index signature verifies with its signer's public key; the institution
   and at least one reviewer signed;
3. `keys`: every index signer's key is pinned — a trusted key (`.pub`, or the verifier's own
   database) of the same name and the same key; else INVALID, naming the unpinned signers
   with full fingerprints (anyone can sign a self-consistent package with keys of their own);
4. `files`: every file's SHA-256 equals the index; no file missing, none added;
5. `merkle_root`: the manifest's root re-derives from its entries (RFC 6962), every entry is
   of a known kind;
6. `items`: items.jsonl holds exactly the manifest's item versions, in manifest order, each
   line canonical JSON hashing to its id;
7. `bank.xlsx`: the workbook's items hash to the same versions (parsed only now);
8. `practical`: each practical/<code>.json hashes to its manifest version;
9. `tree`: tree.json hashes to the manifest's tree version;
10. `reviews`: every filed version has a signed approval by a reviewer who is not its author,
    each review signature by a pinned key;
11. `overlap-theory` / `overlap-practical`: the reports name the filed versions and every
    figure re-derives.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qbank import merkle
from qbank.canonical import canonical_bytes, content_id, sha256_hex
from qbank.keys import fingerprint as key_fingerprint
from qbank.keys import parse_public
from qbank.keys import verify as verify_signature
from qbank.records import ItemRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qbank.overlap.document import OverlapReport

VALID, INVALID = "VALID", "INVALID"
INDEX_FORMAT = "qbank-filing-index/1"
ENTRY_KINDS = ("item", "practical_set", "tree")
CONTROL_FILE_LIMIT = 4 * 1024 * 1024
"""signatures.json and public-keys.json are read before anything is trusted: at most this."""
GATE = ("index", "signatures", "keys", "files", "merkle_root", "items")
"""A failure of one of these skips every later check."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
BankRecords = Sequence[ItemRecord] | None


@dataclass(frozen=True)
class TrustedKey:
    """A public key the verifier vouches for: from a `.pub` file, or its own database.

    `roles` is None for a `.pub` file (it names no roles); a database key counts only for the
    roles the database gives its person.
    """

    name: str
    public_key: bytes
    source: str
    roles: frozenset[str] | None = None

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_key)


@dataclass(frozen=True)
class SignerTrust:
    """One signer (of the index or of a review) and whether their key is pinned."""

    name: str
    role: str
    fingerprint: str
    pinned_by: str | None = None
    trusted_fingerprint: str | None = None  # a pinned key of that name that is not this one

    @property
    def pinned(self) -> bool:
        return self.pinned_by is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "fingerprint": self.fingerprint,
            "pinned": self.pinned,
            "pinned_by": self.pinned_by,
            "trusted_fingerprint": self.trusted_fingerprint,
        }


@dataclass(frozen=True)
class PackageCheck:
    check: str
    ok: bool
    detail: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "ok" if self.ok else "failed"

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "ok": self.ok, "status": self.status, "detail": self.detail}


@dataclass
class PackageVerdict:
    checks: list[PackageCheck]
    signers: list[SignerTrust] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks) and all(s.pinned for s in self.signers)

    @property
    def status(self) -> str:
        return VALID if self.ok else INVALID

    @property
    def unpinned(self) -> list[SignerTrust]:
        return [s for s in self.signers if not s.pinned]

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.status,
            "ok": self.ok,
            "checks": [c.as_dict() for c in self.checks],
            "signers": [s.as_dict() for s in self.signers],
            "unpinned": [s.as_dict() for s in self.unpinned],
        }


class _Failed(Exception):
    """One check failed; its message is the detail. Never leaves this module."""


def _json(files: Mapping[str, bytes], name: str, limit: int | None = None) -> Any:
    if name not in files:
        raise _Failed(f"{name} missing")
    if limit is not None and len(files[name]) > limit:
        raise _Failed(f"{name} is larger than {limit} bytes")
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise _Failed(f"{name}: {e}") from None


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip()


def verify_package(
    files: Mapping[str, bytes],
    bank_records: BankRecords | Callable[[], BankRecords],
    *,
    trusted: Iterable[TrustedKey] = (),
) -> PackageVerdict:
    """Run every step over the package's files (name → bytes).

    `bank_records` is bank.xlsx parsed (None when unreadable), or better a function that
    parses it: it is called only once the gate has passed. `trusted` are the pinned keys.
    """
    state: dict[str, Any] = {"trusted": list(trusted), "signers": {}}

    def records() -> BankRecords:
        if "records" not in state:
            state["records"] = bank_records() if callable(bank_records) else bank_records
        cached: BankRecords = state["records"]
        return cached

    steps: list[tuple[str, Callable[[], str]]] = [
        ("index", lambda: _index(files, state)),
        ("signatures", lambda: _signatures(state)),
        ("keys", lambda: _keys(state)),
        ("files", lambda: _files(files, state)),
        ("merkle_root", lambda: _merkle(files, state)),
        ("items", lambda: _items(files, state)),
        ("bank.xlsx", lambda: _bank(records(), state)),
        ("practical", lambda: _practical(files, state)),
        ("tree", lambda: _tree(files, state)),
        ("reviews", lambda: _reviews(files, state)),
        ("overlap-theory", lambda: _overlap_theory(files, records, state)),
        ("overlap-practical", lambda: _overlap_practical(files, state)),
    ]
    checks: list[PackageCheck] = []
    stopped = ""
    for name, step in steps:
        if stopped:
            checks.append(PackageCheck(name, False, f"skipped: {stopped} failed", skipped=True))
            continue
        try:
            checks.append(PackageCheck(name, True, step()))
        except _Failed as e:
            checks.append(PackageCheck(name, False, str(e)))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            checks.append(PackageCheck(name, False, f"malformed: {e!r}"))
        if not checks[-1].ok and name in GATE:
            stopped = name
    return PackageVerdict(checks, list(state["signers"].values()))


# --- the gate: index, signatures, pinned keys, hashes, Merkle root, items -------------------


def _index(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    signed = _json(files, "signatures.json", CONTROL_FILE_LIMIT)
    if not isinstance(signed, dict) or set(signed) != {"index", "signatures"}:
        raise _Failed("signatures.json: expected {index, signatures}")
    index = signed["index"]
    if (
        not isinstance(index, dict)
        or index.get("format") != INDEX_FORMAT
        or not isinstance(index.get("files"), dict)
        or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in index["files"].values())
    ):
        raise _Failed("not a qbank filing index")
    sigs = signed["signatures"]
    if not isinstance(sigs, list) or not all(
        isinstance(s, dict) and all(isinstance(s.get(k), str) for k in _SIG_FIELDS) for s in sigs
    ):
        raise _Failed("signatures.json: malformed signature list")
    public = _json(files, "public-keys.json", CONTROL_FILE_LIMIT)
    if not isinstance(public, dict) or not all(isinstance(v, dict) for v in public.values()):
        raise _Failed("public-keys.json: expected {name: {public_key, fingerprint, roles}}")
    state["index"], state["signatures"], state["keys"] = index, sigs, public
    return f"{len(index['files'])} files"


_SIG_FIELDS = ("signer", "role", "fingerprint", "signature")


def _key(state: dict[str, Any], name: str) -> tuple[bytes, list[str], str]:
    entry = state["keys"].get(name)
    if not entry:
        raise _Failed(f"no public key for {name}")
    try:
        raw = base64.b64decode(entry["public_key"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise _Failed(f"bad public key for {name}") from None
    if len(raw) != 32 or entry.get("fingerprint") != key_fingerprint(raw):
        raise _Failed(f"fingerprint of {name} does not match the public key")
    roles = entry.get("roles", [])
    return (
        raw,
        [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else [],
        str(entry.get("fingerprint")),
    )


def _signatures(state: dict[str, Any]) -> str:
    data = canonical_bytes(state["index"])
    roles = set()
    for sig in state["signatures"]:
        raw, person_roles, fingerprint = _key(state, sig["signer"])
        if sig["role"] not in person_roles:
            raise _Failed(f"{sig['signer']} does not hold the role {sig['role']}")
        if sig["fingerprint"] != fingerprint:
            raise _Failed(f"fingerprint of {sig['signer']} does not match the public key")
        try:
            signature = base64.b64decode(sig["signature"], validate=True)
        except (binascii.Error, ValueError):
            raise _Failed(f"signature of {sig['signer']} is not base64") from None
        if not verify_signature(raw, data, signature):
            raise _Failed(f"signature of {sig['signer']} does not verify")
        roles.add(sig["role"])
    if "institution" not in roles or "reviewer" not in roles:
        raise _Failed("needs the institution's and at least one reviewer's signature")
    return ", ".join(f"{s['signer']} ({s['role']})" for s in state["signatures"])


def _trust(state: dict[str, Any], name: str, role: str, raw: bytes) -> SignerTrust:
    """Record whether (name, key) is pinned for `role`; the same signer is judged once."""
    key = (name, role, raw)
    if key in state["signers"]:
        judged: SignerTrust = state["signers"][key]
        return judged
    fingerprint = key_fingerprint(raw)
    same_name = [t for t in state["trusted"] if _nfc(t.name) == _nfc(name)]
    found = next(
        (t for t in same_name if t.public_key == raw and (t.roles is None or role in t.roles)),
        None,
    )
    other = next((t for t in same_name if t.public_key != raw), None)
    trust = SignerTrust(
        name,
        role,
        fingerprint,
        pinned_by=found.source if found else None,
        trusted_fingerprint=other.fingerprint if other and not found else None,
    )
    state["signers"][key] = trust
    return trust


def _describe(unpinned: Sequence[SignerTrust]) -> str:
    return "; ".join(
        f"{s.name} ({s.role}) {s.fingerprint}"
        + (f", pinned key is {s.trusted_fingerprint}" if s.trusted_fingerprint else "")
        for s in unpinned
    )


def _keys(state: dict[str, Any]) -> str:
    trusts = [
        _trust(state, s["signer"], s["role"], _key(state, s["signer"])[0])
        for s in state["signatures"]
    ]
    unpinned = [t for t in trusts if not t.pinned]
    if unpinned:
        raise _Failed("signers without a pinned key: " + _describe(unpinned))
    return ", ".join(f"{t.name} ← {t.pinned_by}" for t in trusts)


def _files(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    listed: dict[str, str] = state["index"]["files"]
    problems = [f"{n} missing" for n in listed if n not in files]
    problems += [
        f"{n} changed" for n, h in listed.items() if n in files and sha256_hex(files[n]) != h
    ]
    problems += [
        f"{n} not in the index" for n in files if n not in listed and n != "signatures.json"
    ]
    if problems:
        raise _Failed("; ".join(sorted(problems)))
    return "all hashes match"


def _merkle(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    manifest = _json(files, "manifest.json")
    entries = manifest["entries"]
    kinds = {e["kind"] for e in entries}
    if not kinds <= set(ENTRY_KINDS):
        raise _Failed(f"unknown entry kinds {sorted(kinds - set(ENTRY_KINDS))}")
    root = merkle.root([canonical_bytes(e) for e in entries]).hex()  # leaf: canonical JSON
    if root != manifest["merkle_root"]:
        raise _Failed(f"recomputed {root}, manifest says {manifest['merkle_root']}")
    state["manifest"] = manifest
    return root


def _entries(state: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in state["manifest"]["entries"] if e["kind"] == kind]


def _items(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    lines = files.get("items.jsonl", b"").decode("utf-8").split("\n")
    if lines[-1]:
        raise _Failed("items.jsonl does not end with a newline")
    contents: dict[str, Any] = {}
    order = []
    for line in lines[:-1]:
        content = json.loads(line)
        sha = sha256_hex(line.encode("utf-8"))
        if content_id(content) != sha:
            raise _Failed("a line of items.jsonl is not canonical JSON")
        contents[sha] = content
        order.append(sha)
    wanted = [e["version"] for e in _entries(state, "item")]
    if set(order) != set(wanted):
        raise _Failed(
            f"{len(set(wanted) - set(order))} filed versions missing, "
            f"{len(set(order) - set(wanted))} not filed"
        )
    if order != wanted:
        raise _Failed("items.jsonl is not one line per item entry, in manifest order")
    state["item_contents"] = contents
    return f"{len(order)} item versions"


# --- after the gate -------------------------------------------------------------------------


def _bank(records: BankRecords, state: dict[str, Any]) -> str:
    from qbank.items import item_content

    if records is None:
        raise _Failed("bank.xlsx could not be read")
    by_guid = {e["guid"]: e["version"] for e in _entries(state, "item")}
    wrong = [
        r.guid or "?" for r in records if by_guid.get(r.guid or "") != content_id(item_content(r))
    ]
    if wrong or len(records) != len(by_guid):
        raise _Failed(
            f"{len(wrong)} items differ from their filed versions "
            f"({', '.join(wrong[:5])}); {len(records)} rows for {len(by_guid)} items"
        )
    return f"{len(records)} rows match"


def _practical(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    sets = []
    for entry in _entries(state, "practical_set"):
        name = f"practical/{entry['code']}.json"
        if name not in files or sha256_hex(files[name]) != entry["version"]:
            raise _Failed(f"{name} does not match its filed version")
        sets.append((entry["code"], entry["version"], json.loads(files[name])))
    state["sets"] = sets
    return f"{len(sets)} sets"


def _tree(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    entries = _entries(state, "tree")
    if not entries:
        return "no tree filed"
    if len(entries) > 1:
        raise _Failed("the manifest names more than one tree")
    if "tree.json" not in files or sha256_hex(files["tree.json"]) != entries[0]["version"]:
        raise _Failed("tree.json does not match the filed tree version")
    return str(entries[0]["version"])


def _reviews(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    approved: dict[str, list[str]] = {}
    unpinned: list[SignerTrust] = []
    bank = state["manifest"].get("bank", {})
    for line in files.get("reviews.jsonl", b"").decode("utf-8").splitlines():
        if not line:
            continue
        record = json.loads(line)
        payload = json.loads(record["payload"])
        raw, roles, fingerprint = _key(state, record["reviewer"])
        if "reviewer" not in roles or payload.get("reviewer") != record["reviewer"]:
            raise _Failed(f"review by {record['reviewer']} is not by a reviewer")
        if payload.get("key") != fingerprint:
            raise _Failed(f"review by {record['reviewer']} names another key")
        if not verify_signature(
            raw, record["payload"].encode("utf-8"), base64.b64decode(record["signature"])
        ):
            raise _Failed(f"review signature of {record['reviewer']} does not verify")
        if payload.get("bank") != {
            "occupation": bank.get("occupation"),
            "level": bank.get("level"),
        }:
            raise _Failed(f"review {payload.get('id')} is of another bank")
        if payload.get("author") == record["reviewer"]:
            raise _Failed(f"{record['reviewer']} reviewed their own {payload.get('id')}")
        trust = _trust(state, record["reviewer"], "reviewer", raw)
        if not trust.pinned and trust not in unpinned:
            unpinned.append(trust)
        if payload.get("decision") == "approved":
            approved.setdefault(payload["version"], []).append(record["reviewer"])
    if unpinned:
        raise _Failed("reviews signed by keys that are not pinned: " + _describe(unpinned))
    authors = {sha: c.get("author") for sha, c in state.get("item_contents", {}).items()}
    missing = []
    for entry in [*_entries(state, "item"), *_entries(state, "practical_set")]:
        by = [r for r in approved.get(entry["version"], []) if r != authors.get(entry["version"])]
        if not by:
            missing.append(str(entry.get("id") or entry.get("code")))
    if missing:
        raise _Failed(
            f"{len(missing)} filed versions lack an approval by someone else: "
            f"{', '.join(missing[:10])}"
        )
    return f"{sum(len(v) for v in approved.values())} signed approvals"


def _report(files: Mapping[str, bytes], state: dict[str, Any], scope: str) -> OverlapReport:
    """overlap-<scope>.json, which must be the report the manifest names (by SHA-256)."""
    from qbank.overlap.document import BadReport, OverlapReport  # numba: only when it gets here

    name = f"overlap-{scope}.json"
    data = _json(files, name)
    if state["manifest"].get("overlap_reports", {}).get(scope) != sha256_hex(files[name]):
        raise _Failed(f"{name} is not the report the manifest names")
    try:
        return OverlapReport.from_json(data)
    except BadReport as e:
        raise _Failed(str(e.in_file(name))) from None


def _overlap_theory(
    files: Mapping[str, bytes], records: Callable[[], BankRecords], state: dict[str, Any]
) -> str:
    report = _report(files, state, "theory")
    named = {x.version for x in report.items or ()}
    if named != {e["version"] for e in _entries(state, "item")}:
        raise _Failed("the report does not cover exactly the filed item versions")
    rows = records()
    if rows is None:
        raise _Failed("bank.xlsx could not be read")
    from qbank.overlap.verification import verify_report  # jieba, numba: only when it gets here

    result = verify_report(None, report, records=rows, source="bank.xlsx")
    bad = [c.figure for c in result.checks if not c.ok]
    if bad:
        raise _Failed("figures that do not re-derive: " + ", ".join(bad))
    return f"rate {report.numerator}/{report.denominator} = {report.rate:.2%}, {report.verdict}"


def _overlap_practical(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    report = _report(files, state, "practical")
    named = {t.version.split("#")[0] for t in report.tasks or ()}
    if named != {e["version"] for e in _entries(state, "practical_set")}:
        raise _Failed("the report does not cover exactly the filed practical sets")
    from qbank.overlap.verification import verify_practical_from_contents

    result = verify_practical_from_contents(report, state.get("sets", []))
    bad = [c.figure for c in result.checks if not c.ok]
    if bad:
        raise _Failed("figures that do not re-derive: " + ", ".join(bad))
    return f"max share {report.rate:.2%}, {report.verdict}"


def trusted_key_from_export(text: str, source: str) -> list[TrustedKey]:
    """Every `qbank-ed25519 <base64> <name>` line of a `.pub` file (blank lines skipped)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            name, raw = parse_public(line)
            out.append(TrustedKey(name, raw, source))
    return out


def registered_keys(session: Session) -> list[TrustedKey]:
    """The current keys of the people in the verifier's own database, with their roles.

    Whoever runs `filing verify --db` vouches for that database as their key registry; a
    database that came with the package is no better than the package itself.
    """
    from qbank.model import Person
    from qbank.queries import live_people

    people = session.scalars(live_people().where(Person.public_key.is_not(None)))
    return [
        TrustedKey(
            p.name,
            base64.b64decode(p.public_key or ""),
            "database",
            frozenset(r for r in p.roles.split(",") if r),
        )
        for p in people
    ]
