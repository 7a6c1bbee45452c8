"""The regulator pages: verify a filing package and a custody export from uploads.

Each page is a form and, after a POST, the verdict of the very workflow the command line runs
(`workflows.filing.verify_filing` as `qbank filing verify`, `workflows.custody.
verify_custody_export` as `qbank custody verify --dir`), shown with the same steps and
wording. The uploads live in a temporary folder for the request only (`web.uploads`); the
pinned keys come from `.pub` files or pasted lines in the format `qbank key export` writes.
Nothing here judges anything: the rows below are the workflow's result, laid out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from starlette.responses import Response

from qbank.custody.log import Product, parse_entry, parse_signed_record
from qbank.custody.verify import INVALID, Verdict
from qbank.errors import InvalidInput, QbankError
from qbank.filing_check import PackageVerdict, TrustedKey, trusted_key_from_export
from web.i18n import wt
from web.messages import MESSAGES
from web.routing import PageRequest, Upload, page
from web.uploads import UploadRefused, present, shown_name, upload_folder
from workflows.custody import verify_custody_export
from workflows.filing import FilingVerified, verify_filing

ROLES = ("regulator",)
KEY_FILE_FIELDS = ("key_file_1", "key_file_2", "key_file_3", "key_file_4")
CHECKPOINT_FIELDS = ("checkpoint_1", "checkpoint_2")
KEY_FILE_LIMIT = 64 * 1024
"""A `.pub` file is a line or a few; anything larger is not one."""
TIMELINE_LIMIT = 1000
"""Entries listed on the custody page (a real log has tens; the rest are counted)."""


@page("/verify", roles=ROLES)
def verify_home(req: PageRequest) -> Response:
    return req.render("verify_landing.html")


# --- filing packages --------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRow:
    """One step of `filing verify` as the command prints it: name, mark, detail."""

    name: str
    label: str
    status: str  # ok, failed, skipped
    mark: str
    detail: str


@dataclass(frozen=True)
class FilingView:
    package: str
    status: str
    checks: list[CheckRow]
    bank_lines: list[str]
    signer_lines: list[str]
    conclusion: str
    verdict: PackageVerdict
    trusted: list[TrustedKey]


@page("/verify/filing", roles=ROLES, methods=("GET", "POST"))
def verify_filing_page(req: PageRequest) -> Response:
    if req.request.method == "GET":
        return req.render("verify_filing.html", result=None, error="")
    try:
        result = _verify_uploaded_package(req)
    except QbankError as e:
        return req.render("verify_filing.html", status_code=400, result=None, error=str(e))
    return req.render("verify_filing.html", result=result, error="")


def _verify_uploaded_package(req: PageRequest) -> FilingView:
    package = req.files.get("package")
    if package is None or not present(package):
        raise UploadRefused(
            "web.regulator.upload.missing", what=wt("web.regulator.upload.what_package")
        )
    trusted = _trusted_keys(
        [req.files[f] for f in KEY_FILE_FIELDS if present(req.files.get(f))],
        req.form.get("key_text", ""),
    )
    with upload_folder() as folder:
        path = folder.save_zip(package, "package.zip")
        with folder.reading(package, path):
            checked = verify_filing(path, trusted=trusted)  # within $QBANK_LIMITS
    return _filing_view(shown_name(package), checked, trusted)


def _filing_view(package: str, checked: FilingVerified, trusted: list[TrustedKey]) -> FilingView:
    """The command's printout (cli/filing.py `filing verify`) as rows of a page."""
    verdict = checked.verdict
    rows = [
        CheckRow(
            c.check,
            _step_label(c.check),
            c.status,
            wt("filing.skipped")
            if c.skipped
            else wt("overlap.match")
            if c.ok
            else wt("overlap.mismatch"),
            c.detail,
        )
        for c in verdict.checks
    ]
    bank_lines = [line for line in [checked.bank_error, *checked.bank_problems[:10]] if line]
    signer_lines = [
        wt(
            "filing.key_mismatch" if s.trusted_fingerprint else "filing.unpinned",
            name=s.name,
            role=s.role,
            fingerprint=s.fingerprint,
            trusted=s.trusted_fingerprint or "",
        )
        for s in verdict.unpinned
    ]
    conclusion = (
        wt("filing.verified")
        if verdict.ok
        else wt("web.regulator.untrusted")
        if verdict.unpinned
        else wt("filing.not_verified")
    )
    return FilingView(
        package, verdict.status, rows, bank_lines, signer_lines, conclusion, verdict, trusted
    )


def _step_label(check: str) -> str:
    key = f"web.regulator.step.{check}"
    return wt(key) if key in MESSAGES else ""


def _trusted_keys(files: Iterable[Upload], pasted: str) -> list[TrustedKey]:
    """Every key line of the uploaded `.pub` files and of the pasted text, each named by
    where it came from (shown in the `keys` step, as the command shows the file)."""
    out: list[TrustedKey] = []
    for upload in files:
        name = shown_name(upload)
        if len(upload.data) > KEY_FILE_LIMIT:
            raise UploadRefused(
                "web.regulator.upload.key_too_large", name=name, limit=KEY_FILE_LIMIT
            )
        try:
            text = upload.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadRefused("web.regulator.upload.bad_key", source=name, line=1) from None
        found = _key_lines(text, name)
        if not found:
            raise UploadRefused("web.regulator.upload.empty_key", source=name)
        out += found
    if pasted.strip():
        out += _key_lines(pasted, wt("web.regulator.upload.pasted"))
    return out


def _key_lines(text: str, source: str) -> list[TrustedKey]:
    out: list[TrustedKey] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            out += trusted_key_from_export(line, source)
        except InvalidInput:
            raise UploadRefused(
                "web.regulator.upload.bad_key", source=source, line=number
            ) from None
    return out


# --- custody exports --------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineRow:
    """One log entry as read from log.jsonl, and how far the verifier got with it."""

    position: int
    state: str  # ok, failed, unchecked, unreadable
    step: str = ""  # the step's name in the page's language
    person: str = ""
    fingerprint: str = ""
    time: str = ""
    materials: list[Product] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)


@dataclass(frozen=True)
class CustodyView:
    export: str
    verdict: Verdict
    timeline: list[TimelineRow]
    total: int


@page("/verify/custody", roles=ROLES, methods=("GET", "POST"))
def verify_custody_page(req: PageRequest) -> Response:
    if req.request.method == "GET":
        return req.render("verify_custody.html", result=None, error="")
    try:
        result = _verify_uploaded_export(req)
    except QbankError as e:
        return req.render("verify_custody.html", status_code=400, result=None, error=str(e))
    return req.render("verify_custody.html", result=result, error="")


def _verify_uploaded_export(req: PageRequest) -> CustodyView:
    export = req.files.get("export")
    if export is None or not present(export):
        raise UploadRefused(
            "web.regulator.upload.missing", what=wt("web.regulator.upload.what_export")
        )
    key_files = [req.files["key_file_1"]] if present(req.files.get("key_file_1")) else []
    keys = _trusted_keys(key_files, req.form.get("key_text", ""))
    if len(keys) > 1:
        raise UploadRefused("web.regulator.upload.one_key", count=len(keys))
    checkpoints = [req.files[f] for f in CHECKPOINT_FIELDS if present(req.files.get(f))]
    with upload_folder() as folder:
        path = folder.save_zip(export, "export.zip")
        directory, files = folder.unpack(export, path, "export")
        notes = [
            folder.save(upload.data, f"checkpoint-{number}.txt")
            for number, upload in enumerate(checkpoints, start=1)
        ]
        with folder.reading(export, path):
            verdict = verify_custody_export(
                directory,
                trusted_key=keys[0].public_key if keys else None,
                checkpoint_files=notes,
            )
    records = files.get("log.jsonl", b"").split(b"\n")
    if not records[-1]:  # the final newline (or an empty log)
        records.pop()
    return CustodyView(
        shown_name(export), verdict, _timeline(records[:TIMELINE_LIMIT], verdict), len(records)
    )


def _timeline(records: list[bytes], verdict: Verdict) -> list[TimelineRow]:
    """Each entry of log.jsonl, parsed by the log's own parser for display, with its state:
    verified (before `verdict.size`), the failing entry, or not reached."""
    rows = []
    for position, record in enumerate(records):
        if position < verdict.size:
            state = "ok"
        elif verdict.status == INVALID and verdict.position == position:
            state = "failed"
        else:
            state = "unchecked"
        try:
            entry = parse_entry(parse_signed_record(record)[0])
        except ValueError:  # Malformed, or bytes that are not UTF-8
            rows.append(TimelineRow(position, "failed" if state == "failed" else "unreadable"))
            continue
        rows.append(
            TimelineRow(
                position,
                state,
                wt(f"custody.step.{entry.step}"),
                entry.person_name,
                entry.person_fingerprint,
                entry.claimed_time,
                list(entry.materials),
                list(entry.products),
            )
        )
    return rows
