"""What of the `system` database a read-only user sees: what a ClickHouse server shows that user.

The production server runs with its image's stock `config.xml`, where
`access_control_improvements.select_from_system_db_requires_grant` and
`select_from_information_schema_requires_grant` are on. A reader there holds `SELECT` on the
platform's database (less its `restricted_` tables) and nothing in `system`, so it may read only
the system tables ClickHouse grants every user (`SYSTEM_TABLES`, the list in ClickHouse's
`ContextAccess.cpp`); any other system table (`processes`, `query_log`, `parts`, …) and all of
`information_schema` are refused with ACCESS_DENIED naming the grant that is missing. Of those
tables, `databases`, `tables` and `columns` show only the objects the user has a grant on: the
platform's database without its `restricted_` tables, and the system tables of the list.

chDB has no grants, so the embedded warehouse gets the same answers two ways: the statement check
(warehouse.guard) refuses the names, and the session's `additional_table_filters` (set before the
session becomes read-only, so no query can change it) hides the rows. The filters apply wherever
the engine reads those tables: `SHOW TABLES`, subqueries and `view()` included (seen).
"""

from __future__ import annotations

from warehouse.errors import ClickHouseError, access_denied
from warehouse.quoting import quote_literal
from warehouse.roles import RESTRICTED_PREFIX

SYSTEM_DATABASE = "system"
# ClickHouse's always-accessible system tables (ContextAccess.cpp, `always_accessible_tables`).
SYSTEM_TABLES = frozenset(
    {
        "one",
        "contributors",
        "licenses",
        "time_zones",
        "collations",
        "formats",
        "privileges",
        "data_type_families",
        "database_engines",
        "table_engines",
        "table_functions",
        "aggregate_function_combinators",
        "functions",
        "databases",
        "tables",
        "columns",
        "settings",
        "current_roles",
        "enabled_roles",
        "quota_usage",
    }
)
# SHOW statements that chDB parses as the generic `ShowTables` node but answers from a system
# table outside the list above (formatQuery's spelling, matched at the start).
SHOW_READS = (
    ("SHOW PROCESSLIST", "processes"),
    ("SHOW CLUSTER", "clusters"),
    ("SHOW MERGES", "merges"),
    ("SHOW FILESYSTEM CACHES", "filesystem_cache"),
    ("SHOW DICTIONARIES", "dictionaries"),
    ("SHOW INDEX", "data_skipping_indices"),
    ("SHOW INDICES", "data_skipping_indices"),
    ("SHOW KEYS", "data_skipping_indices"),
    ("SHOW EXTENDED INDEX", "data_skipping_indices"),
)


def grant_needed(user: str, database: str, table: str) -> ClickHouseError:
    """A server's refusal of a table the user has no grant on, naming the grant."""
    return access_denied(
        user, f"To execute this query, it's necessary to have the grant SELECT ON {database}.{table}"
    )


def check_system_table(user: str, database: str, table: str) -> None:
    """Refuse a table of `system` outside the list, and anything of `information_schema`."""
    if database.lower() == "information_schema":
        raise grant_needed(user, database, table)
    if database.lower() == SYSTEM_DATABASE and table.lower() not in SYSTEM_TABLES:
        raise grant_needed(user, SYSTEM_DATABASE, table)


def check_show(user: str, formatted: str) -> None:
    """Refuse the SHOW statements that read a system table outside the list."""
    head = " ".join(formatted.split()).upper()
    for prefix, table in SHOW_READS:
        if head.startswith(prefix):
            raise grant_needed(user, SYSTEM_DATABASE, table)


def table_filters(database: str) -> dict[str, str]:
    """The rows of `system.databases`/`tables`/`columns` a reader sees, as filter expressions."""
    listed = ", ".join(quote_literal(name) for name in sorted(SYSTEM_TABLES))
    db = quote_literal(database)
    prefix = quote_literal(RESTRICTED_PREFIX)

    def visible(table_column: str) -> str:
        return (
            f"(database = {db} AND NOT startsWith({table_column}, {prefix})) "
            f"OR (database = {quote_literal(SYSTEM_DATABASE)} AND {table_column} IN ({listed}))"
        )

    return {
        "system.databases": f"name IN ({db}, {quote_literal(SYSTEM_DATABASE)})",
        "system.tables": visible("name"),
        "system.columns": visible("table"),
    }


def filters_setting(database: str) -> str:
    """`additional_table_filters`'s value: a map literal of table → filter."""
    pairs = ", ".join(
        f"{quote_literal(table)}: {quote_literal(expression)}"
        for table, expression in table_filters(database).items()
    )
    return "{" + pairs + "}"
