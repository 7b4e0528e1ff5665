-- Events that arrived after their window had closed (not counted in it, kept so nothing is dropped
-- silently). Partitioned and expired by detected_at rather than the late record's own event time:
-- a replay of old data would otherwise expire its late events the moment they are stored.
CREATE TABLE IF NOT EXISTS late_events
(
    source_topic     LowCardinality(String) COMMENT 'Topic chứa bản ghi đến muộn | Topic the late event was read from',
    source_partition UInt16                 COMMENT 'Partition của bản ghi | Partition of the late message',
    source_offset    UInt64                 COMMENT 'Offset của bản ghi | Offset of the late message',
    source_id        LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    record_ref       String                 COMMENT 'Bản ghi nào trong thông điệp | Which record of the message',
    processor        LowCardinality(String) COMMENT 'Phép tính cửa sổ đã bỏ qua nó | Windowed computation that skipped it',
    event_time       DateTime64(3, 'UTC')   COMMENT 'Thời gian sự kiện của bản ghi, UTC | Event time of the record, UTC',
    window_end       DateTime64(3, 'UTC')   COMMENT 'Kết thúc cửa sổ (không gồm), UTC | End (exclusive) of its window, UTC',
    grace_ms         UInt64                 COMMENT 'Thời gian chờ của cửa sổ, ms | Grace period of the window, ms',
    lateness_ms      UInt64                 COMMENT 'Trễ quá hạn, ms | How late past the deadline, ms',
    payload          String                 COMMENT 'Nội dung bản ghi | Content of the record',
    detected_at      DateTime64(3, 'UTC')   COMMENT 'Thời điểm phát hiện, UTC | When the lateness was detected, UTC',
    kafka_topic      LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition  UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset     UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(detected_at)
ORDER BY (source_topic, detected_at, source_partition, source_offset)
TTL toDateTime(detected_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Bản ghi đến muộn | Late events (ioc.derived.late-events)';
