"""Where the demo's sample files are: the checkout's `samples/`, or the installed copy.

The top-level `samples/` folder ships in the wheel as the package `qbank_samples` (see
setup.py and pyproject.toml), so `qbank demo` works from any install, not only from a
checkout or an editable install.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from qbank.errors import NotFound

PACKAGE = "qbank_samples"
_MARKER = "electrician-4"  # a folder every copy of the samples holds


def sample_dir() -> Path:
    """The samples folder: the checkout's `samples/` when running from a checkout (so its
    edits show at once), else the installed `qbank_samples` package's folder.

    Raises NotFound when neither is there (an install that lost its data files).
    """
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "samples" / _MARKER).is_dir():
        return checkout / "samples"
    spec = importlib.util.find_spec(PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        if (Path(location) / _MARKER).is_dir():
            return Path(location)
    raise NotFound("samples.missing", package=PACKAGE)
