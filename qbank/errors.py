"""One base for every error a user can cause; the CLI maps it to one message and exit 1."""

from __future__ import annotations

from typing import Any

from qbank.i18n import tr


class QbankError(Exception):
    """A user-caused failure, carrying a catalogue key so it renders in the user's language.

    `key` is positional-only: messages may have a parameter of their own named `key`
    (`policy.missing` names the policy key it lacks).
    """

    def __init__(self, key: str, /, **params: Any) -> None:
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
        count = getattr(problems, "total", None)  # a ProblemList counts those it did not keep
        count = count if isinstance(count, int) else len(problems)
        super().__init__("import.rejected", file=path, count=count)


class LimitExceeded(ImportRejected):
    """A file from outside goes over a reading limit (`formats.limits`); none of it is used.

    Names the file, where in it (`where`: a zip member, a sheet and row, a paragraph), which
    limit, the value found and how to raise the limit. `at_least` marks a value counted only
    up to where reading stopped.
    """

    def __init__(
        self,
        *,
        file: str,
        limit: str,
        value: int,
        maximum: int,
        where: str = "",
        at_least: bool = False,
        location: Any = None,
    ) -> None:
        self.file, self.limit, self.where = file, limit, where
        self.value, self.maximum, self.at_least = value, maximum, at_least
        self.location = location  # a qbank.records.Location when the reader knows the row
        self.problems: list[Any] = []
        QbankError.__init__(self, "limit.exceeded", file=file, limit=limit)

    def _params(self) -> dict[str, Any]:
        value = f"{self.value:,}"
        return {
            "label": tr(f"limit.{self.limit}"),
            "value": ("≥ " + value) if self.at_least else value,
            "maximum": f"{self.maximum:,}",
            "name": self.limit,
        }

    def __str__(self) -> str:
        if self.location is not None:
            return tr("limit.exceeded_at", at=self.location.describe(), **self.problem_params())
        where = tr("limit.where", where=self.where) if self.where else ""
        return tr("limit.exceeded", file=self.file, where=where, **self._params())

    def problem_params(self) -> dict[str, Any]:
        """Parameters of `limit.exceeded_here`, for a Problem that carries the location."""
        where = tr("limit.where_here", where=self.where) if self.where else ""
        return {"where": where, **self._params()}


class FileTooLarge(LimitExceeded):
    """A file, or a member of a zip package or archive, is larger than a size limit allows."""


class SealError(QbankError):
    """A sealed bundle could not be made or opened; nothing was written.

    The base of the engine's refusals (`qbank.seal`: untrusted signer, hash mismatch…) and
    of the bundle format's (`formats.sealed_bundle`: unsafe name, bad archive…), so it lives
    here, where both may import it.
    """


class BadSignature(SealError):
    """A bundle's signature file is malformed (the format's check) or its statement's
    signature does not verify (the engine's)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__("seal.bad_signature", file=path, reason=reason)
