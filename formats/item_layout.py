"""The item layouts' shared text rules: option letters, option lines, the answer in a stem.

A Word or Excel bank writes options as `A．电阻　B．电容` and may keep a choice or judgement
answer inside the stem's brackets (`……的是（ B ）。`, `（ √ ）……`). The readers
(`importers.docx_items`, `importers.table_items`) split such text with these rules and the
writers (`exporters.items_docx`, `exporters.items_xlsx`) lay items out so that the same rules
read them back; keeping them here lets a writer use them without importing a reader.
Pure text functions: no file is read or written.
"""

from __future__ import annotations

import re

from qbank.records import ItemType
from qbank.text.normalize import clean_text, fold_width

OPTION_LETTERS = "ABCDEFGH"
"""The option letters a layout may use, in order (the national layout's eight columns)."""

_LOWER = OPTION_LETTERS.lower()
# Option markers `A.` `A、` `A:` `A)` at a line start or after whitespace (`U=IR`, `A相` never
# match), and `(A)` (`（A）` once widths are folded) also right after other text.
_OPTION_MARK = re.compile(
    rf"(?:(?:^|(?<=[\s;]))(?:\(\s*(?P<p>[{OPTION_LETTERS}{_LOWER}])\s*\)"
    rf"|(?P<l>[{OPTION_LETTERS}{_LOWER}])\s*[.、:]"
    rf"|(?<!\(\s)(?<!\(\s\s)(?P<r>[{OPTION_LETTERS}{_LOWER}])\))"
    rf"|(?<=[^\sA-Za-z0-9(])\(\s*(?P<q>[{OPTION_LETTERS}])\s*\)"
    # a later option glued to the one before: `A．伏特B．安培` (never an `A`)
    rf"|(?<=[\u3400-\u9fff)。])(?P<g>[{OPTION_LETTERS[1:]}])\s*[.、])"
)
_BRACKET = re.compile(r"\(([^()]*)\)")
_BLANK = re.compile(r"\(\s*\)")
_CHOICE_ANSWER = re.compile(rf"^[{OPTION_LETTERS}](?:[\s,、;]*[{OPTION_LETTERS}])*$")
_JUDGEMENT_ANSWERS = frozenset(["正确", "错误", *"√✓✔×✗✘对错xX"])


def take_stem_answer(stem: str, item_type: ItemType) -> tuple[str, str | None]:
    """Take the answer out of a stem's brackets: `……的是（ B ）。` → (`……的是（ ）。`, `B`).

    An answer at the very start (`（ √ ）……`, or `（ B ）` before a stem with its own blank) is
    dropped with its bracket; anywhere else an empty `（ ）` stays where the answer was (a
    judgement stem loses it later, `normalize_stem`). Brackets holding words are left alone.
    Returns the cleaned stem and the answer text, or the cleaned stem and None.
    """
    folded = fold_width(stem)  # one character for one: positions hold in `stem`
    found = _answer_bracket(folded, item_type)
    if found is None:
        return clean_text(stem), None
    match, leading = found
    if leading and (item_type is ItemType.JUDGEMENT or _BLANK.search(folded, match.end())):
        rest = stem[match.end() :]  # `（ B ）……是（ ）。`: the answer noted before the stem
    else:
        rest = stem[: match.start()] + "( )" + stem[match.end() :]
    return clean_text(rest), match.group(1).strip()


def split_option_line(line: str, after: str = "") -> list[tuple[str, str]] | None:
    """Split `A．电阻　B．电容` into [(A, 电阻), (B, 电容)], or None when it is no option line.

    The line must start with a marker: `A` for a first option, else a letter after `after`
    (the item's last option so far); further markers count only in rising order, so a stem
    or option text holding `A相` or `U=IR` is never cut. Texts are returned as typed.
    """
    typed = line.strip()
    text = fold_width(typed)  # markers matched here; option texts sliced from `typed`
    first = _OPTION_MARK.match(text)
    if first is None:
        return None
    letter = _mark_letter(first)
    if (not after and letter != "A") or (after and letter <= after):
        return None
    options: list[tuple[str, str]] = []
    start, last = first.end(), letter
    for mark in _OPTION_MARK.finditer(text, first.end()):
        if _mark_letter(mark) <= last:
            continue
        options.append((last, typed[start : mark.start()].strip().rstrip(";；").rstrip()))
        start, last = mark.end(), _mark_letter(mark)
    options.append((last, typed[start:].strip()))
    return options


def is_bracket_answer(content: str, item_type: ItemType) -> bool:
    """Whether a bracket's `content` (width-folded) reads as an answer of `item_type`:
    √/×/正确… for a judgement, option letters (`B`, `A、C`) for a choice."""
    value = content.strip()
    if item_type is ItemType.JUDGEMENT:
        return value in _JUDGEMENT_ANSWERS
    return bool(_CHOICE_ANSWER.match(value))


def _mark_letter(match: re.Match[str]) -> str:
    letter = (
        match.group("p")
        or match.group("l")
        or match.group("r")
        or match.group("q")
        or match.group("g")
    )
    return letter.upper()


def _answer_bracket(text: str, item_type: ItemType) -> tuple[re.Match[str], bool] | None:
    """The bracket holding the answer and whether it opens the stem."""
    candidates = [m for m in _BRACKET.finditer(text) if is_bracket_answer(m.group(1), item_type)]
    if not candidates:
        return None
    first = candidates[0]
    leading = not text[: first.start()].strip()
    if item_type is ItemType.JUDGEMENT and leading:
        return first, True
    last = candidates[-1]
    return last, last is first and leading
