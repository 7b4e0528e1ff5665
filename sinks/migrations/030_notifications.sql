-- The alert router's audit trail: every routing decision, message, delivery result, acknowledgement
-- and escalation. ReplacingMergeTree on event_id: the router publishes an event again after a crash
-- with the same id, and the repeat collapses. Partitioned and expired by occurred_at.
CREATE TABLE IF NOT EXISTS notifications
(
    event_id        String                 COMMENT 'Mã sự kiện nhật ký | Audit event id',
    occurred_at     DateTime64(3, 'UTC')   COMMENT 'Thời điểm xảy ra, UTC | When it happened, UTC',
    action          LowCardinality(String) COMMENT 'routed, silenced, sent, retry, failed, escalated, acknowledged, resolved… | What happened',
    alert_id        String                 COMMENT 'Mã cảnh báo | Alert id',
    alert_revision  UInt32                 COMMENT 'Lần thay đổi của cảnh báo | Alert revision',
    category        LowCardinality(String) COMMENT 'Nhóm cảnh báo | Alert category',
    severity        LowCardinality(String) COMMENT 'Mức nghiêm trọng CAP | CAP severity',
    area_code       LowCardinality(String) COMMENT 'Mã địa bàn | Area code',
    unit_code       LowCardinality(String) COMMENT 'Đơn vị trực | Duty unit',
    officer_id      LowCardinality(String) COMMENT 'Cán bộ | Officer',
    level           Int8                   COMMENT 'Cấp chuyển: 0 trực, 1 trưởng ca, 2 thủ trưởng; -1 không áp dụng | Escalation level; -1 not applicable',
    channel         LowCardinality(String) COMMENT 'Kênh gửi | Channel',
    address         String                 COMMENT 'Địa chỉ nhận | Recipient address',
    kind            LowCardinality(String) COMMENT 'Loại tin: new, update, escalation, resolved | Message kind',
    message_id      String                 COMMENT 'Mã tin gửi | Message id',
    attempt         UInt16                 COMMENT 'Lần gửi thứ | Delivery attempt',
    detail          String                 COMMENT 'Chi tiết | Detail',
    kafka_topic     LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (alert_id, occurred_at, event_id)
TTL toDateTime(occurred_at) + INTERVAL 800 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Nhật ký định tuyến và gửi cảnh báo | Alert routing audit trail (ioc.derived.notifications)';
