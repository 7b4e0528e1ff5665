-- Raw department feeds: one row per record of a batch, with the batch's source_id. ReplacingMergeTree
-- with event_id last in the ordering key (a resend collapses; read with FINAL for exact figures).
-- None of these feeds carries data about citizens (applicants, callers).
CREATE TABLE IF NOT EXISTS department_dossier_events
(
    event_id        String                         COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id       LowCardinality(String)         COMMENT 'Hệ thống nguồn | Sending system',
    dossier_id      String                         COMMENT 'Mã hồ sơ trên cổng dịch vụ công | Dossier id at the public service portal',
    observed_at     DateTime64(3, 'UTC')           COMMENT 'Thời điểm xảy ra sự kiện, UTC | When the event happened, UTC',
    event_type      LowCardinality(String)         COMMENT 'Sự kiện: received, in_progress, resolved, returned, cancelled, withdrawn, other | Event type',
    department_code LowCardinality(String)         COMMENT 'Mã cơ quan giải quyết | Handling department code',
    procedure_code  LowCardinality(String)         COMMENT 'Mã thủ tục hành chính | Administrative procedure code',
    received_at     DateTime64(3, 'UTC')           COMMENT 'Thời điểm tiếp nhận, UTC | When the dossier was received, UTC',
    due_at          Nullable(DateTime64(3, 'UTC')) COMMENT 'Hạn trả kết quả, UTC; NULL nếu không có hạn | Due date, UTC; NULL when none',
    resolved_at     Nullable(DateTime64(3, 'UTC')) COMMENT 'Thời điểm có kết quả, UTC; NULL khi chưa giải quyết | When resolved, UTC; NULL while not',
    channel         LowCardinality(String)         COMMENT 'Kênh nộp: online, offline, unknown | Submission channel',
    area_code       LowCardinality(String)         COMMENT 'Mã địa bàn tiếp nhận, rỗng nếu cấp tỉnh | Area code, empty at province level',
    kafka_topic     LowCardinality(String)         COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition UInt16                         COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset    UInt64                         COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (department_code, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Sự kiện hồ sơ thủ tục hành chính | Dossier events (ioc.department.dossier-events)';

CREATE TABLE IF NOT EXISTS department_report_values
(
    event_id            String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id           LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    reporting_unit_code LowCardinality(String) COMMENT 'Mã đơn vị báo cáo | Reporting unit code',
    observed_at         DateTime64(3, 'UTC')   COMMENT 'Thời điểm chốt/gửi số liệu, UTC | When the value was submitted, UTC',
    report_code         LowCardinality(String) COMMENT 'Mã biểu mẫu báo cáo | Report form code',
    indicator_code      LowCardinality(String) COMMENT 'Mã chỉ tiêu trong biểu mẫu | Indicator code in the form',
    period_type         LowCardinality(String) COMMENT 'Kỳ: daily, weekly, monthly, quarterly, half_year, yearly, ad_hoc | Period type',
    period_start        Date                   COMMENT 'Ngày đầu kỳ | First day of the period',
    period_end          Date                   COMMENT 'Ngày cuối kỳ, tính cả ngày này | Last day of the period, inclusive',
    value               Float64                COMMENT 'Giá trị theo unit_of_measure | Value in unit_of_measure',
    unit_of_measure     LowCardinality(String) COMMENT 'Đơn vị tính | Unit of measure',
    area_code           LowCardinality(String) COMMENT 'Mã địa bàn, rỗng nếu toàn đơn vị | Area code, empty for the whole unit',
    revision            UInt32                 COMMENT 'Lần điều chỉnh, bản sau thay bản trước | Revision, a later one replaces an earlier one',
    note                String                 COMMENT 'Ghi chú | Note',
    kafka_topic         LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition     UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset        UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (reporting_unit_code, report_code, indicator_code, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Giá trị chỉ tiêu báo cáo định kỳ (NĐ 09/2019), mọi lần điều chỉnh | Periodic report values, every revision (ioc.department.report-values)';

CREATE VIEW IF NOT EXISTS department_report_values_current AS
SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset)
FROM department_report_values FINAL
ORDER BY reporting_unit_code, report_code, indicator_code, period_type, period_start, period_end, area_code,
         revision DESC, observed_at DESC
LIMIT 1 BY reporting_unit_code, report_code, indicator_code, period_type, period_start, period_end, area_code
COMMENT 'Giá trị chỉ tiêu, bản điều chỉnh mới nhất | Report values, latest revision of each value';

CREATE TABLE IF NOT EXISTS department_hotline_reports
(
    event_id           String                 COMMENT 'Mã bản ghi tại nguồn | Record id at its source',
    source_id          LowCardinality(String) COMMENT 'Hệ thống nguồn | Sending system',
    ticket_id          String                 COMMENT 'Mã phiếu phản ánh | Ticket id',
    observed_at        DateTime64(3, 'UTC')   COMMENT 'Thời điểm tạo/cập nhật phiếu, UTC | When the ticket was created or updated, UTC',
    reported_at        DateTime64(3, 'UTC')   COMMENT 'Thời điểm người dân báo tin, UTC | When the citizen reported, UTC',
    ticket_status      LowCardinality(String) COMMENT 'Trạng thái: new, assigned, in_progress, resolved, closed, cancelled, other | Ticket status',
    channel            LowCardinality(String) COMMENT 'Kênh: phone, mobile_app, web, zalo, email, other | Reporting channel',
    category           LowCardinality(String) COMMENT 'Nhóm phản ánh | Report category',
    priority           LowCardinality(String) COMMENT 'Ưu tiên: low, normal, high, urgent | Priority',
    description        String                 COMMENT 'Nội dung phản ánh | What was reported',
    area_code          LowCardinality(String) COMMENT 'Mã địa bàn, rỗng nếu chưa xác định | Area code, empty when unknown',
    address            String                 COMMENT 'Địa chỉ hoặc mô tả vị trí | Address or description of the place',
    latitude           Nullable(Float64)      COMMENT 'Vĩ độ WGS 84, độ | WGS 84 latitude, degrees',
    longitude          Nullable(Float64)      COMMENT 'Kinh độ WGS 84, độ | WGS 84 longitude, degrees',
    assigned_unit_code LowCardinality(String) COMMENT 'Đơn vị được giao, rỗng nếu chưa giao | Assigned unit, empty when not assigned',
    kafka_topic        LowCardinality(String) COMMENT 'Topic Kafka | Kafka topic',
    kafka_partition    UInt16                 COMMENT 'Partition Kafka | Kafka partition',
    kafka_offset       UInt64                 COMMENT 'Offset Kafka | Kafka offset'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (ticket_id, observed_at, event_id)
TTL toDateTime(observed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Phản ánh qua đường dây nóng, mọi cập nhật phiếu | Hotline reports, every ticket update (ioc.department.hotline-reports)';
