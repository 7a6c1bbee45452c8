"""The keystore: real Ed25519 keys in real files under tmp_path (QBANK_KEYS points there)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import click
import platformdirs
import pytest
from click.testing import CliRunner
from conftest import PRODUCT_SCRYPT_N
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from hypothesis import given, settings
from hypothesis import strategies as st

from cli._passphrase import passphrase_from_env_or_prompt
from qbank import keys
from qbank.errors import InvalidInput, NotFound, QbankError
from qbank.i18n import set_language
from qbank.keys import (
    KeyExists,
    KeyFileCorrupt,
    KeyNotFound,
    PublicKeyInfo,
    Signer,
    WrongPassphrase,
    export_public,
    generate,
    keystore_dir,
    list_keys,
    load_signer,
    parse_public,
    verify,
)

PASS = "correct horse 电池 staple"


@pytest.fixture(autouse=True, scope="module")
def _product_key_derivation() -> Iterator[None]:
    """The keystore's own tests make keys with the product's scrypt work factor (other
    modules' keys are cheaper: conftest.TEST_SCRYPT_N)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "SCRYPT_N", PRODUCT_SCRYPT_N)
        yield


@pytest.fixture
def keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A keystore that does not exist yet; generate must create it."""
    path = tmp_path / "keys"
    monkeypatch.setenv("QBANK_KEYS", str(path))
    monkeypatch.delenv("QBANK_PASSPHRASE", raising=False)
    return path


@pytest.fixture(scope="module")
def shared_signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    """One opened key for the tests that only sign and verify (key derivation is slow)."""
    store = tmp_path_factory.mktemp("shared-keys")
    generate("审核员", PASS, keystore=store)
    return load_signer("审核员", PASS, keystore=store)


def only_file(keystore: Path) -> Path:
    files = list(keystore.iterdir())
    assert len(files) == 1
    return files[0]


def open_by_documented_recipe(key_file: Path, passphrase: str) -> Ed25519PrivateKey:
    """What the module docstring tells a person to do by hand: scrypt, hex, PKCS#8."""
    document = json.loads(key_file.read_text(encoding="utf-8"))
    kdf = document["kdf"]
    password = (
        Scrypt(salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"])
        .derive(passphrase.encode("utf-8"))
        .hex()
        .encode("ascii")
    )
    key = serialization.load_pem_private_key(document["private_key_pem"].encode(), password)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def test_generate_load_sign_verify_round_trip(keystore: Path) -> None:
    info = generate("Alice", PASS)
    assert info.name == "Alice"
    assert len(info.public_key_raw) == 32
    assert info.fingerprint == hashlib.sha256(info.public_key_raw).hexdigest()
    assert base64.b64decode(info.public_key_b64) == info.public_key_raw
    assert only_file(keystore).suffix == ".json"

    signer = load_signer("Alice", PASS)
    assert signer.public_key_raw == info.public_key_raw
    assert signer.fingerprint == info.fingerprint
    data = "试题版本 3f2a…".encode()
    signature = signer.sign(data)
    assert len(signature) == 64
    assert verify(info.public_key_raw, data, signature) is True


def test_wrong_passphrase_is_typed_with_chinese_message(keystore: Path) -> None:
    generate("Alice", PASS)
    with pytest.raises(WrongPassphrase) as caught:
        load_signer("Alice", PASS + "x")
    assert isinstance(caught.value, QbankError)
    assert str(caught.value) == "口令不正确，无法打开密钥“Alice”（也可能是密钥文件已损坏）"
    set_language("en")
    assert str(caught.value) == "wrong passphrase for key 'Alice' (or its key file is damaged)"


def test_key_file_is_encrypted_and_holds_no_secret(keystore: Path) -> None:
    info = generate("Alice", PASS)
    key_file = only_file(keystore)
    content = key_file.read_bytes()
    document = json.loads(content)
    assert document["kdf"]["n"] == PRODUCT_SCRYPT_N == 2**17
    assert (document["kdf"]["r"], document["kdf"]["p"]) == (8, 1)

    private_raw = open_by_documented_recipe(key_file, PASS).private_bytes_raw()
    assert len(private_raw) == 32
    for form in (
        private_raw,
        private_raw.hex().encode(),
        base64.b64encode(private_raw),
        base64.b64encode(private_raw).rstrip(b"="),
    ):
        assert form not in content
    assert PASS.encode() not in content
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in content
    assert b"BEGIN PRIVATE KEY" not in content
    assert document["format"] == "qbank-key-v1"
    assert document["name"] == "Alice"
    assert document["public_key"] == info.public_key_b64
    assert document["fingerprint"] == info.fingerprint
    # The passphrase alone does not open the PEM: it is stretched by scrypt first.
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(
            document["private_key_pem"].encode(), PASS.encode("utf-8")
        )


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_keystore_is_0700_and_key_files_0600_whatever_the_umask(keystore: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        generate("Alice", PASS)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(keystore.stat().st_mode) == 0o700
    assert stat.S_IMODE(only_file(keystore).stat().st_mode) == 0o600


def test_duplicate_name_is_refused_and_the_key_kept(keystore: Path) -> None:
    generate("Alice", PASS)
    before = only_file(keystore).read_bytes()
    for same in ("Alice", "  Alice ", "Alice\n"):
        with pytest.raises(KeyExists) as caught:
            generate(same, "another passphrase")
        assert "Alice" in str(caught.value)
    assert only_file(keystore).read_bytes() == before


def test_chinese_and_accented_names(keystore: Path) -> None:
    li = generate("李工", PASS)
    jose = generate(unicodedata.normalize("NFD", "José Müller"), PASS)
    assert jose.name == unicodedata.normalize("NFC", "José Müller")
    for path in keystore.iterdir():
        assert path.name.isascii()
        assert re.fullmatch(r"[a-z0-9-]*[0-9a-f]{24}\.json", path.name)
    stored_names = {
        json.loads(path.read_text(encoding="utf-8"))["name"] for path in keystore.iterdir()
    }
    assert stored_names == {"李工", "José Müller"}
    assert [info.name for info in list_keys()] == sorted(["李工", "José Müller"])
    assert export_public("李工").endswith(" 李工")
    assert load_signer("李工", PASS).public_key_raw == li.public_key_raw
    # The composed spelling finds the key stored under the decomposed one.
    assert load_signer("José Müller", PASS).public_key_raw == jose.public_key_raw


def test_names_differing_only_in_case_are_different_keys(keystore: Path) -> None:
    generate("alice", PASS)
    generate("ALICE", PASS)
    assert len({path.name.lower() for path in keystore.iterdir()}) == 2
    assert [info.name for info in list_keys()] == ["ALICE", "alice"]


def test_verify_rejects_tampering(shared_signer: Signer) -> None:
    data = b"paper 2025-06 sealed"
    public = shared_signer.public_key_raw
    signature = shared_signer.sign(data)
    assert verify(public, data, signature)

    def flip(blob: bytes, index: int) -> bytes:
        return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]

    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert not verify(public, data, flip(signature, 0))
    assert not verify(public, data, flip(signature, 63))
    assert not verify(public, flip(data, 5), signature)
    assert not verify(public, data + b"!", signature)
    assert not verify(flip(public, 0), data, signature)
    assert not verify(other, data, signature)
    assert not verify(public, data, signature[:-1])
    assert not verify(public, data, signature + b"\0")
    assert not verify(public, data, b"")
    assert not verify(public[:31], data, signature)
    assert not verify(public + b"\0", data, signature)
    assert not verify(b"", data, signature)
    assert not verify(bytes(32), data, signature)
    assert not verify(b"\xff" * 32, data, signature)
    assert not verify(public.hex(), data, signature)  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(key=st.binary(max_size=40), data=st.binary(max_size=64), signature=st.binary(max_size=70))
def test_verify_never_raises(
    shared_signer: Signer, key: bytes, data: bytes, signature: bytes
) -> None:
    assert verify(key, data, signature) is False
    assert verify(shared_signer.public_key_raw, data, signature) is False


def test_list_and_export(keystore: Path) -> None:
    assert list_keys() == []
    assert not keystore.exists()
    bob = generate("Bob", PASS)
    institution = generate("某某职业技能鉴定所", PASS)
    listed = list_keys()
    assert listed == sorted([bob, institution], key=lambda info: info.name)
    assert all(isinstance(info, PublicKeyInfo) for info in listed)

    line = export_public("Bob")
    assert line == f"qbank-ed25519 {base64.b64encode(bob.public_key_raw).decode()} Bob"
    assert "\n" not in line
    assert parse_public(line + "\n") == ("Bob", bob.public_key_raw)
    assert parse_public(export_public("某某职业技能鉴定所")) == (
        "某某职业技能鉴定所",
        institution.public_key_raw,
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "qbank-ed25519",
        "qbank-ed25519 AAAA",
        "ssh-ed25519 " + base64.b64encode(bytes(32)).decode() + " x",
        "qbank-ed25519 " + base64.b64encode(bytes(31)).decode() + " x",
        "qbank-ed25519 not*base64 x",
        "qbank-ed25519 " + base64.b64encode(bytes(32)).decode() + " x\nsecond line",
    ],
)
def test_parse_public_rejects_malformed_lines(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_public(text)


def test_missing_key_is_typed(keystore: Path) -> None:
    with pytest.raises(KeyNotFound) as caught:
        load_signer("nobody", PASS)
    assert isinstance(caught.value, NotFound)
    assert "nobody" in str(caught.value)
    with pytest.raises(KeyNotFound):
        export_public("nobody")


@pytest.mark.parametrize("name", ["", "   ", "a\nb", "tab\there", "zero\u200bwidth", "x" * 101])
def test_bad_names_are_refused_before_anything_is_written(keystore: Path, name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        generate(name, PASS)
    assert caught.value.key == "keys.bad_name"
    assert not keystore.exists()


def test_empty_passphrase_is_refused(keystore: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        generate("Alice", "")
    assert caught.value.key == "keys.empty_passphrase"
    assert str(caught.value) == "口令不能为空"
    assert not keystore.exists()


def test_altered_key_files_are_reported_not_trusted(keystore: Path) -> None:
    generate("Alice", PASS)
    key_file = only_file(keystore)
    original = json.loads(key_file.read_text(encoding="utf-8"))

    def rewrite(**changes: object) -> None:
        key_file.write_text(json.dumps({**original, **changes}), encoding="utf-8")

    # A swapped public key with a matching fingerprint is caught once the key is opened.
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    rewrite(
        public_key=base64.b64encode(stranger).decode(),
        fingerprint=hashlib.sha256(stranger).hexdigest(),
    )
    with pytest.raises(KeyFileCorrupt):
        load_signer("Alice", PASS)

    for changes in (
        {"fingerprint": "0" * 64},
        {"kdf": {**original["kdf"], "n": 2**30}},
        {"kdf": {**original["kdf"], "n": 1000}},
        {"private_key_pem": "-----BEGIN PRIVATE KEY-----\n"},
        {"name": "Mallory"},
        {"format": "something-else"},
        {"created_at": "yesterday"},
    ):
        rewrite(**changes)
        with pytest.raises(KeyFileCorrupt) as caught:
            list_keys()
        assert str(key_file) in str(caught.value)
    key_file.write_text("{not json", encoding="utf-8")
    with pytest.raises(KeyFileCorrupt):
        load_signer("Alice", PASS)


def test_keystore_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QBANK_KEYS", raising=False)
    assert keystore_dir() == Path(platformdirs.user_data_dir("qbank")) / "keys"
    monkeypatch.setenv("QBANK_KEYS", str(tmp_path / "from-env"))
    assert keystore_dir() == tmp_path / "from-env"
    explicit = tmp_path / "explicit"
    generate("Alice", PASS, keystore=explicit)
    assert not (tmp_path / "from-env").exists()
    assert [info.name for info in list_keys(explicit)] == ["Alice"]
    assert list_keys() == []
    assert export_public("Alice", keystore=explicit).endswith(" Alice")


def test_signer_repr_shows_no_key_material(shared_signer: Signer) -> None:
    assert repr(shared_signer) == f"Signer(name='审核员', fingerprint={shared_signer.fingerprint})"


def _ask(confirm: bool) -> click.Command:
    @click.command()
    def ask() -> None:
        value = passphrase_from_env_or_prompt("口令", confirm=confirm)
        click.echo(f"got sha {_sha(value)}")

    return ask


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def no_env_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QBANK_PASSPHRASE", raising=False)


def test_passphrase_comes_from_env_without_prompting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBANK_PASSPHRASE", "from env 口令")
    result = CliRunner().invoke(_ask(confirm=True), input="")
    assert result.exit_code == 0, result.output
    assert result.output == f"got sha {_sha('from env 口令')}\n"


@pytest.mark.usefixtures("no_env_passphrase")
def test_passphrase_prompt_is_hidden_and_confirmed() -> None:
    result = CliRunner().invoke(_ask(confirm=True), input="first\nsecond\nfinal 口令\nfinal 口令\n")
    assert result.exit_code == 0, result.output
    assert "first" not in result.output and "final" not in result.output
    assert "再次输入口令" in result.output
    assert result.output.endswith(f"got sha {_sha('final 口令')}\n")


@pytest.mark.usefixtures("no_env_passphrase")
def test_passphrase_prompt_without_confirmation() -> None:
    result = CliRunner().invoke(_ask(confirm=False), input="once\n")
    assert result.exit_code == 0, result.output
    assert "再次输入口令" not in result.output
    assert result.output.endswith(f"got sha {_sha('once')}\n")
