"""What every workflow takes from its caller: a unit of work, a bank, a key source, progress.

A workflow reads and checks its files before it opens a transaction, so it is given a way to
open one (`Transaction`) rather than an open session: the CLI passes `cli._common.transaction`
(its database chosen by --db), the demo and the tests `Database.transaction`. A flow that must
share the caller's unit of work (the print run inside sealing) takes a `Session` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from sqlalchemy.orm import Session

if TYPE_CHECKING:  # qbank.keys loads `cryptography`: only flows that sign need it
    from qbank.keys import Signer

Transaction: TypeAlias = Callable[[], AbstractContextManager[Session]]
"""Opens one unit of work: committed when its block succeeds, rolled back when it raises."""

KeySource: TypeAlias = Callable[[str], "Signer"]
"""The signing key of the named person, loaded when the flow needs it (the CLI asks for the
passphrase then, so a missing person is reported before anyone types one)."""

Progress: TypeAlias = Callable[[str, int, int], None]
"""Called as long work advances: the stage (`read`, `store`, `tokenise`, `signatures`,
`candidates`, `verify`, `solve`, `render`, `check`; the CLI
labels it with the message `progress.<stage>`), the units done and the units in all."""


@dataclass(frozen=True)
class BankRef:
    """A bank by occupation code and level; `name` names the occupation when it is created."""

    occupation: str
    level: int
    name: str | None = None
