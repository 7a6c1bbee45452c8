"""Custody steps that read or write files: signing a step with the files it hands on (and, at
启封, writing the sealed papers back), exporting the log, verifying a log from disk or the
database. `qbank custody sign|export|verify` and the demo call these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from exporters.directory import write_directory
from formats.limits import read_directory
from qbank import keys
from qbank.batch import get_batch
from qbank.custody import Signed, export_log, file_product, sign_step, verify_batch, verify_files
from qbank.custody.verify import Verdict
from qbank.errors import InvalidInput
from qbank.model import Batch, Paper
from qbank.people import get_person
from workflows.types import KeySource, Transaction

if TYPE_CHECKING:
    from qbank.confidential import Identities


@dataclass(frozen=True)
class CustodySigned:
    signed: Signed
    opened: list[Paper]
    """Papers written back to the database by 启封 (empty for any other step)."""


def on_open(session: Session, batch: Batch, identities: Identities, *, actor: str) -> list[Paper]:
    """启封: after the open entry is signed, in the same transaction, write the batch's sealed
    papers back (`qbank.confidential.open_for_exam`); a refusal rolls the open entry back."""
    from qbank.confidential import open_for_exam  # age: loaded only when papers are opened

    return open_for_exam(session, batch, identities=identities, actor=actor)


def sign_custody_step(
    transaction: Transaction,
    batch_id: int,
    step: str,
    person: str,
    *,
    key_source: KeySource,
    actor: str,
    evidence: Mapping[str, str] | None = None,
    product_files: Sequence[Path] = (),
    identities: Identities = None,
) -> CustodySigned:
    """Sign `step` of the batch's custody log as `person`, recording the SHA-256 of each file
    in `product_files`; at 启封 (`open`) the sealed papers are opened with `identities`.

    Raises as `qbank.custody.sign_step` and `qbank.confidential.open_for_exam`; nothing is
    stored when either refuses.
    """
    products = [file_product(p.name, p.read_bytes()) for p in product_files]
    signer = key_source(person)
    with transaction() as session:
        batch = get_batch(session, batch_id)
        signed = sign_step(
            session,
            batch,
            step,
            person=get_person(session, person),
            signer=signer,
            evidence=evidence,
            products=products,
            actor=actor,
        )
        opened = on_open(session, batch, identities, actor=actor) if step == "open" else []
    return CustodySigned(signed, opened)


@dataclass(frozen=True)
class CustodyExported:
    out: Path
    files: list[str]


def export_custody(transaction: Transaction, batch_id: int, out: Path) -> CustodyExported:
    """Write the batch's custody log (log, checkpoints, layout, public keys) into `out`, a new
    or empty directory, all or nothing: what a regulator verifies without the database."""
    with transaction() as session:
        files = export_log(session, get_batch(session, batch_id))
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput("filing.out_exists", path=str(out))
    write_directory(out, files, private=False)  # a custody log is evidence, not a secret
    return CustodyExported(out, sorted(files))


def verify_custody_export(
    directory: Path, *, trusted_key: bytes | None, checkpoint_files: Sequence[Path] = ()
) -> Verdict:
    """Verify an exported custody log without the database, against the institution's
    `trusted_key` and the checkpoints received earlier (the log must extend each)."""
    known = _checkpoints(checkpoint_files)
    if not directory.is_dir():
        raise InvalidInput("cli.file_missing", path=str(directory))
    exported = read_directory(directory, not_a_file="custody.not_a_file")
    return verify_files(exported, trusted_key=trusted_key, known_checkpoints=known)


def verify_custody_batch(
    transaction: Transaction,
    batch_id: int,
    *,
    trusted_key: bytes | None,
    checkpoint_files: Sequence[Path] = (),
) -> Verdict:
    """Verify the batch's custody log in the database (the institution's registered key,
    unless `trusted_key` pins another) against the checkpoints received earlier."""
    known = _checkpoints(checkpoint_files)
    with transaction() as session:
        return verify_batch(
            session, get_batch(session, batch_id), trusted_key=trusted_key, known_checkpoints=known
        )


def read_public_key(path: Path) -> bytes:
    """The raw Ed25519 key in a `.pub` file (`qbank key export`). Raises InvalidInput."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput("keys.bad_public") from None
    return keys.parse_public(text)[1]


def _checkpoints(paths: Sequence[Path]) -> list[str]:
    return [p.read_bytes().decode("utf-8", errors="replace") for p in paths]
