-- Dimension tables: the province's configuration (config/province.yaml) as tables, so the wall's maps
-- and names and the analysts' joins read the same places and names as the stream agents. Loaded by
-- sinks/dimensions.py (at warehouse start and by `ioc db sync-province`), which inserts only what
-- changed: a new or edited entry is a row with a higher version, a removed one a row with
-- is_deleted = 1. ReplacingMergeTree(version, is_deleted) keeps the newest row of each key; read
-- through the *_current views (FINAL, deleted rows dropped), which are correct before merges.
CREATE TABLE IF NOT EXISTS dim_areas
(
    code         String                 COMMENT 'Mã địa bàn | Area code',
    name_vi      String                 COMMENT 'Tên địa bàn | Area name, in Vietnamese',
    level        LowCardinality(String) COMMENT 'Cấp: province, commune, ward, special_zone, zone, former_district | Level',
    parent       String                 COMMENT 'Mã địa bàn cấp trên, rỗng nếu không có | Parent area code, empty when none',
    former_codes Array(String)          COMMENT 'Mã cũ gộp vào địa bàn này | Former codes merged into this area',
    version      UInt64                 COMMENT 'Phiên bản dòng (ms Unix) | Row version (Unix ms)',
    is_deleted   UInt8                  COMMENT '1 khi đã bỏ khỏi cấu hình | 1 once removed from the configuration'
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY code
COMMENT 'Địa bàn (xã, phường, vùng) | Areas (communes, wards, centre zones)';

CREATE TABLE IF NOT EXISTS dim_intersections
(
    id            String                 COMMENT 'Mã nút giao | Intersection id',
    name_vi       String                 COMMENT 'Tên nút giao | Intersection name, in Vietnamese',
    area_code     LowCardinality(String) COMMENT 'Mã địa bàn | Area code',
    latitude      Float64                COMMENT 'Vĩ độ WGS 84, độ | WGS 84 latitude, degrees',
    longitude     Float64                COMMENT 'Kinh độ WGS 84, độ | WGS 84 longitude, degrees',
    free_flow_kmh Float64                COMMENT 'Tốc độ dòng tự do, km/h | Free-flow speed, km/h',
    version       UInt64                 COMMENT 'Phiên bản dòng (ms Unix) | Row version (Unix ms)',
    is_deleted    UInt8                  COMMENT '1 khi đã bỏ khỏi cấu hình | 1 once removed from the configuration'
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY id
COMMENT 'Nút giao có camera | Intersections watched by cameras';

CREATE TABLE IF NOT EXISTS dim_cameras
(
    id              String                 COMMENT 'Mã camera | Camera id',
    intersection_id String                 COMMENT 'Mã nút giao | Intersection id',
    crowd_zone_id   String                 COMMENT 'Mã vùng đông người, rỗng nếu không có | Crowd zone id, empty when none',
    area_code       LowCardinality(String) COMMENT 'Mã địa bàn của nút giao | Area code of the intersection',
    latitude        Float64                COMMENT 'Vĩ độ WGS 84 của nút giao, độ | WGS 84 latitude of the intersection, degrees',
    longitude       Float64                COMMENT 'Kinh độ WGS 84 của nút giao, độ | WGS 84 longitude of the intersection, degrees',
    version         UInt64                 COMMENT 'Phiên bản dòng (ms Unix) | Row version (Unix ms)',
    is_deleted      UInt8                  COMMENT '1 khi đã bỏ khỏi cấu hình | 1 once removed from the configuration'
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY id
COMMENT 'Camera và vị trí | Cameras and where they are';

CREATE TABLE IF NOT EXISTS dim_crowd_zones
(
    id              String                 COMMENT 'Mã vùng | Crowd zone id',
    name_vi         String                 COMMENT 'Tên vùng | Zone name, in Vietnamese',
    area_code       LowCardinality(String) COMMENT 'Mã địa bàn | Area code',
    crowded_density Float64                COMMENT 'Mật độ coi là đông, người/m² | Density counted as crowded, persons/m²',
    version         UInt64                 COMMENT 'Phiên bản dòng (ms Unix) | Row version (Unix ms)',
    is_deleted      UInt8                  COMMENT '1 khi đã bỏ khỏi cấu hình | 1 once removed from the configuration'
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY id
COMMENT 'Vùng giám sát đông người | Crowd zones';

CREATE TABLE IF NOT EXISTS dim_stations
(
    id                   String                 COMMENT 'Mã trạm | Station id',
    name_vi              String                 COMMENT 'Tên trạm | Station name, in Vietnamese',
    kind                 LowCardinality(String) COMMENT 'Loại: air_quality, water_level, rainfall, weather | Kind',
    area_code            LowCardinality(String) COMMENT 'Mã địa bàn | Area code',
    latitude             Float64                COMMENT 'Vĩ độ WGS 84, độ | WGS 84 latitude, degrees',
    longitude            Float64                COMMENT 'Kinh độ WGS 84, độ | WGS 84 longitude, degrees',
    reporting_interval_s UInt32                 COMMENT 'Chu kỳ gửi số liệu, giây | Reporting interval, seconds',
    alarm_level_1_cm     Nullable(Float64)      COMMENT 'Mực nước báo động I, cm | Flood alarm level I, cm',
    alarm_level_2_cm     Nullable(Float64)      COMMENT 'Mực nước báo động II, cm | Flood alarm level II, cm',
    alarm_level_3_cm     Nullable(Float64)      COMMENT 'Mực nước báo động III, cm | Flood alarm level III, cm',
    version              UInt64                 COMMENT 'Phiên bản dòng (ms Unix) | Row version (Unix ms)',
    is_deleted           UInt8                  COMMENT '1 khi đã bỏ khỏi cấu hình | 1 once removed from the configuration'
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY id
COMMENT 'Trạm cảm biến | Sensor stations';

CREATE TABLE IF NOT EXISTS dim_reporting_units
(
    code       String                 COMMENT 'Mã đơn vị | Unit code',
    name_vi    String                 COMMENT 'Tên đơn vị | Unit name, in Vietnamese',
    area_code  LowCardinality(String) COMMENT 'Mã địa bàn | Area code',
    version    UInt64                 COMMENT 'Phiên bản dòng (ms Unix) | Row version (Unix ms)',
    is_deleted UInt8                  COMMENT '1 khi đã bỏ khỏi cấu hình | 1 once removed from the configuration'
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY code
COMMENT 'Sở, ngành, UBND xã phường (đơn vị báo cáo) | Departments and communes (reporting units)';

CREATE VIEW IF NOT EXISTS dim_areas_current AS
SELECT * EXCEPT (version, is_deleted) FROM dim_areas FINAL WHERE is_deleted = 0
COMMENT 'Địa bàn hiện hành | Areas as configured now';

CREATE VIEW IF NOT EXISTS dim_intersections_current AS
SELECT * EXCEPT (version, is_deleted) FROM dim_intersections FINAL WHERE is_deleted = 0
COMMENT 'Nút giao hiện hành | Intersections as configured now';

CREATE VIEW IF NOT EXISTS dim_cameras_current AS
SELECT * EXCEPT (version, is_deleted) FROM dim_cameras FINAL WHERE is_deleted = 0
COMMENT 'Camera hiện hành | Cameras as configured now';

CREATE VIEW IF NOT EXISTS dim_crowd_zones_current AS
SELECT * EXCEPT (version, is_deleted) FROM dim_crowd_zones FINAL WHERE is_deleted = 0
COMMENT 'Vùng đông người hiện hành | Crowd zones as configured now';

CREATE VIEW IF NOT EXISTS dim_stations_current AS
SELECT * EXCEPT (version, is_deleted) FROM dim_stations FINAL WHERE is_deleted = 0
COMMENT 'Trạm hiện hành | Stations as configured now';

CREATE VIEW IF NOT EXISTS dim_reporting_units_current AS
SELECT * EXCEPT (version, is_deleted) FROM dim_reporting_units FINAL WHERE is_deleted = 0
COMMENT 'Đơn vị báo cáo hiện hành | Reporting units as configured now';
