-- Personal data stays where it belongs (Decree 13/2023/ND-CP; the rules are in ioc/personal_data.py).
--
-- Dead letters and late events carry a copy of the refused or late record, which for plate reads and
-- violations holds the plate in clear. From now on the sinks store them in restricted_dead_letters and
-- restricted_late_events (clear, readable only by ioc_writer like every restricted_ table), together
-- with the payload and reason masked in Python (sinks/tables.py); the materialized views below copy
-- the masked form into dead_letters and late_events, the tables readers know. personal_data names
-- whose retention a row keeps: plate_read 30 days and violation 365 days, like the plate tables;
-- copy (a payload copied from a topic of copies, which may be either) 30 days; '' (no personal data)
-- 90 days, like the readers' tables.
--
-- Rows stored before this migration stay in dead_letters and late_events; those from the plate feeds
-- and the topics of copies get their payload and reason withheld (a mutation), and have no clear copy.
-- Audit events keep no clear address at all (the sink masks it); addresses stored before are withheld.
-- The masked views drop the photo of the plate (image_ref, evidence_ref): it is in the restricted
-- tables only. Safe to run again: a second run (after a crash half-way) may withhold a newer masked
-- payload of those topics as well, never reveal one.
CREATE TABLE IF NOT EXISTS restricted_dead_letters
(
    source_topic    LowCardinality(String)  COMMENT 'Nguồn | Where it came from',
    source_id       LowCardinality(String)  COMMENT 'Hệ thống nguồn | Sending system',
    record_ref      String                  COMMENT 'Bản ghi nào | Which record',
    field_path      String                  COMMENT 'Trường vi phạm | Offending field',
    rule            String                  COMMENT 'Quy tắc | Rule broken',
    reason          String                  COMMENT 'Lý do, bản rõ | Reason, clear',
    payload         String                  COMMENT 'Nội dung gốc, bản rõ, có thể có DỮ LIỆU CÁ NHÂN | Original content, clear, may hold PERSONAL DATA',
    rejected_at     DateTime64(3, 'UTC')    COMMENT 'Lúc từ chối, UTC | Rejected at, UTC',
    reason_masked   String                  COMMENT 'Lý do đã che | Reason as readers see it',
    payload_masked  String                  COMMENT 'Nội dung đã che | Content as readers see it',
    personal_data   LowCardinality(String)  COMMENT 'Loại dữ liệu cá nhân: plate_read, violation, copy, rỗng nếu không | Personal data held: plate_read, violation, copy, empty when none',
    kafka_topic     LowCardinality(String)  COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                  COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                  COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(rejected_at)
ORDER BY (source_topic, rejected_at)
TTL toDateTime(rejected_at) + INTERVAL 30 DAY DELETE WHERE personal_data IN ('plate_read', 'copy'),
    toDateTime(rejected_at) + INTERVAL 365 DAY DELETE WHERE personal_data = 'violation',
    toDateTime(rejected_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'HẠN CHẾ: bản ghi bị từ chối, nội dung rõ | RESTRICTED: dead letters with their clear content';

CREATE TABLE IF NOT EXISTS restricted_late_events
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
    payload          String                 COMMENT 'Nội dung bản ghi, bản rõ, có thể có DỮ LIỆU CÁ NHÂN | Content of the record, clear, may hold PERSONAL DATA',
    detected_at      DateTime64(3, 'UTC')   COMMENT 'Thời điểm phát hiện, UTC | When the lateness was detected, UTC',
    payload_masked   String                 COMMENT 'Nội dung đã che | Content as readers see it',
    personal_data    LowCardinality(String) COMMENT 'Loại dữ liệu cá nhân: plate_read, violation, copy, rỗng nếu không | Personal data held: plate_read, violation, copy, empty when none',
    kafka_topic      LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition  UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset     UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(detected_at)
ORDER BY (source_topic, detected_at, source_partition, source_offset)
TTL toDateTime(detected_at) + INTERVAL 30 DAY DELETE WHERE personal_data IN ('plate_read', 'copy'),
    toDateTime(detected_at) + INTERVAL 365 DAY DELETE WHERE personal_data = 'violation',
    toDateTime(detected_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'HẠN CHẾ: bản ghi đến muộn, nội dung rõ | RESTRICTED: late events with their clear content';

ALTER TABLE dead_letters
    UPDATE payload = '*** withheld by migration 090: personal data ***', reason = '*** withheld by migration 090: personal data ***'
    WHERE match(source_topic, '(ioc\\.camera\\.(plate-reads|violations)|ioc\\.derived\\.(late-events|notifications)|ioc\\.dlq\\.[a-z]+)$');

ALTER TABLE late_events
    UPDATE payload = '*** withheld by migration 090: personal data ***'
    WHERE match(source_topic, '(ioc\\.camera\\.(plate-reads|violations)|ioc\\.derived\\.(late-events|notifications)|ioc\\.dlq\\.[a-z]+)$');

ALTER TABLE notifications
    UPDATE detail = replaceAll(detail, address, '***'), address = '***'
    WHERE address != '' AND position(address, '*') = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS dead_letters_masked_mv TO dead_letters
AS SELECT
    source_topic,
    source_id,
    record_ref,
    field_path,
    rule,
    reason_masked AS reason,
    payload_masked AS payload,
    rejected_at,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM restricted_dead_letters;

CREATE MATERIALIZED VIEW IF NOT EXISTS late_events_masked_mv TO late_events
AS SELECT
    source_topic,
    source_partition,
    source_offset,
    source_id,
    record_ref,
    processor,
    event_time,
    window_end,
    grace_ms,
    lateness_ms,
    payload_masked AS payload,
    detected_at,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM restricted_late_events;

CREATE OR REPLACE VIEW camera_plate_reads
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT * EXCEPT (image_ref) REPLACE (
    concat(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}'), replaceRegexpAll(substring(plate_number, length(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}')) + 1), '[^-. ]', '*')) AS plate_number
)
FROM restricted_camera_plate_reads FINAL
COMMENT 'Nhận dạng biển số, biển số đã che, không có ảnh | Plate reads with the plate masked and no photo';

CREATE OR REPLACE VIEW camera_violations
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT * EXCEPT (evidence_ref) REPLACE (
    concat(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}'), replaceRegexpAll(substring(plate_number, length(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}')) + 1), '[^-. ]', '*')) AS plate_number
)
FROM restricted_camera_violations FINAL
COMMENT 'Vi phạm giao thông, biển số đã che, không có ảnh | Traffic violations with the plate masked and no evidence photo';
