"""The console's accounts: one a person, officers of the duty roster and the centre's staff.

Kept as the warehouse keeps persons' accounts (warehouse.accounts: a 0600 JSON file changed under a
lock, re-read by the running server when it changes, accounts disabled rather than deleted, scrypt
hashes of generated passwords from warehouse.passwords), in `<console dir>/accounts.json`, with the
console's roles and a name rule that admits the roster's officer ids (`ioc.le.thu`): an account named
by an officer id acts as that officer towards the router, so the router's audit names the same person.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from console.roles import OPERATOR, ROLES, SHIFT_LEAD
from ioc.settings import Settings
from routing.roster import Roster
from warehouse.accounts import Account, AccountsFile, add_account, disable_account, read_accounts
from warehouse.passwords import DUMMY_HASH, verify

# Lower-case letters, digits, `.`, `_` and `-`: the roster's officer ids and plain staff names.
NAME = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")
NAME_HINT = "use 2-63 lower-case letters, digits, '.', '_' or '-', starting with a letter (an officer id)"
LISTER = "ioc console users list"


def console_dir(settings: Settings) -> Path:
    """Where the console keeps its files."""
    return (settings.console.state_dir or settings.stack.dir / "console").resolve()


def accounts_file(settings: Settings) -> Path:
    return console_dir(settings) / "accounts.json"


def add(settings: Settings, name: str, role: str) -> str:
    """Create an account; returns its password (shown once, kept only as a hash)."""
    return add_account(accounts_file(settings), name, role, frozenset(), ROLES, NAME, NAME_HINT)


def disable(settings: Settings, name: str) -> Account:
    """Disable an account for good; the running console refuses it from its next request."""
    return disable_account(accounts_file(settings), name, LISTER)


def listing(settings: Settings) -> dict[str, Account]:
    """Every account, enabled or not."""
    return read_accounts(accounts_file(settings))


def roster_role(roster: Roster, officer_id: str) -> str:
    """Shift leads and unit heads lead; every other officer of the roster is an operator."""
    leads = {shift.lead for unit in roster.units for shift in unit.shifts} | {u.head for u in roster.units}
    return SHIFT_LEAD if officer_id in leads else OPERATOR


def add_roster(settings: Settings, roster: Roster) -> dict[str, str]:
    """An account for every officer of the roster who has none yet; their passwords, by officer id."""
    existing = listing(settings)
    return {
        officer.id: add(settings, officer.id, roster_role(roster, officer.id))
        for officer in roster.officers
        if officer.id not in existing
    }


def demo_account(settings: Settings) -> tuple[str, str] | None:
    """The local stack's demo account (a shift lead) and its password, made on the first run.

    Its password is kept in `<console dir>/demo_password` (mode 0600) so that every `ioc run` can
    print it: it is a demonstration account on a loopback console, never one for production
    (`IOC_CONSOLE_DEMO_ACCOUNT=` turns it off; `ioc console users disable demo` ends it)."""
    name = settings.console.demo_account
    if not name:
        return None
    kept = console_dir(settings) / "demo_password"
    account = listing(settings).get(name)
    if account is not None:
        if not account.enabled or not kept.exists():
            return None
        return name, kept.read_text().strip()
    password = add(settings, name, SHIFT_LEAD)
    kept.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    return name, password


@dataclass(frozen=True)
class Person:
    """Who is signed in: the account's name (an officer id for the roster's officers) and role."""

    name: str
    role: str


class SignIn:
    """Checks names and passwords against the accounts file as it is now."""

    def __init__(self, path: Path) -> None:
        self.accounts = AccountsFile(path)

    def check(self, name: str, password: str) -> Person | None:
        """The person, when the account is enabled and the password is its own. An unknown name
        costs the same scrypt as a known one, so the time taken does not tell which names exist."""
        account = self.accounts.enabled().get(name)
        if not verify(password, account.password_hash if account else DUMMY_HASH) or account is None:
            return None
        return Person(name, account.role)

    def current(self, name: str) -> Person | None:
        """The person behind a session, if the account is still enabled (a disabled account's open
        sessions end at their next request)."""
        account = self.accounts.enabled().get(name)
        return Person(name, account.role) if account else None
