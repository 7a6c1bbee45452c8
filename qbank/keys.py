"""Personal Ed25519 signing keys, kept encrypted under a passphrase in a keystore directory.

Experts, reviewers, exam staff, regulators and the institution sign what they vouch for. Their
private keys live outside the database, in the keystore directory (`QBANK_KEYS`, else
`platformdirs.user_data_dir("qbank")/keys`, created 0700), so a copy of the database never
carries a private key; the database holds public keys only.

Key file format (`qbank-key-v1`): one UTF-8 JSON file per key, mode 0600, written once with
O_EXCL so an existing key is never overwritten::

    {
      "format": "qbank-key-v1",
      "name": "李工",                          display name, NFC, as given
      "algorithm": "ed25519",
      "created_at": "2025-05-01T08:00:00+00:00",
      "public_key": "<base64 of the raw 32-byte public key>",
      "fingerprint": "<SHA-256 hex of the raw public key>",
      "kdf": {"name": "scrypt", "salt": "<base64, 16 bytes>", "n": 131072, "r": 8, "p": 1},
      "private_key_pem": "-----BEGIN ENCRYPTED PRIVATE KEY-----\\n..."
    }

The private key is PKCS#8 PEM encrypted by `cryptography`'s `BestAvailableEncryption` (PBES2,
AES-256-CBC). That scheme stretches its password with only 2048 PBKDF2 rounds, too few against
offline guessing of a human passphrase, so its password is not the passphrase itself but the
hex of scrypt(NFC(passphrase) as UTF-8, salt, n, r, p, 32 bytes). To open a key by hand, derive
that hex and give it to OpenSSL (`openssl pkey -passin file:<file holding the hex>`).

The file name is `<ascii slug>-<24 hex of SHA-256 of the name>.json` (just the hex when the name
has no ASCII letters or digits, e.g. 李工), so any name, in any script, on any file system, maps
to one safe file name, and names differing only in case never collide.

Age identities (X25519, for sealed papers and bundles) live in the same keystore as
`<same stem>.age-identity.age`: an age identity file ("# created: …", "# public key: age1…",
"AGE-SECRET-KEY-1…") encrypted with the person's passphrase in the age v1 passphrase (scrypt)
format, mode 0600, never overwritten. The stock tool opens it directly
(`age -d -i <file>` asks for the passphrase); the database holds only the recipient ("age1…").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from qbank.errors import InvalidInput, NotFound, QbankError

if TYPE_CHECKING:
    from pyrage import x25519

KEYS_ENV = "QBANK_KEYS"
FILE_FORMAT = "qbank-key-v1"
ALGORITHM = "ed25519"
EXPORT_PREFIX = "qbank-ed25519"
MAX_NAME_LENGTH = 100

SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
# A key file is only as trustworthy as its directory; cap what it may ask the KDF to spend.
_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
_MAX_SCRYPT_P = 16

AGE_IDENTITY_SUFFIX = ".age-identity.age"
AGE_SECRET_PREFIX = "AGE-SECRET-KEY-1"
_AGE_HEADERS = (b"age-encryption.org/v1\n", b"-----BEGIN AGE ENCRYPTED FILE-----")
_MAX_IDENTITY_FILE = 1024 * 1024

_PEM_HEADER = "-----BEGIN ENCRYPTED PRIVATE KEY-----"
_REJECTED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class KeyExists(QbankError):
    """A key of that name is already in the keystore; it is left untouched."""

    def __init__(self, name: str) -> None:
        super().__init__("keys.exists", name=name)


class KeyNotFound(NotFound):
    """No key of that name in the keystore."""

    def __init__(self, name: str, keystore: Path) -> None:
        super().__init__("keys.not_found", name=name, keystore=str(keystore))


class WrongPassphrase(QbankError):
    """The passphrase does not open the key (or its encrypted part was damaged: the two look alike)."""

    def __init__(self, name: str) -> None:
        super().__init__("keys.wrong_passphrase", name=name)


class AgeIdentityExists(QbankError):
    """The person already has an age identity in the keystore; it is left untouched."""

    def __init__(self, name: str) -> None:
        super().__init__("keys.age_exists", name=name)


class AgeIdentityNotFound(NotFound):
    """No age identity of that name in the keystore."""

    def __init__(self, name: str, keystore: Path) -> None:
        super().__init__("keys.age_not_found", name=name, keystore=str(keystore))


class KeyFileCorrupt(QbankError):
    """A key file is unreadable or inconsistent (edited, truncated, or its public key swapped)."""

    def __init__(self, path: Path) -> None:
        super().__init__("keys.corrupt", path=str(path))


@dataclass(frozen=True)
class PublicKeyInfo:
    """What may be shown or stored about a key: never anything secret."""

    name: str
    public_key_raw: bytes
    created_at: datetime

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key_raw)

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key_raw).decode("ascii")

    def export_text(self) -> str:
        """One line a regulator can paste: `qbank-ed25519 <base64> <name>`."""
        return f"{EXPORT_PREFIX} {self.public_key_b64} {self.name}"


class Signer:
    """An opened private key. It signs; it never hands out the key, and its repr shows none."""

    __slots__ = ("_key", "info")

    def __init__(self, info: PublicKeyInfo, key: Ed25519PrivateKey) -> None:
        self.info = info
        self._key = key

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def public_key_raw(self) -> bytes:
        return self.info.public_key_raw

    @property
    def fingerprint(self) -> str:
        return self.info.fingerprint

    def sign(self, data: bytes) -> bytes:
        """A 64-byte Ed25519 signature of `data`."""
        return self._key.sign(data)

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, fingerprint={self.fingerprint})"


@dataclass(frozen=True)
class _Kdf:
    salt: bytes
    n: int
    r: int
    p: int

    @classmethod
    def fresh(cls) -> _Kdf:
        return cls(secrets.token_bytes(SALT_BYTES), SCRYPT_N, SCRYPT_R, SCRYPT_P)

    def pkcs8_password(self, passphrase: bytes) -> bytes:
        derived = Scrypt(salt=self.salt, length=32, n=self.n, r=self.r, p=self.p).derive(passphrase)
        return derived.hex().encode("ascii")

    def to_json(self) -> dict[str, Any]:
        salt = base64.b64encode(self.salt).decode("ascii")
        return {"name": "scrypt", "salt": salt, "n": self.n, "r": self.r, "p": self.p}


@dataclass(frozen=True)
class _KeyFile:
    info: PublicKeyInfo
    kdf: _Kdf
    pem: str


def fingerprint(public_key_raw: bytes) -> str:
    """SHA-256 hex of the raw public key: how people compare keys by eye or over the phone."""
    return hashlib.sha256(public_key_raw).hexdigest()


def keystore_dir(keystore: Path | None = None) -> Path:
    """The keystore in use: the argument, else `QBANK_KEYS`, else the per-user data dir."""
    if keystore is not None:
        return Path(keystore)
    env = os.environ.get(KEYS_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("qbank")) / "keys"


def generate(name: str, passphrase: str, *, keystore: Path | None = None) -> PublicKeyInfo:
    """Make a new key pair, store the private half encrypted, return the public half."""
    return generate_signer(name, passphrase, keystore=keystore).info


def generate_signer(name: str, passphrase: str, *, keystore: Path | None = None) -> Signer:
    """`generate`, returning the opened key: no second scrypt run to load what was just made."""
    name = _check_name(name)
    secret = _passphrase_bytes(passphrase)
    directory = _ensure_dir(keystore_dir(keystore))
    path = directory / _file_name(name)
    if path.exists():
        raise KeyExists(name)
    key = Ed25519PrivateKey.generate()
    kdf = _Kdf.fresh()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(kdf.pkcs8_password(secret)),
    ).decode("ascii")
    info = PublicKeyInfo(
        name=name,
        public_key_raw=key.public_key().public_bytes_raw(),
        created_at=datetime.now(UTC).replace(microsecond=0),
    )
    document = {
        "format": FILE_FORMAT,
        "name": info.name,
        "algorithm": ALGORITHM,
        "created_at": info.created_at.isoformat(),
        "public_key": info.public_key_b64,
        "fingerprint": info.fingerprint,
        "kdf": kdf.to_json(),
        "private_key_pem": pem,
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    _write_new(path, text.encode("utf-8"), KeyExists(name))
    return Signer(info, key)


def load_signer(name: str, passphrase: str, *, keystore: Path | None = None) -> Signer:
    """Open a stored key with its passphrase; raises KeyNotFound or WrongPassphrase."""
    name = _check_name(name)
    path = _existing_path(name, keystore)
    record = _read(path)
    try:
        key = serialization.load_pem_private_key(
            record.pem.encode("ascii"), record.kdf.pkcs8_password(_passphrase_bytes(passphrase))
        )
    except ValueError:
        raise WrongPassphrase(name) from None
    except (TypeError, UnsupportedAlgorithm):
        raise KeyFileCorrupt(path) from None
    if (
        not isinstance(key, Ed25519PrivateKey)
        or key.public_key().public_bytes_raw() != record.info.public_key_raw
    ):
        raise KeyFileCorrupt(path)
    return Signer(record.info, key)


def list_keys(keystore: Path | None = None) -> list[PublicKeyInfo]:
    """Every key in the keystore, by name; an absent keystore simply has none."""
    directory = keystore_dir(keystore)
    if not directory.is_dir():
        return []
    infos = [
        _read(path).info
        for path in directory.glob("*.json")
        if path.is_file() and not path.name.startswith(".")
    ]
    return sorted(infos, key=lambda info: (info.name, info.created_at))


def export_public(name: str, *, keystore: Path | None = None) -> str:
    """The pasteable public line for a stored key (see `PublicKeyInfo.export_text`)."""
    name = _check_name(name)
    return _read(_existing_path(name, keystore)).info.export_text()


def parse_public(text: str) -> tuple[str, bytes]:
    """Read back an `export_public` line as (name, raw public key); InvalidInput if malformed."""
    line = text.strip()
    parts = line.split(maxsplit=2)
    if "\n" in line or len(parts) != 3 or parts[0] != EXPORT_PREFIX:
        raise InvalidInput("keys.bad_public")
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        raise InvalidInput("keys.bad_public") from None
    if len(raw) != 32:
        raise InvalidInput("keys.bad_public")
    return _check_name(parts[2]), raw


def verify(public_key_raw: bytes, data: bytes, signature: bytes) -> bool:
    """True only for a valid Ed25519 signature; any bad input is just False, never an error."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(signature, data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def generate_age_identity(name: str, passphrase: str, *, keystore: Path | None = None) -> str:
    """Make a new age X25519 identity for `name`, store it encrypted, return its recipient.

    Side effects: creates `<stem>.age-identity.age` (mode 0600) in the keystore; refuses with
    AgeIdentityExists when the person already has one (an identity that sealed papers may
    depend on is never replaced).
    """
    import pyrage  # loaded by the commands that use age, not by every command
    from pyrage import x25519

    name = _check_name(name)
    secret = _passphrase_text(passphrase)
    path = _ensure_dir(keystore_dir(keystore)) / _age_file_name(name)
    if path.exists():
        raise AgeIdentityExists(name)
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    text = (
        f"# qbank age identity of {name}\n"
        f"# created: {created}\n"
        f"# public key: {recipient}\n"
        f"{identity}\n"
    )
    ciphertext = pyrage.passphrase.encrypt(text.encode("utf-8"), secret)
    _write_new(path, ciphertext, AgeIdentityExists(name))
    return recipient


def load_age_identity(
    name: str, passphrase: str, *, keystore: Path | None = None
) -> x25519.Identity:
    """Open the person's stored age identity; raises AgeIdentityNotFound or WrongPassphrase."""
    import pyrage

    name = _check_name(name)
    directory = keystore_dir(keystore)
    path = directory / _age_file_name(name)
    if not path.is_file():
        raise AgeIdentityNotFound(name, directory)
    try:
        plain = pyrage.passphrase.decrypt(path.read_bytes(), _passphrase_text(passphrase))
    except pyrage.DecryptError:
        raise WrongPassphrase(name) from None
    try:
        identities = _parse_identities(plain, path)
    except InvalidInput:
        raise KeyFileCorrupt(path) from None
    if len(identities) != 1:
        raise KeyFileCorrupt(path)
    return identities[0]


def read_identity_file(
    path: Path, passphrase: str | Callable[[], str] | None = None
) -> list[x25519.Identity]:
    """The age X25519 identities in an identity file, as the stock `age -i` reads them.

    A plain file has one "AGE-SECRET-KEY-1…" per line; blank lines and "#" comments are
    skipped. A passphrase-encrypted identity file (age v1, binary or armored) is opened with
    `passphrase` — a string, or a callable asked only when the file turns out encrypted.
    Errors name the file and line, never the line's content (it may be a secret key).
    Side effects: reads the file.
    """
    import pyrage

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        raise InvalidInput("keys.identity_unreadable", path=str(path)) from None
    if len(data) > _MAX_IDENTITY_FILE:
        raise InvalidInput("keys.bad_identity_file", path=str(path))
    if data.lstrip().startswith(_AGE_HEADERS):
        if passphrase is None:
            raise InvalidInput("keys.identity_encrypted", path=str(path))
        secret = passphrase() if callable(passphrase) else passphrase
        try:
            data = pyrage.passphrase.decrypt(data, _passphrase_text(secret))
        except pyrage.DecryptError:
            raise InvalidInput("keys.identity_wrong_passphrase", path=str(path)) from None
    return _parse_identities(data, path)


def _parse_identities(data: bytes, path: Path) -> list[x25519.Identity]:
    import pyrage
    from pyrage import x25519

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("keys.bad_identity_file", path=str(path)) from None
    identities = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith(AGE_SECRET_PREFIX):
            raise InvalidInput("keys.bad_identity_line", path=str(path), line=number)
        try:
            identities.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise InvalidInput("keys.bad_identity_line", path=str(path), line=number) from None
    if not identities:
        raise InvalidInput("keys.no_identity", path=str(path))
    return identities


def write_identity_file(identity: x25519.Identity, path: Path, *, comment: str) -> None:
    """Write `identity` as a plain age identity file (for `age -d -i`), mode 0600.

    Side effects: creates `path`; refuses to replace an existing file (InvalidInput).
    """
    path = Path(path)
    comment = " ".join(comment.split())
    text = f"# {comment}\n# public key: {identity.to_public()}\n{identity}\n"
    try:
        _write_new(path, text.encode("utf-8"), InvalidInput("keys.out_exists", path=str(path)))
    except OSError:
        raise InvalidInput("keys.cannot_write", path=str(path)) from None


def _check_name(name: str) -> str:
    """NFC, trimmed, non-empty, one line of visible text: it ends the exported public line."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if (
        not cleaned
        or len(cleaned) > MAX_NAME_LENGTH
        or any(unicodedata.category(ch) in _REJECTED_CATEGORIES for ch in cleaned)
    ):
        shown = "".join(
            ch if unicodedata.category(ch) not in _REJECTED_CATEGORIES else f"\\u{ord(ch):04x}"
            for ch in name[: MAX_NAME_LENGTH + 1]
        )
        raise InvalidInput("keys.bad_name", name=shown, max=MAX_NAME_LENGTH)
    return cleaned


def _passphrase_text(passphrase: str) -> str:
    if not passphrase:
        raise InvalidInput("keys.empty_passphrase")
    return unicodedata.normalize("NFC", passphrase)


def _passphrase_bytes(passphrase: str) -> bytes:
    return _passphrase_text(passphrase).encode("utf-8")


def _file_name(name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]
    slug = "-".join(re.findall(r"[a-z0-9]+", name.lower()))[:40].strip("-")
    return f"{slug}-{digest}.json" if slug else f"{digest}.json"


def _age_file_name(name: str) -> str:
    return _file_name(name).removesuffix(".json") + AGE_IDENTITY_SUFFIX


def _ensure_dir(directory: Path) -> Path:
    """Create the keystore 0700 (whatever the umask); an existing directory is left as it is."""
    try:
        directory.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        if not directory.is_dir():
            raise InvalidInput("keys.bad_keystore", path=str(directory)) from None
    else:
        os.chmod(directory, 0o700)
    return directory


def _write_new(path: Path, data: bytes, exists: QbankError) -> None:
    """Create `path` 0600, refusing to replace anything (O_EXCL also settles a race)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise exists from None
    try:
        os.chmod(path, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        path.unlink(missing_ok=True)
        raise


def _existing_path(name: str, keystore: Path | None) -> Path:
    directory = keystore_dir(keystore)
    path = directory / _file_name(name)
    if not path.is_file():
        raise KeyNotFound(name, directory)
    return path


def _read(path: Path) -> _KeyFile:
    """Parse and cross-check a key file; anything off is KeyFileCorrupt naming the file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        record = _parse(document)
    except (ValueError, KeyError, TypeError):
        raise KeyFileCorrupt(path) from None
    if path.name != _file_name(record.info.name):
        raise KeyFileCorrupt(path)
    return record


def _parse(document: Any) -> _KeyFile:
    """Raises ValueError/KeyError/TypeError on any deviation from `qbank-key-v1`."""
    if document["format"] != FILE_FORMAT or document["algorithm"] != ALGORITHM:
        raise ValueError("unsupported key file format")
    name = document["name"]
    if not isinstance(name, str) or _check_name_or_none(name) != name:
        raise ValueError("bad name")
    raw = base64.b64decode(document["public_key"], validate=True)
    if len(raw) != 32 or document["fingerprint"] != fingerprint(raw):
        raise ValueError("public key and fingerprint disagree")
    created_at = datetime.fromisoformat(document["created_at"])
    if created_at.tzinfo is None:
        raise ValueError("created_at has no time zone")
    kdf_doc = document["kdf"]
    if kdf_doc["name"] != "scrypt":
        raise ValueError("unsupported kdf")
    kdf = _Kdf(
        salt=base64.b64decode(kdf_doc["salt"], validate=True),
        n=_int(kdf_doc["n"]),
        r=_int(kdf_doc["r"]),
        p=_int(kdf_doc["p"]),
    )
    if (
        len(kdf.salt) < SALT_BYTES
        or kdf.n < 2
        or kdf.n & (kdf.n - 1)
        or kdf.r < 1
        or not 1 <= kdf.p <= _MAX_SCRYPT_P
        or 128 * kdf.n * kdf.r > _MAX_SCRYPT_MEMORY
    ):
        raise ValueError("kdf parameters out of range")
    pem = document["private_key_pem"]
    if not isinstance(pem, str) or not pem.startswith(_PEM_HEADER) or not pem.isascii():
        raise ValueError("private key is not an encrypted PKCS#8 PEM")
    return _KeyFile(PublicKeyInfo(name, raw, created_at), kdf, pem)


def _check_name_or_none(name: str) -> str | None:
    try:
        return _check_name(name)
    except InvalidInput:
        return None


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value
