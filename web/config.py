"""How one `qbank serve` process is set up: where it listens, who may come in, for how long."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebConfig:
    """Settings of one server process.

    `acting_person`: the person the loopback token signs in as (`qbank serve --as NAME`);
    without it, the token only opens the login page, where a person signs in with a password.
    Beyond loopback there is no token at all: TLS and per-person passwords are required.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    acting_person: str | None = None
    tls: bool = False
    keystore: Path | None = None
    session_idle_seconds: int = 30 * 60
    session_max_seconds: int = 8 * 3600
    login_attempts: int = 5
    login_window_seconds: int = 15 * 60
    max_upload_bytes: int = 256 * 1024 * 1024
    page_size: int = 50

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def origin(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def token_url(self) -> str:
        return f"{self.origin}/auth?token={self.token}"
