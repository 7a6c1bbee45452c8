"""An import's token sets and MinHash signatures, computed in a worker process
(`qbank.worker`) while the import writes its rows.

A large import spends about as long tokenising and signing its new texts as writing its rows,
and neither needs the other. The worker loads the tokenizer and the MinHash kernels while the
import plans and writes, then computes each batch's token sets and signatures while the
import writes the batch's versions and audit events. The importing process stores what comes
back as it would have stored its own results: the same functions compute them
(`qbank.text.tokens.tokenize_many`, `qbank.overlap.minhash.signatures`), so the stored rows
are the same bytes (tests/test_fingerprint_worker.py compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

from qbank import worker

PARALLEL_MIN = 5_000
"""Fewest new texts for which an import starts a worker (starting one costs about a second of
CPU on the other core: loading Python, the tokenizer and the kernels)."""

Texts = Sequence[tuple[str, Sequence[str]]]
Computed = tuple[str, list[str], list[str], list[bytes]]
"""(the worker's tokenizer identity key, the distinct texts' keys (`TextUnit.key`), their
token lists as the token_sets column's JSON text (`qbank.json_column.dumps`), their
signature bytes), in key order: the order they are stored in (`fingerprints._key_order`,
which then finds them sorted), sorted here while the importing process writes. JSON text
rather than lists: one string a text pickles, unpickles and is stored at a fraction of a
list's cost."""

COMPUTE = f"{__name__}:compute"


def worth_a_worker(texts: int) -> bool:
    return texts >= PARALLEL_MIN and worker.cores() >= 2


def start(*, warm: bool = True) -> worker.Worker | None:
    """A worker that has started loading the tokenizer and kernels (with `warm`; else its first
    batch loads them), or None."""
    return worker.start_worker(warm=f"{__name__}:warm" if warm else None)


def compute(texts: Texts, num_perm: int, seed: int, clean: bool) -> Computed:
    """The keys, token lists (`tokenize_many`, as JSON text) and MinHash signatures
    (`to_bytes`) of the distinct texts of `texts`, with the default tokenizer: what the
    worker runs for each batch."""
    from qbank.json_column import dumps
    from qbank.overlap.matrix import to_matrix
    from qbank.overlap.minhash import signatures, to_bytes
    from qbank.text.keys import stored_text_key
    from qbank.text.tokens import default_tokenizer, tokenize_many

    tokenizer = default_tokenizer()
    distinct: dict[str, tuple[str, Sequence[str]]] = {}
    for stem, options in texts:
        distinct.setdefault(stored_text_key(stem, options), (stem, options))
    keys = sorted(distinct)
    tokens = tokenize_many([distinct[key] for key in keys], tokenizer=tokenizer, clean=clean)
    if not tokens:
        return tokenizer.identity.key, [], [], []
    computed = signatures(to_matrix(tokens), num_perm=num_perm, seed=seed)
    encoded = [dumps(t) for t in tokens]
    return tokenizer.identity.key, keys, encoded, [to_bytes(sig) for sig in computed]


def warm() -> None:
    """Load the default tokenizer and the kernels' compiled code before the first batch."""
    compute([("预热", ())], 2, 1, True)
