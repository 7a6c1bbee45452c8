"""`qbank.worker`: a second process running qbank's own functions, results in order."""

from __future__ import annotations

import pytest

from qbank.worker import Worker, WorkerFailed, start_worker


def test_runs_functions_in_order_and_reports_errors() -> None:
    worker = Worker()
    try:
        texts = worker.submit("qbank.text.normalize:clean_text", "电压　（Ａ）")
        folded = worker.submit("qbank.text.normalize:fold_text", "Ⅱ级")
        bad = worker.submit("qbank.text.normalize:parse_difficulty", "很难很难")
        after = worker.submit("qbank.text.normalize:clean_text", " x ")
        with pytest.raises(ValueError, match="in order"):
            worker.result(folded)
        assert worker.result(texts) == "电压（A）"
        assert worker.result(folded) == "ii级"
        with pytest.raises(WorkerFailed, match="ValueError"):
            worker.result(bad)
        assert worker.result(after) == "x"  # an error does not end the worker
    finally:
        worker.close()
    assert worker._process.returncode == 0


@pytest.mark.parametrize("name", ["os:system", "subprocess:run", "qbank.text.normalize", ":x"])
def test_runs_only_qbank_functions(name: str) -> None:
    with pytest.raises(ValueError, match="not a qbank function"):
        Worker(warm=name)
    worker = start_worker()
    assert worker is not None
    try:
        with pytest.raises(ValueError, match="not a qbank function"):
            worker.submit(name, "echo planted")
    finally:
        worker.close()


def test_a_dead_worker_is_reported() -> None:
    worker = Worker()
    try:
        first = worker.submit("qbank.text.normalize:clean_text", "a")
        assert worker.result(first) == "a"
        worker._process.kill()
        worker._process.wait()
        second = worker.submit("qbank.text.normalize:clean_text", "b")
        with pytest.raises(WorkerFailed, match="ended"):
            worker.result(second)
    finally:
        worker.close()


def test_stray_output_in_the_worker_does_not_corrupt_frames() -> None:
    """A library printing to standard output inside the worker: the text goes to standard
    error, the frames stay whole."""
    worker = Worker(warm="qbank.worker:_print_for_tests")
    try:
        number = worker.submit("qbank.worker:_print_for_tests")
        assert worker.result(number) is None
    finally:
        worker.close()


def test_closing_with_results_outstanding_stops_at_once() -> None:
    """A caller cut short (an error) does not wait for the work it no longer needs: the
    worker is killed, not left to finish."""
    import signal

    worker = Worker()
    for _ in range(3):
        worker.submit("qbank.text.normalize:clean_text", "电" * 2_000_000)
    worker.close()
    assert worker._process.returncode == -signal.SIGKILL


def test_ready_says_when_a_result_is_back() -> None:
    """`ready` never blocks: False while the worker computes, True once the result is in
    (then `result` returns at once), and True for a worker that has died."""
    import time

    worker = Worker()
    try:
        slow = worker.submit("qbank.text.normalize:clean_text", "电 " * 3_000_000)
        quick = worker.submit("qbank.text.normalize:clean_text", "b")
        assert not worker.ready(quick)  # behind the slow one, which takes a while
        deadline = time.monotonic() + 60
        while not worker.ready(quick) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.ready(slow) and worker.ready(quick)
        assert worker.result(slow).startswith("电")
        assert worker.result(quick) == "b"
        worker._process.kill()
        worker._process.wait()
        dead = worker.submit("qbank.text.normalize:clean_text", "c")
        deadline = time.monotonic() + 10
        while not worker.ready(dead) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.ready(dead)
        with pytest.raises(WorkerFailed, match="ended"):
            worker.result(dead)
    finally:
        worker.close()
