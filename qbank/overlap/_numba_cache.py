"""A writable place for numba's compiled-function cache, found before numba is imported.

The overlap kernels use `@njit(cache=True)`. numba then needs a directory it can write: the
package's `__pycache__`, else the user's cache directory. With neither (a system-wide install run
by an account without a writable home: a service, `sudo -u nobody`, a read-only container),
numba raises at import, so every `qbank` command died with a traceback before it could say
anything. Then the cache goes to a private directory under the system's temporary directory.
Importing this module does the check; it must run before anything imports numba.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path


def _writable(directory: Path) -> bool:
    """What numba itself checks: the directory can be made and a file created in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=directory).close()
    except OSError:
        return False
    return True


def _user_cache() -> Path:
    """numba's user-wide cache directory (appdirs' rules), without importing numba."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "numba" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "numba"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser()) / "numba"


def ensure_writable_cache() -> None:
    if os.environ.get("NUMBA_CACHE_DIR") or "numba" in sys.modules:
        return  # chosen by the user, or too late to choose
    if _writable(Path(__file__).resolve().parent / "__pycache__"):
        return
    try:
        if _writable(_user_cache()):
            return
    except RuntimeError:  # no home directory to expand
        pass
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    private = Path(tempfile.gettempdir()) / f"qbank-numba-{uid}"
    try:
        private.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return
    if _private(private) and _writable(private):
        os.environ["NUMBA_CACHE_DIR"] = str(private)


def _private(directory: Path) -> bool:
    """A real directory of ours that nobody else can write: numba's cache files are pickles,
    so one planted by another account in a shared temporary directory would run as us."""
    try:
        info = directory.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    if not hasattr(os, "getuid"):
        return True
    return info.st_uid == os.getuid() and not info.st_mode & 0o077


ensure_writable_cache()
