"""`ioc db users`: persons' accounts on the embedded warehouse, and the server's users.d file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ioc.settings import Settings
from ioc.stack.errors import StackError

users_app = typer.Typer(
    help="Tài khoản kho dữ liệu — warehouse accounts, one per person, and the server's users.d.",
    no_args_is_help=True,
)


def _embedded_accounts(settings: Settings) -> Path:
    """The accounts file; a ClickHouse server keeps its users itself."""
    from warehouse.accounts import accounts_path

    if settings.clickhouse.url:
        raise StackError(
            "CLICKHOUSE_URL is set: a ClickHouse server keeps its users itself",
            "`SHOW USERS` as an administrator; `ioc db users add|disable` print the SQL to run",
        )
    return accounts_path(settings.stack.dir)


def _print_for_administrator(statements: list[str]) -> None:
    for statement in statements:
        print(f"{statement};")
    print(
        "chạy các lệnh trên bằng tài khoản quản trị ClickHouse — run the statements above as a ClickHouse "
        "administrator (ioc_writer may not manage users)",
        file=sys.stderr,
    )


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Tên tài khoản — the account's name (e.g. nguyen_van_a)")],
    role: Annotated[str, typer.Option(help="analyst | grafana | auditor")],
) -> None:
    """Tạo tài khoản cho một người, in mật khẩu một lần — create a person's account; the password is printed once
    (on a ClickHouse server: the SQL that creates it)."""
    from warehouse.accounts import add_account, check_new_account
    from warehouse.passwords import new_password
    from warehouse.roles import ROLES
    from warehouse.server_users import person_sql
    from warehouse.users import USERS

    settings = Settings()
    if settings.clickhouse.url:
        check_new_account(name, role)
        _print_for_administrator(person_sql(name, ROLES[role], new_password(), settings.clickhouse.database))
        return
    password = add_account(_embedded_accounts(settings), name, role, frozenset(USERS))
    print(password)
    print(
        f"tài khoản {name} ({role}) đã tạo; mật khẩu chỉ hiện một lần — account {name} ({role}) created; "
        "the password above is shown only this once (only its hash is kept)",
        file=sys.stderr,
    )


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Tên tài khoản — the account's name")]) -> None:
    """Vô hiệu hóa tài khoản, có hiệu lực ngay — disable an account; the running warehouse refuses it at once
    (on a ClickHouse server: the SQL that does it)."""
    from warehouse.accounts import NAME, disable_account

    settings = Settings()
    if settings.clickhouse.url:
        if not NAME.match(name):
            raise typer.BadParameter("not an account name", param_hint="NAME")
        _print_for_administrator([f"ALTER USER {name} HOST NONE"])
        return
    account = disable_account(_embedded_accounts(settings), name)
    print(f"{name} disabled at {account.disabled_at}")


@users_app.command("list")
def users_list() -> None:
    """Danh sách tài khoản — every person's account, its role and state."""
    from warehouse.accounts import read_accounts

    for name, account in read_accounts(_embedded_accounts(Settings())).items():
        state = f"disabled {account.disabled_at}" if account.disabled_at else "enabled"
        print(f"{name:24} {account.role:8} created {account.created_at}  {state}")


@users_app.command("render")
def users_render(
    out: Annotated[
        Path | None, typer.Option(help="Ghi ra tệp này — write to this file (default: print)")
    ] = None,
) -> None:
    """Xuất vai trò và giới hạn cho users.d của máy chủ — render the roles and limits as a ClickHouse server's users.d file."""
    from warehouse.server_users import render

    settings = Settings()
    text = render(settings.warehouse, settings.clickhouse.database)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        print(f"written {out}", file=sys.stderr)
