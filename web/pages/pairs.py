"""The near-duplicate pair pages (reviewer) and the overlap report viewer (regulator).

Reviewer: `/review/bank/{id}/pairs` lists the pairs of the bank's latest stored theory overlap
report (`qbank overlap check` stores it), `/review/bank/{id}/pairs/{a}/{b}` shows the two
items' current versions side by side with their character-level differences, and two signed
actions on it: the adjudication mark "考查内容不同" (`qbank overlap mark`:
`qbank.overlap.adjudication.adjudicate`) and the rejection of one of the two items
(`qbank review reject`: `qbank.review.review` with a Decision pinned to the version shown).

Regulator: `/verify/overlap` reads an uploaded report (`parse_report`, the field path of a
malformed one in the message) and shows its figures, clusters, pairs and a histogram of the
similarities. With the bank's items file beside it (the filing package's bank.xlsx) a theory
report is re-derived the way `qbank overlap verify --items` does, without the database, and
the pairs are shown side by side; without it the report's own figures are shown as claimed.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from qbank.access import require_bank
from qbank.canonical import content_id
from qbank.content import verified_item_content
from qbank.errors import InvalidInput, NotFound, QbankError
from qbank.items import item_content
from qbank.model import Adjudication, Bank, Item, ItemVersion
from qbank.model import OverlapReport as StoredReport
from qbank.overlap.adjudication import adjudicate
from qbank.overlap.document import (
    AdjudicatedPair,
    BadReport,
    ItemId,
    LshMethod,
    OverlapReport,
    ReportPair,
)
from qbank.overlap.verification import Verification, parse_report, verify_report
from qbank.queries import current_items, latest_overlap_report, versions_of_items
from qbank.records import ItemRecord
from qbank.review import REJECTED, Decision, ReviewRejected, review
from qbank.text.normalize import format_answer
from qbank.text.numbers import format_number, format_percent
from web.diff import Span, side_by_side, similarity
from web.i18n import wt
from web.pages.reviewer import bank_title
from web.routing import PageRequest, error_page, page
from web.signing import signer_for

REVIEWERS = ("reviewer", "institution")
SIGNERS = ("reviewer",)  # the institution reads the pair pages; only reviewers sign
REGULATORS = ("regulator",)
THEORY = "theory"
CACHED_REPORTS = 8
HISTOGRAM_STEP = 0.05


class PairError(QbankError):
    """A refusal of these pages themselves (their own message keys, in the web catalogue)."""

    def __str__(self) -> str:
        return wt(self.key, **self.params)


class PairNotFound(PairError, NotFound):
    """No such bank, or no such pair in the bank's latest report (404)."""


# --- the bank's latest report, parsed once per content hash --------------------------------

Pairs = list[tuple[ReportPair, AdjudicatedPair | None]]
_reports: OrderedDict[str, tuple[OverlapReport, Pairs]] = OrderedDict()
_reports_lock = threading.Lock()


def _parsed(session: Session, report_id: int, sha256: str) -> tuple[OverlapReport, Pairs]:
    """The stored report `report_id`, checked by `OverlapReport.from_json` but without its
    listing of the compared items (`items` comes back empty): these pages show its pairs and
    figures, never that listing, and in a 10k-item bank reading it would take most of a
    page's time. Kept, with its pairs in the order shown, by its SHA-256 (a stored report
    never changes), so it is read and sorted once."""
    with _reports_lock:
        cached = _reports.get(sha256)
        if cached is not None:
            _reports.move_to_end(sha256)
            return cached
    body = session.scalar(select(StoredReport.body).where(StoredReport.id == report_id)) or ""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as e:
        raise InvalidInput("overlap.bad_report", file=f"#{report_id}", reason=str(e)) from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data["items"] = []
    try:
        report = OverlapReport.from_json(data)
    except BadReport as e:
        raise e.in_file(f"#{report_id}") from None
    parsed = (report, all_pairs(report))
    with _reports_lock:
        _reports[sha256] = parsed
        while len(_reports) > CACHED_REPORTS:
            _reports.popitem(last=False)
    return parsed


@dataclass(frozen=True)
class Latest:
    id: int
    sha256: str
    report: OverlapReport
    pairs: Pairs  # counted and adjudicated, most similar first (all_pairs)


def latest_report(session: Session, bank: Bank) -> Latest | None:
    """The bank's latest stored theory report, or None when it was never checked."""
    row = session.execute(latest_overlap_report(bank.id, THEORY)).first()
    if row is None:
        return None
    report_id, sha256 = row
    return Latest(report_id, sha256, *_parsed(session, report_id, sha256))


def all_pairs(report: OverlapReport) -> Pairs:
    """Counted and adjudicated pairs of a report, most similar first."""
    pairs: Pairs = [(p, None) for p in report.pairs]
    pairs += [(a.pair, a) for a in report.adjudicated or ()]
    return sorted(pairs, key=lambda x: (-x[0].similarity, str(x[0].a), str(x[0].b)))


# --- what the pages show of an item ---------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One item of a pair as the page shows it: its current version, or why there is none."""

    id: ItemId
    live: bool
    version: str = ""
    type: str = ""
    text: str = ""
    answer: str = ""
    knowledge: str = ""
    explanation: str = ""
    status: str = ""
    own: bool = False  # the viewer wrote or imported it (回避)
    spans: tuple[Span, ...] = ()


def item_text(stem: str, options: Mapping[str, str]) -> str:
    """Stem and options as one text, the way the differences are computed and shown."""
    return "\n".join([stem, *(f"{k}. {v}" for k, v in options.items())])


def _side_of_version(item: Item, version: ItemVersion, viewer: str) -> Side:
    content = verified_item_content(version, guid=item.guid, consequence="show")
    return Side(
        id=item.id,
        live=True,
        version=version.sha256,
        type=content.type,
        text=item_text(content.stem, content.options),
        answer=format_answer(content.answer),
        knowledge=content.knowledge_code or "/".join(content.knowledge_path),
        explanation=content.explanation or "",
        status=version.status,
        own=viewer in {version.author, version.created_by},
    )


def current_sides(
    session: Session, bank: Bank, ids: Sequence[ItemId], viewer: str
) -> dict[ItemId, Side]:
    """The current versions of `ids` in `bank` (one query); a deleted or unknown id gets a
    Side that is not live."""
    wanted = sorted({i for i in ids if isinstance(i, int)})
    found: dict[ItemId, Side] = {
        item.id: _side_of_version(item, version, viewer)
        for item, version in session.execute(current_items(bank.id, item_ids=wanted))
    }
    return {i: found.get(i, Side(id=i, live=False)) for i in ids}


def listed_sides(
    session: Session, bank: Bank, ids: Sequence[ItemId], viewer: str
) -> dict[ItemId, Side]:
    """What the pair list shows of `ids` (the first line of each current stem, its status,
    whether it is the viewer's), in one query of columns. The texts are not re-derived from
    the versions' ids here: nothing is signed from the list, and the pair page, where the
    reviewer reads and signs, shows only verified content."""
    wanted = sorted({i for i in ids if isinstance(i, int)})
    columns = current_items(bank.id, item_ids=wanted).with_only_columns(
        Item.id,
        ItemVersion.sha256,
        ItemVersion.stem,
        ItemVersion.status,
        ItemVersion.author,
        ItemVersion.created_by,
    )
    found: dict[ItemId, Side] = {
        item_id: Side(
            id=item_id,
            live=True,
            version=sha,
            text=stem.split("\n")[0][:80],
            status=status,
            own=viewer in {author, created_by},
        )
        for item_id, sha, stem, status, author, created_by in session.execute(columns)
    }
    return {i: found.get(i, Side(id=i, live=False)) for i in ids}


def with_spans(left: Side, right: Side) -> tuple[Side, Side]:
    if not (left.live and right.live):
        return left, right
    a, b = side_by_side(left.text, right.text)
    return _spanned(left, a), _spanned(right, b)


def _spanned(side: Side, spans: list[Span]) -> Side:
    return replace(side, spans=tuple(spans))


def marks_between(session: Session, bank: Bank, a: int, b: int) -> list[tuple[Adjudication, bool]]:
    """Every adjudication of `bank` naming a version of `a` and one of `b`, oldest first, each
    with whether it names both current versions (a mark lapses with a new version)."""
    versions: dict[int, set[str]] = {a: set(), b: set()}
    current: dict[int, str] = {}
    for item_id, sha, is_current in session.execute(
        versions_of_items((a, b)).where(Item.bank_id == bank.id)
    ):
        versions[item_id].add(sha)
        if is_current:
            current[item_id] = sha
    va, vb = sorted(versions[a]), sorted(versions[b])
    rows = session.scalars(
        select(Adjudication)
        .where(
            Adjudication.bank_id == bank.id,
            or_(
                and_(Adjudication.version_a.in_(va), Adjudication.version_b.in_(vb)),
                and_(Adjudication.version_a.in_(vb), Adjudication.version_b.in_(va)),
            ),
        )
        .order_by(Adjudication.id)
    )
    now = {current.get(a), current.get(b)}
    return [(m, {m.version_a, m.version_b} == now) for m in rows]


def current_marks(
    session: Session, bank: Bank, sides: Mapping[ItemId, Side]
) -> dict[frozenset[str], Adjudication]:
    """The adjudications of `bank` that name two of the given current versions (one query)."""
    shas = sorted({s.version for s in sides.values() if s.live})
    if not shas:
        return {}
    rows = session.scalars(
        select(Adjudication).where(
            Adjudication.bank_id == bank.id,
            Adjudication.version_a.in_(shas),
            Adjudication.version_b.in_(shas),
        )
    )
    return {frozenset((m.version_a, m.version_b)): m for m in rows}


# --- the reviewer's pages -------------------------------------------------------------------


def _bank(req: PageRequest, session: Session, bank_id: int) -> Bank:
    bank = session.get(Bank, bank_id)
    if bank is None:
        raise PairNotFound("web.pairs.no_bank", id=bank_id)
    require_bank(session, req.person(session), bank)
    return bank


def _path_int(req: PageRequest, name: str) -> int:
    return int(req.request.path_params[name])



@dataclass(frozen=True)
class PairRow:
    pair: ReportPair
    reported: AdjudicatedPair | None  # adjudicated when the report was made
    mark: Adjudication | None  # an adjudication naming both current versions now
    left: Side
    right: Side

    @property
    def url(self) -> str:
        return f"{self.pair.a}/{self.pair.b}"


@page("/review/bank/{bank_id:int}/pairs", roles=REVIEWERS)
def pair_list(req: PageRequest) -> Response:
    from web.paging import page_of

    with req.transaction() as session:
        bank = _bank(req, session, _path_int(req, "bank_id"))
        latest = latest_report(session, bank)
        if latest is None:
            return req.render("pairs_list.html", bank=bank, title=bank_title(bank), latest=None)
        pg = page_of(req.query, len(latest.pairs), req.state.config.page_size)
        shown = latest.pairs[pg.offset : pg.offset + pg.size]
        sides = listed_sides(
            session, bank, [x for p, _ in shown for x in (p.a, p.b)], req.viewer.name
        )
        marks = current_marks(session, bank, sides)
        rows = []
        for pair, reported in shown:
            left, right = sides[pair.a], sides[pair.b]
            mark = marks.get(frozenset((left.version, right.version))) if left.live else None
            rows.append(PairRow(pair, reported, mark, left, right))
        return req.render(
            "pairs_list.html",
            bank=bank,
            title=bank_title(bank),
            latest=latest,
            report=latest.report,
            rows=rows,
            pg=pg,
            number=format_number,
            percent=format_percent,
        )


def _find_pair(pairs: Pairs, a: int, b: int) -> tuple[ReportPair, AdjudicatedPair | None] | None:
    for pair, reported in pairs:
        if {pair.a, pair.b} == {a, b}:
            return pair, reported
    return None


def _pair_context(req: PageRequest, session: Session) -> dict[str, Any]:
    bank = _bank(req, session, _path_int(req, "bank_id"))
    a, b = _path_int(req, "a"), _path_int(req, "b")
    latest = latest_report(session, bank)
    found = None if latest is None else _find_pair(latest.pairs, a, b)
    if latest is None or found is None:
        raise PairNotFound("web.pairs.not_a_pair", a=a, b=b)
    sides = current_sides(session, bank, (a, b), req.viewer.name)
    left, right = with_spans(sides[a], sides[b])
    return {
        "bank": bank,
        "title": bank_title(bank),
        "latest": latest,
        "pair": found[0],
        "reported": found[1],
        "left": left,
        "right": right,
        "chars": similarity(left.text, right.text) if left.live and right.live else None,
        "marks": marks_between(session, bank, a, b),
        "number": format_number,
        "percent": format_percent,
        "default_reason": wt("web.pairs.default_reason"),
    }


@page("/review/bank/{bank_id:int}/pairs/{a:int}/{b:int}", roles=REVIEWERS)
def pair_view(req: PageRequest) -> Response:
    with req.transaction() as session:
        context = _pair_context(req, session)
        done = req.query.get("done", "")
        notice = wt(f"web.pairs.done.{done}") if done in ("adjudicated", "rejected") else ""
        return req.render("pairs_pair.html", notice=notice, **context)


def _pair_url(req: PageRequest) -> str:
    p = req.request.path_params
    return f"/review/bank/{int(p['bank_id'])}/pairs/{int(p['a'])}/{int(p['b'])}"


@page(
    "/review/bank/{bank_id:int}/pairs/{a:int}/{b:int}/adjudicate",
    roles=SIGNERS,
    methods=("POST",),
)
def pair_adjudicate(req: PageRequest) -> Response:
    """The signed mark that the two items are distinct (as `qbank overlap mark` signs it)."""
    reason = req.form.get("reason", "").strip()
    if not reason:
        raise PairError("web.pairs.reason_required")
    with req.transaction() as session:
        context = _pair_context(req, session)
        left, right = context["left"], context["right"]
        _still_shown(req, (left, "version_a"), (right, "version_b"))
        adjudicate(
            session,
            context["bank"],
            _path_int(req, "a"),
            _path_int(req, "b"),
            reviewer=req.person(session),
            signer=signer_for(req),
            reason=reason,
            actor=req.viewer.name,
        )
    return req.redirect(_pair_url(req) + "?done=adjudicated")


def _still_shown(req: PageRequest, *sides: tuple[Side, str]) -> None:
    """Refuse when an item is gone or has a new version since the page was shown (the form's
    field names the version shown): the reviewer signs what they read."""
    for side, field in sides:
        if not side.live:
            raise PairError("web.pairs.item_gone", id=side.id)
        if req.form.get(field, "") != side.version:
            raise PairError("web.pairs.version_changed", id=side.id)


@page(
    "/review/bank/{bank_id:int}/pairs/{a:int}/{b:int}/reject",
    roles=SIGNERS,
    methods=("POST",),
)
def pair_reject(req: PageRequest) -> Response:
    """Reject one item of the pair: a signed review decision (as `qbank review reject`)."""
    comment = req.form.get("comment", "").strip()
    raw = req.form.get("item", "")
    a, b = _path_int(req, "a"), _path_int(req, "b")
    if not raw.isdigit() or int(raw) not in (a, b):
        raise PairError("web.pairs.pick_item")
    if not comment:
        raise PairError("web.pairs.comment_required")
    item_id = int(raw)
    with req.transaction() as session:
        context = _pair_context(req, session)
        side = context["left"] if context["left"].id == item_id else context["right"]
        field = f"version_{item_id}"
        _still_shown(req, (side, field))
        decision = Decision(REJECTED, comment, item_id=item_id, version=req.form[field])
        try:
            review(
                session,
                context["bank"],
                req.person(session),
                signer_for(req),
                [decision],
                actor=req.viewer.name,
            )
        except ReviewRejected as e:
            message = "；".join([str(e), *(p.message for p in e.problems)])
            return error_page(req.request, message, 400, session=req.session, viewer=req.viewer)
    return req.redirect(_pair_url(req) + "?done=rejected")


# --- the regulator's report viewer ----------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    low: float
    high: float
    count: int
    adjudicated: int


def histogram(report: OverlapReport, step: float = HISTOGRAM_STEP) -> list[Bar]:
    """Counts of the report's pairs by similarity, in bins of `step` from the bin holding the
    threshold up to 1 (the last bin holds 1 itself); adjudicated pairs counted apart."""
    bins = max(1, round(1 / step))
    first = min(int(float(report.threshold) * bins), bins - 1)
    counts = [[0, 0] for _ in range(bins)]
    for pair, reported in all_pairs(report):
        k = max(first, min(int(float(pair.similarity) * bins), bins - 1))
        counts[k][0 if reported is None else 1] += 1
    return [
        Bar(round(k * step, 6), round((k + 1) * step, 6), c, d)
        for k, (c, d) in enumerate(counts)
        if k >= first
    ]


@dataclass(frozen=True)
class Chart:
    """An inline SVG bar chart's geometry (no scripts: the CSP allows none)."""

    width: int
    height: int
    top: int  # the count the tallest bar stands for
    ceiling: int  # the y of the tallest bar's top
    bars: list[dict[str, Any]]


def chart_of(bars: Sequence[Bar], width: int = 640, height: int = 220) -> Chart:
    top = max([b.count + b.adjudicated for b in bars] + [1])
    left_pad, bottom_pad, top_pad = 40, 30, 24  # room for the axis labels and the counts
    inner_h = height - bottom_pad - top_pad
    slot = (width - left_pad - 10) / max(1, len(bars))
    out = []
    for k, bar in enumerate(bars):
        h_counted = inner_h * bar.count / top
        h_adj = inner_h * bar.adjudicated / top
        x = left_pad + k * slot + 2
        base = height - bottom_pad
        out.append(
            {
                "x": round(x, 1),
                "w": round(slot - 4, 1),
                "y": round(base - h_counted, 1),
                "h": round(h_counted, 1),
                "ya": round(base - h_counted - h_adj, 1),
                "ha": round(h_adj, 1),
                "label": f"{bar.low:.2f}",
                "count": bar.count + bar.adjudicated,
                "base": base,
            }
        )
    return Chart(width, height, top, top_pad, out)


@dataclass(frozen=True)
class ShownPair:
    pair: ReportPair
    reported: AdjudicatedPair | None
    left: Side
    right: Side


def _record_sides(report: OverlapReport, records: Sequence[ItemRecord]) -> dict[ItemId, Side]:
    """The report's listed items found in the uploaded items file, by the version named."""
    by_version = {content_id(item_content(r)): r for r in records}
    sides: dict[ItemId, Side] = {}
    for listed in report.listed():
        record = by_version.get(listed.version)
        if record is None or listed.id in sides:
            continue
        sides[listed.id] = Side(
            id=listed.id,
            live=True,
            version=listed.version,
            type=record.type.value,
            text=item_text(record.stem, record.options),
            answer=format_answer(record.answer),
            knowledge=record.knowledge_code or "/".join(record.knowledge_path),
            explanation=record.explanation or "",
        )
    return sides


def shown_pairs(pairs: Pairs, sides: Mapping[ItemId, Side], limit: int) -> list[ShownPair]:
    out = []
    for pair, reported in pairs[:limit]:
        left = sides.get(pair.a, Side(id=pair.a, live=False))
        right = sides.get(pair.b, Side(id=pair.b, live=False))
        left, right = with_spans(left, right)
        out.append(ShownPair(pair, reported, left, right))
    return out


SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]")


def _safe_name(filename: str, fallback: str) -> str:
    """The uploaded file's own name (no folders, no odd characters), to name it in messages
    and to keep its suffix, which decides how it is read."""
    name = SAFE_NAME.sub("_", PurePosixPath(filename.replace("\\", "/")).name)[:120]
    return name if name.strip("._") else fallback


def _read_items(filename: str, data: bytes) -> list[ItemRecord]:
    """The uploaded items file read as `qbank overlap verify --items` reads it, from a private
    temporary folder that is removed at once."""
    from importers.dispatch import read_items_or_reject

    with tempfile.TemporaryDirectory(prefix="qbank-web-") as folder:
        path = Path(folder) / _safe_name(filename, "items.xlsx")
        path.write_bytes(data)
        return read_items_or_reject(path)


@dataclass(frozen=True)
class Viewed:
    filename: str
    report: OverlapReport
    verification: Verification | None
    why_not: str  # why the report was not re-derived (empty when it was)
    items_file: str


def _viewed(req: PageRequest) -> tuple[Viewed, list[ItemRecord]]:
    """The uploaded report, re-derived when the items file beside it allows (theory reports
    only, as `qbank overlap verify --items`); the items read, for showing the texts."""
    upload = req.files.get("report")
    if upload is None or not upload.data:
        raise PairError("web.overlap.no_report")
    filename = _safe_name(upload.filename, "report.json")
    report = parse_report(upload.data, filename)
    items = req.files.get("items")
    if items is None or not items.data:
        return Viewed(filename, report, None, wt("web.overlap.why.no_items"), ""), []
    items_name = _safe_name(items.filename, "items.xlsx")
    records = _read_items(items.filename, items.data)
    if report.kind != THEORY:
        return Viewed(filename, report, None, wt("web.overlap.why.kind"), items_name), records
    verification = verify_report(None, report, records=records, source=items_name)
    return Viewed(filename, report, verification, "", items_name), records


def method_text(report: OverlapReport) -> str:
    """How the pairs were found, as `qbank overlap check` prints it."""
    method = report.method
    if isinstance(method, LshMethod):
        return wt("overlap.method_lsh", bands=method.bands, rows=method.rows)
    return wt("overlap.method_exact")


def short_json(value: object, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@page("/verify/overlap", roles=REGULATORS, methods=("GET", "POST"))
def overlap_viewer(req: PageRequest) -> Response:
    if req.request.method == "GET":
        return req.render("overlap_verify.html", viewed=None)
    viewed, records = _viewed(req)
    sides = _record_sides(viewed.report, records)
    limit = req.state.config.page_size
    every = all_pairs(viewed.report)
    return req.render(
        "overlap_verify.html",
        viewed=viewed,
        report=viewed.report,
        pairs=shown_pairs(every, sides, limit),
        more=max(0, len(every) - limit),
        total=len(every),
        chart=chart_of(histogram(viewed.report)),
        method=method_text(viewed.report),
        short=short_json,
        texts=bool(sides),
        number=format_number,
        percent=format_percent,
    )
