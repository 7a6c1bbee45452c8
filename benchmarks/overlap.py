"""Overlap engine benchmark: qbank's kernels side by side with jieba, datasketch and rensa.

    python benchmarks/overlap.py --items 10000 [--json]

Builds a synthetic Chinese item bank: stems and options assembled from the words of the
hand-written electrician items in samples/source/items/*.yaml (drawn by their frequency, joined
by stop-word connectors), with planted near-duplicates (copies with 0-3 words replaced, each in
the same 20,000-item block as its source). Then measures, in one run:

- tokenisation items/s: raw jieba precise mode, qbank's Tokenizer (rjieba), and tokenize_many
  (one process) on a sample. The "stored tokens" of the whole corpus are each item's words (every word
  is one token of the Tokenizer); the table reports how often that equals real tokenisation on
  the sample (`--tokenize-all` tokenises everything instead);
- MinHash items/s: qbank (numba) vs datasketch MinHash.bulk vs rensa's bulk matrix, with a
  bit-identity check of qbank against datasketch;
- LSH candidate generation: qbank vs datasketch MinHashLSH (insert + query every item) with
  the same bands and rows, on all items up to --lsh-cap; above it on two subsets, fitted to
  items and candidate pairs and predicted for N (the table says which);
- recall and precision at the threshold against exact all-pairs on a sample (default 20,000);
- a full check from stored tokens: to_matrix -> signatures -> candidates -> verify -> clusters.

Prints one table; `--json` prints the figures instead.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml
from scipy.optimize import nnls

from qbank.overlap.clusters import clusters, repetition
from qbank.overlap.exact import all_pairs, verify
from qbank.overlap.lsh import _recall, candidates, lsh_params
from qbank.overlap.matrix import TokenMatrix, to_matrix
from qbank.overlap.minhash import signatures
from qbank.text.tokens import default_tokenizer, tokenize_many

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ITEMS = ROOT / "samples" / "source" / "items"
BLOCK = 20_000  # planted copies stay in their source's block, so a 20k sample keeps its pairs
CONNECTORS = ["的", "在", "与", "和", "对", "是", "中", "时", "，"]
T = TypeVar("T")


@dataclass
class Corpus:
    """Items as word ids: ``words[ptr[k]:ptr[k+1]]`` is item k; segment 0 is the stem."""

    vocab: list[str]
    words: np.ndarray
    ptr: np.ndarray
    stem_len: np.ndarray
    options: np.ndarray  # number of options (0 for judgement items), each a run of 1-3 words
    planted: int

    @property
    def n(self) -> int:
        return len(self.ptr) - 1

    def token_sets(self, rows: range | None = None) -> list[list[str]]:
        """The stored tokens: each item's distinct words, sorted."""
        vocab = self.vocab
        words = self.words.tolist()
        ptr = self.ptr.tolist()
        rows = range(self.n) if rows is None else rows
        return [sorted({vocab[w] for w in words[ptr[k] : ptr[k + 1]]}) for k in rows]

    def texts(self, rows: range, seed: int) -> list[tuple[str, list[str]]]:
        """(stem, options) texts as an importer would hand them to the tokenizer."""
        rng = np.random.default_rng(seed)
        out = []
        for k in rows:
            ids = [self.vocab[w] for w in self.words[self.ptr[k] : self.ptr[k + 1]]]
            stem_words = ids[: self.stem_len[k]]
            joins = rng.choice(CONNECTORS, size=max(len(stem_words) - 1, 0))
            stem = "".join(w + c for w, c in zip(stem_words, [*joins, ""], strict=True))
            rest = ids[self.stem_len[k] :]
            options: list[str] = []
            if self.options[k]:
                picks = rng.choice(np.arange(1, len(rest)), self.options[k] - 1, replace=False)
                cuts = [0, *np.sort(picks).tolist(), len(rest)]
                options = ["".join(rest[a:b]) for a, b in itertools.pairwise(cuts)]
            out.append((stem + "（ ）。", options))
        return out


def sample_vocabulary() -> tuple[list[str], np.ndarray]:
    """Words of the sample electrician items (tokens with a CJK character) and frequencies."""
    tok = default_tokenizer()
    counts: Counter[str] = Counter()
    for path in sorted(SAMPLE_ITEMS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data.get("items", []):
            options = item.get("options") or {}
            texts = list(options.values()) if isinstance(options, dict) else list(options)
            counts.update(tok.item_tokens(item["stem"], [str(t) for t in texts]))
    words = sorted(w for w in counts if any("\u4e00" <= ch <= "\u9fff" for ch in w))
    return words, np.array([counts[w] for w in words], dtype=np.float64)


def build_corpus(n: int, seed: int, planted_share: float = 0.1) -> Corpus:
    vocab, freq = sample_vocabulary()
    p = freq**0.8 / (freq**0.8).sum()
    rng = np.random.default_rng(seed)
    lengths: list[np.ndarray] = []
    stems: list[np.ndarray] = []
    opts: list[np.ndarray] = []
    flats: list[np.ndarray] = []
    planted = 0
    for start in range(0, n, BLOCK):
        size = min(BLOCK, n - start)
        copies = int(size * planted_share) if size > 1 else 0
        base = size - copies
        stem_len = rng.integers(8, 17, size=base)
        options = np.where(rng.random(base) < 0.3, 0, 4)
        option_words = np.array([rng.integers(1, 4, size=k).sum() if k else 0 for k in options])
        length = stem_len + option_words
        flat = rng.choice(len(vocab), size=int(length.sum()), p=p)
        ptr = np.concatenate([[0], np.cumsum(length)])
        # Planted near-duplicates: a base item with 0-3 of its words replaced.
        src = rng.integers(0, base, size=copies)
        changes = rng.choice(4, size=copies, p=[0.2, 0.4, 0.25, 0.15])
        pieces = [flat]
        for s, m in zip(src.tolist(), changes.tolist(), strict=True):
            words = flat[ptr[s] : ptr[s + 1]].copy()
            if m:
                words[rng.choice(len(words), size=min(m, len(words)), replace=False)] = rng.choice(
                    len(vocab), size=min(m, len(words)), p=p
                )
            pieces.append(words)
        block_len = np.concatenate([length, length[src]])
        block_stem = np.concatenate([stem_len, stem_len[src]])
        block_opts = np.concatenate([options, options[src]])
        block_flat = np.concatenate(pieces)
        block_ptr = np.concatenate([[0], np.cumsum(block_len)])
        order = rng.permutation(size)
        gather = (
            np.concatenate([np.arange(block_ptr[k], block_ptr[k + 1]) for k in order])
            if size
            else np.empty(0, np.int64)
        )
        flats.append(block_flat[gather])
        lengths.append(block_len[order])
        stems.append(block_stem[order])
        opts.append(block_opts[order])
        planted += copies
    length = np.concatenate(lengths) if lengths else np.empty(0, np.int64)
    return Corpus(
        vocab=vocab,
        words=np.concatenate(flats) if flats else np.empty(0, np.int64),
        ptr=np.concatenate([[0], np.cumsum(length)]).astype(np.int64),
        stem_len=np.concatenate(stems) if stems else np.empty(0, np.int64),
        options=np.concatenate(opts) if opts else np.empty(0, np.int64),
        planted=planted,
    )


def timed(func: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def best_of(func: Callable[[], T], repeat: int = 3) -> tuple[T, float]:
    """Fastest of a few runs (the machine is shared; the first run also pays page faults)."""
    result, best = timed(func)
    for _ in range(repeat - 1):
        result, seconds = timed(func)
        best = min(best, seconds)
    return result, best


def pair_set(i: np.ndarray, j: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(i.tolist(), j.tolist(), strict=True))


def bench_tokenize(corpus: Corpus, cap: int, seed: int) -> tuple[dict[str, Any], list[list[str]]]:
    import jieba

    rows = range(min(corpus.n, cap))
    texts = corpus.texts(rows, seed)
    serial = texts[: min(len(texts), 5000)]
    tok = default_tokenizer()
    jb = jieba.Tokenizer()
    jb.initialize()
    _, t_jieba = timed(
        lambda: [
            [jb.lcut(s, HMM=False), *(jb.lcut(o, HMM=False) for o in opts)] for s, opts in serial
        ]
    )
    _, t_serial = timed(lambda: [tok.item_tokens(s, opts) for s, opts in serial])
    tokens, t_many = timed(lambda: tokenize_many(texts))
    derived = corpus.token_sets(rows)
    same = sum(a == b for a, b in zip(tokens, derived, strict=True))
    jac = [
        len(set(a) & set(b)) / max(len(set(a) | set(b)), 1)
        for a, b in zip(tokens, derived, strict=True)
    ]
    return {
        "sample": len(texts),
        "serial_sample": len(serial),
        "jieba_items_per_s": len(serial) / t_jieba,
        "tokenizer_items_per_s": len(serial) / t_serial,
        "tokenize_many_items_per_s": len(texts) / t_many,
        "tokenize_many_s": t_many,
        "stored_equal_share": same / max(len(texts), 1),
        "stored_mean_jaccard": float(np.mean(jac)) if jac else 1.0,
    }, tokens


def bench_minhash(
    token_sets: list[list[str]],
    matrix: TokenMatrix,
    num_perm: int,
    seed: int,
    ds_cap: int,
    rensa_cap: int,
) -> tuple[dict[str, Any], np.ndarray]:
    import rensa
    from datasketch import MinHash

    signatures(matrix.take([0]), num_perm=num_perm, seed=seed)  # compile / load the kernel
    sigs, t_q = best_of(lambda: signatures(matrix, num_perm=num_perm, seed=seed))
    n = matrix.n
    ds_rows = min(n, ds_cap)
    encoded = [[t.encode("utf-8") for t in s] for s in token_sets[:ds_rows]]
    ds, t_ds = timed(lambda: MinHash.bulk(encoded, num_perm=num_perm, seed=seed))
    identical = (
        bool(np.array_equal(np.stack([m.hashvalues for m in ds]), sigs[:ds_rows]))
        if ds_rows
        else True
    )
    r_rows = min(n, rensa_cap)
    r_sets = token_sets[:r_rows]
    _, t_r = best_of(lambda: rensa.RMinHash.digest_matrix_from_token_sets(r_sets, num_perm, seed))
    _, t_m = timed(lambda: to_matrix(token_sets))
    q = n / t_q
    return {
        "qbank_items_per_s": q,
        "qbank_with_to_matrix_items_per_s": n / (t_q + t_m),
        "datasketch_bulk_items_per_s": ds_rows / t_ds,
        "datasketch_rows": ds_rows,
        "rensa_items_per_s": r_rows / t_r,
        "rensa_rows": r_rows,
        "vs_datasketch": q / (ds_rows / t_ds),
        "vs_rensa": q / (r_rows / t_r),
        "identical_to_datasketch": identical,
    }, sigs


def bench_lsh(
    sigs: np.ndarray, bands: int, rows: int, threshold: float, num_perm: int, seed: int, cap: int
) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH

    n = len(sigs)
    candidates(sigs[:100], bands, rows)  # compile / load
    (ci, _cj), t_q = best_of(lambda: candidates(sigs, bands, rows))
    sub = min(n, cap)
    objs = [
        MinHash(num_perm=num_perm, seed=seed, hashvalues=sigs[k], scheme="affine32")
        for k in range(sub)
    ]

    def datasketch_pairs(count: int) -> set[tuple[int, int]]:
        index = MinHashLSH(threshold=threshold, num_perm=num_perm, params=(bands, rows))
        for k in range(count):
            index.insert(k, objs[k])
        found = set()
        for k in range(count):
            for other in index.query(objs[k]):
                if other != k:
                    found.add((min(k, other), max(k, other)))
        return found

    ds_pairs, t_ds = timed(lambda: datasketch_pairs(sub))
    si, sj = candidates(sigs[:sub], bands, rows)
    if sub == n:
        t_full, how = t_ds, "measured"
    else:
        # Its cost grows with items and with bucket collisions (candidate pairs), and pairs grow
        # faster than items: fit t = a * items + b * pairs (a, b >= 0) on two subsets.
        half = sub // 2
        _, t_half = timed(lambda: datasketch_pairs(half))
        p_half = len(candidates(sigs[:half], bands, rows)[0])
        coef, _residual = nnls(
            np.array([[half, p_half], [sub, len(si)]], dtype=float), np.array([t_half, t_ds])
        )
        t_full, how = float(coef[0] * n + coef[1] * len(ci)), "fit a*items+b*pairs"
    return {
        "candidates": len(ci),
        "qbank_s": t_q,
        "qbank_items_per_s": n / t_q,
        "datasketch_rows": sub,
        "datasketch_subset_s": t_ds,
        "datasketch_items_per_s": sub / t_ds,
        "datasketch_full_s": t_full,
        "datasketch_full_how": how,
        "vs_datasketch": t_full / t_q,
        "same_candidates_as_datasketch": pair_set(si, sj) == ds_pairs,
    }


def bench_accuracy(
    matrix: TokenMatrix, sigs: np.ndarray, bands: int, rows: int, threshold: float, size: int
) -> dict[str, Any]:
    sample = matrix.take(np.arange(min(matrix.n, size)))
    all_pairs(sample.take([0, 1]), threshold)  # compile / load
    (ei, ej, es), t_exact = timed(lambda: all_pairs(sample, threshold))
    ci, cj = candidates(sigs[: sample.n], bands, rows)
    vi, vj, vs = verify(sample, ci, cj, threshold)
    truth = pair_set(ei, ej)
    cand = pair_set(ci, cj)
    hit = len(truth & cand)
    exact = dict(zip(zip(ei.tolist(), ej.tolist(), strict=True), es.tolist(), strict=True))
    agree = all(
        exact.get(p) == s
        for p, s in zip(zip(vi.tolist(), vj.tolist(), strict=True), vs.tolist(), strict=True)
    )
    return {
        "sample": sample.n,
        "exact_pairs": len(truth),
        "exact_all_pairs_s": t_exact,
        "candidates": len(cand),
        "recall": hit / len(truth) if truth else 1.0,
        "candidate_precision": hit / len(cand) if cand else 1.0,
        "verified_precision": 1.0 if agree else 0.0,
        "verified_pairs": len(vi),
    }


def full_check(
    token_sets: list[list[str]], num_perm: int, seed: int, threshold: float
) -> dict[str, Any]:
    stages: dict[str, float] = {}
    start = time.perf_counter()
    matrix, stages["to_matrix"] = timed(lambda: to_matrix(token_sets))
    sigs, stages["signatures"] = timed(lambda: signatures(matrix, num_perm=num_perm, seed=seed))
    bands, rows = lsh_params(threshold, num_perm)
    (ci, cj), stages["candidates"] = timed(lambda: candidates(sigs, bands, rows))
    (vi, vj, _vs), stages["verify"] = timed(lambda: verify(matrix, ci, cj, threshold))
    found, stages["clusters"] = timed(lambda: clusters(matrix.n, vi, vj))
    total = time.perf_counter() - start
    numerator, denominator = repetition(matrix.n, found)
    return {
        "seconds": total,
        "stages_s": stages,
        "from_matrix_s": total - stages["to_matrix"],
        "pairs": len(vi),
        "clusters": len(found),
        "numerator": numerator,
        "denominator": denominator,
        "rate": numerator / denominator if denominator else 0.0,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    corpus, t_build = timed(lambda: build_corpus(args.items, args.seed))
    tokenize, tokens = bench_tokenize(corpus, args.tokenize_cap, args.seed)
    if args.tokenize_all:
        token_sets, t_all = timed(lambda: tokenize_many(corpus.texts(range(corpus.n), args.seed)))
        tokenize["all_items_s"] = t_all
    else:
        token_sets = corpus.token_sets()
    del tokens
    matrix = to_matrix(token_sets)
    bands, rows = lsh_params(args.threshold, args.num_perm)
    minhash, sigs = bench_minhash(
        token_sets, matrix, args.num_perm, args.seed, args.datasketch_cap, args.rensa_cap
    )
    lsh = bench_lsh(sigs, bands, rows, args.threshold, args.num_perm, args.seed, args.lsh_cap)
    accuracy = bench_accuracy(matrix, sigs, bands, rows, args.threshold, args.sample)
    del sigs, matrix
    check = full_check(token_sets, args.num_perm, args.seed, args.threshold)
    return {
        "items": corpus.n,
        "planted": corpus.planted,
        "vocabulary": len(corpus.vocab),
        "mean_tokens": float(np.mean([len(s) for s in token_sets])) if token_sets else 0.0,
        "build_s": t_build,
        "threshold": args.threshold,
        "num_perm": args.num_perm,
        "seed": args.seed,
        "bands": bands,
        "rows": rows,
        "recall_at_threshold_theory": _recall(args.threshold, bands, rows),
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "python": platform.python_version(),
        "tokenize": tokenize,
        "minhash": minhash,
        "lsh": lsh,
        "accuracy": accuracy,
        "check": check,
    }


def table(f: dict[str, Any]) -> str:
    tk, mh, ls, ac, ch = f["tokenize"], f["minhash"], f["lsh"], f["accuracy"], f["check"]
    rows = [
        (
            "corpus",
            f"{f['items']:,} items",
            f"{f['planted']:,} planted copies, {f['vocabulary']:,} words, {f['mean_tokens']:.1f} tokens/item",
        ),
        (
            "parameters",
            f"t={f['threshold']} P={f['num_perm']}",
            f"b={f['bands']} r={f['rows']}, P(candidate | J=t)={f['recall_at_threshold_theory']:.4f}, {f['cores']} cores",
        ),
        (
            "tokenise: jieba precise",
            f"{tk['jieba_items_per_s']:,.0f} items/s",
            f"raw jieba.lcut, 1 core, {tk['serial_sample']:,} items",
        ),
        (
            "tokenise: qbank Tokenizer",
            f"{tk['tokenizer_items_per_s']:,.0f} items/s",
            "normalise + rjieba + stop words, 1 core",
        ),
        (
            "tokenise: tokenize_many",
            f"{tk['tokenize_many_items_per_s']:,.0f} items/s",
            f"one process, {tk['sample']:,} items",
        ),
        (
            "stored tokens = real tokens",
            f"{tk['stored_equal_share']:.1%}",
            f"mean Jaccard {tk['stored_mean_jaccard']:.3f} (sample)",
        ),
        (
            "MinHash: qbank",
            f"{mh['qbank_items_per_s']:,.0f} items/s",
            f"from TokenMatrix; {mh['qbank_with_to_matrix_items_per_s']:,.0f}/s incl. to_matrix",
        ),
        (
            "MinHash: datasketch bulk",
            f"{mh['datasketch_bulk_items_per_s']:,.0f} items/s",
            f"{mh['datasketch_rows']:,} items; qbank = {mh['vs_datasketch']:,.0f}x",
        ),
        (
            "MinHash: rensa",
            f"{mh['rensa_items_per_s']:,.0f} items/s",
            f"{mh['rensa_rows']:,} items; qbank = {mh['vs_rensa']:.1f}x",
        ),
        (
            "MinHash identical to datasketch",
            str(mh["identical_to_datasketch"]),
            f"first {mh['datasketch_rows']:,} items",
        ),
        (
            "LSH: qbank candidates",
            f"{ls['qbank_items_per_s']:,.0f} items/s",
            f"{ls['qbank_s']:.2f} s, {ls['candidates']:,} candidate pairs",
        ),
        (
            "LSH: datasketch MinHashLSH",
            f"{ls['datasketch_items_per_s']:,.0f} items/s",
            f"insert+query {ls['datasketch_rows']:,} items in {ls['datasketch_subset_s']:.1f} s; "
            f"{f['items']:,} items {ls['datasketch_full_s']:.1f} s ({ls['datasketch_full_how']}); "
            f"qbank = {ls['vs_datasketch']:.0f}x",
        ),
        (
            "LSH same candidates as datasketch",
            str(ls["same_candidates_as_datasketch"]),
            f"first {ls['datasketch_rows']:,} items",
        ),
        (
            "exact all-pairs (sample)",
            f"{ac['exact_all_pairs_s']:.2f} s",
            f"{ac['sample']:,} items, {ac['exact_pairs']:,} pairs >= t",
        ),
        ("recall at threshold", f"{ac['recall']:.4f}", "LSH candidates vs exact, sample"),
        (
            "precision",
            f"{ac['candidate_precision']:.4f}",
            f"candidates; after exact verification {ac['verified_precision']:.1f}",
        ),
        (
            "full check from stored tokens",
            f"{ch['seconds']:.2f} s",
            f"{ch['from_matrix_s']:.2f} s from the matrix; "
            + ", ".join(f"{k} {v:.2f}" for k, v in ch["stages_s"].items()),
        ),
        (
            "repetition",
            f"{ch['numerator']:,}/{ch['denominator']:,} = {ch['rate']:.2%}",
            f"{ch['pairs']:,} pairs, {ch['clusters']:,} clusters",
        ),
    ]
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    lines = [f"{'measure':<{w1}}  {'value':>{w2}}  note", "-" * (w1 + w2 + 40)]
    lines += [f"{a:<{w1}}  {b:>{w2}}  {c}" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--seed", type=int, default=1, help="corpus and MinHash seed")
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--sample", type=int, default=20_000, help="exact all-pairs sample")
    parser.add_argument("--tokenize-cap", type=int, default=20_000)
    parser.add_argument(
        "--tokenize-all", action="store_true", help="store real tokens of every item"
    )
    parser.add_argument("--datasketch-cap", type=int, default=5_000)
    parser.add_argument("--rensa-cap", type=int, default=200_000)
    parser.add_argument("--lsh-cap", type=int, default=100_000, help="datasketch MinHashLSH items")
    args = parser.parse_args(argv)
    if args.items < 2:
        parser.error("--items must be at least 2")
    figures = run(args)
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
