"""`wt`: a page's text by key, in the operator's language (the same switch as the CLI)."""

from __future__ import annotations

from typing import Any

from qbank.i18n import language, tr
from web.messages import MESSAGES


def wt(key: str, /, **params: Any) -> str:
    """The page text `key` (web catalogue first, then the engine's), formatted with `params`."""
    entry = MESSAGES.get(key)
    if entry is None:
        return tr(key, **params)
    template = entry[1] if language() == "en" else entry[0]
    return template.format(**params) if params else template
