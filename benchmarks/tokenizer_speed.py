"""Tokeniser benchmark: rjieba (production) against jieba (reference), and a process pool.

    python benchmarks/tokenizer_speed.py --items 55000 [--workers 2] [--json]

Tokenises, with qbank's `Tokenizer` (fold, cut, drop noise and stop words), the items of the
sample bank (samples/source/items/*.yaml) and `--items` generated ones: stems and options built
from jieba's dictionary words drawn by their frequency, mixed with numbers, units, formulas,
full-width forms and punctuation. For each engine, in one run:

- the dictionary load (the first cut, which builds the engine);
- items/s in this process (and, for comparison, of the engine's cut alone on texts folded
  beforehand), and through a spawn-started pool of `--workers` processes (start-up
  and every worker's dictionary load included, as an overlap check would pay them);
- the identity check: every item's token list from rjieba equals jieba's (count of
  differences, which must be 0).

Prints one table; `--json` prints the figures instead.
"""
# ruff: noqa: E402  (the imports follow the sys.path fix below)

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder heads sys.path, and this file would stand in for the
# standard library's `tokenize` (which logging imports): the checkout takes that place.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[0] = ROOT

import argparse
import bisect
import itertools
import json
import multiprocessing
import platform
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

import yaml

from qbank.text.normalize import fold_text
from qbank.text.tokens import Engine, Tokenizer, _jieba_dictionary

SAMPLE_ITEMS = Path(ROOT) / "samples" / "source" / "items"
EXTRAS = [
    "220V", "380V", "50Hz", "10kV", "5mA", "≥", "≤", "±", "℃", "Ω", "μF", "kW·h", "U=IR",
    "P=UI", "I²R", "cos φ", "√3", "1/3", "3.14", "PLC", "CPU", "IP44", "GB/T 13869", "ＡＢＣ",
    "１２３", "（　）", "①", "Ⅱ", "、", "，", "；", "：", "“", "”", "《", "》", "（", "）",
]  # fmt: skip
Item = tuple[str, list[str]]
T = TypeVar("T")


def sample_items() -> list[Item]:
    items = []
    for path in sorted(SAMPLE_ITEMS.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            items.append((item["stem"], [str(o) for o in (item.get("options") or {}).values()]))
    return items


def generated_items(n: int, seed: int = 7) -> list[Item]:
    """`n` items: a stem of 8-30 pieces and 0 or 4 options of 1-4 pieces each."""
    words: list[str] = []
    cumulative: list[int] = []
    total = 0
    for line in _jieba_dictionary().read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split(" ")
        total += int(freq)
        words.append(word)
        cumulative.append(total)
    rng = random.Random(seed)

    def piece() -> str:
        if rng.random() < 0.12:
            return rng.choice(EXTRAS)
        return words[bisect.bisect_right(cumulative, rng.randrange(total))]

    def text(lo: int, hi: int) -> str:
        return "".join(piece() for _ in range(rng.randint(lo, hi)))

    return [(text(8, 30), [text(1, 4) for _ in range(rng.choice((0, 4)))]) for _ in range(n)]


_worker: Tokenizer | None = None


def _init(engine: Engine) -> None:
    global _worker
    _worker = Tokenizer(engine=engine)


def _chunk(chunk: Sequence[Item]) -> list[list[str]]:
    assert _worker is not None
    return [_worker.item_tokens(stem, options) for stem, options in chunk]


def pooled(engine: Engine, items: Sequence[Item], workers: int) -> list[list[str]]:
    """Token lists through a spawn pool (the scheme qbank used before this benchmark)."""
    size = max(50, min(2000, len(items) // (workers * 8) or 1))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init, initargs=(engine,)
    ) as pool:
        return list(itertools.chain.from_iterable(pool.map(_chunk, chunks)))


def tokenize_all(tok: Tokenizer, items: Sequence[Item]) -> list[list[str]]:
    return [tok.item_tokens(stem, options) for stem, options in items]


def cut_all(tok: Tokenizer, folded: Sequence[Sequence[str]]) -> None:
    """The engine's cuts alone, of texts folded beforehand (what fold and filter add shows)."""
    for texts in folded:
        for text in texts:
            tok.cut(text)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run(n: int, workers: int) -> dict[str, object]:
    corpora = {"sample bank": sample_items(), f"generated ({n})": generated_items(n)}
    figures: dict[str, object] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "workers": workers,
    }
    folded = {
        name: [[fold_text(t) for t in (stem, *options)] for stem, options in items]
        for name, items in corpora.items()
    }
    tokens: dict[tuple[str, str], list[list[str]]] = {}
    big = f"generated ({n})"
    engines: tuple[Engine, ...] = ("jieba", "rjieba")
    for engine in engines:
        tok = Tokenizer(engine=engine)
        _, load = timed(partial(tok.tokens, "预热"))
        figures[f"{engine} engine"] = tok.identity.engine
        figures[f"{engine} load s"] = round(load, 3)
        for name, items in corpora.items():
            result, seconds = timed(partial(tokenize_all, tok, items))
            tokens[(engine, name)] = result
            figures[f"{engine} {name} items/s"] = round(len(items) / seconds)
            _, seconds = timed(partial(cut_all, tok, folded[name]))
            figures[f"{engine} {name} cut only items/s"] = round(len(items) / seconds)
        result, seconds = timed(partial(pooled, engine, corpora[big], workers))
        assert result == tokens[(engine, big)]
        figures[f"{engine} {big} pool of {workers} items/s"] = round(len(corpora[big]) / seconds)
    for name, items in corpora.items():
        differ = sum(
            a != b for a, b in zip(tokens[("jieba", name)], tokens[("rjieba", name)], strict=True)
        )
        figures[f"identity {name}"] = f"{len(items) - differ}/{len(items)} identical"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.items, args.workers)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
