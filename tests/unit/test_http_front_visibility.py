"""Which rows of system.databases/tables/columns a reader's session keeps, as filter text for the engine."""

from __future__ import annotations

import ast

from warehouse.visibility import SYSTEM_TABLES, filters_setting, table_filters


def test_the_filters_cover_the_three_listing_tables_only() -> None:
    assert set(table_filters("ioc")) == {"system.databases", "system.tables", "system.columns"}


def test_readers_see_the_platform_less_its_restricted_tables_and_the_listed_system_tables() -> None:
    tables = table_filters("ioc")["system.tables"]
    assert "database = 'ioc' AND NOT startsWith(name, 'restricted_')" in tables
    assert "'processes'" not in tables and "'query_log'" not in tables
    assert all(f"'{name}'" in tables for name in SYSTEM_TABLES)
    assert "startsWith(table, 'restricted_')" in table_filters("ioc")["system.columns"]
    assert table_filters("ioc")["system.databases"] == "name IN ('ioc', 'system')"


def test_the_setting_is_one_map_literal_whatever_the_database_is_called() -> None:
    setting = filters_setting("i'o\\c")
    parsed = ast.literal_eval(setting)  # ClickHouse's map literal reads as a Python dict of str
    assert parsed["system.databases"] == "name IN ('i\\'o\\\\c', 'system')"
