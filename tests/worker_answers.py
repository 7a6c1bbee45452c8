"""What worker processes answered during a test: `watch` records each result read."""

from __future__ import annotations

import pytest

from qbank.worker import Worker


def watch(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The results `Worker.result` returns from now on (until `monkeypatch` undoes it), in the
    order they are read."""
    answered: list[object] = []
    result = Worker.result

    def watched(self: Worker, number: int) -> object:
        answer = result(self, number)
        answered.append(answer)
        return answer

    monkeypatch.setattr(Worker, "result", watched)
    return answered
