"""Token sets and MinHash signatures computed in a second process while an import writes.

A large import spends about as long tokenising and signing its new texts as writing its rows,
and neither needs the other. One worker process (`python -m qbank.overlap.fingerprint_worker`,
a fresh interpreter that shares nothing with the importing process but the texts it is sent)
loads the tokenizer and the MinHash kernels while the import plans and writes, then computes
each batch's token sets and signatures while the import writes the batch's versions and audit
events. The importing process stores what comes back as it would have stored its own results:
the same functions compute them (`qbank.text.tokens.tokenize_many`,
`qbank.overlap.minhash.signatures`), so the stored rows are the same bytes
(tests/test_fingerprint_worker.py compares them).

Requests and results cross the worker's standard input and output as length-prefixed pickles
(the two ends are this module, in processes this one starts: nothing else writes to them).
A thread on each side moves the frames, so neither process waits on a full pipe while it has
work. A plain subprocess rather than `multiprocessing`: its `spawn` re-imports the caller's
main module in the child, which runs a script that lacks a `__main__` guard a second time.

Used only where it pays: two or more cores and at least `PARALLEL_MIN` new texts. When the
worker cannot start, fails or dies, the import computes in its own process instead.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any

_log = logging.getLogger(__name__)

PARALLEL_MIN = 5_000
"""Fewest new texts for which an import starts a worker (starting one costs about a second of
CPU on the other core: loading Python, the tokenizer and the kernels)."""

Texts = Sequence[tuple[str, Sequence[str]]]
Computed = tuple[str, list[list[str]], list[bytes]]
"""(the worker's tokenizer identity key, token lists, signature bytes), in the texts' order."""

_HEADER = struct.Struct("<Q")


class WorkerFailed(Exception):
    """The worker died, or its computation raised (the message says what)."""


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worth_a_worker(texts: int) -> bool:
    return texts >= PARALLEL_MIN and cores() >= 2


def compute(texts: Texts, num_perm: int, seed: int, clean: bool) -> Computed:
    """The token lists (`tokenize_many`) and MinHash signatures (`to_bytes`) of `texts`, with
    the default tokenizer: what the worker runs for each request."""
    from qbank.overlap.matrix import to_matrix
    from qbank.overlap.minhash import signatures, to_bytes
    from qbank.text.tokens import default_tokenizer, tokenize_many

    tokenizer = default_tokenizer()
    tokens = tokenize_many(texts, tokenizer=tokenizer, clean=clean)
    if not tokens:
        return tokenizer.identity.key, [], []
    computed = signatures(to_matrix(tokens), num_perm=num_perm, seed=seed)
    return tokenizer.identity.key, tokens, [to_bytes(sig) for sig in computed]


def _warm() -> None:
    """Load the default tokenizer and the kernels' compiled code before the first request."""
    compute([("预热", ())], 2, 1, True)


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
    """One worker process computing requests in the order they are submitted; `result`
    returns their results in the same order."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._outbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._writer.start()
        self._submitted = self._received = 0

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            while (request := self._outbox.get()) is not None:
                _send(stdin, request)
            stdin.close()
        except OSError:  # the worker has gone; `result` reports it
            pass

    def submit(self, texts: Texts, *, num_perm: int, seed: int, clean: bool) -> int:
        """Queue a computation; returns its number, for `result`."""
        self._outbox.put((texts, num_perm, seed, clean))
        self._submitted += 1
        return self._submitted - 1

    def result(self, number: int) -> Computed:
        """The result of computation `number`, the next one not yet read (WorkerFailed)."""
        if number != self._received:
            raise ValueError(f"results are read in order: {self._received}, not {number}")
        stdout = self._process.stdout
        assert stdout is not None
        try:
            status, value = _receive(stdout)
        except (EOFError, OSError, pickle.UnpicklingError) as error:
            raise WorkerFailed(f"the worker ended (exit {self._process.poll()})") from error
        self._received += 1
        if status != "ok":
            raise WorkerFailed(value)
        result: Computed = value
        return result

    def close(self) -> None:
        """Stop the worker (what it has not computed yet is dropped)."""
        self._outbox.put(None)
        self._writer.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def start_worker() -> Worker | None:
    """A worker, or None (logged) when this system cannot start one."""
    try:
        return Worker()
    except OSError as error:
        _log.info("fingerprint worker not started: %s", error)
        return None


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker's loop: requests read by a thread as they come, computed in order, results
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
        except OSError:  # the importer has gone
            pass

    threading.Thread(target=read, daemon=True).start()
    writer = threading.Thread(target=write)
    writer.start()
    try:
        _warm()
    except Exception as error:  # said with the first result; the importer computes itself
        _log.warning("fingerprint worker could not load the tokenizer: %r", error)
    while (request := requests.get()) is not None:
        try:
            results.put(("ok", compute(*request)))
        except Exception as error:  # reported to the importer, which computes it itself
            results.put(("error", repr(error)))
    results.put(None)
    writer.join()


def main() -> None:
    """Serve on the standard streams; anything else written to standard output (a library's
    print) goes to standard error, so it never lands inside a frame."""
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, frames)
    frames.close()
    sys.stderr.flush()
    os._exit(0)  # nothing to tear down: the importer is waiting for this process to end


if __name__ == "__main__":
    main()
