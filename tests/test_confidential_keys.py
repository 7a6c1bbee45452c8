"""Age identities in the keystore and identity files, with real pyrage and the stock age tool."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pyrage import x25519

from qbank.errors import InvalidInput
from qbank.keys import (
    AgeIdentityExists,
    AgeIdentityNotFound,
    WrongPassphrase,
    generate_age_identity,
    list_keys,
    load_age_identity,
    read_identity_file,
    write_identity_file,
)

PASS = "correct horse 电池 staple"
AGE = shutil.which("age")
AGE_KEYGEN = shutil.which("age-keygen")


def age_passphrase_file(plaintext: bytes, passphrase: str, log_n: int = 10) -> bytes:
    """An age v1 file encrypted to `passphrase` at a small scrypt work factor (age spec:
    scrypt stanza, header HMAC, one STREAM chunk). For the wrong-passphrase checks: each
    attempt costs a whole scrypt run, seconds at the work factor rage picks."""
    file_key, salt, nonce = os.urandom(16), os.urandom(16), os.urandom(16)
    wrap = Scrypt(
        salt=b"age-encryption.org/v1/scrypt" + salt, length=32, n=2**log_n, r=8, p=1
    ).derive(passphrase.encode("utf-8"))
    body = ChaCha20Poly1305(wrap).encrypt(bytes(12), file_key, None)
    header = f"age-encryption.org/v1\n-> scrypt {_b64(salt)} {log_n}\n{_b64(body)}\n---".encode()
    mac = hmac.new(
        HKDF(SHA256(), 32, salt=b"", info=b"header").derive(file_key), header, hashlib.sha256
    ).digest()
    payload_key = HKDF(SHA256(), 32, salt=nonce, info=b"payload").derive(file_key)
    chunk = ChaCha20Poly1305(payload_key).encrypt(bytes(11) + b"\x01", plaintext, None)
    return header + f" {_b64(mac)}\n".encode() + nonce + chunk


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def test_identity_is_kept_encrypted_0600_opened_by_passphrase_and_never_replaced(
    tmp_path: Path,
) -> None:
    keystore = tmp_path / "keys"
    recipient = generate_age_identity("王老师", PASS, keystore=keystore)
    assert recipient.startswith("age1")
    (path,) = keystore.iterdir()
    assert path.name.endswith(".age-identity.age")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = path.read_bytes()
    assert stored.startswith(b"age-encryption.org/v1\n-> scrypt ")
    assert b"AGE-SECRET-KEY" not in stored

    identity = load_age_identity("王老师", PASS, keystore=keystore)
    assert str(identity.to_public()) == recipient
    with pytest.raises(AgeIdentityNotFound):
        load_age_identity("赵老师", PASS, keystore=keystore)
    with pytest.raises(AgeIdentityExists):
        generate_age_identity("王老师", PASS, keystore=keystore)
    assert path.read_bytes() == stored and list_keys(keystore) == []

    # the keystore file is an ordinary passphrase-encrypted identity file
    with pytest.raises(InvalidInput) as err:
        read_identity_file(path)
    assert err.value.key == "keys.identity_encrypted"
    asked: list[str] = []
    (read,) = read_identity_file(path, lambda: asked.append("?") or PASS)
    assert str(read.to_public()) == recipient and asked == ["?"]

    # a wrong passphrase, on the same identity stored at a small work factor
    cheap = tmp_path / "cheap" / path.name
    cheap.parent.mkdir()
    cheap.write_bytes(age_passphrase_file(f"{identity}\n".encode(), PASS))
    assert str(load_age_identity("王老师", PASS, keystore=cheap.parent).to_public()) == recipient
    with pytest.raises(WrongPassphrase):
        load_age_identity("王老师", "not it", keystore=cheap.parent)
    with pytest.raises(InvalidInput) as err:
        read_identity_file(cheap, "not it")
    assert err.value.key == "keys.identity_wrong_passphrase"


def test_plain_identity_files_as_age_reads_them(tmp_path: Path) -> None:
    first, second = x25519.Identity.generate(), x25519.Identity.generate()
    path = tmp_path / "ids.txt"
    path.write_bytes(
        f"\ufeff# created: 2026-11-22T08:00:00Z\r\n# public key: {first.to_public()}\r\n"
        f"{first}\r\n\r\n   {second}  \n".encode()
    )
    asked: list[str] = []
    identities = read_identity_file(path, lambda: asked.append("?") or PASS)
    assert [str(i) for i in identities] == [str(first), str(second)] and asked == []

    secret = str(first)
    path.write_text(f"# ok\n{secret[:-1]}x\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        read_identity_file(path)
    assert err.value.key == "keys.bad_identity_line" and err.value.params["line"] == 2
    assert secret[20:] not in str(err.value)
    path.write_text("ssh-ed25519 AAAA\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        read_identity_file(path)
    assert err.value.key == "keys.bad_identity_line"
    path.write_text("# only comments\n\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        read_identity_file(path)
    assert err.value.key == "keys.no_identity"
    with pytest.raises(InvalidInput) as err:
        read_identity_file(tmp_path / "missing.txt")
    assert err.value.key == "keys.identity_unreadable"


def test_written_identity_file_is_0600_never_overwritten(tmp_path: Path) -> None:
    identity = x25519.Identity.generate()
    path = tmp_path / "id.txt"
    write_identity_file(identity, path, comment="qbank age identity of 王老师\nforged line")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# qbank age identity of 王老师 forged line"
    assert [str(i) for i in read_identity_file(path)] == [str(identity)]
    with pytest.raises(InvalidInput) as err:
        write_identity_file(x25519.Identity.generate(), path, comment="other")
    assert err.value.key == "keys.out_exists" and path.read_text(encoding="utf-8") == text
    with pytest.raises(InvalidInput) as err:
        write_identity_file(identity, tmp_path / "no" / "such" / "dir.txt", comment="x")
    assert err.value.key == "keys.cannot_write"


@pytest.mark.skipif(
    AGE is None or AGE_KEYGEN is None, reason="the age and age-keygen tools are not installed"
)
def test_stock_age_and_qbank_read_each_others_identity_files(tmp_path: Path) -> None:
    exported = tmp_path / "exported.txt"
    identity = x25519.Identity.generate()
    write_identity_file(identity, exported, comment="exported")
    sealed = tmp_path / "data.age"
    sealed.write_bytes(pyrage.encrypt("试卷".encode(), [identity.to_public()]))
    out = subprocess.run(
        [str(AGE), "-d", "-i", str(exported), str(sealed)], capture_output=True, check=True
    )
    assert out.stdout.decode() == "试卷"

    made = tmp_path / "keygen.txt"
    subprocess.run([str(AGE_KEYGEN), "-o", str(made)], capture_output=True, check=True)
    (read,) = read_identity_file(made)
    public = next(
        line.split(": ", 1)[1]
        for line in made.read_text(encoding="utf-8").splitlines()
        if line.startswith("# public key: ")
    )
    assert str(read.to_public()) == public
