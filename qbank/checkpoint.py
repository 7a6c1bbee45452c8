"""Signed checkpoints of a log in the C2SP formats (tlog-checkpoint body, signed-note envelope).

A checkpoint states "the log of `origin` had `size` entries and this Merkle root" and is
signed, so whoever kept one can later prove the log was rewritten. Text form::

    qbank.custody/6-31-01-03-4/20261212-01      origin: which log
    5                                            tree size, decimal
    <base64 of the 32-byte RFC 6962 root>
                                                 blank line: end of the body
    — <key name> <base64(key id || Ed25519 signature over the body)>

The key id is the first 4 bytes of SHA-256(key name || "\\n" || 0x01 || public key), the
signed-note rule for Ed25519 keys. Parsing is strict: a note is accepted only in exactly the
form `format_note` writes (one signature line, canonical base64, no extension lines), so any
changed byte is either a parse error or a failed signature, never an equal-looking note.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from qbank.keys import Signer
from qbank.keys import verify as verify_signature

__all__ = [
    "Checkpoint",
    "MalformedNote",
    "format_note",
    "key_id",
    "key_name",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
    "strict_b64decode",
    "verify_note",
]

SIGNATURE_PREFIX = "\u2014 "  # em dash and a space start every signature line
_ED25519_TYPE = b"\x01"
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


class MalformedNote(ValueError):
    """The text is not a checkpoint note in the exact form this module writes."""


@dataclass(frozen=True)
class Checkpoint:
    """A parsed note: the body's three fields and its one signature line."""

    origin: str
    size: int
    root: bytes
    key_name: str
    key_id: bytes
    signature: bytes

    @property
    def body(self) -> str:
        return checkpoint_body(self.origin, self.size, self.root)


def key_name(name: str) -> str:
    """A person's name as a signed-note key name: spaces and '+' (not allowed there) become '_'."""
    return "".join("_" if ch.isspace() or ch == "+" else ch for ch in name)


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte signed-note key id of an Ed25519 key."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519_TYPE + public_key).digest()
    return digest[:4]


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"


def format_note(checkpoint: Checkpoint) -> str:
    """The note text of `checkpoint`: body, blank line, one signature line."""
    blob = base64.b64encode(checkpoint.key_id + checkpoint.signature).decode("ascii")
    return f"{checkpoint.body}\n{SIGNATURE_PREFIX}{checkpoint.key_name} {blob}\n"


def sign_note(text: str, *, name: str, signer: Signer) -> str:
    """A signed note: `text` (ending in a newline), a blank line, `signer`'s line as `name`."""
    if not text.endswith("\n") or key_name(name) != name:
        raise ValueError("a note's text ends with a newline; a key name has no spaces or '+'")
    signature = signer.sign(text.encode("utf-8"))
    blob = base64.b64encode(key_id(name, signer.public_key_raw) + signature).decode("ascii")
    return f"{text}\n{SIGNATURE_PREFIX}{name} {blob}\n"


def sign_checkpoint(origin: str, size: int, root: bytes, *, name: str, signer: Signer) -> str:
    """A checkpoint note for (`origin`, `size`, `root`) signed by `signer` as `name`."""
    _check_origin(origin)
    return sign_note(checkpoint_body(origin, size, root), name=key_name(name), signer=signer)


def strict_b64decode(text: str) -> bytes:
    """Standard base64 that re-encodes to exactly `text` (no spare bits, no odd padding)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise MalformedNote("bad base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedNote("non-canonical base64")
    return raw


def parse_note(text: str) -> Checkpoint:
    """Parse a note written by `format_note`; anything else raises MalformedNote."""
    lines = text.split("\n")
    if len(lines) != 6 or lines[3] != "" or lines[5] != "":
        raise MalformedNote("a note has three body lines, a blank line and one signature")
    origin, size_text, root_text, _, signature_line, _ = lines
    _check_origin(origin)
    if not _SIZE.fullmatch(size_text):
        raise MalformedNote("tree size is not a decimal number")
    root = strict_b64decode(root_text)
    if len(root) != 32:
        raise MalformedNote("root hash is not 32 bytes")
    if not signature_line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote("signature line does not start with an em dash")
    parts = signature_line[len(SIGNATURE_PREFIX) :].split(" ")
    if len(parts) != 2 or not parts[0] or key_name(parts[0]) != parts[0]:
        raise MalformedNote("signature line is not '— <name> <signature>'")
    blob = strict_b64decode(parts[1])
    if len(blob) != 4 + 64:
        raise MalformedNote("an Ed25519 signature line holds 4 + 64 bytes")
    checkpoint = Checkpoint(origin, int(size_text), root, parts[0], blob[:4], blob[4:])
    if format_note(checkpoint) != text:
        raise MalformedNote("note is not in canonical form")
    return checkpoint


def verify_note(checkpoint: Checkpoint, *, name: str, public_key: bytes) -> bool:
    """True when the note is signed by the key `public_key` under `name`'s key name."""
    expected = key_name(name)
    return (
        checkpoint.key_name == expected
        and checkpoint.key_id == key_id(expected, public_key)
        and verify_signature(public_key, checkpoint.body.encode("utf-8"), checkpoint.signature)
    )


def _check_origin(origin: str) -> None:
    if not origin or "\n" in origin or origin != origin.strip() or "\u2014" in origin:
        raise MalformedNote("origin must be one non-empty line")
