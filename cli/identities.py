"""`--identity FILE` / `--identity-person NAME`: age identities that open sealed papers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli._common import t
from cli._passphrase import passphrase_from_env_or_prompt
from qbank import keys

if TYPE_CHECKING:
    from pyrage import x25519

    from qbank.confidential import Keyring

F = TypeVar("F", bound=Callable[..., Any])


def identity_options(fn: F) -> F:
    """Add `--identity FILE` (repeatable) and `--identity-person NAME` to a command."""
    fn = click.option(
        "--identity-person",
        metavar="NAME",
        help="用密钥库中此人的 age 身份解开已封存的试卷（口令见 QBANK_PASSPHRASE） "
        "/ open sealed papers with this person's keystore identity",
    )(fn)
    return click.option(
        "--identity",
        "identity_files",
        multiple=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help="age 身份文件，可多次给出，用于读取已封存批次的试卷 "
        "/ age identity file for sealed papers (repeatable)",
    )(fn)


def read_identity_files(paths: Sequence[Path]) -> list[x25519.Identity]:
    """The age identities in `paths`; an encrypted file's passphrase from QBANK_PASSPHRASE or
    a prompt naming the file."""
    identities = []
    for path in paths:
        identities += keys.read_identity_file(path, partial(_identity_passphrase, path))
    return identities


def _identity_passphrase(path: Path) -> str:
    """Asked only when the identity file at `path` turns out encrypted."""
    return passphrase_from_env_or_prompt(
        t("keys.prompt_identity_file", path=str(path)), confirm=False
    )


def keyring_from(identity_files: Sequence[Path], identity_person: str | None) -> Keyring:
    """The identities the options name; passphrases from QBANK_PASSPHRASE or a prompt.

    Side effects: reads the identity files and the keystore; may prompt.
    """
    from qbank.confidential import Keyring

    identities = read_identity_files(identity_files)
    if identity_person:
        passphrase = passphrase_from_env_or_prompt(
            t("keys.prompt_age_use", name=identity_person), confirm=False
        )
        identities.append(keys.load_age_identity(identity_person, passphrase))
    return Keyring(identities)
