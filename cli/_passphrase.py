"""Asking for a passphrase: from the environment when set (scripts, CI), else without echo.

The engine never prompts (`qbank.keys` takes passphrases as arguments, or a callable asked
only when needed); every command that needs one asks here.
"""

from __future__ import annotations

import os

import click

from qbank import keys
from qbank.i18n import tr

PASSPHRASE_ENV = "QBANK_PASSPHRASE"
"""The passphrase of the keystore's signing keys and age identities."""


def passphrase_from_env_or_prompt(
    prompt_text: str, *, confirm: bool, env: str = PASSPHRASE_ENV
) -> str:
    """`$env` (default `QBANK_PASSPHRASE`) when set, else ask without echo, twice if
    `confirm`. Side effects: may prompt on the terminal."""
    value = os.environ.get(env)
    if value:
        return value
    confirmation: str | bool = tr("keys.confirm_passphrase") if confirm else False
    answer: str = click.prompt(
        prompt_text, hide_input=True, confirmation_prompt=confirmation, type=str
    )
    return answer


def signer_from_keystore(name: str) -> keys.Signer:
    """`name`'s signing key from the keystore, opened with a passphrase from
    `QBANK_PASSPHRASE` or the prompt. Side effects: reads the keystore; may prompt."""
    passphrase = passphrase_from_env_or_prompt(tr("keys.prompt_use", name=name), confirm=False)
    return keys.load_signer(name, passphrase)
