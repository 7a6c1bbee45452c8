"""Sealing a batch to a directory on disk, and opening a sealed bundle from disk.

Two flows, each one function, shared by `qbank seal` / `qbank unseal`, the demo and (later)
the browser pages, so the order of checks is written once:

`seal_batch_to_dir` (提取) — every check before any work, and nothing written on a refusal:
1. the signer is a designated 提取 person of the batch with their registered key, the mode
   is recipients or a passphrase (not both, not neither), the recipients are well formed;
2. the batch's custody recipients exist (its staff and the regulator's escrow): once
   bundled the papers leave the database in the clear, so the database copy is sealed to
   them in the same transaction (`qbank.confidential.seal_papers`);
3. the documents are rendered (a callable, so the checks above run first), the bundle is
   built, encrypted and signed, the statement and the papers' seals stored and flushed, and
   only then the two files are written (both or neither, never replacing a file).

`unseal_bundle` — the checklist, each step failing with its own error and nothing written:
1. the output directory is absent or empty and not a symbolic link;
2. the signature file parses and its signature verifies under its own key, whose fingerprint
   the statement names (`BadSignature`); when the caller knows the signer's key it must be
   that key (`UntrustedSigner`); when it knows none, opening is refused unless the caller
   accepts an unpinned signer (`UnpinnedSigner`);
3. the bundle's SHA-256 is the signed one (`HashMismatch`), before anything is decrypted;
4. the age header is well formed and an identity (or the passphrase) opens it
   (`DecryptFailed`);
5. the archive holds exactly the signed manifest's files (`ManifestMismatch`, `UnsafeName`,
   `NameTooLong`, `NameConflict`, `BadArchive`, the reading limits' `LimitExceeded`), and
   the paper data re-hashes to its versions (`PaperContentMismatch`);
6. the files are written into a fresh directory that appears whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyrage import x25519
from sqlalchemy.orm import Session

from exporters.directory import write_directory
from formats.sealed_bundle import (
    MANIFEST,
    build_archive,
    bundle_file_name,
    check_mode,
    check_out_dir,
    decrypt,
    encrypt,
    normalize_recipients,
    parse_signature_document,
    read_archive,
    read_bundle_file,
    signature_document,
    write_bundle,
)
from qbank.batch import get_batch
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.confidential import Identities, custody_recipients, seal_papers
from qbank.content import ContentTampered
from qbank.errors import InvalidInput
from qbank.keys import Signer
from qbank.model import Batch, Paper, SealedBundle
from qbank.people import get_person
from qbank.seal import (
    SignedStatement,
    batch_statement,
    bundle_contents,
    check_ciphertext,
    check_paper_data,
    check_signer,
    check_trusted,
    record_seal,
    sign_statement,
    verify_signed,
)

Documents = Mapping[str, bytes] | Callable[[Batch], Mapping[str, bytes]]
"""The files bundled under `documents/`, or a function rendering them for the batch once the
checks have passed (rendering the print run is the slow part)."""


@dataclass(frozen=True)
class SealedToDir:
    """A sealed batch: the two files written, the stored statement, and the papers whose
    database copy was sealed to the custody recipients."""

    bundle_path: Path
    signature_path: Path
    bundle: SealedBundle
    statement: dict[str, Any]
    manifest: dict[str, Any]
    papers_sealed: tuple[Paper, ...]
    custody_recipients: tuple[str, ...]


@dataclass(frozen=True)
class Unsealed:
    """An opened bundle written to `out_dir`."""

    out_dir: Path
    files: tuple[str, ...]  # manifest.json first, then the manifest's files
    statement: dict[str, Any]
    signer: str
    fingerprint: str
    trusted: bool  # the signer's key was checked against a key the caller knows


def seal_batch_to_dir(
    session: Session,
    batch_id: int,
    documents: Documents,
    *,
    signer_name: str,
    signer: Signer,
    out_dir: Path,
    actor: str,
    recipients: Sequence[str] = (),
    recipient_people: Sequence[str] = (),
    passphrase: str | None = None,
    identities: Identities = None,
) -> SealedToDir:
    """Seal the batch's paper data and `documents` into `<batch-code>.tar.age` and its
    `.sig.json` in `out_dir` (created if missing), signed by `signer_name` with `signer`.

    Encrypted to `recipients` and the age recipients registered for `recipient_people`, or
    to `passphrase` alone. `identities` open papers already sealed in the database. The
    steps and their order are the module docstring's; ContentTampered from rendering says
    that sealing was refused.
    Side effects: writes a SealedBundle row, audit events, seals the batch's unsealed papers
    (`seal_papers`), then writes the two files.
    """
    batch = get_batch(session, batch_id)
    person = get_person(session, signer_name)
    check_signer(session, batch, person, signer)
    chosen = (
        None
        if passphrase is not None and not recipients and not recipient_people
        else [*recipients, *_registered_recipients(session, recipient_people)]
    )
    check_mode(chosen, passphrase)
    custody_to = custody_recipients(session, batch)
    try:
        rendered = documents(batch) if callable(documents) else documents
    except ContentTampered as e:  # rendering refused it: say what sealing did not do
        raise e.instead("seal") from None
    archive, manifest = build_archive(bundle_contents(session, batch, rendered, identities))
    ciphertext = encrypt(archive, recipients=chosen, passphrase=passphrase)
    name = bundle_file_name(batch.code)
    signed = sign_statement(
        batch_statement(
            session,
            batch,
            bundle=name,
            ciphertext_sha256=sha256_hex(ciphertext),
            manifest_sha256=sha256_hex(canonical_bytes(manifest)),
            recipients=None if chosen is None else normalize_recipients(chosen),
            signer=signer,
        ),
        signer,
    )
    row = record_seal(session, batch, signed, signer_person=person, actor=actor)
    sealed = seal_papers(session, batch, recipients=custody_to, actor=actor)
    session.flush()  # a database error surfaces before any file is written
    bundle_path, signature_path = write_bundle(
        out_dir,
        name,
        ciphertext,
        signature_document(signed.text, signed.signature, signed.public_key),
    )
    return SealedToDir(
        bundle_path,
        signature_path,
        row,
        signed.statement,
        manifest,
        tuple(sealed),
        tuple(custody_to),
    )


def _registered_recipients(session: Session, names: Sequence[str]) -> list[str]:
    """The age recipients registered for `names`; InvalidInput for a person without one."""
    found = []
    for name in names:
        person = get_person(session, name)
        if not person.age_recipient:
            raise InvalidInput("seal.no_age_recipient", name=person.name)
        found.append(person.age_recipient)
    return found


def read_signature_file(path: Path) -> SignedStatement:
    """A bundle's signature file, parsed and verified under its own key (BadSignature if
    not; InvalidInput if unreadable). Side effects: reads the file."""
    document = parse_signature_document(read_bundle_file(Path(path)), source=str(path))
    return verify_signed(document, source=str(path))


def unseal_bundle(
    bundle_path: Path,
    signature_path: Path,
    *,
    out_dir: Path,
    identities: Sequence[str | x25519.Identity] | None = None,
    passphrase: str | None = None,
    trusted_keys: Mapping[str, bytes] | None = None,
    allow_unpinned: bool = False,
) -> Unsealed:
    """Check and open a bundle into `out_dir` (absent or empty, not a symlink), in the order
    of the module docstring's checklist; every failure is a SealError (or InvalidInput, or a
    reading limit) and nothing is written.

    `trusted_keys` (signer name → raw public key) pins the signer's key; None means the
    caller knows none (see `qbank.seal.check_trusted`), and the result then says
    `trusted=False`.
    Side effects: reads both files; creates `out_dir` with the files (dirs 0700, files 0600).
    """
    bundle_path, signature_path, out_dir = Path(bundle_path), Path(signature_path), Path(out_dir)
    check_out_dir(out_dir)
    signed = read_signature_file(signature_path)
    check_trusted(signed, trusted_keys, allow_unpinned=allow_unpinned)
    ciphertext = read_bundle_file(bundle_path)
    check_ciphertext(signed, ciphertext, source=str(bundle_path))
    archive = read_archive(
        decrypt(ciphertext, identities=identities, passphrase=passphrase),
        source=str(bundle_path),
        manifest_sha256=signed.statement["manifest_sha256"],
    )
    check_paper_data(archive.files)
    contents = {MANIFEST: canonical_bytes(archive.manifest), **dict(sorted(archive.files.items()))}
    check_out_dir(out_dir)  # it may have changed while the bundle was read
    write_directory(out_dir, contents)
    return Unsealed(
        out_dir,
        tuple(contents),
        signed.statement,
        signed.signer_name,
        signed.fingerprint,
        trusted_keys is not None,
    )
