-- The vendor's link to an incident's photo or video (evidence_ref) may show faces and plates: like
-- the plate photos since migration 090, it is kept from the warehouse's readers (Decree 13/2023/ND-CP).
-- The sink now stores incidents in restricted_camera_incidents (every column, readable by ioc_writer
-- only, like every restricted_ table); the materialized view below copies each row without the link
-- into camera_incidents, the table the wall and the analysts read, which loses the column. Incidents
-- stored before this migration are copied into the restricted table first (before the view exists,
-- so they are not copied back), their links with them.
-- Safe to run again: copied again, the rows land on the same sorting keys in both tables, which their
-- ReplacingMergeTree collapses. The column is dropped by migration 101, so that a second run of this
-- file never meets the table without it.
CREATE TABLE IF NOT EXISTS restricted_camera_incidents
(
    event_id        String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id       LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    camera_id       LowCardinality(String) COMMENT 'Mã camera | Camera id',
    observed_at     DateTime64(3, 'UTC')   COMMENT 'Thời điểm phát hiện, UTC | When it was detected, UTC',
    incident_type   LowCardinality(String) COMMENT 'Loại sự cố: accident, fire_smoke, fight, flooding, crowd_gathering, other | Incident type',
    confidence      Nullable(Float64)      COMMENT 'Độ tin cậy 0-1 | Detection confidence, 0 to 1',
    severity_hint   LowCardinality(String) COMMENT 'Mức nghiêm trọng nguồn gợi ý (CAP): minor, moderate, severe, extreme, unknown | Severity suggested by the source',
    description     String                 COMMENT 'Mô tả, tiếng Việt | Description, in Vietnamese',
    latitude        Nullable(Float64)      COMMENT 'Vĩ độ WGS 84, độ; NULL là vị trí camera | WGS 84 latitude, degrees; NULL means the camera location',
    longitude       Nullable(Float64)      COMMENT 'Kinh độ WGS 84, độ; NULL là vị trí camera | WGS 84 longitude, degrees; NULL means the camera location',
    evidence_ref    String                 COMMENT 'URI ảnh/video bằng chứng ở kho nhà cung cấp, DỮ LIỆU CÁ NHÂN | URI of the evidence in the vendor store, PERSONAL DATA',
    kafka_topic     LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (camera_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'HẠN CHẾ: sự cố camera phát hiện, có đường dẫn bằng chứng | RESTRICTED: incidents detected by cameras, with the evidence link (ioc.camera.incidents)';

-- The sink's resend lookup reads it by event time and id (migration 070 says why).
ALTER TABLE restricted_camera_incidents MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE restricted_camera_incidents
    ADD PROJECTION IF NOT EXISTS event_keys (SELECT camera_id, observed_at, event_id ORDER BY (observed_at, event_id));

INSERT INTO restricted_camera_incidents
SELECT event_id, source_id, camera_id, observed_at, incident_type, confidence, severity_hint, description,
       latitude, longitude, evidence_ref, kafka_topic, kafka_partition, kafka_offset
FROM camera_incidents;

CREATE MATERIALIZED VIEW IF NOT EXISTS camera_incidents_masked_mv TO camera_incidents
AS SELECT
    event_id,
    source_id,
    camera_id,
    observed_at,
    incident_type,
    confidence,
    severity_hint,
    description,
    latitude,
    longitude,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM restricted_camera_incidents;
