"""`qbank filing verify` trusts pinned keys only, stops at the first failed signature or hash
without parsing anything large, and reads packages under size limits."""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from filing_world import INSTITUTION, REVIEWER, SIGNERS, build, resign, sign_index, signer

from cli.main import cli
from formats.filing_package import read_package
from importers.table_items import read_items_table
from qbank.filing_check import TrustedKey, verify_package


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("filing")
    build(root)
    return root


@pytest.fixture
def package(world: Path, tmp_path: Path) -> Path:
    """A private copy of the good package."""
    return Path(shutil.copytree(world / "package", tmp_path / "package"))


def run(*args: str | Path, code: int | None = None) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    if code is not None:
        assert result.exit_code == code, (result.output, result.exception)
    return result.output


def verify_json(package: Path, *options: str | Path, code: int) -> dict:  # type: ignore[type-arg]
    return json.loads(run("filing", "verify", package, "--json", *options, code=code))  # type: ignore[no-any-return]


def pins(world: Path, *names: str) -> list[str | Path]:
    return [x for name in names for x in ("--trusted-key", world / f"{name}.pub")]


def test_valid_only_when_every_signer_is_pinned(world: Path) -> None:
    package = world / "package"
    good = verify_json(package, *pins(world, REVIEWER, INSTITUTION), code=0)
    assert good["verdict"] == "VALID" and all(c["status"] == "ok" for c in good["checks"])
    assert {s["name"]: s["pinned_by"] for s in good["signers"]} == {
        REVIEWER: str(world / f"{REVIEWER}.pub"),
        INSTITUTION: str(world / f"{INSTITUTION}.pub"),
    }

    bare = verify_json(package, code=1)
    assert bare["verdict"] == "INVALID"
    assert {(s["name"], s["fingerprint"]) for s in bare["unpinned"]} == {
        (name, SIGNERS[name].fingerprint) for name in (REVIEWER, INSTITUTION)
    }
    after = [c for c in bare["checks"] if c["check"] not in ("index", "signatures", "keys")]
    assert {c["status"] for c in after} == {"skipped"}  # nothing large parsed on untrusted keys

    text = run("filing", "verify", package, code=1)
    for name in (REVIEWER, INSTITUTION):  # full fingerprints, for comparing out of band
        assert f"{name}" in text and SIGNERS[name].fingerprint in text
    assert "INVALID" in text.splitlines()[-1]

    half = verify_json(package, *pins(world, INSTITUTION), code=1)
    assert [s["name"] for s in half["unpinned"]] == [REVIEWER]

    # the verifier's own database vouches for the keys registered in it
    assert verify_json(package, "--db", world / "qbank.db", code=0)["verdict"] == "VALID"


def test_resigned_with_fresh_keys_under_the_same_names_is_refused(
    world: Path, package: Path
) -> None:
    fresh = {name: signer(name, salt="fresh") for name in (REVIEWER, INSTITUTION)}
    resign(package, fresh)

    bare = verify_json(package, code=1)
    assert {(s["name"], s["fingerprint"]) for s in bare["unpinned"]} == {
        (name, key.fingerprint) for name, key in fresh.items()
    }
    pinned = verify_json(package, *pins(world, REVIEWER, INSTITUTION), code=1)
    assert {(s["name"], s["trusted_fingerprint"]) for s in pinned["unpinned"]} == {
        (name, SIGNERS[name].fingerprint) for name in fresh
    }
    text = run("filing", "verify", package, *pins(world, REVIEWER, INSTITUTION), code=1)
    assert fresh[INSTITUTION].fingerprint in text and SIGNERS[INSTITUTION].fingerprint in text
    assert verify_json(package, "--db", world / "qbank.db", code=1)["verdict"] == "INVALID"

    # the forgery is otherwise perfect: pinning the forger's keys is what would make it VALID
    forged = [TrustedKey(n, k.public_key_raw, "forger") for n, k in fresh.items()]
    contents = read_package(package, read_workbook=read_items_table)
    assert verify_package(contents.files, contents.bank_records, trusted=forged).ok


def _bomb(path: Path, declared_mb: int = 64) -> None:
    """An xlsx-shaped zip whose sheet inflates to `declared_mb` MB of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (declared_mb * 1024 * 1024))


def test_failed_signature_parses_nothing_large(world: Path, package: Path) -> None:
    signed = json.loads((package / "signatures.json").read_bytes())
    sig = signed["signatures"][1]["signature"]
    signed["signatures"][1]["signature"] = ("B" if sig[0] == "A" else "A") + sig[1:]
    (package / "signatures.json").write_text(json.dumps(signed, ensure_ascii=False), "utf-8")
    _bomb(package / "bank.xlsx")
    (package / "items.jsonl").write_bytes(b"\xff not json\n" * 1000)

    def must_not_parse() -> None:
        raise AssertionError("bank.xlsx parsed after a failed signature")

    contents = read_package(package, read_workbook=read_items_table)
    verdict = verify_package(contents.files, must_not_parse, trusted=[])
    assert [c.status for c in verdict.checks][:3] == ["ok", "failed", "skipped"]
    assert "does not verify" in verdict.checks[1].detail
    assert all(c.skipped for c in verdict.checks[2:])

    started = time.monotonic()
    out = verify_json(package, *pins(world, REVIEWER, INSTITUTION), code=1)
    assert time.monotonic() - started < 5
    failed = [c["check"] for c in out["checks"] if c["status"] == "failed"]
    assert failed == ["signatures"]


def test_size_limits_refuse_cleanly(world: Path, package: Path, tmp_path: Path) -> None:
    (package / "extra.bin").write_bytes(b"x" * (2 * 1024 * 1024))
    out = run("filing", "verify", package, "--limit", "member_size=1M", code=1)
    assert "extra.bin" in out and "member_size" in out and len(out.strip().splitlines()) == 1

    # a zipped package is checked from its central directory before anything is inflated
    zipped = tmp_path / "bomb.zip"
    _bomb(zipped, declared_mb=32)
    started = time.monotonic()
    out = run("filing", "verify", zipped, "--limit", "member_size=16M", code=1)
    assert "member_size" in out and time.monotonic() - started < 5


def test_a_signed_workbook_bomb_is_refused_not_inflated(world: Path, package: Path) -> None:
    _bomb(package / "bank.xlsx", declared_mb=32)
    sign_index(package, SIGNERS)  # the institution itself hands over the bomb
    started = time.monotonic()
    out = verify_json(
        package, *pins(world, REVIEWER, INSTITUTION), "--limit", "member_size=16M", code=1
    )
    assert time.monotonic() - started < 10
    bank = next(c for c in out["checks"] if c["check"] == "bank.xlsx")
    assert bank["status"] == "failed" and "member_size" in out["bank_xlsx"]["error"]
    assert [c["check"] for c in out["checks"] if c["status"] == "failed"] == [
        "bank.xlsx",
        "overlap-theory",
    ]


def test_a_zip_of_the_package_verifies(world: Path, tmp_path: Path) -> None:
    zipped = tmp_path / "备案包.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted((world / "package").rglob("*")):
            if p.is_file():
                z.write(p, "备案包/" + p.relative_to(world / "package").as_posix())
    assert verify_json(zipped, *pins(world, REVIEWER, INSTITUTION), code=0)["verdict"] == "VALID"


def test_every_review_signer_needs_a_pinned_key(world: Path, package: Path) -> None:
    import base64

    from qbank.canonical import canonical_bytes

    other = signer("王工")
    public = json.loads((package / "public-keys.json").read_bytes())
    public["王工"] = {
        "public_key": base64.b64encode(other.public_key_raw).decode(),
        "fingerprint": other.fingerprint,
        "roles": ["reviewer"],
    }
    (package / "public-keys.json").write_bytes(canonical_bytes(public))
    lines = (package / "reviews.jsonl").read_text("utf-8").splitlines()
    record = json.loads(lines[0])  # the first approval, signed again by 王工 instead
    payload = {**json.loads(record["payload"]), "reviewer": "王工", "key": other.fingerprint}
    data = canonical_bytes(payload)
    record = {
        "payload": data.decode(),
        "reviewer": "王工",
        "signature": base64.b64encode(other.sign(data)).decode(),
    }
    lines[0] = json.dumps(record, ensure_ascii=False, sort_keys=True)
    (package / "reviews.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    sign_index(package, SIGNERS)  # the institution vouches for the file, not for 王工's key

    out = verify_json(package, *pins(world, REVIEWER, INSTITUTION), code=1)
    reviews = next(c for c in out["checks"] if c["check"] == "reviews")
    assert reviews["status"] == "failed" and other.fingerprint in reviews["detail"]
    assert [(s["name"], s["fingerprint"]) for s in out["unpinned"]] == [("王工", other.fingerprint)]
    wang = package.parent / "王工.pub"
    wang.write_text(other.info.export_text() + "\n", "utf-8")
    pinned = [*pins(world, REVIEWER, INSTITUTION), "--trusted-key", wang]
    assert verify_json(package, *pinned, code=0)["ok"]
