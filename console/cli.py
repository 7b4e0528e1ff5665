"""`ioc console`: serve the operations console and manage its accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ioc.settings import Settings

console_app = typer.Typer(
    help="Bảng điều hành cho cán bộ trực — the operations console: serve it, manage its accounts.",
    no_args_is_help=True,
)
users_app = typer.Typer(
    help="Tài khoản bảng điều hành — console accounts, one per person (operator, shift_lead, viewer).",
    no_args_is_help=True,
)
console_app.add_typer(users_app, name="users")


@console_app.command("serve")
def serve() -> None:
    """Chạy bảng điều hành (mặc định chỉ trên máy này) — serve the console (loopback by default) until Ctrl-C."""
    from console.server import serve as run
    from console.server import url_of

    settings = Settings()
    print(f"Bảng điều hành: {url_of(settings)}", file=sys.stderr)
    run(settings)


@users_app.command("add")
def users_add(
    name: Annotated[
        str, typer.Argument(help="Tên tài khoản; mã cán bộ trong lịch trực — account name (officer id)")
    ],
    role: Annotated[str, typer.Option(help="operator | shift_lead | viewer")],
) -> None:
    """Tạo tài khoản, in mật khẩu một lần — create an account; its password is printed once."""
    from console.accounts import add

    password = add(Settings(), name, role)
    print(password)
    print(
        f"tài khoản {name} ({role}) đã tạo; mật khẩu chỉ hiện một lần — account created; the password above "
        "is shown only this once (only its hash is kept)",
        file=sys.stderr,
    )


@users_app.command("roster")
def users_roster() -> None:
    """Tạo tài khoản cho mọi cán bộ trong lịch trực chưa có — an account for every roster officer without one
    (shift leads and unit heads as shift_lead, others as operator); passwords printed once."""
    from console.accounts import add_roster, roster_role
    from ioc.province import load_province
    from routing.roster import load_roster

    settings = Settings()
    roster = load_roster(settings.routing.roster, load_province(settings.province_file))
    made = add_roster(settings, roster)
    for name, password in made.items():
        print(f"{name}\t{roster_role(roster, name)}\t{password}")
    print(f"{len(made)} tài khoản mới — new accounts; passwords shown only this once", file=sys.stderr)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Tên tài khoản — account name")]) -> None:
    """Vô hiệu hóa tài khoản, có hiệu lực ngay — disable an account; its open sessions end at once."""
    from console.accounts import disable

    account = disable(Settings(), name)
    print(f"{name} disabled at {account.disabled_at}")


@users_app.command("list")
def users_list() -> None:
    """Danh sách tài khoản — every account, its role and state."""
    from console.accounts import listing

    for name, account in listing(Settings()).items():
        state = f"disabled {account.disabled_at}" if account.disabled_at else "enabled"
        print(f"{name:24} {account.role:10} created {account.created_at}  {state}")


@console_app.command("audit")
def audit(
    lines: Annotated[int, typer.Option("--lines", "-n", help="Số dòng cuối — how many last entries")] = 50,
) -> None:
    """Nhật ký thao tác và từ chối — the console's audit log, last entries (JSON lines)."""
    import json

    from console.accounts import console_dir
    from console.audit import ConsoleAudit

    for entry in ConsoleAudit(console_dir(Settings()) / "audit.jsonl").entries()[-lines:]:
        print(json.dumps(entry, ensure_ascii=False))
