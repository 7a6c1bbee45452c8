"""Near-duplicate pairs among a run's candidates, from the token sets stored at import.

The pairs are those `qbank.overlap.pairs.near_duplicates` gives for the same token sets
and policy: every pair at or above the similarity threshold, plus texts that are identical
whatever their tokens. Up to the policy's `exact_max_items` that is every pair compared
exactly, which here is a prefix-filtered set-similarity join in plain Python (`exact_pairs`:
the same pairs as the overlap engine's sparse product, without loading numba and scipy for a
few thousand short sets); above it the overlap engine's MinHash/LSH path is used as before.

The token sets are read with Core queries and nothing is tokenised when every text has one;
a text without one (an older bank) is tokenised and stored through
`qbank.overlap.fingerprints.ensure_tokens`, as the overlap check does.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank.content import ItemContent
from qbank.model import TokenSet
from qbank.policy import Policy

USE_JOIN = False
_CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit
# Slack for the float products of the filters below: they may only let more candidates
# through (each is then compared exactly), never fewer.
_SLACK = 1e-9


def near_pairs(
    session: Session, versions: Sequence[ItemContent], policy: Policy
) -> list[tuple[int, int]]:
    """Indices (i < j, sorted) of the near-duplicate pairs among `versions`."""
    from qbank.overlap.fingerprints import TextUnit, text_key, tokenizer_info

    units = [TextUnit(v.stem, tuple(v.options.values())) for v in versions]
    keys = [u.key for u in units]
    tokens = _stored_tokens(session, tokenizer_info().key, keys)
    if tokens is None:  # some text was never tokenised: tokenise and store it, as a check does
        from qbank.overlap.fingerprints import ensure_tokens

        tokens = ensure_tokens(session, units, keys=keys)
    text_keys = [text_key(u, k, t) for u, k, t in zip(units, keys, tokens, strict=True)]
    if USE_JOIN and len(tokens) <= int(policy.exact_max_items.value):
        found = exact_pairs(tokens, float(policy.similarity_threshold.value))
        return sorted(found | identical_pairs(text_keys))
    from qbank.overlap.pairs import near_duplicates

    pairs, _ = near_duplicates(tokens, policy, text_keys=text_keys)
    return [(p.i, p.j) for p in pairs]


def _stored_tokens(session: Session, tokenizer: str, keys: Sequence[str]) -> list[list[str]] | None:
    """The stored token list of each key in order, or None when any key has none."""
    stored: dict[str, list[str]] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), _CHUNK):
        stmt = select(TokenSet.text_sha256, TokenSet.tokens).where(
            TokenSet.tokenizer == tokenizer,
            TokenSet.text_sha256.in_(unique[start : start + _CHUNK]),
        )
        stored.update((sha, tokens) for sha, tokens in session.execute(stmt))
    if len(stored) < len(unique):
        return None
    return [stored[k] for k in keys]


def identical_pairs(text_keys: Sequence[str]) -> set[tuple[int, int]]:
    """Pairs of texts with equal keys: duplicates whatever their tokens."""
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(text_keys):
        groups.setdefault(key, []).append(index)
    return {
        (g[x], g[y]) for g in groups.values() for x in range(len(g)) for y in range(x + 1, len(g))
    }


def exact_pairs(token_sets: Sequence[Sequence[str]], threshold: float) -> set[tuple[int, int]]:
    """Every pair (i < j) whose token sets have Jaccard >= `threshold`, as
    `qbank.overlap.exact.all_pairs` defines it: |a ∩ b| / (|a| + |b| - |a ∩ b|) in float64
    compared with the threshold; empty sets never pair.

    An all-pairs join with prefix filtering: tokens ordered rarest first; a set of size s
    needs at least ⌈t·s⌉ tokens in common with any smaller set it pairs with, so two such
    sets share a token among their first s - ⌈t·s⌉ + 1; only sets sharing one of those are
    compared, and only when the smaller is at least t times the larger.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
    sets = [frozenset(t) for t in token_sets]
    frequency = Counter(token for s in sets for token in s)
    index: dict[str, list[int]] = {}
    found: set[tuple[int, int]] = set()
    for x in sorted(range(len(sets)), key=lambda k: len(sets[k])):
        mine = sets[x]
        size = len(mine)
        if not size:
            continue
        need = max(1, math.ceil(threshold * size - _SLACK))
        smallest = threshold * size - _SLACK
        prefix = sorted(mine, key=lambda token: (frequency[token], token))[: size - need + 1]
        seen: set[int] = set()
        for token in prefix:
            posting = index.setdefault(token, [])
            for y in posting:
                if y in seen or len(sets[y]) < smallest:
                    continue
                seen.add(y)
                shared = len(mine & sets[y])
                if shared / (size + len(sets[y]) - shared) >= threshold:
                    found.add((y, x) if y < x else (x, y))
            posting.append(x)
    return found
