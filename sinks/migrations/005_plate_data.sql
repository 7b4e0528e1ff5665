-- Plate numbers are personal data (Decree 13/2023/ND-CP). They are stored clear only in tables named
-- restricted_*, which the production grants (sinks/clickhouse/users.d/ioc-users.xml) keep from the
-- analyst and grafana users, and which keep them for a bounded time (TTL: plate reads 30 days,
-- violations 365 days for enforcement follow-up). Analysts read the views camera_plate_reads and
-- camera_violations: the same columns, deduplicated (FINAL), with plate_number masked by
--
--   concat(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}'),
--          replaceRegexpAll(substring(plate_number, length(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}')) + 1),
--                           '[^-. ]', '*'))
--
-- which keeps the two-digit province code and the series letters and turns every other character
-- except the separators '-', '.' and ' ' into '*': '30A-123.45' -> '30A-***.**', '29-B1 234.56' ->
-- '29-B* ***.**'. A plate that does not start like a Vietnamese plate is masked whole. The views run
-- with their definer's rights (SQL SECURITY DEFINER), so a reader needs no grant on restricted_*.
CREATE TABLE IF NOT EXISTS restricted_camera_plate_reads
(
    event_id        String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id       LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    camera_id       LowCardinality(String) COMMENT 'Mã camera | Camera id',
    observed_at     DateTime64(3, 'UTC')   COMMENT 'Thời điểm xe đi qua, UTC | When the vehicle passed, UTC',
    lane            UInt16                 COMMENT 'Làn, 0 nếu không phân làn | Lane, 0 when lanes are not split',
    plate_number    String                 COMMENT 'Biển số, DỮ LIỆU CÁ NHÂN (NĐ 13/2023) | Plate number, PERSONAL DATA (Decree 13/2023)',
    vehicle_class   LowCardinality(String) COMMENT 'Loại phương tiện | Vehicle class',
    direction       LowCardinality(String) COMMENT 'Chiều đi: forward, backward, unknown | Direction of travel',
    confidence      Nullable(Float64)      COMMENT 'Độ tin cậy 0-1 | Read confidence, 0 to 1',
    image_ref       String                 COMMENT 'URI ảnh ở kho nhà cung cấp | URI of the snapshot in the vendor store',
    kafka_topic     LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (camera_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'HẠN CHẾ: nhận dạng biển số, biển số rõ | RESTRICTED: plate reads with clear plates (ioc.camera.plate-reads)';

CREATE TABLE IF NOT EXISTS restricted_camera_violations
(
    event_id        String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id       LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    camera_id       LowCardinality(String) COMMENT 'Mã camera | Camera id',
    observed_at     DateTime64(3, 'UTC')   COMMENT 'Thời điểm vi phạm, UTC | When the violation happened, UTC',
    lane            UInt16                 COMMENT 'Làn, 0 nếu không phân làn | Lane, 0 when lanes are not split',
    violation_type  LowCardinality(String) COMMENT 'Loại vi phạm: red_light, wrong_way, illegal_parking, no_helmet, lane_violation, speeding, other | Violation type',
    vehicle_class   LowCardinality(String) COMMENT 'Loại phương tiện | Vehicle class',
    plate_number    Nullable(String)       COMMENT 'Biển số nếu đọc được, DỮ LIỆU CÁ NHÂN (NĐ 13/2023) | Plate number when read, PERSONAL DATA (Decree 13/2023)',
    speed_kmh       Nullable(Float64)      COMMENT 'Tốc độ đo được, km/h | Measured speed, km/h',
    speed_limit_kmh Nullable(Float64)      COMMENT 'Tốc độ giới hạn, km/h | Posted speed limit, km/h',
    confidence      Nullable(Float64)      COMMENT 'Độ tin cậy 0-1 | Detection confidence, 0 to 1',
    evidence_ref    String                 COMMENT 'URI bằng chứng ở kho nhà cung cấp | URI of the evidence in the vendor store',
    kafka_topic     LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (camera_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'HẠN CHẾ: vi phạm giao thông, biển số rõ | RESTRICTED: traffic violations with clear plates (ioc.camera.violations)';

CREATE VIEW IF NOT EXISTS camera_plate_reads
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT * REPLACE (
    concat(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}'),
           replaceRegexpAll(substring(plate_number, length(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}')) + 1),
                            '[^-. ]', '*')) AS plate_number
)
FROM restricted_camera_plate_reads FINAL
COMMENT 'Nhận dạng biển số, biển số đã che | Plate reads with the plate masked';

CREATE VIEW IF NOT EXISTS camera_violations
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT * REPLACE (
    concat(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}'),
           replaceRegexpAll(substring(plate_number, length(extract(plate_number, '^[0-9]{2}-?[A-ZĐ]{1,2}')) + 1),
                            '[^-. ]', '*')) AS plate_number
)
FROM restricted_camera_violations FINAL
COMMENT 'Vi phạm giao thông, biển số đã che | Traffic violations with the plate masked';
