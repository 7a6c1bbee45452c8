"""Verify a custody log: one pure function over its bytes, with a typed verdict.

`verify_files` takes an export directory's files (name → bytes) and needs no database;
`verify_log` takes the same records as stored. Both run this checklist and stop at the first
failure, which becomes the verdict's code and the entry (position) concerned:

1. read: `layout.json`, `log.jsonl`, `checkpoints/<size>.txt`, `keys/<name>.pub` present, no
   other file (MISSING_FILE, UNEXPECTED_FILE), the layout in exactly the form qbank writes
   (MALFORMED_LAYOUT); entry lines and notes are parsed when the walk reaches them, so the
   first failure in log order is the one reported (MALFORMED_ENTRY, MALFORMED_CHECKPOINT);
2. layout: its signature verifies with the signer key it names (LAYOUT_SIGNATURE_INVALID);
   that key is the pinned one when a trusted key is given (LAYOUT_KEY_MISMATCH); the key
   files are the layout's keys (KEY_FILE_MISMATCH);
3. no checkpoint for a size beyond the log (CHECKPOINT_BEYOND_LOG: entries were cut off);
4. per entry, in order: position = index (POSITION_MISMATCH: dropped, swapped or replayed),
   the layout's hash (LAYOUT_MISMATCH), the layout's batch (BATCH_MISMATCH), previous_root =
   RFC 6962 root of all earlier entries (PREVIOUS_ROOT_MISMATCH), a step of the layout
   (STEP_NOT_IN_LAYOUT) signed by a person designated for it (SIGNER_NOT_DESIGNATED) with
   a valid signature over the exact payload (SIGNATURE_INVALID); then the step's place:
   legal order (STEP_OUT_OF_ORDER), transport legs 1, 2, … (TRANSPORT_LEG_INVALID, and
   TRANSPORT_LEGS_MISSING when the layout plans more legs than were signed before 封存), the
   previous step complete (QUORUM_NOT_MET), materials = the previous step's products
   (MATERIALS_MISMATCH), something produced (EMPTY_PRODUCTS), a co-signer not signing twice
   (DUPLICATE_SIGNER) and vouching for the same products (COSIGN_MISMATCH); then the
   checkpoint of the log up to this entry exists (CHECKPOINT_MISSING), names this log
   (CHECKPOINT_ORIGIN_MISMATCH), has the recomputed root (CHECKPOINT_ROOT_MISMATCH) and is
   signed by the entry's signer (CHECKPOINT_SIGNATURE_INVALID);
5. checkpoints the verifier kept from earlier: the log is not shorter (LOG_TRUNCATED) and has
   the same root at that size (LOG_FORKED);
6. completeness: every required step through 封存 signed by its quorum, else INCOMPLETE
   (STEPS_MISSING, QUORUM_PENDING);
7. trust: without a pinned layout key an otherwise sound log is INVALID
   (UNTRUSTED_LAYOUT_KEY) — anyone can make a self-consistent log with keys of their own.

Exit codes for the command line: 0 VALID, 1 INVALID, 2 INCOMPLETE.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from qbank import merkle
from qbank.checkpoint import Checkpoint, MalformedNote, parse_note, verify_note
from qbank.custody.log import (
    NEXT_STEPS,
    Entry,
    Key,
    Layout,
    Malformed,
    Product,
    SignedLog,
    StepRule,
    key_files,
    layout_id,
    parse_entry,
    parse_layout,
    parse_signed_record,
)
from qbank.i18n import tr
from qbank.keys import fingerprint
from qbank.keys import verify as verify_signature

VALID, INVALID, INCOMPLETE = "VALID", "INVALID", "INCOMPLETE"
EXIT_CODES = {VALID: 0, INVALID: 1, INCOMPLETE: 2}
_CHECKPOINT_FILE = re.compile(r"checkpoints/([1-9][0-9]{0,9})\.txt")
_LEG = re.compile(r"[1-9][0-9]{0,5}")
_STEP_PARAMS = ("step", "after", "next")

# Parsing and signature checks are pure functions of their bytes, so remembering recent answers
# changes no verdict; it spares re-checking unchanged records when a log is verified again
# (`sign_step` verifies before and after signing; a verifier may re-run on a grown export).
# Failures raise and are never remembered. Each memo holds at most _MEMO answers.
_MEMO = 256
_signature_valid = lru_cache(maxsize=_MEMO)(verify_signature)
_parsed_record = lru_cache(maxsize=_MEMO)(parse_signed_record)


@lru_cache(maxsize=_MEMO)
def _checkpoint_size(name: str) -> int | None:
    """The size in an export file name `checkpoints/<size>.txt`; None for any other name."""
    match = _CHECKPOINT_FILE.fullmatch(name)
    return int(match.group(1)) if match else None


@lru_cache(maxsize=_MEMO)
def _parsed_note(data: bytes) -> Checkpoint:
    """The note in `data`; UnicodeDecodeError or MalformedNote as `parse_note`."""
    return parse_note(data.decode("utf-8"))


@lru_cache(maxsize=_MEMO)
def _note_valid(data: bytes, name: str, public_key: bytes) -> bool:
    """`verify_note` of the note in `data` (which `_parsed_note` has accepted)."""
    return verify_note(_parsed_note(data), name=name, public_key=public_key)


@lru_cache(maxsize=_MEMO)
def _parsed_entry(payload: bytes) -> tuple[Entry, bytes]:
    """The entry in `payload` and its Merkle leaf hash; Malformed as `parse_entry`."""
    return parse_entry(payload), merkle.leaf_hash(payload)


@lru_cache(maxsize=_MEMO)
def _parsed_layout(payload: bytes) -> tuple[Layout, str, dict[str, bytes]]:
    """The layout in `payload`, its id and the key files of its export; Malformed as
    `parse_layout`."""
    layout = parse_layout(payload)
    return layout, layout_id(payload), key_files(layout)


@lru_cache(maxsize=_MEMO)
def _layout_record(data: bytes) -> tuple[bytes, bytes]:
    """(payload, signature) in a layout.json file; Malformed unless one record and a newline."""
    if not data.endswith(b"\n"):
        raise Malformed("no final newline")
    return parse_signed_record(data[:-1])


@dataclass
class Act:
    """One step as signed: the first entry and its co-signers (one act per transport leg)."""

    step: str
    leg: int | None
    position: int
    quorum: int
    materials: tuple[Product, ...]
    products: tuple[Product, ...]
    signers: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.signers) >= self.quorum

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "leg": self.leg,
            "position": self.position,
            "quorum": self.quorum,
            "signers": list(self.signers),
            "complete": self.complete,
            "materials": [p.as_dict() for p in self.materials],
            "products": [p.as_dict() for p in self.products],
        }


@dataclass(frozen=True)
class Verdict:
    """VALID, INVALID or INCOMPLETE, with the failure code and entry, and what was read."""

    status: str
    code: str | None = None
    position: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    size: int = 0
    root: str = ""
    layout: Layout | None = None
    pinned: bool = False
    acts: tuple[Act, ...] = ()

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def message(self) -> str:
        """The verdict in the user's language, naming the entry concerned."""
        if self.status == VALID:
            return tr("custody.verdict.valid", size=self.size, root=self.root)
        params = {
            k: tr(f"custody.step.{v}") if k in _STEP_PARAMS and v else v
            for k, v in self.params.items()
        }
        text = tr(f"custody.code.{(self.code or '').lower()}", **params)
        if self.position is not None:
            text = tr("custody.at_entry", position=self.position, message=text)
        return tr(f"custody.verdict.{self.status.lower()}", message=text)

    def as_dict(self) -> dict[str, Any]:
        layout = self.layout
        return {
            "verdict": self.status,
            "code": self.code,
            "position": self.position,
            "message": self.message,
            "params": dict(self.params),
            "size": self.size,
            "root": self.root,
            "batch": layout.batch if layout else None,
            "origin": layout.origin if layout else None,
            "layout_signer": (
                {
                    "name": layout.signer.name,
                    "fingerprint": layout.signer.fingerprint,
                    "pinned": self.pinned,
                }
                if layout
                else None
            ),
            "acts": [a.as_dict() for a in self.acts],
        }


class _Failure(Exception):
    """The first failed check; becomes the verdict. Never leaves this module."""

    def __init__(self, code: str, position: int | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.position = position
        self.params = params


def verify_files(
    files: Mapping[str, bytes],
    *,
    trusted_key: bytes | None = None,
    known_checkpoints: Sequence[str] = (),
) -> Verdict:
    """Verify an export directory's files (relative `/` names → bytes); no database needed.

    `trusted_key` is the institution's raw public key, pinned by the caller; without it an
    otherwise sound log is INVALID (UNTRUSTED_LAYOUT_KEY). `known_checkpoints` are notes the
    caller received earlier; the log must extend each of them.
    """
    run = _Run(trusted_key, known_checkpoints)
    try:
        source = _read_export(files)
    except _Failure as failure:
        return run.verdict_of(failure)
    return run.verify(source)


def verify_log(
    log: SignedLog, *, trusted_key: bytes | None, known_checkpoints: Sequence[str] = ()
) -> Verdict:
    """Verify a log as stored (same checks as `verify_files`, without the key files)."""
    source = _Source(
        log.layout_payload,
        log.layout_signature,
        list(log.entries),
        {size: note.encode("utf-8") for size, note in log.checkpoints.items()},
        None,
    )
    return _Run(trusted_key, known_checkpoints).verify(source)


@dataclass
class _Source:
    """A log's records as read; entries and notes are parsed only when the walk reaches them."""

    layout_payload: bytes
    layout_signature: bytes
    records: list[bytes | tuple[bytes, bytes]]  # a raw log.jsonl line, or (payload, signature)
    notes: dict[int, bytes]
    key_files: Mapping[str, bytes] | None  # keys/… of an export; None for a stored log


def _read_export(files: Mapping[str, bytes]) -> _Source:
    """Split an export into its records; an unknown file or a misshapen layout.json fails."""
    for name in ("layout.json", "log.jsonl"):
        if name not in files:
            raise _Failure("MISSING_FILE", file=name)
    try:
        layout_payload, layout_signature = _layout_record(files["layout.json"])
    except Malformed as e:
        raise _Failure("MALFORMED_LAYOUT", detail=str(e)) from None
    lines = files["log.jsonl"].split(b"\n")
    if lines[-1]:
        raise _Failure("MALFORMED_ENTRY", len(lines) - 1, detail="no final newline")
    notes: dict[int, bytes] = {}
    keys: dict[str, bytes] = {}
    for name, data in sorted(files.items()):
        size = _checkpoint_size(name)
        if size is not None:
            notes[size] = data
        elif name.startswith("keys/"):
            keys[name] = data
        elif name not in ("layout.json", "log.jsonl"):
            raise _Failure("UNEXPECTED_FILE", file=name)
    records: list[bytes | tuple[bytes, bytes]] = list(lines[:-1])
    return _Source(layout_payload, layout_signature, records, notes, keys)


class _Run:
    """One verification: the checks in order, and what they learnt for the verdict."""

    def __init__(self, trusted_key: bytes | None, known: Sequence[str]) -> None:
        self.trusted_key = trusted_key
        self.known = known
        self.layout: Layout | None = None
        self.layout_hash = ""
        self.acts: list[Act] = []
        self.tree = merkle.CompactRange()
        self.roots: list[bytes] = [merkle.EMPTY_ROOT]
        self.verified = 0

    def verdict_of(self, failure: _Failure | None, status: str = INVALID) -> Verdict:
        """The verdict; `size` and `root` describe the entries verified (all when VALID)."""
        return Verdict(
            status,
            failure.code if failure else None,
            failure.position if failure else None,
            failure.params if failure else {},
            self.verified,
            self.roots[self.verified].hex(),
            self.layout,
            self.trusted_key is not None,
            tuple(self.acts),
        )

    def verify(self, source: _Source) -> Verdict:
        try:
            layout = self._layout(source)
            sizes = [n for n in source.notes if n > len(source.records)]
            if sizes:
                raise _Failure(
                    "CHECKPOINT_BEYOND_LOG", size=max(sizes), entries=len(source.records)
                )
            entries = []
            for n, record in enumerate(source.records):
                payload, signature = self._record(n, record)
                entry, leaf = self._entry(n, payload)
                rule, key = self._signed(n, entry, payload, signature, layout)
                self._place(n, entry, rule, layout)
                self.roots.append(self.tree.append(leaf))
                self._checkpoint(n, source.notes.get(n + 1), key, layout)
                entries.append(entry)
                self.verified = n + 1
            self._known(entries, layout)
            self._complete(layout)
        except _Failure as failure:
            status = INCOMPLETE if failure.code in ("STEPS_MISSING", "QUORUM_PENDING") else INVALID
            if status == INCOMPLETE and self.trusted_key is None:
                return self._untrusted()
            return self.verdict_of(failure, status)
        if self.trusted_key is None:
            return self._untrusted()
        return self.verdict_of(None, VALID)

    def _untrusted(self) -> Verdict:
        assert self.layout is not None
        signer = self.layout.signer
        return self.verdict_of(
            _Failure("UNTRUSTED_LAYOUT_KEY", name=signer.name, fingerprint=signer.fingerprint)
        )

    # --- 1–3: layout, keys, records -----------------------------------------------------------

    def _layout(self, source: _Source) -> Layout:
        try:
            layout, self.layout_hash, expected_keys = _parsed_layout(source.layout_payload)
        except Malformed as e:
            raise _Failure("MALFORMED_LAYOUT", detail=str(e)) from None
        if not _signature_valid(
            layout.signer.public_key, source.layout_payload, source.layout_signature
        ):
            raise _Failure("LAYOUT_SIGNATURE_INVALID", name=layout.signer.name)
        self.layout = layout
        if self.trusted_key is not None and self.trusted_key != layout.signer.public_key:
            raise _Failure(
                "LAYOUT_KEY_MISMATCH",
                name=layout.signer.name,
                fingerprint=layout.signer.fingerprint,
                trusted=fingerprint(self.trusted_key),
            )
        if source.key_files is not None:
            present = source.key_files
            for name in sorted(set(expected_keys) | set(present)):
                if name not in present:
                    raise _Failure("MISSING_FILE", file=name)
                if name not in expected_keys:
                    raise _Failure("UNEXPECTED_FILE", file=name)
                if present[name] != expected_keys[name]:
                    raise _Failure("KEY_FILE_MISMATCH", file=name)
        return layout

    @staticmethod
    def _record(n: int, record: bytes | tuple[bytes, bytes]) -> tuple[bytes, bytes]:
        if isinstance(record, tuple):
            return record
        try:
            return _parsed_record(record)
        except Malformed as e:
            raise _Failure("MALFORMED_ENTRY", n, detail=str(e)) from None

    @staticmethod
    def _entry(position: int, payload: bytes) -> tuple[Entry, bytes]:
        try:
            return _parsed_entry(payload)
        except Malformed as e:
            raise _Failure("MALFORMED_ENTRY", position, detail=str(e)) from None

    # --- 4: each entry ------------------------------------------------------------------------

    def _signed(
        self,
        n: int,
        entry: Entry,
        payload: bytes,
        signature: bytes,
        layout: Layout,
    ) -> tuple[StepRule, Key]:
        """Check what the entry claims about itself and its signature; returns step and signer."""
        if entry.position != n:
            raise _Failure("POSITION_MISMATCH", n, found=entry.position)
        if entry.layout != self.layout_hash:
            raise _Failure("LAYOUT_MISMATCH", n)
        if (entry.batch_id, entry.batch_code) != (layout.batch_id, layout.batch_code):
            raise _Failure("BATCH_MISMATCH", n, found=entry.batch_code, expected=layout.batch_code)
        if entry.previous_root != self.roots[n].hex():
            raise _Failure("PREVIOUS_ROOT_MISMATCH", n)
        rule = layout.rule(entry.step)
        if rule is None:
            raise _Failure("STEP_NOT_IN_LAYOUT", n, step=entry.step)
        key = rule.person(entry.person_name, entry.person_fingerprint)
        if key is None:
            raise _Failure("SIGNER_NOT_DESIGNATED", n, name=entry.person_name, step=entry.step)
        if not _signature_valid(key.public_key, payload, signature):
            raise _Failure("SIGNATURE_INVALID", n, name=entry.person_name)
        return rule, key

    def _place(self, n: int, entry: Entry, rule: StepRule, layout: Layout) -> None:
        """Check the entry's place in the chain of steps and record it."""
        leg = self._leg(n, entry)
        last = self.acts[-1] if self.acts else None
        if last is not None and last.step == entry.step and last.leg == leg:
            self._cosign(n, entry, last)
            return
        self._check_order(n, entry, leg, last, layout)
        materials = last.products if last else ()
        if entry.materials != materials:
            raise _Failure("MATERIALS_MISMATCH", n, step=entry.step)
        if not entry.products:
            raise _Failure("EMPTY_PRODUCTS", n, step=entry.step)
        self.acts.append(Act(entry.step, leg, n, rule.quorum, entry.materials, entry.products, []))
        self.acts[-1].signers.append(entry.person_name)

    @staticmethod
    def _leg(n: int, entry: Entry) -> int | None:
        if entry.step != "transport":
            return None
        value = entry.evidence.get("leg", "")
        if not _LEG.fullmatch(value):
            raise _Failure("TRANSPORT_LEG_INVALID", n, leg=value or "-", expected="1, 2, …")
        return int(value)

    @staticmethod
    def _cosign(n: int, entry: Entry, act: Act) -> None:
        if entry.person_name in act.signers:
            raise _Failure("DUPLICATE_SIGNER", n, name=entry.person_name, step=entry.step)
        if entry.materials != act.materials:
            raise _Failure("MATERIALS_MISMATCH", n, step=entry.step)
        if entry.products != act.products:
            raise _Failure("COSIGN_MISMATCH", n, step=entry.step, first=act.position)
        act.signers.append(entry.person_name)

    @staticmethod
    def _check_order(
        n: int, entry: Entry, leg: int | None, last: Act | None, layout: Layout
    ) -> None:
        previous = last.step if last else None
        if entry.step not in NEXT_STEPS[previous]:
            raise _Failure("STEP_OUT_OF_ORDER", n, step=entry.step, after=previous or "start")
        if last is not None and not last.complete:
            raise _Failure(
                "QUORUM_NOT_MET", n, step=last.step, have=len(last.signers), need=last.quorum
            )
        planned = layout.transport_legs
        if entry.step == "transport":
            expected = (last.leg or 0) + 1 if last and last.step == "transport" else 1
            if leg != expected or (planned is not None and expected > planned):
                raise _Failure("TRANSPORT_LEG_INVALID", n, leg=leg, expected=expected)
        if entry.step == "seal" and planned is not None and last and last.leg != planned:
            raise _Failure("TRANSPORT_LEGS_MISSING", n, done=last.leg, planned=planned)

    def _checkpoint(self, n: int, data: bytes | None, key: Key, layout: Layout) -> None:
        size = n + 1
        if data is None:
            raise _Failure("CHECKPOINT_MISSING", n, size=size)
        try:
            note = _parsed_note(data)
        except (UnicodeDecodeError, MalformedNote) as e:
            raise _Failure("MALFORMED_CHECKPOINT", n, size=size, detail=str(e)) from None
        if note.size != size:
            raise _Failure("MALFORMED_CHECKPOINT", n, size=size, detail="size ≠ file name")
        if note.origin != layout.origin:
            raise _Failure("CHECKPOINT_ORIGIN_MISMATCH", n, size=size, origin=note.origin)
        if note.root != self.roots[size]:
            raise _Failure("CHECKPOINT_ROOT_MISMATCH", n, size=size)
        if not _note_valid(data, key.name, key.public_key):
            raise _Failure("CHECKPOINT_SIGNATURE_INVALID", n, size=size, name=key.name)

    # --- 5–6: earlier checkpoints, completeness -----------------------------------------------

    def _known(self, entries: Sequence[Entry], layout: Layout) -> None:
        for text in self.known:
            try:
                note = parse_note(text)
            except MalformedNote as e:
                raise _Failure("MALFORMED_CHECKPOINT", size="?", detail=str(e)) from None
            if note.origin != layout.origin:
                raise _Failure("CHECKPOINT_ORIGIN_MISMATCH", size=note.size, origin=note.origin)
            if note.size > len(entries):
                raise _Failure("LOG_TRUNCATED", size=note.size, entries=len(entries))
            if note.size == 0:
                continue
            signer = entries[note.size - 1]
            rule = layout.rule(signer.step)
            key = rule.person(signer.person_name, signer.person_fingerprint) if rule else None
            if key is None or not verify_note(note, name=key.name, public_key=key.public_key):
                raise _Failure(
                    "CHECKPOINT_SIGNATURE_INVALID",
                    note.size - 1,
                    size=note.size,
                    name=signer.person_name,
                )
            if note.root != self.roots[note.size]:
                raise _Failure("LOG_FORKED", note.size - 1, size=note.size)

    def _complete(self, layout: Layout) -> None:
        last = self.acts[-1] if self.acts else None
        if last is not None and not last.complete:
            raise _Failure(
                "QUORUM_PENDING", step=last.step, have=len(last.signers), need=last.quorum
            )
        if any(a.step == "seal" for a in self.acts):
            return
        planned = layout.transport_legs
        if last is None:
            following = "assemble"
        elif last.step == "transport":
            more = planned is not None and (last.leg or 0) < planned
            following = "transport" if more else "seal"
        else:
            following = NEXT_STEPS[last.step][0]
        raise _Failure("STEPS_MISSING", next=following)
