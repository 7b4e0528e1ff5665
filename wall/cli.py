"""The wall's commands: `ioc grafana build|deploy` and `ioc wall snapshot`. Help in Vietnamese first."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

import typer

from ioc.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
grafana_app = typer.Typer(
    help="Dashboard Grafana theo mã nguồn — Grafana dashboards as code.", no_args_is_help=True
)
wall_app = typer.Typer(help="Tường màn hình IOC — the video wall.", no_args_is_help=True)


@grafana_app.command("build")
def build() -> None:
    """Sinh lại JSON dashboard, playlist, provisioning trong grafana/ — regenerate the files under grafana/."""
    from ioc.province import load_province
    from wall.build import generated_files, write

    changed = write(REPO_ROOT, generated_files(load_province(Settings().province_file)))
    for path in changed:
        print(f"wrote {path}")
    if not changed:
        print("nothing changed: grafana/ is up to date")


@grafana_app.command("deploy")
def deploy(
    url: Annotated[
        str | None, typer.Option(help="Địa chỉ Grafana — Grafana URL (default IOC_GRAFANA_URL)")
    ] = None,
    clickhouse_url: Annotated[
        str | None,
        typer.Option(help="ClickHouse HTTP mà Grafana kết nối — ClickHouse URL as Grafana reaches it"),
    ] = None,
) -> None:
    """Tải thư mục, nguồn dữ liệu, dashboard, playlist lên Grafana (lặp lại an toàn) — idempotent upload."""
    from grafana_client import GrafanaApi

    from ioc.endpoints import resolve
    from ioc.province import load_province
    from wall import deploy as deploying
    from wall.build import dashboards, datasource, playlists
    from warehouse.users import password_for

    settings = Settings()
    target = urlparse(clickhouse_url or resolve(settings, need=("clickhouse",)).clickhouse)
    source = datasource(target.hostname or "127.0.0.1", target.port or 8123)
    source["secureJsonData"] = {"password": password_for(settings, "grafana")}
    credential: str | tuple[str, str] = settings.grafana.token.get_secret_value() or (
        settings.grafana.user,
        settings.grafana.password.get_secret_value(),
    )
    api = GrafanaApi.from_url(url or settings.grafana.url, credential=credential)
    report = deploying.deploy(api, source, dashboards(load_province(settings.province_file)), playlists())
    for action in report.actions:
        print(action)


@wall_app.command("snapshot")
def snapshot(
    out: Annotated[Path, typer.Option(help="Thư mục ảnh PNG — folder for the PNG images")] = Path(
        "wall-snapshots"
    ),
    hours: Annotated[float, typer.Option(help="Khoảng thời gian, giờ — time range, hours")] = 6.0,
) -> None:
    """Vẽ mọi màn hình thành ảnh PNG từ dữ liệu ClickHouse hiện tại — render every screen to PNG."""
    import clickhouse_connect

    from ioc.endpoints import resolve
    from ioc.province import load_province
    from wall.build import dashboards
    from wall.macros import TimeRange
    from wall.snapshot import Frame
    from wall.snapshot import snapshot as render_all
    from warehouse.users import client_auth

    settings = Settings()
    client = clickhouse_connect.get_client(
        dsn=resolve(settings, need=("clickhouse",)).clickhouse,
        database=settings.clickhouse.database,
        **client_auth(settings, "grafana"),
    )

    def run(sql: str) -> Frame:
        result = client.query(sql)
        return Frame(list(result.column_names), list(result.result_rows))

    built = dashboards(load_province(settings.province_file))
    for path in render_all(list(built.values()), run, TimeRange.last(timedelta(hours=hours)), out):
        print(f"wrote {path}")
