"""`ioc sql`: one query over ClickHouse's HTTP interface, embedded warehouse or server alike.

On the embedded default the query runs as `analyst` (read-only, limited) unless `--user` names
another of the warehouse's built-in logins, with the password the warehouse was given or generated,
or a person's account, whose password the person types (`password`). Against
a ClickHouse server (`CLICKHOUSE_URL=http://user:password@host:8123/db`) the URL's user and
database are used, so the same command prints the same table, CSV or JSON on both.
"""

from __future__ import annotations

from urllib.parse import unquote

import httpx

from ioc.settings import Settings
from ioc.stack.errors import StackError
from warehouse.errors import AUTHENTICATION_FAILED
from warehouse.users import ANALYST, password_for

FORMATS = {"table": "PrettyCompactMonoBlock", "csv": "CSVWithNames", "json": "JSON"}


def credentials(
    settings: Settings, url: httpx.URL, user: str | None, password: str = ""
) -> tuple[str, str] | None:
    """Who runs the query: `--user` (with the password given, else its password from the
    configuration or the warehouse's credentials), else the user in the server's URL, else
    `analyst` on the embedded default."""
    if user:
        url_password = unquote(url.password or "") if user == unquote(url.username or "") else ""
        return user, password or url_password or password_for(settings, user)
    if settings.clickhouse.url:
        return (unquote(url.username), unquote(url.password or "")) if url.username else None
    return ANALYST, password_for(settings, ANALYST)


def run_query(
    url: str,
    settings: Settings,
    query: str,
    output: str = "table",
    timeout_s: float = 60.0,
    user: str | None = None,
    password: str = "",
) -> str:
    """The query's result as text in the chosen output format; ClickHouse's error text on failure."""
    target = httpx.URL(url)
    params = {
        "default_format": FORMATS[output],
        "database": target.path.strip("/") or settings.clickhouse.database,
    }
    endpoint = target.copy_with(username=None, password=None, path="/")
    try:
        response = httpx.post(
            endpoint,
            params=params,
            content=query.encode(),
            auth=credentials(settings, target, user, password),
            timeout=timeout_s,
        )
    except httpx.TransportError as exc:
        raise StackError(
            f"ClickHouse at {endpoint} does not answer ({exc})", "is the stack running? `ioc stack status`"
        ) from exc
    if response.status_code != 200:
        hint = "fix the query; `ioc sql 'SHOW TABLES'` lists the tables"
        if response.headers.get("X-ClickHouse-Exception-Code") == str(AUTHENTICATION_FAILED):
            hint = "check the user and its password (IOC_WAREHOUSE_<USER>_PASSWORD, or CLICKHOUSE_URL)"
        raise StackError(response.text.strip(), hint)
    return response.text
