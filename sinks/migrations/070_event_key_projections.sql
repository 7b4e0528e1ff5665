-- Each table keyed by event_id gets a projection `event_keys`: its sorting key again, ordered by event
-- time and event id. Before each insert the sink asks the table which of the batch's keys it already
-- holds (sinks/dedup.py: the batch's time ranges and its event ids) and inserts only the others, so a
-- vendor's resend never reaches the rollups' materialized views. The tables themselves are ordered by
-- camera, device or department first: a time range alone would read about one granule per entity of
-- every part it overlaps (seen: ~2,200 granules for a minute of one day's 34.5 million vehicle counts,
-- against one granule through the projection). ClickHouse keeps a projection inside each part, so it
-- is always consistent with its table, and picks it for the lookup by itself.
-- A ReplacingMergeTree needs deduplicate_merge_projection_mode to carry a projection: 'rebuild' keeps
-- it in every merged part ('drop' would lose it exactly where the data is large). MATERIALIZE builds it
-- for the parts stored before this migration (a background mutation); setting the mode again, or
-- materializing again, changes nothing, so the file is safe to run again.

ALTER TABLE camera_vehicle_counts MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE camera_vehicle_counts
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT camera_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE camera_speeds MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE camera_speeds
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT camera_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE restricted_camera_plate_reads MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE restricted_camera_plate_reads
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT camera_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE restricted_camera_violations MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE restricted_camera_violations
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT camera_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE camera_crowd_density MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE camera_crowd_density
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT camera_id, zone_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE camera_incidents MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE camera_incidents
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT camera_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE camera_heartbeats MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE camera_heartbeats
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT camera_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE sensor_air_quality MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE sensor_air_quality
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT device_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE sensor_water_level MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE sensor_water_level
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT station_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE sensor_rainfall MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE sensor_rainfall
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT device_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE sensor_weather MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE sensor_weather
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT device_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE sensor_traffic_counters MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE sensor_traffic_counters
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT device_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE sensor_devices MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE sensor_devices
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT device_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE department_dossier_events MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE department_dossier_events
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT department_code, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE department_report_values MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE department_report_values
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT reporting_unit_code, report_code, indicator_code, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE department_hotline_reports MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE department_hotline_reports
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT ticket_id, observed_at, event_id ORDER BY (observed_at, event_id)),
    MATERIALIZE PROJECTION event_keys;

ALTER TABLE notifications MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE notifications
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT alert_id, occurred_at, event_id ORDER BY (occurred_at, event_id)),
    MATERIALIZE PROJECTION event_keys;
