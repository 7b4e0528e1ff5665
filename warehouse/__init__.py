"""The embedded warehouse: the one process that owns the chDB data folder.

chDB allows one process per data folder, so this process hosts everything that touches it: the
DDL migrations, the ClickHouse sinks, and ClickHouse's HTTP interface on loopback through which
everyone else (the CLI, Grafana, analysts, tests) queries it as if it were a ClickHouse server.

The interface: http_front (requests), protocol (their pure rules), native (Native blocks of a
client's revision), engine (a chDB session per request); who may do what: users, auth, limits,
guard.
"""
