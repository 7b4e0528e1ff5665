-- Rollups of dossier events per department and event type, per minute, hour and day (day = calendar
-- day in Vietnam time), built like the rollups in 010. A vendor's resend changes no rollup: the sink
-- does not insert a row whose sorting key the raw table already holds (see 010). Retention: 1m 90
-- days, 1h 800 days, 1d 1825 days.

CREATE TABLE IF NOT EXISTS department_dossier_events_1m_agg
(
    department_code LowCardinality(String)   COMMENT 'Mã cơ quan giải quyết | Handling department code',
    event_type      LowCardinality(String)   COMMENT 'Loại sự kiện hồ sơ | Dossier event type',
    bucket_start    DateTime64(3, 'UTC')     COMMENT 'Đầu phút, UTC | Start of the minute, UTC',
    events_state    AggregateFunction(count) COMMENT 'Trạng thái: số sự kiện | State: events'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (department_code, event_type, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo phút: Sự kiện hồ sơ theo cơ quan, loại | Rollup states per minute: Dossier events per department and type';

CREATE MATERIALIZED VIEW IF NOT EXISTS department_dossier_events_1m_mv TO department_dossier_events_1m_agg AS
SELECT department_code,
       event_type,
       toDateTime64(toStartOfMinute(observed_at), 3, 'UTC') AS bucket_start,
       countState() AS events_state
FROM department_dossier_events
GROUP BY department_code, event_type, bucket_start
COMMENT 'Nạp department_dossier_events_1m_agg từ department_dossier_events | Feeds department_dossier_events_1m_agg from department_dossier_events';

CREATE VIEW IF NOT EXISTS department_dossier_events_1m AS
SELECT department_code,
       event_type,
       bucket_start,
       countMerge(events_state) AS events
FROM department_dossier_events_1m_agg
GROUP BY department_code, event_type, bucket_start
COMMENT 'Sự kiện hồ sơ theo cơ quan, loại theo phút | Dossier events per department and type per minute';

CREATE TABLE IF NOT EXISTS department_dossier_events_1h_agg
(
    department_code LowCardinality(String)   COMMENT 'Mã cơ quan giải quyết | Handling department code',
    event_type      LowCardinality(String)   COMMENT 'Loại sự kiện hồ sơ | Dossier event type',
    bucket_start    DateTime64(3, 'UTC')     COMMENT 'Đầu giờ, UTC | Start of the hour, UTC',
    events_state    AggregateFunction(count) COMMENT 'Trạng thái: số sự kiện | State: events'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (department_code, event_type, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 800 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo giờ: Sự kiện hồ sơ theo cơ quan, loại | Rollup states per hour: Dossier events per department and type';

CREATE MATERIALIZED VIEW IF NOT EXISTS department_dossier_events_1h_mv TO department_dossier_events_1h_agg AS
SELECT department_code,
       event_type,
       toDateTime64(toStartOfHour(observed_at), 3, 'UTC') AS bucket_start,
       countState() AS events_state
FROM department_dossier_events
GROUP BY department_code, event_type, bucket_start
COMMENT 'Nạp department_dossier_events_1h_agg từ department_dossier_events | Feeds department_dossier_events_1h_agg from department_dossier_events';

CREATE VIEW IF NOT EXISTS department_dossier_events_1h AS
SELECT department_code,
       event_type,
       bucket_start,
       countMerge(events_state) AS events
FROM department_dossier_events_1h_agg
GROUP BY department_code, event_type, bucket_start
COMMENT 'Sự kiện hồ sơ theo cơ quan, loại theo giờ | Dossier events per department and type per hour';

CREATE TABLE IF NOT EXISTS department_dossier_events_1d_agg
(
    department_code LowCardinality(String)   COMMENT 'Mã cơ quan giải quyết | Handling department code',
    event_type      LowCardinality(String)   COMMENT 'Loại sự kiện hồ sơ | Dossier event type',
    day             Date                     COMMENT 'Ngày theo giờ Việt Nam | Calendar day in Vietnam time (Asia/Ho_Chi_Minh)',
    events_state    AggregateFunction(count) COMMENT 'Trạng thái: số sự kiện | State: events'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (department_code, event_type, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo ngày: Sự kiện hồ sơ theo cơ quan, loại | Rollup states per day: Dossier events per department and type';

CREATE MATERIALIZED VIEW IF NOT EXISTS department_dossier_events_1d_mv TO department_dossier_events_1d_agg AS
SELECT department_code,
       event_type,
       toDate(observed_at, 'Asia/Ho_Chi_Minh') AS day,
       countState() AS events_state
FROM department_dossier_events
GROUP BY department_code, event_type, day
COMMENT 'Nạp department_dossier_events_1d_agg từ department_dossier_events | Feeds department_dossier_events_1d_agg from department_dossier_events';

CREATE VIEW IF NOT EXISTS department_dossier_events_1d AS
SELECT department_code,
       event_type,
       day,
       countMerge(events_state) AS events
FROM department_dossier_events_1d_agg
GROUP BY department_code, event_type, day
COMMENT 'Sự kiện hồ sơ theo cơ quan, loại theo ngày | Dossier events per department and type per day';
