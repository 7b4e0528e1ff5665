"""The warehouse's users: three built-in logins, the persons' accounts, and the limits of readers.

chDB has no users or grants (`system.users` is unavailable), so on the embedded default the
process that owns the engine is the one that tells users apart. The platform's own logins
(`ioc_writer`, and the shared `grafana` and `analyst` that Grafana's provisioning, `ioc sql` and the
tests use) have a password set in the configuration (`IOC_WAREHOUSE_<USER>_PASSWORD`) or generated
once and kept in `<stack dir>/warehouse/credentials.json`, readable by its owner only. Persons have
accounts of their own (warehouse.accounts), each with one of the roles of warehouse.roles.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ioc.settings import Settings, WarehouseSettings
from ioc.stack.errors import StackError
from warehouse.accounts import Account, AccountsFile, accounts_path
from warehouse.passwords import verify
from warehouse.roles import ANALYST, GRAFANA, ROLES, WRITER

# The built-in logins, each with the role of its own name.
USERS = (WRITER, GRAFANA, ANALYST)


@dataclass(frozen=True)
class Limits:
    """What a read-only user may take: per query, and in queries running at once. Applied to its
    session before the session becomes read-only, after which the engine refuses any change to
    them. A field left at 0 is no limit (a ClickHouse setting's 0), except `os_thread_priority`,
    where 0 is the writer's own CPU priority."""

    max_execution_time_s: float
    max_memory_usage: int
    max_result_rows: int
    max_result_bytes: int
    max_rows_to_read: int = 0
    max_bytes_to_read: int = 0
    max_threads: int = 0
    max_concurrent_queries: int = 0
    os_thread_priority: int = 0

    def as_settings(self) -> dict[str, str]:
        """ClickHouse settings, as a server's settings profile holds them; an overflow throws rather
        than silently returning part of a result, and introspection functions (chDB turns them on)
        stay off, as on a server."""
        return {
            "max_execution_time": f"{self.max_execution_time_s:g}",
            "max_memory_usage": str(self.max_memory_usage),
            "max_result_rows": str(self.max_result_rows),
            "max_result_bytes": str(self.max_result_bytes),
            "max_rows_to_read": str(self.max_rows_to_read),
            "max_bytes_to_read": str(self.max_bytes_to_read),
            "max_threads": str(self.max_threads),
            "max_concurrent_queries_for_user": str(self.max_concurrent_queries),
            "os_thread_priority": str(self.os_thread_priority),
            "result_overflow_mode": "throw",
            "timeout_overflow_mode": "throw",
            "read_overflow_mode": "throw",
            "allow_introspection_functions": "0",
        }


@dataclass(frozen=True)
class User:
    """A user of the HTTP interface; `limits` is None for the writer, which is not read-only.
    A built-in login has its `password` and the role of its name; a person's account its `role`
    and only the hash of its password."""

    name: str
    password: str
    limits: Limits | None
    role: str = ""
    password_hash: str = ""

    @property
    def readonly(self) -> bool:
        return self.limits is not None

    @property
    def role_name(self) -> str:
        return self.role or self.name

    def may_read(self, table: str) -> bool:
        """Whether the user's role has SELECT on this table of the platform's database."""
        return ROLES[self.role_name].may_read(table)

    def verify(self, password: str) -> bool:
        """Whether `password` is this user's."""
        if self.password_hash:
            return verify(password, self.password_hash)
        return hmac.compare_digest(self.password.encode(), password.encode())


def credentials_path(settings: Settings) -> Path:
    """Where the generated passwords live, next to the engine's data folder."""
    return settings.stack.dir.resolve() / "warehouse" / "credentials.json"


def _configured(warehouse: WarehouseSettings, user: str) -> str:
    return str(getattr(warehouse, f"{user}_password").get_secret_value())


def _limits(warehouse: WarehouseSettings, user: str) -> Limits:
    return Limits(
        **{
            name: getattr(warehouse, f"{user}_{name}")
            for name in Limits.__dataclass_fields__  # every limit is a setting `<user>_<name>`
        }
    )


def role_limits(warehouse: WarehouseSettings, role: str) -> Limits | None:
    """A role's limits from the settings; None for the writer."""
    source = ROLES[role].limits_from
    return None if source is None else _limits(warehouse, source)


class Directory(Mapping[str, User]):
    """Every user the front knows by name: the built-in logins, then the persons' enabled accounts,
    whose file is looked at again on every lookup (an account added or disabled counts at once)."""

    def __init__(
        self, builtin: Mapping[str, User], accounts: AccountsFile, warehouse: WarehouseSettings
    ) -> None:
        self._builtin = builtin
        self._accounts = accounts
        self._warehouse = warehouse

    def __getitem__(self, name: str) -> User:
        if name in self._builtin:
            return self._builtin[name]
        return self._person(name, self._accounts.enabled()[name])

    def _person(self, name: str, account: Account) -> User:
        return User(name, "", role_limits(self._warehouse, account.role), account.role, account.password_hash)

    def __iter__(self) -> Iterator[str]:
        return iter([*self._builtin, *self._accounts.enabled()])

    def __len__(self) -> int:
        return len(self._builtin) + len(self._accounts.enabled())


def stored_passwords(path: Path, *, create: bool) -> dict[str, str]:
    """The generated passwords; with `create`, missing ones are generated and the file is written
    (atomically, mode 0600 from its creation, so no other user can ever read it)."""
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [user for user in USERS if not stored.get(user)]
    if missing and create:
        stored |= {user: secrets.token_urlsafe(24) for user in missing}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(stored, out, indent=2, sort_keys=True)
        tmp.replace(path)
    return stored


def load_users(settings: Settings) -> Directory:
    """Every user with its password and limits, generating the built-in logins' passwords that are
    not configured. Called by the warehouse process at start-up, before it answers `/ping`."""
    warehouse = settings.warehouse
    stored = stored_passwords(credentials_path(settings), create=True)
    builtin = {
        user: User(user, _configured(warehouse, user) or stored[user], role_limits(warehouse, user), user)
        for user in USERS
    }
    return Directory(builtin, AccountsFile(accounts_path(settings.stack.dir)), warehouse)


def password_for(settings: Settings, user: str) -> str:
    """A user's password for clients of the embedded default (`ioc sql`, `ioc db`, tests)."""
    if user not in USERS:
        raise StackError(f"unknown warehouse user {user!r}", f"choose one of {', '.join(USERS)}")
    configured = _configured(settings.warehouse, user)
    if configured:
        return configured
    path = credentials_path(settings)
    stored = stored_passwords(path, create=False)
    if user not in stored:
        raise StackError(
            f"no password for {user} in {path}", "start the warehouse with `ioc stack up` (it creates them)"
        )
    return stored[user]


def client_auth(settings: Settings, user: str) -> dict[str, str]:
    """clickhouse-connect's `username`/`password` for a user of the embedded default; nothing for
    a ClickHouse server, whose `CLICKHOUSE_URL` carries its own credentials."""
    if settings.clickhouse.url:
        return {}
    return {"username": user, "password": password_for(settings, user)}
