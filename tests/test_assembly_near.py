"""Assembly's near-duplicate pairs (qbank.assembly.near) are the overlap engine's pairs, found
from the stored token sets without loading the engine (issue #12)."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import copy_filed_bank
from sqlalchemy.orm import Session

from qbank.assembly.filed import filed_items
from qbank.assembly.near import near_pairs, same_key_pairs, similar_pairs
from qbank.bank import find_bank
from qbank.content import ItemContent
from qbank.db import open_database
from qbank.overlap.fingerprints import TextUnit, ensure_tokens, text_key
from qbank.overlap.pairs import near_duplicates
from qbank.policy import Value, load_policy

ROOT = Path(__file__).resolve().parent.parent


def token_sets(seed: int, count: int) -> list[list[str]]:
    """Texts of 0–40 tokens over a skewed vocabulary, a third of them edits of an earlier one
    (0–4 tokens replaced, dropped or added), some repeated exactly."""
    rng = random.Random(seed)
    vocabulary = [f"t{n}" for n in range(400)]
    weights = [1 / (n + 1) for n in range(400)]
    out: list[list[str]] = []
    for _ in range(count):
        if out and rng.random() < 0.35:
            base = list(rng.choice(out))
            for _ in range(rng.randint(0, 4)):
                move = rng.random()
                if base and move < 0.4:
                    base[rng.randrange(len(base))] = rng.choices(vocabulary, weights)[0]
                elif base and move < 0.7:
                    base.pop(rng.randrange(len(base)))
                else:
                    base.append(rng.choices(vocabulary, weights)[0])
            out.append(base)
        else:
            out.append(rng.choices(vocabulary, weights, k=rng.randint(0, 40)))
    return out


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.75, 0.9, 1.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_pairs_as_the_engine(threshold: float, seed: int) -> None:
    # At 0.1 nearly every pair of 1,500 texts qualifies and the engine's exact comparison of
    # ~10^6 pairs costs 14 s; 500 texts show the same agreement.
    tokens = token_sets(seed, 500 if threshold < 0.3 else 1500)
    keys = [f"k{n % (len(tokens) - 100)}" for n in range(len(tokens))]  # some share a key
    policy = replace(load_policy(), similarity_threshold=Value(threshold, "test"))
    engine, _ = near_duplicates(tokens, policy, text_keys=keys)
    mine = similar_pairs([frozenset(t) for t in tokens], threshold) | same_key_pairs(keys)
    assert sorted(mine) == [(p.i, p.j) for p in engine]
    assert len(engine) > 50  # the texts do pair


def test_no_pair_without_a_shared_token_and_empty_sets_never_pair() -> None:
    sets = [frozenset(), frozenset(), frozenset({"a"}), frozenset({"a"}), frozenset({"b"})]
    assert similar_pairs(sets, 1.0) == {(2, 3)}
    assert similar_pairs(sets, 0.01) == {(2, 3)}
    with pytest.raises(ValueError):
        similar_pairs(sets, 0.0)


def test_the_sample_banks_pairs_as_the_engine_finds_them(
    filed_bank_db: Path, tmp_path: Path
) -> None:
    policy = load_policy()
    with _filed_versions(filed_bank_db, tmp_path) as (session, versions):
        units = [TextUnit(v.stem, tuple(v.options.values())) for v in versions]
        keys = [u.key for u in units]
        tokens = ensure_tokens(session, units, keys=keys)
        folded = [text_key(u, k, t) for u, k, t in zip(units, keys, tokens, strict=True)]
        engine, _ = near_duplicates(tokens, policy, text_keys=folded)
        assert near_pairs(session, versions, policy) == [(p.i, p.j) for p in engine]
        assert engine  # the sample bank has near-duplicates


@contextmanager
def _filed_versions(
    filed_bank_db: Path, tmp_path: Path
) -> Iterator[tuple[Session, list[ItemContent]]]:
    """A session on a copy of the filed sample bank, and its filed versions' contents."""
    db = open_database(str(copy_filed_bank(filed_bank_db, tmp_path)))
    try:
        with db.transaction() as session:
            bank = find_bank(session, "6-31-01-03", 4)
            yield session, [content for _, content in filed_items(session, bank)]
    finally:
        db.dispose()


def test_pairs_from_stored_tokens_load_neither_the_engine_nor_a_tokenizer(
    filed_bank_db: Path, tmp_path: Path
) -> None:
    path = copy_filed_bank(filed_bank_db, tmp_path)
    code = (
        "import sys\n"
        "from qbank.assembly.filed import filed_items\n"
        "from qbank.assembly.near import near_pairs\n"
        "from qbank.bank import find_bank\n"
        "from qbank.db import open_database\n"
        "from qbank.policy import Value, load_policy\n"
        f"db = open_database({str(path)!r})\n"
        "with db.transaction() as session:\n"
        "    bank = find_bank(session, '6-31-01-03', 4)\n"
        "    versions = [c for _, c in filed_items(session, bank)]\n"
        "    print(len(near_pairs(session, versions, load_policy())))\n"
        "heavy = ('numba', 'scipy', 'jieba', 'rjieba', 'qbank.overlap.pairs', 'qbank.text.tokens')\n"
        "print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split("\n")
    assert int(out[0]) > 0
    assert out[1] == "[]"


@pytest.mark.parametrize(
    "crafted",
    [
        ['["a"', '"b"]', '"c"],["d"'],  # joined into one array, three rows still three sets
        ['{"a": 1}'],  # a mapping
        ['["a", 1]'],  # a number among the tokens
        ["not json"],
    ],
    ids=["shifted", "mapping", "number", "text"],
)
def test_stored_token_sets_that_an_import_never_writes_are_not_used(
    filed_bank_db: Path, tmp_path: Path, crafted: list[str]
) -> None:
    """A hostile database's token-set rows: each row is decoded on its own, so no row's
    tokens become another's; a row that is not a list of strings counts as missing, and the
    pairs come from the texts, as the engine finds them."""
    from hostile import unprotect
    from sqlalchemy import text

    from qbank.assembly.near import _tokenizer_key, stored_tokens, text_keys

    policy = load_policy()
    with _filed_versions(filed_bank_db, tmp_path) as (session, versions):
        keys = text_keys([(v.stem, tuple(v.options.values())) for v in versions])
        honest = near_pairs(session, versions, policy)
        assert stored_tokens(session, _tokenizer_key(), keys) is not None
        unprotect(session, "token_sets")
        for key, value in zip(keys, crafted, strict=False):
            session.execute(
                text("UPDATE token_sets SET tokens = :v WHERE text_sha256 = :k"),
                {"v": value, "k": key},
            )
        assert stored_tokens(session, _tokenizer_key(), keys) is None
        assert near_pairs(session, versions, policy) == honest
