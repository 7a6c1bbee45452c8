"""Near-duplicate pairs among assembly's candidates, from the token sets stored at import.

Assembly needs the pairs of one bank's filed versions at or above the policy's similarity
threshold, exactly as the overlap engine (`qbank.overlap.pairs.near_duplicates`) defines them:
token-set Jaccard `inter / (|a| + |b| - inter)` compared with the threshold as floats, empty
sets never pairing, texts with the same key always pairing. For scopes the engine compares
exactly (`policy.exact_max_items` and fewer), this module finds the same pairs with numpy alone
(prefix filtering: two sets reaching the threshold share one of the rarest tokens of each, so
only sets sharing a rare token are compared, each pair exactly), reading the stored token sets
with Core queries, under the tokenizer identity this installation recorded. The engine
(numba, scipy) and the tokenizer are loaded only when that record is missing, a text has no
stored token set or the scope is large enough for the engine's LSH path, whose pairs this
module does not imitate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy.orm import Session

from qbank.canonical import canonical_text
from qbank.content import ItemContent
from qbank.policy import Policy
from qbank.text.normalize import fold_text

CHUNK = 900
"""Keys per `IN (...)` query: within SQLite's oldest variable limit (999)."""

_CHUNK_PAIRS = 1 << 16
"""Candidate pairs compared per step (bounds the bit rows gathered at once)."""

_ROUNDING = 1e-9
"""How far below t × |s| the overlap a set needs is taken: a longer prefix only adds
candidates (each compared exactly), a shorter one would lose pairs to rounding."""


def near_pairs(
    session: Session, versions: Sequence[ItemContent], policy: Policy
) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of indexes into `versions` whose texts are near-duplicates under
    `policy`, sorted: the pairs `near_duplicates` gives for the same texts.

    Side effects: only when a text has no stored token set, the engine tokenises and stores it.
    """
    texts = [(v.stem, tuple(v.options.values())) for v in versions]
    keys = text_keys(texts)
    tokens = stored_tokens(session, _tokenizer_key(), keys)
    if tokens is None or len(texts) > int(policy.exact_max_items.value):
        return _engine_pairs(session, texts, keys, policy)
    folded = [
        k if t else _folded_key(s, o) for (s, o), k, t in zip(texts, keys, tokens, strict=True)
    ]
    found = similar_pairs(tokens, float(policy.similarity_threshold.value))
    found |= same_key_pairs(folded)
    return sorted(found)


def text_keys(texts: Sequence[tuple[str, tuple[str, ...]]]) -> list[str]:
    """The stored token sets' key of each (stem, options) text: the SHA-256 of its canonical
    JSON `[stem, [options…]]` (`qbank.overlap.fingerprints.TextUnit.key`)."""
    return [
        hashlib.sha256(canonical_text([stem, list(options)]).encode("utf-8")).hexdigest()
        for stem, options in texts
    ]


def _folded_key(stem: str, options: tuple[str, ...]) -> str:
    """`TextUnit.folded_key`: equal for texts equal once normalised (those without tokens)."""
    folded = canonical_text([fold_text(stem), [fold_text(o) for o in options]])
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _tokenizer_key() -> str:
    """The default tokenizer's identity key, as the overlap checks and imports store it:
    `qbank.overlap.fingerprints` reads it from this installation's record without loading
    the tokenizer (or numba) when the tokenizer has been loaded here before."""
    from qbank.overlap.fingerprints import tokenizer_info

    return tokenizer_info(None).key


def stored_tokens(
    session: Session, tokenizer: str, keys: Sequence[str]
) -> list[frozenset[str]] | None:
    """The stored token set of every key under `tokenizer`, in order; None when one has none
    or holds anything but a list of tokens (then the pairs come from the texts)."""
    from qbank.overlap.fingerprints import stored_token_lists

    unique = sorted(set(keys))
    stored: dict[str, frozenset[str]] = {}
    for _, rows in stored_token_lists(session, tokenizer, unique, CHUNK):
        for key, tokens in rows:
            if tokens is None:
                return None
            stored[key] = frozenset(tokens)
    if len(stored) < len(unique):
        return None
    return [stored[k] for k in keys]


def similar_pairs(sets: Sequence[frozenset[str]], threshold: float) -> set[tuple[int, int]]:
    """Every pair (i, j), i < j, of non-empty sets with Jaccard >= `threshold` (0 < t <= 1).

    Prefix filtering (Bayardo et al., "Scaling up all pairs similarity search", and the
    positional filter of PPJoin): tokens are ranked rarest first; two sets reaching the
    threshold share their rarest common token within the first |s| − ceil(t·|s|) + 1 tokens
    of each (of the smaller one, within |s| − ceil(2t/(1+t)·|s|) + 1), and their sizes are
    within a factor t. Candidates are the pairs sharing such a token; a candidate is dropped
    when the tokens it shares up to its last shared prefix token plus what both have after it
    cannot reach the threshold; the rest are compared exactly on bit sets of their tokens.
    """
    import numpy as np  # loaded with the solver anyway

    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
    ranked = _Ranked(sets)
    found: set[tuple[int, int]] = set()
    x, y = _candidates(ranked, threshold)
    sizes = ranked.sizes
    for start in range(0, len(x), _CHUNK_PAIRS):
        a, b = x[start : start + _CHUNK_PAIRS], y[start : start + _CHUNK_PAIRS]
        inter = np.bitwise_count(ranked.bits[a] & ranked.bits[b]).sum(axis=1, dtype=np.int64)
        union = sizes[a] + sizes[b] - inter
        keep = (inter > 0) & (inter / np.maximum(union, 1) >= threshold)
        found.update(zip(a[keep].tolist(), b[keep].tolist(), strict=True))
    return found


class _Ranked:
    """The sets as arrays: each set's token ranks ascending (rarest first) in `ranks`, set by
    set (`row`, `start`, `sizes`), and as rows of bits over the tokens of more than one set
    (a token of one set is in no intersection)."""

    def __init__(self, sets: Sequence[frozenset[str]]) -> None:
        import numpy as np

        flat = list(chain.from_iterable(sets))
        index = {t: n for n, t in enumerate(dict.fromkeys(flat))}
        ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
        self.sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
        frequency = np.bincount(ids, minlength=len(index))
        rank_of = np.empty(len(index), dtype=np.int64)
        rank_of[np.argsort(frequency, kind="stable")] = np.arange(len(index))
        self.row = np.repeat(np.arange(len(sets)), self.sizes)
        offset = self.row * max(len(index), 1)
        self.ranks = np.sort(offset + rank_of[ids]) - offset  # set by set, rarest first
        self.start = np.cumsum(self.sizes) - self.sizes
        once = int(np.count_nonzero(frequency == 1))  # ranks below are tokens of one set
        words = max(1, (len(index) - once + 63) // 64)
        self.bits = np.zeros((len(sets), words), dtype=np.uint64)
        shared = self.ranks >= once
        column = self.ranks[shared] - once
        np.bitwise_or.at(
            self.bits,
            (self.row[shared], column >> 6),
            np.left_shift(np.uint64(1), (column & 63).astype(np.uint64)),
        )


def _candidates(ranked: _Ranked, threshold: float) -> tuple[Any, Any]:
    """Pairs (x, y), x < y, as two arrays: each pair once, those the prefix, size and
    positional filters leave."""
    import numpy as np

    sizes = ranked.sizes
    probe = np.where(sizes > 0, sizes - _at_least(threshold * sizes) + 1, 0)
    indexed = np.where(sizes > 0, sizes - _at_least(2 * threshold / (1 + threshold) * sizes) + 1, 0)
    position = np.arange(len(ranked.ranks)) - ranked.start[ranked.row]
    take = position < probe[ranked.row]
    row, token, pos = ranked.row[take], ranked.ranks[take], position[take]
    size = sizes[row]
    order = np.lexsort((row, size, token))
    row, token, pos, size = row[order], token[order], pos[order], size[order]
    # the partners of entry e: later entries of its token, of a size at most |e| / t, when e
    # (the smaller set) has the token within its indexed prefix
    span = int(sizes.max(initial=0)) + 1
    key = token * span + size
    reach = np.minimum(np.floor(size / threshold * (1 + _ROUNDING)), span - 1).astype(np.int64)
    stop = np.searchsorted(key, token * span + reach, side="right")
    count = np.where(pos < indexed[row], np.maximum(stop - np.arange(len(key)) - 1, 0), 0)
    left = np.repeat(np.arange(len(key)), count)
    right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(count) - count, count)
    del key, stop, count
    return _positional(ranked, threshold, row[left], row[right], pos[left], pos[right])


def _positional(
    ranked: _Ranked, threshold: float, a: Any, b: Any, pos_a: Any, pos_b: Any
) -> tuple[Any, Any]:
    """Each pair once, kept when its shared prefix tokens (c, the last at positions i, j)
    and what follows (at most min(|a| − i, |b| − j) − 1) can reach the overlap the
    threshold needs: ceil(t / (1 + t) · (|a| + |b|))."""
    import numpy as np

    n = len(ranked.sizes)
    low, high = np.minimum(a, b), np.maximum(a, b)
    swap = a > b
    pos_low, pos_high = np.where(swap, pos_b, pos_a), np.where(swap, pos_a, pos_b)
    pair = low * n + high
    order = np.argsort(pair, kind="stable")
    pair, pos_low, pos_high = pair[order], pos_low[order], pos_high[order]
    first = np.flatnonzero(np.diff(pair, prepend=-1) != 0)
    if not len(first):
        return pair, pair
    count = np.diff(first, append=len(pair))
    last_low = np.maximum.reduceat(pos_low, first)
    last_high = np.maximum.reduceat(pos_high, first)
    pair = pair[first]
    x, y = pair // n, pair % n
    sizes = ranked.sizes
    bound = count + np.minimum(sizes[x] - last_low, sizes[y] - last_high) - 1
    keep = bound >= _at_least(threshold / (1 + threshold) * (sizes[x] + sizes[y]))
    return x[keep], y[keep]


def _at_least(values: Any) -> Any:
    """ceil of each value taken a hair low (never above the true figure: rounding can only
    add candidates, each compared exactly), at least 1."""
    import numpy as np

    return np.maximum(1, np.ceil(values * (1 - _ROUNDING)).astype(np.int64))


def same_key_pairs(keys: Sequence[str]) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, of texts with the same key: duplicates whatever their tokens."""
    groups: dict[str, list[int]] = {}
    for n, key in enumerate(keys):
        groups.setdefault(key, []).append(n)
    return {
        (g[a], g[b]) for g in groups.values() for a in range(len(g)) for b in range(a + 1, len(g))
    }


def _engine_pairs(
    session: Session,
    texts: Sequence[tuple[str, tuple[str, ...]]],
    keys: Sequence[str],
    policy: Policy,
) -> list[tuple[int, int]]:
    """The overlap engine's pairs: tokens computed and stored where missing, LSH above
    `exact_max_items` (loads numba and scipy, and the tokenizer when a text has no tokens)."""
    from qbank.overlap.fingerprints import TextUnit, ensure_tokens, text_key
    from qbank.overlap.pairs import near_duplicates

    units = [TextUnit(stem, options) for stem, options in texts]
    tokens = ensure_tokens(session, units, keys=keys)
    folded = [text_key(u, k, t) for u, k, t in zip(units, keys, tokens, strict=True)]
    pairs, _ = near_duplicates(tokens, policy, text_keys=folded)
    return [(p.i, p.j) for p in pairs]
