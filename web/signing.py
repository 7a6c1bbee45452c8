"""Signing from a page: the viewer's key, opened with the passphrase typed in the form.

The passphrase is read from the POSTed form of this one request, used in memory to open the
key from the server's keystore (`WebConfig.keystore`, else the keystore the CLI uses), and
dropped with the request: it is never stored, logged or put in a page. Wrong passphrases
count against the same limit as failed sign-ins, so a stolen session cannot guess one.
"""

from __future__ import annotations

from qbank import keys
from qbank.errors import QbankError
from web.i18n import wt
from web.routing import PageRequest

PASSPHRASE_FIELD = "passphrase"


class SigningLocked(QbankError):
    """Too many wrong passphrases for this person recently."""

    def __str__(self) -> str:  # a key of the web catalogue, which `tr` does not hold
        return wt(self.key, **self.params)


def signer_for(req: PageRequest) -> keys.Signer:
    """The viewer's signer, opened with the form's passphrase; raises WrongPassphrase,
    KeyNotFound or SigningLocked (each rendered as one message by the page wrapper)."""
    limit_key = f"sign:{req.viewer.id}"
    wait = req.state.limiter.wait_seconds(limit_key)
    if wait:
        raise SigningLocked("web.sign.locked", minutes=max(1, (wait + 59) // 60))
    passphrase = req.form.get(PASSPHRASE_FIELD, "")
    try:
        signer = keys.load_signer(req.viewer.name, passphrase, keystore=req.state.config.keystore)
    except keys.WrongPassphrase:
        req.state.limiter.failed(limit_key)
        raise
    req.state.limiter.succeeded(limit_key)
    return signer
