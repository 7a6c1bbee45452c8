"""A check of a stored bank reads its tokens and signatures and gives the same report.

The second check of a bank reads the token sets and MinHash signatures stored at import with
Core queries (`qbank.overlap.stored`), re-hashes item versions from plain rows through the
fast whole-row comparison of `qbank.content`, and reports its stages. Each shortcut is held to
what it replaces: stored signatures to recomputed ones, the whole-row comparison to the
column-by-column one, the Gauss-Legendre banding areas to scipy's `quad`, union-find clusters
to scipy's connected components, `canonical_text` to `canonical_bytes`.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from test_bulk_import import OCC, records, store

from qbank.bank import find_bank
from qbank.canonical import canonical_bytes, canonical_text, content_id
from qbank.content import ITEM_COLUMNS, _same, item_version_mismatch
from qbank.db import Database, open_database
from qbank.overlap.checks import check_theory
from qbank.overlap.clusters import clusters
from qbank.overlap.fingerprints import TextUnit, tokenizer_info
from qbank.overlap.matrix import to_matrix
from qbank.overlap.minhash import signatures
from qbank.overlap.report import report_bytes, theory_report
from qbank.overlap.stored import read_signatures, read_tokens, text_keys
from qbank.overlap.units import bank_scope, context, current_item_rows, item_scope
from qbank.policy import DEFAULT_PROFILE, Policy, load_policy


def lsh_policy(tmp_path: Path) -> Policy:
    """The default policy with LSH from 50 items on (the sample scopes go through LSH)."""
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    marker = "[minhash.exact_max_items]\nvalue = 20000"
    assert marker in text
    path = tmp_path / "lsh.toml"
    path.write_text(text.replace(marker, "[minhash.exact_max_items]\nvalue = 50"), "utf-8")
    return load_policy(path)


def test_stored_signatures_and_tokens_are_what_a_check_would_compute(db: Database) -> None:
    store(db, records(240))
    policy = load_policy()
    num_perm, seed = int(policy.num_perm.value), int(policy.seed.value)
    with db.transaction() as session:
        rows = current_item_rows(session, find_bank(session, OCC, 4))
        texts = [TextUnit(r.stem, tuple(r.options.values())) for r in rows]
        keys = text_keys(texts)
        assert keys == [t.key for t in texts]
        tkey = tokenizer_info(None).key
        tokens = read_tokens(session, tkey, keys)
        assert set(tokens) == set(keys)
        stored = read_signatures(session, tkey, keys, num_perm=num_perm, seed=seed)
        assert stored.missing == []
        computed = signatures(to_matrix([tokens[k] for k in keys]), num_perm=num_perm, seed=seed)
        assert stored.rows.dtype == computed.dtype
        assert np.array_equal(stored.rows, computed)
        other = read_signatures(session, tkey, [*keys[:3], "0" * 64], num_perm=num_perm, seed=9)
        assert other.missing == [0, 1, 2, 3] and not other.rows.any()


def test_lsh_report_from_stored_signatures_is_byte_identical(db: Database, tmp_path: Path) -> None:
    store(db, records(400))
    policy = lsh_policy(tmp_path)
    seen: list[tuple[str, int, int]] = []
    with db.transaction() as session:
        bank = find_bank(session, OCC, 4)
        scoped = item_scope(session, current_item_rows(session, bank), policy, None)
        ctx = context(policy, None, "t")
        stored = theory_report(
            scoped.units,
            ctx,
            bank_scope(bank),
            sigs=scoped.signatures,
            progress=lambda *step: seen.append(step),
        )
        recomputed = theory_report(scoped.units, ctx, bank_scope(bank))
        checked = check_theory(session, bank, policy, actor="t")
    assert stored.method.name == "minhash-lsh" and stored.pairs
    assert report_bytes(stored) == report_bytes(recomputed)
    assert json.loads(report_bytes(checked))["pairs"] == json.loads(report_bytes(stored))["pairs"]
    stages = {stage: (done, total) for stage, done, total in seen}
    assert set(stages) == {"candidates", "verify"}
    assert all(done == total > 0 for done, total in stages.values())


def test_a_check_reports_each_stage_to_its_total(db: Database, tmp_path: Path) -> None:
    store(db, records(150))
    seen: list[tuple[str, int, int]] = []
    with db.transaction() as session:
        bank = find_bank(session, OCC, 4)
        check_theory(
            session, bank, lsh_policy(tmp_path), actor="t", progress=lambda *s: seen.append(s)
        )
    order = list(dict.fromkeys(stage for stage, _, _ in seen))
    # all signatures stored: they come first, tokens only for the candidates' rows
    assert order == ["signatures", "candidates", "tokenise", "verify"]
    for stage in order:
        steps = [(done, total) for s, done, total in seen if s == stage]
        assert steps[0][0] == 0 and steps[-1][0] == steps[-1][1]
        assert all(a[0] <= b[0] for a, b in pairwise(steps))


CHECK = """
import json, sys
from qbank.bank import find_bank
from qbank.db import Database
from qbank.overlap.checks import check_theory
from qbank.policy import load_policy
db = Database(sys.argv[1])
with db.transaction() as session:
    check_theory(session, find_bank(session, "6-31-01-03", 4), load_policy(sys.argv[2]), actor="t")
heavy = ("jieba", "rjieba", "scipy.sparse", "scipy.integrate", "openpyxl", "pandas")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def test_a_stored_lsh_check_loads_no_tokenizer_and_no_scipy_sparse(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'qbank.db'}"
    db = open_database(url)
    try:
        store(db, records(200))
    finally:
        db.dispose()
    lsh_policy(tmp_path)  # writes lsh.toml beside the database
    policy = tmp_path / "lsh.toml"
    done = subprocess.run(
        [sys.executable, "-c", CHECK, url, str(policy)], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []


# --- the re-hash's fast comparison against the column-by-column one -------------------------


def _row(content: dict[str, Any], **columns: Any) -> SimpleNamespace:
    """A version row holding `content`, its columns overridden by `columns`."""
    canonical = canonical_bytes(content).decode("utf-8")
    answer = content["answer"]
    values = {
        **content,
        "answer": ("true" if answer else "false") if isinstance(answer, bool) else answer,
    }
    values.update(columns)
    return SimpleNamespace(item_id=1, sha256=content_id(content), canonical=canonical, **values)


def _slow(row: SimpleNamespace, content: dict[str, Any]) -> str | None:
    """The column-by-column verdict (the comparison before the fast path)."""
    for name in ITEM_COLUMNS:
        expected = content[name]
        if name == "answer" and isinstance(expected, bool):
            expected = "true" if expected else "false"
        if not _same(getattr(row, name), expected):
            return name
    return None


@pytest.mark.parametrize(
    ("content_changes", "columns"),
    [
        ({}, {}),
        ({"difficulty": 1.0}, {"difficulty": True}),  # equal under ==, not the same value
        ({"difficulty": 1}, {"difficulty": 1.0}),  # same number
        ({"score": 2.5}, {"score": 2.5000001}),
        ({}, {"options": {"B": "输出功率", "A": "输入功率"}}),  # order is not content
        ({}, {"options": {"A": "输入功率"}}),
        ({}, {"knowledge_path": ("基础知识",)}),  # a tuple is not the list stored
        ({}, {"stem": "电动机的额定功率（已篡改）"}),
        ({}, {"answer": "C"}),
        ({"type": "judgement", "answer": True, "options": {}}, {}),
        ({"type": "judgement", "answer": True, "options": {}}, {"answer": True}),
        ({"type": "judgement", "answer": False, "options": {}}, {"answer": "true"}),
        ({"explanation": None}, {"explanation": ""}),
    ],
)
def test_fast_comparison_agrees_with_each_column(
    content_changes: dict[str, Any], columns: dict[str, Any]
) -> None:
    content = {
        "type": "single",
        "stem": "电动机的额定功率",
        "options": {"A": "输入功率", "B": "输出功率"},
        "answer": "B",
        "knowledge_code": None,
        "knowledge_path": ["基础知识"],
        "importance": None,
        "difficulty": 0.5,
        "discrimination": None,
        "score": 1.0,
        "explanation": "解析",
        "source": None,
        "author": None,
        **content_changes,
    }
    row = _row(content, **columns)
    mismatch = item_version_mismatch(row)
    assert (mismatch.detail if mismatch else None) == _slow(row, content)


def test_canonical_text_is_canonical_bytes() -> None:
    rng = random.Random(5)
    values: list[Any] = [
        {"b": 1, "a": [1.5, -0.0, 1e300, 3, True, None, 'é中\u2028"\\']},
        ["题干", ["A", "B"]],
        "plain",
        12,
        0.1,
        {"nested": {"z": {}, "y": []}},
    ]
    values += [
        {str(rng.random()): [rng.random(), rng.randint(-9, 9), chr(rng.randrange(0x4E00, 0x9FA5))]}
        for _ in range(50)
    ]
    for value in values:
        assert canonical_text(value).encode("utf-8") == canonical_bytes(value)
    with pytest.raises(ValueError):
        canonical_text({"nan": float("nan")})


def test_item_contents_keys_match_their_text_units() -> None:
    recs = records(30)
    texts = [TextUnit(r.stem, tuple(r.options.values())) for r in recs]
    assert text_keys(texts) == [t.key for t in texts]


# --- kernels' shortcuts against the scipy they replace -------------------------------------


def test_union_find_clusters_are_scipys_components() -> None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(11)
    for n, m in [(1, 0), (2, 1), (10, 4), (60, 40), (300, 250), (50, 400)]:
        i = rng.integers(0, n, m)
        j = rng.integers(0, n, m)
        graph = sp.coo_matrix((np.ones(m, dtype=np.int8), (i, j)), shape=(n, n)).tocsr()
        _count, labels = connected_components(graph, directed=False)
        expected = sorted(
            sorted(np.flatnonzero(labels == label).tolist())
            for label in np.unique(labels)
            if np.count_nonzero(labels == label) >= 2
        )
        assert clusters(n, i, j) == expected


def test_banding_without_scipy_picks_what_quad_picks() -> None:
    import math

    from qbank.overlap import lsh

    for threshold in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        for num_perm in (32, 64, 128, 256):
            for recall in (0.9, 0.99):
                best, best_area = None, math.inf
                for rows in range(1, num_perm + 1):
                    bands = lsh._min_bands(threshold, rows, recall, num_perm // rows)
                    if bands is None:
                        continue
                    area = lsh._false_positive_area(threshold, bands, rows)
                    if area < best_area:
                        best, best_area = (bands, rows), area
                lsh._optimal_params.cache_clear()
                assert lsh._optimal_params(threshold, num_perm, recall) == best
