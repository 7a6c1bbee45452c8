"""Sessions, the one-time token, CSRF tokens and the login rate limit.

Everything is kept in this process's memory: a restart signs everyone out, which is what a
local workspace wants. A session id is 32 random bytes in an HttpOnly, SameSite=Strict cookie
(Secure under TLS); its CSRF token is another 32 random bytes, put in every form and compared
in constant time on every POST. Sessions end after `session_idle_seconds` without a request
and after `session_max_seconds` in all.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

COOKIE = "qbank_session"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass
class WebSession:
    """One browser's session: who (None until they sign in), its CSRF token, its times."""

    id: str
    csrf: str
    created: float
    last_seen: float
    person_id: int | None = None


@dataclass
class SessionStore:
    idle_seconds: int
    max_seconds: int
    _sessions: dict[str, WebSession] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, person_id: int | None) -> WebSession:
        now = time.monotonic()
        session = WebSession(new_secret(), new_secret(), now, now, person_id)
        with self._lock:
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> WebSession | None:
        """The live session with this id (its idle clock restarted), or None."""
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if (
                now - session.last_seen > self.idle_seconds
                or now - session.created > self.max_seconds
            ):
                del self._sessions[session_id]
                return None
            session.last_seen = now
            return session

    def sign_in(self, old: WebSession | None, person_id: int) -> WebSession:
        """A fresh session for `person_id` (a new id, so a session fixed before sign-in is
        worthless); the old one ends."""
        self.end(old)
        return self.create(person_id)

    def end(self, session: WebSession | None) -> None:
        if session is not None:
            with self._lock:
                self._sessions.pop(session.id, None)


@dataclass
class OneTimeToken:
    """The token `qbank serve` prints: exchanged once for a session cookie, then dead."""

    value: str
    used: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def redeem(self, offered: str) -> bool:
        with self._lock:
            if self.used or not offered or not same(offered, self.value):
                return False
            self.used = True
            return True


@dataclass
class LoginLimiter:
    """At most `attempts` failed sign-ins per name and per client address in `window` seconds."""

    attempts: int
    window: int
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def wait_seconds(self, *keys: str) -> int:
        """Seconds until these keys may try again; 0 when they may now."""
        now = time.monotonic()
        with self._lock:
            waits = [
                self.window - (now - times[0])
                for times in (self._recent(k, now) for k in keys)
                if len(times) >= self.attempts
            ]
        return int(max(waits, default=0)) + (1 if waits else 0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
