"""Suggested 鉴定点: top-1 and top-3 accuracy by stratified cross-validation on the sample bank.

    python benchmarks/points.py [--folds 5] [--with-logistic] [--json]

Imports samples/electrician-4 (tree.xlsx, items.docx: 597 items coded to 96 points, 3–11
items a point) into a temporary SQLite database through the public API, then measures, on the
same stratified folds (`qbank.points.stratified_folds`, seed 0):

- `floor`: the codes most frequent in the training folds, whatever the item says;
- `qbank`: what `qbank item suggest-points` computes (`qbank.point_coding.propose_points`):
  char_wb 1–3-gram TF-IDF, LinearSVC, the tree's point names and paths as extra texts,
  temperature-scaled probabilities; each coded item ranked by a model trained without it;
- `no tree texts`: the same model trained on the coded items only;
- `+ jieba view`: the same plus a TF-IDF of jieba words beside the character n-grams (the
  second view the issue allows "if it helps");
- `logistic` (with `--with-logistic`, slow): LogisticRegression (C=10) in place of the SVM.

Then the flagging rule: 15 items' codes swapped at random to other points, how many of the 15
the command flags and how many correctly coded items it flags beside them. The target is
top-3 ≥ 0.85. Seconds are wall-clock with CPU seconds beside them. Nothing is asserted;
tests/test_points.py holds the behaviour.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from importers.dispatch import read_items, read_tree  # noqa: E402
from qbank.bank import ensure_bank  # noqa: E402
from qbank.content import verified_item_content  # noqa: E402
from qbank.db import open_database  # noqa: E402
from qbank.items import import_items  # noqa: E402
from qbank.model import Bank, Item  # noqa: E402
from qbank.point_coding import propose_points  # noqa: E402
from qbank.points import item_text, stratified_folds, suggest_points  # noqa: E402
from qbank.queries import current_items  # noqa: E402
from qbank.tree import current_tree, import_tree  # noqa: E402

SAMPLE = ROOT / "samples" / "electrician-4"
SWAPPED = 15

Model = Callable[[], Any]


def load_sample(url: str) -> None:
    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = ensure_bank(session, "6-31-01-03", 4, actor="bench", occupation_name="电工")
            tree = read_tree(SAMPLE / "tree.xlsx")
            import_tree(session, bank, tree.records, source="tree.xlsx", actor="bench")
            items = read_items(SAMPLE / "items.docx")
            import_items(session, bank, items.records, source="items.docx", actor="bench")
    finally:
        db.dispose()


def bank_data(session: Any, bank: Bank) -> tuple[list[str], list[str], dict[str, str]]:
    """The coded items' texts and codes, and each point's path text, as propose_points reads
    them."""
    nodes = current_tree(session, bank)
    by_code = {n.code: n for n in nodes}
    point_texts = {}
    for node in nodes:
        if node.importance is None:
            continue
        names, current = [], node
        while current is not None:
            names.append(current.name)
            current = by_code.get(current.parent_code) if current.parent_code else None
        point_texts[node.code] = " ".join(reversed(names))
    texts, codes = [], []
    for item, version in session.execute(current_items(bank.id).order_by(Item.id)):
        content = verified_item_content(version, guid=item.guid, consequence="export")
        if content.knowledge_code in point_texts:
            texts.append(item_text(content.stem, content.options))
            codes.append(content.knowledge_code)
    return texts, codes, point_texts


def accuracy(ranked: Sequence[Sequence[str]], codes: Sequence[str]) -> tuple[float, float]:
    top1 = sum(r[0] == c for r, c in zip(ranked, codes, strict=True)) / len(codes)
    top3 = sum(c in r[:3] for r, c in zip(ranked, codes, strict=True)) / len(codes)
    return top1, top3


def cross_validated(
    texts: list[str],
    codes: list[str],
    point_texts: dict[str, str] | None,
    make: Model | None,
    folds: int,
) -> list[list[str]]:
    """Top-3 codes of each text from `make()` trained on the other folds (with the point
    texts when given); `make` None ranks by frequency in the training folds (the floor)."""
    classes = sorted(set(codes) | set(point_texts or {}))
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[c] for c in codes], dtype=np.int64)
    fold_of = stratified_folds(labels, folds)
    ranked: list[list[str]] = [[] for _ in texts]
    for fold in range(folds):
        train = np.flatnonzero(fold_of != fold).tolist()
        test = np.flatnonzero(fold_of == fold).tolist()
        train_texts = [texts[i] for i in train]
        train_codes = [codes[i] for i in train]
        if make is None:
            common = [c for c, _ in Counter(train_codes).most_common(3)]
            for i in test:
                ranked[i] = common
            continue
        if point_texts:
            train_texts += list(point_texts.values())
            train_codes += list(point_texts)
        model = make()
        model.fit(train_texts, train_codes)
        targets = [texts[i] for i in test]
        scores = (
            model.predict_proba(targets)
            if hasattr(model, "predict_proba")
            else model.decision_function(targets)
        )
        order = np.argsort(-scores, axis=1, kind="stable")[:, :3]
        for row, i in zip(order, test, strict=True):
            ranked[i] = [str(model.classes_[j]) for j in row]
    return ranked


def char_ngrams() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)


def svm() -> Pipeline:
    return Pipeline([("tfidf", char_ngrams()), ("svm", LinearSVC(C=1.0, random_state=0))])


def svm_with_jieba() -> Pipeline:
    import jieba

    jieba.setLogLevel(60)
    words = TfidfVectorizer(
        tokenizer=jieba.lcut, token_pattern=None, lowercase=False, sublinear_tf=True
    )
    views = FeatureUnion([("chars", char_ngrams()), ("words", words)])
    return Pipeline([("views", views), ("svm", LinearSVC(C=1.0, random_state=0))])


def logistic() -> Pipeline:
    return Pipeline([("tfidf", char_ngrams()), ("lr", LogisticRegression(C=10, max_iter=2000))])


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--with-logistic", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        load_sample(url)
        db = open_database(url)
        try:
            with db.transaction() as session:
                bank = session.query(Bank).one()
                texts, codes, point_texts = bank_data(session, bank)
                proposals, wall, cpu = timed(lambda: propose_points(session, bank))
        finally:
            db.dispose()

    coded = [p for p in proposals.proposals if p.code in point_texts]
    qbank_ranked = [[s.code for s in p.suggestions] for p in coded]
    qbank_codes = [str(p.code) for p in coded]

    def add(name: str, ranked: list[list[str]], truth: list[str], w: float, c: float) -> None:
        top1, top3 = accuracy(ranked, truth)
        rows.append({"model": name, "top1": top1, "top3": top3, "seconds": w, "cpu": c})

    floor, w, c = timed(lambda: cross_validated(texts, codes, None, None, args.folds))
    add("floor (most frequent codes)", floor, codes, w, c)
    add("qbank (suggest-points)", qbank_ranked, qbank_codes, wall, cpu)
    variants: list[tuple[str, dict[str, str] | None, Model]] = [
        ("no tree texts", None, svm),
        ("+ jieba view", point_texts, svm_with_jieba),
    ]
    if args.with_logistic:
        variants.append(("logistic regression", point_texts, logistic))
    for name, extra, make in variants:
        ranked, w, c = timed(
            lambda extra=extra, make=make: cross_validated(texts, codes, extra, make, args.folds)
        )
        add(name, ranked, codes, w, c)

    rng = np.random.default_rng(1)
    swapped = sorted(rng.choice(len(codes), SWAPPED, replace=False).tolist())
    spoiled = list(codes)
    for i in swapped:
        spoiled[i] = str(rng.choice([p for p in sorted(point_texts) if p != codes[i]]))
    checked = suggest_points(texts, spoiled, [], point_texts=point_texts, folds=args.folds)
    flagged = {i for i, check in enumerate(checked.coded) if check.unlikely}
    flags = {
        "swapped": SWAPPED,
        "swapped_flagged": len(flagged & set(swapped)),
        "correct_flagged": len(flagged - set(swapped)),
        "correct": len(codes) - SWAPPED,
        "flagged_in_clean_bank": proposals.flagged,
    }

    if args.json:
        print(json.dumps({"items": len(codes), "points": len(point_texts), "models": rows,
                          "flags": flags}, indent=2))  # fmt: skip
        return
    print(f"sample bank: {len(codes)} coded items, {len(point_texts)} points, {args.folds} folds")
    print(f"{'model':32} {'top-1':>6} {'top-3':>6} {'seconds':>8} {'cpu':>6}")
    for row in rows:
        print(
            f"{row['model']:32} {row['top1']:6.3f} {row['top3']:6.3f} "
            f"{row['seconds']:8.1f} {row['cpu']:6.1f}"
        )
    print(
        f"flags: {flags['swapped_flagged']} of {SWAPPED} swapped codes flagged, "
        f"{flags['correct_flagged']} of {flags['correct']} correct codes flagged beside them; "
        f"{flags['flagged_in_clean_bank']} flagged in the bank as shipped"
    )


if __name__ == "__main__":
    main()
