"""The embedded warehouse: the one process that owns the chDB data folder.

chDB allows one process per data folder, so this process hosts everything that touches it: the
DDL migrations, the ClickHouse sinks, and ClickHouse's HTTP interface on loopback through which
everyone else (the CLI, Grafana, analysts, tests) queries it as if it were a ClickHouse server.
"""
