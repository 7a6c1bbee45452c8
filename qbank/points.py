"""Suggested 鉴定点 for theory items: a text classifier learnt from a bank's coded items.

Pure: texts and codes in, ranked suggestions out; no database, no files. The model reads
character n-grams (1–3, `char_wb`, sublinear TF-IDF): Chinese terms (`欧姆定律`, `接触器`) are
runs of characters, so no word segmentation is needed, and jieba words as a second view
measured no better (`benchmarks/points.py`). A linear SVM (`LinearSVC`, one-vs-rest) ranks
the points; its decision values become probabilities by temperature scaling (one factor
fitted on cross-validated values, so it holds with three examples a point, where per-class
calibration cannot be fitted). Each point's own name and path join every training set as one
more text of that point, so a point that no item is coded to yet can still be suggested.

Coded items are judged by cross-validation (stratified folds), never by a model that was
trained on them. Everything is deterministic for a given `random_state`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

TOP = 3
"""Suggestions per item."""
FOLDS = 5
"""Cross-validation folds for judging coded items (fewer when there are fewer items)."""
UNLIKELY_BELOW = 1.0
"""A coded item is flagged when the held-out probability of its code is below this many
times a blind guess's (1 / number of points) and the code is not among its top suggestions
(in a tree of three points or fewer: ranks last). On the sample bank (96 points) with 15
codes swapped at random this flags 14 of the 15 and about 3% of the correctly coded items."""
RANDOM_STATE = 0
DEFAULT_SCALE = 10.0
"""Softmax scale when no coded items exist to fit one (about what the sample bank fits)."""
_SCALE_BOUNDS = (0.1, 200.0)


@dataclass(frozen=True)
class Suggestion:
    """A knowledge-point code with the model's probability for it (0–1)."""

    code: str
    score: float


@dataclass(frozen=True)
class CodeCheck:
    """A coded item as a model that never saw it judges it.

    `suggestions` are the held-out model's top codes; `score` the held-out probability of
    the item's own code; `unlikely` says the model finds that code very unlikely (worth a
    second look, see UNLIKELY_BELOW).
    """

    code: str
    suggestions: tuple[Suggestion, ...]
    score: float
    unlikely: bool


@dataclass(frozen=True)
class PointSuggestions:
    """What `suggest_points` found: suggestions for each uncoded text, a check of each coded
    one (both in input order), and the softmax scale it fitted."""

    uncoded: list[tuple[Suggestion, ...]]
    coded: list[CodeCheck]
    scale: float


def item_text(stem: str, options: Mapping[str, str]) -> str:
    """What the model reads of an item: its stem and its options' texts."""
    return "\n".join([stem, *(options[letter] for letter in sorted(options))])


def suggest_points(
    coded_texts: Sequence[str],
    codes: Sequence[str],
    uncoded_texts: Sequence[str],
    *,
    point_texts: Mapping[str, str],
    top: int = TOP,
    folds: int = FOLDS,
    random_state: int = RANDOM_STATE,
) -> PointSuggestions:
    """Rank knowledge points for `uncoded_texts`, and judge the coded items' `codes`.

    Args:
        coded_texts, codes: the items coded so far (`item_text`) and their codes, which must
            be keys of `point_texts`.
        uncoded_texts: the items to suggest codes for.
        point_texts: every point that may be suggested, with its name and path as text.
        top: suggestions per item.
        folds: cross-validation folds for the checks (and the fitted scale).
        random_state: seeds the folds and the SVM.

    Raises:
        ValueError: a code is not a key of `point_texts`, `point_texts` is empty, or the
            lengths differ (a caller's misuse).
    """
    if len(coded_texts) != len(codes):
        raise ValueError("coded_texts and codes differ in length")
    if not point_texts:
        raise ValueError("no knowledge points to suggest")
    unknown = sorted(set(codes) - set(point_texts))
    if unknown:
        raise ValueError(f"codes not among the points: {unknown[:5]}")
    classes = sorted(point_texts)
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[c] for c in codes], dtype=np.int64)

    held_out = _cross_validated(coded_texts, labels, classes, point_texts, folds, random_state)
    scale = _fit_scale(held_out, labels) if held_out is not None else DEFAULT_SCALE
    checks: list[CodeCheck] = []
    if held_out is not None:
        probabilities = _softmax(held_out, scale)
        shown = min(top, len(classes) - 1)  # the code must rank below these to be doubted
        for i, code in enumerate(codes):
            score = float(probabilities[i, labels[i]])
            rank = int((probabilities[i] > score).sum())
            checks.append(
                CodeCheck(
                    code=code,
                    suggestions=_top(probabilities[i], classes, top),
                    score=score,
                    unlikely=score < UNLIKELY_BELOW / len(classes) and rank >= shown,
                )
            )
    uncoded: list[tuple[Suggestion, ...]] = []
    if uncoded_texts:
        values = _decision_values(
            coded_texts, labels, classes, point_texts, uncoded_texts, random_state
        )
        probabilities = _softmax(values, scale)
        uncoded = [_top(row, classes, top) for row in probabilities]
    return PointSuggestions(uncoded=uncoded, coded=checks, scale=scale)


def stratified_folds(
    labels: NDArray[np.int64], folds: int, random_state: int = RANDOM_STATE
) -> NDArray[np.int64]:
    """Fold (0 … folds-1) of each item: each code's items dealt round the folds in a seeded
    order, so every fold holds a share of every code (stratified) and fold sizes stay even."""
    order = np.random.default_rng(random_state).permutation(len(labels))
    order = order[np.argsort(labels[order], kind="stable")]  # by code, random within a code
    assigned = np.empty(len(labels), dtype=np.int64)
    assigned[order] = np.arange(len(labels)) % folds
    return assigned


def _cross_validated(
    texts: Sequence[str],
    labels: NDArray[np.int64],
    classes: list[str],
    point_texts: Mapping[str, str],
    folds: int,
    random_state: int,
) -> NDArray[np.float64] | None:
    """Decision values of each coded text from a model trained without it (None when there
    are fewer than two coded texts)."""
    k = min(folds, len(texts))
    if k < 2:
        return None
    fold_of = stratified_folds(labels, k, random_state)
    values = np.zeros((len(texts), len(classes)))
    for fold in range(k):
        test = np.flatnonzero(fold_of == fold)
        train = np.flatnonzero(fold_of != fold)
        values[test] = _decision_values(
            [texts[i] for i in train.tolist()],
            labels[train],
            classes,
            point_texts,
            [texts[i] for i in test.tolist()],
            random_state,
        )
    return values


def _decision_values(
    texts: Sequence[str],
    labels: NDArray[np.int64],
    classes: list[str],
    point_texts: Mapping[str, str],
    targets: Sequence[str],
    random_state: int,
) -> NDArray[np.float64]:
    """One column per class of `classes`: the SVM's values for `targets`, trained on
    `texts` with `labels` plus one text per point (its name and path)."""
    train_texts = [*texts, *(point_texts[c] for c in classes)]
    train_labels = np.concatenate([labels, np.arange(len(classes))])
    if len(classes) == 1:
        return np.zeros((len(targets), 1))
    model = Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)),
            ("svm", LinearSVC(C=1.0, random_state=random_state)),
        ]
    )
    model.fit(train_texts, train_labels)
    values = np.asarray(model.decision_function(list(targets)), dtype=np.float64)
    if len(classes) == 2:  # binary: one column, positive for the second class
        values = np.column_stack([-values, values])
    return values


def _softmax(values: NDArray[np.float64], scale: float) -> NDArray[np.float64]:
    scaled = values * scale
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    result: NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return result


def _fit_scale(values: NDArray[np.float64], labels: NDArray[np.int64]) -> float:
    """The softmax scale that makes held-out probabilities most likely (temperature scaling)."""

    def loss(scale: float) -> float:
        probabilities = _softmax(values, scale)[np.arange(len(labels)), labels]
        return float(-np.log(np.maximum(probabilities, 1e-300)).mean())

    result = minimize_scalar(loss, bounds=_SCALE_BOUNDS, method="bounded")
    return float(result.x)


def _top(
    probabilities: NDArray[np.float64], classes: list[str], top: int
) -> tuple[Suggestion, ...]:
    order = np.argsort(-probabilities, kind="stable")[:top]  # ties: the tree's code order
    return tuple(Suggestion(classes[i], float(probabilities[i])) for i in order)
