-- Indicator windows. Each window arrives several times (provisional revisions, then final);
-- ReplacingMergeTree(revision) keeps the newest; read through the view below (FINAL), which is
-- correct before background merges happen.
CREATE TABLE IF NOT EXISTS indicators
(
    indicator       LowCardinality(String)  COMMENT 'Mã chỉ tiêu | Indicator code',
    entity_type     LowCardinality(String)  COMMENT 'Loại đối tượng | Entity type',
    entity_id       String                  COMMENT 'Mã đối tượng | Entity id',
    area_code       LowCardinality(String)  COMMENT 'Mã địa bàn | Area code',
    window_start    DateTime64(3, 'UTC')    COMMENT 'Bắt đầu cửa sổ, UTC | Window start, UTC',
    window_end      DateTime64(3, 'UTC')    COMMENT 'Kết thúc cửa sổ, UTC | Window end, UTC',
    value           Nullable(Float64)       COMMENT 'Giá trị | Value',
    unit            LowCardinality(String)  COMMENT 'Đơn vị | Unit',
    sample_count    UInt64                  COMMENT 'Số bản ghi góp vào | Contributing records',
    revision        UInt32                  COMMENT 'Lần sửa đổi | Revision',
    is_final        UInt8                   COMMENT '1 khi cửa sổ đã đóng | 1 once the window closed',
    computed_at     DateTime64(3, 'UTC')    COMMENT 'Lúc tính, UTC | Computed at, UTC',
    kafka_topic     LowCardinality(String)  COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                  COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                  COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYYYYMM(window_start)
ORDER BY (indicator, entity_type, entity_id, window_start)
TTL toDateTime(window_start) + INTERVAL 800 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE VIEW IF NOT EXISTS indicators_current AS
SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset) FROM indicators FINAL;
