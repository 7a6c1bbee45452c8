"""Readers of a folder or zip someone handed over (a filing package, a custody export) read
regular files only: a symbolic link — to a file, to a folder, or stored inside a zip — is
refused with a message naming it, never followed; sizes and counts obey the limits."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from formats.filing_package import read_package
from formats.limits import LimitExceeded, Limits, read_directory
from qbank.errors import InvalidInput
from workflows.custody import verify_custody_export


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("not for the reader")
    return secret


def test_plain_files_are_read_by_relative_name(tmp_path: Path) -> None:
    root = tmp_path / "export"
    (root / "sub").mkdir(parents=True)
    (root / "a.json").write_bytes(b"{}")
    (root / "sub" / "b.txt").write_bytes(b"b")
    assert read_directory(root, not_a_file="custody.not_a_file") == {
        "a.json": b"{}",
        "sub/b.txt": b"b",
    }


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_symbolic_link_is_refused_not_followed(tmp_path: Path, kind: str) -> None:
    secret = _secret(tmp_path)
    root = tmp_path / "export"
    root.mkdir()
    (root / "log.jsonl").write_bytes(b"")
    link = root / "link"
    link.symlink_to(
        secret if kind == "file" else secret.parent, target_is_directory=kind == "folder"
    )
    with pytest.raises(InvalidInput) as err:
        verify_custody_export(root, trusted_key=None)
    assert err.value.key == "custody.not_a_file"
    assert "link" in str(err.value) and "不是普通文件" in str(err.value)


def test_counts_and_sizes_obey_the_limits(tmp_path: Path) -> None:
    root = tmp_path / "export"
    root.mkdir()
    for i in range(3):
        (root / f"{i}.txt").write_bytes(b"x" * 10)
    with pytest.raises(LimitExceeded):
        read_directory(root, Limits(members=2), not_a_file="custody.not_a_file")
    with pytest.raises(LimitExceeded):
        read_directory(root, Limits(member_size=5), not_a_file="custody.not_a_file")


def test_a_symlink_member_of_a_zipped_package_is_refused(tmp_path: Path) -> None:
    package = tmp_path / "package.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("signatures.json", b"{}")
        link = zipfile.ZipInfo("bank.xlsx")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InvalidInput) as err:
        read_package(package, read_workbook=lambda *_a, **_k: None)  # type: ignore[arg-type,return-value]
    assert err.value.key == "filing.not_a_file"
    assert "bank.xlsx" in str(err.value)
