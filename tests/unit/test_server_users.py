"""The server's users.d file is the rendering of warehouse.roles, and agrees with the embedded warehouse.

The agreement is checked from the file as a ClickHouse server reads it (parsed here, not taken from
the renderer) against what the embedded front actually does: the settings `warehouse.limits` gives
each session, and the refusals of `warehouse.guard` for every table and view of the migrations.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - the repository's own file, not untrusted input
from fnmatch import fnmatchcase

import chdb
import pytest

from ioc.settings import WarehouseSettings
from sinks.migrate import available
from warehouse.errors import ClickHouseError
from warehouse.guard import Node, check_ast
from warehouse.limits import FRONT_SETTINGS, READER_SETTINGS, session_settings
from warehouse.quoting import quote_literal
from warehouse.roles import AUDIT_TABLE, ROLES, Role
from warehouse.server_users import COMMITTED, person_sql, profile_name, render
from warehouse.users import Limits, User, role_limits

DATABASE = "ioc"
DEFAULTS = WarehouseSettings.model_construct()  # the defaults, whatever the environment says
ROOT = ET.parse(COMMITTED).getroot()  # noqa: S314 - the repository's own file
GRANT = re.compile(r"^(GRANT|REVOKE) (\w+) ON (\w+)\.(\S+)$")
READ_ONLY_ROLES = [role for role in ROLES.values() if role.readonly]
BUILTIN_USERS = [user.tag for user in ROOT.findall("users/*") if user.tag != "default"]
# The settings the engine knows, as far as these tests send them: every limit, readonly, and the
# settings a reader may change.
KNOWN = frozenset(Limits(1, 1, 1, 1).as_settings()) | {"readonly"} | READER_SETTINGS


def tables() -> set[str]:
    """Every table and view the migrations create, and a restricted table not yet created."""
    names = {
        match.group(1)
        for migration in available()
        for statement in migration.statements()
        if (
            match := re.match(
                r"CREATE (?:OR REPLACE )?(?:TABLE|(?:MATERIALIZED )?VIEW) (?:IF NOT EXISTS )?(\w+)", statement
            )
        )
    }
    return names | {"restricted_created_next_year"}


def embedded_user(role: str) -> User:
    return User(f"{role}_person", "", role_limits(DEFAULTS, role), role)


def server_may_read(grants: list[str], table: str) -> bool:
    """ClickHouse's reading of the grants in order: the last statement covering the table decides."""
    allowed = False
    for query in grants:
        match = GRANT.match(query)
        assert match, query
        action, privilege, database, pattern = match.groups()
        if database == DATABASE and privilege in ("SELECT", "ALL") and fnmatchcase(table, pattern):
            allowed = action == "GRANT"
    return allowed


def embedded_may_read(user: User, table: str) -> bool:
    """What the embedded front does with `SELECT … FROM ioc.<table>`: the writer runs unchecked, a
    reader's statement goes through the guard (here its parsed form, as EXPLAIN AST gives it)."""
    if not user.readonly:
        return True
    nodes = [
        Node(0, "SelectWithUnionQuery", "(children 1)"),
        Node(1, "TableIdentifier", f"{DATABASE}.{table}"),
    ]
    try:
        check_ast(user.name, nodes, DATABASE, user.may_read)
    except ClickHouseError as refused:
        assert refused.name == "ACCESS_DENIED"
        assert f"the grant SELECT ON {DATABASE}.{table}" in refused.message  # names the missing grant
        return False
    return True


def test_the_committed_file_is_the_rendering_of_the_roles() -> None:
    """Like a lock file: `ioc db users render --out sinks/clickhouse/users.d/ioc-users.xml` updates it."""
    assert COMMITTED.read_text() == render(DEFAULTS, DATABASE)


@pytest.mark.parametrize("role", READ_ONLY_ROLES, ids=lambda r: r.name)
def test_each_profile_holds_exactly_the_settings_the_embedded_session_gets(role: Role) -> None:
    user = embedded_user(role.name)
    profile = ROOT.find(f"profiles/{profile_name(role)}")
    assert profile is not None
    server = {child.tag: child.text for child in profile if child.tag not in ("profile", "constraints")}
    embedded = session_settings(user, {}, KNOWN) | {"readonly": "1"}  # the engine adds readonly=1
    assert user.limits is not None
    # Counted by the front, not the session (warehouse.admission): the same limit, enforced there.
    embedded |= {name: user.limits.as_settings()[name] for name in FRONT_SETTINGS}
    assert server == embedded


@pytest.mark.parametrize("role", READ_ONLY_ROLES, ids=lambda r: r.name)
def test_a_query_may_lower_a_limit_on_both_and_never_raise_it(role: Role) -> None:
    user = embedded_user(role.name)
    profile = ROOT.find(f"profiles/{profile_name(role)}")
    assert profile is not None
    constraints = {c.tag: c for c in profile.findall("constraints/*")}
    limits = session_settings(user, {}, KNOWN)
    for name, constraint in constraints.items():
        assert constraint.find("changeable_in_readonly") is not None
        ceiling = constraint.findtext("max")
        assert ceiling == limits[name]
        assert session_settings(user, {name: "1"}, KNOWN)[name] == "1"
        # The server refuses a value above its max; the embedded front clamps it to the same max.
        assert session_settings(user, {name: str(int(float(ceiling or 0)) * 10)}, KNOWN)[name] == ceiling
    fixed = limits | {"readonly": "1"}
    for name in set(limits) - set(constraints) | {"readonly"}:
        # Any other value (sending the value the reader has anyway is accepted, as on a server).
        other = "break" if name.endswith("_overflow_mode") else "1" if fixed[name] != "1" else "0"
        with pytest.raises(ClickHouseError) as refused:
            session_settings(user, {name: other}, KNOWN)
        assert refused.value.name == "READONLY" and name in refused.value.message


@pytest.mark.parametrize("role", READ_ONLY_ROLES, ids=lambda r: r.name)
def test_a_setting_the_profile_does_not_let_change_is_refused_by_both(role: Role) -> None:
    with pytest.raises(ClickHouseError):
        session_settings(embedded_user(role.name), {"allow_introspection_functions": "1"}, KNOWN)


@pytest.mark.parametrize("name", BUILTIN_USERS)
def test_each_login_reads_the_same_tables_on_both(name: str) -> None:
    server_user = ROOT.find(f"users/{name}")
    assert server_user is not None
    grants = [query.text or "" for query in server_user.findall("grants/query")]
    user = User(name, "", role_limits(DEFAULTS, name), name)
    if user.readonly:
        assert server_user.findtext("profile") == profile_name(ROLES[name])
    disagree = {t for t in tables() if server_may_read(grants, t) != embedded_may_read(user, t)}
    assert disagree == set()
    assert not server_may_read(grants, AUDIT_TABLE) or name == "ioc_writer"


@pytest.mark.parametrize("role", READ_ONLY_ROLES, ids=lambda r: r.name)
def test_a_persons_account_reads_the_same_tables_on_both(role: Role) -> None:
    """On a server a person's account is the SQL `ioc db users add` prints for an administrator."""
    statements = person_sql("nguyen_van_a", role, "pw", DATABASE)
    for statement in statements:  # ClickHouse's own parser accepts each one
        chdb.query(f"SELECT formatQuery({quote_literal(statement)})", "TSVRaw")
    assert statements[0].endswith(f"SETTINGS PROFILE '{profile_name(role)}'")
    grants = [
        re.sub(r" (TO|FROM) nguyen_van_a$", "", s) for s in statements if s.startswith(("GRANT", "REVOKE"))
    ]
    assert re.match(r"CREATE QUOTA nguyen_van_a_quota FOR INTERVAL .* TO nguyen_van_a$", statements[-1])
    user = embedded_user(role.name)
    assert {t for t in tables() if server_may_read(grants, t) != embedded_may_read(user, t)} == set()
    assert server_may_read(grants, AUDIT_TABLE) == (role.name == "auditor")
    assert not any(
        server_may_read(grants, t) for t in tables() if t.startswith("restricted_") and t != AUDIT_TABLE
    )


def test_the_docs_state_every_limit_of_each_role_as_the_settings_default_it() -> None:
    """docs/warehouse.md's table of limits: one row per limit setting, one column per reader role."""
    doc = (COMMITTED.parents[3] / "docs" / "warehouse.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)`(?: \([^)]*\))? \| ([\d,]+ \| [\d,]+) \|", doc, re.MULTILINE))
    for role, column in (("grafana", 0), ("analyst", 1), ("auditor", 1)):
        limits = role_limits(DEFAULTS, role)
        assert limits is not None
        documented = {name: value.split(" | ")[column].replace(",", "") for name, value in rows.items()}
        expected = {
            k: v
            for k, v in limits.as_settings().items()
            if not k.endswith("_overflow_mode") and k != "allow_introspection_functions"
        }
        assert documented == expected, role
