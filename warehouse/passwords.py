"""Persons' passwords: generated, shown once, kept only as a scrypt hash.

scrypt comes with Python (`hashlib.scrypt`, OpenSSL's), so no new dependency, and it is memory-hard:
a stolen accounts file costs an attacker 16 MiB and tens of milliseconds per guess. The same cost on
every request would take a core from the sinks when Grafana sends a query per panel, so a password
that was verified once is remembered in this process's memory only, as a keyed SHA-256 with a
key that never leaves the process; a changed or removed account no longer matches what was
remembered. An unknown name is checked against a dummy hash at the same cost, so the time taken does
not tell which names exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

# RFC 7914's interactive parameters: 2^14 iterations of 8 blocks, 16 MiB.
N, R, P = 2**14, 8, 1
_MAX_MEMORY = 64 * 1024 * 1024
_PROCESS_KEY = secrets.token_bytes(32)
_verified: dict[str, bytes] = {}
_lock = threading.Lock()


def new_password() -> str:
    """A password nobody chose: 192 random bits, URL-safe so that it can go into a DSN unquoted."""
    return secrets.token_urlsafe(24)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=32)


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash`, the parameters kept with the hash so that they can be raised later."""
    salt = secrets.token_bytes(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_scrypt(password, salt, N, R, P))}"


DUMMY_HASH = hash_password(new_password())


def verify(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant time in the comparison)."""
    remembered = hmac.new(_PROCESS_KEY, f"{stored}\0{password}".encode(), hashlib.sha256).digest()
    with _lock:
        known = _verified.get(stored)
    if known is not None and hmac.compare_digest(known, remembered):
        return True
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        matches = hmac.compare_digest(_scrypt(password, _unb64(salt), int(n), int(r), int(p)), _unb64(digest))
    except ValueError:
        return False
    if matches:
        with _lock:
            if len(_verified) > 10_000:  # bounded: a flood of accounts cannot grow it without end
                _verified.clear()
            _verified[stored] = remembered
    return matches
