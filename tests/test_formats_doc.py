"""docs/formats.md is enough to verify without qbank: a short verifier written from that
document alone (hashlib, json, base64, cryptography's Ed25519 — no qbank verification code)
reaches the same verdict as `qbank filing verify` and `qbank custody verify`, on good and on
tampered inputs (tampered files re-signed with the real keys where that is the point, so
that a deeper rule, not the index, has to catch them)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cli.main import cli

# --- the independent verifier: docs/formats.md, nothing else -------------------------------


class Bad(Exception):
    pass


def need(condition: object, what: str = "") -> None:
    if not condition:
        raise Bad(what)


def canon(value: object) -> bytes:  # §1.1
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(text: str) -> bytes:
    raw = base64.b64decode(text, validate=True)
    need(base64.b64encode(raw).decode() == text, "non-canonical base64")
    return raw


def signed_by(key: bytes, data: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def mth(leaves: list[bytes]) -> bytes:  # §1.4, on raw entries
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\0" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\1" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def pub_lines(text: str) -> set[tuple[str, bytes]]:  # §1.3
    out = set()
    for line in filter(str.strip, text.splitlines()):
        prefix, key, name = line.strip().split(" ", 2)
        need(prefix == "qbank-ed25519" and len(b64(key)) == 32)
        out.add((name, b64(key)))
    return out


def filing_ok(files: Mapping[str, bytes], pinned: set[tuple[str, bytes]]) -> bool:
    try:
        check_filing(files, pinned)
    except (Bad, KeyError, ValueError, TypeError):
        return False
    return True


def check_filing(files: Mapping[str, bytes], pinned: set[tuple[str, bytes]]) -> None:
    signed = json.loads(files["signatures.json"])
    index, keys = signed["index"], json.loads(files["public-keys.json"])
    need(index["format"] == "qbank-filing-index/1")

    def key(name: str, role: str) -> bytes:
        raw = b64(keys[name]["public_key"])
        need(sha(raw) == keys[name]["fingerprint"] and role in keys[name]["roles"])
        need((name, raw) in pinned, f"{name} not pinned")
        return raw

    roles = set()
    for s in signed["signatures"]:  # §2.1
        raw = key(s["signer"], s["role"])
        need(s["fingerprint"] == sha(raw) and signed_by(raw, canon(index), b64(s["signature"])))
        roles.add(s["role"])
    need({"institution", "reviewer"} <= roles)
    need(set(files) - {"signatures.json"} == set(index["files"]))
    need(all(sha(files[n]) == h for n, h in index["files"].items()))
    manifest = json.loads(files["manifest.json"])  # §2.2
    entries = manifest["entries"]
    need(mth([canon(e) for e in entries]).hex() == manifest["merkle_root"], "merkle")
    by_kind: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for e in entries:
        by_kind.setdefault(e["kind"], []).append(e)
    need(set(by_kind) <= {"item", "practical_set", "tree"})
    lines = files["items.jsonl"].split(b"\n")  # §2.3
    need(lines[-1] == b"" and all(canon(json.loads(x)) == x for x in lines[:-1]))
    need([sha(x) for x in lines[:-1]] == [e["version"] for e in by_kind.get("item", [])])
    authors = {sha(x): json.loads(x)["author"] for x in lines[:-1]}
    for e in by_kind.get("practical_set", []):
        need(sha(files[f"practical/{e['code']}.json"]) == e["version"])
    for e in by_kind.get("tree", []):
        need(sha(files["tree.json"]) == e["version"])
    for scope, report_id in manifest["overlap_reports"].items():
        need(sha(files[f"overlap-{scope}.json"]) == report_id)
    approved: dict[str, set[str]] = {}
    for line in filter(None, files["reviews.jsonl"].decode().split("\n")):  # §2.4
        record = json.loads(line)
        payload, who = json.loads(record["payload"]), record["reviewer"]
        raw = key(who, "reviewer")
        need(payload["reviewer"] == who and payload["key"] == sha(raw))
        need(payload["bank"] == {k: manifest["bank"][k] for k in ("occupation", "level")})
        need(payload["author"] != who)
        need(signed_by(raw, record["payload"].encode(), b64(record["signature"])), "review")
        if payload["decision"] == "approved":
            approved.setdefault(payload["version"], set()).add(who)
    for e in by_kind.get("item", []) + by_kind.get("practical_set", []):
        need(approved.get(e["version"], set()) - {authors.get(e["version"])}, "approval")
    theory = json.loads(files["overlap-theory.json"])  # §3, what needs no tokenizer
    need([x["version"] for x in theory["items"]] == [e["version"] for e in by_kind["item"]])
    for report in (theory, json.loads(files["overlap-practical.json"])):
        num, den = report["numerator"], report["denominator"]
        need(report["rate"] == (round(num / den, 6) if den else 0.0), "rate")
        need(report["verdict"] == ("pass" if report["rate"] <= report["cap"] + 1e-12 else "fail"))


STEPS = ("assemble", "extract", "print", "transport", "seal")


def custody_ok(files: Mapping[str, bytes], pinned: bytes) -> bool:
    try:
        check_custody(files, pinned)
    except (Bad, KeyError, ValueError, TypeError, IndexError):
        return False
    return True


def record(line: bytes) -> tuple[dict, bytes, bytes]:  # type: ignore[type-arg]
    outer = json.loads(line)
    need(canon(outer) == line and set(outer) == {"payload", "signature"})
    payload = outer["payload"].encode()
    need(canon(json.loads(payload)) == payload)
    return json.loads(payload), payload, b64(outer["signature"])


def check_custody(files: Mapping[str, bytes], pinned: bytes) -> None:  # §5
    need(files["layout.json"].endswith(b"\n"))
    layout, layout_payload, signature = record(files["layout.json"][:-1])
    signer = b64(layout["signer"]["public_key"])
    need(signer == pinned and signed_by(signer, layout_payload, signature), "layout")
    people = {
        (r["step"], p["name"], p["fingerprint"]): b64(p["public_key"])
        for r in layout["steps"]
        for p in r["people"]
    }
    keys = {
        k["name"]: k["public_key"]
        for k in [layout["signer"], *(p for r in layout["steps"] for p in r["people"])]
    }
    expected = {
        f"keys/{n.replace('/', '_')}.pub": f"qbank-ed25519 {k} {n}\n".encode()
        for n, k in keys.items()
    }
    lines = files["log.jsonl"].split(b"\n")
    need(lines[-1] == b"")
    lines = lines[:-1]
    notes = {f"checkpoints/{n}.txt" for n in range(1, len(lines) + 1)}
    need(set(files) == {"layout.json", "log.jsonl", *expected, *notes}, "files")
    need(all(files[n] == data for n, data in expected.items()), "key files")
    payloads: list[bytes] = []
    signers: dict[str, set[str]] = {}
    for n, line in enumerate(lines):
        entry, payload, signature = record(line)
        need(entry["position"] == n and entry["layout"] == sha(layout_payload))
        need(entry["batch"] == {"id": layout["batch"]["id"], "code": layout["batch"]["code"]})
        need(entry["previous_root"] == mth(payloads).hex(), "previous root")
        person = entry["person"]
        key = people[(entry["step"], person["name"], person["fingerprint"])]
        need(signed_by(key, payload, signature), "entry signature")
        payloads.append(payload)
        signers.setdefault(entry["step"], set()).add(person["name"])
        body, _, sig_line = files[f"checkpoints/{n + 1}.txt"].decode().partition("\n\n")
        origin, size, root = body.split("\n")[:3]
        need(origin == layout["origin"] and size == str(n + 1))
        need(b64(root) == mth(payloads), "checkpoint root")
        name = "".join("_" if c.isspace() or c == "+" else c for c in person["name"])
        need(sig_line.startswith(f"\u2014 {name} ") and sig_line.endswith("\n"))
        blob = b64(sig_line[len(name) + 3 : -1])
        key_id = hashlib.sha256(name.encode() + b"\n\x01" + key).digest()[:4]
        need(blob[:4] == key_id and signed_by(key, (body + "\n").encode(), blob[4:]))
    quorum = {r["step"]: r["quorum"] for r in layout["steps"]}
    need(all(len(signers.get(s, ())) >= quorum[s] for s in STEPS), "incomplete")


# --- agreement with qbank ------------------------------------------------------------------


def read_dir(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def write_dir(root: Path, files: Mapping[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def qbank_says(*args: str | Path) -> bool:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code in (0, 1, 2), result.output
    return result.exit_code == 0


@pytest.fixture(scope="module")
def filing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from filing_world import build

    root = tmp_path_factory.mktemp("formats-filing")
    build(root)
    return root


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    value = json.loads(path.read_bytes())
    change(value)
    path.write_bytes(canon(value))


def test_filing_verifier_from_the_document_agrees(filing: Path, tmp_path: Path) -> None:
    from filing_world import INSTITUTION, REVIEWER, SIGNERS, resign, sign_index, signer

    pub = [filing / f"{n}.pub" for n in (REVIEWER, INSTITUTION)]
    pinned = set().union(*(pub_lines(p.read_text("utf-8")) for p in pub))

    def item_line(pkg: Path) -> None:
        lines = (pkg / "items.jsonl").read_bytes().split(b"\n")
        lines[0] = lines[0].replace("职业道德".encode(), "职业操守".encode(), 1)
        (pkg / "items.jsonl").write_bytes(b"\n".join(lines))

    def review_decision(pkg: Path) -> None:
        text = (pkg / "reviews.jsonl").read_text("utf-8")
        (pkg / "reviews.jsonl").write_text(text.replace("approved", "rejected", 1), "utf-8")

    def merkle(pkg: Path) -> None:
        _edit_json(pkg / "manifest.json", lambda m: m["entries"].reverse())

    def report(pkg: Path) -> None:
        _edit_json(pkg / "overlap-theory.json", lambda r: r.update(numerator=1, rate=1 / 30))

    fresh = {n: signer(n, salt="fresh") for n in (REVIEWER, INSTITUTION)}
    cases: list[tuple[str, Callable[[Path], object], bool]] = [
        ("intact", lambda pkg: None, True),
        ("re-signed with fresh keys", lambda pkg: resign(pkg, fresh), False),
        ("item line changed", item_line, False),
        ("review decision changed", review_decision, False),
        ("manifest entries reordered", merkle, False),
        ("report figures changed", report, False),
        ("tree.json removed", lambda pkg: (pkg / "tree.json").unlink(), False),
        ("file added", lambda pkg: (pkg / "note.txt").write_text("x"), False),
    ]
    for n, (name, tamper, expected) in enumerate(cases):
        pkg = Path(shutil.copytree(filing / "package", tmp_path / f"p{n}"))
        tamper(pkg)
        if name not in ("re-signed with fresh keys", "file added"):
            sign_index(pkg, SIGNERS)  # the institution's own keys: only a deeper rule may catch it
        pins = [x for p in pub for x in ("--trusted-key", p)]
        mine, theirs = filing_ok(read_dir(pkg), pinned), qbank_says("filing", "verify", pkg, *pins)
        assert (mine, theirs) == (expected, expected), name
    assert filing_ok(read_dir(filing / "package"), set()) is False
    assert qbank_says("filing", "verify", filing / "package") is False  # unpinned: INVALID


@pytest.fixture(scope="module")
def custody(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], Path]:
    from test_custody_tamper import SIGNERS, _world

    root = tmp_path_factory.mktemp("formats-custody")
    (root / "institution.pub").write_text(SIGNERS["机构"].info.export_text() + "\n", "utf-8")
    return _world(root / "qbank.db", batches=1)[0], root / "institution.pub"


def test_custody_verifier_from_the_document_agrees(
    custody: tuple[dict[str, bytes], Path], tmp_path: Path
) -> None:
    files, pub = custody
    ((_, pinned),) = pub_lines(pub.read_text("utf-8"))
    lines = files["log.jsonl"].split(b"\n")[:-1]

    def log(new: list[bytes]) -> dict[str, bytes]:
        return {**files, "log.jsonl": b"".join(x + b"\n" for x in new)}

    changed = lines[3].replace("印刷厂".encode(), "印刷所".encode())
    assert changed != lines[3]
    late = {f"checkpoints/{n}.txt" for n in range(6, len(lines) + 1)}
    note = files["checkpoints/4.txt"].decode().split("\n")
    note[2] = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    cases = [
        ("intact", files, True),
        ("entry text changed", log([*lines[:3], changed, *lines[4:]]), False),
        ("entry dropped", log(lines[:2] + lines[3:]), False),
        ("entries swapped", log([lines[1], lines[0], *lines[2:]]), False),
        ("checkpoint root forged", {**files, "checkpoints/4.txt": "\n".join(note).encode()}, False),
        ("file added", {**files, "keys/x.pub": b"x"}, False),
        ("seal not signed", {k: v for k, v in log(lines[:5]).items() if k not in late}, False),
    ]
    for n, (name, tampered, expected) in enumerate(cases):
        directory = write_dir(tmp_path / f"c{n}", tampered)
        mine = custody_ok(tampered, pinned)
        theirs = qbank_says("custody", "verify", "--dir", directory, "--trusted-key", pub)
        assert (mine, theirs) == (expected, expected), name
    assert custody_ok(files, hashlib.sha256(b"someone else").digest()) is False
    assert qbank_says("custody", "verify", "--dir", write_dir(tmp_path / "u", files)) is False
