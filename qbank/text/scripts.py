"""Sub- and superscripts in stored item text: `U_{2}`, `X_{L}`, `10^{-3}`, `m^{2}`.

Stored text is one string; where a Word file had subscript or superscript runs, the text
carries them as markup (docs/formats.md §6 states the rules for other writers):

- `_{…}` is a subscript and `^{…}` a superscript: what is between the braces is one run at
  that position. It is non-empty and holds no brace and no line break; the first `}` closes it.
- A backslash escapes an opener: `\\_{` and `\\^{` are the literal characters `_{` and `^{`.
  Backslashes right before an opener pair up: an even number (2k) are k literal backslashes
  and the opener is markup, an odd number (2k + 1) are k backslashes and a literal opener.
  A backslash anywhere else is itself.
- Every other character is itself: `x_1`, `a^b`, `{1, 2}`, `C:\\` mean what they say.

`split` turns stored text into runs to print (escapes resolved), `join` turns runs read from a
file into stored text (adjacent runs of one position merged, literal openers escaped; a
script run that cannot be written, with a brace or a line break, is kept as baseline text),
and `join(split(text)) == text` for text `join` wrote. `check` finds markup a person typed
wrong (an opener never closed), for importers to report; `split` itself reads such an opener
as literal text, so printing never fails on it. `stored_runs` and `join_typed` are the runs
of a spreadsheet cell, whose text is typed markup, and back.

The engine compares text without the markup (`qbank.text.normalize.fold_text` reads `plain`):
`U_{2}` and `U2` are one content key, so a bank imported again from a Word file that now
keeps its subscripts gives new versions of its items, not new items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

__all__ = [
    "BASELINE",
    "SUBSCRIPT",
    "SUPERSCRIPT",
    "Position",
    "Run",
    "check",
    "join",
    "join_typed",
    "plain",
    "split",
    "stored_runs",
]

Position = Literal["baseline", "subscript", "superscript"]
"""Where a run sits: the values of OOXML's `w:vertAlign` and of openpyxl's `vertAlign`."""
BASELINE: Position = "baseline"
SUBSCRIPT: Position = "subscript"
SUPERSCRIPT: Position = "superscript"
Run = tuple[str, Position]

_MARKS: dict[str, Position] = {"_": SUBSCRIPT, "^": SUPERSCRIPT}
_OPENERS = {position: mark for mark, position in _MARKS.items()}
_OPENER = re.compile(r"(\\*)([_^])\{")
_SCRIPT_BODY = re.compile(r"[^{}\n]+")
_TRAILING_BACKSLASHES = re.compile(r"\\+$")


def split(text: str) -> list[Run]:
    """The runs `text` prints as, in order: escapes resolved, adjacent runs of one position
    merged, no empty run. An opener that is not closed (see `check`) is literal text."""
    runs: list[Run] = []
    plain_parts: list[str] = []
    position = 0
    while (match := _OPENER.search(text, position)) is not None:
        slashes, mark = len(match.group(1)), match.group(2)
        plain_parts.append(text[position : match.start()])
        body = _SCRIPT_BODY.match(text, match.end())
        if slashes % 2:  # an escaped opener
            plain_parts.append("\\" * (slashes // 2) + mark + "{")
        elif body is None or not text.startswith("}", body.end()):  # not closed: as typed
            plain_parts.append(match.group(0))
        else:
            plain_parts.append("\\" * (slashes // 2))
            _add(runs, "".join(plain_parts), BASELINE)
            plain_parts = []
            _add(runs, body.group(0), _MARKS[mark])
            position = body.end() + 1
            continue
        position = match.end()
    plain_parts.append(text[position:])
    _add(runs, "".join(plain_parts), BASELINE)
    return runs


def _add(runs: list[Run], text: str, position: Position) -> None:
    if not text:
        return
    if runs and runs[-1][1] == position:
        runs[-1] = (runs[-1][0] + text, position)
    else:
        runs.append((text, position))


def plain(text: str) -> str:
    """`text` as it reads without raising or lowering anything (`U_{2}` → `U2`): for widths
    and for places that print no scripts."""
    if "{" not in text:  # no markup: the common case, kept cheap (content keys, overlap)
        return text
    return "".join(run for run, _ in split(text))


def _scriptable(text: str) -> bool:
    return _SCRIPT_BODY.fullmatch(text) is not None and not text.isspace()


def _pieces(runs: Iterable[Run]) -> list[Run]:
    """`runs` merged, each script that cannot be written as markup made baseline."""
    merged: list[Run] = []
    for text, position in runs:
        _add(merged, text, position)
    demoted: list[Run] = []
    for text, position in merged:
        _add(demoted, text, position if position == BASELINE or _scriptable(text) else BASELINE)
    return demoted


def _escape(text: str, *, before_script: bool) -> str:
    """Baseline text as stored: literal openers escaped, and backslashes that would land
    right before an opener doubled."""
    text = _OPENER.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2) + "{", text)
    if before_script:
        text = _TRAILING_BACKSLASHES.sub(lambda m: m.group(0) * 2, text)
    return text


def _encoded(runs: Iterable[Run]) -> list[Run]:
    """`runs` as the stored text holds them: baseline runs escaped, script runs as they are
    (their markup is the position). Concatenating with the openers gives `join(runs)`."""
    pieces = _pieces(runs)
    return [
        (
            _escape(text, before_script=index + 1 < len(pieces)) if position == BASELINE else text,
            position,
        )
        for index, (text, position) in enumerate(pieces)
    ]


def join(runs: Iterable[Run]) -> str:
    """Stored text for `runs` read from a file (see the module notes)."""
    return "".join(
        text if position == BASELINE else f"{_OPENERS[position]}{{{text}}}"
        for text, position in _encoded(runs)
    )


def stored_runs(text: str) -> list[Run]:
    """The runs of `text` with baseline runs as stored (escapes kept), for a file whose
    reader takes baseline text as typed markup (a spreadsheet cell): reading the runs back
    with `join_typed` gives `text`."""
    return _encoded(split(text))


def check(text: str) -> str | None:
    """The first opener of `text` that markup would read but that is not closed (no `}`
    before a brace, line break or the end, or nothing inside), from the opener on (at most
    20 characters), or None when the markup is well formed."""
    if "{" not in text:  # no opener without a brace: the common case, on every imported cell
        return None
    for match in _OPENER.finditer(text):
        if len(match.group(1)) % 2:
            continue
        body = _SCRIPT_BODY.match(text, match.end())
        if body is None or not text.startswith("}", body.end()):
            start = match.start() + len(match.group(1))
            return text[start : start + 20]
    return None


def join_typed(runs: Iterable[Run]) -> str:
    """Stored text for runs whose baseline text is typed markup (a spreadsheet cell's rich
    text): scripts wrapped as markup, baseline text as it is (inverse of `stored_runs`)."""
    merged: list[Run] = []
    for text, position in runs:
        _add(merged, text, position)
    return "".join(
        f"{_OPENERS[position]}{{{text}}}" if position != BASELINE and _scriptable(text) else text
        for text, position in merged
    )
