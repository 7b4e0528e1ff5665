-- Raw camera analytics other than vehicle counts (001) and plate data (005): one row per record of a
-- batch, with the batch's source_id. ReplacingMergeTree with event_id last in the ordering key, so a
-- vendor's resend of the same record collapses to one row (read with FINAL for exact counts before
-- background merges). Times are UTC; the kafka_* columns let the sink resume after what is stored.
CREATE TABLE IF NOT EXISTS camera_speeds
(
    event_id          String                           COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id         LowCardinality(String)           COMMENT 'Hệ thống nguồn | Sending system',
    camera_id         LowCardinality(String)           COMMENT 'Mã camera | Camera id',
    observed_at       DateTime64(3, 'UTC')             COMMENT 'Cuối khoảng đo, UTC | End of the measuring interval, UTC',
    interval_seconds  UInt32                           COMMENT 'Độ dài khoảng đo, giây | Measuring interval, seconds',
    lane              UInt16                           COMMENT 'Làn, 0 nếu không phân làn | Lane, 0 when lanes are not split',
    vehicle_class     LowCardinality(Nullable(String)) COMMENT 'Loại phương tiện, NULL là mọi loại | Vehicle class, NULL means all classes',
    vehicle_count     UInt32                           COMMENT 'Số xe được đo tốc độ (cỡ mẫu), chiếc | Vehicles measured (sample size)',
    average_speed_kmh Float64                          COMMENT 'Tốc độ trung bình, km/h | Average speed, km/h',
    p85_speed_kmh     Nullable(Float64)                COMMENT 'Tốc độ phân vị 85, km/h | 85th percentile speed, km/h',
    max_speed_kmh     Nullable(Float64)                COMMENT 'Tốc độ lớn nhất, km/h | Maximum speed, km/h',
    speed_limit_kmh   Nullable(Float64)                COMMENT 'Tốc độ giới hạn của làn, km/h | Posted speed limit, km/h',
    kafka_topic       LowCardinality(String)           COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition   UInt16                           COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset      UInt64                           COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (camera_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Tốc độ phương tiện theo camera, làn | Vehicle speeds per camera and lane (ioc.camera.speeds)';

CREATE TABLE IF NOT EXISTS camera_crowd_density
(
    event_id               String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id              LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    camera_id              LowCardinality(String) COMMENT 'Mã camera | Camera id',
    observed_at            DateTime64(3, 'UTC')   COMMENT 'Thời điểm đếm, UTC | When the people were counted, UTC',
    zone_id                LowCardinality(String) COMMENT 'Mã vùng giám sát trong khung hình | Monitored zone in the view',
    person_count           UInt32                 COMMENT 'Số người trong vùng, người | People in the zone, persons',
    density_persons_per_m2 Nullable(Float64)      COMMENT 'Mật độ, người/m² | Density, persons/m²',
    zone_area_m2           Nullable(Float64)      COMMENT 'Diện tích vùng, m² | Zone area, m²',
    kafka_topic            LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition        UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset           UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (camera_id, zone_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Mật độ đám đông theo camera, vùng | Crowd density per camera and zone (ioc.camera.crowd-density)';

CREATE TABLE IF NOT EXISTS camera_incidents
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
    evidence_ref    String                 COMMENT 'URI ảnh/video bằng chứng ở kho nhà cung cấp | URI of the evidence in the vendor store',
    kafka_topic     LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (camera_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Sự cố camera phát hiện | Incidents detected by cameras (ioc.camera.incidents)';

CREATE TABLE IF NOT EXISTS camera_heartbeats
(
    event_id         String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id        LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    camera_id        LowCardinality(String) COMMENT 'Mã camera | Camera id',
    observed_at      DateTime64(3, 'UTC')   COMMENT 'Thời điểm ghi nhận, UTC | When the status was observed, UTC',
    status           LowCardinality(String) COMMENT 'Trạng thái: online, offline, degraded, unknown | Status',
    status_reason    LowCardinality(String) COMMENT 'Lý do trạng thái, rỗng nếu không có | Reason for the status, empty when none',
    uptime_seconds   Nullable(UInt64)       COMMENT 'Thời gian hoạt động liên tục, giây | Time since the last start, seconds',
    firmware_version LowCardinality(String) COMMENT 'Phiên bản firmware | Firmware version',
    stream_fps       Nullable(Float64)      COMMENT 'Tốc độ khung hình, khung/giây | Stream frame rate, frames per second',
    kafka_topic      LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition  UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset     UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (camera_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Trạng thái hoạt động camera | Camera heartbeats (ioc.camera.heartbeats)';
