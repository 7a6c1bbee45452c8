"""Token sets of items for the overlap checks: fold, cut with jieba, drop noise.

A text is folded with `qbank.text.normalize.fold_text` (NFKC, half-width, case-folded, the
importers' normalisation), cut by jieba in precise mode (`cut_all=False`) **without the HMM**,
and every token that is only punctuation, symbols, spaces or invisible characters, or that is a
stop word, is dropped. An item's set is the union of its stem's and its options' tokens; each
part is cut on its own so no token spans a stem/option boundary.

Why HMM off: the HMM guesses new words from character statistics, so the same phrase can be cut
differently depending on its neighbours, and a one-character edit can change how nearby
characters are grouped. Without it, words outside the dictionary fall apart into single
characters (Latin letters and digits stay grouped), which is stable and still overlaps. The
choice is part of the identity's name, `qbank-jieba-precise-nohmm`.

Stop words (`stopwords.txt`, one per line) are kept to function words and boilerplate that
carry no subject matter but occur in nearly every item, so they would only lift the Jaccard
similarity of unrelated items:

1. particles and auxiliaries (的 了 着 …): grammar, in every sentence;
2. copulas and modal verbs (是 为 应 可以 …): the frame of definitions and rules;
3. conjunctions and prepositions (和 与 及 在 对 按照 …): link content words, add none;
4. pronouns and determiners (其 该 这些 各 等 …): refer to content stated elsewhere;
5. negation and degree adverbs (不 也 都 最 …): a statement and its negation test the same
   content, so a negated copy of an item still counts as a repeat;
6. item boilerplate (下列 以下 哪些 说法 正确 错误 属于 的是 …): the question frame of
   选择题/判断题, repeated by items about entirely different topics.

Identity: name, jieba version, SHA-256 of the dictionary file bytes jieba loads, and SHA-256 of
the folded, sorted stop-word set; `TokenizerIdentity.key` is stored with every token set, and a
different key means the sets must be recomputed. jieba's prefix-dictionary cache is named after
the dictionary hash, so a cache built from another dictionary is never used.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import multiprocessing
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import jieba
import platformdirs

from qbank.canonical import content_id
from qbank.text.normalize import fold_text

NAME = "qbank-jieba-precise-nohmm"
PARALLEL_THRESHOLD = 10_000
"""Below this many texts the process pool costs more than it saves: each spawned worker
imports jieba and loads the dictionary (about 1.5 s), while one process cuts about 5,000
items/s (measured on the 2-core build machine; 60,000 items: 15 s serial, 7 s pooled)."""

logging.getLogger("jieba").setLevel(logging.WARNING)

# Categories of characters that carry no content: punctuation, symbols, separators, controls.
_NOISE_CATEGORIES = frozenset(
    ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf")
)


@dataclass(frozen=True)
class TokenizerIdentity:
    """What determines a token set; stored with each set so a change forces recomputation."""

    name: str
    jieba_version: str
    dictionary_sha256: str
    stopwords_sha256: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def key(self) -> str:
        """SHA-256 (hex) of the canonical JSON of `as_dict()`."""
        return content_id(self.as_dict())


def parse_stopwords(text: str) -> frozenset[str]:
    """Stop words from a list: one per line, `#` starts a comment, words folded like text."""
    words = (fold_text(line.split("#", 1)[0]) for line in text.splitlines())
    return frozenset(w for w in words if w)


@functools.cache
def bundled_stopwords() -> frozenset[str]:
    """The documented list shipped as `qbank/text/stopwords.txt`."""
    text = resources.files("qbank.text").joinpath("stopwords.txt").read_text(encoding="utf-8")
    return parse_stopwords(text)


def _is_noise(token: str) -> bool:
    return all(ch.isspace() or unicodedata.category(ch) in _NOISE_CATEGORIES for ch in token)


def _cache_dir() -> str:
    path = platformdirs.user_cache_dir("qbank")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return tempfile.gettempdir()
    return path


class Tokenizer:
    """jieba precise mode (HMM off) over folded text, minus noise tokens and stop words.

    Uses its own `jieba.Tokenizer`, so the process-wide jieba state is left alone.
    `stopwords=None` uses the bundled list; `dictionary=None` jieba's own `dict.txt`.
    """

    def __init__(
        self,
        stopwords: Iterable[str] | None = None,
        *,
        dictionary: str | os.PathLike[str] | None = None,
    ) -> None:
        path = (
            Path(dictionary)
            if dictionary is not None
            else Path(jieba.__file__).with_name("dict.txt")
        )
        path = path.resolve()
        dictionary_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        if stopwords is None:
            words = bundled_stopwords()
        else:
            words = frozenset(w for w in map(fold_text, stopwords) if w)
        self._stopwords = words
        self._dictionary = path
        self.identity = TokenizerIdentity(
            name=NAME,
            jieba_version=jieba.__version__,
            dictionary_sha256=dictionary_sha256,
            stopwords_sha256=hashlib.sha256("\n".join(sorted(words)).encode("utf-8")).hexdigest(),
        )
        self._jieba = jieba.Tokenizer(str(path))
        self._jieba.tmp_dir = _cache_dir()
        self._jieba.cache_file = f"qbank-jieba-{dictionary_sha256[:32]}.cache"
        self._jieba.initialize()

    @property
    def stopwords(self) -> frozenset[str]:
        return self._stopwords

    def _config(self) -> tuple[tuple[str, ...], str]:
        """What a worker process needs to build an identical tokenizer."""
        return tuple(sorted(self._stopwords)), str(self._dictionary)

    def _token_set(self, text: str) -> set[str]:
        folded = fold_text(text)
        if not folded:
            return set()
        stop = self._stopwords
        return {
            w
            for w in self._jieba.cut(folded, cut_all=False, HMM=False)
            if w not in stop and not _is_noise(w)
        }

    def tokens(self, text: str) -> list[str]:
        """Sorted unique tokens of one text."""
        return sorted(self._token_set(text))

    def item_tokens(self, stem: str, options: Iterable[str] = ()) -> list[str]:
        """Sorted unique tokens of an item's stem and options together."""
        result = self._token_set(stem)
        for option in options:
            result |= self._token_set(option)
        return sorted(result)


@functools.cache
def default_tokenizer() -> Tokenizer:
    """The tokenizer with jieba's dictionary and the bundled stop words (built once)."""
    return Tokenizer()


_worker_tokenizer: Tokenizer | None = None


def _init_worker(config: tuple[tuple[str, ...], str]) -> None:
    global _worker_tokenizer
    stopwords, dictionary = config
    _worker_tokenizer = Tokenizer(stopwords, dictionary=dictionary)


def _tokenize_chunk(chunk: list[tuple[str, tuple[str, ...]]]) -> tuple[str, list[list[str]]]:
    """Tokenise in a worker; returns the worker's identity key so the parent can check it."""
    tok = _worker_tokenizer
    if tok is None:
        raise RuntimeError("tokenizer worker used without its initializer")
    return tok.identity.key, [tok.item_tokens(stem, options) for stem, options in chunk]


def tokenize_many(
    texts: Sequence[tuple[str, Sequence[str]]],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    tokenizer: Tokenizer | None = None,
    parallel_threshold: int = PARALLEL_THRESHOLD,
    chunk_size: int | None = None,
) -> list[list[str]]:
    """Token lists of (stem, options) pairs, equal to `item_tokens` of each, in input order.

    At least `parallel_threshold` texts and more than one worker (default: all cores) use a
    spawn-started process pool; fewer run in this process. `progress(k)` is called after each
    chunk with the number of texts that chunk held, so it can feed a progress bar's `update`.
    Raises RuntimeError if a worker's tokenizer identity differs from this process's (e.g. the
    dictionary file changed on disk meanwhile).
    """
    tok = tokenizer if tokenizer is not None else default_tokenizer()
    n = len(texts)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    parallel = workers > 1 and n >= max(parallel_threshold, 2)
    if chunk_size is None:
        chunk_size = max(50, min(2000, n // (workers * 8) or 1)) if parallel else 1000
    chunks = [
        [(stem, tuple(options)) for stem, options in texts[start : start + chunk_size]]
        for start in range(0, n, chunk_size)
    ]
    result: list[list[str]] = []
    if not parallel:
        for chunk in chunks:
            result.extend(tok.item_tokens(stem, options) for stem, options in chunk)
            if progress is not None:
                progress(len(chunk))
        return result
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(tok._config(),),
    ) as pool:
        for key, lists in pool.map(_tokenize_chunk, chunks):
            if key != tok.identity.key:
                raise RuntimeError("a worker process loaded a different tokenizer identity")
            result.extend(lists)
            if progress is not None:
                progress(len(lists))
    return result
