"""Tampering with a custody log: every change is INVALID with a failure code, never a crash.

Two sources of logs:
- a real export, made once through the database (`qbank.custody.export_log`), for bit flips,
  dropped, swapped, replayed and truncated entries, forged signatures, swapped layouts;
- `Forge`, which builds a log from scratch with the pure API and signs everything correctly,
  so that exactly one rule is broken (signer not designated, too few signers, another
  batch, materials ≠ previous products, …).

The Merkle hashing inside is RFC 6962 (qbank.merkle), which tests/test_merkle.py checks against
the transparency-dev vectors in ../shared/vectors/merkle.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import multiprocessing
import os
import random
import re
import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qbank import keys, merkle
from qbank.bank import ensure_bank
from qbank.batch import get_batch, new_batch
from qbank.canonical import canonical_bytes
from qbank.checkpoint import sign_checkpoint
from qbank.custody import (
    INCOMPLETE,
    INVALID,
    VALID,
    export_log,
    file_product,
    make_layout,
    sign_step,
)
from qbank.custody import verify as verify_module
from qbank.custody.log import (
    Entry,
    Key,
    Layout,
    Product,
    SignedLog,
    StepRule,
    export_files,
    layout_id,
)
from qbank.custody.verify import Verdict, verify_files
from qbank.db import open_database
from qbank.messages import CATALOGUE
from qbank.model import Paper, SealedBundle
from qbank.people import add_person, get_person, set_public_key

NAMES = ("机构", "王老师", "刘师傅", "督导员")
SIGNERS = {}
for _name in (*NAMES, "外人"):
    _key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(_name.encode()).digest())
    SIGNERS[_name] = keys.Signer(
        keys.PublicKeyInfo(_name, _key.public_key().public_bytes_raw(), datetime.now(UTC)), _key
    )
TRUSTED = SIGNERS["机构"].public_key_raw
CHAIN = [
    ("assemble", "王老师", {}),
    ("extract", "王老师", {}),
    ("print", "刘师傅", {"products": [file_product("印制清单.xlsx", b"list")]}),
    ("transport", "刘师傅", {"evidence": {"from": "印刷厂", "to": "考点"}}),
    ("transport", "刘师傅", {"evidence": {"vehicle": "湘A12345"}}),
    ("seal", "王老师", {"evidence": {"seal_no": "A-1"}}),
    ("seal", "刘师傅", {"evidence": {"seal_no": "A-1"}}),
    ("open", "督导员", {}),
    ("archive", "王老师", {}),
]


def _world(path: Path, batches: int) -> list[dict[str, bytes]]:
    """`batches` batches of one bank, each with the whole chain signed; their exports."""
    db = open_database(str(path))
    exports = []
    try:
        with db.transaction() as session:
            bank = ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
            roles = {"机构": "institution", "督导员": "regulator"}
            for name in NAMES:
                person = add_person(session, name, [roles.get(name, "staff")], actor="t")
                set_public_key(session, person, SIGNERS[name].public_key_raw, actor="t")
        for n in range(batches):
            with db.transaction() as session:
                staff = {
                    "assemble": ["王老师"],
                    "extract": ["王老师"],
                    "print": ["刘师傅"],
                    "transport": ["刘师傅"],
                    "seal": ["王老师", "刘师傅"],
                }
                batch = new_batch(
                    session,
                    bank,
                    exam_date=date(2026, 12, 12 + n),
                    site="长沙考点",
                    candidates=60,
                    staff=staff,
                    actor="t",
                )
                session.add(
                    Paper(
                        batch_id=batch.id,
                        code="A",
                        kind="theory",
                        seed=str(n),
                        blueprint={},
                        layout={"items": [n]},
                        created_by="t",
                    )
                )
                session.add(
                    SealedBundle(
                        batch_id=batch.id,
                        sha256=hashlib.sha256(f"bundle {n}".encode()).hexdigest(),
                        manifest_sha256="0" * 64,
                        file_name=f"{batch.code}.tar.age",
                        signer_id=get_person(session, "王老师").id,
                        payload="{}",
                        signature="",
                    )
                )
                make_layout(
                    session,
                    batch,
                    signer_person=get_person(session, "机构"),
                    signer=SIGNERS["机构"],
                    open_people=["督导员"],
                    archive_people=["王老师"],
                    actor="t",
                )
                batch_id = batch.id
            for step, name, options in CHAIN:
                with db.transaction() as session:
                    sign_step(
                        session,
                        get_batch(session, batch_id),
                        step,
                        person=get_person(session, name),
                        signer=SIGNERS[name],
                        actor="t",
                        **options,
                    )
            with db.transaction() as session:
                exports.append(export_log(session, get_batch(session, batch_id)))
    finally:
        db.dispose()
    return exports


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, bytes]]:
    return _world(tmp_path_factory.mktemp("custody") / "qbank.db", batches=2)


@pytest.fixture
def files(exports: list[dict[str, bytes]]) -> dict[str, bytes]:
    return dict(exports[0])


def lines(files: Mapping[str, bytes]) -> list[bytes]:
    return files["log.jsonl"].split(b"\n")[:-1]


def with_lines(files: dict[str, bytes], new: list[bytes]) -> dict[str, bytes]:
    return {**files, "log.jsonl": b"".join(line + b"\n" for line in new)}


def check(files: Mapping[str, bytes], code: str, position: int | None = None, **kw) -> Verdict:  # type: ignore[no-untyped-def]
    verdict = verify_files(files, trusted_key=kw.pop("trusted", TRUSTED), **kw)
    message = verdict.message  # renders in the user's language with the failure's parameters
    assert (verdict.status, verdict.code, verdict.position) == (INVALID, code, position), message
    return verdict


# --- the real export -------------------------------------------------------------------------


def test_the_export_is_valid_only_with_the_pinned_key(files: dict[str, bytes]) -> None:
    verdict = verify_files(files, trusted_key=TRUSTED)
    assert (verdict.status, verdict.size, verdict.exit_code) == (VALID, 9, 0)
    assert verdict.root == merkle.root([_payload(line) for line in lines(files)]).hex()
    check(files, "UNTRUSTED_LAYOUT_KEY", trusted=None)
    check(files, "LAYOUT_KEY_MISMATCH", trusted=SIGNERS["外人"].public_key_raw)


def _payload(line: bytes) -> bytes:
    return json.loads(line)["payload"].encode()


def test_dropped_entry(files: dict[str, bytes]) -> None:
    kept = lines(files)
    del kept[3]
    check(with_lines(files, kept), "CHECKPOINT_BEYOND_LOG")
    shorter = with_lines(files, kept)
    del shorter["checkpoints/9.txt"]
    check(shorter, "POSITION_MISMATCH", 3)


def test_swapped_entries(files: dict[str, bytes]) -> None:
    swapped = lines(files)
    swapped[5], swapped[6] = swapped[6], swapped[5]
    check(with_lines(files, swapped), "POSITION_MISMATCH", 5)


def test_replayed_entry(files: dict[str, bytes]) -> None:
    replayed = lines(files)
    replayed[4] = replayed[3]  # the same leg signed once, shown twice
    check(with_lines(files, replayed), "POSITION_MISMATCH", 4)
    appended = with_lines(files, [*lines(files), lines(files)[8]])
    check(appended, "POSITION_MISMATCH", 9)


def test_truncated_log(files: dict[str, bytes]) -> None:
    note = files["checkpoints/9.txt"].decode()
    cut = with_lines(files, lines(files)[:8])
    check(cut, "CHECKPOINT_BEYOND_LOG")
    del cut["checkpoints/9.txt"]
    # Cutting entries and their checkpoints together leaves a consistent, shorter log: only a
    # checkpoint received earlier shows what is missing.
    assert verify_files(cut, trusted_key=TRUSTED).status == VALID
    check(cut, "LOG_TRUNCATED", known_checkpoints=[note])
    before_seal = with_lines(files, lines(files)[:6])
    for size in (7, 8, 9):
        del before_seal[f"checkpoints/{size}.txt"]
    verdict = verify_files(before_seal, trusted_key=TRUSTED)
    assert (verdict.status, verdict.code, verdict.exit_code) == (INCOMPLETE, "QUORUM_PENDING", 2)


def test_forged_signature(files: dict[str, bytes]) -> None:
    forged = lines(files)
    record = json.loads(forged[2])
    signature = SIGNERS["外人"].sign(record["payload"].encode())
    record["signature"] = base64.b64encode(signature).decode()
    forged[2] = canonical_bytes(record)
    check(with_lines(files, forged), "SIGNATURE_INVALID", 2)


def test_entry_from_another_batch(files: dict[str, bytes], exports: list[dict[str, bytes]]) -> None:
    spliced = lines(files)
    spliced[1] = lines(exports[1])[1]
    check(with_lines(files, spliced), "LAYOUT_MISMATCH", 1)


def test_layout_replaced_or_keys_altered(
    files: dict[str, bytes], exports: list[dict[str, bytes]]
) -> None:
    check({**files, "layout.json": exports[1]["layout.json"]}, "LAYOUT_MISMATCH", 0)
    name = "keys/王老师.pub"
    altered = files[name].replace(b"\xe7\x8e\x8b", b"\xe6\x9d\x8e")  # 王 → 李
    check({**files, name: altered}, "KEY_FILE_MISMATCH")
    check({**files, "README.txt": b"hi"}, "UNEXPECTED_FILE")
    missing = dict(files)
    del missing["checkpoints/4.txt"]
    check(missing, "CHECKPOINT_MISSING", 3)
    check({**files, "checkpoints/4.txt": files["checkpoints/5.txt"]}, "MALFORMED_CHECKPOINT", 3)


def _flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


FLIP_CODES = {
    "layout.json": {"MALFORMED_LAYOUT", "LAYOUT_SIGNATURE_INVALID"},
    "log.jsonl": {
        "MALFORMED_ENTRY",
        "CHECKPOINT_BEYOND_LOG",  # a newline flipped away: two lines, one record fewer
        "POSITION_MISMATCH",
        "LAYOUT_MISMATCH",
        "BATCH_MISMATCH",
        "PREVIOUS_ROOT_MISMATCH",
        "SIGNER_NOT_DESIGNATED",
        "SIGNATURE_INVALID",
    },
    "checkpoints": {
        "MALFORMED_CHECKPOINT",
        "CHECKPOINT_ORIGIN_MISMATCH",
        "CHECKPOINT_ROOT_MISMATCH",
        "CHECKPOINT_SIGNATURE_INVALID",
    },
    "keys": {"KEY_FILE_MISMATCH"},
}
"""The codes a flip in each kind of file may get: each is a check of that file's own record."""
_CHECKPOINT_NAME = re.compile(r"checkpoints/([0-9]+)\.txt")
_FLIP_JOB_BITS = 4096


def _flipped_at(name: str, data: bytes) -> list[int | None]:
    """For each byte of file `name`, the entry a flip there must be reported at.

    Entries before the flipped record are untouched, so the first failure is the flipped one's:
    log line n (its newline included), or the entry after which checkpoint `size` is taken;
    layout.json and key files fail before any entry.
    """
    if name == "log.jsonl":
        at, line = [], 0
        for byte in data:
            at.append(line)
            line += byte == ord("\n")
        return at
    checkpoint = _CHECKPOINT_NAME.fullmatch(name)
    return [int(checkpoint.group(1)) - 1 if checkpoint else None] * len(data)


def _flip_job(
    files: Mapping[str, bytes], name: str, bits: range
) -> tuple[Counter[str], list[tuple[str, int, str, str | None, int | None]]]:
    """Verify `files` with each of `bits` of `name` flipped in turn: the failure codes seen, and
    every verdict that is not INVALID with a message and a code of that file at the flipped
    record. A crash raises."""
    kind = name.split("/")[0]
    at = _flipped_at(name, files[name])
    codes: Counter[str] = Counter()
    wrong = []
    for bit in bits:
        verdict = verify_files({**files, name: _flip(files[name], bit)}, trusted_key=TRUSTED)
        position = None if verdict.code == "CHECKPOINT_BEYOND_LOG" else at[bit // 8]
        outcome = (verdict.status, verdict.code in FLIP_CODES[kind], verdict.position)
        if outcome != (INVALID, True, position) or not verdict.message:
            wrong.append((name, bit, verdict.status, verdict.code, verdict.position))
        codes[verdict.code or ""] += 1
    return codes, wrong


def _map_on_cores(fn, *iterables):  # type: ignore[no-untyped-def]
    """`map` over two worker processes where there are two cores, else in this process. Workers
    are forked (warm memos, nothing to import) unless another thread runs, which fork could
    deadlock; then spawned."""
    if (os.cpu_count() or 1) < 2:
        return list(map(fn, *iterables))
    forkable = "fork" in multiprocessing.get_all_start_methods()
    method = "fork" if forkable and threading.active_count() == 1 else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        return list(pool.map(fn, *iterables))


@pytest.mark.slow
def test_every_bit_flip_is_rejected(files: dict[str, bytes]) -> None:
    """Every single-bit flip of every file of a 9-entry export (log.jsonl, each checkpoint,
    layout.json, each key file: about 99 000 flips) is INVALID with a code naming the flipped
    record, never a crash, never VALID."""
    assert verify_files(files, trusted_key=TRUSTED).status == VALID  # workers fork warm
    jobs = [
        (name, range(start, min(start + _FLIP_JOB_BITS, len(data) * 8)))
        for name, data in sorted(files.items())
        for start in range(0, len(data) * 8, _FLIP_JOB_BITS)
    ]
    results = _map_on_cores(
        functools.partial(_flip_job, files), [n for n, _ in jobs], [b for _, b in jobs]
    )
    assert [w for _, wrong in results for w in wrong] == []
    codes: dict[str, Counter[str]] = {kind: Counter() for kind in FLIP_CODES}
    for (name, _), (seen, _) in zip(jobs, results, strict=True):
        codes[name.split("/")[0]].update(seen)
    flips = sum(c.total() for c in codes.values())
    assert flips == 8 * sum(len(data) for data in files.values()) > 90_000
    assert {kind: set(seen) for kind, seen in codes.items()} == FLIP_CODES


def test_verdicts_do_not_depend_on_memos(files: dict[str, bytes]) -> None:
    """Verification remembers parses and signature checks (pure functions of their bytes): a
    run with every memo emptied gives the same verdict as a run that finds them filled."""
    memos = [f for f in vars(verify_module).values() if hasattr(f, "cache_clear")]
    assert len(memos) >= 6
    for name, data in sorted(files.items()):
        for bit in range(3, len(data) * 8, 499):
            flipped = {**files, name: _flip(data, bit)}
            warm = verify_files(flipped, trusted_key=TRUSTED)
            for memo in memos:
                memo.cache_clear()
            assert verify_files(flipped, trusted_key=TRUSTED) == warm, (name, bit)


def test_compact_range_gives_rfc6962_roots() -> None:
    hashes = [merkle.leaf_hash(bytes([n])) for n in range(70)]
    tree = merkle.CompactRange()
    roots = [tree.append(h) for h in hashes]
    assert roots == [merkle.root_from_hashes(hashes[: n + 1]) for n in range(70)]


# --- forged logs: one broken rule each ----------------------------------------------------------


def key(name: str) -> Key:
    return Key(name, SIGNERS[name].public_key_raw)


def forged_layout(**changes) -> Layout:  # type: ignore[no-untyped-def]
    layout = Layout(
        batch_id=1,
        batch_code="20261212-01",
        occupation="6-31-01-03",
        level=4,
        exam_date="2026-12-12",
        site="长沙考点",
        steps=(
            StepRule("assemble", 1, (key("王老师"),)),
            StepRule("extract", 1, (key("王老师"),)),
            StepRule("print", 1, (key("刘师傅"),)),
            StepRule("transport", 1, (key("刘师傅"),)),
            StepRule("seal", 2, (key("王老师"), key("刘师傅"))),
            StepRule("open", 1, (key("督导员"),)),
        ),
        transport_legs=None,
        signer=key("机构"),
        created_at="2026-12-01T08:00:00Z",
    )
    return replace(layout, **changes)


def product(step: str, leg: str = "") -> Product:
    return Product("file", f"{step}{leg}", hashlib.sha256(f"{step}{leg}".encode()).hexdigest())


class Forge:
    """Builds a correctly signed log step by step; arguments override what an honest signer
    would write, so a test breaks exactly one rule."""

    def __init__(self, layout: Layout | None = None) -> None:
        self.layout = layout or forged_layout()
        self.payload = self.layout.payload()
        self.log = SignedLog(self.payload, SIGNERS["机构"].sign(self.payload), [], {})
        self.entries: list[Entry] = []

    def add(
        self,
        step: str,
        name: str,
        *,
        signer: str | None = None,
        note_by: str | None = None,
        **changes,
    ) -> Forge:  # type: ignore[no-untyped-def]
        evidence = changes.pop("evidence", {})
        last = self.entries[-1] if self.entries else None
        cosign = last is not None and last.step == step and last.evidence == evidence
        materials = (last.materials if cosign else last.products) if last else ()
        entry = Entry(
            batch_id=self.layout.batch_id,
            batch_code=self.layout.batch_code,
            layout=layout_id(self.payload),
            position=len(self.entries),
            previous_root=merkle.root([p for p, _ in self.log.entries]).hex(),
            step=step,
            person_name=name,
            person_fingerprint=keys.fingerprint(SIGNERS[name].public_key_raw),
            claimed_time="2026-12-12T08:00:00Z",
            materials=materials,
            products=(product(step, evidence.get("leg", "")),),
            evidence=evidence,
        )
        entry = replace(entry, **changes)
        payload = entry.payload()
        self.log.entries.append((payload, SIGNERS[signer or name].sign(payload)))
        size = len(self.log.entries)
        root = merkle.root([p for p, _ in self.log.entries])
        self.log.checkpoints[size] = sign_checkpoint(
            self.layout.origin, size, root, name=name, signer=SIGNERS[note_by or name]
        )
        self.entries.append(entry)
        return self

    def chain(self, upto: str) -> Forge:
        steps = [
            ("assemble", "王老师", {}),
            ("extract", "王老师", {}),
            ("print", "刘师傅", {}),
            ("transport", "刘师傅", {"evidence": {"leg": "1"}}),
            ("seal", "王老师", {}),
            ("seal", "刘师傅", {}),
            ("open", "督导员", {}),
        ]
        for step, name, options in steps:
            self.add(step, name, **options)
            if (step, name) == tuple(upto.split(":")):
                break
        return self

    def files(self) -> dict[str, bytes]:
        return export_files(self.log, self.layout)


def test_forge_makes_valid_logs() -> None:
    verdict = verify_files(Forge().chain("open:督导员").files(), trusted_key=TRUSTED)
    assert (verdict.status, verdict.size) == (VALID, 7)


def test_signer_not_designated_for_the_step() -> None:
    check(
        Forge().chain("extract:王老师").add("print", "王老师").files(), "SIGNER_NOT_DESIGNATED", 2
    )


def test_signature_by_someone_else() -> None:
    forged = Forge().chain("extract:王老师").add("print", "刘师傅", signer="外人")
    check(forged.files(), "SIGNATURE_INVALID", 2)


def test_too_few_signers() -> None:
    early = Forge().chain("seal:王老师").add("open", "督导员")
    verdict = check(early.files(), "QUORUM_NOT_MET", 5)
    assert (verdict.params["have"], verdict.params["need"]) == (1, 2)
    pending = verify_files(Forge().chain("seal:王老师").files(), trusted_key=TRUSTED)
    assert (pending.status, pending.code) == (INCOMPLETE, "QUORUM_PENDING")


def test_same_person_twice_or_other_products() -> None:
    check(Forge().chain("seal:王老师").add("seal", "王老师").files(), "DUPLICATE_SIGNER", 5)
    other = Forge().chain("seal:王老师").add("seal", "刘师傅", products=(product("other"),))
    check(other.files(), "COSIGN_MISMATCH", 5)


def test_entry_of_another_batch() -> None:
    check(
        Forge().chain("assemble:王老师").add("extract", "王老师", batch_code="20261213-01").files(),
        "BATCH_MISMATCH",
        1,
    )


def test_materials_differ_from_previous_products() -> None:
    swapped = Forge().chain("extract:王老师").add("print", "刘师傅", materials=(product("x"),))
    check(swapped.files(), "MATERIALS_MISMATCH", 2)
    check(
        Forge().add("assemble", "王老师", materials=(product("x"),)).files(),
        "MATERIALS_MISMATCH",
        0,
    )
    check(Forge().add("assemble", "王老师", products=()).files(), "EMPTY_PRODUCTS", 0)


def test_steps_in_order_and_legs_numbered() -> None:
    check(Forge().chain("assemble:王老师").add("print", "刘师傅").files(), "STEP_OUT_OF_ORDER", 1)
    check(Forge().add("extract", "王老师").files(), "STEP_OUT_OF_ORDER", 0)
    skip = Forge().chain("transport:刘师傅").add("transport", "刘师傅", evidence={"leg": "3"})
    check(skip.files(), "TRANSPORT_LEG_INVALID", 4)
    check(
        Forge().chain("print:刘师傅").add("transport", "刘师傅").files(), "TRANSPORT_LEG_INVALID", 3
    )
    planned = Forge(forged_layout(transport_legs=2)).chain("transport:刘师傅")
    check(planned.add("seal", "王老师").files(), "TRANSPORT_LEGS_MISSING", 4)
    check(Forge().chain("open:督导员").add("archive", "王老师").files(), "STEP_NOT_IN_LAYOUT", 7)


def test_entry_claims_checked() -> None:
    check(
        Forge().chain("assemble:王老师").add("extract", "王老师", position=2).files(),
        "POSITION_MISMATCH",
        1,
    )
    check(
        Forge().chain("assemble:王老师").add("extract", "王老师", previous_root="0" * 64).files(),
        "PREVIOUS_ROOT_MISMATCH",
        1,
    )
    check(Forge().add("assemble", "王老师", layout="0" * 64).files(), "LAYOUT_MISMATCH", 0)


def test_checkpoints_signed_by_the_entrys_signer() -> None:
    check(
        Forge().chain("assemble:王老师").add("extract", "王老师", note_by="刘师傅").files(),
        "CHECKPOINT_SIGNATURE_INVALID",
        1,
    )
    other = Forge().chain("assemble:王老师")
    other.log.checkpoints[1] = sign_checkpoint(
        "qbank.custody/6-31-01-03-4/20261213-01",
        1,
        merkle.root([other.log.entries[0][0]]),
        name="王老师",
        signer=SIGNERS["王老师"],
    )
    check(other.files(), "CHECKPOINT_ORIGIN_MISMATCH", 0)
    stale = Forge().chain("extract:王老师")
    stale.log.checkpoints[2] = sign_checkpoint(
        stale.layout.origin, 2, merkle.EMPTY_ROOT, name="王老师", signer=SIGNERS["王老师"]
    )
    check(stale.files(), "CHECKPOINT_ROOT_MISMATCH", 1)


def test_earlier_checkpoint_of_a_rewritten_log() -> None:
    honest = Forge().chain("print:刘师傅")
    note = honest.log.checkpoints[2]
    rewritten = (
        Forge()
        .chain("assemble:王老师")
        .add("extract", "王老师", claimed_time="2026-12-13T08:00:00Z")
    )
    rewritten.add("print", "刘师傅")
    check(rewritten.files(), "LOG_FORKED", 1, known_checkpoints=[note])
    assert (
        verify_files(honest.files(), trusted_key=TRUSTED, known_checkpoints=[note]).status
        == INCOMPLETE
    )


def test_every_failure_code_has_a_message_in_both_languages() -> None:
    source = Path(verify_module.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'_Failure\(\s*"([A-Z_]+)"', source))
    assert len(codes) >= 30
    for code in codes:
        zh, en = CATALOGUE[f"custody.code.{code.lower()}"]
        assert zh and en


def test_garbage_is_invalid_never_a_crash(files: dict[str, bytes]) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    cases = {
        "MISSING_FILE": {},
        "MALFORMED_LAYOUT": {**files, "layout.json": deep + b"\n"},
        "MALFORMED_ENTRY": with_lines(files, [deep, *lines(files)[1:]]),
        "UNEXPECTED_FILE": {**files, "checkpoints/0.txt": b""},
    }
    for code, broken in cases.items():
        assert verify_files(broken, trusted_key=TRUSTED).code == code
    check({**files, "checkpoints/1.txt": b"\xff\xfe"}, "MALFORMED_CHECKPOINT", 0)
    check({**files, "log.jsonl": files["log.jsonl"][:-1]}, "MALFORMED_ENTRY", 8)
    rng = random.Random(11)
    for name in ("layout.json", "log.jsonl", "checkpoints/3.txt"):
        for _ in range(20):
            noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
            cut = rng.randrange(len(files[name]))
            verdict = verify_files({**files, name: files[name][:cut] + noise}, trusted_key=TRUSTED)
            assert verdict.status == INVALID and verdict.message
