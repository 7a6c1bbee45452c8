"""The reviewer pages: the banks a reviewer may see, a bank's overview, the review queue, an
item's card, the practical sets, and signed decisions on them.

Every figure comes from the engine (`qbank.bank.summarize`, `qbank.review.status`, the stored
overlap reports, `qbank.queries`); every decision is recorded by `qbank.review.review` with
the viewer's key opened by the form's passphrase (`web.signing.signer_for`), exactly as
`qbank review approve|reject` records it, 回避 included. Every page that shows a bank's data
asks `qbank.access.require_bank` first.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from qbank.access import require_bank, visible_bank_ids
from qbank.bank import LEVEL_NAMES, summarize
from qbank.items import ItemView, decode_answer, get_item
from qbank.model import (
    Bank,
    Item,
    ItemVersion,
    KnowledgeNode,
    Occupation,
    OverlapReport,
    Person,
    PracticalSet,
    PracticalSetVersion,
    PracticalTaskRow,
    Review,
)
from qbank.policy import load_policy
from qbank.queries import (
    SET_CONTENT,
    current_items,
    current_items_outside_filing,
    current_sets,
    filing_summaries,
)
from qbank.review import (
    APPROVED,
    DECISIONS,
    REJECTED,
    Decision,
    ReviewRejected,
    review,
    status,
    verify_review,
)
from qbank.text.numbers import format_number, format_percent
from qbank.tree import current_tree
from web.diff import Span, side_by_side
from web.i18n import wt
from web.paging import page_of
from web.routing import PageRequest, error_page, page
from web.signing import signer_for

ROLES = ("reviewer", "institution")
SIGNERS = ("reviewer",)  # the institution reads the review pages; only reviewers sign
STATUSES = ("draft", APPROVED, REJECTED)
TYPES = ("judgement", "single", "multiple")
FILTERS = ("type", "point", "author", "importer", "status")
MAX_SUBJECTS = 2000
"""At most this many items or sets in one signed decision from a page."""


# --- shared pieces ---------------------------------------------------------------------------


def _refuse(req: PageRequest, message: str, status_code: int = 400) -> Response:
    return error_page(req.request, message, status_code, session=req.session, viewer=req.viewer)


def _bank(session: Session, req: PageRequest, bank_id: int) -> Bank | None:
    """The bank `bank_id` (None when there is none); BankNotVisible unless the viewer may
    see it."""
    bank = session.get(Bank, bank_id)
    if bank is not None:
        require_bank(session, req.person(session), bank)
    return bank


def _no_such(req: PageRequest, key: str) -> Response:
    return _refuse(req, wt(key), 404)


def bank_title(bank: Bank) -> str:
    return wt(
        "web.review.bank_title",
        name=bank.occupation.name,
        code=bank.occupation.code,
        level=bank.level,
        level_name=LEVEL_NAMES[bank.level][0],
    )


def _path_id(req: PageRequest, name: str) -> int:
    return int(req.request.path_params[name])


def _may_sign(req: PageRequest) -> bool:
    return req.viewer.has("reviewer")


def _own(version: ItemVersion | PracticalSetVersion, viewer_name: str) -> bool:
    """Is this the viewer's own version (回避)? Only to mark it; `qbank.review` decides."""
    return viewer_name in {version.author, version.created_by}


# --- /review ---------------------------------------------------------------------------------


@page("/review", roles=ROLES)
def banks(req: PageRequest) -> Response:
    """The banks the viewer may see, with their items by status and their sets."""
    with req.transaction() as session:
        visible = visible_bank_ids(session, req.person(session))
        stmt = select(Bank).join(Occupation).order_by(Occupation.code, Bank.level.desc())
        if visible is not None:
            stmt = stmt.where(Bank.id.in_(visible))
        rows = []
        for bank in session.scalars(stmt):
            summary = summarize(session, bank)
            rows.append({"id": bank.id, "title": bank_title(bank), "summary": summary})
    return req.render("review_banks.html", banks=rows)


# --- /review/bank/{id} -----------------------------------------------------------------------


@dataclass(frozen=True)
class RangeBar:
    """One 鉴定范围 of the chart: its items' share of the bank against its weight (both as
    shares of 1; the tree's weights are percentages of the whole)."""

    code: str
    name: str
    items: int
    share: float
    weight: float


@dataclass(frozen=True)
class PointRow:
    code: str
    name: str
    importance: str | None
    range_code: str | None
    items: int


def _type_and_point_counts(
    session: Session, bank: Bank
) -> tuple[dict[str, int], dict[str | None, int]]:
    """The bank's current items by type and by point, in one pass over them."""
    sub = (
        current_items(bank.id)
        .with_only_columns(ItemVersion.type.label("type"), ItemVersion.knowledge_code.label("code"))
        .subquery()
    )
    by_type = dict.fromkeys(TYPES, 0)
    by_point: dict[str | None, int] = defaultdict(int)
    for kind, code, count in session.execute(
        select(sub.c.type, sub.c.code, func.count()).group_by(sub.c.type, sub.c.code)
    ):
        by_type[kind] = by_type.get(kind, 0) + count
        by_point[code] += count
    return by_type, dict(by_point)


def coverage(
    nodes: Sequence[KnowledgeNode], counts: Mapping[str | None, int]
) -> tuple[list[RangeBar], list[PointRow], int]:
    """The chart's bars (the ranges that hold points, in tree order), every point's count,
    and how many items name no point of the tree."""
    total = sum(counts.values())
    points = [n for n in nodes if n.importance is not None]
    in_range: dict[str | None, int] = defaultdict(int)
    for p in points:
        in_range[p.parent_code] += counts.get(p.code, 0)
    holders = {p.parent_code for p in points}
    bars = [
        RangeBar(
            n.code,
            n.name,
            in_range[n.code],
            in_range[n.code] / total if total else 0.0,
            (n.weight or 0.0) / 100.0,
        )
        for n in nodes
        if n.importance is None and n.code in holders
    ]
    rows = [
        PointRow(p.code, p.name, p.importance, p.parent_code, counts.get(p.code, 0)) for p in points
    ]
    outside = total - sum(r.items for r in rows)
    return bars, rows, outside


@dataclass(frozen=True)
class Repetition:
    """The latest stored overlap report of one scope, as the overview shows it."""

    scope: str
    rate: float
    numerator: float
    denominator: float
    cap: float
    verdict: str
    generated_at: str
    generated_by: str
    sha256: str


def _repetitions(session: Session, bank: Bank) -> list[Repetition]:
    out = []
    for scope in ("theory", "practical"):
        row = session.execute(
            select(OverlapReport.body, OverlapReport.sha256)
            .where(OverlapReport.bank_id == bank.id, OverlapReport.scope == scope)
            .order_by(OverlapReport.id.desc())
            .limit(1)
        ).first()
        if row is None:
            continue
        body: dict[str, Any] = json.loads(row.body)
        out.append(
            Repetition(
                scope,
                float(body["rate"]),
                body["numerator"],
                body["denominator"],
                float(body["cap"]),
                str(body["verdict"]),
                str(body.get("generated_at", "")),
                str(body.get("generated_by", "")),
                row.sha256,
            )
        )
    return out


def _filings(session: Session, bank: Bank) -> tuple[list[Any], int | None]:
    """The bank's filings, newest first, and how many current items the latest lacks."""
    filings = list(session.execute(filing_summaries(bank.id)))
    if not filings:
        return [], None
    changed = session.scalar(
        current_items_outside_filing(bank.id, filings[0].id).with_only_columns(func.count())
    )
    return filings, changed or 0


@page("/review/bank/{bank_id:int}", roles=ROLES)
def overview(req: PageRequest) -> Response:
    """A bank at a glance: items by type against the minimum, items per 鉴定范围 against the
    tree's weights, the latest repetition rates, review progress and filings."""
    policy = load_policy()
    with req.transaction() as session:
        bank = _bank(session, req, _path_id(req, "bank_id"))
        if bank is None:
            return _no_such(req, "web.review.no_bank")
        progress = status(session, bank)
        by_type, by_point = _type_and_point_counts(session, bank)
        bars, points, outside = coverage(current_tree(session, bank), by_point)
        repetitions = _repetitions(session, bank)
        filings, changed = _filings(session, bank)
        title = bank_title(bank)
    return req.render(
        "review_bank.html",
        bank_id=bank.id,
        title=title,
        by_type=by_type,
        total=sum(by_type.values()),
        sets_total=sum(progress.sets.values()),
        policy=policy,
        progress=progress,
        chart=chart(bars),
        points=points,
        outside=outside,
        repetitions=repetitions,
        filings=filings,
        changed=changed,
        percent=format_percent,
        number=format_number,
    )


@dataclass(frozen=True)
class Chart:
    """The SVG bar chart's geometry: rows of (bar, its share's width, its weight's width)."""

    rows: list[tuple[RangeBar, float, float, float]]
    width: int
    height: int
    label_width: int
    bar_width: int
    row_height: int


def chart(bars: Sequence[RangeBar]) -> Chart:
    """Each range as a row: the items' share (a bar) and the tree's weight (a thin bar
    beneath), on one scale up to the largest of either."""
    label_width, bar_width, row_height = 300, 420, 26
    top = max([b.share for b in bars] + [b.weight for b in bars] + [0.01])
    rows = [
        (b, bar_width * b.share / top, bar_width * b.weight / top, float(i * row_height + 24))
        for i, b in enumerate(bars)
    ]
    return Chart(
        rows,
        label_width + bar_width + 130,
        len(bars) * row_height + 30,
        label_width,
        bar_width,
        row_height,
    )


# --- /review/bank/{id}/queue -----------------------------------------------------------------


def _descendant_points(nodes: Sequence[KnowledgeNode], code: str) -> list[str]:
    """The point codes at or under node `code` of the tree."""
    children: dict[str | None, list[KnowledgeNode]] = defaultdict(list)
    for n in nodes:
        children[n.parent_code].append(n)
    out: list[str] = []
    stack = [n for n in nodes if n.code == code]
    while stack:
        node = stack.pop()
        if node.importance is not None:
            out.append(node.code)
        stack.extend(children[node.code])
    return out


def _filters(query: Mapping[str, str]) -> dict[str, str]:
    """The queue's filters from the query string (unknown type or status: no filter)."""
    chosen = {k: query.get(k, "").strip()[:100] for k in FILTERS}
    if chosen["type"] not in TYPES:
        chosen["type"] = ""
    if chosen["status"] not in STATUSES:
        chosen["status"] = ""
    return chosen


def _filtered(bank: Bank, nodes: Sequence[KnowledgeNode], chosen: Mapping[str, str]) -> Any:
    stmt = current_items(bank.id)
    if chosen["type"]:
        stmt = stmt.where(ItemVersion.type == chosen["type"])
    if chosen["point"]:
        stmt = stmt.where(
            ItemVersion.knowledge_code.in_(_descendant_points(nodes, chosen["point"]))
        )
    if chosen["author"]:
        stmt = stmt.where(ItemVersion.author == chosen["author"])
    if chosen["importer"]:
        stmt = stmt.where(ItemVersion.created_by == chosen["importer"])
    if chosen["status"]:
        stmt = stmt.where(ItemVersion.status == chosen["status"])
    return stmt


def _people(session: Session, bank: Bank) -> tuple[list[str], list[str]]:
    """The authors and the importers of the bank's current items (the filters' choices)."""
    sub = (
        current_items(bank.id)
        .with_only_columns(
            ItemVersion.author.label("author"), ItemVersion.created_by.label("importer")
        )
        .subquery()
    )
    authors: set[str] = set()
    importers: set[str] = set()
    for author, importer in session.execute(select(sub.c.author, sub.c.importer).distinct()):
        if author:
            authors.add(author)
        importers.add(importer)
    return sorted(authors), sorted(importers)


def queue_url(bank_id: int, chosen: Mapping[str, str]) -> str:
    query = urlencode({k: v for k, v in chosen.items() if v})
    return f"/review/bank/{bank_id}/queue" + (f"?{query}" if query else "")


@page("/review/bank/{bank_id:int}/queue", roles=ROLES)
def queue(req: PageRequest) -> Response:
    """The bank's current items, filtered and a page at a time, with boxes to decide on."""
    chosen = _filters(req.query)
    with req.transaction() as session:
        bank = _bank(session, req, _path_id(req, "bank_id"))
        if bank is None:
            return _no_such(req, "web.review.no_bank")
        nodes = current_tree(session, bank)
        stmt = _filtered(bank, nodes, chosen)
        total = session.scalar(stmt.with_only_columns(func.count())) or 0
        pg = page_of(req.query, total, req.state.config.page_size)
        rows = [
            {
                "id": item.id,
                "version": version.sha256,
                "seq": version.seq,
                "type": version.type,
                "stem": version.stem,
                "point": version.knowledge_code,
                "author": version.author,
                "importer": version.created_by,
                "status": version.status,
                "own": _own(version, req.viewer.name),
            }
            for item, version in session.execute(
                stmt.order_by(Item.id).limit(pg.size).offset(pg.offset)
            )
        ]
        authors, importers = _people(session, bank)
        title = bank_title(bank)
    base = queue_url(bank.id, chosen)
    return req.render(
        "review_queue.html",
        bank_id=bank.id,
        title=title,
        rows=rows,
        pg=pg,
        base=base,
        back=base + ("&" if "?" in base else "?") + f"page={pg.page}",
        chosen=chosen,
        nodes=nodes,
        authors=authors,
        importers=importers,
        types=TYPES,
        statuses=STATUSES,
        may_sign=_may_sign(req),
        done=_done(req.query),
    )


def _done(query: Mapping[str, str]) -> str:
    """The confirmation a redirect after a decision carries (`?done=APPROVED,REJECTED`)."""
    parts = query.get("done", "").split(",")
    if len(parts) != 2 or not all(p.isdigit() and len(p) < 7 for p in parts):
        return ""
    return wt("review.done", approved=int(parts[0]), rejected=int(parts[1]))


# --- /review/item/{id} -----------------------------------------------------------------------


@dataclass(frozen=True)
class VersionChange:
    """One version of the item and how it differs from the one before (field → spans)."""

    version: ItemVersion
    status: str
    changes: list[tuple[str, list[Span], list[Span]]]


def _version_text(version: ItemVersion) -> dict[str, str]:
    options = "\n".join(f"{k}. {v}" for k, v in sorted(version.options.items()))
    return {
        "stem": version.stem,
        "options": options,
        "answer": answer_text(version.type, decode_answer(version.answer)),
        "explanation": version.explanation or "",
        "point": version.knowledge_code or "",
    }


def history(versions: Sequence[ItemVersion]) -> list[VersionChange]:
    """Every version, newest first, each with its character-level differences from the
    version before it (fields that did not change are left out)."""
    out = []
    before: dict[str, str] | None = None
    for version in versions:
        text = _version_text(version)
        changes = []
        if before is not None:
            for field_name, now in text.items():
                if now != before[field_name]:
                    left, right = side_by_side(before[field_name], now)
                    changes.append((field_name, left, right))
        out.append(VersionChange(version, version.status, changes))
        before = text
    return out[::-1]


def answer_text(item_type: str, answer: object) -> str:
    if isinstance(answer, bool):
        return wt("web.review.true" if answer else "web.review.false")
    return str(answer)


def point_path(nodes: Sequence[KnowledgeNode], code: str | None) -> list[KnowledgeNode]:
    """The nodes from the top range down to the point `code` (empty when not in the tree)."""
    by_code = {n.code: n for n in nodes}
    path: list[KnowledgeNode] = []
    node = by_code.get(code) if code else None
    while node is not None and len(path) < 20:
        path.append(node)
        node = by_code.get(node.parent_code) if node.parent_code else None
    return path[::-1]


def _reviews(
    session: Session, version: type[ItemVersion] | type[PracticalSetVersion], owner_id: int
) -> list[dict[str, Any]]:
    """Every review of an item's (or a set's) versions, newest first, its signature checked."""
    if version is ItemVersion:
        signed, owner = Review.item_version_id, ItemVersion.item_id
    else:
        signed, owner = Review.set_version_id, PracticalSetVersion.set_id
    rows = session.execute(
        select(Review, Person, version.seq)
        .join(Person, Person.id == Review.reviewer_id)
        .join(version, version.id == signed)
        .where(owner == owner_id)
        .order_by(Review.id.desc())
    )
    return [
        {"review": r, "reviewer": p.name, "seq": seq, "valid": verify_review(r, p)}
        for r, p, seq in rows
    ]


@page("/review/item/{item_id:int}", roles=ROLES)
def item_card(req: PageRequest) -> Response:
    """One item as the reviewer signs it: stem, options with the answer marked, explanation,
    its 鉴定点 path, every version with its differences, and every review of it."""
    item_id = _path_id(req, "item_id")
    with req.transaction() as session:
        item = session.get(Item, item_id)
        if item is None or item.deleted_at is not None:
            return _no_such(req, "web.review.no_item")
        bank = _bank(session, req, item.bank_id)
        if bank is None:
            return _no_such(req, "web.review.no_bank")
        view: ItemView = get_item(session, item_id)
        versions = list(
            session.scalars(
                select(ItemVersion).where(ItemVersion.item_id == item_id).order_by(ItemVersion.seq)
            )
        )
        current = next(v for v in versions if v.sha256 == view.version)
        nodes = current_tree(session, bank)
        context: dict[str, Any] = {
            "bank_id": bank.id,
            "title": bank_title(bank),
            "item": view,
            "importer": current.created_by,
            "created_at": current.created_at,
            "answer": answer_text(view.type, view.answer),
            "path": point_path(nodes, view.knowledge_point),
            "history": history(versions),
            "reviews": _reviews(session, ItemVersion, item_id),
            "own": _own(current, req.viewer.name),
        }
    return req.render(
        "review_item.html",
        may_sign=_may_sign(req),
        back=f"/review/item/{item_id}",
        done=_done(req.query),
        **context,
    )


# --- /review/bank/{id}/sets ------------------------------------------------------------------


@page("/review/bank/{bank_id:int}/sets", roles=ROLES)
def sets(req: PageRequest) -> Response:
    """The bank's current practical sets with their tasks, status and author."""
    with req.transaction() as session:
        bank = _bank(session, req, _path_id(req, "bank_id"))
        if bank is None:
            return _no_such(req, "web.review.no_bank")
        tasks = (
            select(PracticalTaskRow.version_id, func.count().label("tasks"))
            .group_by(PracticalTaskRow.version_id)
            .subquery()
        )
        stmt = (
            current_sets(bank.id)
            .add_columns(tasks.c.tasks)
            .outerjoin(tasks, tasks.c.version_id == PracticalSetVersion.id)
            .order_by(PracticalSet.code)
        )
        total = session.scalar(current_sets(bank.id).with_only_columns(func.count())) or 0
        pg = page_of(req.query, total, req.state.config.page_size)
        rows = [
            {
                "code": s.code,
                "version": v.sha256,
                "seq": v.seq,
                "title": v.title,
                "minutes": v.total_minutes,
                "tasks": n or 0,
                "author": v.author,
                "importer": v.created_by,
                "status": v.status,
                "own": _own(v, req.viewer.name),
            }
            for s, v, n in session.execute(stmt.limit(pg.size).offset(pg.offset))
        ]
        title = bank_title(bank)
    base = f"/review/bank/{bank.id}/sets"
    return req.render(
        "review_sets.html",
        bank_id=bank.id,
        title=title,
        rows=rows,
        pg=pg,
        base=base,
        back=f"{base}?page={pg.page}",
        may_sign=_may_sign(req),
        done=_done(req.query),
    )


@page("/review/bank/{bank_id:int}/sets/{code}", roles=ROLES)
def set_card(req: PageRequest) -> Response:
    """One practical set as the reviewer signs it: its tasks with their requirements and
    rubric rows, the venue's and the candidates' preparation lists, and its reviews."""
    code = str(req.request.path_params["code"])
    with req.transaction() as session:
        bank = _bank(session, req, _path_id(req, "bank_id"))
        if bank is None:
            return _no_such(req, "web.review.no_bank")
        found = session.execute(
            current_sets(bank.id).where(PracticalSet.code == code).options(*SET_CONTENT)
        ).first()
        if found is None:
            return _no_such(req, "web.review.no_set")
        practical_set, version = found
        context: dict[str, Any] = {
            "bank_id": bank.id,
            "title": bank_title(bank),
            "code": practical_set.code,
            "version": version,
            "status": version.status,
            "tasks": list(version.tasks),
            "rubrics": [list(task.rubric) for task in version.tasks],
            "venue": [r for r in version.prep_rows if r.audience == "venue"],
            "candidate": [r for r in version.prep_rows if r.audience != "venue"],
            "reviews": _reviews(session, PracticalSetVersion, practical_set.id),
            "own": _own(version, req.viewer.name),
        }
    return req.render(
        "review_set.html",
        may_sign=_may_sign(req),
        back=f"/review/bank/{bank.id}/sets/{quote(code)}",
        done=_done(req.query),
        number=format_number,
        **context,
    )


# --- POST /review/bank/{id}/decide -----------------------------------------------------------


def decisions_of(
    decision: str, comment: str, items: Sequence[str], set_codes: Sequence[str]
) -> list[Decision] | None:
    """The form's subjects as decisions, each item pinned to the version the page showed
    (`ID@SHA256`); None when a subject is malformed."""
    out = []
    for subject in items:
        item_id, _, version = subject.partition("@")
        if not item_id.isdigit() or len(item_id) > 12 or len(version) != 64:
            return None
        out.append(Decision(decision, comment, item_id=int(item_id), version=version))
    for code in set_codes:
        code, _, version = code.partition("@")
        if not code or len(version) != 64:
            return None
        out.append(Decision(decision, comment, set_code=code, version=version))
    return out


def _back(req: PageRequest, bank_id: int) -> str:
    target = req.form.get("back", "")
    allowed = (f"/review/bank/{bank_id}/", "/review/item/")
    if target.startswith(allowed) and "//" not in target and "\\" not in target:
        return target
    return f"/review/bank/{bank_id}/queue"


@page("/review/bank/{bank_id:int}/decide", roles=SIGNERS, methods=("POST",))
def decide(req: PageRequest) -> Response:
    """Approve or reject the chosen items and sets, signed with the viewer's key; all or
    nothing. A rejection needs a comment; the viewer's own items are refused (回避, 403)."""
    bank_id = _path_id(req, "bank_id")
    decision = req.form.get("decision", "")
    comment = req.form.get("comment", "").strip()
    items = req.form_lists.get("item", [])
    set_codes = req.form_lists.get("set", [])
    if decision not in DECISIONS:
        return _refuse(req, wt("review.bad_decision", value=decision[:20]))
    if not items and not set_codes:
        return _refuse(req, wt("web.review.nothing_chosen"))
    if len(items) + len(set_codes) > MAX_SUBJECTS:
        return _refuse(req, wt("web.review.too_many", limit=MAX_SUBJECTS))
    if decision == REJECTED and not comment:
        return _refuse(req, wt("review.comment_required"))
    decisions = decisions_of(decision, comment, items, set_codes)
    if decisions is None:
        return _refuse(req, wt("web.review.bad_subject"))
    with req.transaction() as session:
        bank = _bank(session, req, bank_id)
        if bank is None:
            return _no_such(req, "web.review.no_bank")
        reviewer = req.person(session)
        signer = signer_for(req)
        try:
            done = review(session, bank, reviewer, signer, decisions, actor=req.viewer.name)
        except ReviewRejected as rejected:
            shown = "；".join(str(p) for p in rejected.problems[:20])
            return _refuse(req, f"{rejected}：{shown}")
    target = _back(req, bank_id)
    sep = "&" if "?" in target else "?"
    return req.redirect(f"{target}{sep}done={done.approved},{done.rejected}")
