"""Token sets of items for the overlap checks: fold, cut with jieba's dictionary, drop noise.

A text is folded with `qbank.text.normalize.fold_text` (NFKC, half-width, case-folded, the
importers' normalisation), cut in jieba's precise mode (`cut_all=False`) **without the HMM**,
and every token that is only punctuation, symbols, spaces or invisible characters, or that is a
stop word, is dropped. An item's set is the union of its stem's and its options' tokens; each
part is cut on its own so no token spans a stem/option boundary.

Why HMM off: the HMM guesses new words from character statistics, so the same phrase can be cut
differently depending on its neighbours, and a one-character edit can change how nearby
characters are grouped. Without it, words outside the dictionary fall apart into single
characters (Latin letters and digits stay grouped), which is stable and still overlaps. The
choice is part of the identity's name, `qbank-jieba-precise-nohmm`.

Two engines make the same cuts. **rjieba** (jieba-rs, cutting about ten times faster) is the
production engine; **jieba** is the reference that defines them, and is used when rjieba cannot
be imported (said once, on stderr, through the `qbank` logger). rjieba is given exactly jieba's
state: the words and frequencies of the same dictionary file, read as jieba reads it (the last
line of a repeated word wins, but every line counts towards the total, which scales every
word's probability, so the difference is added back as a word no text can contain); words of
frequency 0 are left out, as jieba never cuts them. jieba-rs also counts CJK Extension A–F,
U+9FD6–U+9FFF and compatibility ideographs as Chinese where jieba's pattern ends at U+9FD5 and
yields them one by one: a text holding any is split at them first, so no cut depends on text
across them. tests/test_rjieba.py proves the tokens equal on the sample bank and on thousands
of generated texts.

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

Identity: name, jieba version, SHA-256 of the dictionary file bytes, and SHA-256 of the folded,
sorted stop-word set; `TokenizerIdentity.key` (over exactly these) is stored with every token
set, and a different key means the sets must be recomputed. The engine that cut (`rjieba
0.2.2`, `jieba 0.42.1`) is recorded beside them but is not part of the key: both engines give
the same sets, so sets and reports made with one hold for the other. jieba's prefix-dictionary
cache is named after the dictionary hash, so a cache built from another dictionary is never
used. The engine loads its dictionary on the first cut, so the identity alone costs a hash.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import logging
import marshal
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal

import platformdirs

from qbank.canonical import content_id
from qbank.i18n import tr
from qbank.text.normalize import fold_clean, fold_text

if TYPE_CHECKING:
    from rjieba import Jieba

NAME = "qbank-jieba-precise-nohmm"
Engine = Literal["rjieba", "jieba"]
ENGINES: tuple[Engine, ...] = ("rjieba", "jieba")

_log = logging.getLogger("qbank")

# Categories of characters that carry no content: punctuation, symbols, separators, controls.
_NOISE_CATEGORIES = frozenset(
    ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf")
)
# jieba's `re_han_default`: only runs of these are cut with the dictionary.
_JIEBA_HAN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
_JIEBA_SKIP = re.compile(r"(\r\n|\s)")  # jieba's `re_skip_default`, between runs
# What jieba-rs also takes into those runs (its `is_cjk`) and jieba does not.
_RUST_ONLY_HAN = re.compile(
    "[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002f800-\U0002fa1f]"
)
# A word no text can contain (a space never joins a run), carrying the frequency that jieba's
# total counts for the earlier lines of repeated dictionary words.
_TOTAL_FILLER = " "
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"  # what `bytes.strip` removes, as jieba strips its lines


@dataclass(frozen=True)
class TokenizerIdentity:
    """What determines a token set; stored with each set so a change forces recomputation.

    `engine` names the implementation that cut (name and version); it is recorded, not
    compared: both engines make the same cuts, so it is not part of `key` or of equality.
    """

    name: str
    jieba_version: str
    dictionary_sha256: str
    stopwords_sha256: str
    engine: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, str]:
        """The fields the key covers."""
        return {
            "name": self.name,
            "jieba_version": self.jieba_version,
            "dictionary_sha256": self.dictionary_sha256,
            "stopwords_sha256": self.stopwords_sha256,
        }

    def record(self) -> dict[str, str]:
        """What is stored by the key: its fields and the engine that first cut with it."""
        return {**self.as_dict(), "engine": self.engine}

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


def _jieba_dictionary() -> Path:
    """jieba's own `dict.txt`, found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("jieba")
    return Path(spec.origin).with_name("dict.txt")


@functools.cache
def rjieba_version() -> str | None:
    """rjieba's version when it is installed; otherwise None, said once on stderr.

    Found without importing it: the import costs a quarter of a second, and a check that finds
    every token set stored never cuts. Should the import fail later (a broken build), the
    first cut says so once and cuts with jieba (`_rjieba_cutter`): the same tokens.
    """
    try:
        if importlib.util.find_spec("rjieba") is None:
            raise ModuleNotFoundError("No module named 'rjieba'", name="rjieba")
        return importlib.metadata.version("rjieba")
    except (ImportError, ValueError, importlib.metadata.PackageNotFoundError) as e:
        _log.warning(tr("tokens.rjieba_missing", reason=e))
        return None


def resolve_engine(engine: Engine | None = None) -> Engine:
    """The engine to cut with: rjieba unless `engine` says jieba or rjieba cannot be imported."""
    if engine == "jieba" or rjieba_version() is None:
        return "jieba"
    return "rjieba"


def _read_dictionary(path: Path) -> tuple[dict[str, int], int]:
    """Each word's frequency and the total frequency, as `jieba.Tokenizer.gen_pfdict` reads
    them: lines split at newlines and stripped of ASCII whitespace, the last line of a word
    wins, every line adds to the total, and a line that is not `word freq ...` (a blank one
    too) is a ValueError."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    if lines[-1] == "":
        lines.pop()
    freqs: dict[str, int] = {}
    total = 0
    for line in lines:
        word, freq = line.strip(_ASCII_WHITESPACE).split(" ")[:2]
        count = int(freq)
        freqs[word] = count
        total += count
    return freqs, total


_ENTRIES_FORMAT = 1  # of the remembered dictionary entries: bump when `_entries` changes


def _entries(path: Path) -> tuple[list[str], list[int]]:
    """The words and frequencies rjieba is given for the dictionary `path`, in order: every
    word of frequency above 0 (the last line of a repeated word wins), then `_TOTAL_FILLER`
    with what the earlier lines of repeated words add to jieba's total (when they add any)."""
    freqs, total = _read_dictionary(path)
    words = [w for w, f in freqs.items() if f]
    counts = [freqs[w] for w in words]
    missing = total - sum(freqs.values())
    if missing:
        words.append(_TOTAL_FILLER)
        counts.append(missing)
    return words, counts


def _remembered_entries(path: Path, dictionary_sha256: str) -> tuple[list[str], list[int]]:
    """`_entries(path)`, kept in the cache folder under the dictionary's SHA-256 (as jieba
    keeps its prefix dictionary): parsing 350,000 lines in Python costs most of a load. The
    file is only read back when it holds two lists of equal length of the right types; any
    other content is parsed again and rewritten (best effort: a cache)."""
    name = f"qbank-rjieba-{_ENTRIES_FORMAT}-{dictionary_sha256[:32]}.marshal"
    cache = Path(_cache_dir()) / name
    if not (_private(cache.parent) and (not cache.exists() or _private(cache))):
        return _entries(path)  # a shared folder (the temp fallback) or a file others may write
    try:
        words, counts = marshal.loads(cache.read_bytes())
        if (
            type(words) is list
            and type(counts) is list
            and len(words) == len(counts)
            and all(type(w) is str for w in words)
            and all(type(c) is int for c in counts)
        ):
            return words, counts
    except (OSError, ValueError, EOFError, TypeError):
        pass
    words, counts = _entries(path)
    try:
        temporary = cache.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps((words, counts)))
        temporary.replace(cache)
    except OSError:
        pass
    return words, counts


def _private(path: Path) -> bool:
    """Whether `path` belongs to this user and no one else may write it: only such a cache is
    read back (the entries decide the cuts; a file another user planted must not)."""
    try:
        info = path.stat()
    except OSError:
        return False
    owner = os.getuid() if hasattr(os, "getuid") else info.st_uid
    return info.st_uid == owner and not info.st_mode & 0o022


@functools.cache
def _rjieba_module() -> ModuleType | None:
    """The rjieba module, or None (said once) when it is installed but cannot be imported."""
    try:
        import rjieba
    except ImportError as e:
        _log.warning(tr("tokens.rjieba_missing", reason=e))
        return None
    return rjieba


def _rjieba_cutter(path: Path, dictionary_sha256: str) -> Callable[[str], Iterable[str]]:
    """rjieba holding jieba's state for `path`, cutting like `jieba.Tokenizer.cut` (HMM off);
    jieba's own cut, said once, when rjieba is installed but cannot be imported."""
    module = _rjieba_module()
    if module is None:
        return _jieba_cutter(path, dictionary_sha256)

    words, counts = _remembered_entries(path, dictionary_sha256)
    engine: Jieba = module.Jieba.empty()
    add = engine.add_word
    for word, count in zip(words, counts, strict=True):
        add(word, count, None)

    def cut(text: str) -> Iterable[str]:
        if _RUST_ONLY_HAN.search(text) is None:
            return engine.cut(text, False)
        words: list[str] = []
        for i, part in enumerate(_JIEBA_HAN.split(text)):
            if i % 2:
                words.extend(engine.cut(part, False))
                continue
            for j, piece in enumerate(_JIEBA_SKIP.split(part)):
                if j % 2:
                    words.append(piece)  # a space, or `\r\n` as one
                else:
                    words.extend(piece)  # the rest one character at a time, as jieba does
        return words

    return cut


def _jieba_cutter(path: Path, dictionary_sha256: str) -> Callable[[str], Iterable[str]]:
    """The reference: a private `jieba.Tokenizer` (the process-wide jieba state stays alone)."""
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)  # after import: jieba sets DEBUG
    tokenizer = jieba.Tokenizer(str(path))
    tokenizer.tmp_dir = _cache_dir()
    tokenizer.cache_file = f"qbank-jieba-{dictionary_sha256[:32]}.cache"
    tokenizer.initialize()

    def cut(text: str) -> Iterable[str]:
        words: Iterable[str] = tokenizer.cut(text, cut_all=False, HMM=False)
        return words

    return cut


class Tokenizer:
    """Precise-mode cuts (HMM off) over folded text, minus noise tokens and stop words.

    `stopwords=None` uses the bundled list; `dictionary=None` jieba's own `dict.txt`;
    `engine=None` rjieba when it can be imported, else jieba (see the module docstring).
    """

    def __init__(
        self,
        stopwords: Iterable[str] | None = None,
        *,
        dictionary: str | os.PathLike[str] | None = None,
        engine: Engine | None = None,
    ) -> None:
        path = Path(dictionary) if dictionary is not None else _jieba_dictionary()
        path = path.resolve()
        dictionary_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        if stopwords is None:
            words = bundled_stopwords()
        else:
            words = frozenset(w for w in map(fold_text, stopwords) if w)
        self._stopwords = words
        self._dictionary = path
        # Tokens seen so far, kept or dropped (stop word or noise): a bank's vocabulary is
        # small next to its token count, so each token is judged once.
        self._kept: set[str] = set()
        self._dropped: set[str] = set()
        self.engine = resolve_engine(engine)
        jieba_version = importlib.metadata.version("jieba")
        version = jieba_version if self.engine == "jieba" else rjieba_version()
        self.identity = TokenizerIdentity(
            name=NAME,
            jieba_version=jieba_version,
            dictionary_sha256=dictionary_sha256,
            stopwords_sha256=hashlib.sha256("\n".join(sorted(words)).encode("utf-8")).hexdigest(),
            engine=f"{self.engine} {version}",
        )

    @property
    def stopwords(self) -> frozenset[str]:
        return self._stopwords

    @functools.cached_property
    def _cut(self) -> Callable[[str], Iterable[str]]:
        """The engine's cut, its dictionary loaded on first use."""
        if self.engine == "rjieba":
            return _rjieba_cutter(self._dictionary, self.identity.dictionary_sha256)
        return _jieba_cutter(self._dictionary, self.identity.dictionary_sha256)

    def cut(self, folded: str) -> list[str]:
        """The engine's raw cut of already folded text, every token kept (for comparisons)."""
        return list(self._cut(folded))

    def _token_set(self, text: str, fold: Callable[[str], str] = fold_text) -> set[str]:
        folded = fold(text)
        if not folded:
            return set()
        words = set(self._cut(folded))
        unseen = words - self._kept - self._dropped
        if unseen:  # each distinct token is judged once; the rest is set arithmetic in C
            stop = self._stopwords
            for word in unseen:
                if word in stop or _is_noise(word):
                    self._dropped.add(word)
                else:
                    self._kept.add(word)
        return words - self._dropped

    def tokens(self, text: str) -> list[str]:
        """Sorted unique tokens of one text."""
        return sorted(self._token_set(text))

    def item_tokens(
        self, stem: str, options: Iterable[str] = (), *, clean: bool = False
    ) -> list[str]:
        """Sorted unique tokens of an item's stem and options together. `clean`: the texts
        are in their stored form (`qbank.text.normalize.fold_clean`), as a record's are."""
        fold = fold_clean if clean else fold_text
        result = self._token_set(stem, fold)
        for option in options:
            result |= self._token_set(option, fold)
        return sorted(result)


@functools.cache
def default_tokenizer(engine: Engine | None = None) -> Tokenizer:
    """The tokenizer with jieba's dictionary and the bundled stop words (built once per engine)."""
    return Tokenizer(engine=engine)


def tokenize_many(
    texts: Sequence[tuple[str, Sequence[str]]],
    *,
    progress: Callable[[int], None] | None = None,
    tokenizer: Tokenizer | None = None,
    chunk_size: int = 1000,
    clean: bool = False,
) -> list[list[str]]:
    """Token lists of (stem, options) pairs, equal to `item_tokens` of each (with `clean`),
    in input order.

    One process: rjieba cuts tens of thousands of items a second, and a pool of workers each
    loading the dictionary never paid back (benchmarks/tokenizer_speed.py measures both).
    `progress(k)` is called after each `chunk_size` texts with how many were done, so it can
    feed a progress bar's `update`.
    """
    tok = tokenizer if tokenizer is not None else default_tokenizer()
    result: list[list[str]] = []
    for start in range(0, len(texts), chunk_size):
        chunk = texts[start : start + chunk_size]
        result.extend(tok.item_tokens(stem, options, clean=clean) for stem, options in chunk)
        if progress is not None:
            progress(len(chunk))
    return result
