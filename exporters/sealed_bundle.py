"""Write a sealed bundle (提取封存包): two files side by side; `importers.sealed_bundle` reads them.

- `<name>.tar.age` — an age v1 file (X25519 recipients, or a passphrase alone) holding a
  deterministic tar: `manifest.json` first (canonical JSON: format, and for every other file
  its SHA-256 and size), then the files sorted by name, every entry mtime 0, uid/gid 0, no
  owner names, mode 0644, PAX format. The same files give the same tar bytes, and the stock
  tools open it: `age -d -i key.txt B.tar.age | tar x`.
- `<name>.tar.age.sig.json` — `{"statement": <canonical JSON text>, "signature": <b64
  Ed25519 over the statement's UTF-8>, "public_key": <b64 raw key>}`. What the statement
  says, and who signs it, is `qbank.seal`'s.

Files are written so that they appear whole or not at all and never replace another file.
Nothing here touches the database.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519

from exporters import directory
from importers.sealed_bundle import MANIFEST, MANIFEST_FORMAT, NameIndex, UnsafeName, check_name
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.errors import InvalidInput

BUNDLE_SUFFIX = ".tar.age"
SIGNATURE_SUFFIX = ".sig.json"


# --- the archive --------------------------------------------------------------------------


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
    """An X25519 recipient from its `age1…` text; InvalidInput if malformed."""
    try:
        return x25519.Recipient.from_str(recipient)
    except pyrage.RecipientError:
        raise InvalidInput("seal.bad_recipient", recipient=recipient[:80]) from None


# --- the signature document ---------------------------------------------------------------


def signature_document(statement_text: str, signature: bytes, public_key: bytes) -> bytes:
    """The `.sig.json` bytes: the statement's canonical JSON text, its signature and the key."""
    document = {
        "statement": statement_text,
        "signature": base64.b64encode(signature).decode("ascii"),
        "public_key": base64.b64encode(public_key).decode("ascii"),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- writing files ------------------------------------------------------------------------


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


def check_out_dir(out_dir: Path) -> None:
    """InvalidInput unless `out_dir` is absent or an empty directory, and not a symbolic link
    (the files would land wherever it points, and the link be replaced). Reads the directory."""
    if out_dir.is_symlink():
        raise InvalidInput("seal.out_symlink", path=str(out_dir))
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput("seal.out_not_empty", path=str(out_dir))


def write_directory(out_dir: Path, contents: Mapping[str, bytes]) -> None:
    """Write `contents` (safe relative names → bytes) as the new directory `out_dir`, which
    must be absent or empty; it appears whole or not at all (`exporters.directory`).
    Side effects: creates the directory (0700) and files (0600).
    """
    check_out_dir(out_dir)
    directory.write_directory(out_dir, {check_name(name): data for name, data in contents.items()})
