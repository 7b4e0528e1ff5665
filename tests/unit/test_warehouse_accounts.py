"""Persons' accounts: stored as hashes, seen by the front at once, refused alike when wrong."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest

from ioc.settings import Settings, StackSettings
from ioc.stack.errors import StackError
from warehouse.accounts import accounts_path, add_account, disable_account, read_accounts
from warehouse.auth import Credentials, authenticate
from warehouse.errors import ClickHouseError
from warehouse.passwords import hash_password, verify
from warehouse.query import credentials
from warehouse.roles import AUDIT_TABLE, AUDITOR
from warehouse.users import USERS, load_users

RESERVED = frozenset(USERS)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(stack=StackSettings(dir=tmp_path))


def refusal(users: object, user: str, password: str) -> bytes:
    with pytest.raises(ClickHouseError) as refused:
        authenticate(users, Credentials(user, password, True))  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.status) == (516, 403)
    return refused.value.body().replace(user.encode(), b"NAME")


def test_only_the_hash_is_stored_and_only_the_owner_can_read_it(settings: Settings) -> None:
    path = accounts_path(settings.stack.dir)
    password = add_account(path, "nguyen_van_a", "analyst", RESERVED)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password not in path.read_text()
    stored = json.loads(path.read_text())["nguyen_van_a"]
    assert stored["role"] == "analyst" and stored["password_hash"].startswith("scrypt$16384$8$1$")
    assert verify(password, stored["password_hash"]) and not verify(password + "x", stored["password_hash"])


def test_a_person_logs_in_with_the_role_and_limits_of_the_role(settings: Settings) -> None:
    users = load_users(settings)  # the warehouse running before the account exists
    password = add_account(accounts_path(settings.stack.dir), "tran_thi_b", AUDITOR, RESERVED)
    user = authenticate(users, Credentials("tran_thi_b", password, True))
    assert (user.role_name, user.readonly) == (AUDITOR, True)
    assert user.limits == users["analyst"].limits
    assert user.may_read(AUDIT_TABLE) and not users["analyst"].may_read(AUDIT_TABLE)


def test_disabling_takes_effect_on_the_next_request_and_answers_as_a_wrong_password(
    settings: Settings,
) -> None:
    users = load_users(settings)
    path = accounts_path(settings.stack.dir)
    password = add_account(path, "le_van_c", "grafana", RESERVED)
    assert authenticate(users, Credentials("le_van_c", password, True)).name == "le_van_c"  # now remembered
    disable_account(path, "le_van_c")
    disabled = refusal(users, "le_van_c", password)
    assert disabled == refusal(users, "le_van_c", "wrong") == refusal(users, "no_such_person", password)
    assert b"Authentication failed: password is incorrect, or there is no user with such name" in disabled


def test_names_are_checked_and_never_reused(settings: Settings) -> None:
    path = accounts_path(settings.stack.dir)
    for bad in ("A", "x", "has space", "1abc", "a-b"):
        with pytest.raises(StackError, match="not a valid account name"):
            add_account(path, bad, "analyst", RESERVED)
    with pytest.raises(StackError, match="unknown role"):
        add_account(path, "pham_d", "ioc_writer", RESERVED)
    with pytest.raises(StackError, match="taken"):
        add_account(path, "analyst", "analyst", RESERVED)
    add_account(path, "pham_d", "analyst", RESERVED)
    disable_account(path, "pham_d")
    with pytest.raises(StackError, match="taken"):
        add_account(path, "pham_d", "analyst", RESERVED)
    assert not read_accounts(path)["pham_d"].enabled


def test_a_malformed_hash_matches_nothing() -> None:
    assert not verify("", "scrypt$x$8$1$a$b")
    assert not verify("", "bcrypt$whatever")
    assert verify("p", hash_password("p"))


def test_ioc_sql_sends_a_persons_own_password(settings: Settings) -> None:
    url = httpx.URL("http://127.0.0.1:8123/")
    assert credentials(settings, url, "nguyen_van_a", "typed") == ("nguyen_van_a", "typed")
    with pytest.raises(StackError, match="unknown warehouse user"):
        credentials(settings, url, "nguyen_van_a")
