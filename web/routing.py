"""`page`: how every route is declared, so that no route can skip the checks.

A page is a plain function `handler(req: PageRequest) -> Response`, run in a worker thread
(the engine is synchronous). Before it runs, the wrapper: finds the session (none → the
sign-in page, or 401 for a POST); loads the person fresh from the database (a deleted person
or a removed role takes effect at once); checks that the person holds one of the page's roles
(403); and for a POST checks the Origin header and the form's CSRF token (403) after reading
the form under the upload limit (413). A `QbankError` from the engine becomes an error page
with its one message; nothing of the request (passphrases included) is ever echoed or logged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from qbank.access import BankNotVisible
from qbank.errors import NotFound, QbankError
from qbank.review import SelfReview
from web.auth import COOKIE, WebSession, same
from web.i18n import wt

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qbank.model import Person
    from web.app import WebState

ROUTES: list[Route] = []
"""Every page of the workspace, in declaration order (web.app mounts them)."""

MAX_ROW_ID = 2**63 - 1
"""A row id in a path beyond what SQLite and PostgreSQL integers hold names no row (and must
not reach a query, where PostgreSQL would fail on it)."""
MAX_FIELDS = 5000
MAX_FILES = 8
MAX_FIELD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """One uploaded file, read into memory under the upload limit: its name as the browser
    sent it (only ever shown, never used as a path) and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as pages see them (a plain copy, safe outside a transaction)."""

    id: int
    name: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass
class PageRequest:
    request: Request
    state: WebState
    session: WebSession
    viewer: Viewer
    form: Mapping[str, str]
    form_lists: Mapping[str, list[str]]
    files: Mapping[str, Upload]

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.state.db.transaction() as session:
            yield session

    def person(self, session: Session) -> Person:
        """The viewer's row in `session` (for engine calls that take a Person)."""
        from qbank.model import Person

        return session.get_one(Person, self.viewer.id)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return self.state.render(
            self.request, template, self.session, self.viewer, status_code, **context
        )

    def redirect(self, path: str) -> RedirectResponse:
        """303 to a path of this site (never an outside address)."""
        if not path.startswith("/") or path.startswith("//"):
            path = "/"
        return RedirectResponse(path, status_code=303)


def error_page(
    request: Request,
    message: str,
    status_code: int,
    *,
    session: WebSession | None = None,
    viewer: Viewer | None = None,
) -> HTMLResponse:
    state: WebState = request.app.state.web
    return state.render(request, "error.html", session, viewer, status_code, message=message)


def _viewer(state: WebState, session: WebSession) -> Viewer | None:
    from qbank.model import Person

    if session.person_id is None:
        return None
    with state.db.transaction() as db:
        person = db.get(Person, session.person_id)
        if person is None or person.deleted_at is not None:
            return None
        return Viewer(person.id, person.name, frozenset(person.roles.split(",")))


async def _read_form(
    request: Request,
) -> tuple[dict[str, str], dict[str, list[str]], dict[str, Upload]]:
    form = await request.form(
        max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES
    )
    fields: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    files: dict[str, Upload] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = Upload(value.filename or "", await value.read())
            else:
                fields.setdefault(key, value)
                lists.setdefault(key, []).append(value)
    finally:
        await form.close()
    return fields, lists, files


def _status_of(error: QbankError) -> int:
    if isinstance(error, BankNotVisible | SelfReview):
        return 403
    if isinstance(error, NotFound):
        return 404
    return 400


def page(
    path: str,
    *,
    roles: tuple[str, ...],
    methods: tuple[str, ...] = ("GET",),
    name: str | None = None,
) -> Callable[[Callable[[PageRequest], Response]], Callable[[PageRequest], Response]]:
    """Declare `handler` as the page at `path` for people holding any of `roles`."""

    def declare(handler: Callable[[PageRequest], Response]) -> Callable[[PageRequest], Response]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            state: WebState = request.app.state.web
            if any(isinstance(v, int) and v > MAX_ROW_ID for v in request.path_params.values()):
                return error_page(request, wt("web.error.not_found"), 404)  # no such row
            session = state.sessions.get(request.cookies.get(COOKIE))
            if session is None or session.person_id is None:
                if request.method == "GET":
                    target = request.url.path
                    if request.url.query:
                        target += "?" + request.url.query
                    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
                return error_page(request, wt("web.error.unauthenticated"), 401)
            viewer = await run_in_threadpool(_viewer, state, session)
            if viewer is None:
                state.sessions.end(session)
                return error_page(request, wt("web.error.unauthenticated"), 401)
            if not viewer.has(*roles):
                names = "、".join(wt(f"web.role.{r}") for r in roles)
                return error_page(
                    request,
                    wt("web.error.forbidden_role", roles=names),
                    403,
                    session=session,
                    viewer=viewer,
                )
            fields: dict[str, str] = {}
            lists: dict[str, list[str]] = {}
            files: dict[str, Upload] = {}
            if request.method == "POST":
                refused = state.check_origin(request)
                if refused is not None:
                    return refused
                try:
                    fields, lists, files = await _read_form(request)
                except Exception as e:  # multipart's own errors (too many fields, bad parts)
                    status = getattr(e, "status_code", 400)
                    return error_page(
                        request, wt("web.error.bad_form", reason=str(e)[:200]), status
                    )
                if not same(fields.get("csrf", ""), session.csrf):
                    return error_page(
                        request, wt("web.error.csrf"), 403, session=session, viewer=viewer
                    )
            preq = PageRequest(request, state, session, viewer, fields, lists, files)
            try:
                return await run_in_threadpool(handler, preq)
            except QbankError as e:
                return error_page(request, str(e), _status_of(e), session=session, viewer=viewer)

        ROUTES.append(Route(path, endpoint, methods=list(methods), name=name or handler.__name__))
        return handler

    return declare
