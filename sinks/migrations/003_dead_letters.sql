-- Every rejected record with its reason, for integrators and operators.
CREATE TABLE IF NOT EXISTS dead_letters
(
    source_topic    LowCardinality(String)  COMMENT 'Nguồn | Where it came from',
    source_id       LowCardinality(String)  COMMENT 'Hệ thống nguồn | Sending system',
    record_ref      String                  COMMENT 'Bản ghi nào | Which record',
    field_path      String                  COMMENT 'Trường vi phạm | Offending field',
    rule            String                  COMMENT 'Quy tắc | Rule broken',
    reason          String                  COMMENT 'Lý do | Reason',
    payload         String                  COMMENT 'Nội dung gốc | Original content',
    rejected_at     DateTime64(3, 'UTC')    COMMENT 'Lúc từ chối, UTC | Rejected at, UTC',
    kafka_topic     LowCardinality(String)  COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                  COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                  COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(rejected_at)
ORDER BY (source_topic, rejected_at)
TTL toDateTime(rejected_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000;
