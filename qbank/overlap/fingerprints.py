"""Token sets and MinHash signatures, computed once per text and tokenizer, stored, reused.

A text unit is what the overlap checks compare: an item version's stem with its options, or a
practical task's title with its requirements. Its key is the SHA-256 of that text, so every
version (of any item, in any bank) with the same text shares one stored token set. A new
tokenizer identity (jieba upgrade, dictionary or stop-word change) has a new key, and its token
sets are computed afresh; old rows stay for the reports that used them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from qbank.canonical import content_id
from qbank.model import Signature, TokenizerRecord, TokenSet
from qbank.overlap.matrix import to_matrix
from qbank.overlap.minhash import from_bytes, signatures, to_bytes
from qbank.text.normalize import fold_text
from qbank.text.tokens import Tokenizer, default_tokenizer, tokenize_many

_CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit


@dataclass(frozen=True)
class TextUnit:
    """One text to compare: `stem` and `options` (for a task: title and requirements)."""

    stem: str
    options: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """SHA-256 of the text as stored: the token set's key."""
        return content_id([self.stem, list(self.options)])

    @property
    def folded_key(self) -> str:
        """SHA-256 of the normalised text: equal keys are duplicates whatever the tokens."""
        return content_id([fold_text(self.stem), [fold_text(o) for o in self.options]])


def register_tokenizer(session: Session, tokenizer: Tokenizer) -> str:
    key = tokenizer.identity.key
    if session.get(TokenizerRecord, key) is None:
        session.add(TokenizerRecord(key=key, identity=tokenizer.identity.record()))
        session.flush()
    return key


def ensure_tokens(
    session: Session,
    units: Sequence[TextUnit],
    *,
    tokenizer: Tokenizer | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[list[str]]:
    """Token lists of `units` in order: stored ones read, missing ones computed and stored.

    Side effects: writes token sets (and the tokenizer identity) for texts seen the first time.
    """
    tok = tokenizer or default_tokenizer()
    tkey = register_tokenizer(session, tok)
    keys = [u.key for u in units]
    stored: dict[str, list[str]] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        for text_sha, tokens in session.execute(
            select(TokenSet.text_sha256, TokenSet.tokens).where(
                TokenSet.tokenizer == tkey, TokenSet.text_sha256.in_(chunk)
            )
        ):
            stored[text_sha] = list(tokens)
    missing: dict[str, TextUnit] = {}
    for unit, key in zip(units, keys, strict=True):
        if key not in stored:
            missing.setdefault(key, unit)
    if progress is not None and len(stored):
        progress(sum(1 for k in keys if k in stored))
    if missing:
        computed = tokenize_many(
            [(u.stem, u.options) for u in missing.values()], tokenizer=tok, progress=progress
        )
        session.add_all(
            TokenSet(text_sha256=key, tokenizer=tkey, tokens=tokens)
            for key, tokens in zip(missing, computed, strict=True)
        )
        session.flush()
        stored.update(zip(missing, computed, strict=True))
    return [stored[k] for k in keys]


def ensure_signatures(
    session: Session,
    units: Sequence[TextUnit],
    tokens: Sequence[Sequence[str]],
    *,
    num_perm: int,
    seed: int,
    tokenizer: Tokenizer | None = None,
) -> np.ndarray:
    """(n, num_perm) MinHash signatures of `units`, read where stored, else computed and stored.

    Side effects: writes signatures for texts seen the first time with these parameters.
    """
    tkey = (tokenizer or default_tokenizer()).identity.key
    keys = [u.key for u in units]
    unique = sorted(set(keys))
    stored: dict[str, np.ndarray] = {}
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = session.execute(
            select(Signature.text_sha256, Signature.data).where(
                tuple_(Signature.tokenizer, Signature.num_perm, Signature.seed)
                == (tkey, num_perm, seed),
                Signature.text_sha256.in_(chunk),
            )
        )
        for text_sha, data in rows:
            stored[text_sha] = from_bytes(data, num_perm)
    missing = [i for i, k in enumerate(keys) if k not in stored]
    if missing:
        computed = signatures(to_matrix([tokens[i] for i in missing]), num_perm=num_perm, seed=seed)
        fresh: dict[str, np.ndarray] = {}
        for row, i in enumerate(missing):
            fresh.setdefault(keys[i], computed[row])
        session.add_all(
            Signature(text_sha256=k, tokenizer=tkey, num_perm=num_perm, seed=seed, data=to_bytes(v))
            for k, v in fresh.items()
        )
        session.flush()
        stored.update(fresh)
    if not keys:
        return np.empty((0, num_perm), dtype=np.uint32)
    return np.stack([stored[k] for k in keys])
