"""The message catalogue: Simplified Chinese by default, English on request.

Messages are looked up by key and formatted with named parameters, so a record (a problem
found by an importer, an error) can be rendered in either language after it was made.
The language comes from `set_language` (the CLI's `--lang`) or the `QBANK_LANG` variable.
A printed document (paper, key, notices, print list) is in its own language, passed as
`tr(key, lang=...)`: the operator's language never reaches an official document.
"""

from __future__ import annotations

import os
from typing import Any

from qbank.messages import CATALOGUE

LANGUAGES = ("zh", "en")
DOCUMENT_LANGUAGE = "zh"
"""The language official documents are printed in, whatever the operator's."""
_language: str | None = None


def set_language(lang: str | None) -> None:
    """Choose the language for every later message; None returns to `QBANK_LANG` / zh."""
    global _language
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    _language = lang


def language() -> str:
    if _language is not None:
        return _language
    env = os.environ.get("QBANK_LANG", "").strip().lower()
    if env.startswith("en"):
        return "en"
    return "zh"


def tr(key: str, /, *, lang: str | None = None, **params: Any) -> str:
    """Render catalogue entry `key` in `lang`, by default the current language.

    An unknown key is a programming error and raises KeyError, so a typo never reaches a user
    as a raw key; so is an unknown `lang` (ValueError).
    """
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    zh, en = CATALOGUE[key]
    template = en if (lang or language()) == "en" else zh
    return template.format(**params) if params else template
