"""Policy and blueprint files are read only when they are small regular files."""

from __future__ import annotations

from pathlib import Path

import pytest

from qbank.blueprint import load_blueprint
from qbank.errors import InvalidInput
from qbank.policy import load_policy
from qbank.settings_file import read_settings_text


@pytest.mark.parametrize("load", [load_policy, load_blueprint])
def test_device_is_refused_without_reading(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as e:
        load(Path("/dev/zero"))
    assert e.value.key == "settings.not_regular_file"


@pytest.mark.parametrize("load", [load_policy, load_blueprint])
def test_directory_is_refused(load, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as e:
        load(tmp_path)
    assert e.value.key == "settings.not_regular_file"


def test_huge_file_is_refused_after_reading_the_cap_only(tmp_path: Path) -> None:
    big = tmp_path / "policy.toml"
    big.write_bytes(b"#" * (2 * 1024 * 1024))
    with pytest.raises(InvalidInput) as e:
        load_policy(big)
    assert e.value.key == "settings.too_large"
    assert read_settings_text(big, max_bytes=3 * 1024 * 1024).startswith("#")


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as e:
        load_blueprint(tmp_path / "none.toml")
    assert e.value.key == "cli.file_missing"
