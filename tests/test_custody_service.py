"""The custody log in the database (qbank.custody): layout, signing, refusals, verification.

Runs on SQLite and PostgreSQL (`db` fixture). Keys are real Ed25519 keys held in memory (the
keystore's scrypt is exercised by the CLI tests); papers and sealed bundles are stored rows,
as assembly and `qbank seal` leave them.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from qbank import keys
from qbank.bank import ensure_bank
from qbank.batch import get_batch, new_batch
from qbank.custody import (
    INCOMPLETE,
    VALID,
    CustodyRefused,
    export_log,
    file_product,
    make_layout,
    paper_fingerprint,
    sign_step,
    verify_batch,
    verify_files,
    view,
)
from qbank.custody.log import parse_entry
from qbank.db import Database
from qbank.errors import InvalidInput
from qbank.model import AuditEvent, CustodyCheckpoint, CustodyEntry, Paper, SealedBundle
from qbank.people import add_person, get_person, set_public_key

INSTITUTION, WANG, LIU, CHEN, DUDAO = "某技师学院", "王老师", "刘师傅", "陈老师", "督导员"
STAFF = {
    "assemble": [WANG],
    "extract": [WANG],
    "print": [LIU],
    "transport": [CHEN],
    "seal": [WANG, LIU],
}
PRINT_LIST = b"print list: A x 60, B x 60\n"


def make_signer(name: str) -> keys.Signer:
    key = Ed25519PrivateKey.generate()
    info = keys.PublicKeyInfo(name, key.public_key().public_bytes_raw(), datetime.now(UTC))
    return keys.Signer(info, key)


@dataclass
class World:
    db: Database
    batch_id: int
    signers: dict[str, keys.Signer]


def build_world(
    db: Database, *, staff: dict[str, list[str]] = STAFF, papers: bool = True, bundles: bool = True
) -> World:
    """A bank, people with keys, a batch with designated staff, papers A/B and a sealed bundle."""
    signers = {}
    with db.transaction() as session:
        bank = ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
        for name, role in (
            (INSTITUTION, "institution"),
            (WANG, "staff"),
            (LIU, "staff"),
            (CHEN, "staff"),
            (DUDAO, "regulator"),
        ):
            person = add_person(session, name, [role], actor="t")
            signers[name] = make_signer(name)
            set_public_key(session, person, signers[name].public_key_raw, actor="t")
        batch = new_batch(
            session,
            bank,
            exam_date=date(2026, 12, 12),
            site="长沙考点",
            candidates=120,
            staff=staff,
            actor="t",
        )
        if papers:
            for code in ("A", "B"):
                session.add(
                    Paper(
                        batch_id=batch.id,
                        code=code,
                        kind="theory",
                        seed="42",
                        blueprint={"name": "bp"},
                        layout={"items": [1, 2, 3] if code == "A" else [3, 4, 5]},
                        created_by="t",
                    )
                )
        if bundles:
            session.add(
                SealedBundle(
                    batch_id=batch.id,
                    sha256=hashlib.sha256(b"ciphertext").hexdigest(),
                    manifest_sha256=hashlib.sha256(b"manifest").hexdigest(),
                    file_name=f"{batch.code}.tar.age",
                    signer_id=get_person(session, WANG).id,
                    payload="{}",
                    signature="",
                )
            )
        return World(db, batch.id, signers)


def layout(world: World, **options) -> None:  # type: ignore[no-untyped-def]
    with world.db.transaction() as session:
        make_layout(
            session,
            get_batch(session, world.batch_id),
            signer_person=get_person(session, INSTITUTION),
            signer=world.signers[INSTITUTION],
            actor="t",
            **options,
        )


def sign(world: World, step: str, name: str, **options):  # type: ignore[no-untyped-def]
    signer = options.pop("signer", world.signers[name])
    with world.db.transaction() as session:
        return sign_step(
            session,
            get_batch(session, world.batch_id),
            step,
            person=get_person(session, name),
            signer=signer,
            actor="t",
            **options,
        )


def entry_count(world: World) -> int:
    with world.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(CustodyEntry)) or 0


def rfc6962_root(leaves: list[bytes]) -> bytes:
    """An independent RFC 6962 Merkle tree hash (leaf 0x00, node 0x01), for cross-checking."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    left, right = rfc6962_root(leaves[:k]), rfc6962_root(leaves[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


FULL_CHAIN = [
    ("assemble", WANG, {}),
    ("extract", WANG, {}),
    ("print", LIU, {"products": [file_product("印制清单.txt", PRINT_LIST)]}),
    ("transport", CHEN, {"evidence": {"from": "印刷厂", "to": "保密室", "vehicle": "湘A12345"}}),
    ("transport", CHEN, {"evidence": {"from": "保密室", "to": "长沙考点"}}),
    ("seal", WANG, {"evidence": {"seal_no": "FC-0012"}}),
    ("seal", LIU, {"evidence": {"seal_no": "FC-0012"}}),
    ("open", DUDAO, {}),
    ("archive", WANG, {}),
]


def test_whole_chain_is_valid_linked_and_exports_verifiably(db: Database) -> None:
    world = build_world(db)
    layout(world, open_people=[DUDAO], archive_people=[WANG])
    verdicts = [sign(world, step, name, **opts).verdict for step, name, opts in FULL_CHAIN]
    assert [(v.status, v.code) for v in verdicts] == [
        (INCOMPLETE, "STEPS_MISSING"),
        (INCOMPLETE, "STEPS_MISSING"),
        (INCOMPLETE, "STEPS_MISSING"),
        (INCOMPLETE, "STEPS_MISSING"),
        (INCOMPLETE, "STEPS_MISSING"),
        (INCOMPLETE, "QUORUM_PENDING"),
        (VALID, None),
        (VALID, None),
        (VALID, None),
    ]
    assert [v.params.get("next") for v in verdicts[:5]] == [
        "extract",
        "print",
        "transport",
        "seal",
        "seal",
    ]
    with db.transaction() as session:
        batch = get_batch(session, world.batch_id)
        shown = view(session, batch)
        files = export_log(session, batch)
        assert export_log(session, batch) == files  # deterministic bytes
        assert verify_batch(session, batch).status == VALID
        papers = session.scalars(select(Paper).order_by(Paper.code)).all()
        fingerprints = [paper_fingerprint(session, p) for p in papers]
        notes = session.scalars(select(CustodyCheckpoint).order_by(CustodyCheckpoint.size)).all()
        audited = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "custody_sign")
        )
    entries = shown.entries
    assert [e.position for e in entries] == list(range(9))
    # Materials are always the previous step's products; co-signers vouch for the same.
    assert [p.sha256 for p in entries[0].products] == fingerprints
    assert entries[0].materials == ()
    assert entries[1].materials == entries[0].products
    assert [p.sha256 for p in entries[1].products] == [hashlib.sha256(b"ciphertext").hexdigest()]
    assert entries[2].materials == entries[1].products
    assert [p.sha256 for p in entries[2].products] == [hashlib.sha256(PRINT_LIST).hexdigest()]
    for previous, entry in itertools.pairwise(entries[2:]):
        assert entry.materials == entry.products == previous.products
    assert [e.evidence.get("leg") for e in entries[3:5]] == ["1", "2"]
    # Hash links: each entry's previous_root is the RFC 6962 root of the entries before it.
    payloads = [e.payload() for e in entries]
    for n, entry in enumerate(entries):
        assert entry.previous_root == rfc6962_root(payloads[:n]).hex()
    assert [(c.size, c.root) for c in notes] == [
        (n, rfc6962_root(payloads[:n]).hex()) for n in range(1, 10)
    ]
    assert audited == 9
    assert shown.verdict.root == rfc6962_root(payloads).hex()
    pinned = world.signers[INSTITUTION].public_key_raw
    exported = verify_files(files, trusted_key=pinned)
    assert (exported.status, exported.size, exported.root) == (VALID, 9, shown.verdict.root)
    assert sorted(files) == [
        *(f"checkpoints/{n}.txt" for n in range(1, 10)),
        *sorted(f"keys/{n}.pub" for n in (INSTITUTION, WANG, LIU, CHEN, DUDAO)),
        "layout.json",
        "log.jsonl",
    ]
    assert files[f"keys/{WANG}.pub"].decode() == (
        keys.PublicKeyInfo(
            WANG, world.signers[WANG].public_key_raw, datetime.now(UTC)
        ).export_text()
        + "\n"
    )


def test_sealed_paper_is_fingerprinted_by_its_commitment(db: Database) -> None:
    world = build_world(db)
    with db.transaction() as session:
        paper = session.scalars(select(Paper).where(Paper.code == "A")).one()
        before = paper_fingerprint(session, paper)
        paper.commitment = "c" * 64
        assert paper_fingerprint(session, paper) == "c" * 64
        assert before != "c" * 64 and len(before) == 64
    layout(world)
    entry = sign(world, "assemble", WANG).entry
    assert [(p.kind, p.name, p.sha256) for p in entry.products] == [
        ("paper", "theory:A", "c" * 64),
        ("paper", "theory:B", entry.products[1].sha256),
    ]


def test_layout_rules(db: Database) -> None:
    world = build_world(db, staff={**STAFF, "seal": [WANG]})
    with pytest.raises(InvalidInput) as e:
        layout(world)
    assert e.value.key == "custody.seal_needs_two"
    with pytest.raises(InvalidInput) as e:
        layout(world, quorum={"seal": 2})
    assert e.value.key == "custody.bad_quorum"
    with pytest.raises(InvalidInput) as e:
        layout(world, quorum={"seal": 1, "open": 1})
    assert e.value.key == "custody.bad_quorum_step"
    with pytest.raises(InvalidInput) as e:
        layout(world, quorum={"seal": 1}, open_people=[INSTITUTION])
    assert e.value.key == "custody.bad_witness"
    with pytest.raises(InvalidInput) as e, db.transaction() as session:
        make_layout(
            session,
            get_batch(session, world.batch_id),
            signer_person=get_person(session, WANG),
            signer=world.signers[WANG],
            actor="t",
        )
    assert e.value.key == "people.lacks_role"
    with pytest.raises(InvalidInput) as e, db.transaction() as session:
        make_layout(
            session,
            get_batch(session, world.batch_id),
            signer_person=get_person(session, INSTITUTION),
            signer=world.signers[WANG],
            actor="t",
        )
    assert e.value.key == "people.key_mismatch"
    layout(world, quorum={"seal": 1}, transport_legs=1)
    with pytest.raises(InvalidInput) as e:
        layout(world, quorum={"seal": 1})
    assert e.value.key == "custody.layout_exists"
    with db.transaction() as session:
        shown = view(session, get_batch(session, world.batch_id)).layout
    assert [(r.step, r.quorum, [k.name for k in r.people]) for r in shown.steps] == [
        ("assemble", 1, [WANG]),
        ("extract", 1, [WANG]),
        ("print", 1, [LIU]),
        ("transport", 1, [CHEN]),
        ("seal", 1, [WANG]),
    ]
    assert shown.transport_legs == 1
    assert shown.origin == "qbank.custody/6-31-01-03-4/20261212-01"


def _refused(world: World, step: str, name: str, **options) -> CustodyRefused:  # type: ignore[no-untyped-def]
    before = entry_count(world)
    with pytest.raises(CustodyRefused) as e:
        sign(world, step, name, **options)
    assert entry_count(world) == before  # nothing written
    return e.value


def test_refusals_name_the_failure_and_write_nothing(db: Database) -> None:
    world = build_world(db)
    layout(world, open_people=[DUDAO])
    assert _refused(world, "extract", WANG).verdict.code == "STEP_OUT_OF_ORDER"
    sign(world, "assemble", WANG)
    assert _refused(world, "assemble", WANG).verdict.code == "DUPLICATE_SIGNER"
    assert _refused(world, "extract", LIU).verdict.code == "SIGNER_NOT_DESIGNATED"
    assert _refused(world, "print", LIU).verdict.code == "STEP_OUT_OF_ORDER"
    with pytest.raises(InvalidInput) as e:
        sign(world, "extract", WANG, products=[file_product("x", b"x")])
    assert e.value.key == "custody.products_computed"
    with pytest.raises(InvalidInput) as e:
        sign(world, "extract", WANG, signer=world.signers[LIU])
    assert e.value.key == "people.key_mismatch"
    for evidence in ({"a=b": "1"}, {"": "1"}, {"seal_no": "1\n2"}):
        with pytest.raises(InvalidInput) as e:
            sign(world, "extract", WANG, evidence=evidence)
        assert e.value.key == "custody.bad_evidence" and str(e.value)
    sign(world, "extract", WANG)
    sign(world, "print", LIU, products=[file_product("a", b"a")])
    refused = _refused(world, "print", LIU, products=[file_product("b", b"b")])
    assert refused.verdict.code == "DUPLICATE_SIGNER"
    sign(world, "transport", CHEN)
    sign(world, "seal", WANG)
    refused = _refused(world, "open", DUDAO)
    assert (refused.verdict.code, refused.verdict.params["have"]) == ("QUORUM_NOT_MET", 1)
    assert refused.verdict.position == 5
    assert "封存" in str(refused) and "第 5 号记录" in str(refused)
    assert _refused(world, "archive", WANG).verdict.code == "STEP_NOT_IN_LAYOUT"
    sign(world, "seal", LIU)
    assert sign(world, "open", DUDAO).verdict.status == VALID


def test_cosigner_must_vouch_for_the_same_products(db: Database) -> None:
    staff = {**STAFF, "print": [LIU, CHEN]}
    world = build_world(db, staff=staff)
    layout(world, quorum={"print": 2})
    sign(world, "assemble", WANG)
    sign(world, "extract", WANG)
    sign(world, "print", LIU, products=[file_product("list", PRINT_LIST)])
    refused = _refused(world, "print", CHEN, products=[file_product("list", b"other")])
    assert (refused.verdict.code, refused.verdict.params["first"]) == ("COSIGN_MISMATCH", 2)
    assert sign(world, "print", CHEN).entry.products == (file_product("list", PRINT_LIST),)


def test_nothing_to_sign_for(db: Database) -> None:
    world = build_world(db, papers=False, bundles=False)
    layout(world)
    with pytest.raises(InvalidInput) as e:
        sign(world, "assemble", WANG)
    assert e.value.key == "custody.no_papers"
    with db.transaction() as session:
        session.add(
            Paper(
                batch_id=world.batch_id,
                code="A",
                kind="theory",
                seed="1",
                blueprint={},
                layout={},
                created_by="t",
            )
        )
    sign(world, "assemble", WANG)
    with pytest.raises(InvalidInput) as e:
        sign(world, "extract", WANG)
    assert e.value.key == "custody.no_bundles"


def test_planned_legs_and_leg_numbers(db: Database) -> None:
    world = build_world(db)
    layout(world, transport_legs=2)
    for step, name in (("assemble", WANG), ("extract", WANG), ("print", LIU)):
        sign(world, step, name)
    sign(world, "transport", CHEN)
    assert _refused(world, "seal", WANG).verdict.code == "TRANSPORT_LEGS_MISSING"
    assert (
        _refused(world, "transport", CHEN, evidence={"leg": "3"}).verdict.code
        == "TRANSPORT_LEG_INVALID"
    )
    sign(world, "transport", CHEN)
    assert _refused(world, "transport", CHEN).verdict.code == "TRANSPORT_LEG_INVALID"
    sign(world, "seal", WANG)


def test_concurrent_cosigners_are_serialised(db: Database) -> None:
    world = build_world(db)
    layout(world)
    for step, name, opts in FULL_CHAIN[:4]:
        sign(world, step, name, **opts)
    errors: list[BaseException] = []

    def seal(name: str) -> None:
        try:
            sign(world, "seal", name)
        except BaseException as e:  # reported below; a thread cannot raise into the test
            errors.append(e)

    threads = [threading.Thread(target=seal, args=(n,)) for n in (WANG, LIU)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.transaction() as session:
        verdict = verify_batch(session, get_batch(session, world.batch_id))
        rows = session.scalars(select(CustodyEntry).order_by(CustodyEntry.position)).all()
    assert verdict.status == VALID
    assert sorted(parse_entry(r.payload.encode()).person_name for r in rows[4:]) == sorted(
        [WANG, LIU]
    )
