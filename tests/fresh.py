"""What a fresh interpreter loads: the tests that hold a module or command light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules_after(code: str, *args: str) -> set[str]:
    """Every module a fresh interpreter (run in the checkout, `args` as `sys.argv[1:]`) holds
    after running `code`."""
    script = code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(done.stdout.split())
