"""Expensive test worlds built once per test run and shared by every xdist worker.

A world (the filed sample bank, the demo's whole chain) is a folder of files that tests only
read. `build_once` builds it in the run's temporary root, which all workers of one
`pytest -n …` run share (pytest gives each worker `<root>/popen-gwN`): the first worker to
ask builds it while the others wait on a file lock, then every worker reads the same folder.
Without xdist the root is the session's own temporary directory. A failed build leaves no
marker, so the next worker to ask builds it again (and fails the same way, visibly).
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def run_root(factory: pytest.TempPathFactory) -> Path:
    """The temporary directory every worker of this run shares."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Path], dict[str, Any]]
) -> tuple[Path, dict[str, Any]]:
    """The folder `build` filled for `name` in this run, and the JSON record it returned:
    built by the first caller of the run (in any worker), reused by every later one."""
    root = run_root(factory)
    marker = root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if marker.exists():
            done = json.loads(marker.read_text("utf-8"))
            return Path(done["folder"]), done["record"]
        folder = root / f"{name}-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        record = build(folder)
        text = json.dumps({"folder": str(folder), "record": record}, ensure_ascii=False)
        marker.write_text(text, "utf-8")
        return folder, record
