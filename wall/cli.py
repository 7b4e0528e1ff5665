"""The wall's commands: `ioc grafana build|deploy`, `ioc wall serve|snapshot`. Help in Vietnamese first."""

from __future__ import annotations

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
) -> None:
    """Chụp mọi màn hình tường bằng Chromium không giao diện — screenshot every wall page in headless Chromium."""
    from ioc.browser import chromium
    from ioc.endpoints import resolve
    from wall.snapshot import take
    from wall.web.app import wall_app as build_wall
    from wall.web.server import serving

    settings = Settings()
    app = build_wall(settings, resolve(settings, need=("clickhouse",)))
    with serving(app) as base_url, chromium(settings.browser) as browser:
        for path in take(browser, base_url, app.state.dashboard_uids, out, settings.wall):
            print(f"wrote {path}")


@wall_app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option(help="Địa chỉ nghe — listen address (default IOC_WALL_HOST)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Cổng — port (default IOC_WALL_PORT)")] = None,
) -> None:
    """Phục vụ tường màn hình cho trình duyệt — serve the wall's pages to browsers (loopback by default)."""
    import uvicorn

    from ioc.endpoints import resolve
    from wall.web.app import wall_app as build_wall

    settings = Settings()
    app = build_wall(settings, resolve(settings, need=("clickhouse",)))
    address = f"http://{host or settings.wall.host}:{port or settings.wall.port}"
    print(f"Tường màn hình: {address}/ (27 màn hình), {address}/screen/1 … /screen/27")
    uvicorn.run(app, host=host or settings.wall.host, port=port or settings.wall.port, log_level="warning")
