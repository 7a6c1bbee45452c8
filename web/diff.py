"""Character-level differences of two texts for side-by-side display (rapidfuzz opcodes)."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Indel, Levenshtein


@dataclass(frozen=True)
class Span:
    """A run of one side's text: `kind` is "same", "del" (only on the left), "ins" (only on the
    right) or "change" (differs on both sides)."""

    kind: str
    text: str


def side_by_side(left: str, right: str) -> tuple[list[Span], list[Span]]:
    """The two texts cut into spans, each marked as equal or differing."""
    a: list[Span] = []
    b: list[Span] = []
    for op in Levenshtein.opcodes(left, right):
        if op.tag == "equal":
            a.append(Span("same", left[op.src_start : op.src_end]))
            b.append(Span("same", right[op.dest_start : op.dest_end]))
        elif op.tag == "delete":
            a.append(Span("del", left[op.src_start : op.src_end]))
        elif op.tag == "insert":
            b.append(Span("ins", right[op.dest_start : op.dest_end]))
        else:
            a.append(Span("change", left[op.src_start : op.src_end]))
            b.append(Span("change", right[op.dest_start : op.dest_end]))
    return _merged(a), _merged(b)


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        if out and out[-1].kind == span.kind:
            out[-1] = Span(span.kind, out[-1].text + span.text)
        elif span.text:
            out.append(span)
    return out


def similarity(left: str, right: str) -> float:
    """Indel similarity in [0, 1] (1 = the same text), for display next to the overlap score."""
    return float(Indel.normalized_similarity(left, right))
