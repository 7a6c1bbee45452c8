"""Password hashes for people who log in to `qbank serve` beyond loopback.

scrypt (hashlib, memory-hard) with a random 16-byte salt; the stored form names its
parameters, so they can be raised later without breaking existing hashes:
`scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>`. Verification is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from qbank.errors import InvalidInput

LOG2_N = 15
R = 8
P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 10
MAX_LENGTH = 1024
"""A password longer than this is refused before hashing (no work for an attacker's megabytes)."""


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r + (1 << 20),
        dklen=HASH_BYTES,
    )


def check_strength(password: str) -> None:
    """Refuse a password too short or too long to be set (the message says the bounds)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput("password.length", min=MIN_LENGTH, max=MAX_LENGTH)


def hash_password(password: str) -> str:
    check_strength(password)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, LOG2_N, R, P)
    b64 = base64.b64encode
    return f"scrypt${LOG2_N}${R}${P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; False for no hash, a malformed one, or a password
    over the length bound (never an exception an attacker could tell apart)."""
    if not stored or len(password) > MAX_LENGTH:
        return False
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        log2_n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return False
    if not (10 <= log2_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4):
        return False
    return hmac.compare_digest(_scrypt(password, salt, log2_n, r, p), expected)
