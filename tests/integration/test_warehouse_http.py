# ruff: noqa: S608 - the SQL names tables and databases this test creates under unique names
"""SQL access while the pipeline runs: ordinary ClickHouse clients on the embedded warehouse.

clickhouse-connect's HTTP client (not the chDB DSN), raw HTTP as curl or DBeaver send it, `ioc sql`
and the Go driver behind Grafana's ClickHouse data source connect to the warehouse process while
its sinks store records that a producer keeps sending. `grafana` runs with limits lowered through
the stack's settings (the warehouse is restarted with them for this module, then restored).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from ioc.endpoints import resolve
from ioc.settings import WarehouseSettings
from load_tests.live import kafka_sender
from load_tests.simulator import CameraSimulator, province_cameras
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from warehouse.users import ANALYST, GRAFANA, WRITER, password_for

pytestmark = pytest.mark.integration

LOW_ROWS = 5_000  # above the ~1,500 rows clickhouse-connect reads from system.settings on connect
LOW_TIME_S = 2.0
LOW_MEMORY = 300_000_000
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
RUN = uuid.uuid4().hex[:8]


@dataclass
class Warehouse:
    stack: RunningStack
    url: str
    port: int
    source_id: str

    def password(self, user: str) -> str:
        return password_for(self.stack.settings, user)

    def client(self, user: str, **kwargs: Any) -> Client:
        """clickhouse-connect's ordinary HTTP client, as an analyst or Grafana's host would use it."""
        return clickhouse_connect.get_client(
            host="127.0.0.1",
            port=self.port,
            username=user,
            password=self.password(user),
            database="ioc",
            **kwargs,
        )

    def post(self, user: str, sql: str, **params: str) -> httpx.Response:
        """A raw request, as curl sends it, with settings as URL parameters (as Grafana sends them)."""
        return httpx.post(
            self.url, params=params, content=sql.encode(), auth=(user, self.password(user)), timeout=60
        )

    def stored(self, source_id: str) -> int:
        return int(self.client(ANALYST).query(
            "SELECT count() FROM camera_vehicle_counts WHERE source_id = {s:String}", parameters={"s": source_id}
        ).result_rows[0][0])  # fmt: skip


def restart_warehouse(stack: RunningStack, warehouse: WarehouseSettings) -> None:
    """Restart with other settings. The stack reuses the port when it can but may pick another
    (seen), so the session's endpoints are refreshed for the tests that come after."""
    stack.settings.warehouse = warehouse
    stack.stack.stop_service("warehouse")
    stack.stack.start_service("warehouse")
    stack.endpoints = resolve(stack.settings)


def keep_sending(stack: RunningStack, source_id: str, stop: threading.Event) -> None:
    """Records of five cameras every few hundred milliseconds, as the province's cameras would."""
    sender = kafka_sender(stack.settings)
    simulator = CameraSimulator(province_cameras(5, 7), 7, source_id=source_id)
    while not stop.wait(0.3):
        sender.send(simulator.batch(list(simulator.records(datetime.now(UTC))), datetime.now(UTC)))
    sender.flush()


@pytest.fixture(scope="module")
def warehouse(local_stack: RunningStack) -> Iterator[Warehouse]:
    restart_warehouse(
        local_stack,
        WarehouseSettings(
            grafana_max_result_rows=LOW_ROWS,
            grafana_max_execution_time_s=LOW_TIME_S,
            grafana_max_memory_usage=LOW_MEMORY,
        ),
    )
    stop = threading.Event()
    source_id = f"HTTP-{RUN}"
    sending = threading.Thread(target=keep_sending, args=(local_stack, source_id, stop), daemon=True)
    sending.start()
    url = local_stack.endpoints.clickhouse
    try:
        yield Warehouse(local_stack, url, httpx.URL(url).port or 0, source_id)
    finally:
        stop.set()
        sending.join(timeout=30)
        restart_warehouse(local_stack, WarehouseSettings())


def test_an_analyst_queries_in_several_formats_while_the_sinks_write(warehouse: Warehouse) -> None:
    before = wait_for(lambda: warehouse.stored(warehouse.source_id), lambda n: n > 0)
    analyst = warehouse.client(ANALYST)
    assert analyst.server_version.startswith("26.")
    # Native, clickhouse-connect's own format, with LowCardinality, DateTime64 and Nullable columns.
    rows = analyst.query(
        "SELECT camera_id, observed_at, average_speed_kmh FROM camera_vehicle_counts "
        "WHERE source_id = {s:String} ORDER BY observed_at LIMIT 3",
        parameters={"s": warehouse.source_id},
    ).result_rows
    assert len(rows) == 3 and rows[0][0].startswith("CAM-")
    sql = "SELECT number AS n, toString(number) AS s FROM numbers(3)"
    assert analyst.raw_query(sql, fmt="JSONEachRow") == b'{"n":0,"s":"0"}\n{"n":1,"s":"1"}\n{"n":2,"s":"2"}\n'
    assert analyst.raw_query(sql, fmt="CSVWithNames") == b'"n","s"\n0,"0"\n1,"1"\n2,"2"\n'
    assert analyst.raw_query(sql, fmt="TabSeparated") == b"0\t0\n1\t1\n2\t2\n"
    # The sinks kept writing meanwhile, into the same engine.
    assert wait_for(lambda: warehouse.stored(warehouse.source_id), lambda n: n > before) > before


@pytest.mark.parametrize("user", [ANALYST, GRAFANA])
@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("INSERT INTO camera_vehicle_counts (event_id) VALUES ('x')", 164),
        ("CREATE TABLE ioc.http_probe (a UInt8) ENGINE = Memory", 164),
        ("DROP TABLE camera_vehicle_counts", 164),
        ("TRUNCATE TABLE camera_vehicle_counts", 164),
        ("KILL QUERY WHERE 1", 164),  # chDB's readonly=1 alone would let it kill the sinks' inserts
        ("SELECT 1 INTO OUTFILE '/tmp/ioc-http-probe.txt'", 164),
        ("SELECT file('/etc/hostname')", 497),
        ("SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')", 497),
        ("SELECT 1; KILL QUERY WHERE 1", 62),
    ],
)
def test_readonly_users_cannot_write(warehouse: Warehouse, user: str, sql: str, code: int) -> None:
    with pytest.raises(DatabaseError) as refused:
        warehouse.client(user).command(sql)
    assert refused.value.code == code
    assert not Path("/tmp/ioc-http-probe.txt").exists()  # noqa: S108 - the file that must not appear


@pytest.mark.parametrize("user", [ANALYST, GRAFANA])
def test_readonly_users_cannot_insert_with_the_client(warehouse: Warehouse, user: str) -> None:
    with pytest.raises(DatabaseError) as refused:
        warehouse.client(user).insert("camera_vehicle_counts", [["x"]], column_names=["event_id"])
    assert refused.value.code == 164


def test_grafana_cannot_lift_its_limits(warehouse: Warehouse) -> None:
    grafana = warehouse.client(GRAFANA)
    too_many = f"SELECT number FROM numbers({LOW_ROWS * 2})"
    for attempt, code in (
        (lambda: grafana.query(too_many), 396),  # TOO_MANY_ROWS_OR_BYTES
        (lambda: grafana.query(f"{too_many} SETTINGS max_result_rows = 0"), 164),  # READONLY
        (lambda: grafana.command(f"SET max_result_rows = {LOW_ROWS * 10}"), 164),
    ):
        with pytest.raises(DatabaseError) as refused:
            attempt()
        assert refused.value.code == code
    assert (
        len(warehouse.client(ANALYST).query(too_many).result_rows) == LOW_ROWS * 2
    )  # the analyst's is higher

    # Limits sent as URL parameters are lowered to the user's, never raised.
    raised = warehouse.post(GRAFANA, too_many, max_result_rows="100000000")
    assert (raised.status_code, raised.headers["X-ClickHouse-Exception-Code"]) == (500, "396")
    started = time.monotonic()
    # Under grafana's rows-to-read limit, so that it is the time limit that stops it.
    slow = warehouse.post(
        GRAFANA, "SELECT sum(sipHash64(number)) FROM numbers(1000000000)", max_execution_time="100000"
    )
    assert (slow.status_code, slow.headers["X-ClickHouse-Exception-Code"]) == (408, "159")
    assert time.monotonic() - started < LOW_TIME_S + 5
    greedy = warehouse.post(
        GRAFANA, "SELECT length(groupArray(number)) FROM numbers(100000000)", max_memory_usage="0"
    )
    assert greedy.headers["X-ClickHouse-Exception-Code"] == "241"
    left = warehouse.post(GRAFANA, "SELECT 1", readonly="0")
    assert left.headers["X-ClickHouse-Exception-Code"] == "164"


def test_a_wrong_or_missing_password_is_refused(warehouse: Warehouse) -> None:
    with pytest.raises(DatabaseError) as refused:
        clickhouse_connect.get_client(
            host="127.0.0.1",
            port=warehouse.port,
            username=ANALYST,
            password="wrong",  # noqa: S106 - wrong on purpose
        )
    assert refused.value.code == 516
    message = "Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)"
    for auth, headers, status in (
        (None, {}, 401),
        (None, {"X-ClickHouse-User": GRAFANA, "X-ClickHouse-Key": "wrong"}, 403),
        ((ANALYST, warehouse.password(GRAFANA)), {}, 403),
    ):
        response = httpx.post(warehouse.url, content=b"SELECT 1", auth=auth, headers=headers)
        assert (response.status_code, response.headers["X-ClickHouse-Exception-Code"]) == (status, "516")
        assert response.text.startswith("Code: 516. DB::Exception: ") and message in response.text
    good = {"X-ClickHouse-User": GRAFANA, "X-ClickHouse-Key": warehouse.password(GRAFANA)}
    assert httpx.post(warehouse.url, content=b"SELECT 1", headers=good).text == "1\n"
    by_url = {"query": "SELECT 2", "user": ANALYST, "password": warehouse.password(ANALYST)}
    assert httpx.get(warehouse.url, params=by_url).text == "2\n"


def test_the_writer_creates_and_inserts(warehouse: Warehouse) -> None:
    database = f"ioc_http_{RUN}"
    writer = warehouse.client(WRITER)
    writer.command(f"CREATE DATABASE {database}")
    try:
        writer.command(
            f"CREATE TABLE {database}.readings (at DateTime64(3, 'UTC'), station LowCardinality(String), "
            "value Nullable(Float64)) ENGINE = MergeTree ORDER BY at"
        )
        # Native, lz4-compressed: clickhouse-connect's default insert.
        writer.insert(
            f"{database}.readings",
            [[T0, "ST-1", 1.5], [T0 + timedelta(minutes=1), "ST-2", None]],
            column_names=["at", "station", "value"],
        )
        writer.raw_insert(
            f"{database}.readings", ["at", "station", "value"], b"2026-03-02 01:02:00,ST-3,2\n", fmt="CSV"
        )
        inserted = warehouse.post(
            WRITER, '{"at": "2026-03-02 01:03:00", "station": "ST-4", "value": 4}\n',
            query=f"INSERT INTO {database}.readings FORMAT JSONEachRow",
        )  # fmt: skip
        assert json.loads(inserted.headers["X-ClickHouse-Summary"])["written_rows"] == "1"
        rows = writer.query(f"SELECT station, value FROM {database}.readings ORDER BY at").result_rows
        assert rows == [("ST-1", 1.5), ("ST-2", None), ("ST-3", 2.0), ("ST-4", 4.0)]
        # A large insert: clickhouse-connect sends it as several lz4 frames, and every one is stored.
        many = [
            [T0 + timedelta(days=1, seconds=i), f"ST-{i % 7}-{uuid.uuid4()}", float(i)]
            for i in range(150_000)
        ]
        summary = writer.insert(f"{database}.readings", many, column_names=["at", "station", "value"])
        stored = writer.query(
            f"SELECT count() FROM {database}.readings WHERE at >= {{d:DateTime64(3)}}",
            parameters={"d": T0 + timedelta(days=1)},
        )
        assert (summary.written_rows, stored.result_rows[0][0]) == (150_000, 150_000)
        with pytest.raises(DatabaseError) as refused:
            warehouse.client(ANALYST).query(f"SELECT count() FROM {database}.readings")
        assert refused.value.code == 497  # read-only users read the platform's database only
    finally:
        writer.command(f"DROP DATABASE IF EXISTS {database}")


def test_restricted_tables_are_readable_only_through_a_view(warehouse: Warehouse) -> None:
    table, view = f"restricted_http_{RUN}", f"http_masked_{RUN}"
    writer = warehouse.client(WRITER)
    writer.command(f"CREATE TABLE ioc.{table} (plate String) ENGINE = MergeTree ORDER BY plate")
    writer.command(
        f"CREATE VIEW ioc.{view} AS SELECT concat(substring(plate, 1, 3), '***') AS plate FROM ioc.{table}"
    )
    try:
        writer.insert(f"ioc.{table}", [["51F12345"]], column_names=["plate"])
        for user in (ANALYST, GRAFANA):
            reader = warehouse.client(user)
            assert reader.query(f"SELECT plate FROM {view}").result_rows == [("51F***",)]
            for sql in (
                f"SELECT * FROM {table}",
                f"SELECT 1 WHERE '51F12345' IN ioc.{table}",
                f"DESCRIBE {table}",
            ):
                with pytest.raises(DatabaseError) as refused:
                    reader.query(sql)
                assert refused.value.code == 497
    finally:
        writer.command(f"DROP VIEW IF EXISTS ioc.{view}")
        writer.command(f"DROP TABLE IF EXISTS ioc.{table}")


def test_protocol_details_clients_rely_on(warehouse: Warehouse) -> None:
    assert httpx.get(f"{warehouse.url}/ping").text == "Ok.\n"
    answered = httpx.post(
        warehouse.url,
        params={
            "enable_http_compression": "1",
            "default_format": "JSONEachRow",
            "query_id": f"q-{RUN}",
            "param_n": "7",
        },
        content=gzip.compress(b"SELECT {n:UInt8} AS n"),
        headers={"Content-Encoding": "gzip", "Accept-Encoding": "gzip"},
        auth=(ANALYST, warehouse.password(ANALYST)),
    )
    assert answered.headers["Content-Encoding"] == "gzip" and answered.text == '{"n":7}\n'
    assert answered.headers["X-ClickHouse-Format"] == "JSONEachRow"
    assert answered.headers["X-ClickHouse-Query-Id"] == f"q-{RUN}"
    assert answered.headers["X-ClickHouse-Timezone"]
    unknown = warehouse.post(ANALYST, "SELECT 1", no_such_setting="1")
    assert (unknown.status_code, unknown.headers["X-ClickHouse-Exception-Code"]) == (404, "115")
    harmless = warehouse.post(
        ANALYST, "SELECT getSetting('max_threads')", max_threads="1", wait_end_of_query="1", session_id="s"
    )
    assert harmless.text == "1\n"


def ioc_sql(warehouse: Warehouse, args: list[str], **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("IOC_", "CLICKHOUSE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "ioc.cli", "sql", *args],
        env=clean | {"IOC_STACK_DIR": str(warehouse.stack.dir)} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ioc_sql_prints_the_same_on_the_embedded_default_and_as_a_server(warehouse: Warehouse) -> None:
    sql = "SELECT number AS n, toString(number * 2) AS twice FROM numbers(3)"
    as_server = f"http://{ANALYST}:{warehouse.password(ANALYST)}@127.0.0.1:{warehouse.port}/ioc"
    for output in ("table", "csv"):
        embedded = ioc_sql(warehouse, ["-f", output, sql])
        assert embedded == ioc_sql(warehouse, ["-f", output, sql], CLICKHOUSE_URL=as_server)
    assert "┌─n─┬─twice─┐" in ioc_sql(warehouse, [sql])
    embedded_json = json.loads(ioc_sql(warehouse, ["-f", "json", sql]))
    server_json = json.loads(ioc_sql(warehouse, ["-f", "json", sql], CLICKHOUSE_URL=as_server))
    assert (
        embedded_json["data"]
        == server_json["data"]
        == [
            {"n": 0, "twice": "0"},
            {"n": 1, "twice": "2"},
            {"n": 2, "twice": "4"},
        ]
    )
    readonly = "SELECT getSetting('readonly')"
    assert ioc_sql(warehouse, ["-f", "csv", readonly]).splitlines()[-1] == "1"  # analyst, by default
    assert ioc_sql(warehouse, ["--user", WRITER, "-f", "csv", readonly]).splitlines()[-1] == "0"


GO_CLIENT = r"""
// A Grafana-like client: clickhouse-go over HTTP, as the grafana-clickhouse-datasource plugin uses it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func main() {
	addr, user, password, camera := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:     []string{addr},
		Protocol: clickhouse.HTTP,
		Auth:     clickhouse.Auth{Database: "ioc", Username: user, Password: password},
		// Grafana sends its query timeout as max_execution_time with every query.
		Settings:    clickhouse.Settings{"max_execution_time": 60},
		DialTimeout: 10 * time.Second,
	})
	check(err)
	ctx := context.Background()
	check(conn.Ping(ctx))
	version, err := conn.ServerVersion()
	check(err)
	var one uint8
	var total uint64
	check(conn.QueryRow(ctx, "SELECT 1, count() FROM camera_vehicle_counts").Scan(&one, &total))
	var (
		lc  string
		n   *string
		arr []uint16
		dec decimal.Decimal
		id  uuid.UUID
		en  string
		b   bool
		fs  string
		d   time.Time
		m   map[string]uint8
		dt  time.Time
	)
	check(conn.QueryRow(ctx, `SELECT toLowCardinality('a'), CAST(NULL AS Nullable(String)), [1000, 2000],
		toDecimal64(1.5, 2), toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0'), CAST('b' AS Enum8('a' = 1, 'b' = 2)),
		true, toFixedString('ab', 2), toDate('2026-01-02'), map('k', 1),
		toDateTime64('2026-01-02 03:04:05.678', 3, 'Asia/Ho_Chi_Minh')`).Scan(&lc, &n, &arr, &dec, &id, &en, &b, &fs, &d, &m, &dt))
	rows, err := conn.Query(ctx, `SELECT toStartOfInterval(observed_at, INTERVAL 1 minute) AS time,
		sum(vehicle_count) AS vehicles FROM camera_vehicle_counts WHERE camera_id = ? GROUP BY time ORDER BY time`, camera)
	check(err)
	buckets := []map[string]any{}
	for rows.Next() {
		var t time.Time
		var v uint64
		check(rows.Scan(&t, &v))
		buckets = append(buckets, map[string]any{"time": t.UTC().Format(time.RFC3339), "vehicles": v})
	}
	check(rows.Err())
	out, err := json.Marshal(map[string]any{
		"version": version.Version.String(), "one": one, "total": total, "buckets": buckets,
		"types": []any{lc, n, arr, dec.String(), id.String(), en, b, fs, d.Format("2006-01-02"), m,
			dt.UTC().Format("2006-01-02T15:04:05.000Z")},
	})
	check(err)
	fmt.Println(string(out))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"""
CLICKHOUSE_GO = "github.com/ClickHouse/clickhouse-go/v2@v2.51.0"


def go(args: list[str], cwd: Path, timeout: float = 600) -> str:
    result = subprocess.run(
        ["go", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"go {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_grafanas_go_driver_reads_native_blocks_of_its_revision(warehouse: Warehouse, tmp_path: Path) -> None:
    if shutil.which("go") is None:
        pytest.skip(
            "Go is not on PATH: this test builds a clickhouse-go program, as Grafana's data source uses"
        )
    camera = f"CAM-GO-{RUN}"
    template = next(CameraSimulator(province_cameras(1, 3), 3).records(T0))
    sender = kafka_sender(warehouse.stack.settings)
    sender.send({
        "source_id": f"GO-{RUN}",
        "sent_at": datetime.now(UTC),
        "records": [
            template | {"event_id": f"GO-{RUN}-{i}", "camera_id": camera, "observed_at": at, "vehicle_count": count}
            for i, (at, count) in enumerate(
                [(T0 + timedelta(seconds=10), 5), (T0 + timedelta(seconds=50), 7), (T0 + timedelta(minutes=1), 3)]
            )
        ],
    })  # fmt: skip
    assert sender.flush() == 0
    wait_for(lambda: warehouse.stored(f"GO-{RUN}"), lambda n: n == 3)

    (tmp_path / "main.go").write_text(GO_CLIENT)
    go(["mod", "init", "grafanalike"], tmp_path)
    go(["get", CLICKHOUSE_GO], tmp_path)
    go(["mod", "tidy"], tmp_path)
    go(["build", "-o", "grafanalike", "."], tmp_path)
    out = subprocess.run(
        [
            str(tmp_path / "grafanalike"),
            f"127.0.0.1:{warehouse.port}",
            GRAFANA,
            warehouse.password(GRAFANA),
            camera,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["version"].startswith("26.") and answer["one"] == 1 and answer["total"] > 0
    assert answer["buckets"] == [
        {"time": "2026-03-02T01:00:00Z", "vehicles": 12},
        {"time": "2026-03-02T01:01:00Z", "vehicles": 3},
    ]
    assert answer["types"] == [
        "a", None, [1000, 2000], "1.5", "61f0c404-5cb3-11e7-907b-a6006ad3dba0", "b", True, "ab", "2026-01-02",
        {"k": 1}, "2026-01-01T20:04:05.678Z",
    ]  # fmt: skip
