"""Writing a directory of files whole or not at all: into a hidden sibling, then one rename.

The print run, an unsealed bundle and an exported custody log all appear this way, so a
reader never sees half a directory and a failure leaves nothing behind. Callers decide first
whether `target` may be written (absent, empty, or an earlier export they replace).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_directory(target: Path, files: Mapping[str, bytes], *, private: bool = True) -> None:
    """Write `files` (relative `/` names → bytes) as the directory `target`, replacing it.

    The directory is 0700 (`tempfile.mkdtemp`); with `private` the files are 0600 too, as
    unreleased papers must be. Every file is flushed to disk before the rename.
    Side effects: creates `target` and its missing parents; replaces an existing `target`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with path.open("xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if private:
                path.chmod(0o600)
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the finished `staging` directory to `target`, replacing what is there."""
    if not target.exists():
        staging.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old)
