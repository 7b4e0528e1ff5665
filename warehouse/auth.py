"""Who is asking: ClickHouse's three ways of sending credentials over HTTP, checked in constant time.

Clients use all three: clickhouse-connect sends Basic auth, the Go driver behind Grafana the
`X-ClickHouse-User`/`X-ClickHouse-Key` headers, and a browser or curl may put `user`/`password`
in the URL. No credentials at all is ClickHouse's `default` user, which does not exist here.

A wrong password, an unknown name and a disabled account get the same answer, and an unknown name
costs the same scrypt as a person's password (warehouse.passwords), so neither the answer nor its
time tells whether an account exists.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from warehouse.errors import authentication_failed
from warehouse.passwords import DUMMY_HASH, verify
from warehouse.users import User


@dataclass(frozen=True)
class Credentials:
    """What the request claims; `given` is False when it carried none."""

    user: str
    password: str
    given: bool


def request_credentials(headers: Mapping[str, str], args: Mapping[str, str]) -> Credentials:
    """The credentials in the order ClickHouse looks for them: Basic auth, then the ClickHouse
    headers, then the URL parameters."""
    authorization = headers.get("Authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return Credentials("default", "", True)
        user, _, password = decoded.partition(":")
        return Credentials(user or "default", password, True)
    if "X-ClickHouse-User" in headers or "X-ClickHouse-Key" in headers:
        return Credentials(
            headers.get("X-ClickHouse-User") or "default", headers.get("X-ClickHouse-Key", ""), True
        )
    if "user" in args or "password" in args:
        return Credentials(args.get("user") or "default", args.get("password", ""), True)
    return Credentials("default", "", False)


def authenticate(users: Mapping[str, User], credentials: Credentials) -> User:
    """The user, or ClickHouse's AUTHENTICATION_FAILED (401 without credentials, so that browsers
    and DBeaver ask for them; 403 with wrong ones, as a server answers)."""
    user = users.get(credentials.user)
    matches = user.verify(credentials.password) if user else verify(credentials.password, DUMMY_HASH)
    if user is None or not matches:
        error = authentication_failed(credentials.user)
        if not credentials.given:
            error.status = 401
        raise error
    return user
