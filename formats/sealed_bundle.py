"""The sealed bundle (提取封存包): two files side by side, written and read here.

- `<name>.tar.age` — an age v1 file (X25519 recipients, or a passphrase alone) holding a
  deterministic tar: `manifest.json` first (canonical JSON: format, and for every other file
  its SHA-256 and size), then the files sorted by name, every entry mtime 0, uid/gid 0, no
  owner names, mode 0644, PAX format. The same files give the same tar bytes, and the stock
  tools open it: `age -d -i key.txt B.tar.age | tar x`.
- `<name>.tar.age.sig.json` — `{"statement": <canonical JSON text>, "signature": <b64
  Ed25519 over the statement's UTF-8>, "public_key": <b64 raw key>}`. What the statement
  says, who signs it and whether the signature verifies is the engine's (`qbank.seal`).

Writing (`build_archive`, `encrypt`, `signature_document`, `write_bundle`): files appear
whole or not at all and never replace another file.

Reading, each check failing with its own error and nothing written:
- the signature document is a JSON object with exactly those three fields, the statement
  canonical JSON and the key and signature base64 (`parse_signature_document`);
- the age v1 header is well formed by the spec's grammar, stricter than rage (`read_header`),
  and an identity or the passphrase opens the file (`decrypt`); failures carry the kind the
  age test vectors use;
- the tar holds regular files only, `manifest.json` first, each name safe, not too long
  and once, no name both a file and a directory (`a` and `a/b`) and no two names that are one
  file on a case-insensitive disk, within the reading limits (`formats.limits`: entries,
  bytes per entry and in all), exactly the files the manifest lists with their SHA-256 and
  size, and the manifest the expected (signed) one (`read_archive`, `check_name`,
  `NameIndex`).

Nothing here touches the database.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import secrets
import tarfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519

from formats import limits as reading_limits
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.errors import BadSignature, InvalidInput, SealError
from qbank.i18n import tr

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "qbank-bundle/v1"
BUNDLE_SUFFIX = ".tar.age"
SIGNATURE_SUFFIX = ".sig.json"
STREAM_CHUNK = 64 * 1024
"""age STREAM encrypts the payload in chunks of this many bytes, each with a 16-byte tag."""
MAX_SCRYPT_WORK_FACTOR = 22
MAX_NAME_PART_BYTES = 255
"""UTF-8 bytes in one part of a file name: the limit of ext4, NTFS, APFS and most others."""
MAX_NAME_BYTES = 1024
"""UTF-8 bytes in a whole file name, well under PATH_MAX once joined to an output directory."""
_REGULAR_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)
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


class UnsafeName(SealError):
    """A file name that could escape the output directory or means different files on
    different systems (absolute, `..`, backslash, control characters, drive letters)."""

    def __init__(self, name: str) -> None:
        super().__init__("seal.unsafe_name", name=name.encode("unicode_escape").decode("ascii"))


class NameTooLong(SealError):
    """A file name longer than `MAX_NAME_BYTES`, or with a part longer than
    `MAX_NAME_PART_BYTES`: no disk could hold it as it is."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(
            "seal.name_too_long",
            name=_shown(name),
            size=size,
            part=MAX_NAME_PART_BYTES,
            total=MAX_NAME_BYTES,
        )


class NameConflict(SealError):
    """Two names that cannot both be written: a file and a directory of the same name (`a`
    and `a/b`), or names one case-insensitive disk would take for one file (`A` and `a`)."""

    def __init__(self, kind: str, name: str, other: str) -> None:
        self.kind = kind  # "file_and_directory" or "same_file"
        super().__init__(f"seal.name_conflict.{kind}", name=_shown(name), other=_shown(other))


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
class SignatureDocument:
    """A well-formed signature document, not yet verified: the statement as signed (its
    canonical JSON text) and parsed, the signature and the raw Ed25519 public key."""

    text: str
    statement: dict[str, Any]
    signature: bytes
    public_key: bytes


def read_bundle_file(path: Path) -> bytes:
    """The bytes of a bundle or signature file; InvalidInput if unreadable, FileTooLarge past
    the `file_size` reading limit (checked before reading, and while reading). Reads the file."""
    limits = reading_limits.current()
    try:
        reading_limits.check_file_size(path, limits, str(path))
        with Path(path).open("rb") as handle:
            return reading_limits.read_capped(
                handle, limits.file_size, file=str(path), limit="file_size"
            )
    except OSError:
        raise InvalidInput("seal.unreadable", file=str(path)) from None


# --- the signature document ---------------------------------------------------------------


def parse_signature_document(data: bytes, *, source: str) -> SignatureDocument:
    """Parse a `.sig.json`: exactly `statement` (canonical JSON text of an object),
    `signature` and `public_key` (base64). BadSignature (naming `source`) if not. Pure."""
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
        )
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        well_formed = False
    if not well_formed:
        raise BadSignature(source, tr("seal.signature.malformed"))
    return SignatureDocument(text, statement, signature, public_key)


# --- names and the archive ----------------------------------------------------------------


def check_name(name: str) -> str:
    """`name` if it is a safe relative POSIX path inside the archive, else UnsafeName (or
    NameTooLong past `MAX_NAME_BYTES`, or a part past `MAX_NAME_PART_BYTES`)."""
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or any(part in ("", ".", "..") for part in parts)
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF for ch in name)
        or (len(parts[0]) >= 2 and parts[0][1] == ":")
    ):
        raise UnsafeName(name)
    size = len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise NameTooLong(name, size)
    for part in parts:
        if len(part.encode("utf-8")) > MAX_NAME_PART_BYTES:
            raise NameTooLong(name, len(part.encode("utf-8")))
    return name


class NameIndex:
    """The names of one archive so far; `add` refuses a name that cannot sit beside them.

    Names are compared as a case-insensitive disk (Windows, macOS) would: Unicode NFC, then
    case-folded. Exact repeats are the caller's to report.
    """

    def __init__(self) -> None:
        self._files: dict[str, str] = {}  # folded name -> name
        self._directories: dict[str, str] = {}  # folded directory -> a name inside it

    def add(self, name: str) -> None:
        """Record `name`, or raise NameConflict naming the name it collides with."""
        key = unicodedata.normalize("NFC", name).casefold()
        if key in self._files:
            raise NameConflict("same_file", name, self._files[key])
        if key in self._directories:
            raise NameConflict("file_and_directory", name, self._directories[key])
        parts = key.split("/")
        for depth in range(1, len(parts)):
            directory = "/".join(parts[:depth])
            if directory in self._files:
                raise NameConflict("file_and_directory", self._files[directory], name)
            self._directories.setdefault(directory, name)
        self._files[key] = name


def _shown(name: str) -> str:
    """A name as an error message shows it: escaped, and cut when long."""
    text = name.encode("unicode_escape").decode("ascii") if not name.isprintable() else name
    return text if len(text) <= 80 else f"{text[:60]}…（{len(text)}）"


def read_archive(
    data: bytes, *, source: str = "bundle", manifest_sha256: str | None = None
) -> Archive:
    """Read a bundle's tar and check it against its own manifest, and the manifest against
    `manifest_sha256` (the signed one) when given.

    Raises BadArchive (not a tar, a non-file entry, manifest not first or duplicated
    entries), UnsafeName, NameTooLong, NameConflict, LimitExceeded/FileTooLarge (more
    entries or bytes than `formats.limits.current()` allows; `source` names the bundle),
    or ManifestMismatch (a file missing, extra or with another hash or size, or the manifest
    not the expected one). Pure: nothing is extracted to disk.
    """
    entries = _tar_entries(data, source)
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
    if manifest_sha256 is not None and sha256_hex(manifest_bytes) != manifest_sha256:
        raise ManifestMismatch(tr("seal.manifest.not_signed"))
    return Archive(manifest, sha256_hex(manifest_bytes), files)


def _tar_entries(data: bytes, source: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of every entry in order; BadArchive / UnsafeName / NameConflict /
    LimitExceeded on anything odd, each checked before the entry's bytes are read."""
    limits = reading_limits.current()
    entries: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    names = NameIndex()
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for count, member in enumerate(tar, start=1):
                limits.check("members", count, source, at_least=True)
                name = check_name(member.name)
                # plain files only: links, devices, directories, and sparse or multi-volume
                # entries (whose stated size is not what the archive holds) are refused
                if member.type not in _REGULAR_TYPES:
                    raise BadArchive(tr("seal.archive.not_a_file", name=name))
                if name in seen:
                    raise BadArchive(tr("seal.archive.duplicate", name=name))
                seen.add(name)
                names.add(name)
                limits.check("member_size", member.size, source, name)
                total += member.size
                limits.check("unzipped_size", total, source, at_least=True)
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
    checked: dict[str, Any] = manifest
    return checked


# --- age ----------------------------------------------------------------------------------


def parse_identity(identity: str | x25519.Identity) -> x25519.Identity:
    """An X25519 identity from its `AGE-SECRET-KEY-1…` text; InvalidInput if malformed."""
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
    plaintext: bytes
    try:
        if passphrase is not None:
            plaintext = pyrage.passphrase.decrypt(ciphertext, passphrase)
            return plaintext
        keys = [parse_identity(i) for i in identities or []]
        if not keys:
            raise InvalidInput("seal.no_identity")
        plaintext = pyrage.decrypt(ciphertext, keys)
        return plaintext
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


# --- writing: the archive -----------------------------------------------------------------


def build_archive(files: Mapping[str, bytes]) -> tuple[bytes, dict[str, Any]]:
    """A deterministic tar of `files` with `manifest.json` first; returns (tar bytes, manifest).

    Raises UnsafeName for a bad name (or the reserved `manifest.json`), NameTooLong, or
    NameConflict for names that could not all be written out (`a` and `a/b`, `A` and `a`).
    Pure.
    """
    names = NameIndex()
    names.add(MANIFEST)
    for name in files:
        if check_name(name) == MANIFEST:
            raise UnsafeName(name)
        names.add(name)
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


# --- writing: age -------------------------------------------------------------------------


def encrypt(
    archive: bytes, *, recipients: Sequence[str] | None = None, passphrase: str | None = None
) -> bytes:
    """age v1 encryption to X25519 recipients ("age1…") or to a passphrase (scrypt), not both.

    Raises InvalidInput for no or both modes, an empty passphrase or a malformed recipient.
    """
    keys = check_mode(recipients, passphrase)
    ciphertext: bytes = (
        pyrage.passphrase.encrypt(archive, passphrase)
        if passphrase is not None
        else pyrage.encrypt(archive, keys)
    )
    return ciphertext


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
    """An X25519 recipient from its `age1…` text; InvalidInput if malformed."""
    try:
        return x25519.Recipient.from_str(recipient)
    except pyrage.RecipientError:
        raise InvalidInput("seal.bad_recipient", recipient=recipient[:80]) from None


# --- writing: the signature document ------------------------------------------------------


def signature_document(statement_text: str, signature: bytes, public_key: bytes) -> bytes:
    """The `.sig.json` bytes: the statement's canonical JSON text, its signature and the key;
    what `parse_signature_document` reads back. Pure."""
    document = {
        "statement": statement_text,
        "signature": base64.b64encode(signature).decode("ascii"),
        "public_key": base64.b64encode(public_key).decode("ascii"),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- writing: the files ---------------------------------------------------------------------


def write_bundle(
    out_dir: Path, name: str, ciphertext: bytes, signature: bytes
) -> tuple[Path, Path]:
    """Write `name` (the age file) and `name` + `.sig.json` into `out_dir` (created if
    missing); returns their paths. Both appear or neither does, and neither replaces an
    existing file (InvalidInput). Side effects: writes the two files."""
    bundle_path = Path(out_dir) / check_name(name)
    signature_path = Path(out_dir) / (name + SIGNATURE_SUFFIX)
    _write_new_files([(bundle_path, ciphertext), (signature_path, signature)])
    return bundle_path, signature_path


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


def bundle_file_name(code: str) -> str:
    """The bundle's file name for a batch code, `<code>.tar.age`; UnsafeName if it cannot be
    one. Pure."""
    return check_name(f"{code}{BUNDLE_SUFFIX}")


def signature_file(bundle: Path) -> Path:
    """Where a bundle's signature document sits: beside it, `<bundle>.sig.json`."""
    return bundle.with_name(bundle.name + SIGNATURE_SUFFIX)


def check_out_dir(out_dir: Path) -> None:
    """Where an opened bundle may be written: InvalidInput unless `out_dir` is absent or an
    empty directory, and not a symbolic link (the files would land wherever it points, and
    the link be replaced). Reads the directory."""
    if out_dir.is_symlink():
        raise InvalidInput("seal.out_symlink", path=str(out_dir))
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput("seal.out_not_empty", path=str(out_dir))
