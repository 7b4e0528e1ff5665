"""Persons' accounts on the embedded warehouse: one a person, kept in a file the front re-reads.

`<stack dir>/warehouse/accounts.json` (mode 0600, next to the built-in logins' credentials) holds
each account's role, the scrypt hash of its password (warehouse.passwords), when it was created and
when it was disabled. A file rather than a table of the warehouse: the command that adds or disables
an account needs neither a running warehouse nor a login that may write (only the owner of the stack
folder can), and the front checks the file's modification time on each request and re-reads it when
it changed, so an account added or disabled counts from the next request, without a restart.
Accounts are never deleted: a disabled name stays taken, so the audit log's names stay unambiguous.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ioc.stack.errors import StackError
from warehouse.passwords import hash_password, new_password
from warehouse.roles import PERSON_ROLES

# ClickHouse's rule for unquoted identifiers, lower case, so a name works in users.d and in SQL too.
NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
NAME_HINT = "use 2-63 lower-case letters, digits or _, starting with a letter"


@dataclass(frozen=True)
class Account:
    """One person's account as stored."""

    role: str
    password_hash: str
    created_at: str
    disabled_at: str = ""

    @property
    def enabled(self) -> bool:
        return not self.disabled_at


def accounts_path(stack_dir: Path) -> Path:
    """Where the persons' accounts live."""
    return stack_dir.resolve() / "warehouse" / "accounts.json"


def read_accounts(path: Path) -> dict[str, Account]:
    """Every account in the file; none when there is no file yet."""
    if not path.exists():
        return {}
    return {name: Account(**fields) for name, fields in json.loads(path.read_text()).items()}


@contextmanager
def _changing(path: Path) -> Iterator[dict[str, Account]]:
    """The accounts, to change in place; written back atomically (mode 0600 from its creation) under
    a lock, so that two commands at once cannot lose each other's change."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        accounts = read_accounts(path)
        yield accounts
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({name: asdict(a) for name, a in sorted(accounts.items())}, out, indent=2)
        tmp.replace(path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_new_account(
    name: str,
    role: str,
    roles: tuple[str, ...] = PERSON_ROLES,
    name_rule: re.Pattern[str] = NAME,
    name_hint: str = NAME_HINT,
) -> None:
    """Refuse a name that would not work in ClickHouse's SQL and users.d alike (or break another
    file's `name_rule`), or a role not among `roles`. The operations console keeps its accounts in a
    file of the same kind, with roles and names of its own (console/accounts.py)."""
    if not name_rule.match(name):
        raise StackError(f"{name!r} is not a valid account name", name_hint)
    if role not in roles:
        raise StackError(f"unknown role {role!r}", f"choose one of {', '.join(roles)}")


def add_account(
    path: Path,
    name: str,
    role: str,
    reserved: frozenset[str],
    roles: tuple[str, ...] = PERSON_ROLES,
    name_rule: re.Pattern[str] = NAME,
    name_hint: str = NAME_HINT,
) -> str:
    """Create a person's account; returns its password, which is stored only as a hash."""
    check_new_account(name, role, roles, name_rule, name_hint)
    password = new_password()
    with _changing(path) as accounts:
        if name in accounts or name in reserved:
            raise StackError(f"the name {name!r} is taken", "names are never reused; choose another")
        accounts[name] = Account(role, hash_password(password), _now())
    return password


def disable_account(path: Path, name: str, lister: str = "ioc db users list") -> Account:
    """Disable an account for good; the running warehouse (or console) refuses it from its next request."""
    with _changing(path) as accounts:
        account = accounts.get(name)
        if account is None:
            raise StackError(f"no account {name!r} in {path}", f"`{lister}` shows the accounts")
        if account.enabled:
            accounts[name] = account = Account(
                account.role, account.password_hash, account.created_at, _now()
            )
    return account


class AccountsFile:
    """The enabled accounts as the front sees them, re-read when the file is replaced or changes (a
    `stat` a request: microseconds)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._accounts: dict[str, Account] = {}
        self._lock = threading.Lock()

    def enabled(self) -> dict[str, Account]:
        """The enabled accounts now."""
        try:
            stat = self.path.stat()
            seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            seen = None
        with self._lock:
            if seen != self._seen:
                accounts = read_accounts(self.path) if seen else {}
                self._accounts = {name: a for name, a in accounts.items() if a.enabled}
                self._seen = seen
            return self._accounts
