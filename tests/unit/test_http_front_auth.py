"""Who is asking: ClickHouse's three ways of sending credentials, and the users' passwords file."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from ioc.settings import Settings, StackSettings, WarehouseSettings
from warehouse.auth import Credentials, authenticate, request_credentials
from warehouse.errors import ClickHouseError
from warehouse.users import ANALYST, WRITER, Limits, User, credentials_path, load_users, password_for

LIMITS = Limits(30, 2_000_000_000, 1_000_000, 1_000_000_000)
USERS = {"analyst": User("analyst", "s3cret", LIMITS), "ioc_writer": User("ioc_writer", "w", None)}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize(
    ("headers", "args", "expected"),
    [
        (basic("analyst", "a:b"), {}, Credentials("analyst", "a:b", True)),
        ({"X-ClickHouse-User": "grafana", "X-ClickHouse-Key": "k"}, {}, Credentials("grafana", "k", True)),
        ({}, {"user": "analyst", "password": "p"}, Credentials("analyst", "p", True)),
        # Basic auth wins over the other two, as in ClickHouse.
        ({**basic("a", "1"), "X-ClickHouse-User": "b"}, {"user": "c"}, Credentials("a", "1", True)),
        ({}, {}, Credentials("default", "", False)),
        ({"Authorization": "Basic !!notbase64"}, {}, Credentials("default", "", True)),
    ],
)
def test_credentials_are_read_as_clickhouse_reads_them(
    headers: dict[str, str], args: dict[str, str], expected: Credentials
) -> None:
    assert request_credentials(headers, args) == expected


def test_right_password_gives_the_user() -> None:
    assert authenticate(USERS, Credentials("analyst", "s3cret", True)).readonly


@pytest.mark.parametrize(
    ("credentials", "status"),
    [
        (Credentials("analyst", "wrong", True), 403),
        (Credentials("nobody", "s3cret", True), 403),
        (Credentials("default", "", False), 401),
    ],
)
def test_wrong_or_missing_credentials_are_clickhouse_516(credentials: Credentials, status: int) -> None:
    with pytest.raises(ClickHouseError) as refused:
        authenticate(USERS, credentials)
    assert (refused.value.code, refused.value.status) == (516, status)
    assert refused.value.body().decode() == (
        f"Code: 516. DB::Exception: {credentials.user}: Authentication failed: password is incorrect, "
        "or there is no user with such name. (AUTHENTICATION_FAILED)\n"
    )


def test_passwords_are_generated_once_and_only_the_owner_can_read_them(tmp_path: Path) -> None:
    settings = Settings(stack=StackSettings(dir=tmp_path))
    first = load_users(settings)
    path = credentials_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_users(settings) == first
    assert len({user.password for user in first.values()}) == 3
    assert password_for(settings, ANALYST) == first[ANALYST].password
    assert first[WRITER].limits is None and first[ANALYST].limits is not None


def test_a_configured_password_wins(tmp_path: Path) -> None:
    chosen = "chosen-by-the-operator"  # noqa: S105 - a test's password, not a secret
    settings = Settings(
        stack=StackSettings(dir=tmp_path), warehouse=WarehouseSettings(analyst_password=chosen)
    )
    assert load_users(settings)[ANALYST].password == chosen
    assert password_for(settings, ANALYST) == chosen
