"""`ioc sql`: one query over ClickHouse's HTTP interface, embedded warehouse or server alike."""

from __future__ import annotations

import httpx

from ioc.settings import Settings
from ioc.stack.errors import StackError

FORMATS = {"table": "PrettyCompactMonoBlock", "csv": "CSVWithNames", "json": "JSON"}


def run_query(
    url: str, settings: Settings, query: str, output: str = "table", timeout_s: float = 60.0
) -> str:
    """The query's result as text in the chosen output format; ClickHouse's error text on failure."""
    params = {"default_format": FORMATS[output], "database": settings.clickhouse.database}
    try:
        response = httpx.post(url, params=params, content=query.encode(), timeout=timeout_s)
    except httpx.TransportError as exc:
        raise StackError(
            f"ClickHouse at {url} does not answer ({exc})", "is the stack running? `ioc stack status`"
        ) from exc
    if response.status_code != 200:
        raise StackError(response.text.strip(), "fix the query; `ioc sql 'SHOW TABLES'` lists the tables")
    return response.text
