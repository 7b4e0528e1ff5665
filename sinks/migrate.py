"""`ioc db migrate | status`: ordered, idempotent DDL migrations.

Files `migrations/NNN_name.sql` run in order, once each; the applied ones are recorded in
`schema_migrations`. A migration that has been released is never edited: a change is a new file. Every statement is written to be safe to run again (IF NOT EXISTS), so a
crash half-way through a file is mended by running migrate again.

On a ClickHouse cluster (`migrate(..., cluster=NAME)`, `ioc db migrate --cluster NAME`) the same files
run in their cluster form, rendered by `sinks/cluster_ddl.py`: ON CLUSTER, Replicated engines,
Distributed tables, and a ledger replicated to every node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clickhouse_connect.driver.client import Client

from sinks.cluster_ddl import ClusterRenderer

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree ORDER BY version
"""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path

    def statements(self) -> list[str]:
        """The file's statements, split on semicolons at line ends (comments dropped)."""
        lines = [line for line in self.path.read_text().splitlines() if not line.strip().startswith("--")]
        return [stmt.strip() for stmt in "\n".join(lines).split(";\n") if stmt.strip().rstrip(";")]


def available() -> list[Migration]:
    """Every migration shipped with the platform, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        found.append(Migration(int(version), name, path))
    return found


def applied(client: Client, renderer: ClusterRenderer | None = None) -> set[int]:
    """Versions already applied to this database (its ledger created, on the cluster when given one)."""
    for statement in renderer.render_statement(LEDGER_DDL) if renderer else [LEDGER_DDL]:
        client.command(statement)
    return {int(row[0]) for row in client.query("SELECT version FROM schema_migrations FINAL").result_rows}


def status(client: Client, database: str) -> list[tuple[Migration, bool]]:
    """Every shipped migration and whether this database has it."""
    client.database = database
    done = applied(client)
    return [(migration, migration.version in done) for migration in available()]


def migrate(client: Client, database: str, cluster: str | None = None) -> list[Migration]:
    """Create the database if needed and apply what is missing; returns what was applied now.

    With `cluster`, every statement runs ON CLUSTER in its replicated form, from the node `client` is
    connected to (ClickHouse waits for every node to run it, up to distributed_ddl_task_timeout)."""
    renderer = ClusterRenderer(cluster) if cluster else None
    client.command(
        f"CREATE DATABASE IF NOT EXISTS `{database}`" + (f" {renderer.on_cluster}" if renderer else "")
    )
    client.database = database
    done = applied(client, renderer)
    ran = []
    for migration in available():
        if migration.version in done:
            continue
        statements = [statement.rstrip(";") for statement in migration.statements()]
        for statement in renderer.render(statements) if renderer else statements:
            client.command(statement)
        client.insert(
            "schema_migrations", [[migration.version, migration.name]], column_names=["version", "name"]
        )
        ran.append(migration)
    return ran
