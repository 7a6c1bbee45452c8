"""Reading a small settings file (a policy profile, a blueprint) given on the command line.

Such files are a few kilobytes; a path to a device, a FIFO or a huge file must be refused
before it is read, not read until memory runs out (`--policy /dev/zero`).
"""

from __future__ import annotations

import stat
from pathlib import Path

from qbank.errors import InvalidInput

MAX_BYTES = 1024 * 1024


def read_settings_text(path: Path, *, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of `path`; InvalidInput when it is missing, not a regular file or too big.

    Raises UnicodeDecodeError for bytes that are not UTF-8 (callers report it with the file).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInput("cli.file_missing", path=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput("settings.not_regular_file", path=str(path))
    with path.open("rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput("settings.too_large", path=str(path), limit=max_bytes)
    return data.decode("utf-8")
