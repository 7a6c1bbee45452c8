"""One `qbank` command in a subprocess, measured as the user meets it: wall and CPU seconds, peak
memory, exit code. The benchmarks that time CLI commands (pipeline.py, import_scale.py,
overlap_check.py) run them through `run_qbank`.

Peak memory is reported by the command itself, at its end: the high-water mark of its own
memory since it started (`VmHWM`), or of any worker process it ran, whichever is larger. The
`ru_maxrss` that `wait4` returns is not that on Linux: a child started by vfork (what
`subprocess` uses) inherits the benchmark process's own high-water mark, so a benchmark that
had parsed and tokenised 55,000 items in process reported 583 MB for each command after that
(2026-12-04), and its first run reported the benchmark's 279 MB for every command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Container
from pathlib import Path
from typing import IO, Any

# The command's program: the CLI (after the caller's `before`, if any), then its peak written
# where the benchmark reads it.
_PROGRAM = """\
import os, resource
try:
    {before}
    from cli.main import main
    main()
finally:
    peak = 0
    try:
        with open("/proc/self/status") as status:
            peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.environ["QBANK_BENCH_PEAK"], "w") as out:
        out.write(str(max(peak, workers)))
"""


def run_qbank(
    args: list[str],
    db: Path,
    env: dict[str, str],
    *,
    stdout: IO[bytes] | None = None,
    ok: Container[int] = (0,),
    before: str = "pass",
) -> dict[str, Any]:
    """`qbank --db DB ARGS` with `env` (its PYTHONPATH picks the checkout): `s` wall seconds,
    `cpu_s` user + system seconds of the command and its workers, `peak_mb` (module
    docstring), `rc` the exit code, `output` its standard error (and its standard output when
    `stdout` is not given) as text. An exit code not in `ok` ends the benchmark, with what
    the command printed. `before`: one line of Python the child runs before the CLI."""
    # -P: no current directory first on sys.path, so PYTHONPATH alone picks the checkout even
    # when this runs from inside another one
    program = _PROGRAM.format(before=before)
    command = [sys.executable, "-P", "-c", program, "--db", str(db), *args]
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryFile() as output:
        peak_file = Path(work) / "peak"
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            env={**env, "QBANK_BENCH_PEAK": str(peak_file)},
            stdout=stdout if stdout is not None else output,
            stderr=output,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else usage.ru_maxrss
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        sys.stderr.write(text)
        raise SystemExit(f"qbank {' '.join(args[:2])} failed ({code})")
    return {
        "s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": peak_kb / 1024,
        "rc": code,
        "output": text,
    }
