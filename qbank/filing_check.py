"""Verify a filing package without the institution's database (what a regulator runs).

Steps, in order; each becomes one check with a verdict and what it found:

1. `index`: signatures.json holds a well-formed signed index;
2. `files`: every file's SHA-256 equals the index; no file missing, none added;
3. `signatures`: every index signature verifies with its signer's public key; the
   institution and at least one reviewer signed;
4. `merkle_root`: the manifest's root re-derives from its entries (RFC 6962);
5. `items`: items.jsonl holds exactly the manifest's item versions, each line hashing to its id;
6. `bank.xlsx`: the workbook's items hash to the same versions;
7. `practical`: each practical/<code>.json hashes to its manifest version;
8. `reviews`: every filed version has a signed approval by a reviewer who is not its author
   (the author of record, as the signed review names it);
9. `overlap-theory` / `overlap-practical`: the reports name the filed versions and every
   figure re-derives.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qbank.canonical import canonical_bytes, content_id, sha256_hex
from qbank.filing import merkle_root_hex
from qbank.items import item_content
from qbank.keys import verify as verify_signature
from qbank.overlap.scopes import verify_practical_from_contents, verify_report
from qbank.records import ItemRecord


@dataclass(frozen=True)
class PackageCheck:
    check: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "ok": self.ok, "detail": self.detail}


@dataclass
class PackageVerdict:
    checks: list[PackageCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


class _Failed(Exception):
    """One check failed; its message is the detail. Never leaves this module."""


def _json(files: Mapping[str, bytes], name: str) -> Any:
    if name not in files:
        raise _Failed(f"{name} missing")
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _Failed(f"{name}: {e}") from None


def verify_package(
    files: Mapping[str, bytes], bank_records: Sequence[ItemRecord] | None
) -> PackageVerdict:
    """Run every step over the package's files (name → bytes) and its parsed bank.xlsx."""
    state: dict[str, Any] = {}
    checks: list[PackageCheck] = []
    steps: list[tuple[str, Callable[[], str]]] = [
        ("index", lambda: _index(files, state)),
        ("files", lambda: _files(files, state)),
        ("signatures", lambda: _signatures(files, state)),
        ("merkle_root", lambda: _merkle(files, state)),
        ("items", lambda: _items(files, state)),
        ("bank.xlsx", lambda: _bank(bank_records, state)),
        ("practical", lambda: _practical(files, state)),
        ("reviews", lambda: _reviews(files, state)),
        ("overlap-theory", lambda: _overlap_theory(files, bank_records, state)),
        ("overlap-practical", lambda: _overlap_practical(files, state)),
    ]
    for name, step in steps:
        try:
            checks.append(PackageCheck(name, True, step()))
        except _Failed as e:
            checks.append(PackageCheck(name, False, str(e)))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            checks.append(PackageCheck(name, False, f"malformed: {e!r}"))
    return PackageVerdict(checks)


def _index(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    signed = _json(files, "signatures.json")
    index = signed["index"]
    if index.get("format") != "qbank-filing-index/1" or not isinstance(index.get("files"), dict):
        raise _Failed("not a qbank filing index")
    state["index"], state["signed"] = index, signed
    state["manifest"] = _json(files, "manifest.json")
    state["keys"] = _json(files, "public-keys.json")
    return f"{len(index['files'])} files"


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


def _key(state: dict[str, Any], name: str) -> tuple[bytes, list[str], str]:
    entry = state["keys"].get(name)
    if not entry:
        raise _Failed(f"no public key for {name}")
    try:
        raw = base64.b64decode(entry["public_key"], validate=True)
    except (binascii.Error, ValueError):
        raise _Failed(f"bad public key for {name}") from None
    return raw, list(entry.get("roles", [])), str(entry.get("fingerprint"))


def _signatures(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    data = canonical_bytes(state["index"])
    roles = set()
    for sig in state["signed"]["signatures"]:
        raw, person_roles, fingerprint = _key(state, sig["signer"])
        if sig["role"] not in person_roles:
            raise _Failed(f"{sig['signer']} does not hold the role {sig['role']}")
        if fingerprint != sha256_hex(raw) or sig.get("fingerprint") != fingerprint:
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
    return ", ".join(
        f"{s['signer']} ({s['role']}, {s['fingerprint'][:16]})"
        for s in state["signed"]["signatures"]
    )


def _merkle(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    manifest = state["manifest"]
    root = merkle_root_hex(manifest["entries"])
    if root != manifest["merkle_root"]:
        raise _Failed(f"recomputed {root}, manifest says {manifest['merkle_root']}")
    return root


def _entries(state: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in state["manifest"]["entries"] if e["kind"] == kind]


def _items(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    lines = [line for line in files.get("items.jsonl", b"").decode("utf-8").splitlines() if line]
    contents = {}
    for line in lines:
        content = json.loads(line)
        sha = sha256_hex(line.encode("utf-8"))
        if content_id(content) != sha:
            raise _Failed("a line of items.jsonl is not canonical JSON")
        contents[sha] = content
    wanted = {e["version"] for e in _entries(state, "item")}
    if set(contents) != wanted:
        raise _Failed(
            f"{len(wanted - set(contents))} filed versions missing, "
            f"{len(set(contents) - wanted)} not filed"
        )
    state["item_contents"] = contents
    return f"{len(contents)} item versions"


def _bank(records: Sequence[ItemRecord] | None, state: dict[str, Any]) -> str:
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


def _reviews(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    approved: dict[str, list[str]] = {}
    for line in files.get("reviews.jsonl", b"").decode("utf-8").splitlines():
        if not line:
            continue
        record = json.loads(line)
        payload = json.loads(record["payload"])
        raw, roles, _ = _key(state, record["reviewer"])
        if "reviewer" not in roles or payload.get("reviewer") != record["reviewer"]:
            raise _Failed(f"review by {record['reviewer']} is not by a reviewer")
        if not verify_signature(
            raw, record["payload"].encode("utf-8"), base64.b64decode(record["signature"])
        ):
            raise _Failed(f"review signature of {record['reviewer']} does not verify")
        if payload.get("author") == record["reviewer"]:
            raise _Failed(f"{record['reviewer']} reviewed their own {payload.get('id')}")
        if payload.get("decision") == "approved":
            approved.setdefault(payload["version"], []).append(record["reviewer"])
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


def _overlap_theory(
    files: Mapping[str, bytes], records: Sequence[ItemRecord] | None, state: dict[str, Any]
) -> str:
    report = _json(files, "overlap-theory.json")
    named = {x["version"] for x in report.get("items", [])}
    if named != {e["version"] for e in _entries(state, "item")}:
        raise _Failed("the report does not cover exactly the filed item versions")
    if records is None:
        raise _Failed("bank.xlsx could not be read")
    result = verify_report(None, report, records=records, source="bank.xlsx")
    bad = [c.figure for c in result.checks if not c.ok]
    if bad:
        raise _Failed("figures that do not re-derive: " + ", ".join(bad))
    return f"rate {report['numerator']}/{report['denominator']} = {report['rate']:.2%}, {report['verdict']}"


def _overlap_practical(files: Mapping[str, bytes], state: dict[str, Any]) -> str:
    report = _json(files, "overlap-practical.json")
    named = {str(t["version"]).split("#")[0] for t in report.get("tasks", [])}
    if named != {e["version"] for e in _entries(state, "practical_set")}:
        raise _Failed("the report does not cover exactly the filed practical sets")
    result = verify_practical_from_contents(report, state.get("sets", []))
    bad = [c.figure for c in result.checks if not c.ok]
    if bad:
        raise _Failed("figures that do not re-derive: " + ", ".join(bad))
    return f"max share {report['rate']:.2%}, {report['verdict']}"
