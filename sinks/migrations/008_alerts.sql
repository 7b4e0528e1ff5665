-- Alerts: every state change (open, updated, acknowledged, resolved) is a row with a rising revision.
-- ReplacingMergeTree(revision) on (alert_id, revision) collapses a repeated change; alerts_current
-- gives the latest state per alert and is correct before background merges (FINAL, then the highest
-- revision of each alert). Partitioned by opened_at, which all changes of one alert share.
CREATE TABLE IF NOT EXISTS alerts
(
    alert_id        String                         COMMENT 'Mã cảnh báo ổn định | Stable alert id',
    identifier      String                         COMMENT 'identifier CAP của bản tin | CAP identifier of this message',
    sender          LowCardinality(String)         COMMENT 'sender CAP | CAP sender',
    sent            DateTime64(3, 'UTC')           COMMENT 'Thời điểm phát bản tin, UTC | When this message was issued, UTC',
    status          LowCardinality(String)         COMMENT 'status CAP: Actual, Exercise, System, Test, Draft | CAP status',
    msg_type        LowCardinality(String)         COMMENT 'msgType CAP: Alert, Update, Cancel, Ack, Error | CAP msgType',
    scope           LowCardinality(String)         COMMENT 'scope CAP: Public, Restricted, Private | CAP scope',
    `references`    String                         COMMENT 'references CAP, rỗng với bản tin đầu | CAP references, empty for the first message',
    cap_category    LowCardinality(String)         COMMENT 'category CAP, ví dụ Met, Transport | CAP category',
    event           LowCardinality(String)         COMMENT 'event CAP, tiếng Việt | CAP event, in Vietnamese',
    urgency         LowCardinality(String)         COMMENT 'urgency CAP | CAP urgency',
    severity        LowCardinality(String)         COMMENT 'severity CAP: Extreme, Severe, Moderate, Minor, Unknown | CAP severity',
    certainty       LowCardinality(String)         COMMENT 'certainty CAP | CAP certainty',
    area_desc       String                         COMMENT 'Tên địa bàn | Area name',
    area_code       LowCardinality(String)         COMMENT 'Mã địa bàn (xã/phường hoặc vùng) | Area code (commune, ward or centre zone)',
    latitude        Nullable(Float64)              COMMENT 'Vĩ độ WGS 84, độ | WGS 84 latitude, degrees',
    longitude       Nullable(Float64)              COMMENT 'Kinh độ WGS 84, độ | WGS 84 longitude, degrees',
    category        LowCardinality(String)         COMMENT 'Nhóm cảnh báo: traffic, environment, public_order, public_service, input_health | Alert category',
    rule_id         LowCardinality(String)         COMMENT 'Quy tắc đã kích hoạt | Rule that fired',
    state           LowCardinality(String)         COMMENT 'Trạng thái: open, updated, acknowledged, resolved | State',
    revision        UInt32                         COMMENT 'Lần thay đổi, tăng dần từ 0 | Revision, rising from 0',
    opened_at       DateTime64(3, 'UTC')           COMMENT 'Thời điểm mở (thời gian sự kiện), UTC | When it opened (event time), UTC',
    updated_at      DateTime64(3, 'UTC')           COMMENT 'Thời điểm thay đổi này, UTC | When this change happened, UTC',
    acknowledged_at Nullable(DateTime64(3, 'UTC')) COMMENT 'Thời điểm xác nhận, UTC; NULL khi chưa | When acknowledged, UTC; NULL while not',
    acknowledged_by LowCardinality(String)         COMMENT 'Tài khoản cán bộ xác nhận | Account that acknowledged',
    resolved_at     Nullable(DateTime64(3, 'UTC')) COMMENT 'Thời điểm kết thúc, UTC; NULL khi còn mở | When resolved, UTC; NULL while open',
    entity_type     LowCardinality(String)         COMMENT 'Loại đối tượng | Entity type',
    entity_id       String                         COMMENT 'Mã đối tượng | Entity id',
    `values`        Map(String, Float64)           COMMENT 'Giá trị kích hoạt và ngưỡng, theo tên | Values that fired it and thresholds, by name',
    headline_vi     String                         COMMENT 'Tiêu đề ngắn | Short headline, in Vietnamese',
    description_vi  String                         COMMENT 'Mô tả | Description, in Vietnamese',
    instruction_vi  String                         COMMENT 'Hướng dẫn xử lý | What to do, in Vietnamese',
    dedup_key       String                         COMMENT 'Khóa chống trùng | Deduplication key',
    kafka_topic     LowCardinality(String)         COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                         COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                         COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (alert_id, revision)
TTL toDateTime(opened_at) + INTERVAL 800 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Cảnh báo, mọi thay đổi trạng thái (CAP 1.2) | Alerts, every state change (ioc.derived.alerts)';

CREATE VIEW IF NOT EXISTS alerts_current AS
SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset)
FROM alerts FINAL
WHERE (alert_id, revision) IN (SELECT alert_id, max(revision) FROM alerts GROUP BY alert_id)
COMMENT 'Trạng thái mới nhất của mỗi cảnh báo | Latest state of each alert';
