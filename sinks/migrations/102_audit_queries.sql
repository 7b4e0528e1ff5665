-- The audit log of queries (Decree 13/2023/ND-CP expects the processing of personal data to be
-- recorded and attributable): one row for every request to the warehouse's HTTP interface, written
-- in batches by the embedded warehouse (warehouse/audit.py). Named restricted_ so that analysts and
-- grafana cannot read it (the embedded front's guard; a server's REVOKE SELECT ON ioc.restricted_*);
-- auditors are granted it by name (warehouse/roles.py). Kept 365 days.
CREATE TABLE IF NOT EXISTS restricted_audit_queries
(
    event_time   DateTime64(3, 'UTC')    COMMENT 'Lúc nhận truy vấn, UTC | When the query came, UTC',
    user         LowCardinality(String)  COMMENT 'Người dùng (tên đã khai, kể cả khi đăng nhập sai) | User (the name given, also for a refused login)',
    role         LowCardinality(String)  COMMENT 'Vai trò; rỗng nếu đăng nhập bị từ chối | Role; empty when the login was refused',
    client       String                  COMMENT 'Địa chỉ máy khách | Client address',
    query_id     String                  COMMENT 'Mã truy vấn | Query id',
    query        String                  COMMENT 'Câu lệnh (không kèm dữ liệu INSERT), tối đa 65536 ký tự | Statement (without INSERT data), up to 65536 characters',
    parameters   Map(String, String)     COMMENT 'Giá trị tham số truy vấn (param_*) | Query parameter values (param_*)',
    read_rows    UInt64                  COMMENT 'Số dòng đã đọc | Rows read',
    read_bytes   UInt64                  COMMENT 'Số byte đã đọc | Bytes read',
    written_rows UInt64                  COMMENT 'Số dòng đã ghi | Rows written',
    duration_ms  UInt32                  COMMENT 'Thời gian, ms | Duration, ms',
    outcome      LowCardinality(String)  COMMENT 'Kết quả: ok hoặc tên lỗi ClickHouse | Outcome: ok or ClickHouse error name',
    error_code   Int32                   COMMENT 'Mã lỗi ClickHouse, 0 nếu ok | ClickHouse error code, 0 when ok'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (event_time, user)
TTL toDateTime(event_time) + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Nhật ký truy vấn, chỉ kiểm toán viên đọc được | Audit log of queries, readable by auditors only';
