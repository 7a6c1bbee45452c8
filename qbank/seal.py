"""Sealed bundles (提取封存包): a batch's documents and paper data, encrypted and signed.

A bundle is two files side by side:

- `<batch-code>.tar.age` — an age v1 file (X25519 recipients, or a passphrase alone) holding a
  deterministic tar: `manifest.json` first (canonical JSON: format, and for every other file
  its SHA-256 and size), then `documents/…` (the print run) and `papers/<code>-<kind>.json`
  (each paper's composition with the canonical content of its item or set versions), sorted
  by name, every entry mtime 0, uid/gid 0, no owner names, mode 0644, PAX format. The same
  files give the same tar bytes, and the stock tools open it: `age -d -i key.txt B.tar.age |
  tar x`.
- `<batch-code>.tar.age.sig.json` — `{"statement": <canonical JSON text>, "signature": <b64
  Ed25519 over the statement's UTF-8>, "public_key": <b64 raw key>}`. The statement
  (`qbank-sealed-bundle/v1`) names the batch, the bundle file, the ciphertext's and the
  manifest's SHA-256, the papers, the recipients (sorted, or "passphrase"), the signer (the
  batch's designated 提取 person) and the time.

`unseal` is the checklist, each step failing with its own error and nothing written:
1. the signature file parses and the signature verifies under its own key, whose fingerprint
   the statement names (`BadSignature`); when the caller knows the signer's key (the database,
   or a `--signer-key` file) it must be that key (`UntrustedSigner`);
2. the bundle's SHA-256 is the signed one (`HashMismatch`) — a replaced or damaged bundle is
   caught here, before anything is decrypted;
3. the age header is well formed and an identity (or the passphrase) opens it
   (`DecryptFailed`, with the kind of failure);
4. the manifest is the signed one and the archive holds exactly its files with their hashes
   (`ManifestMismatch`, `UnsafeName`, `BadArchive`);
5. the files are written into a fresh directory that appears whole or not at all.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import secrets
import shutil
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.confidential import Identities, clear_composition
from qbank.errors import InvalidInput, QbankError
from qbank.i18n import tr
from qbank.keys import Signer, fingerprint, verify
from qbank.model import (
    Bank,
    Batch,
    BatchStaff,
    Item,
    ItemVersion,
    Paper,
    Person,
    PracticalSet,
    PracticalSetVersion,
    SealedBundle,
)
from qbank.people import public_key_raw

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "qbank-bundle/v1"
PAPER_FORMAT = "qbank-paper-data/v1"
STATEMENT_TYPE = "qbank-sealed-bundle/v1"
BUNDLE_SUFFIX = ".tar.age"
SIGNATURE_SUFFIX = ".sig.json"
PASSPHRASE_MODE = "passphrase"
EXTRACT_STEP = "extract"
DOCUMENTS_DIR = "documents"
PAPERS_DIR = "papers"
STREAM_CHUNK = 64 * 1024
"""age STREAM encrypts the payload in chunks of this many bytes, each with a 16-byte tag."""
MAX_SCRYPT_WORK_FACTOR = 22
"""The largest scrypt log2(N) a bundle may ask for (the Go age default): a file asking for
more would make the reader spend minutes and gigabytes before failing."""

_AGE_MAGIC = b"age-encryption.org/v1"
_ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
_NONCE_BYTES = 16
_MAC_B64_CHARS = 43
_BODY_COLUMNS = 64
_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# pyrage raises one DecryptError class; its message says which rage error it was.
_PYRAGE_KINDS = (
    ("No matching keys found", "no_match"),
    ("Decryption failed", "no_match"),  # scrypt stanza: wrong passphrase or damaged stanza
    ("Header MAC is invalid", "hmac"),
    ("Header is invalid", "header"),
    ("Unknown age format", "header"),
    ("failed to fill whole buffer", "header"),
    ("Excessive work", "header"),
    ("decryption error", "payload"),
    ("age file is truncated", "payload"),
    ("last chunk has been processed", "payload"),
    ("Last STREAM chunk is empty", "payload"),
)
DECRYPT_KINDS = ("header", "no_match", "hmac", "payload", "other")


class SealError(QbankError):
    """A bundle could not be made or opened; nothing was written."""


class UnsafeName(SealError):
    """A file name that could escape the output directory or means different files on
    different systems (absolute, `..`, backslash, control characters, drive letters)."""

    def __init__(self, name: str) -> None:
        super().__init__("seal.unsafe_name", name=name.encode("unicode_escape").decode("ascii"))


class BadSignature(SealError):
    """The signature file is malformed or its signature does not verify."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__("seal.bad_signature", file=path, reason=reason)


class UntrustedSigner(SealError):
    """The signature verifies, but not under the key the caller expects for its signer."""

    def __init__(self, name: str, got: str, expected: str) -> None:
        super().__init__("seal.untrusted_signer", name=name, got=got, expected=expected)


class HashMismatch(SealError):
    """The bundle is not the one that was signed (replaced, truncated or damaged)."""

    def __init__(self, path: str, actual: str, expected: str) -> None:
        super().__init__("seal.hash_mismatch", file=path, actual=actual, expected=expected)


class DecryptFailed(SealError):
    """age decryption failed; `kind` says how: header, no_match, hmac, payload or other.

    The kinds are those of the age test vectors (header failure, no match, HMAC failure,
    payload failure); `other` is a pyrage message this module does not know.
    """

    def __init__(self, kind: str, reason_key: str | None = None) -> None:
        self.kind = kind
        super().__init__("seal.decrypt_failed", reason=tr(reason_key or f"seal.decrypt.{kind}"))


class BadArchive(SealError):
    """The decrypted payload is not a tar of regular files with the manifest first."""

    def __init__(self, reason: str) -> None:
        super().__init__("seal.bad_archive", reason=reason)


class ManifestMismatch(SealError):
    """The manifest is not the signed one, or the files differ from what it lists."""

    def __init__(self, detail: str) -> None:
        super().__init__("seal.manifest_mismatch", detail=detail)


@dataclass(frozen=True)
class Archive:
    """A read and checked bundle archive: its manifest and every file it lists."""

    manifest: dict[str, Any]
    manifest_sha256: str
    files: dict[str, bytes]  # manifest.json excluded


@dataclass(frozen=True)
class AgeHeader:
    """What the strict header check learned: stanza types and where the payload starts."""

    stanza_types: tuple[str, ...]
    length: int  # bytes through the MAC line; the 16-byte nonce follows


@dataclass(frozen=True)
class SignedStatement:
    """A parsed signature file whose signature verifies under its own public key."""

    statement: dict[str, Any]
    text: str
    signature: bytes
    public_key: bytes

    @property
    def signer_name(self) -> str:
        return str(self.statement["signer"]["name"])

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


@dataclass(frozen=True)
class SealResult:
    bundle_path: Path
    signature_path: Path
    bundle: SealedBundle
    statement: dict[str, Any]
    manifest: dict[str, Any]


@dataclass(frozen=True)
class UnsealResult:
    out_dir: Path
    files: tuple[str, ...]  # manifest.json first, then the manifest's files
    statement: dict[str, Any]
    signer: str
    fingerprint: str
    trusted: bool  # the signer's key was checked against a key the caller knows


# --- names and the archive ----------------------------------------------------------------


def check_name(name: str) -> str:
    """`name` if it is a safe relative POSIX path inside the archive, else UnsafeName."""
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or any(part in ("", ".", "..") for part in parts)
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name)
        or (len(parts[0]) >= 2 and parts[0][1] == ":")
    ):
        raise UnsafeName(name)
    return name


def build_archive(files: Mapping[str, bytes]) -> tuple[bytes, dict[str, Any]]:
    """A deterministic tar of `files` with `manifest.json` first; returns (tar bytes, manifest).

    Raises UnsafeName for a bad name (or the reserved `manifest.json`). Pure.
    """
    for name in files:
        if check_name(name) == MANIFEST:
            raise UnsafeName(name)
    manifest = {
        "format": MANIFEST_FORMAT,
        "files": {
            name: {"sha256": sha256_hex(data), "size": len(data)}
            for name, data in sorted(files.items())
        },
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [(MANIFEST, canonical_bytes(manifest)), *sorted(files.items())]:
            tar.addfile(_tar_entry(name, len(data)), io.BytesIO(data))
    return buffer.getvalue(), manifest


def _tar_entry(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def read_archive(data: bytes) -> Archive:
    """Read a bundle's tar and check it against its own manifest.

    Raises BadArchive (not a tar, a non-file entry, manifest not first or duplicated
    entries), UnsafeName, or ManifestMismatch (a file missing, extra or with another hash or
    size). Pure: nothing is extracted to disk.
    """
    entries = _tar_entries(data)
    if not entries or entries[0][0] != MANIFEST:
        raise BadArchive(tr("seal.archive.manifest_not_first"))
    manifest_bytes = entries[0][1]
    manifest = _parse_manifest(manifest_bytes)
    files = dict(entries[1:])
    listed = manifest["files"]
    missing = sorted(set(listed) - set(files))
    extra = sorted(set(files) - set(listed))
    if missing:
        raise ManifestMismatch(tr("seal.manifest.missing", names="、".join(missing)))
    if extra:
        raise ManifestMismatch(tr("seal.manifest.extra", names="、".join(extra)))
    for name, data_ in files.items():
        if sha256_hex(data_) != listed[name]["sha256"] or len(data_) != listed[name]["size"]:
            raise ManifestMismatch(tr("seal.manifest.file", name=name))
    return Archive(manifest, sha256_hex(manifest_bytes), files)


def _tar_entries(data: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of every entry in order; BadArchive / UnsafeName on anything odd."""
    entries: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                name = check_name(member.name)
                if not member.isreg():
                    raise BadArchive(tr("seal.archive.not_a_file", name=name))
                if name in seen:
                    raise BadArchive(tr("seal.archive.duplicate", name=name))
                seen.add(name)
                handle = tar.extractfile(member)
                assert handle is not None  # a regular file always has one
                entries.append((name, handle.read()))
    except (tarfile.TarError, EOFError, UnicodeError) as e:
        raise BadArchive(str(e) or type(e).__name__) from None
    return entries


def _parse_manifest(data: bytes) -> dict[str, Any]:
    """The manifest, exactly in canonical form with the expected fields; else ManifestMismatch."""
    try:
        manifest = json.loads(data)
        files = manifest["files"]
        well_formed = (
            canonical_bytes(manifest) == data
            and set(manifest) == {"format", "files"}
            and manifest["format"] == MANIFEST_FORMAT
            and isinstance(files, dict)
            and all(
                isinstance(entry, dict)
                and set(entry) == {"sha256", "size"}
                and isinstance(entry["sha256"], str)
                and isinstance(entry["size"], int)
                for entry in files.values()
            )
        )
    except (ValueError, KeyError, TypeError):
        well_formed = False
    if not well_formed:
        raise ManifestMismatch(tr("seal.manifest.malformed"))
    for name in files:
        if check_name(name) == MANIFEST:
            raise UnsafeName(name)
    return manifest


# --- age ----------------------------------------------------------------------------------


def encrypt(
    archive: bytes, *, recipients: Sequence[str] | None = None, passphrase: str | None = None
) -> bytes:
    """age v1 encryption to X25519 recipients ("age1…") or to a passphrase (scrypt), not both.

    Raises InvalidInput for no or both modes, an empty passphrase or a malformed recipient.
    """
    keys = check_mode(recipients, passphrase)
    if passphrase is not None:
        return pyrage.passphrase.encrypt(archive, passphrase)
    return pyrage.encrypt(archive, keys)


def check_mode(recipients: Sequence[str] | None, passphrase: str | None) -> list[x25519.Recipient]:
    """The parsed recipients (empty in passphrase mode); InvalidInput unless exactly one
    mode is chosen, with a non-empty passphrase or well-formed recipients. Pure."""
    if (recipients is None) == (passphrase is None):
        raise InvalidInput("seal.one_mode")
    if passphrase is not None:
        if not passphrase:
            raise InvalidInput("seal.empty_passphrase")
        return []
    return [parse_recipient(r) for r in normalize_recipients(recipients or [])]


def normalize_recipients(recipients: Sequence[str]) -> list[str]:
    """Trimmed, de-duplicated, sorted recipients (the order the statement records)."""
    chosen = sorted({r.strip() for r in recipients})
    if not chosen:
        raise InvalidInput("seal.no_recipients")
    return chosen


def parse_recipient(recipient: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(recipient)
    except pyrage.RecipientError:
        raise InvalidInput("seal.bad_recipient", recipient=recipient[:80]) from None


def parse_identity(identity: str | x25519.Identity) -> x25519.Identity:
    if isinstance(identity, x25519.Identity):
        return identity
    try:
        return x25519.Identity.from_str(identity.strip())
    except pyrage.IdentityError:
        raise InvalidInput("seal.bad_identity") from None


def decrypt(
    ciphertext: bytes,
    *,
    identities: Sequence[str | x25519.Identity] | None = None,
    passphrase: str | None = None,
) -> bytes:
    """Decrypt an age v1 file with X25519 identities or a passphrase; all of it or nothing.

    The header is checked strictly first (`read_header`); failures raise DecryptFailed whose
    `kind` follows the age test vectors. No plaintext is released on a payload failure.
    """
    if (identities is None) == (passphrase is None):
        raise InvalidInput("seal.one_mode")
    header = read_header(ciphertext)
    by_passphrase = "scrypt" in header.stanza_types
    if passphrase is not None and not by_passphrase:
        raise DecryptFailed("no_match", "seal.decrypt.needs_identity")
    if identities is not None and by_passphrase:
        raise DecryptFailed("no_match", "seal.decrypt.needs_passphrase")
    try:
        if passphrase is not None:
            return pyrage.passphrase.decrypt(ciphertext, passphrase)
        keys = [parse_identity(i) for i in identities or []]
        if not keys:
            raise InvalidInput("seal.no_identity")
        return pyrage.decrypt(ciphertext, keys)
    except pyrage.DecryptError as e:
        raise DecryptFailed(decrypt_error_kind(e)) from None


def decrypt_error_kind(error: Exception) -> str:
    """The age test-vector kind of a pyrage DecryptError, read from its message."""
    message = str(error)
    for fragment, kind in _PYRAGE_KINDS:
        if fragment in message:
            return kind
    return "other"


def read_header(ciphertext: bytes) -> AgeHeader:
    """Parse an age v1 header by the spec's grammar, stricter than rage where rage is lax.

    rage accepts a stanza without its final short body line and any scrypt work factor its
    machine can afford; the spec (and the age test vectors) reject both, so this check runs
    before pyrage. Also refuses ASCII armor (bundles are binary) and a missing nonce.
    Raises DecryptFailed("header"). Pure.
    """
    if ciphertext.startswith(_ARMOR_BEGIN):
        raise DecryptFailed("header", "seal.decrypt.armored")
    line, pos = _line(ciphertext, 0)
    if line != _AGE_MAGIC:
        raise DecryptFailed("header")
    types: list[str] = []
    while True:
        line, pos = _line(ciphertext, pos)
        if line is None:
            raise DecryptFailed("header")
        if line.startswith(b"-> "):
            types.append(_stanza_type(line[3:].split(b" ")))
            pos = _skip_body(ciphertext, pos)
        elif line.startswith(b"--- ") and _is_b64(line[4:], _MAC_B64_CHARS):
            break
        else:
            raise DecryptFailed("header")
    if not types or len(ciphertext) - pos < _NONCE_BYTES:
        raise DecryptFailed("header")
    return AgeHeader(tuple(types), pos)


def _line(data: bytes, pos: int) -> tuple[bytes | None, int]:
    end = data.find(b"\n", pos)
    if end < 0:
        return None, pos
    return data[pos:end], end + 1


def _stanza_type(args: list[bytes]) -> str:
    if not all(args) or any(b < 0x21 or b > 0x7E for arg in args for b in arg):
        raise DecryptFailed("header")
    if (
        args[0] == b"scrypt"
        and len(args) == 3
        and args[2].isdigit()
        and not args[2].startswith(b"0")
        and int(args[2]) > MAX_SCRYPT_WORK_FACTOR
    ):
        raise DecryptFailed("header", "seal.decrypt.work_factor")
    return args[0].decode("ascii")


def _skip_body(data: bytes, pos: int) -> int:
    """Past a stanza body: full 64-column base64 lines ended by one shorter (maybe empty)."""
    while True:
        line, pos = _line(data, pos)
        if line is None or len(line) > _BODY_COLUMNS or not _is_b64(line):
            raise DecryptFailed("header")
        if len(line) < _BODY_COLUMNS:
            return pos


def _is_b64(text: bytes, length: int | None = None) -> bool:
    """Canonical unpadded base64 (the only encoding age allows)."""
    if length is not None and len(text) != length:
        return False
    if any(c not in _B64_ALPHABET for c in text) or len(text) % 4 == 1:
        return False
    raw = base64.b64decode(text + b"=" * (-len(text) % 4))
    return base64.b64encode(raw).rstrip(b"=") == text


# --- the signed statement ------------------------------------------------------------------


def bundle_statement(
    *,
    batch: Mapping[str, Any],
    bundle: str,
    ciphertext_sha256: str,
    manifest_sha256: str,
    papers: Sequence[Mapping[str, Any]],
    recipients: Sequence[str] | None,
    signer: Signer,
    signed_at: datetime,
) -> dict[str, Any]:
    """The statement the extracting person signs (see the module docstring). Pure."""
    return {
        "type": STATEMENT_TYPE,
        "batch": dict(batch),
        "bundle": bundle,
        "ciphertext_sha256": ciphertext_sha256,
        "manifest_sha256": manifest_sha256,
        "papers": [dict(p) for p in papers],
        "recipients": normalize_recipients(recipients)
        if recipients is not None
        else PASSPHRASE_MODE,
        "signer": {"name": signer.name, "fingerprint": signer.fingerprint},
        "signed_at": signed_at.astimezone(UTC).replace(microsecond=0).isoformat(),
    }


def signature_document(statement: Mapping[str, Any], signer: Signer) -> bytes:
    """The `.sig.json` bytes: the canonical statement text, its signature and the key."""
    text = canonical_bytes(statement)
    document = {
        "statement": text.decode("utf-8"),
        "signature": base64.b64encode(signer.sign(text)).decode("ascii"),
        "public_key": base64.b64encode(signer.public_key_raw).decode("ascii"),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def read_signature(data: bytes, *, source: str) -> SignedStatement:
    """Parse a `.sig.json` and verify its signature under its own key; BadSignature if not.

    The statement must be canonical JSON of type `qbank-sealed-bundle/v1` naming the key's
    fingerprint as its signer's. Pure.
    """
    try:
        document = json.loads(data)
        text = document["statement"]
        signature = base64.b64decode(document["signature"], validate=True)
        public_key = base64.b64decode(document["public_key"], validate=True)
        statement = json.loads(text)
        well_formed = (
            isinstance(document, dict)
            and set(document) == {"statement", "signature", "public_key"}
            and isinstance(statement, dict)
            and canonical_bytes(statement) == text.encode("utf-8")
            and statement.get("type") == STATEMENT_TYPE
            and _statement_fields_ok(statement)
        )
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        well_formed = False
    if not well_formed:
        raise BadSignature(source, tr("seal.signature.malformed"))
    if not verify(public_key, text.encode("utf-8"), signature):
        raise BadSignature(source, tr("seal.signature.invalid"))
    if statement["signer"]["fingerprint"] != fingerprint(public_key):
        raise BadSignature(source, tr("seal.signature.other_key"))
    return SignedStatement(statement, text, signature, public_key)


def _statement_fields_ok(statement: dict[str, Any]) -> bool:
    signer = statement.get("signer")
    recipients = statement.get("recipients")
    return (
        isinstance(signer, dict)
        and isinstance(signer.get("name"), str)
        and isinstance(signer.get("fingerprint"), str)
        and all(
            isinstance(statement.get(k), str)
            for k in ("bundle", "ciphertext_sha256", "manifest_sha256", "signed_at")
        )
        and isinstance(statement.get("batch"), dict)
        and isinstance(statement.get("papers"), list)
        and (recipients == PASSPHRASE_MODE or isinstance(recipients, list))
    )


def expected_signer_keys(session: Session, signed: SignedStatement) -> dict[str, bytes] | None:
    """The key this database registers for the statement's signer, if it knows them.

    When the database holds the statement's batch (same id and code), the signer must be a
    designated 提取 person of it (InvalidInput otherwise). None when the database has no such
    person or no key for them: the caller then has no key to pin. Reads the DB.
    """
    batch_info = signed.statement["batch"]
    batch_id = batch_info.get("id")
    batch = session.get(Batch, batch_id) if isinstance(batch_id, int) else None
    if batch is not None and batch.code == batch_info.get("code"):
        _require_extractor(session, batch, signed.signer_name)
    person = session.scalar(
        select(Person).where(Person.name == signed.signer_name, Person.deleted_at.is_(None))
    )
    if person is None or not person.public_key:
        return None
    return {person.name: public_key_raw(person)}


# --- the database side: paper data and sealing a batch ------------------------------------


def paper_data(session: Session, batch: Batch, identities: Identities = None) -> dict[str, bytes]:
    """`papers/<code>-<kind>.json` for every paper of the batch: its composition in full.

    Theory: the layout and, per position, the item and its version's canonical content;
    practical: the layout and the drawn set version's canonical content. Each `content`
    re-encodes to the bytes whose SHA-256 is the version id. A sealed paper is read with
    `identities` (qbank.confidential). Raises InvalidInput when the batch has no papers.
    Reads the DB.
    """
    papers = list(
        session.scalars(select(Paper).where(Paper.batch_id == batch.id).order_by(Paper.id))
    )
    if not papers:
        raise InvalidInput("seal.no_papers", batch=batch.code)
    out: dict[str, bytes] = {}
    for paper in papers:
        clear = clear_composition(session, paper, identities)
        record: dict[str, Any] = {
            "format": PAPER_FORMAT,
            "batch": batch.code,
            "paper": {"id": paper.id, "code": paper.code, "kind": paper.kind},
            "blueprint": {
                k: paper.blueprint[k] for k in ("name", "sha256") if k in paper.blueprint
            },
            "layout": clear.layout,
        }
        if paper.kind == "practical":
            record["set"] = _set_content(session, clear.set_version_id)
        else:
            record["items"] = _item_contents(session, clear.items)
        out[check_name(f"{PAPERS_DIR}/{paper.code}-{paper.kind}.json")] = canonical_bytes(record)
    return out


def _item_contents(session: Session, rows: Sequence[tuple[int, int, int]]) -> list[dict[str, Any]]:
    version_ids = [v for _i, v, _p in rows]
    found = {
        v.id: (v, guid)
        for v, guid in session.execute(
            select(ItemVersion, Item.guid)
            .join(Item, Item.id == ItemVersion.item_id)
            .where(ItemVersion.id.in_(version_ids))
        )
    }
    return [
        {
            "position": position,
            "item_id": item_id,
            "guid": found[version_id][1],
            "version": found[version_id][0].sha256,
            "content": json.loads(found[version_id][0].canonical),
        }
        for item_id, version_id, position in sorted(rows, key=lambda r: r[2])
    ]


def _set_content(session: Session, version_id: int | None) -> dict[str, Any]:
    row = session.execute(
        select(PracticalSetVersion, PracticalSet.code)
        .join(PracticalSet, PracticalSet.id == PracticalSetVersion.set_id)
        .where(PracticalSetVersion.id == version_id)
    ).one()
    version, code = row
    return {"code": code, "version": version.sha256, "content": json.loads(version.canonical)}


def bundle_name(batch: Batch) -> str:
    return check_name(f"{batch.code}{BUNDLE_SUFFIX}")


def seal_batch(
    session: Session,
    batch: Batch,
    files: Mapping[str, bytes],
    *,
    recipients: Sequence[str] | None,
    passphrase: str | None,
    signer_person: Person,
    signer: Signer,
    out_dir: Path,
    actor: str,
    identities: Identities = None,
) -> SealResult:
    """Bundle the batch's paper data and `files` (under `documents/`), encrypt, sign, store.

    The signer must pass `check_signer` and the mode `check_mode` (both checked first, so a
    caller may also run them before preparing `files`).
    Writes `<batch-code>.tar.age` and its `.sig.json` into `out_dir` (created if missing),
    never replacing a file: both appear or neither does.
    Side effects: writes the two files, a SealedBundle row and an audit event.
    """
    check_signer(session, batch, signer_person, signer)
    check_mode(recipients, passphrase)
    contents = paper_data(session, batch, identities)
    contents.update({check_name(f"{DOCUMENTS_DIR}/{name}"): data for name, data in files.items()})
    archive, manifest = build_archive(contents)
    ciphertext = encrypt(archive, recipients=recipients, passphrase=passphrase)
    name = bundle_name(batch)
    statement = bundle_statement(
        batch=_batch_info(session, batch),
        bundle=name,
        ciphertext_sha256=sha256_hex(ciphertext),
        manifest_sha256=sha256_hex(canonical_bytes(manifest)),
        papers=[
            {"id": p.id, "code": p.code, "kind": p.kind}
            for p in session.scalars(
                select(Paper).where(Paper.batch_id == batch.id).order_by(Paper.id)
            )
        ],
        recipients=recipients,
        signer=signer,
        signed_at=datetime.now(UTC),
    )
    signature = signature_document(statement, signer)
    row = SealedBundle(
        batch_id=batch.id,
        sha256=statement["ciphertext_sha256"],
        manifest_sha256=statement["manifest_sha256"],
        file_name=name,
        signer_id=signer_person.id,
        payload=canonical_bytes(statement).decode("utf-8"),
        signature=json.loads(signature)["signature"],
    )
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="seal_bundle",
        entity="batch",
        entity_id=batch.id,
        bank_id=batch.bank_id,
        bundle=name,
        sha256=statement["ciphertext_sha256"],
        manifest_sha256=statement["manifest_sha256"],
        recipients=statement["recipients"],
        signer=signer_person.name,
    )
    session.flush()  # a database error surfaces before any file is written
    bundle_path = Path(out_dir) / name
    signature_path = Path(out_dir) / (name + SIGNATURE_SUFFIX)
    _write_new_files([(bundle_path, ciphertext), (signature_path, signature)])
    return SealResult(bundle_path, signature_path, row, statement, manifest)


def check_signer(session: Session, batch: Batch, person: Person, signer: Signer) -> None:
    """InvalidInput unless `person` is a designated 提取 person of the batch and `signer` is
    their registered key. Reads the DB."""
    _require_extractor(session, batch, person.name)
    registered = public_key_raw(person)
    if registered != signer.public_key_raw:
        raise InvalidInput(
            "seal.key_mismatch",
            name=person.name,
            fingerprint=signer.fingerprint,
            registered=fingerprint(registered),
        )


def _batch_info(session: Session, batch: Batch) -> dict[str, Any]:
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None
    return {
        "id": batch.id,
        "code": batch.code,
        "occupation": bank.occupation.code,
        "level": bank.level,
    }


def _require_extractor(session: Session, batch: Batch, name: str) -> None:
    extractors = list(
        session.scalars(
            select(Person.name)
            .join(BatchStaff, BatchStaff.person_id == Person.id)
            .where(BatchStaff.batch_id == batch.id, BatchStaff.step == EXTRACT_STEP)
            .order_by(BatchStaff.id)
        )
    )
    if name not in extractors:
        raise InvalidInput(
            "seal.not_extractor", name=name, batch=batch.code, names="、".join(extractors)
        )


# --- unsealing ----------------------------------------------------------------------------


def unseal(
    bundle_path: Path,
    signature_path: Path,
    *,
    identities: Sequence[str | x25519.Identity] | None = None,
    passphrase: str | None = None,
    trusted_keys: Mapping[str, bytes] | None = None,
    out_dir: Path,
) -> UnsealResult:
    """Check and open a bundle into `out_dir` (absent or empty), in the order of the
    module docstring's checklist; every failure is a SealError and nothing is written.

    `trusted_keys` (signer name → raw public key) pins the signer's key; None means the
    caller knows none, and the result says `trusted=False`.
    Side effects: reads both files; creates `out_dir` with the files (dirs 0700, files 0600).
    """
    bundle_path, signature_path, out_dir = Path(bundle_path), Path(signature_path), Path(out_dir)
    _check_out_dir(out_dir)
    signed = read_signature(_read(signature_path), source=str(signature_path))
    if trusted_keys is not None:
        expected = trusted_keys.get(signed.signer_name)
        if expected != signed.public_key:
            raise UntrustedSigner(
                signed.signer_name,
                signed.fingerprint,
                fingerprint(expected) if expected else "-",
            )
    ciphertext = _read(bundle_path)
    actual = sha256_hex(ciphertext)
    if actual != signed.statement["ciphertext_sha256"]:
        raise HashMismatch(str(bundle_path), actual, signed.statement["ciphertext_sha256"])
    archive = read_archive(decrypt(ciphertext, identities=identities, passphrase=passphrase))
    if archive.manifest_sha256 != signed.statement["manifest_sha256"]:
        raise ManifestMismatch(tr("seal.manifest.not_signed"))
    contents = {MANIFEST: canonical_bytes(archive.manifest), **dict(sorted(archive.files.items()))}
    _write_new_dir(out_dir, contents)
    return UnsealResult(
        out_dir,
        tuple(contents),
        signed.statement,
        signed.signer_name,
        signed.fingerprint,
        trusted_keys is not None,
    )


def read_signature_file(path: Path) -> SignedStatement:
    """`read_signature` of a file (BadSignature if unreadable). Side effects: reads it."""
    return read_signature(_read(Path(path)), source=str(path))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise InvalidInput("seal.unreadable", file=str(path)) from None


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput("seal.out_not_empty", path=str(out_dir))


def _write_new_dir(out_dir: Path, contents: Mapping[str, bytes]) -> None:
    """Write `contents` into a hidden sibling directory, then rename it to `out_dir`."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.unseal-{secrets.token_hex(6)}"
    staging.mkdir(mode=0o700)
    try:
        for name, data in contents.items():
            target = staging / name
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        _check_out_dir(out_dir)
        os.rename(staging, out_dir)  # replaces an empty directory atomically on POSIX
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_new_files(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write each file under a temporary name, then link them all into place; an existing
    file is never replaced (InvalidInput), and a failure removes whatever was placed."""
    for path, _ in files:
        if path.exists():
            raise InvalidInput("seal.out_exists", path=str(path))
    files[0][0].parent.mkdir(parents=True, exist_ok=True)
    temps: list[Path] = []
    placed: list[Path] = []
    try:
        for path, data in files:
            temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
            temps.append(temp)
            with open(temp, "xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for (path, _), temp in zip(files, temps, strict=True):
            try:
                os.link(temp, path)  # fails rather than replace an existing file
            except FileExistsError:
                raise InvalidInput("seal.out_exists", path=str(path)) from None
            placed.append(path)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
