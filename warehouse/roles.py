"""The warehouse's roles: what each may read and how much it may spend, defined once.

Both warehouses take their rules from here: the embedded front applies a role's limits to each
session (warehouse.limits) and refuses the tables its grants do not cover (warehouse.guard), and
`ioc db users render` writes the same roles as a ClickHouse server's `users.d` file
(warehouse.server_users). A test reads that file back and checks that the two agree.

Grants are on the platform's database only, applied in order, the last one that matches a table
deciding (as ClickHouse's partial revokes behave): readers get every table but the `restricted_*`
ones, where personal data is kept in clear; auditors get, besides, the audit log of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

WRITER = "ioc_writer"
GRAFANA = "grafana"
ANALYST = "analyst"
AUDITOR = "auditor"
# Tables whose name starts so keep personal data in clear: no reader has a grant on them by default.
RESTRICTED_PREFIX = "restricted_"
# The audit log of queries (warehouse.audit): readable by auditors and the writer only.
AUDIT_TABLE = f"{RESTRICTED_PREFIX}audit_queries"


@dataclass(frozen=True)
class Grant:
    """`GRANT` or `REVOKE` of a privilege on the tables of the platform's database matching `tables`."""

    revoke: bool
    privilege: str
    tables: str

    def statement(self, database: str) -> str:
        """As written in a ClickHouse user's `<grants>`."""
        return f"{'REVOKE' if self.revoke else 'GRANT'} {self.privilege} ON {database}.{self.tables}"


@dataclass(frozen=True)
class Interval:
    """One interval of a ClickHouse quota: what a user may spend in `duration_s` seconds."""

    duration_s: int
    queries: int
    errors: int
    result_rows: int
    read_rows: int
    execution_time_s: int


@dataclass(frozen=True)
class Role:
    """A kind of user. `limits_from` names the `WarehouseSettings` prefix its limits are read from
    (`<prefix>_max_execution_time_s`, …); None for the writer, which is not read-only."""

    name: str
    limits_from: str | None
    grants: tuple[Grant, ...]
    quota: tuple[Interval, ...]
    about: str

    @property
    def readonly(self) -> bool:
        return self.limits_from is not None

    def may_read(self, table: str) -> bool:
        """Whether this role's grants let it SELECT from `table` of the platform's database."""
        allowed = False
        for grant in self.grants:
            if fnmatchcase(table.lower(), grant.tables.lower()):
                allowed = not grant.revoke
        return allowed


_READ_ALL = Grant(False, "SELECT", "*")
_NOT_RESTRICTED = Grant(True, "SELECT", f"{RESTRICTED_PREFIX}*")
# Grafana's numbers allow the wall (27 screens of about ten panels refreshing every 5-10 s) with room
# to spare; the analysts' allow heavy but not unbounded history scans.
_ANALYST_QUOTA = (
    Interval(3600, 5000, 1000, 200_000_000, 500_000_000_000, 7200),
    Interval(86400, 50000, 10000, 1_000_000_000, 5_000_000_000_000, 57600),
)
ROLES = {
    role.name: role
    for role in (
        Role(WRITER, None, (Grant(False, "ALL", "*"),), (), "the platform's sinks and migrations"),
        Role(
            GRAFANA,
            GRAFANA,
            (_READ_ALL, _NOT_RESTRICTED),
            (Interval(3600, 300000, 30000, 500_000_000, 100_000_000_000, 14400),),
            "the wall's dashboards: read-only, tight limits",
        ),
        Role(ANALYST, ANALYST, (_READ_ALL, _NOT_RESTRICTED), _ANALYST_QUOTA, "ad-hoc analysis: read-only"),
        Role(
            AUDITOR,
            ANALYST,
            (_READ_ALL, _NOT_RESTRICTED, Grant(False, "SELECT", AUDIT_TABLE)),
            _ANALYST_QUOTA,
            "reads who queried what (the audit log) besides what analysts read; read-only",
        ),
    )
}
# The roles a person's account may have (`ioc db users add NAME --role …`); the writer is the platform's.
PERSON_ROLES = (ANALYST, GRAFANA, AUDITOR)
