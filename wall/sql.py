"""SQL fragments the screens share: the latest indicator windows, with their age, by the plugin's macros.

Every query reads "now" as `$__toTime` (the end of the dashboard's range, which on the wall is now),
so the same SQL runs for any fixed range in tests and snapshots. Ages are whole seconds and never
negative (a provisional window can end after now). Identifiers come from code, never from input.
"""

from __future__ import annotations

from wall.panels import fresh

NOW = "$__toTime"
# How far back a "latest value" is looked for; older data counts as missing rather than stale.
LOOKBACK = "INTERVAL 2 DAY"
# Month-to-date windows start up to 31 days back.
MONTH_LOOKBACK = "INTERVAL 32 DAY"


def age_since(column: str) -> str:
    """Seconds from `column` to now, at least 0."""
    return f"greatest(0, dateDiff('second', {column}, {NOW}))"


def indicator_filter(indicator: str, entity_type: str, lookback: str = LOOKBACK) -> str:
    """Rows of one indicator for one entity type, within the lookback and not after now."""
    return (
        f"indicator = '{indicator}' AND entity_type = '{entity_type}' "
        f"AND window_start > {NOW} - {lookback} AND window_start <= {NOW}"
    )


def latest_total(
    indicator: str,
    entity_type: str,
    function: str,
    max_age_s: int,
    *,
    condition: str = "1",
    where: str = "",
    lookback: str = LOOKBACK,
) -> str:
    """One value: `function` (sum, avg, max, count) over every entity's newest value that is fresh.

    Each entity's own newest window counts, so one silent camera does not hide the others; entities
    whose newest window is older than `max_age_s` are left out, `condition` (on `latest`) narrows
    further, and when no entity is fresh the value is NULL.
    """
    return f"""
SELECT {fresh("agg_value", "age_s", max_age_s)}
FROM (
    SELECT {function}If(latest, age <= {max_age_s} AND ({condition})) AS agg_value,
           if(count() = 0, NULL, min(age)) AS age_s
    FROM {latest_per_entity(indicator, entity_type, where, lookback)}
)
"""  # noqa: S608 - assembled from code constants, never from input


def latest_per_entity(indicator: str, entity_type: str, where: str = "", lookback: str = LOOKBACK) -> str:
    """A subquery: each entity's newest value (`latest`), its label and its age (`age`)."""
    extra = f" AND {where}" if where else ""
    return f"""(
        SELECT entity_id, argMax(value, window_start) AS latest, argMax(label, window_start) AS latest_label,
               {age_since("max(window_end)")} AS age
        FROM indicators_current
        WHERE {indicator_filter(indicator, entity_type, lookback)}{extra}
        GROUP BY entity_id
    )"""  # noqa: S608 - assembled from code constants, never from input


def pipeline_age() -> str:
    """Seconds since the stream agents last computed any indicator: the wall's proof of life."""
    return f"""(
        SELECT if(count() = 0, NULL, {age_since("max(computed_at)")})
        FROM indicators WHERE computed_at > {NOW} - {LOOKBACK} AND computed_at <= {NOW} + INTERVAL 1 MINUTE
    )"""  # noqa: S608 - assembled from code constants, never from input
