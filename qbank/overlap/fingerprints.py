"""Token sets and MinHash signatures, computed once per text and tokenizer, stored, reused.

A text unit is what the overlap checks compare: an item version's stem with its options, or a
practical task's title with its requirements. Its key is the SHA-256 of that text, so every
version (of any item, in any bank) with the same text shares one stored token set. A new
tokenizer identity (jieba upgrade, dictionary or stop-word change) has a new key, and its token
sets are computed afresh; old rows stay for the reports that used them.

An import stores the sets and signatures of its new texts (`store_fingerprints`), so a check
reads them (Core queries, no ORM objects) and neither tokenises nor loads the tokenizer: its
identity is remembered per installation (`tokenizer_info`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import operator
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Text, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from qbank.bulk import insert_many
from qbank.canonical import content_id
from qbank.json_column import EncodedJSON, token_list
from qbank.model import Base, Signature, TokenizerRecord, TokenSet
from qbank.text.keys import stored_text_key, texts_id
from qbank.text.normalize import fold_text

if TYPE_CHECKING:
    from qbank.overlap.scan_parts import StoredRows
    from qbank.text.tokens import Tokenizer
    from qbank.worker import Spare, Worker

_log = logging.getLogger(__name__)

_CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit
# Core tables for the bulk inserts: no ORM bookkeeping per row.
_TOKEN_SETS = Base.metadata.tables["token_sets"]
_SIGNATURES = Base.metadata.tables["minhash_signatures"]


@dataclass(frozen=True)
class TextUnit:
    """One text to compare: `stem` and `options` (for a task: title and requirements)."""

    stem: str
    options: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """SHA-256 of the text as stored: the token set's key."""
        return stored_text_key(self.stem, self.options)

    @property
    def folded_key(self) -> str:
        """SHA-256 of the normalised text: equal keys are duplicates whatever the tokens."""
        return texts_id([fold_text(self.stem), [fold_text(o) for o in self.options]])


def text_key(unit: TextUnit, key: str, tokens: Sequence[str]) -> str:
    """The key that makes identical texts a pair (`Unit.text_key`) without folding every text.

    Texts with equal folded keys have equal tokens (the tokenizer folds first), so when the
    tokens are not empty the pair is found at Jaccard 1 anyway and any key that only equal
    texts share will do: the stored text's own `key`. Only texts without tokens need the
    folded key, and only they are folded.
    """
    return key if tokens else unit.folded_key


@dataclass(frozen=True)
class TokenizerInfo:
    """A tokenizer's identity key and fields, known without loading the tokenizer."""

    key: str
    identity: dict[str, str]


_IDENTITIES = "tokenizer-identities.json"


def _installation_stamp() -> str:
    """What the default tokenizer's identity is a function of, read without importing it:
    the source of `qbank.text.tokens`, the bundled stop words, and every file (size and
    modification time) of the installed jieba and rjieba distributions."""
    parts: list[Any] = []
    for module in ("qbank.text.tokens",):
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
        parts.append(hashlib.sha256(Path(origin).read_bytes()).hexdigest() if origin else None)
    stopwords = Path(__file__).resolve().parent.parent / "text" / "stopwords.txt"
    parts.append(hashlib.sha256(stopwords.read_bytes()).hexdigest())
    for name in ("jieba", "rjieba"):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            parts.append([name, None])
            continue
        files = []
        for file in dist.files or ():
            path = Path(str(dist.locate_file(file)))
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append([str(file), stat.st_size, stat.st_mtime_ns])
        parts.append([name, dist.version, sorted(files)])
    return content_id(parts)


def _identities_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("qbank")) / _IDENTITIES


def _remember(stamp: str, info: TokenizerInfo) -> None:
    """Keep the default tokenizer's identity for this installation (best effort: a cache)."""
    path = _identities_file()
    try:
        known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        known[stamp] = {"key": info.key, "identity": info.identity}
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(known), encoding="utf-8")
        temporary.replace(path)
    except (OSError, ValueError):
        pass


def tokenizer_info(tokenizer: Tokenizer | None = None) -> TokenizerInfo:
    """The identity of `tokenizer`, or of the default one without loading it when this
    installation (`_installation_stamp`) has loaded it before: checks whose tokens are all
    stored never import jieba or load its dictionary."""
    if tokenizer is not None:
        return TokenizerInfo(tokenizer.identity.key, tokenizer.identity.record())
    return _default_info()


@functools.cache
def _default_info() -> TokenizerInfo:
    """The default tokenizer's identity, once per process (as `default_tokenizer` is built)."""
    stamp = _installation_stamp()
    try:
        entry = json.loads(_identities_file().read_text(encoding="utf-8")).get(stamp)
    except (OSError, ValueError):
        entry = None
    if isinstance(entry, dict) and isinstance(entry.get("key"), str):
        return TokenizerInfo(entry["key"], dict(entry["identity"]))
    info = tokenizer_info(load_tokenizer(None))
    _remember(stamp, info)
    return info


def load_tokenizer(tokenizer: Tokenizer | None) -> Tokenizer:
    """`tokenizer`, or the default one (loaded once per process)."""
    if tokenizer is not None:
        return tokenizer
    from qbank.text.tokens import default_tokenizer

    return default_tokenizer()


def register_tokenizer(session: Session, tokenizer: Tokenizer | TokenizerInfo) -> str:
    info = tokenizer if isinstance(tokenizer, TokenizerInfo) else tokenizer_info(tokenizer)
    if session.scalar(select(TokenizerRecord.key).where(TokenizerRecord.key == info.key)) is None:
        session.execute(insert(TokenizerRecord), [{"key": info.key, "identity": info.identity}])
    return info.key


SCAN_FACTOR = 8
"""Looking a token set up by its key cost SQLite about 9 µs a row, passing one over in a scan
of the table about 1 µs (200,000 of a million rows, 2026-12-04): when the table holds fewer
than this many rows per key asked, one scan of it reads the keys' rows sooner."""


def token_scan(session: Session, tokenizer: str, count: int) -> tuple[Select[str, str], int] | None:
    """The scan of `tokenizer`'s token sets (key, token JSON) and how many rows the table
    holds, when `count` keys are found sooner by one scan of it than by looking each up
    (SCAN_FACTOR); None when they are not, or there are none."""
    connection = session.connection()
    stored = connection.scalar(select(func.count()).select_from(TokenSet)) if count else 0
    if stored and stored < SCAN_FACTOR * count:
        return _token_rows(tokenizer), int(stored)
    return None


def _token_rows(tokenizer: str) -> Select[str, str]:
    column = type_coerce(TokenSet.tokens, Text)  # the text, decoded (and checked) by readers
    return select(TokenSet.text_sha256, column).where(TokenSet.tokenizer == tokenizer)


def stored_token_lists(
    session: Session, tokenizer: str, keys: Sequence[str], chunk: int = _CHUNK
) -> Iterator[tuple[int, StoredRows]]:
    """The stored token sets of `keys` (distinct) under `tokenizer`, in batches: how many of
    `keys` the batch accounts for, and the rows found, (key, its token list, or None when
    the row holds anything else: `qbank.json_column.token_list`, each row decoded on its
    own). The keys are looked up `chunk` a query, or, when the table holds fewer than
    SCAN_FACTOR rows per key, found in one scan of it (`scan_parts.scanned_rows`: rows in
    table order, then). The one reader of the token_sets table: imports, checks and assembly
    all read through it, but for a large check's scan in two parts (`stored.read_token_rows`)."""
    connection = session.connection()
    scan = token_scan(session, tokenizer, len(keys))
    if scan is not None:
        from qbank.overlap.digests import digests_of, unique_digests  # numpy: lazily
        from qbank.overlap.scan_parts import scanned_rows

        stmt, stored = scan
        wanted = unique_digests(digests_of(keys))[0]
        yield from scanned_rows(connection.execute(stmt), wanted, len(keys), stored)
        return
    yield from looked_up_token_lists(session, tokenizer, keys, chunk)


def looked_up_token_lists(
    session: Session, tokenizer: str, keys: Sequence[str], chunk: int = _CHUNK
) -> Iterator[tuple[int, StoredRows]]:
    """`stored_token_lists` of `keys` looked up `chunk` a query (`token_scan` said no scan)."""
    connection = session.connection()
    stmt = _token_rows(tokenizer)
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        rows = connection.execute(stmt.where(TokenSet.text_sha256.in_(part))).fetchall()
        yield len(part), [(key, token_list(value)) for key, value in rows]


def _stored_tokens(
    session: Session, tkey: str, keys: Sequence[str]
) -> tuple[dict[str, list[str]], set[str]]:
    """The token lists stored under `tkey` for `keys`, and the keys whose row holds
    something else (`stored_token_lists`): those count as missing, are computed from their
    text, and are not written again (their row is there)."""
    stored: dict[str, list[str]] = {}
    damaged: set[str] = set()
    for _, rows in stored_token_lists(session, tkey, sorted(set(keys))):
        for sha, tokens in rows:
            if tokens is None:
                damaged.add(sha)
            else:
                stored[sha] = tokens
    if damaged:
        _log.warning("%d stored token sets are not lists of tokens: recomputed", len(damaged))
    return stored, damaged


def ensure_tokens(
    session: Session,
    units: Sequence[TextUnit],
    *,
    tokenizer: Tokenizer | None = None,
    progress: Callable[[int], None] | None = None,
    keys: Sequence[str] | None = None,
    clean: bool = False,
) -> list[list[str]]:
    """Token lists of `units` in order: stored ones read, missing ones computed and stored.

    Reads with Core queries; the tokenizer is loaded only when a text has no stored set.
    `keys` may pass the units' `key`s when the caller has them; `clean` says the texts are
    records just read by an importer (`qbank.text.normalize.fold_clean`).

    Side effects: writes token sets (and the tokenizer identity) for texts seen the first time.
    """
    info = tokenizer_info(tokenizer)
    keys = [u.key for u in units] if keys is None else keys
    stored, damaged = _stored_tokens(session, info.key, keys)
    missing = _missing(units, keys, stored)
    if progress is not None and stored:
        progress(sum(1 for k in keys if k in stored))
    if missing:
        from qbank.text.tokens import tokenize_many

        tok = load_tokenizer(tokenizer)
        if tok.identity.key != info.key:  # the remembered identity was stale: correct it
            _remember(_installation_stamp(), tokenizer_info(tok))
            _default_info.cache_clear()
            return ensure_tokens(
                session, units, tokenizer=tok, progress=None, keys=keys, clean=clean
            )
        register_tokenizer(session, info)
        computed = tokenize_many(
            [(u.stem, u.options) for u in missing.values()],
            tokenizer=tok,
            progress=progress,
            clean=clean,
        )
        stored.update(zip(missing, computed, strict=True))
        _insert_token_sets(session, info.key, missing, computed, damaged)
    return [stored[k] for k in keys]


def _missing(
    units: Sequence[TextUnit], keys: Sequence[str], stored: Mapping[str, object]
) -> dict[str, TextUnit]:
    """The units whose key has no stored token set, once per key, in order."""
    missing: dict[str, TextUnit] = {}
    for unit, key in zip(units, keys, strict=True):
        if key not in stored:
            missing.setdefault(key, unit)
    return missing


def _insert_token_sets(
    session: Session,
    tokenizer: str,
    keys: Iterable[str],
    token_lists: Iterable[list[str] | EncodedJSON],
    damaged: AbstractSet[str] = frozenset(),
    *,
    skip_existing: bool = False,
) -> None:
    """Store the token lists (or their JSON text) of `keys`, but of the `damaged` ones (a row
    is there); with `skip_existing`, rows already stored are kept (`bulk.insert_many`).
    Written in key order (`_key_order`)."""
    insert_many(
        session,
        _TOKEN_SETS,
        _key_order(
            (key, tokenizer, tokens)
            for key, tokens in zip(keys, token_lists, strict=True)
            if key not in damaged
        ),
        columns=("text_sha256", "tokenizer", "tokens"),
        skip_existing=skip_existing,
    )


def _insert_signatures(
    session: Session,
    tokenizer: str,
    num_perm: int,
    seed: int,
    signed: Iterable[tuple[str, bytes]],
    *,
    skip_existing: bool = False,
) -> None:
    """Store the signatures (`to_bytes`) of the keyed texts, with these parameters; with
    `skip_existing`, rows already stored are kept (`bulk.insert_many`). Written in key
    order (`_key_order`)."""
    insert_many(
        session,
        _SIGNATURES,
        _key_order((key, tokenizer, num_perm, seed, data) for key, data in signed),
        columns=("text_sha256", "tokenizer", "num_perm", "seed", "data"),
        skip_existing=skip_existing,
    )


def _key_order(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """`rows` sorted by their text key, their first value (stable: of two rows with one key,
    the first stays first, so `skip_existing` keeps the same one). The keys are hashes: in
    the order texts come, each row lands on a random page of its table's key index; sorted,
    a batch's rows go through the index once, front to back. A million rows in batches of
    5,000 (2026-12-05, isolated inserts): token sets 4.5 s against 6.3 s, signatures 5.6 s
    against 6.4 s. An import's worker sends its rows sorted (`fingerprint_worker.compute`):
    then this is one pass over them."""
    return sorted(rows, key=_TEXT_KEY)


_TEXT_KEY = operator.itemgetter(0)


def store_signatures(
    session: Session,
    keys: Sequence[str],
    tokens: Sequence[Sequence[str]],
    *,
    num_perm: int,
    seed: int,
    tokenizer: Tokenizer | None = None,
) -> None:
    """Compute and store the MinHash signatures (these parameters) of the texts `keys` names
    (`TextUnit.key`, with their `tokens`) that have none yet. Asks only which keys are stored,
    never reads the signatures themselves.

    Side effects: writes signatures for texts seen the first time with these parameters.
    """
    tkey = tokenizer_info(tokenizer).key
    unique = sorted(set(keys))
    stored: set[str] = set()
    for start in range(0, len(unique), _CHUNK):
        stored.update(
            session.scalars(
                select(Signature.text_sha256).where(
                    Signature.tokenizer == tkey,
                    Signature.num_perm == num_perm,
                    Signature.seed == seed,
                    Signature.text_sha256.in_(unique[start : start + _CHUNK]),
                )
            )
        )
    missing: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key not in stored:
            missing.setdefault(key, i)
    if not missing:
        return
    # The kernels (numpy, scipy, numba) load only when a signature is computed: a check
    # that finds everything stored never loads them.
    from qbank.overlap.matrix import to_matrix
    from qbank.overlap.minhash import signatures, to_bytes

    signed = signatures(
        to_matrix([tokens[i] for i in missing.values()]), num_perm=num_perm, seed=seed
    )
    _insert_signatures(
        session,
        tkey,
        num_perm,
        seed,
        ((key, to_bytes(sig)) for key, sig in zip(missing, signed, strict=True)),
    )


def store_fingerprints(session: Session, units: Sequence[TextUnit]) -> None:
    """Token sets and signatures (default tokenizer, default policy's MinHash parameters) of
    `units`, computed and stored where missing, `_FINGERPRINT_BATCH` texts at a time: what
    imports call so that the first check finds everything stored."""
    write = FingerprintWriter(session)
    for start in range(0, len(units), _FINGERPRINT_BATCH):
        write([(u.stem, u.options) for u in units[start : start + _FINGERPRINT_BATCH]])


Texts = Sequence[tuple[str, Sequence[str]]]


@dataclass
class PreparedBatch:
    """A batch of texts on its way to storage; with a worker, its number for their
    computation (None: computed when stored, in this process)."""

    texts: Texts
    pending: int | None = None


class FingerprintWriter:
    """`store_fingerprints` for an import that writes in batches: the policy and the
    tokenizer's identity are loaded once; each batch's token sets and signatures are stored
    where its (stem, options) texts lack them.

    `clean`: the texts are theory records' fields, in their stored form
    (`qbank.text.normalize.fold_clean`; not a practical task's lines). `texts`: how many texts
    the import will store; from `fingerprint_worker.PARALLEL_MIN` on (and with two cores) a
    worker process computes each batch submitted by `prepare` while the caller writes, and
    `store` waits for it; with `warm`, it loads the tokenizer and kernels at once, else with
    its first batch (a caller that gives it other work first); a `spare` (a worker started
    with `fingerprint_worker.start` before the texts were known) is taken instead of starting
    one. `close` ends the worker.
    """

    def __init__(
        self,
        session: Session,
        *,
        clean: bool = False,
        texts: int = 0,
        warm: bool = True,
        spare: Spare | None = None,
    ) -> None:
        from qbank.overlap import fingerprint_worker
        from qbank.policy import load_policy

        policy = load_policy()
        self._session = session
        self._clean = clean
        self._num_perm, self._seed = int(policy.num_perm.value), int(policy.seed.value)
        self._info = tokenizer_info(None)  # remembered, so checks need not load the tokenizer
        self._registered = False  # the identity's row: looked up once, not every batch
        self._worker = (
            (spare and spare.take()) or fingerprint_worker.start(warm=warm)
            if fingerprint_worker.worth_a_worker(texts)
            else None
        )

    @property
    def worker(self) -> Worker | None:
        """The worker process, if any: an import may give it work of its own (`qbank.items`:
        its plan's content keys, its new versions' texts), reading each result with
        `result` in the order submitted."""
        return self._worker

    def result(self, number: int) -> Any | None:
        """The worker's result of request `number`; None when there is no worker (any more)
        or it fails the request: then it is closed, and what it would have computed (this
        request's and every later batch's) is computed in this process."""
        if self._worker is None:
            return None
        from qbank.worker import WorkerFailed

        try:
            return self._worker.result(number)
        except WorkerFailed as error:
            _log.warning("fingerprint worker failed, computing in this process: %s", error)
            self.close()
            return None

    def __call__(self, texts: Texts) -> None:
        self.store(self.prepare(texts))

    def prepare(self, texts: Texts) -> PreparedBatch:
        """The batch of `texts`, sent to the worker if there is one: each distinct text, stored
        or not (asking which are stored would cost this process, which writes everything,
        more than the worker, which has time to spare, spends on the few that are); `store`
        leaves the stored rows as they are. Without one, `store` looks up and computes as a
        check would."""
        batch = PreparedBatch(texts)
        if self._worker is not None and texts:
            from qbank.overlap.fingerprint_worker import COMPUTE

            batch.pending = self._worker.submit(
                COMPUTE, texts, self._num_perm, self._seed, self._clean
            )
        return batch

    def store(self, batch: PreparedBatch) -> None:
        """Store the token sets and signatures the batch's texts lack."""
        computed = self._computed(batch)
        if computed is None:  # in this process, as a check would
            units = [TextUnit(stem, tuple(options)) for stem, options in batch.texts]
            keys = [u.key for u in units]
            tok = load_tokenizer(None)
            tokens = ensure_tokens(
                self._session, units, tokenizer=tok, keys=keys, clean=self._clean
            )
            store_signatures(
                self._session,
                keys,
                tokens,
                num_perm=self._num_perm,
                seed=self._seed,
                tokenizer=tok,
            )
            return
        keys, encoded, signed = computed
        if not self._registered:
            register_tokenizer(self._session, self._info)
            self._registered = True
        # A stored row (another bank's text, an earlier version's) is kept as it is, even one
        # that is not a token list (`_stored_tokens`: its readers recompute it from the text).
        _insert_token_sets(
            self._session,
            self._info.key,
            keys,
            [EncodedJSON(text) for text in encoded],
            skip_existing=True,
        )
        _insert_signatures(
            self._session,
            self._info.key,
            self._num_perm,
            self._seed,
            zip(keys, signed, strict=True),
            skip_existing=True,
        )

    def _computed(self, batch: PreparedBatch) -> tuple[list[str], list[str], list[bytes]] | None:
        """The worker's keys, token lists and signatures of the batch's distinct texts; None
        when there is no worker, or it failed (then closed: the rest is computed here), or its
        tokenizer is not the identity the tokens are stored under."""
        computed = None if batch.pending is None else self.result(batch.pending)
        if computed is None:
            return None
        key, keys, tokens, signed = computed
        if key != self._info.key:
            self.close()
            return None
        return keys, tokens, signed

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None


_FINGERPRINT_BATCH = 5_000
"""Texts tokenised per batch (as imports write a batch of versions): bounds the tokens held."""
