"""One base for every error a user can cause; the CLI maps it to one message and exit 1."""

from __future__ import annotations

from typing import Any

from qbank.i18n import tr


class QbankError(Exception):
    """A user-caused failure, carrying a catalogue key so it renders in the user's language."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def __str__(self) -> str:
        return tr(self.key, **self.params)


class NotFound(QbankError):
    """A named occupation, bank, item or person does not exist."""


class InvalidInput(QbankError):
    """A value given on the command line or in a file is malformed."""


class ImportRejected(QbankError):
    """A file had problems; nothing from it was stored."""

    def __init__(self, path: str, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__("import.rejected", file=path, count=len(problems))
