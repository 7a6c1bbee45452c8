"""A second Python process for CPU work the caller can do without waiting for it.

On a machine with two or more cores, a large import does two things at once: one worker
process (a fresh interpreter running `qbank.worker.main` with the caller's module search path,
sharing nothing with the caller but what it is sent) runs named functions of qbank and the importers on what the caller sends,
while the caller goes on with its own part. Used for an import's token sets and signatures
(`qbank.overlap.fingerprint_worker`) and for the second half of a large sheet's rows
(`importers.table_items`). The same functions run in either process, so a result is the same
whichever computed it.

Requests and results cross the worker's standard input and output as length-prefixed pickles
(both ends are this module, in processes it starts: nothing else writes to them). Threads on
each side move the frames (the caller's reads results as they come, so it can ask whether one
is `ready` without waiting), so neither process waits on a full pipe while it has work. A
plain subprocess rather than `multiprocessing`: its `spawn` re-imports the caller's main
module in the child, which runs a script lacking a `__main__` guard a second time.

When the worker cannot start, fails or dies, callers compute in their own process.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from qbank.gcpause import gc_paused

_log = logging.getLogger(__name__)

_HEADER = struct.Struct("<Q")
_MODULES = ("qbank.", "importers.")
"""Where the functions a worker runs live (requests name them as `module:function`)."""


class WorkerFailed(Exception):
    """The worker died, or the function it ran raised (the message says what)."""


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _function(name: str) -> Callable[..., Any]:
    """The function `module:function` names, from qbank or the importers only."""
    module, _, function = name.partition(":")
    if not module.startswith(_MODULES) or not function:
        raise ValueError(f"not a qbank function: {name}")
    found: Callable[..., Any] = getattr(importlib.import_module(module), function)
    return found


def _send(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next frame's object; EOFError when the other end has closed."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # frames written by this module in the other process


class Worker:
    """One worker process running requests in the order they are submitted; `result`
    returns their results in the same order. `warm` names a function the worker runs before
    the first request (loading what the requests will need), with no result."""

    def __init__(self, warm: str | None = None) -> None:
        # The worker imports what this process imports: the same module search path, given
        # as it is now (a caller may have added a checkout to it at run time).
        boot = f"import sys; sys.path[:] = {sys.path!r}; import {__name__}; {__name__}.main()"
        command = [sys.executable, "-c", boot]
        if warm is not None:
            _function(warm)  # refused here, not in the worker
            command.append(warm)
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._outbox: queue.SimpleQueue[tuple[str, tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._writer.start()
        # Results are read as they come (so `ready` can tell, and the worker never waits
        # on a full pipe); None once the worker has ended or sent something unreadable.
        self._inbox: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._submitted = self._received = 0
        self._ended = False

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            while (request := self._outbox.get()) is not None:
                _send(stdin, request)
            stdin.close()
        except OSError:  # the worker has gone; `result` reports it
            pass

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while True:
                self._inbox.put(_receive(stdout))
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            self._inbox.put(None)

    def submit(self, function: str, *args: Any) -> int:
        """Queue `function(*args)` (`module:function`); returns its number, for `result`."""
        _function(function)
        self._outbox.put((function, args))
        self._submitted += 1
        return self._submitted - 1

    def result(self, number: int) -> Any:
        """The result of request `number`, the next one not yet read (WorkerFailed)."""
        if number != self._received:
            raise ValueError(f"results are read in order: {self._received}, not {number}")
        frame = None if self._ended else self._inbox.get()
        if frame is None:
            self._ended = True
            raise WorkerFailed(f"the worker ended (exit {self._process.poll()})")
        self._received += 1
        status, value = frame
        if status != "ok":
            raise WorkerFailed(value)
        return value

    def ready(self, number: int) -> bool:
        """Whether `result(number)` would return (or raise) without waiting: the results up
        to `number` have come back, or the worker has ended."""
        return self._ended or number < self._received + self._inbox.qsize()

    def close(self) -> None:
        """Stop the worker: at once when results are still outstanding (an error cut the
        caller's work short: what the worker has not sent is dropped) or it was never asked
        anything (it may still be loading what its `warm` function loads), else once it
        ends."""
        self._outbox.put(None)
        if self._received < self._submitted or not self._submitted:
            self._process.kill()
        self._writer.join(timeout=5)
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=5)  # the worker's end closed its side: the reader has stopped
        if self._process.stdout is not None:
            self._process.stdout.close()


def start_worker(warm: str | None = None) -> Worker | None:
    """A worker, or None (logged) when this system cannot start one."""
    try:
        return Worker(warm)
    except OSError as error:
        _log.info("worker process not started: %s", error)
        return None


EARLY_START_BYTES = 1 << 20
"""Files from this size on (about 8,500 rows of an .xlsx, 6,000 of a CSV) start their
workers before they are parsed (`large_file`), so that loading a worker's modules overlaps
the parse instead of delaying its work; a worker not needed in the end is closed unused (it
cost a fraction of a second, or for the fingerprint worker about a second, on the other
core)."""


def large_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is large enough to start its workers before it is read, on a machine
    with a core for them."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return False
    return size >= EARLY_START_BYTES and cores() >= 2


class Spare:
    """A worker started before it is known to be needed (`start`, called now; None: no
    worker), for the first `take`; closed unused when the `with` block ends (or `close`) if
    nobody took it. Who takes it closes it."""

    def __init__(self, start: Callable[[], Worker | None] | None = None) -> None:
        self._worker = None if start is None else start()

    def take(self) -> Worker | None:
        worker, self._worker = self._worker, None
        return worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self) -> Spare:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(stdin: IO[bytes], stdout: IO[bytes], warm: str | None) -> None:
    """The worker's loop: requests read by a thread as they come, run in order, results
    written by another thread, until the input ends."""
    requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
    results: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def read() -> None:
        try:
            while True:
                requests.put(_receive(stdin))
        except (EOFError, OSError):
            requests.put(None)

    def write() -> None:
        try:
            while (result := results.get()) is not None:
                _send(stdout, result)
        except OSError:  # the caller has gone
            pass

    threading.Thread(target=read, daemon=True).start()
    writer = threading.Thread(target=write)
    writer.start()
    if warm is not None:
        try:
            _function(warm)()
        except Exception as error:  # the requests will fail too, and say why
            _log.warning("worker could not prepare (%s): %r", warm, error)
    while (request := requests.get()) is not None:
        function, args = request
        try:
            with gc_paused():  # what a request builds lives until it is sent: qbank.gcpause
                results.put(("ok", _function(function)(*args)))
        except Exception as error:  # reported to the caller, which computes it itself
            results.put(("error", repr(error)))
    results.put(None)
    writer.join()


def _print_for_tests() -> None:
    """Writes to standard output as a careless library would (tests/test_worker.py)."""
    print("stray output from a library")


def main() -> None:
    """Serve on the standard streams; anything else written to standard output (a library's
    print) goes to standard error, so it never lands inside a frame."""
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, frames, sys.argv[1] if len(sys.argv) > 1 else None)
    frames.close()
    sys.stderr.flush()
    os._exit(0)  # nothing to tear down: the caller is waiting for this process to end


if __name__ == "__main__":
    main()
