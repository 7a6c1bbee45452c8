"""The web pages' own texts, by area (one module each), in the catalogue's (zh, en) shape.

Engine messages (errors, verdicts) come from `qbank.messages` through `qbank.i18n.tr`; these
are only the words of the pages themselves. `wt` looks here first, then in the engine's
catalogue, so a page can show an engine message by its key too.
"""

from __future__ import annotations

from web.messages import core, pairs, regulator, reviewer, staff

MESSAGES: dict[str, tuple[str, str]] = {}
for _area in (core, reviewer, pairs, regulator, staff):
    _clash = MESSAGES.keys() & _area.MESSAGES.keys()
    if _clash:
        raise RuntimeError(f"web message keys defined twice: {sorted(_clash)}")
    MESSAGES.update(_area.MESSAGES)
