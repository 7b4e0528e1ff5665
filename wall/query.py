"""A query target for the grafana-clickhouse-datasource plugin.

grafana-foundation-sdk ships query types for many datasources but none for ClickHouse, so this is
the small class its panels take as a target. The fields are the ones the plugin (v4) reads from a
panel's JSON: `rawSql` run as written (after macro expansion), `editorType: sql` so Grafana opens
the SQL editor rather than the builder, and `format`/`queryType`, which decide whether the plugin
returns a time series (long rows turned wide by the plugin) or a table.
"""

from __future__ import annotations

from enum import IntEnum

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import DataSourceRef

DATASOURCE_TYPE = "grafana-clickhouse-datasource"
# The provisioned datasource's uid: dashboards reference it by uid, never by display name.
DATASOURCE_UID = "ioc-clickhouse"
DATASOURCE = DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)


class QueryFormat(IntEnum):
    """The plugin's numeric `format` (the backend's sqlutil format options)."""

    TIME_SERIES = 0
    TABLE = 1


class ClickHouseQuery(cogvariants.Dataquery):
    """One SQL target of a panel, serialised the way the plugin stores it."""

    def __init__(self, raw_sql: str, fmt: QueryFormat, ref_id: str = "A") -> None:
        self.raw_sql = raw_sql
        self.format = fmt
        self.ref_id = ref_id

    def to_json(self) -> dict[str, object]:
        return {
            "datasource": DATASOURCE.to_json(),
            "editorType": "sql",
            "format": int(self.format),
            "queryType": "timeseries" if self.format is QueryFormat.TIME_SERIES else "table",
            "rawSql": self.raw_sql,
            "refId": self.ref_id,
        }


class ClickHouseQueryBuilder(cogbuilder.Builder[ClickHouseQuery]):
    """Builder form, because the SDK's panel builders take builders as targets."""

    def __init__(self, raw_sql: str, fmt: QueryFormat = QueryFormat.TABLE, ref_id: str = "A") -> None:
        self._query = ClickHouseQuery(raw_sql.strip(), fmt, ref_id)

    def build(self) -> ClickHouseQuery:
        return self._query
