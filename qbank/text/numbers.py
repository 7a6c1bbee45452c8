"""How figures read in messages: one rounding rule for every count, score, difficulty and share.

The rule: a figure is rounded half away from zero to 1/10,000 of a unit — four decimals for a
number (`0.3333`), two for a percentage (`33.33%`, the same precision of the same share) — read
as the decimal it prints as (0.1 is 0.1, not the binary float); trailing zeros and a trailing
point are dropped (`100`, never `100.0`), and there is never an exponent. So a figure the user
wrote (a share of 12.5%, a score of 2.5) reads back as written, and the same computed figure
reads the same in the blueprint check, the solver's conflicts and the validator.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

Figure = int | float | Fraction
_STEP = Decimal("0.0001")


def _decimal(value: Figure) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def _text(value: Decimal, scale: int = 1) -> str:
    rounded = value.quantize(_STEP, rounding=ROUND_HALF_UP) * scale
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_number(value: Figure) -> str:
    """A count, score or difficulty as a person writes it: `3`, `2.5`, `0.3333`."""
    return _text(_decimal(value))


def format_percent(value: Figure) -> str:
    """A share (0..1) as a percentage: 0.25 → `25%`, 1/3 → `33.33%`."""
    return _text(_decimal(value), 100) + "%"
