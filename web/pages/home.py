"""Signing in and out, and the home page that lists what the person's roles open."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from qbank.model import Person
from qbank.passwords import verify_password
from qbank.people import ROLES
from qbank.queries import live_people
from web.app import WebState
from web.auth import COOKIE, WebSession, same
from web.i18n import wt
from web.routing import ROUTES, PageRequest, error_page, page

DUMMY_HASH = "scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
"""Checked when the name is unknown, so a wrong name costs the same time as a wrong password."""


def _with_cookie(response: Response, state: WebState, session: WebSession) -> Response:
    response.set_cookie(
        COOKIE,
        session.id,
        max_age=state.config.session_max_seconds,
        path="/",
        secure=state.config.tls,
        httponly=True,
        samesite="strict",
    )
    return response


def _safe_next(target: str | None) -> str:
    """A path on this site to go to after signing in; anything else becomes "/"."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target


def _acting_person_id(state: WebState) -> int | None:
    name = state.config.acting_person
    if name is None:
        return None
    with state.db.transaction() as db:
        person = db.scalar(live_people().where(Person.name == name))
        return None if person is None else person.id


async def auth(request: Request) -> Response:
    """GET /auth?token=…: the printed one-time link, exchanged for a session cookie."""
    state: WebState = request.app.state.web
    if not state.config.loopback or not state.token.redeem(request.query_params.get("token", "")):
        return error_page(request, wt("web.auth.bad_token"), 403)
    person_id = await run_in_threadpool(_acting_person_id, state)
    session = (
        state.sessions.sign_in(state.sessions.get(request.cookies.get(COOKIE)), person_id)
        if person_id
        else state.sessions.create(None)
    )
    target = "/" if person_id else "/login"
    return _with_cookie(RedirectResponse(target, status_code=303), state, session)


def _login_form(
    request: Request, state: WebState, session: WebSession, status: int = 200, message: str = ""
) -> Response:
    response = state.render(
        request,
        "login.html",
        session,
        None,
        status,
        message=message,
        next=_safe_next(request.query_params.get("next")),
    )
    return _with_cookie(response, state, session)


async def login(request: Request) -> Response:
    """GET shows the sign-in form; POST checks name and password (rate-limited)."""
    state: WebState = request.app.state.web
    session = state.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        if state.config.loopback:
            return error_page(request, wt("web.login.token_only"), 401)
        session = state.sessions.create(None)
    if request.method == "GET":
        return _login_form(request, state, session)
    refused = state.check_origin(request)
    if refused is not None:
        return refused
    form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
    if not same(str(form.get("csrf", "")), session.csrf):
        return error_page(request, wt("web.error.csrf"), 403)
    name = str(form.get("name", "")).strip()[:100]
    password = str(form.get("password", ""))
    client = request.client.host if request.client else "-"
    keys = (f"name:{name}", f"addr:{client}")
    wait = state.limiter.wait_seconds(*keys)
    if wait:
        minutes = max(1, (wait + 59) // 60)
        return _login_form(request, state, session, 429, wt("web.login.locked", minutes=minutes))
    person_id = await run_in_threadpool(_check_password, state, name, password)
    if person_id is None:
        state.limiter.failed(*keys)
        return _login_form(request, state, session, 401, wt("web.login.failed"))
    state.limiter.succeeded(*keys)
    fresh = state.sessions.sign_in(session, person_id)
    target = _safe_next(str(form.get("next", "")))
    return _with_cookie(RedirectResponse(target, status_code=303), state, fresh)


def _check_password(state: WebState, name: str, password: str) -> int | None:
    with state.db.transaction() as db:
        person = db.scalar(live_people().where(Person.name == name)) if name else None
        stored = person.password_hash if person is not None else None
        ok = verify_password(password, stored or DUMMY_HASH)
        return person.id if ok and person is not None and stored else None


@page("/logout", roles=ROLES, methods=("POST",))
def logout(req: PageRequest) -> Response:
    req.state.sessions.end(req.session)
    response = req.redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


@page("/", roles=ROLES)
def home(req: PageRequest) -> Response:
    return req.render("home.html")


ROUTES.append(Route("/auth", auth, methods=["GET"], name="auth"))
ROUTES.append(Route("/login", login, methods=["GET", "POST"], name="login"))
