-- Raw sensor readings and the device registry: one row per record of a batch, with the batch's
-- source_id. ReplacingMergeTree with event_id last in the ordering key (a resend collapses; read with
-- FINAL for exact figures). Field names and units follow the contracts (close to FIWARE models).
CREATE TABLE IF NOT EXISTS sensor_air_quality
(
    event_id              String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id             LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    device_id             LowCardinality(String) COMMENT 'Mã thiết bị đo | Measuring device id',
    observed_at           DateTime64(3, 'UTC')   COMMENT 'Cuối khoảng lấy trung bình, UTC | End of the averaging interval, UTC',
    station_id            LowCardinality(String) COMMENT 'Mã trạm quan trắc, rỗng nếu không thuộc trạm | Monitoring station id, empty when none',
    interval_seconds      UInt32                 COMMENT 'Khoảng lấy trung bình, giây | Averaging interval, seconds',
    pm25_ugm3             Nullable(Float64)      COMMENT 'Bụi PM2.5, µg/m³ | PM2.5, µg/m³',
    pm10_ugm3             Nullable(Float64)      COMMENT 'Bụi PM10, µg/m³ | PM10, µg/m³',
    o3_ugm3               Nullable(Float64)      COMMENT 'O3, µg/m³ | Ozone, µg/m³',
    no2_ugm3              Nullable(Float64)      COMMENT 'NO2, µg/m³ | NO2, µg/m³',
    so2_ugm3              Nullable(Float64)      COMMENT 'SO2, µg/m³ | SO2, µg/m³',
    co_ugm3               Nullable(Float64)      COMMENT 'CO, µg/m³ (không phải mg/m³) | CO, µg/m³ (not mg/m³)',
    temperature_c         Nullable(Float64)      COMMENT 'Nhiệt độ không khí, °C | Air temperature, °C',
    relative_humidity_pct Nullable(Float64)      COMMENT 'Độ ẩm tương đối, % | Relative humidity, %',
    kafka_topic           LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition       UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset          UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (device_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Chất lượng không khí | Air quality readings (ioc.sensor.air-quality)';

CREATE TABLE IF NOT EXISTS sensor_water_level
(
    event_id        String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id       LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    station_id      LowCardinality(String) COMMENT 'Mã trạm đo mực nước | Water level station id',
    observed_at     DateTime64(3, 'UTC')   COMMENT 'Thời điểm đo, UTC | When the level was measured, UTC',
    device_id       LowCardinality(String) COMMENT 'Mã thiết bị đo, rỗng nếu trạm có một thiết bị | Device id, empty when the station has one',
    water_level_cm  Float64                COMMENT 'Mực nước so với mốc cao độ trạm, cm | Water level above the station datum, cm',
    flow_m3s        Nullable(Float64)      COMMENT 'Lưu lượng, m³/s | Discharge, m³/s',
    kafka_topic     LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (station_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Mực nước | Water levels (ioc.sensor.water-level)';

CREATE TABLE IF NOT EXISTS sensor_rainfall
(
    event_id         String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id        LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    device_id        LowCardinality(String) COMMENT 'Mã thiết bị đo mưa | Rain gauge id',
    observed_at      DateTime64(3, 'UTC')   COMMENT 'Cuối khoảng đo, UTC | End of the measuring interval, UTC',
    station_id       LowCardinality(String) COMMENT 'Mã trạm, rỗng nếu không thuộc trạm | Station id, empty when none',
    interval_seconds UInt32                 COMMENT 'Độ dài khoảng đo, giây | Measuring interval, seconds',
    rainfall_mm      Float64                COMMENT 'Lượng mưa trong khoảng (không cộng dồn), mm | Rainfall during the interval (not cumulative), mm',
    kafka_topic      LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition  UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset     UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (device_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Lượng mưa | Rainfall readings (ioc.sensor.rainfall)';

CREATE TABLE IF NOT EXISTS sensor_weather
(
    event_id                 String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id                LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    device_id                LowCardinality(String) COMMENT 'Mã thiết bị đo | Measuring device id',
    observed_at              DateTime64(3, 'UTC')   COMMENT 'Cuối khoảng đo, UTC | End of the measuring interval, UTC',
    station_id               LowCardinality(String) COMMENT 'Mã trạm khí tượng, rỗng nếu không thuộc trạm | Weather station id, empty when none',
    interval_seconds         UInt32                 COMMENT 'Độ dài khoảng đo, giây | Measuring interval, seconds',
    temperature_c            Nullable(Float64)      COMMENT 'Nhiệt độ không khí, °C | Air temperature, °C',
    relative_humidity_pct    Nullable(Float64)      COMMENT 'Độ ẩm tương đối, % | Relative humidity, %',
    wind_speed_ms            Nullable(Float64)      COMMENT 'Tốc độ gió, m/s | Wind speed, m/s',
    wind_direction_deg       Nullable(Float64)      COMMENT 'Hướng gió thổi đến, độ từ hướng Bắc | Direction the wind blows from, degrees from north',
    atmospheric_pressure_hpa Nullable(Float64)      COMMENT 'Áp suất khí quyển, hPa | Atmospheric pressure, hPa',
    precipitation_mm         Nullable(Float64)      COMMENT 'Lượng mưa trong khoảng, mm | Precipitation during the interval, mm',
    kafka_topic              LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition          UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset             UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (device_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Thời tiết | Weather readings (ioc.sensor.weather)';

CREATE TABLE IF NOT EXISTS sensor_traffic_counters
(
    event_id                  String                           COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id                 LowCardinality(String)           COMMENT 'Hệ thống nguồn | Sending system',
    device_id                 LowCardinality(String)           COMMENT 'Mã thiết bị đếm xe | Traffic counter id',
    observed_at               DateTime64(3, 'UTC')             COMMENT 'Cuối khoảng đếm, UTC | End of the counting interval, UTC',
    interval_seconds          UInt32                           COMMENT 'Độ dài khoảng đếm, giây | Counting interval, seconds',
    lane                      UInt16                           COMMENT 'Làn, 0 nếu không phân làn | Lane, 0 when lanes are not split',
    lane_direction            LowCardinality(String)           COMMENT 'Chiều làn: forward, backward, unknown | Lane direction',
    vehicle_class             LowCardinality(Nullable(String)) COMMENT 'Loại phương tiện, NULL là mọi loại | Vehicle class, NULL means all classes',
    intensity_vehicles        UInt32                           COMMENT 'Số xe qua trong khoảng, chiếc | Vehicles in the interval',
    average_vehicle_speed_kmh Nullable(Float64)                COMMENT 'Tốc độ trung bình, km/h | Average speed, km/h',
    occupancy_pct             Nullable(Float64)                COMMENT 'Tỷ lệ chiếm chỗ cảm biến, % | Detector occupancy, %',
    congested                 Nullable(Bool)                   COMMENT 'Thiết bị báo ùn tắc | Congestion flagged by the device',
    kafka_topic               LowCardinality(String)           COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition           UInt16                           COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset              UInt64                           COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (device_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Thiết bị đếm xe (không phải camera) | Traffic counter readings (ioc.sensor.traffic-counters)';

-- The registry keeps its rows ten years, not 400 days: the latest event of a device IS its current
-- metadata, and a device not updated for 400 days must not vanish from sensor_devices_current.
CREATE TABLE IF NOT EXISTS sensor_devices
(
    event_id                   String                                COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id                  LowCardinality(String)                COMMENT 'Hệ thống nguồn | Sending system',
    device_id                  LowCardinality(String)                COMMENT 'Mã thiết bị | Device id',
    observed_at                DateTime64(3, 'UTC')                  COMMENT 'Thời điểm thông tin có hiệu lực, UTC | When this metadata took effect, UTC',
    event_type                 LowCardinality(String)                COMMENT 'Sự kiện: registered, updated, decommissioned, other | Registry event',
    name                       String                                COMMENT 'Tên thiết bị | Device name',
    device_category            LowCardinality(String)                COMMENT 'Nhóm thiết bị (FIWARE deviceCategory) | Device category',
    controlled_property        Array(LowCardinality(String))         COMMENT 'Đại lượng đo (FIWARE controlledProperty) | Measured quantities',
    station_id                 LowCardinality(String)                COMMENT 'Mã trạm, rỗng nếu không thuộc trạm | Station id, empty when none',
    latitude                   Nullable(Float64)                     COMMENT 'Vĩ độ WGS 84, độ | WGS 84 latitude, degrees',
    longitude                  Nullable(Float64)                     COMMENT 'Kinh độ WGS 84, độ | WGS 84 longitude, degrees',
    area_code                  LowCardinality(String)                COMMENT 'Mã địa bàn do nguồn khai báo | Area code as declared by the source',
    owner                      LowCardinality(String)                COMMENT 'Đơn vị quản lý | Owning unit',
    manufacturer               LowCardinality(String)                COMMENT 'Hãng sản xuất | Manufacturer',
    model                      LowCardinality(String)                COMMENT 'Mẫu thiết bị | Device model',
    serial_number              String                                COMMENT 'Số sê-ri | Serial number',
    firmware_version           LowCardinality(String)                COMMENT 'Phiên bản firmware | Firmware version',
    battery_level_pct          Nullable(Float64)                     COMMENT 'Mức pin, %; NULL nếu dùng điện lưới | Battery level, %; NULL for mains power',
    reporting_interval_seconds Nullable(UInt32)                      COMMENT 'Chu kỳ gửi dự kiến, giây | Expected reporting interval, seconds',
    installed_at               Nullable(DateTime64(3, 'UTC'))        COMMENT 'Thời điểm lắp đặt, UTC | When installed, UTC',
    kafka_topic                LowCardinality(String)                COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition            UInt16                                COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset               UInt64                                COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (device_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 3650 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Danh mục thiết bị, mọi sự kiện | Device registry events (ioc.sensor.devices)';

CREATE VIEW IF NOT EXISTS sensor_devices_current AS
SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset)
FROM sensor_devices FINAL
ORDER BY device_id, observed_at DESC, event_id DESC
LIMIT 1 BY device_id
COMMENT 'Thông tin hiện tại của mỗi thiết bị | Current metadata of each device (its latest registry event)';
