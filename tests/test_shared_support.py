"""shared_support.build_once: one build per run, shared by the workers, none kept on failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from shared_support import build_once, run_root


class _Factory:
    """A stand-in for pytest's TempPathFactory: only getbasetemp is used."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def getbasetemp(self) -> Path:
        return self.base


def test_the_workers_of_a_run_share_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = tmp_path / "popen-gw1"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert run_root(_Factory(worker)) == tmp_path  # type: ignore[arg-type]
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert run_root(_Factory(worker)) == worker  # type: ignore[arg-type]


def test_built_once_and_reused_with_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    calls: list[Path] = []

    def build(folder: Path) -> dict[str, Any]:
        calls.append(folder)
        (folder / "world.txt").write_text("built", "utf-8")
        return {"exit_code": 0, "output": "完成"}

    first = build_once(_Factory(tmp_path), "world", build)  # type: ignore[arg-type]
    second = build_once(_Factory(tmp_path), "world", build)  # type: ignore[arg-type]
    assert first == second == (calls[0], {"exit_code": 0, "output": "完成"})
    assert len(calls) == 1 and (calls[0] / "world.txt").read_text("utf-8") == "built"
    other = build_once(_Factory(tmp_path), "other", build)  # type: ignore[arg-type]
    assert len(calls) == 2 and other[0] != first[0]


def test_a_failed_build_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)

    def broken(folder: Path) -> dict[str, Any]:
        raise RuntimeError("the world could not be built")

    with pytest.raises(RuntimeError):
        build_once(_Factory(tmp_path), "world", broken)  # type: ignore[arg-type]
    folder, record = build_once(_Factory(tmp_path), "world", lambda _folder: {"n": 1})  # type: ignore[arg-type]
    assert record == {"n": 1} and folder.is_dir()
