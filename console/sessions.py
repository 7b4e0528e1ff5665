"""Sessions that expire: a signed cookie naming the person and when the sign-in ends.

The cookie is `<payload>.<HMAC-SHA256 of the payload>`, the payload the account name and the end
of the session in Unix seconds. Nothing is kept on the server, so a restart keeps everyone signed
in, while a cookie changed by hand fails its signature and an old one its end; the account is also
checked on each request, so disabling it ends its sessions. The key comes from the settings or is
generated once into `<console dir>/session_key` (mode 0600), as the router's link secret is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

COOKIE = "ioc_console"


class Verdict(Enum):
    """What a presented cookie turned out to be."""

    VALID = "valid"
    MISSING = "missing"
    EXPIRED = "expired"
    FORGED = "forged"


@dataclass(frozen=True)
class Session:
    verdict: Verdict
    name: str = ""


def session_key(configured: str, path: Path) -> bytes:
    """The configured key, else the one kept at `path`, made on first use."""
    if configured:
        return configured.encode()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Sessions:
    """Issues and reads session cookies with one key and one lifetime."""

    def __init__(self, key: bytes, ttl_s: float) -> None:
        self._key, self.ttl_s = key, ttl_s

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, name: str, now: float | None = None) -> str:
        """A cookie value for `name`, valid for the lifetime from `now`."""
        ends = int((time.time() if now is None else now) + self.ttl_s)
        payload = _b64(json.dumps({"n": name, "e": ends}, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session:
        """Whether the cookie is one of ours and still valid, and whose."""
        if not cookie:
            return Session(Verdict.MISSING)
        payload, _, signature = cookie.partition(".")
        if not hmac.compare_digest(self._sign(payload).encode(), signature.encode()):
            return Session(Verdict.FORGED)
        fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if fields["e"] <= (time.time() if now is None else now):
            return Session(Verdict.EXPIRED, fields["n"])
        return Session(Verdict.VALID, fields["n"])
