"""The Starlette application: its state, its middleware and its pages.

Middleware, outermost first: the Host header must name this server (DNS rebinding: a page on
another site that resolves its own name to 127.0.0.1 gets 400); a request body may not
exceed the upload limit (413, counted as it streams, whatever Content-Length says); every
response carries a strict Content-Security-Policy (no scripts at all, no framing), no
referrer beyond this site (`same-origin`: the sign-in link's token never leaks, and
Chromium still sends a real Origin on our own form POSTs — under `no-referrer` it sends
`Origin: null`, which the Origin check refuses) and `no-store`. There is no CORS middleware:
no other origin may read a response, and a POST from one is refused (Origin check + CSRF).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qbank.i18n import language
from web.auth import LoginLimiter, OneTimeToken, SessionStore, WebSession
from web.config import WebConfig
from web.i18n import wt

if TYPE_CHECKING:
    from qbank.db import Database
    from web.routing import Viewer

HERE = Path(__file__).resolve().parent
PAGE_MODULES = (
    "web.pages.home",
    "web.pages.reviewer",
    "web.pages.pairs",
    "web.pages.regulator",
    "web.pages.staff",
)

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass
class WebState:
    """What every page reaches through `request.app.state.web`."""

    config: WebConfig
    db: Database
    sessions: SessionStore
    token: OneTimeToken
    limiter: LoginLimiter
    templates: Environment

    def render(
        self,
        request: Request,
        template: str,
        session: WebSession | None,
        viewer: Viewer | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        html = self.templates.get_template(template).render(
            request=request,
            csrf=session.csrf if session else "",
            viewer=viewer,
            lang=language(),
            **context,
        )
        return HTMLResponse(html, status_code=status_code)

    def check_origin(self, request: Request) -> Response | None:
        """Refuse a POST whose Origin names another site. Browsers send Origin on every
        cross-site POST."""
        origin = request.headers.get("origin")
        if origin is None or origin == self.config.origin or origin in self._loopback_origins():
            return None
        from web.routing import error_page

        return error_page(request, wt("web.error.origin"), 403)

    def _loopback_origins(self) -> set[str]:
        if not self.config.loopback:
            return set()
        scheme = "https" if self.config.tls else "http"
        return {f"{scheme}://{h}:{self.config.port}" for h in ("127.0.0.1", "localhost", "[::1]")}


class BodyLimit:
    """Refuse a request body over `limit` bytes: by Content-Length at once, else as it streams."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        mib = self.limit / (1024 * 1024)
        response = PlainTextResponse(wt("web.error.too_large", limit=f"{mib:g} MiB"), 413)
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode().lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = wt
    env.globals["role_names"] = role_names
    return env


def role_names(roles: frozenset[str]) -> str:
    """A person's roles in the page's language, in a stable order."""
    return "、".join(wt(f"web.role.{r}") for r in sorted(roles))


def create_app(config: WebConfig, db: Database) -> Starlette:
    """The workspace for `db` under `config` (the caller runs it: uvicorn, or a test client)."""
    from web import routing

    for module in PAGE_MODULES:
        importlib.import_module(module)
    state = WebState(
        config=config,
        db=db,
        sessions=SessionStore(config.session_idle_seconds, config.session_max_seconds),
        token=OneTimeToken(config.token),
        limiter=LoginLimiter(config.login_attempts, config.login_window_seconds),
        templates=templates(),
    )

    async def not_found(request: Request, _exc: Exception) -> Response:
        from web.routing import error_page

        return error_page(request, wt("web.error.not_found"), 404)

    app = Starlette(
        routes=[
            *routing.ROUTES,
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts)),
            Middleware(BodyLimit, limit=config.max_upload_bytes),
        ],
        exception_handlers={404: not_found},
    )
    app.state.web = state
    return app
