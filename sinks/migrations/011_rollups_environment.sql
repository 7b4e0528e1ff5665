-- Rollups of air quality (per device), rainfall (per device) and water level (per station) per minute,
-- hour and day (day = calendar day in Vietnam time), built like the vehicle-count rollups in 010:
-- partial states in *_agg, fed at insert time by *_mv, finalized by the views *_1m, *_1h, *_1d.
-- Averages and extremes skip missing (NULL) readings. A vendor's resend changes no rollup: the sink
-- does not insert a row whose sorting key the raw table already holds (see 010). Retention: 1m 90
-- days, 1h 800 days, 1d 1825 days.

CREATE TABLE IF NOT EXISTS sensor_air_quality_1m_agg
(
    device_id      LowCardinality(String)                    COMMENT 'Mã thiết bị đo | Measuring device id',
    bucket_start   DateTime64(3, 'UTC')                      COMMENT 'Đầu phút, UTC | Start of the minute, UTC',
    readings_state AggregateFunction(count)                  COMMENT 'Trạng thái: số lần đo | State: readings',
    pm25_avg_state AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: PM2.5 trung bình, µg/m³ | State: mean PM2.5, µg/m³',
    pm25_max_state AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: PM2.5 lớn nhất, µg/m³ | State: maximum PM2.5, µg/m³',
    pm10_avg_state AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: PM10 trung bình, µg/m³ | State: mean PM10, µg/m³',
    pm10_max_state AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: PM10 lớn nhất, µg/m³ | State: maximum PM10, µg/m³',
    o3_avg_state   AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: O3 trung bình, µg/m³ | State: mean O3, µg/m³',
    o3_max_state   AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: O3 lớn nhất, µg/m³ | State: maximum O3, µg/m³',
    no2_avg_state  AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: NO2 trung bình, µg/m³ | State: mean NO2, µg/m³',
    no2_max_state  AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: NO2 lớn nhất, µg/m³ | State: maximum NO2, µg/m³',
    so2_avg_state  AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: SO2 trung bình, µg/m³ | State: mean SO2, µg/m³',
    so2_max_state  AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: SO2 lớn nhất, µg/m³ | State: maximum SO2, µg/m³',
    co_avg_state   AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: CO trung bình, µg/m³ | State: mean CO, µg/m³',
    co_max_state   AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: CO lớn nhất, µg/m³ | State: maximum CO, µg/m³'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (device_id, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo phút: Chất lượng không khí theo thiết bị | Rollup states per minute: Air quality per device';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_air_quality_1m_mv TO sensor_air_quality_1m_agg AS
SELECT device_id,
       toDateTime64(toStartOfMinute(observed_at), 3, 'UTC') AS bucket_start,
       countState() AS readings_state,
       avgState(pm25_ugm3) AS pm25_avg_state,
       maxState(pm25_ugm3) AS pm25_max_state,
       avgState(pm10_ugm3) AS pm10_avg_state,
       maxState(pm10_ugm3) AS pm10_max_state,
       avgState(o3_ugm3) AS o3_avg_state,
       maxState(o3_ugm3) AS o3_max_state,
       avgState(no2_ugm3) AS no2_avg_state,
       maxState(no2_ugm3) AS no2_max_state,
       avgState(so2_ugm3) AS so2_avg_state,
       maxState(so2_ugm3) AS so2_max_state,
       avgState(co_ugm3) AS co_avg_state,
       maxState(co_ugm3) AS co_max_state
FROM sensor_air_quality
GROUP BY device_id, bucket_start
COMMENT 'Nạp sensor_air_quality_1m_agg từ sensor_air_quality | Feeds sensor_air_quality_1m_agg from sensor_air_quality';

CREATE VIEW IF NOT EXISTS sensor_air_quality_1m AS
SELECT device_id,
       bucket_start,
       countMerge(readings_state) AS readings,
       avgMerge(pm25_avg_state) AS pm25_avg_ugm3,
       maxMerge(pm25_max_state) AS pm25_max_ugm3,
       avgMerge(pm10_avg_state) AS pm10_avg_ugm3,
       maxMerge(pm10_max_state) AS pm10_max_ugm3,
       avgMerge(o3_avg_state) AS o3_avg_ugm3,
       maxMerge(o3_max_state) AS o3_max_ugm3,
       avgMerge(no2_avg_state) AS no2_avg_ugm3,
       maxMerge(no2_max_state) AS no2_max_ugm3,
       avgMerge(so2_avg_state) AS so2_avg_ugm3,
       maxMerge(so2_max_state) AS so2_max_ugm3,
       avgMerge(co_avg_state) AS co_avg_ugm3,
       maxMerge(co_max_state) AS co_max_ugm3
FROM sensor_air_quality_1m_agg
GROUP BY device_id, bucket_start
COMMENT 'Chất lượng không khí theo thiết bị theo phút | Air quality per device per minute';

CREATE TABLE IF NOT EXISTS sensor_air_quality_1h_agg
(
    device_id      LowCardinality(String)                    COMMENT 'Mã thiết bị đo | Measuring device id',
    bucket_start   DateTime64(3, 'UTC')                      COMMENT 'Đầu giờ, UTC | Start of the hour, UTC',
    readings_state AggregateFunction(count)                  COMMENT 'Trạng thái: số lần đo | State: readings',
    pm25_avg_state AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: PM2.5 trung bình, µg/m³ | State: mean PM2.5, µg/m³',
    pm25_max_state AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: PM2.5 lớn nhất, µg/m³ | State: maximum PM2.5, µg/m³',
    pm10_avg_state AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: PM10 trung bình, µg/m³ | State: mean PM10, µg/m³',
    pm10_max_state AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: PM10 lớn nhất, µg/m³ | State: maximum PM10, µg/m³',
    o3_avg_state   AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: O3 trung bình, µg/m³ | State: mean O3, µg/m³',
    o3_max_state   AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: O3 lớn nhất, µg/m³ | State: maximum O3, µg/m³',
    no2_avg_state  AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: NO2 trung bình, µg/m³ | State: mean NO2, µg/m³',
    no2_max_state  AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: NO2 lớn nhất, µg/m³ | State: maximum NO2, µg/m³',
    so2_avg_state  AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: SO2 trung bình, µg/m³ | State: mean SO2, µg/m³',
    so2_max_state  AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: SO2 lớn nhất, µg/m³ | State: maximum SO2, µg/m³',
    co_avg_state   AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: CO trung bình, µg/m³ | State: mean CO, µg/m³',
    co_max_state   AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: CO lớn nhất, µg/m³ | State: maximum CO, µg/m³'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (device_id, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 800 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo giờ: Chất lượng không khí theo thiết bị | Rollup states per hour: Air quality per device';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_air_quality_1h_mv TO sensor_air_quality_1h_agg AS
SELECT device_id,
       toDateTime64(toStartOfHour(observed_at), 3, 'UTC') AS bucket_start,
       countState() AS readings_state,
       avgState(pm25_ugm3) AS pm25_avg_state,
       maxState(pm25_ugm3) AS pm25_max_state,
       avgState(pm10_ugm3) AS pm10_avg_state,
       maxState(pm10_ugm3) AS pm10_max_state,
       avgState(o3_ugm3) AS o3_avg_state,
       maxState(o3_ugm3) AS o3_max_state,
       avgState(no2_ugm3) AS no2_avg_state,
       maxState(no2_ugm3) AS no2_max_state,
       avgState(so2_ugm3) AS so2_avg_state,
       maxState(so2_ugm3) AS so2_max_state,
       avgState(co_ugm3) AS co_avg_state,
       maxState(co_ugm3) AS co_max_state
FROM sensor_air_quality
GROUP BY device_id, bucket_start
COMMENT 'Nạp sensor_air_quality_1h_agg từ sensor_air_quality | Feeds sensor_air_quality_1h_agg from sensor_air_quality';

CREATE VIEW IF NOT EXISTS sensor_air_quality_1h AS
SELECT device_id,
       bucket_start,
       countMerge(readings_state) AS readings,
       avgMerge(pm25_avg_state) AS pm25_avg_ugm3,
       maxMerge(pm25_max_state) AS pm25_max_ugm3,
       avgMerge(pm10_avg_state) AS pm10_avg_ugm3,
       maxMerge(pm10_max_state) AS pm10_max_ugm3,
       avgMerge(o3_avg_state) AS o3_avg_ugm3,
       maxMerge(o3_max_state) AS o3_max_ugm3,
       avgMerge(no2_avg_state) AS no2_avg_ugm3,
       maxMerge(no2_max_state) AS no2_max_ugm3,
       avgMerge(so2_avg_state) AS so2_avg_ugm3,
       maxMerge(so2_max_state) AS so2_max_ugm3,
       avgMerge(co_avg_state) AS co_avg_ugm3,
       maxMerge(co_max_state) AS co_max_ugm3
FROM sensor_air_quality_1h_agg
GROUP BY device_id, bucket_start
COMMENT 'Chất lượng không khí theo thiết bị theo giờ | Air quality per device per hour';

CREATE TABLE IF NOT EXISTS sensor_air_quality_1d_agg
(
    device_id      LowCardinality(String)                    COMMENT 'Mã thiết bị đo | Measuring device id',
    day            Date                                      COMMENT 'Ngày theo giờ Việt Nam | Calendar day in Vietnam time (Asia/Ho_Chi_Minh)',
    readings_state AggregateFunction(count)                  COMMENT 'Trạng thái: số lần đo | State: readings',
    pm25_avg_state AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: PM2.5 trung bình, µg/m³ | State: mean PM2.5, µg/m³',
    pm25_max_state AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: PM2.5 lớn nhất, µg/m³ | State: maximum PM2.5, µg/m³',
    pm10_avg_state AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: PM10 trung bình, µg/m³ | State: mean PM10, µg/m³',
    pm10_max_state AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: PM10 lớn nhất, µg/m³ | State: maximum PM10, µg/m³',
    o3_avg_state   AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: O3 trung bình, µg/m³ | State: mean O3, µg/m³',
    o3_max_state   AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: O3 lớn nhất, µg/m³ | State: maximum O3, µg/m³',
    no2_avg_state  AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: NO2 trung bình, µg/m³ | State: mean NO2, µg/m³',
    no2_max_state  AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: NO2 lớn nhất, µg/m³ | State: maximum NO2, µg/m³',
    so2_avg_state  AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: SO2 trung bình, µg/m³ | State: mean SO2, µg/m³',
    so2_max_state  AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: SO2 lớn nhất, µg/m³ | State: maximum SO2, µg/m³',
    co_avg_state   AggregateFunction(avg, Nullable(Float64)) COMMENT 'Trạng thái: CO trung bình, µg/m³ | State: mean CO, µg/m³',
    co_max_state   AggregateFunction(max, Nullable(Float64)) COMMENT 'Trạng thái: CO lớn nhất, µg/m³ | State: maximum CO, µg/m³'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (device_id, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo ngày: Chất lượng không khí theo thiết bị | Rollup states per day: Air quality per device';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_air_quality_1d_mv TO sensor_air_quality_1d_agg AS
SELECT device_id,
       toDate(observed_at, 'Asia/Ho_Chi_Minh') AS day,
       countState() AS readings_state,
       avgState(pm25_ugm3) AS pm25_avg_state,
       maxState(pm25_ugm3) AS pm25_max_state,
       avgState(pm10_ugm3) AS pm10_avg_state,
       maxState(pm10_ugm3) AS pm10_max_state,
       avgState(o3_ugm3) AS o3_avg_state,
       maxState(o3_ugm3) AS o3_max_state,
       avgState(no2_ugm3) AS no2_avg_state,
       maxState(no2_ugm3) AS no2_max_state,
       avgState(so2_ugm3) AS so2_avg_state,
       maxState(so2_ugm3) AS so2_max_state,
       avgState(co_ugm3) AS co_avg_state,
       maxState(co_ugm3) AS co_max_state
FROM sensor_air_quality
GROUP BY device_id, day
COMMENT 'Nạp sensor_air_quality_1d_agg từ sensor_air_quality | Feeds sensor_air_quality_1d_agg from sensor_air_quality';

CREATE VIEW IF NOT EXISTS sensor_air_quality_1d AS
SELECT device_id,
       day,
       countMerge(readings_state) AS readings,
       avgMerge(pm25_avg_state) AS pm25_avg_ugm3,
       maxMerge(pm25_max_state) AS pm25_max_ugm3,
       avgMerge(pm10_avg_state) AS pm10_avg_ugm3,
       maxMerge(pm10_max_state) AS pm10_max_ugm3,
       avgMerge(o3_avg_state) AS o3_avg_ugm3,
       maxMerge(o3_max_state) AS o3_max_ugm3,
       avgMerge(no2_avg_state) AS no2_avg_ugm3,
       maxMerge(no2_max_state) AS no2_max_ugm3,
       avgMerge(so2_avg_state) AS so2_avg_ugm3,
       maxMerge(so2_max_state) AS so2_max_ugm3,
       avgMerge(co_avg_state) AS co_avg_ugm3,
       maxMerge(co_max_state) AS co_max_ugm3
FROM sensor_air_quality_1d_agg
GROUP BY device_id, day
COMMENT 'Chất lượng không khí theo thiết bị theo ngày | Air quality per device per day';

CREATE TABLE IF NOT EXISTS sensor_rainfall_1m_agg
(
    device_id         LowCardinality(String)          COMMENT 'Mã thiết bị đo mưa | Rain gauge id',
    bucket_start      DateTime64(3, 'UTC')            COMMENT 'Đầu phút, UTC | Start of the minute, UTC',
    readings_state    AggregateFunction(count)        COMMENT 'Trạng thái: số lần đo | State: readings',
    rainfall_mm_state AggregateFunction(sum, Float64) COMMENT 'Trạng thái: tổng lượng mưa, mm | State: total rainfall, mm'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (device_id, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo phút: Lượng mưa theo thiết bị | Rollup states per minute: Rainfall per device';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_rainfall_1m_mv TO sensor_rainfall_1m_agg AS
SELECT device_id,
       toDateTime64(toStartOfMinute(observed_at), 3, 'UTC') AS bucket_start,
       countState() AS readings_state,
       sumState(rainfall_mm) AS rainfall_mm_state
FROM sensor_rainfall
GROUP BY device_id, bucket_start
COMMENT 'Nạp sensor_rainfall_1m_agg từ sensor_rainfall | Feeds sensor_rainfall_1m_agg from sensor_rainfall';

CREATE VIEW IF NOT EXISTS sensor_rainfall_1m AS
SELECT device_id,
       bucket_start,
       countMerge(readings_state) AS readings,
       sumMerge(rainfall_mm_state) AS rainfall_mm
FROM sensor_rainfall_1m_agg
GROUP BY device_id, bucket_start
COMMENT 'Lượng mưa theo thiết bị theo phút | Rainfall per device per minute';

CREATE TABLE IF NOT EXISTS sensor_rainfall_1h_agg
(
    device_id         LowCardinality(String)          COMMENT 'Mã thiết bị đo mưa | Rain gauge id',
    bucket_start      DateTime64(3, 'UTC')            COMMENT 'Đầu giờ, UTC | Start of the hour, UTC',
    readings_state    AggregateFunction(count)        COMMENT 'Trạng thái: số lần đo | State: readings',
    rainfall_mm_state AggregateFunction(sum, Float64) COMMENT 'Trạng thái: tổng lượng mưa, mm | State: total rainfall, mm'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (device_id, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 800 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo giờ: Lượng mưa theo thiết bị | Rollup states per hour: Rainfall per device';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_rainfall_1h_mv TO sensor_rainfall_1h_agg AS
SELECT device_id,
       toDateTime64(toStartOfHour(observed_at), 3, 'UTC') AS bucket_start,
       countState() AS readings_state,
       sumState(rainfall_mm) AS rainfall_mm_state
FROM sensor_rainfall
GROUP BY device_id, bucket_start
COMMENT 'Nạp sensor_rainfall_1h_agg từ sensor_rainfall | Feeds sensor_rainfall_1h_agg from sensor_rainfall';

CREATE VIEW IF NOT EXISTS sensor_rainfall_1h AS
SELECT device_id,
       bucket_start,
       countMerge(readings_state) AS readings,
       sumMerge(rainfall_mm_state) AS rainfall_mm
FROM sensor_rainfall_1h_agg
GROUP BY device_id, bucket_start
COMMENT 'Lượng mưa theo thiết bị theo giờ | Rainfall per device per hour';

CREATE TABLE IF NOT EXISTS sensor_rainfall_1d_agg
(
    device_id         LowCardinality(String)          COMMENT 'Mã thiết bị đo mưa | Rain gauge id',
    day               Date                            COMMENT 'Ngày theo giờ Việt Nam | Calendar day in Vietnam time (Asia/Ho_Chi_Minh)',
    readings_state    AggregateFunction(count)        COMMENT 'Trạng thái: số lần đo | State: readings',
    rainfall_mm_state AggregateFunction(sum, Float64) COMMENT 'Trạng thái: tổng lượng mưa, mm | State: total rainfall, mm'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (device_id, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo ngày: Lượng mưa theo thiết bị | Rollup states per day: Rainfall per device';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_rainfall_1d_mv TO sensor_rainfall_1d_agg AS
SELECT device_id,
       toDate(observed_at, 'Asia/Ho_Chi_Minh') AS day,
       countState() AS readings_state,
       sumState(rainfall_mm) AS rainfall_mm_state
FROM sensor_rainfall
GROUP BY device_id, day
COMMENT 'Nạp sensor_rainfall_1d_agg từ sensor_rainfall | Feeds sensor_rainfall_1d_agg from sensor_rainfall';

CREATE VIEW IF NOT EXISTS sensor_rainfall_1d AS
SELECT device_id,
       day,
       countMerge(readings_state) AS readings,
       sumMerge(rainfall_mm_state) AS rainfall_mm
FROM sensor_rainfall_1d_agg
GROUP BY device_id, day
COMMENT 'Lượng mưa theo thiết bị theo ngày | Rainfall per device per day';

CREATE TABLE IF NOT EXISTS sensor_water_level_1m_agg
(
    station_id       LowCardinality(String)                                   COMMENT 'Mã trạm đo mực nước | Water level station id',
    bucket_start     DateTime64(3, 'UTC')                                     COMMENT 'Đầu phút, UTC | Start of the minute, UTC',
    readings_state   AggregateFunction(count)                                 COMMENT 'Trạng thái: số lần đo | State: readings',
    level_min_state  AggregateFunction(min, Float64)                          COMMENT 'Trạng thái: mực nước thấp nhất, cm | State: lowest level, cm',
    level_max_state  AggregateFunction(max, Float64)                          COMMENT 'Trạng thái: mực nước cao nhất, cm | State: highest level, cm',
    level_avg_state  AggregateFunction(avg, Float64)                          COMMENT 'Trạng thái: mực nước trung bình, cm | State: mean level, cm',
    level_last_state AggregateFunction(argMax, Float64, DateTime64(3, 'UTC')) COMMENT 'Trạng thái: lần đo cuối, cm | State: latest level, cm'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (station_id, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo phút: Mực nước theo trạm | Rollup states per minute: Water level per station';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_water_level_1m_mv TO sensor_water_level_1m_agg AS
SELECT station_id,
       toDateTime64(toStartOfMinute(observed_at), 3, 'UTC') AS bucket_start,
       countState() AS readings_state,
       minState(water_level_cm) AS level_min_state,
       maxState(water_level_cm) AS level_max_state,
       avgState(water_level_cm) AS level_avg_state,
       argMaxState(water_level_cm, observed_at) AS level_last_state
FROM sensor_water_level
GROUP BY station_id, bucket_start
COMMENT 'Nạp sensor_water_level_1m_agg từ sensor_water_level | Feeds sensor_water_level_1m_agg from sensor_water_level';

CREATE VIEW IF NOT EXISTS sensor_water_level_1m AS
SELECT station_id,
       bucket_start,
       countMerge(readings_state) AS readings,
       minMerge(level_min_state) AS water_level_min_cm,
       maxMerge(level_max_state) AS water_level_max_cm,
       avgMerge(level_avg_state) AS water_level_avg_cm,
       argMaxMerge(level_last_state) AS water_level_last_cm
FROM sensor_water_level_1m_agg
GROUP BY station_id, bucket_start
COMMENT 'Mực nước theo trạm theo phút | Water level per station per minute';

CREATE TABLE IF NOT EXISTS sensor_water_level_1h_agg
(
    station_id       LowCardinality(String)                                   COMMENT 'Mã trạm đo mực nước | Water level station id',
    bucket_start     DateTime64(3, 'UTC')                                     COMMENT 'Đầu giờ, UTC | Start of the hour, UTC',
    readings_state   AggregateFunction(count)                                 COMMENT 'Trạng thái: số lần đo | State: readings',
    level_min_state  AggregateFunction(min, Float64)                          COMMENT 'Trạng thái: mực nước thấp nhất, cm | State: lowest level, cm',
    level_max_state  AggregateFunction(max, Float64)                          COMMENT 'Trạng thái: mực nước cao nhất, cm | State: highest level, cm',
    level_avg_state  AggregateFunction(avg, Float64)                          COMMENT 'Trạng thái: mực nước trung bình, cm | State: mean level, cm',
    level_last_state AggregateFunction(argMax, Float64, DateTime64(3, 'UTC')) COMMENT 'Trạng thái: lần đo cuối, cm | State: latest level, cm'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (station_id, bucket_start)
TTL toDateTime(bucket_start) + INTERVAL 800 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo giờ: Mực nước theo trạm | Rollup states per hour: Water level per station';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_water_level_1h_mv TO sensor_water_level_1h_agg AS
SELECT station_id,
       toDateTime64(toStartOfHour(observed_at), 3, 'UTC') AS bucket_start,
       countState() AS readings_state,
       minState(water_level_cm) AS level_min_state,
       maxState(water_level_cm) AS level_max_state,
       avgState(water_level_cm) AS level_avg_state,
       argMaxState(water_level_cm, observed_at) AS level_last_state
FROM sensor_water_level
GROUP BY station_id, bucket_start
COMMENT 'Nạp sensor_water_level_1h_agg từ sensor_water_level | Feeds sensor_water_level_1h_agg from sensor_water_level';

CREATE VIEW IF NOT EXISTS sensor_water_level_1h AS
SELECT station_id,
       bucket_start,
       countMerge(readings_state) AS readings,
       minMerge(level_min_state) AS water_level_min_cm,
       maxMerge(level_max_state) AS water_level_max_cm,
       avgMerge(level_avg_state) AS water_level_avg_cm,
       argMaxMerge(level_last_state) AS water_level_last_cm
FROM sensor_water_level_1h_agg
GROUP BY station_id, bucket_start
COMMENT 'Mực nước theo trạm theo giờ | Water level per station per hour';

CREATE TABLE IF NOT EXISTS sensor_water_level_1d_agg
(
    station_id       LowCardinality(String)                                   COMMENT 'Mã trạm đo mực nước | Water level station id',
    day              Date                                                     COMMENT 'Ngày theo giờ Việt Nam | Calendar day in Vietnam time (Asia/Ho_Chi_Minh)',
    readings_state   AggregateFunction(count)                                 COMMENT 'Trạng thái: số lần đo | State: readings',
    level_min_state  AggregateFunction(min, Float64)                          COMMENT 'Trạng thái: mực nước thấp nhất, cm | State: lowest level, cm',
    level_max_state  AggregateFunction(max, Float64)                          COMMENT 'Trạng thái: mực nước cao nhất, cm | State: highest level, cm',
    level_avg_state  AggregateFunction(avg, Float64)                          COMMENT 'Trạng thái: mực nước trung bình, cm | State: mean level, cm',
    level_last_state AggregateFunction(argMax, Float64, DateTime64(3, 'UTC')) COMMENT 'Trạng thái: lần đo cuối, cm | State: latest level, cm'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (station_id, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái gộp theo ngày: Mực nước theo trạm | Rollup states per day: Water level per station';

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_water_level_1d_mv TO sensor_water_level_1d_agg AS
SELECT station_id,
       toDate(observed_at, 'Asia/Ho_Chi_Minh') AS day,
       countState() AS readings_state,
       minState(water_level_cm) AS level_min_state,
       maxState(water_level_cm) AS level_max_state,
       avgState(water_level_cm) AS level_avg_state,
       argMaxState(water_level_cm, observed_at) AS level_last_state
FROM sensor_water_level
GROUP BY station_id, day
COMMENT 'Nạp sensor_water_level_1d_agg từ sensor_water_level | Feeds sensor_water_level_1d_agg from sensor_water_level';

CREATE VIEW IF NOT EXISTS sensor_water_level_1d AS
SELECT station_id,
       day,
       countMerge(readings_state) AS readings,
       minMerge(level_min_state) AS water_level_min_cm,
       maxMerge(level_max_state) AS water_level_max_cm,
       avgMerge(level_avg_state) AS water_level_avg_cm,
       argMaxMerge(level_last_state) AS water_level_last_cm
FROM sensor_water_level_1d_agg
GROUP BY station_id, day
COMMENT 'Mực nước theo trạm theo ngày | Water level per station per day';
