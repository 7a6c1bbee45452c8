"""A small filed bank and its filing package, for the verifier's tests (not a test module).

Keys are derived from the signers' names (no keystore, no scrypt), so the world builds in a
few seconds and a test can re-sign a package with the real keys or with fresh ones.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from exporters.items_xlsx import write_items_xlsx
from formats.filing_package import write_package
from importers.practical import read_practical_data
from importers.table_items import read_items_table
from qbank import keys
from qbank.bank import ensure_bank
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.db import open_database
from qbank.filing import file_bank
from qbank.items import import_items
from qbank.model import PracticalSet
from qbank.people import add_person, set_public_key
from qbank.practical import import_practical
from qbank.review import Decision, all_pending, review
from qbank.tree import current_tree, import_tree

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "electrician-4"
OCC = "6-31-01-03"
REVIEWER, INSTITUTION, AUTHOR = "李工", "某技师学院", "张老师"


def signer(name: str, salt: str = "") -> keys.Signer:
    """A key derived from the name (and `salt`, for a fresh key under the same name)."""
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256((salt + name).encode()).digest())
    info = keys.PublicKeyInfo(name, key.public_key().public_bytes_raw(), datetime.now(UTC))
    return keys.Signer(info, key)


SIGNERS = {REVIEWER: signer(REVIEWER), INSTITUTION: signer(INSTITUTION)}


def build(root: Path) -> Path:
    """`root`/qbank.db with a filed 30-item, 2-set bank; its package in `root`/package;
    `root`/<name>.pub for each signer (as `qbank key export` writes). Returns the package."""
    from test_review_filing import small_policy, tree_for

    records = read_items_table(SAMPLES / "items.xlsx").records[:30]
    db = open_database(f"sqlite:///{root / 'qbank.db'}")
    try:
        with db.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="t", occupation_name="电工")
            import_items(session, bank, records, source="t.xlsx", actor=AUTHOR)
            for path in sorted((SAMPLES / "practical").glob("*.yaml"))[:2]:
                data = read_practical_data(path).records
                import_practical(session, bank, data, source=path.name, actor=AUTHOR)
            import_tree(session, bank, tree_for(records), source="tree", actor="t")
            people = {}
            for name, role in ((REVIEWER, "reviewer"), (INSTITUTION, "institution")):
                people[name] = add_person(session, name, [role], actor="t")
                set_public_key(session, people[name], SIGNERS[name].public_key_raw, actor="t")
                (root / f"{name}.pub").write_text(SIGNERS[name].info.export_text() + "\n", "utf-8")
        with db.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="t")
            decisions = all_pending(session, bank, people[REVIEWER])
            codes = session.scalars(
                select(PracticalSet.code).where(PracticalSet.bank_id == bank.id)
            )
            decisions += [Decision("approved", set_code=code) for code in codes]
            review(session, bank, people[REVIEWER], SIGNERS[REVIEWER], decisions, actor="t")
        with db.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="t")
            reviewer, org = people[REVIEWER], people[INSTITUTION]
            result = file_bank(
                session,
                bank,
                small_policy(min_theory_items=30, min_practical_sets=2),
                institution=org,
                institution_signer=SIGNERS[INSTITUTION],
                reviewers=[(reviewer, SIGNERS[REVIEWER])],
                actor="t",
            )
            write_package(
                result,
                root / "package",
                signers=[
                    (REVIEWER, "reviewer", reviewer.key_fingerprint or "", SIGNERS[REVIEWER]),
                    (INSTITUTION, "institution", org.key_fingerprint or "", SIGNERS[INSTITUTION]),
                ],
                write_workbook=write_items_xlsx,
                tree=current_tree(session, bank),
            )
    finally:
        db.dispose()
    return root / "package"


def resign(package: Path, signers: dict[str, keys.Signer]) -> None:
    """Re-sign `package` throughout with `signers` (name → key): public-keys.json, every
    review and the index, so that it is self-consistent under those keys."""
    public = json.loads((package / "public-keys.json").read_bytes())
    for name, key in signers.items():
        public[name]["public_key"] = base64.b64encode(key.public_key_raw).decode()
        public[name]["fingerprint"] = key.fingerprint
    (package / "public-keys.json").write_bytes(canonical_bytes(public))
    lines = []
    for line in (package / "reviews.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        key = signers.get(record["reviewer"])
        if key is not None:
            payload = json.loads(record["payload"])
            payload["key"] = key.fingerprint
            data = canonical_bytes(payload)
            record["payload"] = data.decode()
            record["signature"] = base64.b64encode(key.sign(data)).decode()
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    (package / "reviews.jsonl").write_text("".join(lines), "utf-8")
    sign_index(package, signers)


def sign_index(package: Path, signers: dict[str, keys.Signer]) -> None:
    """Re-hash every file into the index and sign it again with `signers`."""
    signed = json.loads((package / "signatures.json").read_bytes())
    files = {
        p.relative_to(package).as_posix(): sha256_hex(p.read_bytes())
        for p in sorted(package.rglob("*"))
        if p.is_file() and p.name != "signatures.json"
    }
    signed["index"]["files"] = files
    data = canonical_bytes(signed["index"])
    for sig in signed["signatures"]:
        key = signers.get(sig["signer"])
        if key is not None:
            sig["fingerprint"] = key.fingerprint
            sig["signature"] = base64.b64encode(key.sign(data)).decode()
    (package / "signatures.json").write_bytes(canonical_bytes(signed))
