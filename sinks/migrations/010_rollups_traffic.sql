-- Rollups of the raw vehicle counts per camera, per minute, hour and day (day = calendar day in Vietnam
-- time; minutes and hours are the same in UTC and in Vietnam time, UTC+7 without daylight saving).
-- Each grain is an AggregatingMergeTree of partial states (*_agg) fed by a materialized view (*_mv)
-- at insert time, and a plain view (camera_vehicle_counts_1m, _1h, _1d) that finalizes the states with
-- -Merge combinators, so analysts query it like a table. The average speed is weighted by the vehicles
-- that carried a speed: speed_weighted_sum / speed_weight. A materialized view sees rows as they are
-- inserted, so each record must be inserted once: the sink does not insert a row whose sorting key
-- (camera_id, observed_at, event_id) the raw table already holds, so a vendor's resend changes no
-- rollup (sinks/dedup.py, migration 070); a sink retry does not either (it repeats the insert
-- deduplication token) and a crash does not replay (the sink resumes after the stored offsets).
-- Retention: 1m 90 days, 1h 800 days, 1d 1825 days.

CREATE TABLE IF NOT EXISTS camera_vehicle_counts_1m_agg
(
    camera_id                LowCardinality(String)          COMMENT 'Mã camera | Camera id',
    bucket_start             DateTime64(3, 'UTC')            COMMENT 'Đầu phút, UTC | Start of the minute, UTC',
    vehicles_state           AggregateFunction(sum, UInt64)  COMMENT 'Trạng thái: tổng số xe | State: vehicles counted',
    records_state            AggregateFunction(count)        COMMENT 'Trạng thái: số bản ghi | State: records',
    speed_weighted_sum_state AggregateFunction(sum, Float64) COMMENT 'Trạng thái: tổng tốc độ × số xe | State: sum of speed × vehicles, km/h·vehicles',
    speed_weight_state       AggregateFunction(sum, UInt64)  COMMENT 'Trạng thái: số xe có tốc độ | State: vehicles with a speed'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (camera_id, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo phút: Lưu lượng xe theo camera | Rollup states per minute: Vehicle counts per camera';

CREATE MATERIALIZED VIEW IF NOT EXISTS camera_vehicle_counts_1m_mv TO camera_vehicle_counts_1m_agg AS
SELECT camera_id,
       toDateTime64(toStartOfMinute(observed_at), 3, 'UTC') AS bucket_start,
       sumState(toUInt64(vehicle_count)) AS vehicles_state,
       countState() AS records_state,
       sumState(ifNull(vehicle_count * average_speed_kmh, 0)) AS speed_weighted_sum_state,
       sumState(toUInt64(if(average_speed_kmh IS NULL, 0, vehicle_count))) AS speed_weight_state
FROM camera_vehicle_counts
GROUP BY camera_id, bucket_start
COMMENT 'Nạp camera_vehicle_counts_1m_agg từ camera_vehicle_counts | Feeds camera_vehicle_counts_1m_agg from camera_vehicle_counts';

CREATE VIEW IF NOT EXISTS camera_vehicle_counts_1m AS
SELECT camera_id,
       bucket_start,
       sumMerge(vehicles_state) AS vehicles,
       countMerge(records_state) AS records,
       sumMerge(speed_weighted_sum_state) AS speed_weighted_sum,
       sumMerge(speed_weight_state) AS speed_weight,
       speed_weighted_sum / nullIf(speed_weight, 0) AS average_speed_kmh
FROM camera_vehicle_counts_1m_agg
GROUP BY camera_id, bucket_start
COMMENT 'Lưu lượng xe theo camera theo phút | Vehicle counts per camera per minute';

CREATE TABLE IF NOT EXISTS camera_vehicle_counts_1h_agg
(
    camera_id                LowCardinality(String)          COMMENT 'Mã camera | Camera id',
    bucket_start             DateTime64(3, 'UTC')            COMMENT 'Đầu giờ, UTC | Start of the hour, UTC',
    vehicles_state           AggregateFunction(sum, UInt64)  COMMENT 'Trạng thái: tổng số xe | State: vehicles counted',
    records_state            AggregateFunction(count)        COMMENT 'Trạng thái: số bản ghi | State: records',
    speed_weighted_sum_state AggregateFunction(sum, Float64) COMMENT 'Trạng thái: tổng tốc độ × số xe | State: sum of speed × vehicles, km/h·vehicles',
    speed_weight_state       AggregateFunction(sum, UInt64)  COMMENT 'Trạng thái: số xe có tốc độ | State: vehicles with a speed'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (camera_id, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 800 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo giờ: Lưu lượng xe theo camera | Rollup states per hour: Vehicle counts per camera';

CREATE MATERIALIZED VIEW IF NOT EXISTS camera_vehicle_counts_1h_mv TO camera_vehicle_counts_1h_agg AS
SELECT camera_id,
       toDateTime64(toStartOfHour(observed_at), 3, 'UTC') AS bucket_start,
       sumState(toUInt64(vehicle_count)) AS vehicles_state,
       countState() AS records_state,
       sumState(ifNull(vehicle_count * average_speed_kmh, 0)) AS speed_weighted_sum_state,
       sumState(toUInt64(if(average_speed_kmh IS NULL, 0, vehicle_count))) AS speed_weight_state
FROM camera_vehicle_counts
GROUP BY camera_id, bucket_start
COMMENT 'Nạp camera_vehicle_counts_1h_agg từ camera_vehicle_counts | Feeds camera_vehicle_counts_1h_agg from camera_vehicle_counts';

CREATE VIEW IF NOT EXISTS camera_vehicle_counts_1h AS
SELECT camera_id,
       bucket_start,
       sumMerge(vehicles_state) AS vehicles,
       countMerge(records_state) AS records,
       sumMerge(speed_weighted_sum_state) AS speed_weighted_sum,
       sumMerge(speed_weight_state) AS speed_weight,
       speed_weighted_sum / nullIf(speed_weight, 0) AS average_speed_kmh
FROM camera_vehicle_counts_1h_agg
GROUP BY camera_id, bucket_start
COMMENT 'Lưu lượng xe theo camera theo giờ | Vehicle counts per camera per hour';

CREATE TABLE IF NOT EXISTS camera_vehicle_counts_1d_agg
(
    camera_id                LowCardinality(String)          COMMENT 'Mã camera | Camera id',
    day                      Date                            COMMENT 'Ngày theo giờ Việt Nam | Calendar day in Vietnam time (Asia/Ho_Chi_Minh)',
    vehicles_state           AggregateFunction(sum, UInt64)  COMMENT 'Trạng thái: tổng số xe | State: vehicles counted',
    records_state            AggregateFunction(count)        COMMENT 'Trạng thái: số bản ghi | State: records',
    speed_weighted_sum_state AggregateFunction(sum, Float64) COMMENT 'Trạng thái: tổng tốc độ × số xe | State: sum of speed × vehicles, km/h·vehicles',
    speed_weight_state       AggregateFunction(sum, UInt64)  COMMENT 'Trạng thái: số xe có tốc độ | State: vehicles with a speed'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (camera_id, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo ngày: Lưu lượng xe theo camera | Rollup states per day: Vehicle counts per camera';

CREATE MATERIALIZED VIEW IF NOT EXISTS camera_vehicle_counts_1d_mv TO camera_vehicle_counts_1d_agg AS
SELECT camera_id,
       toDate(observed_at, 'Asia/Ho_Chi_Minh') AS day,
       sumState(toUInt64(vehicle_count)) AS vehicles_state,
       countState() AS records_state,
       sumState(ifNull(vehicle_count * average_speed_kmh, 0)) AS speed_weighted_sum_state,
       sumState(toUInt64(if(average_speed_kmh IS NULL, 0, vehicle_count))) AS speed_weight_state
FROM camera_vehicle_counts
GROUP BY camera_id, day
COMMENT 'Nạp camera_vehicle_counts_1d_agg từ camera_vehicle_counts | Feeds camera_vehicle_counts_1d_agg from camera_vehicle_counts';

CREATE VIEW IF NOT EXISTS camera_vehicle_counts_1d AS
SELECT camera_id,
       day,
       sumMerge(vehicles_state) AS vehicles,
       countMerge(records_state) AS records,
       sumMerge(speed_weighted_sum_state) AS speed_weighted_sum,
       sumMerge(speed_weight_state) AS speed_weight,
       speed_weighted_sum / nullIf(speed_weight, 0) AS average_speed_kmh
FROM camera_vehicle_counts_1d_agg
GROUP BY camera_id, day
COMMENT 'Lưu lượng xe theo camera theo ngày | Vehicle counts per camera per day';
