"""Filing a bank and writing its filing package; verifying a package from disk, as the
regulator does, without the institution's database. `qbank bank file`, `qbank filing verify`
and the demo call these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from formats.filing_package import read_package
from qbank.errors import InvalidInput
from qbank.filing_check import (
    PackageVerdict,
    TrustedKey,
    registered_keys,
    trusted_key_from_export,
    verify_package,
)
from qbank.policy import Policy
from workflows.types import BankRef, KeySource, Transaction

if TYPE_CHECKING:
    from qbank.filing import FilingResult


@dataclass(frozen=True)
class FilingWritten:
    out: Path
    filing: FilingResult

    @property
    def merkle_root(self) -> str:
        return str(self.filing.manifest["merkle_root"])


def file_bank_package(
    transaction: Transaction,
    bank: BankRef,
    out: Path,
    *,
    reviewers: Sequence[str],
    institution: str,
    key_source: KeySource,
    policy: Policy,
    actor: str,
) -> FilingWritten:
    """File `bank` (checked, frozen, signed by `reviewers` and `institution`) and write its
    package to `out`; the filing is stored only if the package is written.

    Raises NotCompliant when a filing rule fails, and as `qbank.filing.file_bank` and
    `formats.filing_package.write_package`.
    """
    from exporters.items_xlsx import write_items_xlsx  # heavy: only filing needs them
    from formats.filing_package import write_package
    from qbank.bank import find_bank
    from qbank.filing import file_bank
    from qbank.people import get_person
    from qbank.tree import current_tree

    with transaction() as session:
        target = find_bank(session, bank.occupation, bank.level)
        signed = [(get_person(session, name), key_source(name)) for name in reviewers]
        org = get_person(session, institution)
        org_signer = key_source(institution)
        filing = file_bank(
            session,
            target,
            policy,
            institution=org,
            institution_signer=org_signer,
            reviewers=signed,
            actor=actor,
        )
        write_package(
            filing,
            out,
            signers=[(p.name, "reviewer", p.key_fingerprint or "", s) for p, s in signed]
            + [(org.name, "institution", org.key_fingerprint or "", org_signer)],
            write_workbook=write_items_xlsx,
            tree=current_tree(session, target),
        )
    return FilingWritten(out, filing)


@dataclass(frozen=True)
class FilingVerified:
    """The verdict, and why bank.xlsx could not be read when it could not."""

    verdict: PackageVerdict
    bank_error: str = ""
    bank_problems: list[str] = field(default_factory=list)


def verify_filing(
    package: Path,
    *,
    trusted: Sequence[TrustedKey] = (),
    trusted_key_files: Sequence[Path] = (),
    registered_in: Transaction | None = None,
) -> FilingVerified:
    """Verify the filing package at `package` (a directory or its zip).

    Signers are pinned by `trusted`, by the `.pub` files `trusted_key_files` and, with
    `registered_in`, by the keys of the people registered in that database (only a database
    the verifier chose vouches for keys). Raises InvalidInput for an unreadable key file and
    as `formats.filing_package.read_package`.
    """
    from importers.table_items import read_items_table  # parsed only if the hashes pass

    contents = read_package(package, read_workbook=read_items_table)
    pinned = [*trusted, *_trusted_keys(trusted_key_files)]
    if registered_in is not None:
        with registered_in() as session:
            pinned += registered_keys(session)
    verdict = verify_package(contents.files, contents.bank_records, trusted=pinned)
    return FilingVerified(verdict, contents.bank_error, [str(p) for p in contents.bank_problems])


def _trusted_keys(paths: Sequence[Path]) -> list[TrustedKey]:
    out: list[TrustedKey] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise InvalidInput("keys.bad_public") from None
        found = trusted_key_from_export(text, str(path))
        if not found:
            raise InvalidInput("keys.bad_public")
        out += found
    return out
