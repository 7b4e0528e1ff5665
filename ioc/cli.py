"""`ioc`: the platform's one command line. Help in Vietnamese first, then English.

Known failures (a port in use, a missing tool, a service that did not come up, an unregistered or
incompatible schema) are printed as one line of cause and one of fix, never as a stack trace.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from console.cli import console_app
from ingest.cli import ingest_app
from ioc.endpoints import describe, resolve
from ioc.forms.cli import forms_app
from ioc.settings import Settings
from ioc.stack.errors import StackError
from reports.cli import report_app
from routing.cli import alerts_app
from wall.cli import grafana_app, wall_app
from warehouse.cli import users_app

console = Console(stderr=True, soft_wrap=True)
app = typer.Typer(
    help="Nền tảng dữ liệu IOC — IOC stream platform: stack, contracts, stream workers, warehouse, simulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stack_app = typer.Typer(
    help="Quản lý stack cục bộ — the local Kafka, registry and warehouse.", no_args_is_help=True
)
topics_app = typer.Typer(help="Topic Kafka theo mã nguồn — topics as code.", no_args_is_help=True)
schemas_app = typer.Typer(help="Quản trị lược đồ Avro — schema governance.", no_args_is_help=True)
sinks_app = typer.Typer(help="Ghi dữ liệu vào ClickHouse — ClickHouse sinks.", no_args_is_help=True)
db_app = typer.Typer(
    help="Kho dữ liệu: lược đồ, tài khoản — warehouse DDL migrations and accounts.", no_args_is_help=True
)
docs_app = typer.Typer(
    help="Tài liệu sinh từ mã nguồn — documentation generated from the code.", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")
app.add_typer(schemas_app, name="schemas")
app.add_typer(sinks_app, name="sinks")
app.add_typer(db_app, name="db")
app.add_typer(docs_app, name="docs")
app.add_typer(grafana_app, name="grafana")
app.add_typer(wall_app, name="wall")
app.add_typer(ingest_app, name="ingest")
app.add_typer(alerts_app, name="alerts")
app.add_typer(forms_app, name="forms")
app.add_typer(report_app, name="report")
app.add_typer(console_app, name="console")
db_app.add_typer(users_app, name="users")


def progress(message: str) -> None:
    """Progress lines go to stderr so that command output stays clean for pipes."""
    console.print(f"[dim]•[/dim] {message}")


BrokersOption = Annotated[
    int | None,
    typer.Option(
        "--brokers",
        help="Số broker Kafka — Kafka brokers: 1, or 3 for a KRaft cluster (3 copies, min.insync.replicas 2)",
    ),
]


def settings_with(brokers: int | None) -> Settings:
    """The settings, with the command line's broker count over IOC_STACK_BROKERS."""
    settings = Settings()
    if brokers is not None:
        settings.stack = settings.stack.model_copy(update={"brokers": brokers})
    return settings


@stack_app.command("up")
def stack_up(brokers: BrokersOption = None) -> None:
    """Khởi động Kafka, registry, kho dữ liệu — start Kafka, the registry and the warehouse, and apply the contracts."""
    from ioc.contracts import apply_contracts
    from ioc.stack.manager import LocalStack

    settings = settings_with(brokers)
    endpoints = LocalStack(settings, progress).up(
        prepare=lambda ep: apply_contracts(ep, settings.topic_prefix, progress)
    )
    for name, address in describe(endpoints).items():
        console.print(f"[green]✓[/green] {name}: {address}")
    auth = endpoints.kafka_auth
    if auth.username:
        console.print(
            f"[green]✓[/green] Kafka: {auth.mechanism} over TLS as {auth.username!r}; registry: basic auth; "
            f"passwords and CA in {settings.stack.dir / 'secrets'} (0600, never printed)"
        )


@stack_app.command("down")
def stack_down() -> None:
    """Dừng mọi dịch vụ cục bộ — stop every local service (data is kept)."""
    from ioc.stack.manager import LocalStack

    LocalStack(Settings(), progress).down()


@stack_app.command("status")
def stack_status() -> None:
    """Trạng thái từng dịch vụ — each service, its address and whether it answers."""
    from rich.table import Table

    from ioc.stack.manager import LocalStack

    table = Table("Dịch vụ / service", "Địa chỉ / address", "Trạng thái / state", "Log")
    for row in LocalStack(Settings(), progress).status():
        colour = {"running": "green", "external": "cyan"}.get(row.state, "red")
        table.add_row(row.name, row.address, f"[{colour}]{row.state}[/{colour}]", row.log)
    Console().print(table)


@stack_app.command("compose-secrets")
def stack_compose_secrets(
    out: Annotated[
        Path, typer.Option("--out", help="Thư mục đích — where the files go (mounted by docker-compose.yml)")
    ] = Path("secrets/cluster"),
) -> None:
    """Bí mật cho cụm compose — the CA, certificates, passwords and broker/registry properties that
    docker-compose.yml's secured cluster mounts (kept if already there)."""
    from ioc.stack.compose_secrets import render

    for path in render(out):
        console.print(f"[green]✓[/green] {path}")


@stack_app.command("logs")
def stack_logs(
    service: Annotated[
        str, typer.Argument(help="kafka (kafka-2, kafka-3 in a cluster) | registry | warehouse | worker")
    ],
    lines: Annotated[int, typer.Option("--lines", "-n", help="Số dòng cuối — how many last lines")] = 50,
) -> None:
    """Xem log của một dịch vụ — print the last lines of a service's log."""
    from ioc.stack.manager import LocalStack
    from ioc.stack.process import tail

    log = LocalStack(Settings(), progress).log_path(service)
    if not log.exists():
        raise StackError(
            f"no log for {service!r} at {log}", "has the stack been started with `ioc stack up`?"
        )
    print(tail(log, lines))


@topics_app.command("apply")
def topics_apply() -> None:
    """Tạo/điều chỉnh topic theo mã — create or align every topic; reports drift."""
    from topics.apply import apply_topics

    settings = Settings()
    for change in apply_topics(resolve(settings, need=("kafka",)).kafka_client(), settings.topic_prefix):
        print(f"{change.action:10} {change.topic} {change.detail}".rstrip())


@schemas_app.command("register")
def schemas_register() -> None:
    """Đăng ký lược đồ — register every topic's schema (refused if incompatible)."""
    from ioc.schemas import register_all
    from ioc.serde import registry_client

    settings = Settings()
    endpoints = resolve(settings, need=("registry",))
    client = registry_client(endpoints)
    for registration in register_all(client, settings.topic_prefix):
        print(f"{registration.subject}: id {registration.schema_id}")


@schemas_app.command("check")
def schemas_check(
    registry: Annotated[
        bool,
        typer.Option(
            "--registry", help="Hỏi registry thay vì lịch sử git — ask the registry, not git history"
        ),
    ] = False,
) -> None:
    """Kiểm tra tương thích — check the working tree's schemas against every earlier version.

    Without a server by default (each schema file's git history, BACKWARD_TRANSITIVE); with
    --registry against the versions the registry holds.
    """
    if registry:
        from ioc.schemas import check_all
        from ioc.serde import registry_client

        settings = Settings()
        endpoints = resolve(settings, need=("registry",))
        client = registry_client(endpoints)
        problems = check_all(client, settings.topic_prefix)
    else:
        from avro_schemas.compatibility import check_working_tree

        problems = [str(problem) for problem in check_working_tree()]
    for problem in problems:
        console.print(f"[red]✗[/red] {problem}", markup=True, highlight=False)
    if problems:
        raise typer.Exit(1)
    console.print("[green]✓[/green] every schema can read all its earlier versions")


@schemas_app.command("catalog")
def schemas_catalog() -> None:
    """Tạo lại danh mục dữ liệu cho bên tích hợp — regenerate the integrators' catalog in docs/catalog/."""
    from avro_schemas.catalog import DEFAULT_DIR, write_catalog

    for path in write_catalog(DEFAULT_DIR):
        print(path)


@docs_app.command("indicators")
def docs_indicators() -> None:
    """Tạo lại bảng chỉ tiêu — regenerate the indicator tables of docs/indicators.md from the catalog."""
    from streams.model import indicator_docs

    print(indicator_docs.write())


@app.command("worker")
def worker() -> None:
    """Chạy bộ xử lý luồng Faust — run the Faust stream worker (indicators and alerts)."""
    from streams.worker import run_worker

    run_worker(Settings())


@sinks_app.command("run")
def sinks_run() -> None:
    """Chạy các sink ghi vào ClickHouse (CLICKHOUSE_URL) — run the sinks against a ClickHouse server."""
    from sinks.service import run_sinks

    run_sinks(Settings())


@db_app.command("migrate")
def db_migrate(
    cluster: Annotated[
        str,
        typer.Option(
            help="Chạy trên cụm ClickHouse này (ON CLUSTER) — run on this ClickHouse cluster "
            "(ON CLUSTER, Replicated and Distributed tables; see `ioc db render`)"
        ),
    ] = "",
) -> None:
    """Áp dụng migration DDL — apply the DDL migrations that are missing (idempotent)."""
    import clickhouse_connect

    from sinks.cluster_ddl import ClusterDDLError
    from sinks.migrate import migrate
    from warehouse.users import WRITER, client_auth

    settings = Settings()
    client = clickhouse_connect.get_client(
        dsn=resolve(settings, need=("clickhouse",)).clickhouse, **client_auth(settings, WRITER)
    )
    try:
        ran = migrate(client, settings.clickhouse.database, cluster or None)
    except ClusterDDLError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cluster") from None
    for migration in ran:
        print(f"applied {migration.version:03d} {migration.name}")
    if not ran:
        print("nothing to apply: the database is up to date")


@db_app.command("render")
def db_render(
    cluster: Annotated[
        str, typer.Option(help="Tên cụm ClickHouse (remote_servers) — the ClickHouse cluster's name")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Ghi mỗi migration ra một tệp trong thư mục này — write one file per migration here"
        ),
    ] = None,
) -> None:
    """Xuất migration dạng cụm, không cần máy chủ — print the migrations in their ClickHouse-cluster form."""
    from sinks.cluster_ddl import ClusterDDLError, as_sql_file, render_all
    from sinks.migrate import available

    try:
        rendered = render_all(available(), cluster)
    except ClusterDDLError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cluster") from None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for migration, statements in rendered.items():
        text = as_sql_file(migration, statements, cluster)
        if out is None:
            print(text)
        else:
            (out / migration.path.name).write_text(text)
    if out is not None:
        progress(f"{len(rendered)} migrations for cluster '{cluster}' written to {out}")


@db_app.command("status")
def db_status() -> None:
    """Migration nào đã áp dụng — which migrations the database has."""
    import clickhouse_connect

    from sinks.migrate import status
    from warehouse.users import WRITER, client_auth

    settings = Settings()
    client = clickhouse_connect.get_client(
        dsn=resolve(settings, need=("clickhouse",)).clickhouse, **client_auth(settings, WRITER)
    )
    for migration, done in status(client, settings.clickhouse.database):
        print(f"{'applied' if done else 'pending':8} {migration.version:03d} {migration.name}")


@db_app.command("sync-province")
def db_sync_province() -> None:
    """Nạp cấu hình tỉnh vào bảng danh mục — load config/province.yaml into the dimension tables (idempotent)."""
    import clickhouse_connect

    from ioc.province import load_province
    from sinks.dimensions import sync_dimensions
    from warehouse.users import WRITER, client_auth

    settings = Settings()
    client = clickhouse_connect.get_client(
        dsn=resolve(settings, need=("clickhouse",)).clickhouse,
        database=settings.clickhouse.database,
        **client_auth(settings, WRITER),
    )
    report = sync_dimensions(client, load_province(settings.province_file))
    for table, (upserts, removals) in report.changes.items():
        print(f"{table}: {upserts} inserted or changed, {removals} removed")


@app.command("simulate")
def simulate(
    cameras: Annotated[
        int, typer.Option(help="Số camera của tỉnh được giả lập (0 = tất cả) — cameras to simulate (0: all)")
    ] = 300,
    seed: Annotated[int, typer.Option(help="Hạt giống ngẫu nhiên — random seed")] = 42,
    duration: Annotated[
        float, typer.Option(help="Thời gian chạy, giây (0 = đến khi Ctrl-C) — seconds")
    ] = 0.0,
    rate: Annotated[
        float,
        typer.Option(help="Bản ghi/giây, vòng hở (0 = theo đồng hồ thực) — records/s, open loop (0: live)"),
    ] = 0.0,
    late: Annotated[float, typer.Option(help="Tỷ lệ bản ghi trễ — share of late records")] = 0.0,
    out_of_order: Annotated[float, typer.Option(help="Tỷ lệ sai thứ tự — share out of order")] = 0.0,
    duplicate: Annotated[float, typer.Option(help="Tỷ lệ trùng lặp — share of duplicates")] = 0.0,
    invalid: Annotated[float, typer.Option(help="Tỷ lệ không hợp lệ — share of invalid records")] = 0.0,
    gateway: Annotated[
        str, typer.Option(help="Gửi qua cổng HTTP tại URL này — send through the HTTP gateway at this URL")
    ] = "",
    api_key: Annotated[str, typer.Option(help="Khóa API của cổng HTTP — the gateway's API key")] = "",
) -> None:
    """Giả lập toàn tỉnh (camera, cảm biến, sở ngành) gửi vào Kafka — simulate the whole province's feeds."""
    from load_tests.faults import FaultConfig
    from load_tests.live import run_simulator

    try:
        faults = FaultConfig(
            late_share=late, out_of_order_share=out_of_order, duplicate_share=duplicate, invalid_share=invalid
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--late/--out-of-order/--duplicate/--invalid") from None
    sender = run_simulator(
        Settings(),
        cameras=cameras or None,
        seed=seed,
        duration_s=duration,
        rate=rate,
        faults=faults,
        gateway=(gateway, api_key) if gateway else None,
    )
    console.print(f"đã gửi {sender.records_sent:,} bản ghi — sent {sender.records_sent:,} records")


@app.command("bench")
def bench(
    mode: Annotated[
        str, typer.Option(help="short (vài phút) | full — short (a few minutes) | full")
    ] = "short",
    only: Annotated[
        list[str] | None, typer.Option(help="Chỉ chạy pipeline này — run only this pipeline (repeatable)")
    ] = None,
    keep: Annotated[bool, typer.Option(help="Giữ thư mục làm việc (log) — keep the working folder")] = False,
) -> None:
    """Đo hiệu năng nền tảng so với các hệ tương đương — benchmark the platform against its peers."""
    from load_tests.benchmark.modes import MODES
    from load_tests.benchmark.run import run_and_report

    if mode not in MODES:
        raise typer.BadParameter(f"choose one of {', '.join(sorted(MODES))}", param_hint="--mode")
    run_and_report(mode, tuple(only or ()), keep=keep)


@app.command("chaos")
def chaos(
    variant: Annotated[
        str, typer.Option(help="full (mọi sự cố, ~20 phút) | short (CI) — full (every fault) | short (CI's)")
    ] = "full",
    stack_dir: Annotated[
        Path | None,
        typer.Option(help="Thư mục stack riêng — the run's own stack folder (default: temporary)"),
    ] = None,
) -> None:
    """Thử sự cố trên cụm 3 broker: không mất, không trùng — chaos run on a 3-broker cluster: nothing lost or doubled."""
    from load_tests.chaos.cli import main as chaos_main
    from load_tests.chaos.schedule import VARIANTS

    if variant not in VARIANTS:
        raise typer.BadParameter(f"choose one of {', '.join(sorted(VARIANTS))}", param_hint="--variant")
    chaos_main(["--variant", variant] + (["--stack-dir", str(stack_dir)] if stack_dir else []))


@app.command("sql")
def sql(
    query: Annotated[str, typer.Argument(help="Câu lệnh SQL — the SQL query")],
    output: Annotated[str, typer.Option("--format", "-f", help="table | csv | json")] = "table",
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            help="Người dùng kho — warehouse user (analyst, grafana, ioc_writer, or your own account: "
            "its password is asked for)",
        ),
    ] = None,
) -> None:
    """Truy vấn kho dữ liệu — run SQL on the warehouse (embedded or CLICKHOUSE_URL)."""
    from warehouse.query import FORMATS, run_query
    from warehouse.users import USERS

    if output not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    settings = Settings()
    url = resolve(settings, need=("clickhouse",)).clickhouse
    password = ""
    if user and user not in USERS and not settings.clickhouse.url:
        password = typer.prompt("Mật khẩu — password", hide_input=True, err=True)
    sys.stdout.write(run_query(url, settings, query, output, user=user, password=password))


@app.command("run")
def run(
    cameras: Annotated[int, typer.Option(help="Số camera giả lập — simulated cameras")] = 300,
    brokers: BrokersOption = None,
    workers: Annotated[int, typer.Option(help="Số worker xử lý luồng — stream workers in one group")] = 1,
) -> None:
    """Chạy toàn bộ nền tảng cục bộ kèm trình giả lập — run everything locally with a simulated province, until Ctrl-C."""
    from ioc.embedded import run_embedded

    run_embedded(settings_with(brokers), cameras=cameras, workers=workers, progress=progress)


def main() -> None:
    """Entry point: run the app, turning known failures into a cause and a hint."""
    from ioc.schemas import IncompatibleSchemaError
    from ioc.serde import RegistryUnavailableError, SerdeError

    try:
        app()
    except StackError as exc:
        console.print(f"[red]error:[/red] {exc.cause}")
        if exc.hint:
            console.print(f"[yellow]hint:[/yellow] {exc.hint}")
        if exc.log_tail:
            console.print("[dim]last lines of the log:[/dim]")
            console.print(exc.log_tail, markup=False, highlight=False)
        sys.exit(1)
    except (IncompatibleSchemaError, SerdeError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        sys.exit(1)
    except RegistryUnavailableError as exc:
        console.print(f"[red]error:[/red] {exc}")
        console.print(
            "[yellow]hint:[/yellow] is the schema registry up, and are SCHEMA_REGISTRY_URL and its "
            "credentials right? A supervisor (compose, `ioc run`) starts this again; it resumes from its last commit"
        )
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("stopped")
        sys.exit(130)


if __name__ == "__main__":
    main()
