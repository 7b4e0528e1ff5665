"""`ioc ingest …`: run the HTTP door and the MQTT bridge, upload a report file, manage API keys and
the MQTT broker's station accounts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from config import CONFIG_DIR
from ioc.settings import Settings

T = TypeVar("T")
console = Console(stderr=True, soft_wrap=True)
ingest_app = typer.Typer(
    help="Cổng tiếp nhận dữ liệu — ingestion gateway: HTTP, MQTT, CSV/Excel files, API keys.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="Khóa API — API keys (stored hashed).", no_args_is_help=True)
ingest_app.add_typer(keys_app, name="keys")
mqtt_accounts_app = typer.Typer(
    help="Tài khoản MQTT của trạm — station gateway accounts of the MQTT broker (Mosquitto).",
    no_args_is_help=True,
)
ingest_app.add_typer(mqtt_accounts_app, name="mqtt-accounts")


@ingest_app.command("serve")
def serve_command() -> None:
    """Chạy cổng HTTP — run the HTTP gateway (IOC_INGEST_HOST, IOC_INGEST_PORT) until Ctrl-C.

    Run as many as needed behind one address: they follow the same keys and share each key's rate.
    """
    from ingest.server import serve

    settings = Settings()
    console.print(f"[green]✓[/green] http://{settings.ingest.host}:{settings.ingest.port}/docs")
    try:
        _or_exit(lambda: serve(settings))  # e.g. the keys topic missing: one line, not a trace
    except KeyboardInterrupt:
        console.print("đã dừng — stopped")


@ingest_app.command("mqtt")
def mqtt_command(
    config: Annotated[Path | None, typer.Option(help="Tệp cấu hình cầu nối — bridge config (YAML)")] = None,
) -> None:
    """Chạy cầu nối MQTT — run the MQTT bridge (topics → feeds from config/mqtt_bridge.yaml) until Ctrl-C.

    Its password: IOC_INGEST_MQTT_PASSWORD, or the file in the config's broker.password_file.
    """
    from ingest.errors import BrokerRefusedError
    from ingest.feeds import build_feeds
    from ingest.mqtt_bridge import MqttBridge, load_config
    from ingest.wiring import connect_gateway

    settings = Settings()
    path = config or settings.ingest.mqtt_config
    bridge_config = _or_exit(lambda: load_config(path, set(build_feeds()), settings.ingest.mqtt_password))
    gateway = _or_exit(lambda: connect_gateway(settings))
    try:
        bridge = MqttBridge(gateway, bridge_config, instance_id=settings.ingest.instance_id).start()
    except BrokerRefusedError as error:
        gateway.close()
        console.print(f"[red]error:[/red] {error}")
        console.print(f"[yellow]hint:[/yellow] {error.hint}")
        raise typer.Exit(2) from None
    login = f" user {bridge_config.username}" if bridge_config.username else ""
    where = f"{bridge_config.url} as {bridge.client_id}{login}"
    if bridge.client.is_connected():
        console.print(
            f"[green]✓[/green] {where}, {len(bridge_config.routes)} routes, "
            f"share group {bridge_config.share_group or '—'}"
        )
    else:  # no answer yet: paho keeps trying, and a refusal is logged as error: and hint:
        console.print(f"chưa kết nối, đang thử lại — not connected yet, retrying: {where}")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("đang dừng — stopping")
    finally:
        bridge.stop()
        gateway.close()


@ingest_app.command("upload")
def upload_command(
    file: Annotated[
        Path, typer.Argument(help="Tệp .csv hoặc .xlsx — the report file", exists=True, dir_okay=False)
    ],
    feed: Annotated[str, typer.Option(help="Luồng dữ liệu — feed, e.g. department.report-values")],
    source_id: Annotated[str, typer.Option(help="Mã hệ thống gửi — sending system id, e.g. SO-TNMT")],
    valid_only: Annotated[
        bool,
        typer.Option("--valid-only", help="Lưu các dòng hợp lệ — store the valid rows, report the others"),
    ] = False,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Chỉ kiểm tra — check only, store nothing")
    ] = False,
) -> None:
    """Tải tệp báo cáo — check a report file row by row and store it (all rows, or none)."""
    from ingest.batch_upload import read_upload, with_file_defaults
    from ingest.bodies import Refusal
    from ingest.wiring import connect_gateway

    settings = Settings()
    gateway = _or_exit(lambda: connect_gateway(settings))
    try:
        if feed not in gateway.feeds:
            raise typer.BadParameter(
                f"không có luồng {feed!r} — unknown feed; one of {', '.join(gateway.feeds)}"
            )
        try:
            records, places = read_upload(gateway.feeds[feed], file.name, file.read_bytes())
        except Refusal as refusal:
            console.print(f"[red]error:[/red] {refusal.message}")
            raise typer.Exit(2) from None
        outcome = gateway.submit(
            gateway.feeds[feed],
            source_id,
            with_file_defaults(records),
            door=f"upload:{file.name}",
            sandbox=sandbox,
            all_or_nothing=not valid_only,
        )
    finally:
        gateway.close()
    if outcome.rejected:
        table = Table("Dòng / row", "Trường / field", "Quy tắc / rule", "Lỗi / error")
        for rejection in outcome.rejected:
            table.add_row(places[rejection.index], rejection.field, rejection.rule, rejection.message)
        Console().print(table)
    stored = "đã lưu — stored" if outcome.stored else "KHÔNG lưu — nothing stored"
    print(
        f"{stored}: {outcome.accepted} mới — new, {outcome.duplicates} trùng — duplicates, "
        f"{len(outcome.rejected)} lỗi — rejected, trên {outcome.received} dòng — of {outcome.received} rows"
    )
    if outcome.rejected and not valid_only:
        raise typer.Exit(1)


@keys_app.command("add")
def keys_add(
    key_id: Annotated[str, typer.Argument(help="Tên khóa — key name, e.g. vms-hikvision")],
    feed: Annotated[
        list[str], typer.Option("--feed", help="Luồng được gửi (lặp lại; mẫu như sensor.*) — allowed feed")
    ],
    source: Annotated[
        list[str], typer.Option("--source", help="Mã nguồn được gửi (lặp lại) — allowed source id")
    ],
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Khóa thử nghiệm — sandbox key, stores nothing")
    ] = False,
    rate: Annotated[
        float | None, typer.Option(help="Số yêu cầu/giây — requests per second for this key")
    ] = None,
) -> None:
    """Tạo khóa — create a key; its secret is printed once and only its hash is kept.

    Every running gateway instance accepts it within seconds (no restart).
    """
    from ingest.key_admin import add_key
    from ingest.wiring import keys_topic

    settings = Settings()
    secret = _or_exit(lambda: add_key(settings, key_id, feed, source, sandbox=sandbox, rate_per_s=rate))
    console.print(f"[green]✓[/green] {key_id} → {keys_topic(settings)} (chỉ hiện một lần — shown once):")
    print(secret)


@keys_app.command("list")
def keys_list() -> None:
    """Liệt kê khóa — list keys and their scope (never the secrets), and the revoked ones."""
    from ingest.wiring import read_keys

    store = _or_exit(lambda: read_keys(Settings()))
    table = Table(
        "Khóa / key", "Luồng / feeds", "Nguồn / sources", "Thử nghiệm / sandbox", "Yêu cầu/s / rate"
    )
    for key in sorted(store.by_id.values(), key=lambda k: k.key_id):
        rate = "" if key.rate_per_s is None else f"{key.rate_per_s:g}"
        table.add_row(
            key.key_id, ", ".join(key.feeds), ", ".join(key.sources), "có" if key.sandbox else "", rate
        )
    for revoked in sorted(store.revoked.values(), key=lambda r: r.key_id):
        table.add_row(revoked.key_id, f"[red]đã thu hồi — revoked {revoked.revoked_at}[/red]", "", "", "")
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="Tên khóa — key name")]) -> None:
    """Thu hồi khóa — revoke a key; every running gateway instance refuses it within seconds."""
    from ingest.key_admin import revoke_key

    _or_exit(lambda: revoke_key(Settings(), key_id))
    console.print(f"[green]✓[/green] đã thu hồi — revoked {key_id}")


@keys_app.command("import")
def keys_import(
    file: Annotated[
        Path, typer.Argument(help="Tệp khóa cũ (YAML) — a former keys file", exists=True, dir_okay=False)
    ],
) -> None:
    """Nhập khóa — copy the hashed keys of a former keys file (.stack/ingest/keys.yaml) to the keys topic.

    Keys whose id is already on the topic are left as they are (revoke first to replace one).
    """
    from ingest.key_admin import import_keys

    imported, skipped = _or_exit(lambda: import_keys(Settings(), file))
    for key in imported:
        console.print(f"[green]✓[/green] đã nhập — imported {key.key_id}")
    for key in skipped:
        console.print(f"đã có, bỏ qua — already there, skipped {key.key_id}")


@mqtt_accounts_app.command("render")
def mqtt_accounts_render(
    out: Annotated[
        Path, typer.Option(help="Thư mục ghi passwd và acl — folder for Mosquitto's passwd and acl")
    ],
    passwords: Annotated[
        Path,
        typer.Option(
            help="Thư mục mật khẩu, một tệp mỗi tài khoản — one password file per user (missing: made)"
        ),
    ],
    accounts: Annotated[
        Path,
        typer.Option(help="Tệp tài khoản trạm — the accounts file", exists=True, dir_okay=False),
    ] = CONFIG_DIR / "mqtt_accounts.yaml",
    config: Annotated[Path | None, typer.Option(help="Tệp cấu hình cầu nối — bridge config (YAML)")] = None,
) -> None:
    """Tạo tệp mật khẩu và ACL cho Mosquitto — render Mosquitto's password_file and acl_file.

    Each station user may publish only to the bridge's route topics whose source level is one of its
    source ids; the bridge's user may only read them. A user without a file in --passwords gets a
    random password there (0600); passwords are never printed. Reload Mosquitto afterwards (SIGHUP).
    """
    from ingest.feeds import build_feeds
    from ingest.mqtt_accounts import load_accounts, render
    from ingest.mqtt_bridge import load_routes

    routes_file = config or Settings().ingest.mqtt_config
    users = _or_exit(lambda: load_accounts(accounts))
    rendered = _or_exit(lambda: render(users, load_routes(routes_file, set(build_feeds())), passwords, out))
    console.print(f"[green]✓[/green] password_file {rendered.password_file}")
    console.print(f"[green]✓[/green] acl_file {rendered.acl_file}")
    for path in rendered.created:
        whose = (
            "cầu nối — the bridge's"
            if path.name == users.bridge
            else "trao cho trạm — give it to its station"
        )
        console.print(f"mật khẩu mới — new password in {path} ({whose})")


def _or_exit(action: Callable[[], T]) -> T:
    """The action's result; a ConfigError (an unknown or taken id, a broken file, the keys topic
    missing or not acknowledging, a report form that does not load) ends the command with its cause."""
    from ingest.errors import ConfigError
    from ioc.forms import FormsError

    try:
        return action()
    except (ConfigError, FormsError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
