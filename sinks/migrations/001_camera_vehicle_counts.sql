-- Raw vehicle counts, one row per record of a batch.
-- ReplacingMergeTree on event_id: a vendor's resend of the same record collapses to one row.
-- kafka_partition/kafka_offset let the sink resume after exactly what ClickHouse already holds.
CREATE TABLE IF NOT EXISTS camera_vehicle_counts
(
    event_id          String                  COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id         LowCardinality(String)  COMMENT 'Hệ thống nguồn | Sending system',
    camera_id         LowCardinality(String)  COMMENT 'Mã camera | Camera id',
    observed_at       DateTime64(3, 'UTC')    COMMENT 'Cuối khoảng đếm, UTC | End of the counting interval, UTC',
    interval_seconds  UInt32                  COMMENT 'Độ dài khoảng đếm, giây | Counting interval, seconds',
    lane              UInt16                  COMMENT 'Làn | Lane',
    vehicle_class     LowCardinality(String)  COMMENT 'Loại phương tiện | Vehicle class',
    vehicle_count     UInt32                  COMMENT 'Số phương tiện, chiếc | Vehicles',
    average_speed_kmh Nullable(Float64)       COMMENT 'Tốc độ trung bình, km/h | Average speed, km/h',
    kafka_topic       LowCardinality(String)  COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition   UInt16                  COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset      UInt64                  COMMENT 'Offset Kafka | Kafka offset',
    ingested_at       DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'Lúc ghi vào kho | When stored'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (camera_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;
